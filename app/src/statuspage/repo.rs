//! SQL for status pages: what was sent to customers, the components, the page's
//! settings and the accounts' private links. Reads only sent messages.

use super::model::{
    ComponentStatus, MaintenanceState, MaintenanceUpdate, PageComponent, PageMaintenance,
};
use crate::comms::model::CustomerStatus;
use crate::db::{decode_error, from_millis, millis};
use crate::incidents::model::{IncidentId, Severity};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

/// A sent message, with the severity of its incident.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub id: i64,
    pub incident: IncidentId,
    pub severity: Severity,
    pub status: CustomerStatus,
    pub subject: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// What no account id is: the public page's audience.
pub const PUBLIC: i64 = -1;

/// Messages sent to everyone (and, for an account's page, to that account) of the
/// incidents customers heard of since `since`.
pub async fn sent_messages(
    ex: impl Executor<'_, Database = Any>,
    account: i64,
    since: DateTime<Utc>,
) -> Result<Vec<SentRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id, m.incident_id, i.severity, m.customer_status, m.subject, m.body, m.sent_at
         FROM customer_messages m JOIN incidents i ON i.id = m.incident_id
         WHERE m.state = 'sent' AND m.sent_at IS NOT NULL
           AND (m.audience_key = 'all' OR EXISTS (
                SELECT 1 FROM customer_message_accounts a
                WHERE a.message_id = m.id AND a.account_id = $1))
           AND m.incident_id IN (
                SELECT incident_id FROM customer_messages
                WHERE state = 'sent' AND sent_at >= $2)
         ORDER BY m.sent_at, m.id",
    )
    .bind(account)
    .bind(millis(since))
    .fetch_all(ex)
    .await?;
    rows.iter().map(sent_row).collect()
}

fn sent_row(row: &AnyRow) -> Result<SentRow, sqlx::Error> {
    let severity: String = row.try_get("severity")?;
    let status: String = row.try_get("customer_status")?;
    Ok(SentRow {
        id: row.try_get("id")?,
        incident: IncidentId(row.try_get("incident_id")?),
        severity: severity
            .parse()
            .map_err(|e: String| decode_error("severity", e))?,
        status: status
            .parse()
            .map_err(|e: String| decode_error("customer_status", e))?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        sent_at: from_millis("sent_at", row.try_get("sent_at")?)?,
    })
}

/// (incident, component slug) for every incident with a recent sent message.
pub async fn incident_components(
    ex: impl Executor<'_, Database = Any>,
    since: DateTime<Utc>,
) -> Result<Vec<(IncidentId, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT s.incident_id, c.slug
         FROM incident_systems s
         JOIN systems y ON y.id = s.system_id
         JOIN status_components c ON c.id = y.status_component_id
         WHERE s.incident_id IN (
            SELECT incident_id FROM customer_messages WHERE state = 'sent' AND sent_at >= $1)",
    )
    .bind(millis(since))
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                IncidentId(row.try_get("incident_id")?),
                row.try_get("slug")?,
            ))
        })
        .collect()
}

/// A component as stored, with the systems it stands for.
#[derive(Debug, Clone)]
pub struct StoredComponent {
    pub component: PageComponent,
    pub systems: Vec<String>,
}

pub async fn components(
    ex: impl Executor<'_, Database = Any> + Copy,
) -> Result<Vec<StoredComponent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, slug, name, group_name, description, position, created_at, updated_at
         FROM status_components ORDER BY position, id",
    )
    .fetch_all(ex)
    .await?;
    let systems = sqlx::query(
        "SELECT status_component_id, slug FROM systems
         WHERE status_component_id IS NOT NULL ORDER BY slug",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            Ok(StoredComponent {
                component: PageComponent {
                    id,
                    slug: row.try_get("slug")?,
                    name: row.try_get("name")?,
                    group: row.try_get("group_name")?,
                    description: row.try_get("description")?,
                    position: row.try_get("position")?,
                    status: ComponentStatus::Operational,
                    created_at: from_millis("created_at", row.try_get("created_at")?)?,
                    updated_at: from_millis("updated_at", row.try_get("updated_at")?)?,
                },
                systems: systems
                    .iter()
                    .filter(|s| s.try_get::<i64, _>("status_component_id").ok() == Some(id))
                    .filter_map(|s| s.try_get("slug").ok())
                    .collect(),
            })
        })
        .collect()
}

/// A component to keep (by slug) with its place and systems.
pub struct ComponentWrite<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub group: &'a str,
    pub description: &'a str,
    pub position: i64,
    pub systems: &'a [String],
}

