//! SQL for post-mortem versions (only ever inserted), their review, and follow-up
//! actions.

use super::model::{
    FollowUp, FollowUpKind, FollowUpStatus, Origin, ReviewComment, ReviewState, VersionSummary,
};
use crate::db::{decode_error, from_millis, millis};
use crate::incidents::model::IncidentId;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// A stored version, whole.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub summary: VersionSummary,
    pub body: String,
    pub generated_from_seq: i64,
    /// What each section was last generated as (sections.rs); for versions stored
    /// before sections were tracked, the body.
    pub generated_body: String,
    /// The zone the generated text's times are in (`None`: stored before zones were).
    pub generated_zone: Option<String>,
    /// The team template chosen for this incident (`None`: picked by severity).
    pub generated_template: Option<String>,
}

fn summary(row: &AnyRow) -> Result<VersionSummary, sqlx::Error> {
    let origin: String = row.try_get("origin")?;
    Ok(VersionSummary {
        version: row.try_get("version")?,
        origin: Origin::parse(&origin)
            .ok_or_else(|| decode_error("origin", format!("unknown origin {origin:?}")))?,
        author: row.try_get("author")?,
        created_at: from_millis("created_at", row.try_get("created_at")?)?,
    })
}

const VERSION_COLUMNS: &str =
    "version, body, origin, generated_from_seq, generated_body, generated_zone, generated_template, \
     author, created_at";

fn stored(row: &AnyRow) -> Result<StoredVersion, sqlx::Error> {
    let body: String = row.try_get("body")?;
    let generated_body: Option<String> = row.try_get("generated_body")?;
    Ok(StoredVersion {
        summary: summary(row)?,
        generated_body: generated_body.unwrap_or_else(|| body.clone()),
        body,
        generated_from_seq: row.try_get("generated_from_seq")?,
        generated_zone: row.try_get("generated_zone")?,
        generated_template: row.try_get("generated_template")?,
    })
}

/// The newest version, if any.
pub async fn latest(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Option<StoredVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM postmortem_versions \
         WHERE incident_id = $1 ORDER BY version DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(incident.0)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(stored).transpose()
}

/// One version, whole.
pub async fn version(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    version: i64,
) -> Result<Option<StoredVersion>, sqlx::Error> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM postmortem_versions WHERE incident_id = $1 AND version = $2"
    );
    let row = sqlx::query(&sql)
        .bind(incident.0)
        .bind(version)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(stored).transpose()
}

/// Every version, newest first (without their text).
pub async fn versions(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Vec<VersionSummary>, sqlx::Error> {
    sqlx::query(
        "SELECT version, origin, author, created_at FROM postmortem_versions \
         WHERE incident_id = $1 ORDER BY version DESC",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?
    .iter()
    .map(summary)
    .collect()
}

/// Stores `version`; `false` when that version number is already taken (someone
/// saved first).
pub async fn insert(
    conn: &mut AnyConnection,
    incident: IncidentId,
    version: &StoredVersion,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO postmortem_versions \
           (incident_id, version, body, origin, generated_from_seq, generated_body, \
            generated_zone, generated_template, author, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (incident_id, version) DO NOTHING",
    )
    .bind(incident.0)
    .bind(version.summary.version)
    .bind(&version.body)
    .bind(version.summary.origin.as_str())
    .bind(version.generated_from_seq)
    .bind(&version.generated_body)
    .bind(&version.generated_zone)
    .bind(&version.generated_template)
    .bind(&version.summary.author)
    .bind(millis(version.summary.created_at))
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// The review's state and published version (`None`: a draft never sent for review).
pub async fn review_state(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Option<(ReviewState, Option<i64>)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT state, published_version FROM postmortem_reviews WHERE incident_id = $1",
    )
    .bind(incident.0)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        let state: String = row.try_get("state")?;
        Ok((
            ReviewState::parse(&state)
                .ok_or_else(|| decode_error("state", format!("unknown state {state:?}")))?,
            row.try_get("published_version")?,
        ))
    })
    .transpose()
}

