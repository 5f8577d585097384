//! The rules for the timeline: posting, correcting, reading.

use super::cache::Timeline;
use super::model::{check_body, NewEntry, PostEntry, Redaction, Revision, TimelineEntry};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::identity::service::require;
use crate::incidents::model::IncidentId;
use crate::incidents::repo as incident_repo;
use crate::incidents::service::append_entry;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// The outcome of a post: the stored entry, and whether this call stored it (`false`
/// when an earlier call with the same idempotency key did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Posted {
    pub entry: TimelineEntry,
    pub created: bool,
}

/// Raw input for correcting an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviseInput {
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub body: String,
}

/// Appends a human-written entry; a retry with the same idempotency key is stored once.
pub async fn post_entry(
    state: &AppState,
    actor: &User,
    incident: IncidentId,
    input: &PostEntry,
) -> Result<Posted, AppError> {
    let entry = NewEntry::parse(input, &actor.display_name, state.now())?;
    require(actor, entry.kind.permission())?;
    // Rendering is the slow part of a post: done before taking the write lock.
    let body_html = crate::markdown::to_safe_html(&entry.body);
    let mut tx = state.db.begin_write().await?;
    let now = state.now(); // once it is this writer's turn: recorded_at follows seq
    let stored = append_entry(&mut tx, incident, entry.clone(), body_html, now).await?;
    if let Some((stored, acknowledged)) = stored {
        tx.commit().await?;
        if acknowledged {
            // The incident itself changed (its response clocks stop).
            state.live.notify_incident(incident);
        } else {
            state.live.notify(incident);
        }
        return Ok(Posted {
            entry: stored,
            created: true,
        });
    }
    tx.rollback().await?; // gives the seq back
    let key = entry.idempotency_key.as_deref().unwrap_or_default();
    let earlier = repo::find_by_idempotency_key(state.db.pool(), incident, key)
        .await?
        .ok_or_else(|| AppError::internal("idempotent post", "conflicting key but no entry"))?;
    if earlier.kind != entry.kind || earlier.body != entry.body {
        return Err(AppError::Conflict(format!(
            "Idempotency key {key:?} was already used for a different entry (seq {})",
            earlier.seq
        )));
    }
    Ok(Posted {
        entry: earlier,
        created: false,
    })
}

/// The incident's whole timeline, from the cache while it is current.
pub async fn read_timeline(
    state: &AppState,
    incident: IncidentId,
) -> Result<Arc<Timeline>, AppError> {
    let pool = state.db.pool();
    // Read the seq first: the entries read after it are at least that recent.
    let last_seq = incident_repo::last_seq(pool, incident)
        .await?
        .ok_or_else(|| AppError::NotFound(incident.key()))?;
    if let Some(timeline) = state.timelines.get(incident, last_seq) {
        return Ok(timeline);
    }
    let entries = repo::list_after(pool, incident, 0).await?;
    let timeline = Arc::new(Timeline::new(last_seq, entries));
    state.timelines.put(incident, timeline.clone());
    Ok(timeline)
}

/// The incident's entries after `after_seq` (0 for all), in seq order.
pub async fn list_entries(
    state: &AppState,
    incident: IncidentId,
    after_seq: i64,
) -> Result<Vec<TimelineEntry>, AppError> {
    Ok(read_timeline(state, incident).await?.after(after_seq))
}