/// Replaces the whole set of components inside the caller's transaction: those not
/// listed go, their systems show as nothing.
pub async fn replace_components(
    tx: &mut sqlx::AnyConnection,
    list: &[ComponentWrite<'_>],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE systems SET status_component_id = NULL WHERE status_component_id IS NOT NULL",
    )
    .execute(&mut *tx)
    .await?;
    let keep: Vec<&str> = list.iter().map(|c| c.slug).collect();
    let existing = sqlx::query("SELECT slug FROM status_components")
        .fetch_all(&mut *tx)
        .await?;
    for row in existing {
        let slug: String = row.try_get("slug")?;
        if !keep.contains(&slug.as_str()) {
            sqlx::query("DELETE FROM status_components WHERE slug = $1")
                .bind(slug)
                .execute(&mut *tx)
                .await?;
        }
    }
    for c in list {
        let id: i64 = sqlx::query(
            "INSERT INTO status_components
                (slug, name, group_name, description, position, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name,
                group_name = excluded.group_name, description = excluded.description,
                position = excluded.position, updated_at = excluded.updated_at
             RETURNING id",
        )
        .bind(c.slug)
        .bind(c.name)
        .bind(c.group)
        .bind(c.description)
        .bind(c.position)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for system in c.systems {
            sqlx::query("UPDATE systems SET status_component_id = $1 WHERE slug = $2")
                .bind(id)
                .bind(system)
                .execute(&mut *tx)
                .await?;
        }
    }
    Ok(())
}

/// Which of `slugs` are not systems.
pub async fn unknown_systems(
    ex: impl Executor<'_, Database = Any>,
    slugs: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let known: Vec<String> = sqlx::query("SELECT slug FROM systems")
        .fetch_all(ex)
        .await?
        .iter()
        .filter_map(|row| row.try_get("slug").ok())
        .collect();
    Ok(slugs
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect())
}

/// The page's name ("Status" until set).
pub async fn page_name(ex: impl Executor<'_, Database = Any>) -> Result<String, sqlx::Error> {
    let row = sqlx::query("SELECT name FROM status_page_settings WHERE id = 1")
        .fetch_optional(ex)
        .await?;
    Ok(match row {
        Some(row) => row.try_get("name")?,
        None => "Status".into(),
    })
}

pub async fn set_page_name(
    ex: impl Executor<'_, Database = Any>,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO status_page_settings (id, name, updated_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(())
}

/// The account (id, name) whose private link hashes to `hash`.
pub async fn account_by_token_hash(
    ex: impl Executor<'_, Database = Any>,
    hash: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name FROM accounts WHERE status_token_hash = $1")
        .bind(hash)
        .fetch_optional(ex)
        .await?;
    row.map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .transpose()
}

/// Every account (slug, name, whether it has a private link), by name.
pub async fn accounts_with_links(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<(String, String, bool)>, sqlx::Error> {
    sqlx::query(
        "SELECT slug, name, status_token_hash IS NOT NULL AS linked FROM accounts ORDER BY name",
    )
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        // SQLite answers the comparison as an integer, PostgreSQL as a boolean.
        let linked = row
            .try_get::<bool, _>("linked")
            .or_else(|_| row.try_get::<i64, _>("linked").map(|n| n != 0))?;
        Ok((row.try_get("slug")?, row.try_get("name")?, linked))
    })
    .collect()
}

