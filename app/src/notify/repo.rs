//! SQL for notifications and the delivery outbox.

use super::model::{Channel, Delivery, Notification};
use crate::catalog::model::UserId;
use crate::db::{decode_error, from_millis, millis, optional_time};
use crate::incidents::model::IncidentId;
use chrono::{DateTime, Utc};
use sqlx::{Any, AnyConnection, Executor, Row};

/// Stores an in-app notification and returns its id.
pub async fn insert_notification(
    conn: &mut AnyConnection,
    incident: IncidentId,
    user: Option<UserId>,
    recipient: &str,
    reason: &str,
    message: &str,
    at: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO notifications (incident_id, user_id, recipient, reason, message, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(incident.0)
    .bind(user.map(|u| u.0))
    .bind(recipient)
    .bind(reason)
    .bind(message)
    .bind(millis(at))
    .fetch_one(conn)
    .await
}

/// Queues a delivery, due at once.
pub async fn enqueue_delivery(
    conn: &mut AnyConnection,
    notification: i64,
    channel: Channel,
    target: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (notification_id, channel, target, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(notification)
    .bind(channel.as_str())
    .bind(target)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The incident's notifications with their deliveries, oldest first.
pub async fn list_for_incident(
    ex: impl Executor<'_, Database = Any> + Copy,
    incident: IncidentId,
) -> Result<Vec<Notification>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT n.id, n.recipient, n.reason, n.created_at, d.channel, d.target, d.status, d.attempts, \
                d.last_error, d.delivered_at \
         FROM notifications n LEFT JOIN deliveries d ON d.notification_id = n.id \
         WHERE n.incident_id = $1 ORDER BY n.id, d.id",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    let mut notifications: Vec<(i64, Notification)> = Vec::new();
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        if notifications.last().is_none_or(|(last, _)| *last != id) {
            notifications.push((
                id,
                Notification {
                    recipient: row.try_get("recipient")?,
                    reason: row.try_get("reason")?,
                    created_at: from_millis("created_at", row.try_get("created_at")?)?,
                    deliveries: Vec::new(),
                },
            ));
        }
        if let Some(channel) = row.try_get::<Option<String>, _>("channel")? {
            let delivery = Delivery {
                channel: channel.parse().map_err(|e| decode_error("channel", e))?,
                target: row.try_get("target")?,
                status: row
                    .try_get::<String, _>("status")?
                    .parse()
                    .map_err(|e| decode_error("status", e))?,
                attempts: row.try_get("attempts")?,
                last_error: row.try_get("last_error")?,
                delivered_at: optional_time(row, "delivered_at")?,
            };
            if let Some((_, notification)) = notifications.last_mut() {
                notification.deliveries.push(delivery);
            }
        }
    }
    Ok(notifications.into_iter().map(|(_, n)| n).collect())
}

/// A table of deliveries the worker sends from; both have the same delivery
/// columns (channel, target, status, attempts, next_attempt_at, lease_until,
/// last_error, delivered_at) and differ only in what they send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Notifications to people here (`deliveries`).
    Notifications,
    /// Customer messages to accounts (`customer_deliveries`, written by comms).
    CustomerMessages,
    /// Status page subscribers' email (`status_emails`, written by statuspage).
    StatusEmails,
}

impl Queue {
    pub const ALL: [Queue; 3] = [
        Queue::Notifications,
        Queue::CustomerMessages,
        Queue::StatusEmails,
    ];

    /// The queue's name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Notifications => "notifications",
            Queue::CustomerMessages => "customer_messages",
            Queue::StatusEmails => "status_emails",
        }
    }

    fn table(self) -> &'static str {
        match self {
            Queue::Notifications => "deliveries",
            Queue::CustomerMessages => "customer_deliveries",
            Queue::StatusEmails => "status_emails",
        }
    }
}

/// A delivery the worker has claimed.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub queue: Queue,
    pub id: i64,
    pub channel: Channel,
    pub target: String,
    /// Attempts including this one.
    pub attempt: i64,
}

