//! SQL for customer communication: schedules, messages (versions, transitions,
//! recipients, deliveries), templates and approval policies.

use super::model::{
    ApprovalPolicy, Audience, CustomerDelivery, CustomerMessage, CustomerStatus, GuardOverride,
    MessageState, MessageVersion, Template, Transition,
};
use crate::catalog::model::Tier;
use crate::db::{decode_error, from_millis, millis, optional_time};
use crate::incidents::model::IncidentId;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};
use std::collections::HashMap;

/// A schedule as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRow {
    pub incident: IncidentId,
    pub default_interval_min: i64,
    pub interval_min: Option<i64>,
    pub anchor_at: DateTime<Utc>,
    pub due_override_at: Option<DateTime<Utc>>,
    pub fired_due_at: Option<DateTime<Utc>>,
    pub paused: Option<(DateTime<Utc>, String, String)>,
    pub active: bool,
}

impl ScheduleRow {
    /// Minutes between updates in force.
    pub fn interval(&self) -> i64 {
        self.interval_min.unwrap_or(self.default_interval_min)
    }

    /// When the next update is due.
    pub fn due(&self) -> DateTime<Utc> {
        super::schedule::due_at(self.anchor_at, self.interval(), self.due_override_at)
    }
}

const SCHEDULE_SELECT: &str = "SELECT incident_id, default_interval_min, interval_min, anchor_at, \
     due_override_at, fired_due_at, paused_at, paused_by, pause_reason, active FROM comms_schedules";