/// Corrects an entry's text as a new revision; the earlier text stays in its history.
pub async fn revise_entry(
    state: &AppState,
    actor: &User,
    incident: IncidentId,
    seq: i64,
    input: &ReviseInput,
) -> Result<TimelineEntry, AppError> {
    let mut invalid = Invalid::default();
    let body = check_body(&input.body, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let author = actor.display_name.clone();
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let (event_seq, entry) = editable_entry(&mut tx, incident, seq, "corrected").await?;
    require(actor, entry.kind.permission())?;
    if entry.body == body {
        let mut invalid = Invalid::default();
        invalid.add("body", "The correction is the same as the current text");
        return Err(AppError::Invalid(invalid));
    }
    let body_html = crate::markdown::to_safe_html(&body);
    let revision = repo::insert_revision(
        &mut tx,
        entry.id,
        event_seq,
        &author,
        (&body, &body_html),
        now,
    )
    .await?;
    let revised = TimelineEntry {
        body_html,
        body,
        revision,
        ..entry
    };
    incident_repo::record_event(
        &mut tx,
        incident,
        event_seq,
        "timeline.entry_revised",
        &json!({ "entry": revised, "revised_by": author }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.notify(incident);
    Ok(revised)
}

/// Raw input for removing an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RedactInput {
    /// Why it is removed (e.g. "customer's card number pasted"); shown in its place.
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub reason: String,
}

/// Takes the incident's next seq (and with it the write lock), then the entry created
/// at `seq`, refusing one that cannot be `verb` (corrected, removed).
async fn editable_entry(
    conn: &mut sqlx::AnyConnection,
    incident: IncidentId,
    seq: i64,
    verb: &str,
) -> Result<(i64, TimelineEntry), AppError> {
    let event_seq = incident_repo::next_seq(conn, incident)
        .await?
        .ok_or_else(|| AppError::NotFound(incident.key()))?;
    let entry = repo::find_by_seq(&mut *conn, incident, seq)
        .await?
        .ok_or_else(|| entry_not_found(incident, seq))?;
    check_editable(&entry, verb)?;
    Ok((event_seq, entry))
}

fn entry_not_found(incident: IncidentId, seq: i64) -> AppError {
    AppError::NotFound(format!("{} timeline entry {seq}", incident.key()))
}

/// Only people's entries can be corrected or removed, and not once removed: the
/// change entries are the record of what happened to the incident.
fn check_editable(entry: &TimelineEntry, verb: &str) -> Result<(), AppError> {
    let mut invalid = Invalid::default();
    if !entry.kind.is_written() {
        invalid.add(
            "seq",
            format!("Only updates, notes, actions and findings can be {verb}"),
        );
    } else if entry.redaction.is_some() {
        invalid.add("seq", format!("The entry was removed and cannot be {verb}"));
    }
    if invalid.fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(invalid))
    }
}

/// Removes an entry's text from the timeline, keeping who removed it and why in its
/// place; the text itself stays in the revision history for admins.
pub async fn redact_entry(
    state: &AppState,
    actor: &User,
    incident: IncidentId,
    seq: i64,
    input: &RedactInput,
) -> Result<TimelineEntry, AppError> {
    let mut invalid = Invalid::default();
    let reason = input.reason.trim();
    if reason.is_empty() {
        invalid.add("reason", "Say why the entry is removed");
    } else if reason.chars().count() > crate::incidents::model::REASON_MAX_CHARS {
        invalid.add("reason", "Reason is too long");
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    require(actor, Action::RedactEntry)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let (event_seq, entry) = editable_entry(&mut tx, incident, seq, "removed").await?;
    let redaction = Redaction {
        author: actor.display_name.clone(),
        reason: reason.to_owned(),
        recorded_at: now,
    };
    if !repo::insert_redaction(&mut tx, entry.id, event_seq, &redaction).await? {
        return Err(AppError::Conflict(format!(
            "Timeline entry {seq} was removed already"
        )));
    }
    let redacted = TimelineEntry {
        body: String::new(),
        body_html: String::new(),
        redaction: Some(redaction),
        ..entry
    };
    incident_repo::record_event(
        &mut tx,
        incident,
        event_seq,
        "timeline.entry_redacted",
        &json!({ "entry": redacted }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.notify(incident);
    Ok(redacted)
}

/// Every version of the entry created at `seq`, oldest first.
pub async fn revision_history(
    state: &AppState,
    actor: &User,
    incident: IncidentId,
    seq: i64,
) -> Result<Vec<Revision>, AppError> {
    let entry = repo::find_by_seq(state.db.pool(), incident, seq)
        .await?
        .ok_or_else(|| entry_not_found(incident, seq))?;
    // A removed entry's text was removed for a reason: its history is for those who
    // may remove entries.
    if entry.redaction.is_some() {
        require(actor, Action::RedactEntry)?;
    }
    Ok(repo::list_revisions(state.db.pool(), entry.id).await?)
}
