//! Server functions for the catalog.

use super::model::{Account, Person, System};
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

/// Systems as (slug, name) choices for a picker.
pub async fn system_choices() -> Vec<(String, String)> {
    list_systems()
        .await
        .map(|systems| systems.into_iter().map(|s| (s.slug, s.name)).collect())
        .unwrap_or_default()
}

/// Accounts as (slug, "name (tier)") choices for a picker.
pub async fn account_choices() -> Vec<(String, String)> {
    list_accounts()
        .await
        .map(|accounts| {
            accounts
                .into_iter()
                .map(|a| (a.slug, format!("{} ({})", a.name, a.tier)))
                .collect()
        })
        .unwrap_or_default()
}

/// Everyone known, for role pickers.
#[server(prefix = "/api/fn", endpoint = "list_people")]
pub async fn list_people() -> Result<Vec<Person>, AppError> {
    let state = crate::state::AppState::from_context()?;
    Ok(super::repo::list_people(state.db.pool()).await?)
}

/// People as (email, name) choices for a picker.
pub async fn people_choices() -> Vec<(String, String)> {
    list_people()
        .await
        .map(|people| {
            people
                .into_iter()
                .map(|p| (p.email.clone(), format!("{} <{}>", p.display_name, p.email)))
                .collect()
        })
        .unwrap_or_default()
}