fn schedule_from_row(row: &AnyRow) -> Result<ScheduleRow, sqlx::Error> {
    let paused = match optional_time(row, "paused_at")? {
        Some(at) => Some((
            at,
            row.try_get::<Option<String>, _>("paused_by")?
                .unwrap_or_default(),
            row.try_get::<Option<String>, _>("pause_reason")?
                .unwrap_or_default(),
        )),
        None => None,
    };
    Ok(ScheduleRow {
        incident: IncidentId(row.try_get("incident_id")?),
        default_interval_min: row.try_get("default_interval_min")?,
        interval_min: row.try_get("interval_min")?,
        anchor_at: from_millis("anchor_at", row.try_get("anchor_at")?)?,
        due_override_at: optional_time(row, "due_override_at")?,
        fired_due_at: optional_time(row, "fired_due_at")?,
        paused,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

pub async fn find_schedule(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Option<ScheduleRow>, sqlx::Error> {
    let sql = format!("{SCHEDULE_SELECT} WHERE incident_id = $1");
    sqlx::query(&sql)
        .bind(incident.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(schedule_from_row)
        .transpose()
}

/// Writes a schedule whole (inserting it the first time), with its derived due time.
pub async fn save_schedule(
    conn: &mut AnyConnection,
    schedule: &ScheduleRow,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let (paused_at, paused_by, reason) = match &schedule.paused {
        Some((at, by, reason)) => (Some(millis(*at)), Some(by.as_str()), Some(reason.as_str())),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO comms_schedules (incident_id, default_interval_min, interval_min, anchor_at, \
           due_override_at, due_at, fired_due_at, paused_at, paused_by, pause_reason, active, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (incident_id) DO UPDATE SET default_interval_min = $2, interval_min = $3, \
           anchor_at = $4, due_override_at = $5, due_at = $6, fired_due_at = $7, paused_at = $8, \
           paused_by = $9, pause_reason = $10, active = $11, updated_at = $12",
    )
    .bind(schedule.incident.0)
    .bind(schedule.default_interval_min)
    .bind(schedule.interval_min)
    .bind(millis(schedule.anchor_at))
    .bind(schedule.due_override_at.map(millis))
    .bind(millis(schedule.due()))
    .bind(schedule.fired_due_at.map(millis))
    .bind(paused_at)
    .bind(paused_by)
    .bind(reason)
    .bind(i64::from(schedule.active))
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Creates the incident's schedule, counting from its start, or re-derives an
/// existing one's default interval and whether it still runs. Only those columns
/// (and the derived due time) are written, so a due time another replica just fired
/// stays fired.
pub async fn sync_schedule(
    conn: &mut AnyConnection,
    incident: IncidentId,
    (default_interval_min, active): (i64, bool),
    started_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let first_due = super::schedule::due_at(started_at, default_interval_min, None);
    sqlx::query(
        "INSERT INTO comms_schedules (incident_id, default_interval_min, anchor_at, due_at, active, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (incident_id) DO UPDATE SET default_interval_min = $2, active = $5, updated_at = $6, \
           due_at = COALESCE(comms_schedules.due_override_at, \
             comms_schedules.anchor_at + COALESCE(comms_schedules.interval_min, $2) * 60000) \
         WHERE comms_schedules.default_interval_min <> $2 OR comms_schedules.active <> $5",
    )
    .bind(incident.0)
    .bind(default_interval_min)
    .bind(millis(started_at))
    .bind(millis(first_due))
    .bind(i64::from(active))
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts the interval from `at` again (a message was sent); CS's set time is used up.
pub async fn reanchor_schedule(
    conn: &mut AnyConnection,
    incident: IncidentId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE comms_schedules SET anchor_at = $2, due_override_at = NULL, updated_at = $2, \
           due_at = $2 + COALESCE(interval_min, default_interval_min) * 60000 WHERE incident_id = $1",
    )
    .bind(incident.0)
    .bind(millis(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// One message without its history (versions, transitions, deliveries).
pub async fn find_message(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    message: i64,
) -> Result<Option<CustomerMessage>, sqlx::Error> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.id = $1 AND m.incident_id = $2");
    sqlx::query(&sql)
        .bind(message)
        .bind(incident.0)
        .fetch_optional(ex)
        .await?
        .as_ref()
        .map(message_from_row)
        .transpose()
}

/// Running schedules whose due time has come and not fired: (incident, due time).
pub async fn due_schedules(
    ex: impl Executor<'_, Database = Any>,
    now: DateTime<Utc>,
) -> Result<Vec<(IncidentId, DateTime<Utc>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT incident_id, due_at FROM comms_schedules \
         WHERE active = 1 AND due_at <= $1 AND paused_at IS NULL \
           AND (fired_due_at IS NULL OR fired_due_at <> due_at) ORDER BY due_at",
    )
    .bind(millis(now))
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                IncidentId(row.try_get("incident_id")?),
                from_millis("due_at", row.try_get("due_at")?)?,
            ))
        })
        .collect()
}

/// Running customer-update schedules by state at `now`: `upcoming`, `overdue` (the
/// update's time has passed and none was sent) and `paused`.
pub async fn count_schedules(
    ex: impl Executor<'_, Database = Any>,
    now: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT CASE WHEN paused_at IS NOT NULL THEN 'paused' WHEN due_at <= $1 THEN 'overdue'          ELSE 'upcoming' END, COUNT(*) FROM comms_schedules WHERE active = 1 GROUP BY 1",
    )
    .bind(millis(now))
    .fetch_all(ex)
    .await
}

/// The earliest due time still to fire, if any.
pub async fn next_due(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let next: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(due_at) FROM comms_schedules WHERE active = 1 AND paused_at IS NULL \
           AND (fired_due_at IS NULL OR fired_due_at <> due_at)",
    )
    .fetch_one(ex)
    .await?;
    next.map(|ms| from_millis("due_at", ms)).transpose()
}

/// Marks `due` as fired for the incident; `false` when it already was (by this
/// server or another replica), or the schedule moved on meanwhile.
pub async fn claim_due(
    conn: &mut AnyConnection,
    incident: IncidentId,
    due: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE comms_schedules SET fired_due_at = $2 WHERE incident_id = $1 AND due_at = $2 \
           AND (fired_due_at IS NULL OR fired_due_at <> $2)",
    )
    .bind(incident.0)
    .bind(millis(due))
    .execute(conn)
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// A message to insert.
pub struct NewMessage<'a> {
    pub incident: IncidentId,
    pub audience: &'a Audience,
    pub state: MessageState,
    pub customer_status: CustomerStatus,
    pub subject: &'a str,
    pub body: &'a str,
    pub short_text: &'a str,
    pub based_on_seq: i64,
    pub sources: &'a [i64],
    pub next_update_at: Option<DateTime<Utc>>,
    pub needs_approval: bool,
    pub retracts: Option<i64>,
    pub author: (Option<crate::catalog::model::UserId>, &'a str),
}

fn encode(value: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// Inserts a message; `None` when one is already open for its audience.
pub async fn insert_message(
    conn: &mut AnyConnection,
    message: &NewMessage<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, sqlx::Error> {
    let sent_at = (message.state == MessageState::Sent).then(|| millis(now));
    sqlx::query_scalar(
        "INSERT INTO customer_messages (incident_id, audience, audience_key, state, customer_status, \
           subject, body, short_text, version, based_on_seq, sources, next_update_at, needs_approval, \
           retracts_id, created_by_user_id, created_by, created_at, updated_at, sent_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(message.incident.0)
    .bind(encode(message.audience)?)
    .bind(message.audience.key())
    .bind(message.state.as_str())
    .bind(message.customer_status.as_str())
    .bind(message.subject)
    .bind(message.body)
    .bind(message.short_text)
    .bind(message.based_on_seq)
    .bind(encode(&message.sources)?)
    .bind(message.next_update_at.map(millis))
    .bind(i64::from(message.needs_approval))
    .bind(message.retracts)
    .bind(message.author.0.map(|u| u.0))
    .bind(message.author.1)
    .bind(millis(now))
    .bind(sent_at)
    .fetch_optional(conn)
    .await
}

/// A version of a message's text.
pub struct NewVersion<'a> {
    pub message: i64,
    pub version: i64,
    pub customer_status: CustomerStatus,
    pub subject: &'a str,
    pub body: &'a str,
    pub short_text: &'a str,
    pub based_on_seq: i64,
    pub sources: &'a [i64],
    pub next_update_at: Option<DateTime<Utc>>,
    /// "generated" or "edited".
    pub origin: &'a str,
    pub author: (Option<crate::catalog::model::UserId>, &'a str),
}

/// Stores a version and makes it the message's current text (the first version is
/// written with the message itself, so only its history row is added then).
pub async fn insert_version(
    conn: &mut AnyConnection,
    v: &NewVersion<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO customer_message_versions (message_id, version, customer_status, subject, body, \
           short_text, based_on_seq, origin, author_user_id, author, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(v.message)
    .bind(v.version)
    .bind(v.customer_status.as_str())
    .bind(v.subject)
    .bind(v.body)
    .bind(v.short_text)
    .bind(v.based_on_seq)
    .bind(v.origin)
    .bind(v.author.0.map(|u| u.0))
    .bind(v.author.1)
    .bind(millis(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE customer_messages SET version = $2, customer_status = $3, subject = $4, body = $5, \
           short_text = $6, based_on_seq = $7, sources = $8, next_update_at = $9, updated_at = $10 \
         WHERE id = $1",
    )
    .bind(v.message)
    .bind(v.version)
    .bind(v.customer_status.as_str())
    .bind(v.subject)
    .bind(v.body)
    .bind(v.short_text)
    .bind(v.based_on_seq)
    .bind(encode(&v.sources)?)
    .bind(v.next_update_at.map(millis))
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a message from `from` to `to`; `false` when it was no longer in `from`
/// (someone else moved it first), or the move would open a second message for the
/// same audience.
pub async fn move_state(
    conn: &mut AnyConnection,
    message: i64,
    (from, to): (MessageState, MessageState),
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let sent_at = (to == MessageState::Sent).then(|| millis(now));
    let moved = sqlx::query(
        "UPDATE customer_messages SET state = $3, updated_at = $4, sent_at = COALESCE($5, sent_at) \
         WHERE id = $1 AND state = $2 \
           AND NOT ($6 = 1 AND EXISTS (SELECT 1 FROM customer_messages o WHERE o.incident_id = customer_messages.incident_id \
             AND o.audience_key = customer_messages.audience_key AND o.id <> customer_messages.id \
             AND o.state IN ('draft', 'in_review', 'approved')))",
    )
    .bind(message)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(millis(now))
    .bind(sent_at)
    .bind(i64::from(to.is_open() && !from.is_open()))
    .execute(conn)
    .await?;
    Ok(moved.rows_affected() == 1)
}

/// Records a state move with who, when, the comment and any guard overrides.
#[allow(clippy::too_many_arguments)]
pub async fn insert_transition(
    conn: &mut AnyConnection,
    message: i64,
    (from, to): (Option<MessageState>, MessageState),
    actor: (Option<crate::catalog::model::UserId>, &str),
    comment: Option<&str>,
    overrides: &[GuardOverride],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let detail = encode(&serde_json::json!({ "overrides": overrides }))?;
    sqlx::query(
        "INSERT INTO customer_message_transitions (message_id, from_state, to_state, actor_user_id, actor, comment, detail, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(message)
    .bind(from.map(MessageState::as_str))
    .bind(to.as_str())
    .bind(actor.0.map(|u| u.0))
    .bind(actor.1)
    .bind(comment)
    .bind(detail)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// The id of the message open (draft, in review, approved) for an audience.
pub async fn open_message(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
    audience_key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM customer_messages WHERE incident_id = $1 AND audience_key = $2 \
           AND state IN ('draft', 'in_review', 'approved')",
    )
    .bind(incident.0)
    .bind(audience_key)
    .fetch_optional(ex)
    .await
}

/// Records which accounts a sent message went to.
pub async fn insert_message_accounts(
    conn: &mut AnyConnection,
    message: i64,
    accounts: &[i64],
) -> Result<(), sqlx::Error> {
    for account in accounts {
        sqlx::query(
            "INSERT INTO customer_message_accounts (message_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(message)
        .bind(account)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Queues one delivery, due now; a second one with the same key is not queued.
pub async fn enqueue_delivery(
    conn: &mut AnyConnection,
    (message, account): (i64, i64),
    channel: crate::notify::model::Channel,
    target: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let key = idempotency_key(message, account, channel, target);
    sqlx::query(
        "INSERT INTO customer_deliveries (message_id, account_id, channel, target, idempotency_key, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(message)
    .bind(account)
    .bind(channel.as_str())
    .bind(target)
    .bind(key)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// One key per message × recipient × channel, stable across retries and replicas.
pub fn idempotency_key(
    message: i64,
    account: i64,
    channel: crate::notify::model::Channel,
    target: &str,
) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(target.trim().to_lowercase().as_bytes());
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("msg-{message}-acct-{account}-{}-{short}", channel.as_str())
}

/// A sent message as the guards and the cadence see it.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub id: i64,
    pub accounts: Vec<i64>,
    pub customer_status: CustomerStatus,
    pub body: String,
    pub based_on_seq: i64,
    pub sent_at: DateTime<Utc>,
}

/// The incident's sent messages (retracted ones included: customers saw them),
/// oldest first, with the accounts each went to.
pub async fn sent_messages(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Vec<SentRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id, m.customer_status, m.body, m.based_on_seq, m.sent_at, a.account_id \
         FROM customer_messages m LEFT JOIN customer_message_accounts a ON a.message_id = m.id \
         WHERE m.incident_id = $1 AND m.sent_at IS NOT NULL ORDER BY m.sent_at, m.id",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    let mut sent: Vec<SentRow> = Vec::new();
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        if sent.last().is_none_or(|last| last.id != id) {
            sent.push(SentRow {
                id,
                accounts: Vec::new(),
                customer_status: parse_column(row, "customer_status")?,
                body: row.try_get("body")?,
                based_on_seq: row.try_get("based_on_seq")?,
                sent_at: from_millis("sent_at", row.try_get("sent_at")?)?,
            });
        }
        if let (Some(account), Some(last)) = (
            row.try_get::<Option<i64>, _>("account_id")?,
            sent.last_mut(),
        ) {
            last.accounts.push(account);
        }
    }
    Ok(sent)
}

fn parse_column<T: std::str::FromStr<Err = String>>(
    row: &AnyRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    row.try_get::<String, _>(column)?
        .parse()
        .map_err(|e| decode_error(column, e))
}

const MESSAGE_SELECT: &str = "SELECT m.id, m.incident_id, m.audience, m.state, m.customer_status, m.subject, \
     m.body, m.short_text, m.version, m.based_on_seq, m.sources, m.next_update_at, m.needs_approval, \
     m.retracts_id, m.created_by, m.created_by_user_id, m.created_at, m.sent_at FROM customer_messages m";

/// A message row, before its history is attached.
fn message_from_row(row: &AnyRow) -> Result<CustomerMessage, sqlx::Error> {
    let audience: Audience = serde_json::from_str(&row.try_get::<String, _>("audience")?)
        .map_err(|e| decode_error("audience", e.to_string()))?;
    let sources: Vec<i64> = serde_json::from_str(&row.try_get::<String, _>("sources")?)
        .map_err(|e| decode_error("sources", e.to_string()))?;
    Ok(CustomerMessage {
        id: row.try_get("id")?,
        incident: IncidentId(row.try_get("incident_id")?).key(),
        audience_label: audience.describe(),
        audience,
        state: parse_column(row, "state")?,
        customer_status: parse_column(row, "customer_status")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        short_text: row.try_get("short_text")?,
        version: row.try_get("version")?,
        based_on_seq: row.try_get("based_on_seq")?,
        sources,
        newer_entries: Vec::new(),
        next_update_at: optional_time(row, "next_update_at")?,
        needs_approval: row.try_get::<i64, _>("needs_approval")? != 0,
        retracts: row.try_get("retracts_id")?,
        created_by: row.try_get("created_by")?,
        created_at: from_millis("created_at", row.try_get("created_at")?)?,
        sent_at: optional_time(row, "sent_at")?,
        versions: Vec::new(),
        transitions: Vec::new(),
        deliveries: Vec::new(),
        accounts: Vec::new(),
        guards: Vec::new(),
        written_by_you: false,
    })
}

/// The incident's messages with their versions, transitions, recipients and
/// deliveries, newest first.
pub async fn incident_messages(
    ex: impl Executor<'_, Database = Any> + Copy,
    incident: IncidentId,
) -> Result<Vec<CustomerMessage>, sqlx::Error> {
    let sql = format!("{MESSAGE_SELECT} WHERE m.incident_id = $1 ORDER BY m.id DESC");
    let mut messages: Vec<CustomerMessage> = sqlx::query(&sql)
        .bind(incident.0)
        .fetch_all(ex)
        .await?
        .iter()
        .map(message_from_row)
        .collect::<Result<_, _>>()?;
    let index: HashMap<i64, usize> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.id, i))
        .collect();
    let of_incident = "JOIN customer_messages m ON m.id = x.message_id WHERE m.incident_id = $1";

    let versions = sqlx::query(&format!(
        "SELECT x.message_id, x.version, x.customer_status, x.subject, x.body, x.short_text, x.origin, \
           x.author, x.recorded_at FROM customer_message_versions x {of_incident} ORDER BY x.message_id, x.version"
    ))
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    for row in &versions {
        if let Some(&i) = index.get(&row.try_get::<i64, _>("message_id")?) {
            messages[i].versions.push(MessageVersion {
                version: row.try_get("version")?,
                customer_status: parse_column(row, "customer_status")?,
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                short_text: row.try_get("short_text")?,
                origin: row.try_get("origin")?,
                author: row.try_get("author")?,
                recorded_at: from_millis("recorded_at", row.try_get("recorded_at")?)?,
            });
        }
    }

    let transitions = sqlx::query(&format!(
        "SELECT x.message_id, x.from_state, x.to_state, x.actor, x.comment, x.detail, x.at \
         FROM customer_message_transitions x {of_incident} ORDER BY x.id"
    ))
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    for row in &transitions {
        if let Some(&i) = index.get(&row.try_get::<i64, _>("message_id")?) {
            let detail: serde_json::Value =
                serde_json::from_str(&row.try_get::<String, _>("detail")?)
                    .map_err(|e| decode_error("detail", e.to_string()))?;
            let overrides = serde_json::from_value(detail["overrides"].clone()).unwrap_or_default();
            let from = match row.try_get::<Option<String>, _>("from_state")? {
                Some(state) => Some(state.parse().map_err(|e| decode_error("from_state", e))?),
                None => None,
            };
            messages[i].transitions.push(Transition {
                from,
                to: parse_column(row, "to_state")?,
                actor: row.try_get("actor")?,
                comment: row.try_get("comment")?,
                overrides,
                at: from_millis("at", row.try_get("at")?)?,
            });
        }
    }

    let recipients = sqlx::query(&format!(
        "SELECT x.message_id, a.slug FROM customer_message_accounts x \
         JOIN accounts a ON a.id = x.account_id {of_incident} ORDER BY a.slug"
    ))
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    for row in &recipients {
        if let Some(&i) = index.get(&row.try_get::<i64, _>("message_id")?) {
            messages[i].accounts.push(row.try_get("slug")?);
        }
    }

    let deliveries = sqlx::query(&format!(
        "SELECT x.message_id, a.slug, x.channel, x.target, x.status, x.attempts, x.last_error, \
           x.delivered_at, x.idempotency_key FROM customer_deliveries x \
         JOIN accounts a ON a.id = x.account_id {of_incident} ORDER BY x.id"
    ))
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    for row in &deliveries {
        if let Some(&i) = index.get(&row.try_get::<i64, _>("message_id")?) {
            messages[i].deliveries.push(CustomerDelivery {
                account: row.try_get("slug")?,
                channel: parse_column(row, "channel")?,
                target: row.try_get("target")?,
                status: parse_column(row, "status")?,
                attempts: row.try_get("attempts")?,
                last_error: row.try_get("last_error")?,
                delivered_at: optional_time(row, "delivered_at")?,
                idempotency_key: row.try_get("idempotency_key")?,
            });
        }
    }
    Ok(messages)
}

/// The people who wrote any version of a message (nobody approves their own).
pub async fn message_authors(
    ex: impl Executor<'_, Database = Any>,
    message: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT author_user_id FROM customer_message_versions \
         WHERE message_id = $1 AND author_user_id IS NOT NULL",
    )
    .bind(message)
    .fetch_all(ex)
    .await
}

/// Incidents with a message sent in [from, to) to matching accounts, newest first:
/// the communication log's search.
pub async fn log_incidents(
    ex: impl Executor<'_, Database = Any>,
    account: Option<&str>,
    tier: Option<Tier>,
    (from, to): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> Result<Vec<IncidentId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT m.incident_id FROM customer_messages m \
         WHERE ($1 IS NULL OR m.created_at >= $1) AND ($2 IS NULL OR m.created_at < $2) \
           AND ($3 IS NULL OR EXISTS (SELECT 1 FROM incident_accounts ia JOIN accounts a ON a.id = ia.account_id \
                WHERE ia.incident_id = m.incident_id AND a.slug = $3)) \
           AND ($4 IS NULL OR EXISTS (SELECT 1 FROM incident_accounts ia JOIN accounts a ON a.id = ia.account_id \
                WHERE ia.incident_id = m.incident_id AND a.tier = $4)) \
         GROUP BY m.incident_id ORDER BY MAX(m.id) DESC LIMIT 200",
    )
    .bind(from.map(millis))
    .bind(to.map(millis))
    .bind(account)
    .bind(tier.map(Tier::as_str))
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(IncidentId).collect())
}

/// Saved templates.
pub async fn list_templates(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<Template>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT customer_status, tier, subject, body, short_text FROM comms_templates ORDER BY customer_status, tier",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let tier: String = row.try_get("tier")?;
            Ok(Template {
                customer_status: parse_column(row, "customer_status")?,
                tier: if tier.is_empty() {
                    None
                } else {
                    Some(tier.parse().map_err(|e| decode_error("tier", e))?)
                },
                subject: row.try_get("subject")?,
                body: row.try_get("body")?,
                short_text: row.try_get("short_text")?,
            })
        })
        .collect()
}

pub async fn save_template(
    conn: &mut AnyConnection,
    template: &Template,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO comms_templates (customer_status, tier, subject, body, short_text, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer_status, tier) DO UPDATE SET \
           subject = $3, body = $4, short_text = $5, updated_by = $6, updated_at = $7",
    )
    .bind(template.customer_status.as_str())
    .bind(template.tier.map_or("", Tier::as_str))
    .bind(&template.subject)
    .bind(&template.body)
    .bind(&template.short_text)
    .bind(by)
    .bind(millis(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn approval_policies(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<ApprovalPolicy>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT tier, needs_approval FROM comms_approval_policies ORDER BY tier")
            .fetch_all(ex)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(ApprovalPolicy {
                tier: parse_column(row, "tier")?,
                needs_approval: row.try_get::<i64, _>("needs_approval")? != 0,
            })
        })
        .collect()
}

pub async fn set_approval_policy(
    conn: &mut AnyConnection,
    policy: &ApprovalPolicy,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO comms_approval_policies (tier, needs_approval) VALUES ($1, $2) \
         ON CONFLICT (tier) DO UPDATE SET needs_approval = $2",
    )
    .bind(policy.tier.as_str())
    .bind(i64::from(policy.needs_approval))
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or clears, with `None`) an account's webhook and its signing secret;
/// `false` for an unknown account.
pub async fn set_account_webhook(
    conn: &mut AnyConnection,
    account: &str,
    webhook: Option<(&str, &str)>,
) -> Result<bool, sqlx::Error> {
    let updated =
        sqlx::query("UPDATE accounts SET webhook_url = $2, webhook_secret = $3 WHERE slug = $1")
            .bind(account)
            .bind(webhook.map(|(url, _)| url))
            .bind(webhook.map(|(_, secret)| secret))
            .execute(conn)
            .await?;
    Ok(updated.rows_affected() == 1)
}

/// An impacted account as messages reach it.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub account_id: i64,
    pub slug: String,
    pub name: String,
    pub tier: Tier,
    pub contact_emails: Vec<String>,
    pub webhook_url: Option<String>,
}

/// The incident's impacted accounts with how to reach them.
pub async fn recipients(
    ex: impl Executor<'_, Database = Any>,
    incident: IncidentId,
) -> Result<Vec<Recipient>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.slug, a.name, a.tier, a.contact_emails, a.webhook_url FROM incident_accounts ia \
         JOIN accounts a ON a.id = ia.account_id WHERE ia.incident_id = $1 ORDER BY a.slug",
    )
    .bind(incident.0)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let emails: String = row.try_get("contact_emails")?;
            Ok(Recipient {
                account_id: row.try_get("id")?,
                slug: row.try_get("slug")?,
                name: row.try_get("name")?,
                tier: parse_column(row, "tier")?,
                contact_emails: serde_json::from_str(&emails)
                    .map_err(|e| decode_error("contact_emails", e.to_string()))?,
                webhook_url: row.try_get("webhook_url")?,
            })
        })
        .collect()
}

