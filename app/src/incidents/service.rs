//! The rules for incidents: the one place a change to them is decided.
//!
//! Every change writes, in one transaction, the incident row, a timeline entry and an
//! event carrying the incident's next seq.

use super::model::{
    unique_slugs, Change, ChangeInput, Declaration, DeclareInput, Incident, IncidentId,
};
use super::repo::{self, IncidentFilter};
use crate::catalog::repo as catalog_repo;
use crate::error::{AppError, Invalid};
use crate::notify::service as notify_service;
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry, TimelineEntry};
use crate::timeline::repo as timeline_repo;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;

/// How many incidents a list shows.
pub const LIST_LIMIT: i64 = 100;

/// Declares an incident; writes nothing when the input is invalid.
pub async fn declare_incident(
    state: &AppState,
    input: &DeclareInput,
) -> Result<Incident, AppError> {
    let now = state.now();
    let parsed = Declaration::parse(input, now);
    let mut tx = state.db.pool().begin().await?;
    // Look the names up even when other fields are wrong, so one answer names every problem.
    let (wanted_systems, wanted_accounts) =
        (unique_slugs(&input.systems), unique_slugs(&input.accounts));
    let systems = catalog_repo::find_systems(&mut tx, &wanted_systems).await?;
    let accounts = catalog_repo::find_accounts(&mut tx, &wanted_accounts).await?;
    let mut invalid = match &parsed {
        Err(AppError::Invalid(invalid)) => invalid.clone(),
        Err(other) => return Err(other.clone()),
        Ok(_) => input.refusal(),
    };
    let unknown = |wanted: &[String], found: Vec<&str>| -> Vec<String> {
        wanted
            .iter()
            .filter(|slug| !found.contains(&slug.as_str()))
            .cloned()
            .collect()
    };
    let unknown_systems = unknown(
        &wanted_systems,
        systems.iter().map(|s| s.slug.as_str()).collect(),
    );
    if !unknown_systems.is_empty() {
        invalid.add(
            "systems",
            format!("unknown system {}", unknown_systems.join(", ")),
        );
    }
    let unknown_accounts = unknown(
        &wanted_accounts,
        accounts.iter().map(|a| a.slug.as_str()).collect(),
    );
    if !unknown_accounts.is_empty() {
        invalid.add(
            "accounts",
            format!("unknown account {}", unknown_accounts.join(", ")),
        );
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let declaration = parsed?;
    // The most demanding tier among the accounts, unless a higher one was named.
    let impacted_tier = accounts
        .iter()
        .map(|a| a.tier)
        .chain(declaration.customer_tier)
        .max();
    let id = repo::insert(&mut tx, &declaration, impacted_tier, now).await?;
    repo::add_systems(&mut tx, id, &systems, now).await?;
    repo::add_accounts(&mut tx, id, &accounts, now).await?;
    let entry = NewEntry {
        kind: EntryKind::Declared {
            severity: declaration.severity,
        },
        author: declaration.author.clone(),
        body: declaration.description.clone(),
        occurred_at: declaration.started_at,
        customer_visible: false,
        idempotency_key: None,
    };
    let (incident, _) = write_entry(&mut tx, id, entry, now, "incident.declared").await?;
    notify_service::notify_owners(&mut tx, &state.public_url, &incident, &systems, now).await?;
    tx.commit().await?;
    state.outbox.notify_one();
    tracing::info!(incident = %incident.key, severity = %incident.severity, "incident declared");
    Ok(incident)
}

/// Moves the status and/or changes the severity, each with its own timeline entry.
pub async fn change_incident(
    state: &AppState,
    id: IncidentId,
    input: &ChangeInput,
) -> Result<Incident, AppError> {
    let change = Change::parse(input)?;
    let now = state.now();
    let mut tx = state.db.pool().begin().await?;
    // Lock the incident before reading it, so the checks see the latest state.
    lock(&mut tx, id).await?;
    let current = repo::find(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;

    let mut invalid = Invalid::default();
    if let Some(to) = change.status {
        if let Err(message) = current.status.check_move(to, change.reason.as_deref()) {
            let field = if to == current.status {
                "status"
            } else {
                "reason"
            };
            invalid.add(field, message);
        }
    }
    if change.severity == Some(current.severity) {
        invalid.add(
            "severity",
            format!("The incident is already {}", current.severity),
        );
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid)); // dropping tx rolls back: no seq used
    }

    let mut incident = current.clone();
    if let Some(to) = change.status {
        let lifecycle = current.lifecycle.after_move(to, now);
        repo::set_status(&mut tx, id, to, &lifecycle).await?;
        let entry = system_entry(
            &change,
            EntryKind::StatusChange {
                from: current.status,
                to,
                reason: change.reason.clone(),
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.status_changed").await?;
    }
    if let Some(to) = change.severity {
        repo::set_severity(&mut tx, id, to).await?;
        let entry = system_entry(
            &change,
            EntryKind::SeverityChange {
                from: current.severity,
                to,
                reason: change.reason.clone(),
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.severity_changed").await?;
    }
    tx.commit().await?;
    tracing::info!(incident = %incident.key, status = %incident.status, severity = %incident.severity, "incident changed");
    Ok(incident)
}

/// The newest incidents first.
pub async fn list_incidents(
    state: &AppState,
    filter: &IncidentFilter,
) -> Result<Vec<Incident>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let limit = filter.limit.unwrap_or(LIST_LIMIT).clamp(1, LIST_LIMIT);
    Ok(repo::list_newest(&mut conn, filter, limit).await?)
}

/// One incident, or `NotFound` naming its key.
pub async fn get_incident(state: &AppState, id: IncidentId) -> Result<Incident, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))
}