/// Gives the account a new private link (its hash); false for an unknown account.
pub async fn set_account_token_hash(
    ex: impl Executor<'_, Database = Any>,
    account_slug: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE accounts SET status_token_hash = $1 WHERE slug = $2")
        .bind(hash)
        .bind(account_slug)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

// ---- Scheduled maintenance ----

/// Slugs among `slugs` that are not components.
pub async fn unknown_components(
    ex: impl Executor<'_, Database = Any>,
    slugs: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let known: Vec<String> = sqlx::query("SELECT slug FROM status_components")
        .fetch_all(ex)
        .await?
        .iter()
        .filter_map(|row| row.try_get("slug").ok())
        .collect();
    Ok(slugs
        .iter()
        .filter(|s| !known.contains(s))
        .cloned()
        .collect())
}

/// Stores new planned work with its components; returns its id.
pub async fn insert_maintenance(
    tx: &mut sqlx::AnyConnection,
    title: &str,
    scheduled_for: DateTime<Utc>,
    scheduled_until: DateTime<Utc>,
    components: &[String],
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query(
        "INSERT INTO status_maintenances
            (title, state, scheduled_for, scheduled_until, created_at, updated_at)
         VALUES ($1, 'scheduled', $2, $3, $4, $4) RETURNING id",
    )
    .bind(title)
    .bind(millis(scheduled_for))
    .bind(millis(scheduled_until))
    .bind(millis(now))
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    for slug in components {
        sqlx::query(
            "INSERT INTO status_maintenance_components (maintenance_id, component_id)
             SELECT $1, id FROM status_components WHERE slug = $2",
        )
        .bind(id)
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    }
    Ok(id)
}

/// Moves planned work from `from` to `to`, stamping when it started or ended;
/// false when it no longer stands at `from` (someone moved it meanwhile).
pub async fn move_maintenance(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
    from: MaintenanceState,
    to: MaintenanceState,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE status_maintenances SET state = $3, updated_at = $4,
            started_at = CASE WHEN $3 = 'in_progress' AND started_at IS NULL THEN $4 ELSE started_at END,
            completed_at = CASE WHEN $3 = 'completed' THEN $4 ELSE completed_at END
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn insert_maintenance_update(
    ex: impl Executor<'_, Database = Any>,
    maintenance: i64,
    state: MaintenanceState,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO status_maintenance_updates (maintenance_id, state, body, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(maintenance)
    .bind(state.as_str())
    .bind(body)
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(())
}

/// Planned work not completed, or completed since `since` (`id`: only that one).
pub async fn maintenances(
    ex: impl Executor<'_, Database = Any> + Copy,
    since: DateTime<Utc>,
    id: Option<i64>,
) -> Result<Vec<PageMaintenance>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, title, state, scheduled_for, scheduled_until, started_at, completed_at,
                created_at, updated_at
         FROM status_maintenances
         WHERE ($2 < 0 AND (state <> 'completed' OR completed_at >= $1)) OR id = $2
         ORDER BY scheduled_for, id",
    )
    .bind(millis(since))
    .bind(id.unwrap_or(-1))
    .fetch_all(ex)
    .await?;
    let components = sqlx::query(
        "SELECT mc.maintenance_id, c.slug FROM status_maintenance_components mc
         JOIN status_components c ON c.id = mc.component_id ORDER BY c.position, c.slug",
    )
    .fetch_all(ex)
    .await?;
    let updates = sqlx::query(
        "SELECT u.id, u.maintenance_id, u.state, u.body, u.created_at
         FROM status_maintenance_updates u JOIN status_maintenances m ON m.id = u.maintenance_id
         WHERE ($2 < 0 AND (m.state <> 'completed' OR m.completed_at >= $1)) OR m.id = $2
         ORDER BY u.created_at DESC, u.id DESC",
    )
    .bind(millis(since))
    .bind(id.unwrap_or(-1))
    .fetch_all(ex)
    .await?;
    let state = |row: &AnyRow| -> Result<MaintenanceState, sqlx::Error> {
        row.try_get::<String, _>("state")?
            .parse()
            .map_err(|e: String| decode_error("state", e))
    };
    let optional = |row: &AnyRow, column: &str| -> Result<Option<DateTime<Utc>>, sqlx::Error> {
        row.try_get::<Option<i64>, _>(column)?
            .map(|ms| from_millis(column, ms))
            .transpose()
    };
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            let mine = |r: &&AnyRow| r.try_get::<i64, _>("maintenance_id").ok() == Some(id);
            Ok(PageMaintenance {
                id,
                title: row.try_get("title")?,
                state: state(row)?,
                scheduled_for: from_millis("scheduled_for", row.try_get("scheduled_for")?)?,
                scheduled_until: from_millis("scheduled_until", row.try_get("scheduled_until")?)?,
                started_at: optional(row, "started_at")?,
                completed_at: optional(row, "completed_at")?,
                components: components
                    .iter()
                    .filter(mine)
                    .filter_map(|r| r.try_get("slug").ok())
                    .collect(),
                updates: updates
                    .iter()
                    .filter(mine)
                    .map(|u| {
                        Ok(MaintenanceUpdate {
                            id: u.try_get("id")?,
                            state: state(u)?,
                            body: u.try_get("body")?,
                            created_at: from_millis("created_at", u.try_get("created_at")?)?,
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()?,
                created_at: from_millis("created_at", row.try_get("created_at")?)?,
                updated_at: from_millis("updated_at", row.try_get("updated_at")?)?,
            })
        })
        .collect()
}

// ---- Subscribers ----

/// A subscriber as the sign-up needs it.
#[derive(Debug, Clone)]
pub struct SubscriberRow {
    pub id: i64,
    pub confirmed: bool,
    pub confirm_sent_at: DateTime<Utc>,
}

pub async fn find_subscriber(
    ex: impl Executor<'_, Database = Any>,
    page_key: i64,
    email: &str,
) -> Result<Option<SubscriberRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, confirmed_at, confirm_sent_at FROM status_subscribers
         WHERE page_key = $1 AND email = $2",
    )
    .bind(page_key)
    .bind(email)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        Ok(SubscriberRow {
            id: row.try_get("id")?,
            confirmed: row.try_get::<Option<i64>, _>("confirmed_at")?.is_some(),
            confirm_sent_at: from_millis("confirm_sent_at", row.try_get("confirm_sent_at")?)?,
        })
    })
    .transpose()
}