/// Customer-facing names of every system and name of every account: what the
/// outside-the-impact guard looks for.
pub async fn catalog_names(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT 'system:' || slug AS id, COALESCE(customer_name, name) AS name FROM systems \
         UNION ALL SELECT 'account:' || slug, name FROM accounts",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("name")?)))
        .collect()
}

/// What a claimed customer delivery sends: the message and how to sign a webhook.
#[derive(Debug, Clone)]
pub struct DeliveryContent {
    pub incident: IncidentId,
    pub message: i64,
    pub account: String,
    pub account_name: String,
    pub customer_status: CustomerStatus,
    pub subject: String,
    pub body: String,
    pub short_text: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub retracts: Option<i64>,
    pub idempotency_key: String,
    pub webhook_secret: Option<String>,
}

pub async fn delivery_content(
    ex: impl Executor<'_, Database = Any>,
    delivery: i64,
) -> Result<Option<DeliveryContent>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT m.incident_id, m.id AS message_id, a.slug, a.name, m.customer_status, m.subject, m.body, \
           m.short_text, m.sent_at, m.retracts_id, d.idempotency_key, a.webhook_secret \
         FROM customer_deliveries d JOIN customer_messages m ON m.id = d.message_id \
         JOIN accounts a ON a.id = d.account_id WHERE d.id = $1",
    )
    .bind(delivery)
    .fetch_optional(ex)
    .await?
    else {
        return Ok(None);
    };
    Ok(Some(DeliveryContent {
        incident: IncidentId(row.try_get("incident_id")?),
        message: row.try_get("message_id")?,
        account: row.try_get("slug")?,
        account_name: row.try_get("name")?,
        customer_status: parse_column(&row, "customer_status")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        short_text: row.try_get("short_text")?,
        sent_at: optional_time(&row, "sent_at")?,
        retracts: row.try_get("retracts_id")?,
        idempotency_key: row.try_get("idempotency_key")?,
        webhook_secret: row.try_get("webhook_secret")?,
    }))
}

