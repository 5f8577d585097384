//! SQL for status pages: what was sent to customers, the components, the page's
//! settings and the accounts' private links. Reads only sent messages.

use super::model::{ComponentStatus, PageComponent};
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
