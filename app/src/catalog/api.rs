//! Server functions for the catalog.

use super::model::{Account, System};
use crate::error::AppError;
use leptos::prelude::*;

/// Every system, for pickers.
#[server(prefix = "/api/fn", endpoint = "list_systems")]
pub async fn list_systems() -> Result<Vec<System>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::service::list_systems(&state).await
}

/// Every customer account, for pickers.
#[server(prefix = "/api/fn", endpoint = "list_accounts")]
pub async fn list_accounts() -> Result<Vec<Account>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::service::list_accounts(&state).await
}
