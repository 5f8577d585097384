//! Server functions for the catalog.

use super::model::System;
use crate::error::AppError;
use leptos::prelude::*;

/// Every system, for pickers.
#[server(prefix = "/api/fn", endpoint = "list_systems")]
pub async fn list_systems() -> Result<Vec<System>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::service::list_systems(&state).await
}
