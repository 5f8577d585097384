//! Server functions for SLA clocks.

use super::model::{BoardClock, BoardFilter, SlaClock};
use crate::error::AppError;
use leptos::prelude::*;

/// The incident's SLA clocks read now, tightest first.
#[server(prefix = "/api/fn", endpoint = "get_sla")]
pub async fn get_sla(key: String) -> Result<Vec<SlaClock>, AppError> {
    use crate::incidents::model::IncidentId;
    let state = crate::state::AppState::from_context()?;
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    super::engine::incident_clocks(&state, id)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Every running clock on open incidents that `filter` admits, tightest first.
#[server(prefix = "/api/fn", endpoint = "get_sla_board")]
pub async fn get_sla_board(filter: BoardFilter) -> Result<Vec<BoardClock>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::engine::open_clocks(&state, &filter)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Compliance per account, tier or severity over a period.
#[server(prefix = "/api/fn", endpoint = "get_sla_report")]
pub async fn get_sla_report(
    query: super::model::ReportQuery,
) -> Result<super::model::ComplianceReport, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::report::compliance(&state, &query)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Every SLA policy at its current version (the admin page).
#[server(prefix = "/api/fn", endpoint = "list_sla_policies")]
pub async fn list_sla_policies() -> Result<Vec<super::model::PolicyView>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let policies = super::service::list_policies(&state).await?;
    Ok(policies.iter().map(|p| p.view()).collect())
}

/// New terms for a policy, typed as JSON: they become its next version.
#[server(prefix = "/api/fn", endpoint = "revise_sla_policy")]
pub async fn revise_sla_policy(slug: String, terms: String) -> Result<i64, AppError> {
    let state = crate::state::AppState::from_context()?;
    let (actor, client) = crate::identity::api::caller()?;
    let revised = super::service::revise_policy_from_json(&state, (&actor, &client), &slug, &terms)
        .await
        .inspect_err(crate::error::set_error_status)?;
    Ok(revised.version)
}

/// New terms for a policy from the editor's fields: they become its next version.
#[server(prefix = "/api/fn", endpoint = "revise_sla_policy_form")]
pub async fn revise_sla_policy_form(
    slug: String,
    terms: super::model::PolicyForm,
) -> Result<i64, AppError> {
    let state = crate::state::AppState::from_context()?;
    let (actor, client) = crate::identity::api::caller()?;
    let revised = super::service::revise_policy_from_form(&state, (&actor, &client), &slug, &terms)
        .await
        .inspect_err(crate::error::set_error_status)?;
    Ok(revised.version)
}

/// Gives an account its own SLA contract policy; an empty `policy` puts it back on its
/// tier's default. Clocks already running keep the policy they started with.
#[server(prefix = "/api/fn", endpoint = "set_account_sla_policy")]
pub async fn set_account_sla_policy(account: String, policy: String) -> Result<(), AppError> {
    let state = crate::state::AppState::from_context()?;
    let (actor, client) = crate::identity::api::caller()?;
    let choice = super::service::AccountPolicyChoice {
        policy: Some(policy.trim().to_lowercase()).filter(|p| !p.is_empty()),
    };
    super::service::set_account_policy(&state, (&actor, &client), &account, &choice)
        .await
        .inspect_err(crate::error::set_error_status)
}
