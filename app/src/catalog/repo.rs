//! SQL for people, teams and systems.

use super::model::{Person, System, SystemId, Team, TeamDraft, TeamId, UserId};
use crate::db::millis;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// The id of the person with this email, adding them (with this name) if new.
pub async fn person_id_or_add(
    conn: &mut AnyConnection,
    email: &str,
    display_name: &str,
    at: DateTime<Utc>,
) -> Result<UserId, sqlx::Error> {
    sqlx::query_scalar(
        // A known person keeps their name: a team lead or CSM named in the catalog
        // (or only derived from an email) never renames someone who signs in. The
        // no-op update makes RETURNING answer for an existing row too.
        "INSERT INTO users (email, display_name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (email) DO UPDATE SET email = excluded.email RETURNING id",
    )
    .bind(email)
    .bind(display_name)
    .bind(millis(at))
    .fetch_one(conn)
    .await
    .map(UserId)
}

/// Inserts a team; `None` when the slug is taken.
pub async fn insert_team(
    conn: &mut AnyConnection,
    team: &TeamDraft,
    lead: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<Option<TeamId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO teams (slug, name, lead_user_id, notify_email, notify_webhook_url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (slug) DO NOTHING RETURNING id",
    )
    .bind(&team.slug)
    .bind(&team.name)
    .bind(lead.map(|u| u.0))
    .bind(team.notify_email.as_deref())
    .bind(team.notify_webhook_url.as_deref())
    .bind(millis(at))
    .fetch_optional(conn)
    .await?;
    Ok(id.map(TeamId))
}

const TEAM_SELECT: &str = "SELECT t.id, t.slug, t.name, t.notify_email, t.notify_webhook_url, \
     u.id AS lead_id, u.email AS lead_email, u.display_name AS lead_name \
     FROM teams t LEFT JOIN users u ON u.id = t.lead_user_id";

/// Every team, by name.
pub async fn list_teams(ex: impl Executor<'_, Database = Any>) -> Result<Vec<Team>, sqlx::Error> {
    let sql = format!("{TEAM_SELECT} ORDER BY t.name, t.id");
    sqlx::query(&sql)
        .fetch_all(ex)
        .await?
        .iter()
        .map(team_from_row)
        .collect()
}

/// One team by slug.
pub async fn find_team(
    ex: impl Executor<'_, Database = Any>,
    slug: &str,
) -> Result<Option<Team>, sqlx::Error> {
    let sql = format!("{TEAM_SELECT} WHERE t.slug = $1");
    sqlx::query(&sql)
        .bind(slug)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(team_from_row)
        .transpose()
}

/// Inserts a system; `None` when the slug is taken.
pub async fn insert_system(
    conn: &mut AnyConnection,
    slug: &str,
    name: &str,
    (description, customer_name): (&str, Option<&str>),
    team: Option<TeamId>,
    at: DateTime<Utc>,
) -> Result<Option<SystemId>, sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO systems (slug, name, description, team_id, created_at, customer_name) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (slug) DO NOTHING RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(team.map(|t| t.0))
    .bind(millis(at))
    .bind(customer_name)
    .fetch_optional(conn)
    .await?;
    Ok(id.map(SystemId))
}

const SYSTEM_SELECT: &str =
    "SELECT s.id, s.slug, s.name, s.description, s.customer_name, t.slug AS team_slug \
     FROM systems s LEFT JOIN teams t ON t.id = s.team_id";

/// Every system, by name.
pub async fn list_systems(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<System>, sqlx::Error> {
    let sql = format!("{SYSTEM_SELECT} ORDER BY s.name, s.id");
    sqlx::query(&sql)
        .fetch_all(ex)
        .await?
        .iter()
        .map(system_from_row)
        .collect()
}

/// The systems with these slugs (unknown slugs are simply absent).
pub async fn find_systems(
    conn: &mut AnyConnection,
    slugs: &[String],
) -> Result<Vec<System>, sqlx::Error> {
    let mut found = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let sql = format!("{SYSTEM_SELECT} WHERE s.slug = $1");
        if let Some(row) = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?
        {
            found.push(system_from_row(&row)?);
        }
    }
    Ok(found)
}

