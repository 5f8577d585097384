//! SQL for incidents.

use super::model::{Declaration, Incident, IncidentId};
use crate::db::Db;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

const COLUMNS: &str = "id, title, severity, status, description, declared_at";

/// Inserts a declared incident and returns its id.
pub async fn insert(
    db: &Db,
    d: &Declaration,
    declared_at: DateTime<Utc>,
) -> Result<IncidentId, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO incidents (title, severity, description, declared_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(&d.title)
    .bind(d.severity.as_str())
    .bind(&d.description)
    .bind(declared_at.timestamp_millis())
    .fetch_one(db.pool())
    .await?;
    Ok(IncidentId(id))
}

/// The newest incidents first, at most `limit`.
pub async fn list_newest(db: &Db, limit: i64) -> Result<Vec<Incident>, sqlx::Error> {
    let sql =
        format!("SELECT {COLUMNS} FROM incidents ORDER BY declared_at DESC, id DESC LIMIT $1");
    sqlx::query(&sql)
        .bind(limit)
        .fetch_all(db.pool())
        .await?
        .iter()
        .map(incident_from_row)
        .collect()
}

/// One incident by id.
pub async fn find(db: &Db, id: IncidentId) -> Result<Option<Incident>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM incidents WHERE id = $1");
    sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .as_ref()
        .map(incident_from_row)
        .transpose()
}

fn incident_from_row(row: &AnyRow) -> Result<Incident, sqlx::Error> {
    let decode = |column: &str, err: String| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: err.into(),
    };
    let declared_at: i64 = row.try_get("declared_at")?;
    Ok(Incident {
        id: IncidentId(row.try_get("id")?),
        title: row.try_get("title")?,
        severity: row
            .try_get::<String, _>("severity")?
            .parse()
            .map_err(|e| decode("severity", e))?,
        status: row
            .try_get::<String, _>("status")?
            .parse()
            .map_err(|e| decode("status", e))?,
        description: row.try_get("description")?,
        declared_at: DateTime::from_timestamp_millis(declared_at)
            .ok_or_else(|| decode("declared_at", format!("{declared_at} is out of range")))?,
    })
}
