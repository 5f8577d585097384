//! SQL for timeline entries and their revisions. Rows are only ever inserted.

use super::model::{EntryId, EntryKind, NewEntry, Redaction, Revision, TimelineEntry};
use crate::db::{decode_error, from_millis, millis, optional_time};
use crate::incidents::model::IncidentId;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// Entries with their current text (the latest revision, or the original) and their
/// redaction, if any.
const SELECT_CURRENT: &str = "\
    SELECT e.id, e.incident_id, e.seq, e.detail, e.author, e.occurred_at, e.recorded_at, \
           e.customer_visible, COALESCE(r.body, e.body) AS body, \
           CASE WHEN r.entry_id IS NULL THEN e.body_html ELSE r.body_html END AS body_html, \
           COALESCE(r.revision, CAST(1 AS BIGINT)) AS revision, \
           x.author AS redacted_by, x.reason AS redaction_reason, x.recorded_at AS redacted_at \
    FROM timeline_entries e \
    LEFT JOIN timeline_revisions r ON r.entry_id = e.id \
         AND r.revision = (SELECT MAX(m.revision) FROM timeline_revisions m WHERE m.entry_id = e.id) \
    LEFT JOIN timeline_redactions x ON x.entry_id = e.id";

/// Inserts an entry at `seq`. Returns `None` when an entry with the same idempotency
/// key already exists for the incident (nothing is written then).
pub async fn insert_entry(
    conn: &mut AnyConnection,
    incident: IncidentId,
    seq: i64,
    entry: &NewEntry,
    body_html: &str,
    recorded_at: DateTime<Utc>,
) -> Result<Option<EntryId>, sqlx::Error> {
    let detail = serde_json::to_string(&entry.kind).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO timeline_entries \
           (incident_id, seq, kind, detail, author, body, occurred_at, recorded_at, customer_visible, idempotency_key, body_html) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (incident_id, idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(incident.0)
    .bind(seq)
    .bind(entry.kind.name())
    .bind(detail)
    .bind(&entry.author)
    .bind(&entry.body)
    .bind(entry.occurred_at.map(millis))
    .bind(millis(recorded_at))
    .bind(i64::from(entry.customer_visible))
    .bind(entry.idempotency_key.as_deref())
    .bind(body_html)
    .fetch_optional(conn)
    .await?;
    Ok(id.map(EntryId))
}

/// The incident's entries after `after_seq`, in seq order.
pub async fn list_after(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    after_seq: i64,
) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    let sql = format!("{SELECT_CURRENT} WHERE e.incident_id = $1 AND e.seq > $2 ORDER BY e.seq");
    sqlx::query(&sql)
        .bind(incident.0)
        .bind(after_seq)
        .fetch_all(ex)
        .await?
        .iter()
        .map(entry_from_row)
        .collect()
}

/// The entry created at `seq`.
pub async fn find_by_seq(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    seq: i64,
) -> Result<Option<TimelineEntry>, sqlx::Error> {
    let sql = format!("{SELECT_CURRENT} WHERE e.incident_id = $1 AND e.seq = $2");
    fetch_one_entry(ex, &sql, incident, seq).await
}

/// The entry stored under an idempotency key.
pub async fn find_by_idempotency_key(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    key: &str,
) -> Result<Option<TimelineEntry>, sqlx::Error> {
    let sql = format!("{SELECT_CURRENT} WHERE e.incident_id = $1 AND e.idempotency_key = $2");
    fetch_one_entry(ex, &sql, incident, key).await
}

async fn fetch_one_entry<'q, T>(
    ex: impl Executor<'_, Database = Any>,
    sql: &'q str,
    incident: IncidentId,
    key: T,
) -> Result<Option<TimelineEntry>, sqlx::Error>
where
    T: 'q + Send + sqlx::Encode<'q, Any> + sqlx::Type<Any>,
{
    sqlx::query(sql)
        .bind(incident.0)
        .bind(key)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(entry_from_row)
        .transpose()
}

/// Stores a corrected text as the entry's next revision and returns its number.
pub async fn insert_revision(
    conn: &mut AnyConnection,
    entry: EntryId,
    seq: i64,
    author: &str,
    (body, body_html): (&str, &str),
    recorded_at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO timeline_revisions (entry_id, revision, seq, author, body, recorded_at, body_html) \
         SELECT $1, COALESCE(MAX(revision), 1) + 1, $2, $3, $4, $5, $6 FROM timeline_revisions WHERE entry_id = $1 \
         RETURNING revision",
    )
    .bind(entry.0)
    .bind(seq)
    .bind(author)
    .bind(body)
    .bind(millis(recorded_at))
    .bind(body_html)
    .fetch_one(conn)
    .await
}

/// Records an entry's removal; `false` when it was removed already.
pub async fn insert_redaction(
    conn: &mut AnyConnection,
    entry: EntryId,
    seq: i64,
    redaction: &Redaction,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO timeline_redactions (entry_id, seq, author, reason, recorded_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(entry.0)
    .bind(seq)
    .bind(&redaction.author)
    .bind(&redaction.reason)
    .bind(millis(redaction.recorded_at))
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

/// Every version of an entry's text, oldest first (revision 1 is the original).
pub async fn list_revisions(
    ex: impl Executor<'_, Database = Any>,
    entry: EntryId,
) -> Result<Vec<Revision>, sqlx::Error> {
    sqlx::query(
        "SELECT CAST(1 AS BIGINT) AS revision, author, body, recorded_at FROM timeline_entries WHERE id = $1 \
         UNION ALL \
         SELECT revision, author, body, recorded_at FROM timeline_revisions WHERE entry_id = $1 \
         ORDER BY revision",
    )
    .bind(entry.0)
    .fetch_all(ex)
    .await?
    .iter()
    .map(|row| {
        Ok(Revision {
            revision: row.try_get("revision")?,
            author: row.try_get("author")?,
            body: row.try_get("body")?,
            recorded_at: from_millis("recorded_at", row.try_get("recorded_at")?)?,
        })
    })
    .collect()
}

fn entry_from_row(row: &AnyRow) -> Result<TimelineEntry, sqlx::Error> {
    let detail: String = row.try_get("detail")?;
    let kind: EntryKind =
        serde_json::from_str(&detail).map_err(|e| decode_error("detail", e.to_string()))?;
    let redaction = match row.try_get::<Option<String>, _>("redacted_by")? {
        Some(author) => Some(Redaction {
            author,
            reason: row.try_get("redaction_reason")?,
            recorded_at: from_millis("redacted_at", row.try_get("redacted_at")?)?,
        }),
        None => None,
    };
    // A removed entry's text is withheld here, so no reader can leak it by accident.
    let (body, body_html) = if redaction.is_some() {
        (String::new(), String::new())
    } else {
        let body: String = row.try_get("body")?;
        let html = row.try_get::<Option<String>, _>("body_html")?;
        let html = html.unwrap_or_else(|| crate::markdown::to_safe_html(&body));
        (body, html)
    };
    Ok(TimelineEntry {
        id: EntryId(row.try_get("id")?),
        incident: IncidentId(row.try_get("incident_id")?),
        seq: row.try_get("seq")?,
        kind,
        author: row.try_get("author")?,
        body,
        body_html,
        occurred_at: optional_time(row, "occurred_at")?,
        recorded_at: from_millis("recorded_at", row.try_get("recorded_at")?)?,
        customer_visible: row.try_get::<i64, _>("customer_visible")? != 0,
        revision: row.try_get("revision")?,
        redaction,
    })
}
