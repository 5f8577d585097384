//! Reading the incident event log.

use super::model::LiveEvent;
use crate::db::from_millis;
use crate::incidents::model::IncidentId;
use sqlx::{Any, Executor, Row};

/// Events with `after < seq <= upto`, in seq order (`upto: None`: to the end).
pub async fn events(
    ex: impl Executor<'_, Database = Any>,
    id: IncidentId,
    after: i64,
    upto: Option<i64>,
) -> Result<Vec<LiveEvent>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, kind, payload, recorded_at FROM incident_events \
         WHERE incident_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq",
    )
    .bind(id.0)
    .bind(after)
    .bind(upto.unwrap_or(i64::MAX))
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let payload: String = row.try_get("payload")?;
            Ok(LiveEvent {
                incident: id.key(),
                seq: row.try_get("seq")?,
                kind: row.try_get("kind")?,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| crate::db::decode_error("payload", e.to_string()))?,
                at: from_millis("recorded_at", row.try_get("recorded_at")?)?,
            })
        })
        .collect()
}
