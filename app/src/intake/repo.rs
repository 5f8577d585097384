//! SQL for integrations, their deliveries and the alert → incident links.

use super::model::{RoutingRule, SourceKind};
use crate::db::{decode_error, from_millis, millis};
use crate::incidents::model::{IncidentId, Severity};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

/// An integration as stored, secret included (never sent to a reader).
#[derive(Debug, Clone)]
pub struct StoredIntegration {
    pub id: i64,
    pub public_id: String,
    pub kind: SourceKind,
    pub name: String,
    pub secret: String,
    pub default_severity: Severity,
    pub systems: Vec<String>,
    pub rules: Vec<RoutingRule>,
    pub rejected: i64,
    pub accepted: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, public_id, kind, name, secret, default_severity, systems, rules, \
    rejected, accepted, created_by, created_at";

fn integration(row: &AnyRow) -> Result<StoredIntegration, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let severity: String = row.try_get("default_severity")?;
    let systems: String = row.try_get("systems")?;
    let rules: String = row.try_get("rules")?;
    Ok(StoredIntegration {
        rules: serde_json::from_str(&rules).map_err(|e| decode_error("rules", e.to_string()))?,
        id: row.try_get("id")?,
        public_id: row.try_get("public_id")?,
        kind: SourceKind::parse(&kind)
            .ok_or_else(|| decode_error("kind", format!("unknown source {kind:?}")))?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        default_severity: severity
            .parse()
            .map_err(|e: String| decode_error("default_severity", e))?,
        systems: systems
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        rejected: row.try_get("rejected")?,
        accepted: row.try_get("accepted")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis("created_at", row.try_get("created_at")?)?,
    })
}

pub async fn insert_integration(
    ex: impl Executor<'_, Database = Any>,
    new: &StoredIntegration,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO integrations (public_id, kind, name, secret, default_severity, systems, \
           created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&new.public_id)
    .bind(new.kind.as_str())
    .bind(&new.name)
    .bind(&new.secret)
    .bind(new.default_severity.as_str())
    .bind(new.systems.join(","))
    .bind(&new.created_by)
    .bind(millis(new.created_at))
    .fetch_one(ex)
    .await?
    .try_get("id")
}

pub async fn find_integration(
    ex: impl Executor<'_, Database = Any>,
    public_id: &str,
) -> Result<Option<StoredIntegration>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM integrations WHERE public_id = $1");
    let row = sqlx::query(&sql).bind(public_id).fetch_optional(ex).await?;
    row.as_ref().map(integration).transpose()
}

pub async fn integrations(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<StoredIntegration>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM integrations ORDER BY id");
    sqlx::query(&sql)
        .fetch_all(ex)
        .await?
        .iter()
        .map(integration)
        .collect()
}

/// Counts a delivery refused for its signature.
pub async fn count_rejected(
    ex: impl Executor<'_, Database = Any>,
    integration: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE integrations SET rejected = rejected + 1 WHERE id = $1")
        .bind(integration)
        .execute(ex)
        .await?;
    Ok(())
}

/// Keeps an accepted delivery's body and what it did; counts it (a replay is not
/// counted: the source sent it once).
pub async fn insert_delivery(
    conn: &mut AnyConnection,
    integration: i64,
    received_at: DateTime<Utc>,
    body: &str,
    outcome: &str,
    replay_of: Option<i64>,
) -> Result<i64, sqlx::Error> {
    if replay_of.is_none() {
        sqlx::query("UPDATE integrations SET accepted = accepted + 1 WHERE id = $1")
            .bind(integration)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO alert_deliveries (integration_id, received_at, body, outcome, replay_of) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(integration)
    .bind(millis(received_at))
    .bind(body)
    .bind(outcome)
    .bind(replay_of)
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")
}

/// A kept delivery as stored.
pub struct StoredDelivery {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    pub body: String,
    pub outcome: String,
    pub replay_of: Option<i64>,
}

const DELIVERY_COLUMNS: &str = "id, received_at, body, outcome, replay_of";

fn delivery(row: &AnyRow) -> Result<StoredDelivery, sqlx::Error> {
    Ok(StoredDelivery {
        id: row.try_get("id")?,
        received_at: from_millis("received_at", row.try_get("received_at")?)?,
        body: row.try_get("body")?,
        outcome: row.try_get("outcome")?,
        replay_of: row.try_get("replay_of")?,
    })
}

/// An integration's latest deliveries, newest first.
pub async fn recent_deliveries(
    ex: impl Executor<'_, Database = Any>,
    integration: i64,
    limit: i64,
) -> Result<Vec<StoredDelivery>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries \
             WHERE integration_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(integration)
    .bind(limit)
    .fetch_all(ex)
    .await?
    .iter()
    .map(delivery)
    .collect()
}

/// One of an integration's deliveries.
pub async fn find_delivery(
    ex: impl Executor<'_, Database = Any>,
    integration: i64,
    id: i64,
) -> Result<Option<StoredDelivery>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE integration_id = $1 AND id = $2"
    ))
    .bind(integration)
    .bind(id)
    .fetch_optional(ex)
    .await?
    .as_ref()
    .map(delivery)
    .transpose()
}

/// Where an alert's key stands, after counting this firing.
pub struct Link {
    pub incident: Option<IncidentId>,
    /// Deliveries since the last entry, this one included.
    pub unwritten: i64,
    pub last_entry_at: DateTime<Utc>,
}

/// Counts one more delivery for `key`, creating its row on the first. The update
/// holds the row until the transaction ends, so concurrent deliveries of one key
/// (on PostgreSQL, where writers do not queue) take turns deciding.
pub async fn bump_link(
    conn: &mut AnyConnection,
    integration: i64,
    key: &str,
) -> Result<Link, sqlx::Error> {
    // One statement: a first firing inserts the row, a repeat counts on it.
    let row = sqlx::query(
        "INSERT INTO alert_links (integration_id, dedup_key, incident_id, firings, unwritten, \
           last_entry_at) VALUES ($1, $2, NULL, 1, 1, 0) \
         ON CONFLICT (integration_id, dedup_key) DO UPDATE SET \
           firings = alert_links.firings + 1, unwritten = alert_links.unwritten + 1 \
         RETURNING incident_id, unwritten, last_entry_at",
    )
    .bind(integration)
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Link {
        incident: row
            .try_get::<Option<i64>, _>("incident_id")?
            .map(IncidentId),
        unwritten: row.try_get("unwritten")?,
        last_entry_at: from_millis("last_entry_at", row.try_get("last_entry_at")?)?,
    })
}

/// The key now feeds `incident`, with every delivery so far written.
pub async fn written(
    conn: &mut AnyConnection,
    integration: i64,
    key: &str,
    incident: IncidentId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE alert_links SET incident_id = $3, unwritten = 0, last_entry_at = $4 \
         WHERE integration_id = $1 AND dedup_key = $2",
    )
    .bind(integration)
    .bind(key)
    .bind(incident.0)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the integration's routing rules.
pub async fn save_rules(
    ex: impl Executor<'_, Database = Any>,
    integration: i64,
    rules: &[RoutingRule],
) -> Result<(), sqlx::Error> {
    let text = serde_json::to_string(rules).map_err(|e| decode_error("rules", e.to_string()))?;
    sqlx::query("UPDATE integrations SET rules = $2 WHERE id = $1")
        .bind(integration)
        .bind(text)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_secret(
    ex: impl Executor<'_, Database = Any>,
    integration: i64,
    secret: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE integrations SET secret = $2 WHERE id = $1")
        .bind(integration)
        .bind(secret)
        .execute(ex)
        .await?;
    Ok(())
}
