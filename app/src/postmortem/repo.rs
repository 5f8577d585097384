//! SQL for post-mortem versions. Rows are only ever inserted.

use super::model::{Origin, VersionSummary};
use crate::db::{decode_error, from_millis, millis};
use crate::incidents::model::IncidentId;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// A stored version, whole.
#[derive(Debug, Clone)]
pub struct StoredVersion {
    pub summary: VersionSummary,
    pub body: String,
    pub generated_from_seq: i64,
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

/// The newest version, if any.
pub async fn latest(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Option<StoredVersion>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT version, body, origin, generated_from_seq, author, created_at FROM postmortem_versions \
         WHERE incident_id = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(incident.0)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        Ok(StoredVersion {
            summary: summary(&row)?,
            body: row.try_get("body")?,
            generated_from_seq: row.try_get("generated_from_seq")?,
        })
    })
    .transpose()
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
           (incident_id, version, body, origin, generated_from_seq, author, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id, version) DO NOTHING",
    )
    .bind(incident.0)
    .bind(version.summary.version)
    .bind(&version.body)
    .bind(version.summary.origin.as_str())
    .bind(version.generated_from_seq)
    .bind(&version.summary.author)
    .bind(millis(version.summary.created_at))
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
