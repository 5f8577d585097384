//! Server functions for the catalog.

// A server function takes one argument per field of its form (it reads the form by
// name), and the `#[server]` macro does not pass an item's `allow` on to the browser
// stub it generates: `create_account` has eight fields.
#![allow(clippy::too_many_arguments)]

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

/// Every team, for the admin page and pickers.
#[server(prefix = "/api/fn", endpoint = "list_teams")]
pub async fn list_teams() -> Result<Vec<super::model::Team>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::service::list_teams(&state).await
}

/// Teams as (slug, name) choices for a picker.
pub async fn team_choices() -> Vec<(String, String)> {
    list_teams()
        .await
        .map(|teams| teams.into_iter().map(|t| (t.slug, t.name)).collect())
        .unwrap_or_default()
}

/// Creates a team from the admin page.
#[server(prefix = "/api/fn", endpoint = "create_team")]
pub async fn create_team(
    slug: String,
    name: String,
    lead_email: Option<String>,
    lead_name: Option<String>,
    notify_email: Option<String>,
    notify_webhook_url: Option<String>,
) -> Result<super::model::Team, AppError> {
    let state = crate::state::AppState::from_context()?;
    let input = super::model::NewTeam {
        slug,
        name,
        lead_email,
        lead_name,
        notify_email,
        notify_webhook_url,
    };
    let (actor, client) = crate::identity::api::caller()?;
    super::service::create_team(&state, (&actor, &client), &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Creates a system from the admin page.
#[server(prefix = "/api/fn", endpoint = "create_system")]
pub async fn create_system(
    slug: String,
    name: String,
    description: Option<String>,
    team: Option<String>,
    #[server(default)] customer_name: Option<String>,
) -> Result<System, AppError> {
    let state = crate::state::AppState::from_context()?;
    let input = super::model::NewSystem {
        slug,
        name,
        description: description.unwrap_or_default(),
        team: team.filter(|t| !t.is_empty()),
        customer_name,
    };
    let (actor, client) = crate::identity::api::caller()?;
    super::service::create_system(&state, (&actor, &client), &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Creates an account from the admin page; contacts are separated by commas.
#[server(prefix = "/api/fn", endpoint = "create_account")]
pub async fn create_account(
    slug: String,
    name: String,
    tier: String,
    crm_id: Option<String>,
    csm_email: Option<String>,
    csm_name: Option<String>,
    contact_emails: Option<String>,
    sla_policy: Option<String>,
) -> Result<Account, AppError> {
    let state = crate::state::AppState::from_context()?;
    let input = super::model::NewAccount {
        slug,
        name,
        tier,
        crm_id,
        csm_email,
        csm_name,
        contact_emails: contact_emails
            .unwrap_or_default()
            .split([',', ';'])
            .map(|e| e.trim().to_owned())
            .collect(),
        sla_policy,
    };
    let (actor, client) = crate::identity::api::caller()?;
    super::service::create_account(&state, (&actor, &client), &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Previews (or, with `apply`, runs) an account import pasted on the admin page.
#[server(prefix = "/api/fn", endpoint = "import_accounts")]
pub async fn import_accounts(
    csv: String,
    apply: Option<String>,
) -> Result<super::import::ImportReport, AppError> {
    let state = crate::state::AppState::from_context()?;
    let apply = apply.is_some_and(|a| a == "true");
    let (actor, client) = crate::identity::api::caller()?;
    super::service::import_accounts(
        &state,
        (&actor, &client),
        csv.as_bytes(),
        &Default::default(),
        apply,
    )
    .await
    .inspect_err(crate::error::set_error_status)
}