/// Sets the review's state (and the published version, for published).
pub async fn set_review_state(
    conn: &mut AnyConnection,
    incident: IncidentId,
    state: ReviewState,
    published_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO postmortem_reviews (incident_id, state, published_version, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (incident_id) DO UPDATE \
         SET state = excluded.state, published_version = excluded.published_version, \
             updated_at = excluded.updated_at",
    )
    .bind(incident.0)
    .bind(state.as_str())
    .bind(published_version)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The named reviewers as (user id, email, name, approved version), by name.
pub async fn reviewers(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Vec<(i64, String, String, Option<i64>)>, sqlx::Error> {
    sqlx::query(
        "SELECT u.id, u.email, u.display_name, r.approved_version FROM postmortem_reviewers r \
         JOIN users u ON u.id = r.user_id WHERE r.incident_id = $1 ORDER BY u.display_name, u.id",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        Ok((
            row.try_get("id")?,
            row.try_get("email")?,
            row.try_get("display_name")?,
            row.try_get("approved_version")?,
        ))
    })
    .collect()
}

/// Names the reviewers of a new round (the earlier round's are dropped).
pub async fn replace_reviewers(
    conn: &mut AnyConnection,
    incident: IncidentId,
    users: &[i64],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM postmortem_reviewers WHERE incident_id = $1")
        .bind(incident.0)
        .execute(&mut *conn)
        .await?;
    for user in users {
        sqlx::query("INSERT INTO postmortem_reviewers (incident_id, user_id) VALUES ($1, $2)")
            .bind(incident.0)
            .bind(user)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Records `user`'s approval of `version`.
pub async fn approve(
    conn: &mut AnyConnection,
    incident: IncidentId,
    user: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE postmortem_reviewers SET approved_version = $3, approved_at = $4 \
         WHERE incident_id = $1 AND user_id = $2",
    )
    .bind(incident.0)
    .bind(user)
    .bind(version)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_comment(
    conn: &mut AnyConnection,
    incident: IncidentId,
    comment: &ReviewComment,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO postmortem_comments (incident_id, version, author, body, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(incident.0)
    .bind(comment.version)
    .bind(&comment.author)
    .bind(&comment.body)
    .bind(millis(comment.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The review's comments, oldest first.
pub async fn comments(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Vec<ReviewComment>, sqlx::Error> {
    sqlx::query(
        "SELECT version, author, body, created_at FROM postmortem_comments \
         WHERE incident_id = $1 ORDER BY id",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        Ok(ReviewComment {
            version: row.try_get("version")?,
            author: row.try_get("author")?,
            body: row.try_get("body")?,
            created_at: from_millis("created_at", row.try_get("created_at")?)?,
        })
    })
    .collect()
}

/// A follow-up as stored, before `overdue` is decided.
const FOLLOWUP_COLUMNS: &str = "f.id, i.id AS incident_id, i.title AS incident_title, f.title, \
    f.kind, u.email AS owner_email, u.display_name AS owner_name, f.due_on, f.status, \
    f.tracker_url, f.from_seq, f.created_by, f.created_at, f.updated_at";
const FOLLOWUP_FROM: &str =
    "FROM followups f JOIN incidents i ON i.id = f.incident_id JOIN users u ON u.id = f.owner_id";

fn followup(row: &AnyRow, today: NaiveDate) -> Result<FollowUp, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    let due: String = row.try_get("due_on")?;
    let status = FollowUpStatus::parse(&status)
        .ok_or_else(|| decode_error("status", format!("unknown status {status:?}")))?;
    let due_on = NaiveDate::parse_from_str(&due, "%Y-%m-%d")
        .map_err(|e| decode_error("due_on", e.to_string()))?;
    Ok(FollowUp {
        id: row.try_get("id")?,
        incident: IncidentId(row.try_get("incident_id")?).key(),
        incident_title: row.try_get("incident_title")?,
        title: row.try_get("title")?,
        kind: FollowUpKind::parse(&kind)
            .ok_or_else(|| decode_error("kind", format!("unknown kind {kind:?}")))?,
        owner_email: row.try_get("owner_email")?,
        owner_name: row.try_get("owner_name")?,
        due_on,
        status,
        tracker_url: row.try_get("tracker_url")?,
        from_seq: row.try_get("from_seq")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis("created_at", row.try_get("created_at")?)?,
        updated_at: from_millis("updated_at", row.try_get("updated_at")?)?,
        overdue: status.is_pending() && due_on < today,
    })
}

/// A follow-up to store.
pub struct NewFollowUp<'a> {
    pub incident: IncidentId,
    pub title: &'a str,
    pub kind: FollowUpKind,
    pub owner: i64,
    pub due_on: NaiveDate,
    pub tracker_url: Option<&'a str>,
    pub from_seq: Option<i64>,
    pub created_by: &'a str,
}

pub async fn insert_followup(
    conn: &mut AnyConnection,
    new: &NewFollowUp<'_>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO followups (incident_id, title, kind, owner_id, due_on, status, tracker_url, \
           from_seq, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(new.incident.0)
    .bind(new.title)
    .bind(new.kind.as_str())
    .bind(new.owner)
    .bind(new.due_on.format("%Y-%m-%d").to_string())
    .bind(new.tracker_url)
    .bind(new.from_seq)
    .bind(new.created_by)
    .bind(millis(now))
    .fetch_one(conn)
    .await?
    .try_get("id")
}

pub async fn find_followup(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
    today: NaiveDate,
) -> Result<Option<FollowUp>, sqlx::Error> {
    let sql = format!("SELECT {FOLLOWUP_COLUMNS} {FOLLOWUP_FROM} WHERE f.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(ex).await?;
    row.map(|row| followup(&row, today)).transpose()
}

/// An incident's follow-ups, oldest first.
pub async fn incident_followups(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    today: NaiveDate,
) -> Result<Vec<FollowUp>, sqlx::Error> {
    let sql =
        format!("SELECT {FOLLOWUP_COLUMNS} {FOLLOWUP_FROM} WHERE f.incident_id = $1 ORDER BY f.id");
    sqlx::query(&sql)
        .bind(incident.0)
        .fetch_all(ex)
        .await?
        .iter()
        .map(|row| followup(row, today))
        .collect()
}

/// Follow-ups across incidents: by owner (user id), owners on a team, overdue only,
/// with or without closed ones; soonest due first.
pub async fn list_followups(
    ex: impl Executor<'_, Database = Any>,
    owner: Option<i64>,
    team: Option<i64>,
    overdue: bool,
    closed: bool,
    today: NaiveDate,
) -> Result<Vec<FollowUp>, sqlx::Error> {
    let mut sql = format!(
        "SELECT {FOLLOWUP_COLUMNS} {FOLLOWUP_FROM} \
         WHERE ($1 IS NULL OR f.owner_id = $1) \
           AND ($2 IS NULL OR f.owner_id IN (SELECT user_id FROM team_members WHERE team_id = $2))"
    );
    if overdue {
        sql.push_str(" AND f.status IN ('open', 'in_progress') AND f.due_on < $3");
    } else if !closed {
        sql.push_str(" AND f.status IN ('open', 'in_progress')");
    }
    sql.push_str(" ORDER BY f.due_on, f.id LIMIT 500");
    let mut query = sqlx::query(&sql).bind(owner).bind(team);
    if overdue {
        query = query.bind(today.format("%Y-%m-%d").to_string());
    }
    query
        .fetch_all(ex)
        .await?
        .iter()
        .map(|row| followup(row, today))
        .collect()
}

/// Writes a follow-up's status, owner and due date; a new owner or due date is
/// reminded afresh.
pub async fn update_followup(
    conn: &mut AnyConnection,
    id: i64,
    (status, owner, due_on): (FollowUpStatus, i64, NaiveDate),
    reset_reminder: bool,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE followups SET status = $2, owner_id = $3, due_on = $4, updated_at = $5, \
           reminded_at = CASE WHEN $6 = 1 THEN NULL ELSE reminded_at END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(status.as_str())
    .bind(owner)
    .bind(due_on.format("%Y-%m-%d").to_string())
    .bind(millis(now))
    .bind(i64::from(reset_reminder))
    .execute(conn)
    .await?;
    Ok(())
}

/// Overdue follow-ups whose owner has not been reminded since `remind_before`:
/// (id, incident).
pub async fn due_reminders(
    ex: impl Executor<'_, Database = Any>,
    today: NaiveDate,
    remind_before: DateTime<Utc>,
) -> Result<Vec<(i64, IncidentId)>, sqlx::Error> {
    sqlx::query(
        "SELECT id, incident_id FROM followups WHERE status IN ('open', 'in_progress') \
         AND due_on < $1 AND (reminded_at IS NULL OR reminded_at < $2) ORDER BY id",
    )
    .bind(today.format("%Y-%m-%d").to_string())
    .bind(millis(remind_before))
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| Ok((row.try_get("id")?, IncidentId(row.try_get("incident_id")?))))
    .collect()
}

/// Claims a reminder: `true` for the one caller (across replicas) that marks it.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    id: i64,
    remind_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE followups SET reminded_at = $3 WHERE id = $1 \
         AND (reminded_at IS NULL OR reminded_at < $2)",
    )
    .bind(id)
    .bind(millis(remind_before))
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// The owner's id and email of a follow-up.
pub async fn followup_owner(
    ex: impl Executor<'_, Database = Any>,
    id: i64,
) -> Result<Option<crate::catalog::model::Person>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT u.id, u.email, u.display_name FROM followups f JOIN users u ON u.id = f.owner_id \
         WHERE f.id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        Ok(crate::catalog::model::Person {
            id: crate::catalog::model::UserId(row.try_get("id")?),
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
        })
    })
    .transpose()
}

/// A template the team saved: its text, who saved it, when.
pub struct SavedTemplate {
    pub name: String,
    pub body: String,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// Every template the team saved.
pub async fn templates(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<SavedTemplate>, sqlx::Error> {
    sqlx::query("SELECT name, body, updated_by, updated_at FROM postmortem_templates")
        .fetch_all(ex)
        .await?
        .iter()
        .map(|row| {
            Ok(SavedTemplate {
                name: row.try_get("name")?,
                body: row.try_get("body")?,
                updated_by: row.try_get("updated_by")?,
                updated_at: from_millis("updated_at", row.try_get("updated_at")?)?,
            })
        })
        .collect()
}

/// The saved text of the first of `names` the team saved, in that order.
pub async fn first_template(
    ex: impl Executor<'_, Database = Any>,
    names: [&str; 2],
) -> Result<Option<String>, sqlx::Error> {
    let rows = sqlx::query("SELECT name, body FROM postmortem_templates WHERE name IN ($1, $2)")
        .bind(names[0])
        .bind(names[1])
        .fetch_all(ex)
        .await?;
    for name in names {
        for row in &rows {
            if row.try_get::<String, _>("name")? == name {
                return Ok(Some(row.try_get("body")?));
            }
        }
    }
    Ok(None)
}

pub async fn save_template(
    ex: impl Executor<'_, Database = Any>,
    name: &str,
    body: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO postmortem_templates (name, body, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
           body = excluded.body, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(body)
    .bind(by)
    .bind(millis(now))
    .execute(ex)
    .await?;
    Ok(())
}

/// Drops the team's text: the name goes back to the default (or the built-in).
pub async fn remove_template(
    ex: impl Executor<'_, Database = Any>,
    name: &str,
) -> Result<bool, sqlx::Error> {
    let removed = sqlx::query("DELETE FROM postmortem_templates WHERE name = $1")
        .bind(name)
        .execute(ex)
        .await?;
    Ok(removed.rows_affected() > 0)
}