/// A person's time zone (IANA name).
pub async fn user_zone(
    ex: impl Executor<'_, Database = Any>,
    user: crate::catalog::model::UserId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT time_zone FROM users WHERE id = $1")
        .bind(user.0)
        .fetch_optional(ex)
        .await
}

/// Incidents that should have a running schedule, or have one still marked running:
/// open incidents with impacted accounts, and active schedules.
pub async fn incidents_to_schedule(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<IncidentId>, sqlx::Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT ia.incident_id FROM incident_accounts ia JOIN incidents i ON i.id = ia.incident_id \
         WHERE i.resolved_at IS NULL UNION SELECT incident_id FROM comms_schedules WHERE active = 1 ORDER BY 1",
    )
    .fetch_all(ex)
    .await?;
    Ok(ids.into_iter().map(IncidentId).collect())
}

/// Every running schedule's next update, soonest first.
pub async fn due_updates(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<super::model::DueUpdate>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT i.id, i.title, i.severity, u.display_name AS owner, s.due_at, \
           COALESCE(s.interval_min, s.default_interval_min) AS interval_min, s.pause_reason \
         FROM comms_schedules s JOIN incidents i ON i.id = s.incident_id \
         LEFT JOIN users u ON u.id = i.comms_user_id WHERE s.active = 1 ORDER BY s.due_at, i.id",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(super::model::DueUpdate {
                incident: IncidentId(row.try_get("id")?).key(),
                title: row.try_get("title")?,
                severity: parse_column(row, "severity")?,
                owner: row.try_get("owner")?,
                next_due_at: from_millis("due_at", row.try_get("due_at")?)?,
                interval_min: row.try_get("interval_min")?,
                paused: row.try_get("pause_reason")?,
            })
        })
        .collect()
}

/// The people the comms-owner role is offered to: customer success and engineers, as
/// (email, "Name (role)"), by name.
pub async fn owner_choices(
    ex: impl Executor<'_, Database = Any>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT email, display_name, role FROM users WHERE role IN ('cs', 'engineer') \
         ORDER BY role, display_name, email",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let email: String = row.try_get("email")?;
            let name: String = row.try_get("display_name")?;
            let role: String = row.try_get("role")?;
            Ok((email, format!("{name} ({role})")))
        })
        .collect()
}