/// The person with this email, if known.
pub async fn find_person(
    ex: impl Executor<'_, Database = Any>,
    email: &str,
) -> Result<Option<Person>, sqlx::Error> {
    sqlx::query("SELECT id, email, display_name FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(person_from_row)
        .transpose()
}

/// Everyone, by name (for pickers).
pub async fn list_people(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<Person>, sqlx::Error> {
    sqlx::query("SELECT id, email, display_name FROM users ORDER BY display_name, id")
        .fetch_all(ex)
        .await?
        .iter()
        .map(person_from_row)
        .collect()
}

fn person_from_row(row: &AnyRow) -> Result<Person, sqlx::Error> {
    Ok(Person {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
    })
}

/// People with the admin role: they hear about systems nobody owns.
pub async fn list_admins(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<Person>, sqlx::Error> {
    sqlx::query("SELECT id, email, display_name FROM users WHERE role = 'admin' ORDER BY id")
        .fetch_all(ex)
        .await?
        .iter()
        .map(person_from_row)
        .collect()
}

/// An optional person joined in as `<prefix>_id`, `<prefix>_email`, `<prefix>_name`
/// (a team's lead, an account's CSM, an incident's role holders).
pub fn person_with_prefix(row: &AnyRow, prefix: &str) -> Result<Option<Person>, sqlx::Error> {
    let Some(id) = row.try_get::<Option<i64>, _>(format!("{prefix}_id").as_str())? else {
        return Ok(None);
    };
    Ok(Some(Person {
        id: UserId(id),
        email: row.try_get(format!("{prefix}_email").as_str())?,
        display_name: row.try_get(format!("{prefix}_name").as_str())?,
    }))
}

fn team_from_row(row: &AnyRow) -> Result<Team, sqlx::Error> {
    let lead = person_with_prefix(row, "lead")?;
    Ok(Team {
        id: TeamId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        lead,
        members: Vec::new(), // read separately: `members`
        notify_email: row.try_get("notify_email")?,
        notify_webhook_url: row.try_get("notify_webhook_url")?,
    })
}

fn system_from_row(row: &AnyRow) -> Result<System, sqlx::Error> {
    Ok(System {
        id: SystemId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        team: row.try_get("team_slug")?,
        customer_name: row.try_get("customer_name")?,
    })
}

/// Inserts an account; `None` when the slug or CRM id is taken.
pub async fn insert_account(
    conn: &mut AnyConnection,
    account: &super::model::AccountDraft,
    csm: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<Option<super::model::AccountId>, sqlx::Error> {
    let emails = serde_json::to_string(&account.contact_emails)
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO accounts (slug, name, crm_id, tier, csm_user_id, contact_emails, created_at, sla_policy_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT id FROM sla_policies WHERE slug = $8)) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(&account.slug)
    .bind(&account.name)
    .bind(account.crm_id.as_deref())
    .bind(account.tier.as_str())
    .bind(csm.map(|u| u.0))
    .bind(emails)
    .bind(millis(at))
    .bind(account.sla_policy.as_deref())
    .fetch_optional(conn)
    .await?;
    Ok(id.map(super::model::AccountId))
}

const ACCOUNT_SELECT: &str = "SELECT a.id, a.slug, a.name, a.crm_id, a.tier, a.contact_emails, \
     u.id AS csm_id, u.email AS csm_email, u.display_name AS csm_name, p.slug AS sla_policy \
     FROM accounts a LEFT JOIN users u ON u.id = a.csm_user_id \
     LEFT JOIN sla_policies p ON p.id = a.sla_policy_id";

/// Every account, by name.
pub async fn list_accounts(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<super::model::Account>, sqlx::Error> {
    let sql = format!("{ACCOUNT_SELECT} ORDER BY a.name, a.id");
    sqlx::query(&sql)
        .fetch_all(ex)
        .await?
        .iter()
        .map(account_from_row)
        .collect()
}

/// The accounts with these slugs (unknown slugs are simply absent).
pub async fn find_accounts(
    conn: &mut AnyConnection,
    slugs: &[String],
) -> Result<Vec<super::model::Account>, sqlx::Error> {
    let mut found = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let sql = format!("{ACCOUNT_SELECT} WHERE a.slug = $1");
        if let Some(row) = sqlx::query(&sql)
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?
        {
            found.push(account_from_row(&row)?);
        }
    }
    Ok(found)
}

/// Overwrites an account's imported fields (its slug stays: links and filters use it).
pub async fn update_account(
    conn: &mut AnyConnection,
    id: super::model::AccountId,
    account: &super::model::AccountDraft,
    csm: Option<UserId>,
) -> Result<(), sqlx::Error> {
    let emails = serde_json::to_string(&account.contact_emails)
        .map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "UPDATE accounts SET name = $2, tier = $3, csm_user_id = $4, contact_emails = $5, \
         sla_policy_id = (SELECT id FROM sla_policies WHERE slug = $6) WHERE id = $1",
    )
    .bind(id.0)
    .bind(&account.name)
    .bind(account.tier.as_str())
    .bind(csm.map(|u| u.0))
    .bind(emails)
    .bind(account.sla_policy.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

fn account_from_row(row: &AnyRow) -> Result<super::model::Account, sqlx::Error> {
    let csm = person_with_prefix(row, "csm")?;
    let emails: String = row.try_get("contact_emails")?;
    Ok(super::model::Account {
        id: super::model::AccountId(row.try_get("id")?),
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        crm_id: row.try_get("crm_id")?,
        tier: row
            .try_get::<String, _>("tier")?
            .parse()
            .map_err(|e| crate::db::decode_error("tier", e))?,
        csm,
        contact_emails: serde_json::from_str(&emails)
            .map_err(|e| crate::db::decode_error("contact_emails", e.to_string()))?,
        sla_policy: row.try_get("sla_policy")?,
    })
}

/// Adds someone to a team; `false` when they were on it already.
pub async fn add_member(
    conn: &mut AnyConnection,
    team: TeamId,
    user: UserId,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let added = sqlx::query(
        "INSERT INTO team_members (team_id, user_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT (team_id, user_id) DO NOTHING",
    )
    .bind(team.0)
    .bind(user.0)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(added.rows_affected() == 1)
}

/// Takes someone off a team; `false` when they were not on it.
pub async fn remove_member(
    conn: &mut AnyConnection,
    team: TeamId,
    user: UserId,
) -> Result<bool, sqlx::Error> {
    let removed = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND user_id = $2")
        .bind(team.0)
        .bind(user.0)
        .execute(conn)
        .await?;
    Ok(removed.rows_affected() == 1)
}

/// Team members with their team, by name: of one team, or of all.
pub async fn members(
    ex: impl Executor<'_, Database = Any>,
    team: Option<TeamId>,
) -> Result<Vec<(TeamId, Person)>, sqlx::Error> {
    sqlx::query(
        "SELECT tm.team_id, u.id AS member_id, u.email AS member_email, u.display_name AS member_name \
         FROM team_members tm JOIN users u ON u.id = tm.user_id \
         WHERE $1 = 0 OR tm.team_id = $1 ORDER BY u.display_name, u.id",
    )
    .bind(team.map_or(0, |t| t.0))
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        let person = person_with_prefix(row, "member")?
            .ok_or_else(|| crate::db::decode_error("member_id", "missing".into()))?;
        Ok((TeamId(row.try_get("team_id")?), person))
    })
    .collect()
}
