//! Server functions for incidents: thin glue between the browser and the service.

use super::model::Incident;
use crate::error::AppError;
use leptos::prelude::*;

/// Declares an incident. Without JavaScript the browser is redirected back to the
/// form, which reads the outcome from the URL.
#[server(prefix = "/api/fn", endpoint = "declare_incident")]
pub async fn declare_incident(
    title: String,
    severity: String,
    description: String,
) -> Result<Incident, AppError> {
    use super::service;
    use crate::state::AppState;
    let state = AppState::from_context()?;
    service::declare_incident(&state, &title, &severity, &description)
        .await
        .inspect_err(set_error_status)
}

/// The newest incidents first.
#[server(prefix = "/api/fn", endpoint = "list_incidents")]
pub async fn list_incidents() -> Result<Vec<Incident>, AppError> {
    use crate::state::AppState;
    let state = AppState::from_context()?;
    super::service::list_incidents(&state).await
}

/// One incident by its key (`INC-42`).
#[server(prefix = "/api/fn", endpoint = "get_incident")]
pub async fn get_incident(key: String) -> Result<Incident, AppError> {
    use super::model::IncidentId;
    use crate::state::AppState;
    let state = AppState::from_context()?;
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    super::service::get_incident(&state, id)
        .await
        .inspect_err(set_error_status)
}

/// Gives an error response its proper status code, except for plain form posts:
/// those must stay redirects so the browser returns to the form.
#[cfg(feature = "ssr")]
fn set_error_status(err: &AppError) {
    use axum::http::{header::ACCEPT, request::Parts};
    let plain_form_post = use_context::<Parts>()
        .and_then(|parts| parts.headers.get(ACCEPT).cloned())
        .and_then(|accept| accept.to_str().map(|a| a.contains("text/html")).ok())
        .unwrap_or(false);
    if let (false, Some(response)) = (
        plain_form_post,
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        response.set_status(err.status());
    }
}