/// A new, unconfirmed subscriber; returns its id.
pub async fn insert_subscriber(
    ex: impl Executor<'_, Database = Any>,
    page_key: i64,
    email: &str,
    confirm_hash: &str,
    unsubscribe_token: &str,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO status_subscribers
            (email, page_key, confirm_token_hash, unsubscribe_token, confirm_sent_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(email)
    .bind(page_key)
    .bind(confirm_hash)
    .bind(unsubscribe_token)
    .bind(millis(now))
    .fetch_one(ex)
    .await?
    .try_get("id")
}

/// A new confirmation link for a subscriber who has not confirmed yet.
pub async fn renew_confirmation(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
    confirm_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE status_subscribers SET confirm_token_hash = $2, confirm_sent_at = $3
         WHERE id = $1 AND confirmed_at IS NULL",
    )
    .bind(id)
    .bind(confirm_hash)
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(())
}

/// The components a subscriber follows (none: the whole page).
pub async fn set_subscriber_components(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    slugs: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM status_subscriber_components WHERE subscriber_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for slug in slugs {
        sqlx::query(
            "INSERT INTO status_subscriber_components (subscriber_id, component_id)
             SELECT $1, id FROM status_components WHERE slug = $2",
        )
        .bind(id)
        .bind(slug)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Confirms the subscriber whose link hashes to `hash` (again is fine); returns
/// its page key.
pub async fn confirm_subscriber(
    ex: impl Executor<'_, Database = Any>,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE status_subscribers SET confirmed_at = COALESCE(confirmed_at, $2)
         WHERE confirm_token_hash = $1 RETURNING page_key",
    )
    .bind(hash)
    .bind(millis(now))
    .fetch_optional(ex)
    .await?;
    row.map(|row| row.try_get("page_key")).transpose()
}

/// Forgets the subscriber holding `token` and drops the mail not sent to them yet;
/// returns the page key it was on.
pub async fn delete_subscriber(
    tx: &mut sqlx::AnyConnection,
    token: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(row) =
        sqlx::query("SELECT id, page_key FROM status_subscribers WHERE unsubscribe_token = $1")
            .bind(token)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(None);
    };
    let id: i64 = row.try_get("id")?;
    sqlx::query("DELETE FROM status_emails WHERE subscriber_id = $1 AND status = 'pending'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM status_subscribers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    Ok(Some(row.try_get("page_key")?))
}

/// An email to queue for a subscriber.
pub struct NewStatusEmail<'a> {
    pub subscriber: i64,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub unsubscribe_url: Option<&'a str>,
    pub idempotency_key: &'a str,
}

/// Queues an email, due now; false when one with its key was queued before.
pub async fn queue_status_email(
    ex: impl Executor<'_, Database = Any>,
    email: &NewStatusEmail<'_>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO status_emails
            (subscriber_id, target, subject, body, unsubscribe_url, idempotency_key,
             next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(email.subscriber)
    .bind(email.to)
    .bind(email.subject)
    .bind(email.body)
    .bind(email.unsubscribe_url)
    .bind(email.idempotency_key)
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What the delivery worker sends for a queued status email.
#[derive(Debug, Clone)]
pub struct StatusEmail {
    pub subject: String,
    pub body: String,
    pub unsubscribe_url: Option<String>,
    pub idempotency_key: String,
}

pub async fn status_email(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
) -> Result<Option<StatusEmail>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT subject, body, unsubscribe_url, idempotency_key FROM status_emails WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        Ok(StatusEmail {
            subject: row.try_get("subject")?,
            body: row.try_get("body")?,
            unsubscribe_url: row.try_get("unsubscribe_url")?,
            idempotency_key: row.try_get("idempotency_key")?,
        })
    })
    .transpose()
}

/// What a page told its readers.
#[derive(Debug, Clone)]
pub enum Told {
    Message {
        subject: String,
    },
    Maintenance {
        title: String,
        state: MaintenanceState,
        scheduled_for: DateTime<Utc>,
        scheduled_until: DateTime<Utc>,
    },
}

