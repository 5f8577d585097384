//! Server functions for SLA clocks.

use super::model::SlaClock;
use crate::error::AppError;
use leptos::prelude::*;

/// The incident's SLA clocks read now, tightest first.
#[server(prefix = "/api/fn", endpoint = "get_sla")]
pub async fn get_sla(key: String) -> Result<Vec<SlaClock>, AppError> {
    use crate::incidents::model::IncidentId;
    let state = crate::state::AppState::from_context()?;
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    super::engine::incident_clocks(&state, id).await
}