fn system_entry(change: &Change, kind: EntryKind) -> NewEntry {
    NewEntry {
        kind,
        author: change.author.clone(),
        body: change.reason.clone().unwrap_or_default(),
        occurred_at: None,
        customer_visible: false,
        idempotency_key: None,
    }
}

/// Takes the incident's write lock without using a seq: a no-op update is enough.
async fn lock(conn: &mut AnyConnection, id: IncidentId) -> Result<(), AppError> {
    let locked = sqlx::query("UPDATE incidents SET last_seq = last_seq WHERE id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(AppError::NotFound(id.key()));
    }
    Ok(())
}

/// Writes an entry at the incident's next seq, with its event, inside `conn`'s
/// transaction. Returns the incident as it now stands and the stored entry; `None`
/// for the entry when its idempotency key was already used (nothing written then).
pub(crate) async fn write_entry(
    conn: &mut AnyConnection,
    id: IncidentId,
    entry: NewEntry,
    now: DateTime<Utc>,
    event: &str,
) -> Result<(Incident, Option<TimelineEntry>), AppError> {
    let seq = repo::next_seq(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;
    let Some(entry_id) = timeline_repo::insert_entry(conn, id, seq, &entry, now).await? else {
        let incident = repo::find(&mut *conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound(id.key()))?;
        return Ok((incident, None));
    };
    if entry.kind.acknowledges() {
        repo::mark_acknowledged(conn, id, now).await?;
    }
    let incident = repo::find(&mut *conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;
    let stored = TimelineEntry {
        id: entry_id,
        incident: id,
        seq,
        kind: entry.kind,
        author: entry.author,
        body_html: crate::markdown::to_safe_html(&entry.body),
        body: entry.body,
        occurred_at: entry.occurred_at,
        recorded_at: now,
        customer_visible: entry.customer_visible,
        revision: 1,
    };
    repo::record_event(
        conn,
        id,
        seq,
        event,
        &json!({ "incident": incident, "entry": stored }),
        now,
    )
    .await?;
    Ok((incident, Some(stored)))
}