/// Something sent on a page that a confirmed subscriber has not been mailed yet.
#[derive(Debug, Clone)]
pub struct Unmailed {
    /// "sm-<message>" for a customer message, "su-<update>" for a maintenance one.
    pub source: String,
    pub told: Told,
    pub body: String,
    pub subscriber: i64,
    pub email: String,
    pub page_key: i64,
    pub unsubscribe_token: String,
}

/// Sent customer messages (since `since`, and after the subscriber confirmed) that
/// a subscriber's page shows and whose components they follow, not mailed yet.
pub async fn unmailed_messages(
    ex: impl Executor<'_, Database = Any>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unmailed>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT 'sm-' || m.id AS source, m.subject, m.body, s.id AS subscriber, s.email,
                s.page_key, s.unsubscribe_token
         FROM customer_messages m
         JOIN status_subscribers s ON s.confirmed_at IS NOT NULL AND m.sent_at >= s.confirmed_at
         WHERE m.state = 'sent' AND m.sent_at >= $1
           AND (m.audience_key = 'all' OR EXISTS (
                SELECT 1 FROM customer_message_accounts a
                WHERE a.message_id = m.id AND a.account_id = s.page_key))
           AND (NOT EXISTS (SELECT 1 FROM status_subscriber_components sc WHERE sc.subscriber_id = s.id)
                OR EXISTS (SELECT 1 FROM status_subscriber_components sc
                           JOIN systems y ON y.status_component_id = sc.component_id
                           JOIN incident_systems i ON i.system_id = y.id
                           WHERE sc.subscriber_id = s.id AND i.incident_id = m.incident_id))
           AND NOT EXISTS (SELECT 1 FROM status_emails e
                           WHERE e.idempotency_key = 'sm-' || m.id || '-' || s.id)
         ORDER BY m.sent_at, m.id, s.id LIMIT $2",
    )
    .bind(millis(since))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            unmailed(
                row,
                Told::Message {
                    subject: row.try_get("subject")?,
                },
            )
        })
        .collect()
}

/// Maintenance messages (as `unmailed_messages`): every page shows maintenance.
pub async fn unmailed_maintenance(
    ex: impl Executor<'_, Database = Any>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unmailed>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT 'su-' || u.id AS source, m.title, u.state, m.scheduled_for, m.scheduled_until,
                u.body, s.id AS subscriber, s.email, s.page_key, s.unsubscribe_token
         FROM status_maintenance_updates u
         JOIN status_maintenances m ON m.id = u.maintenance_id
         JOIN status_subscribers s ON s.confirmed_at IS NOT NULL AND u.created_at >= s.confirmed_at
         WHERE u.created_at >= $1
           AND (NOT EXISTS (SELECT 1 FROM status_subscriber_components sc WHERE sc.subscriber_id = s.id)
                OR EXISTS (SELECT 1 FROM status_subscriber_components sc
                           JOIN status_maintenance_components mc ON mc.component_id = sc.component_id
                           WHERE sc.subscriber_id = s.id AND mc.maintenance_id = m.id))
           AND NOT EXISTS (SELECT 1 FROM status_emails e
                           WHERE e.idempotency_key = 'su-' || u.id || '-' || s.id)
         ORDER BY u.created_at, u.id, s.id LIMIT $2",
    )
    .bind(millis(since))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let told = Told::Maintenance {
                title: row.try_get("title")?,
                state: row
                    .try_get::<String, _>("state")?
                    .parse()
                    .map_err(|e: String| decode_error("state", e))?,
                scheduled_for: from_millis("scheduled_for", row.try_get("scheduled_for")?)?,
                scheduled_until: from_millis("scheduled_until", row.try_get("scheduled_until")?)?,
            };
            unmailed(row, told)
        })
        .collect()
}

fn unmailed(row: &AnyRow, told: Told) -> Result<Unmailed, sqlx::Error> {
    Ok(Unmailed {
        source: row.try_get("source")?,
        told,
        body: row.try_get("body")?,
        subscriber: row.try_get("subscriber")?,
        email: row.try_get("email")?,
        page_key: row.try_get("page_key")?,
        unsubscribe_token: row.try_get("unsubscribe_token")?,
    })
}

/// The name of the account `page_key` stands for (`None` for the public page).
pub async fn account_name(
    ex: impl Executor<'_, Database = Any>,
    page_key: i64,
) -> Result<Option<String>, sqlx::Error> {
    if page_key == PUBLIC {
        return Ok(None);
    }
    sqlx::query_scalar("SELECT name FROM accounts WHERE id = $1")
        .bind(page_key)
        .fetch_optional(ex)
        .await
}
