//! The REST API under `/api/v1`: JSON for integrations, the CLI and scripted checks.
//! Handlers are thin: parse, call the feature's service, map the result.
//!
//! Every route is registered through `utoipa_axum::routes!`, which also adds it to
//! the OpenAPI document served at `/api/v1/openapi.json`: a route cannot exist
//! without being documented.

mod catalog;
mod comms;
mod error;
mod incidents;
mod intake;
mod live;
mod postmortem;
mod session;
mod sla;
mod statuspage;

use app::state::AppState;
use axum::{Json, Router};
pub use error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use std::sync::OnceLock;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sitrep API",
        description = "Incidents, their timelines, the catalog (teams, systems, customer accounts) and notifications. \
                       Errors are JSON `{\"error\": {\"code\", \"message\", \"fields\"?}}` with a 4xx/5xx status; \
                       a request that fails validation writes nothing."
    ),
    tags(
        (name = "incidents", description = "Declare, find and change incidents"),
        (name = "timeline", description = "The append-only record of an incident"),
        (name = "catalog", description = "Teams, systems and customer accounts"),
        (name = "session", description = "Signing in and out; who is signed in"),
        (name = "live", description = "The websocket stream of incident events"),
        (name = "sla", description = "Response and resolution clocks per impacted account"),
        (name = "comms", description = "Customer messages: schedules, drafts, approvals, guards, delivery and the log"),
        (name = "postmortem", description = "Post-mortems generated from the timeline, edited as versions"),
        (name = "intake", description = "Alerts from PagerDuty, Alertmanager, Grafana, Datadog, Opsgenie and generic webhooks"),
        (name = "statuspage", description = "The status page's components and name, and accounts' private status page links"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// The signed-in caller, as the authorization middleware (`crate::access`) let it
/// through: every handler that acts for someone takes its actor from here.
pub struct Actor(pub app::identity::model::User);

/// The incident a path's `{key}` names (404 for a key that is not one).
fn incident_id(key: &str) -> Result<app::incidents::model::IncidentId, ApiError> {
    app::incidents::model::IncidentId::from_key(key)
        .ok_or_else(|| app::error::AppError::NotFound(key.to_owned()).into())
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Actor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<app::identity::access::SignedIn>()
            .map(|signed_in| Actor(signed_in.0.clone()))
            .ok_or_else(|| app::error::AppError::Unauthenticated("Sign in first".into()).into())
    }
}

/// The router and its OpenAPI document, from one list of routes.
fn build() -> (Router<AppState>, OpenApiDoc) {
    let v1 = incidents::routes()
        .merge(catalog::routes())
        .merge(session::routes())
        .merge(live::routes())
        .merge(sla::routes())
        .merge(comms::routes())
        .merge(postmortem::routes())
        .merge(intake::routes())
        .merge(statuspage::routes())
        .routes(routes!(openapi_json));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts()
}

/// The OpenAPI document (built once).
pub fn openapi() -> &'static OpenApiDoc {
    static DOC: OnceLock<OpenApiDoc> = OnceLock::new();
    DOC.get_or_init(|| build().1)
}

/// Every `/api/v1` route.
pub fn routes() -> Router<AppState> {
    build().0
}

/// The OpenAPI 3.1 document describing every route of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
async fn openapi_json() -> Json<&'static OpenApiDoc> {
    Json(openapi())
}
