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
pub use error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
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
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    document_common_answers(&mut doc);
    close_tagged_variants(&mut doc, &["Audience", "CalendarTerms"]);
    (router, doc)
}

/// Marks each variant of these internally tagged enums as taking no other fields, as
/// their `#[serde(deny_unknown_fields)]` does: utoipa carries that onto structs, not
/// onto an enum's variants.
fn close_tagged_variants(doc: &mut OpenApiDoc, enums: &[&str]) {
    use utoipa::openapi::schema::AdditionalProperties;
    use utoipa::openapi::{RefOr, Schema};
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in enums {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) {
            for variant in &mut one_of.items {
                // A variant with only its tag stays open: serde does not check the
                // fields of a unit variant.
                if let RefOr::T(Schema::Object(object)) = variant {
                    if object.properties.len() > 1 {
                        object.additional_properties =
                            Some(Box::new(AdditionalProperties::FreeForm(false)));
                    }
                }
            }
        }
    }
}

/// Adds the answers every route of a kind gives, which the handlers do not list one
/// by one: 400/413/415 for a body that is not the JSON asked for, 400 for a query
/// string that does not parse, 422 for input refused by validation, 404 for a path
/// naming nothing, 401/403 on routes that need someone signed in, and 503 while the
/// database cannot take requests.
fn document_common_answers(doc: &mut OpenApiDoc) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("GET", &mut item.get),
            ("PUT", &mut item.put),
            ("POST", &mut item.post),
            ("DELETE", &mut item.delete),
            ("PATCH", &mut item.patch),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let has = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
            let mut answers = Vec::new();
            if operation.request_body.is_some() {
                answers.extend([
                    ("400", "The body is not valid JSON of the documented shape"),
                    ("413", "The body is larger than 16 MiB"),
                    ("415", "The body is not `Content-Type: application/json`"),
                    ("422", "Refused by validation; `fields` names each problem"),
                ]);
            }
            if has(ParameterIn::Query) {
                answers.extend([
                    (
                        "400",
                        "The query string does not parse (unknown or mistyped parameter)",
                    ),
                    ("422", "Refused by validation; `fields` names each problem"),
                ]);
            }
            if has(ParameterIn::Path) {
                answers.push(("404", "Nothing has that key, id or name"));
            }
            let route = format!("/api/v1{path}");
            if app::identity::access::required(method, &route)
                != Some(app::identity::access::Access::Public)
            {
                answers.extend([
                    ("401", "No valid session cookie or API token"),
                    ("403", "The signed-in role may not do this"),
                ]);
            }
            if method != "GET" || route != "/api/v1/openapi.json" {
                answers.push((
                    "503",
                    "The database cannot take the request right now (unreachable, restarting, \
                     out of disk); nothing was stored, and the same request may be sent again",
                ));
            }
            for (status, description) in answers {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description).into());
            }
        }
    }
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
