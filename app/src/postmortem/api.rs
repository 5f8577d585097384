//! Server functions for the post-mortem page: thin glue over the service.

use super::model::PostMortem;
use crate::error::AppError;
use leptos::prelude::*;

/// The incident's post-mortem (`None` before the first draft).
#[server(prefix = "/api/fn", endpoint = "get_postmortem")]
pub async fn get_postmortem(key: String) -> Result<Option<PostMortem>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::current(&state, id)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Generates a draft from the timeline as the next version.
#[server(prefix = "/api/fn", endpoint = "generate_postmortem")]
pub async fn generate_postmortem(key: String) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::generate(&state, id, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Saves the edited text as the next version (refused when `base_version` is no
/// longer the newest).
#[server(prefix = "/api/fn", endpoint = "save_postmortem")]
pub async fn save_postmortem(
    key: String,
    body: String,
    base_version: i64,
) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let edit = super::model::PostMortemEdit { body, base_version };
    super::service::edit(&state, id, &edit, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}
