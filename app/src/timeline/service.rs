//! The rules for the timeline: posting, correcting, reading.

use super::model::{
    check_author, check_body, EntryKind, NewEntry, PostEntry, Revision, TimelineEntry,
};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::incidents::model::IncidentId;
use crate::incidents::repo as incident_repo;
use crate::incidents::service::write_entry;
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The outcome of a post: the stored entry, and whether this call stored it (`false`
/// when an earlier call with the same idempotency key did).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub entry: TimelineEntry,
    pub created: bool,
}

/// Raw input for correcting an entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviseInput {
    pub body: String,
    #[serde(default)]
    pub author: Option<String>,
}

/// Appends a human-written entry; a retry with the same idempotency key is stored once.
pub async fn post_entry(
    state: &AppState,
    incident: IncidentId,
    input: &PostEntry,
) -> Result<Posted, AppError> {
    let now = state.now();
    let entry = NewEntry::parse(input, now)?;
    let mut tx = state.db.pool().begin().await?;
    let (_, stored) = write_entry(
        &mut tx,
        incident,
        entry.clone(),
        now,
        "timeline.entry_added",
    )
    .await?;
    if let Some(stored) = stored {
        tx.commit().await?;
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

/// The incident's entries after `after_seq` (0 for all), in seq order.
pub async fn list_entries(
    state: &AppState,
    incident: IncidentId,
    after_seq: i64,
) -> Result<Vec<TimelineEntry>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    if incident_repo::find(&mut conn, incident).await?.is_none() {
        return Err(AppError::NotFound(incident.key()));
    }
    Ok(repo::list_after(&mut *conn, incident, after_seq).await?)
}

/// Corrects an entry's text as a new revision; the earlier text stays in its history.
pub async fn revise_entry(
    state: &AppState,
    incident: IncidentId,
    seq: i64,
    input: &ReviseInput,
) -> Result<TimelineEntry, AppError> {
    let mut invalid = Invalid::default();
    let body = check_body(&input.body, &mut invalid);
    let author = check_author(input.author.as_deref(), &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let now = state.now();
    let mut tx = state.db.pool().begin().await?;
    let event_seq = incident_repo::next_seq(&mut tx, incident)
        .await?
        .ok_or_else(|| AppError::NotFound(incident.key()))?;
    let entry = repo::find_by_seq(&mut *tx, incident, seq)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} timeline entry {seq}", incident.key())))?;
    if !matches!(
        entry.kind,
        EntryKind::Update | EntryKind::Note | EntryKind::Action { .. } | EntryKind::Finding { .. }
    ) {
        let mut invalid = Invalid::default();
        invalid.add(
            "seq",
            "Only updates, notes, actions and findings can be corrected",
        );
        return Err(AppError::Invalid(invalid));
    }
    if entry.body == body {
        let mut invalid = Invalid::default();
        invalid.add("body", "The correction is the same as the current text");
        return Err(AppError::Invalid(invalid));
    }
    let revision = repo::insert_revision(&mut tx, entry.id, event_seq, &author, &body, now).await?;
    let revised = TimelineEntry {
        body_html: crate::markdown::to_safe_html(&body),
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
    Ok(revised)
}

/// Every version of the entry created at `seq`, oldest first.
pub async fn revision_history(
    state: &AppState,
    incident: IncidentId,
    seq: i64,
) -> Result<Vec<Revision>, AppError> {
    let entry = repo::find_by_seq(state.db.pool(), incident, seq)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{} timeline entry {seq}", incident.key())))?;
    Ok(repo::list_revisions(state.db.pool(), entry.id).await?)
}
