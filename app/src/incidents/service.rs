//! The rules for incidents: the one place a change to them is decided.

use super::model::{Declaration, Incident, IncidentId};
use super::repo;
use crate::error::AppError;
use crate::state::AppState;

/// How many incidents the list shows.
pub const LIST_LIMIT: i64 = 100;

/// Declares an incident from raw input; writes nothing when the input is invalid.
pub async fn declare_incident(
    state: &AppState,
    title: &str,
    severity: &str,
    description: &str,
) -> Result<Incident, AppError> {
    let declaration = Declaration::parse(title, severity, description)?;
    let id = repo::insert(&state.db, &declaration, state.clock.now()).await?;
    tracing::info!(incident = %id.key(), severity = %declaration.severity, "incident declared");
    get_incident(state, id).await
}

/// The newest incidents first.
pub async fn list_incidents(state: &AppState) -> Result<Vec<Incident>, AppError> {
    Ok(repo::list_newest(&state.db, LIST_LIMIT).await?)
}

/// One incident, or `NotFound` naming its key.
pub async fn get_incident(state: &AppState, id: IncidentId) -> Result<Incident, AppError> {
    repo::find(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))
}