/// What a notification delivery sends, and the incident it is about.
pub async fn notification_content(
    ex: impl Executor<'_, Database = Any>,
    delivery: i64,
) -> Result<Option<(crate::incidents::model::IncidentId, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT n.incident_id, n.message FROM deliveries d JOIN notifications n ON n.id = d.notification_id WHERE d.id = $1",
    )
    .bind(delivery)
    .fetch_optional(ex)
    .await?;
    row.map(|row| {
        Ok((
            crate::incidents::model::IncidentId(row.try_get("incident_id")?),
            row.try_get("message")?,
        ))
    })
    .transpose()
}

/// Claims up to `limit` due deliveries of a queue for `lease` (a crashed worker's
/// claim expires). The claim is a compare-and-set, so two workers never both take
/// the same delivery.
pub async fn claim_due(
    ex: impl Executor<'_, Database = Any> + Copy,
    queue: Queue,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>, sqlx::Error> {
    let table = queue.table();
    let candidates = sqlx::query(&format!(
        "SELECT d.id FROM {table} d WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
         AND (d.lease_until IS NULL OR d.lease_until < $1) ORDER BY d.next_attempt_at, d.id LIMIT $2"
    ))
    .bind(millis(now))
    .bind(limit)
    .fetch_all(ex)
    .await?;
    let mut claimed = Vec::new();
    for candidate in candidates {
        let id: i64 = candidate.try_get("id")?;
        let row = sqlx::query(&format!(
            "UPDATE {table} SET lease_until = $2, attempts = attempts + 1 \
             WHERE id = $1 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3) \
             RETURNING channel, target, attempts"
        ))
        .bind(id)
        .bind(millis(lease_until))
        .bind(millis(now))
        .fetch_optional(ex)
        .await?;
        if let Some(row) = row {
            claimed.push(ClaimedDelivery {
                queue,
                id,
                channel: row
                    .try_get::<String, _>("channel")?
                    .parse()
                    .map_err(|e| decode_error("channel", e))?,
                target: row.try_get("target")?,
                attempt: row.try_get("attempts")?,
            });
        }
    }
    Ok(claimed)
}

/// Records a successful delivery.
pub async fn mark_delivered(
    ex: impl Executor<'_, Database = Any>,
    queue: Queue,
    id: i64,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("UPDATE {} SET status = 'delivered', delivered_at = $2, lease_until = NULL, last_error = NULL WHERE id = $1", queue.table()))
        .bind(id)
        .bind(millis(at))
        .execute(ex)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or given up when `None`.
pub async fn mark_failed_attempt(
    ex: impl Executor<'_, Database = Any>,
    queue: Queue,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    let status = if retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    sqlx::query(&format!("UPDATE {} SET status = $2, last_error = $3, next_attempt_at = COALESCE($4, next_attempt_at), lease_until = NULL WHERE id = $1", queue.table()))
        .bind(id)
        .bind(status)
        .bind(error)
        .bind(retry_at.map(millis))
        .execute(ex)
        .await?;
    Ok(())
}

/// How many of the queue's deliveries are pending, delivered and failed (given up).
pub async fn count_by_status(
    ex: impl Executor<'_, Database = Any>,
    queue: Queue,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT status, COUNT(*) FROM {} GROUP BY status",
        queue.table()
    ))
    .fetch_all(ex)
    .await
}

/// When the queue's next pending delivery falls due (or its lease expires), if any.
pub async fn next_due(
    ex: impl Executor<'_, Database = Any>,
    queue: Queue,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let next: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) \
         FROM {} WHERE status = 'pending'",
        queue.table()
    ))
    .fetch_one(ex)
    .await?;
    next.map(|ms| from_millis("next_attempt_at", ms))
        .transpose()
}

/// The webhooks (team channels) already told about `incident`, for its follow-ups.
pub async fn webhook_targets(
    conn: &mut AnyConnection,
    incident: IncidentId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT d.target FROM deliveries d JOIN notifications n ON n.id = d.notification_id \
         WHERE n.incident_id = $1 AND d.channel = 'webhook' ORDER BY d.target",
    )
    .bind(incident.0)
    .fetch_all(conn)
    .await
}
