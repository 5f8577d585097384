//! Alert intake over HTTP: the webhook each integration's source calls (public: the
//! signature is the credential), and the integrations admins manage.

use super::{Actor, ApiError, ApiJson, ApiPath, ErrorBody};
use app::intake::model::{
    CreatedIntegration, Delivery, DeliveryReport, Integration, IntegrationInput, RoutingRule,
    RuleTest, RuleTestAlert, SecretInput,
};
use app::intake::service::{self, IntakeError};
use app::intake::verify::Headers;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deliver))
        .routes(routes!(list_integrations, create_integration))
        .routes(routes!(save_rules))
        .routes(routes!(test_rules))
        .routes(routes!(replace_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay_delivery))
}

struct Http<'a>(&'a HeaderMap);

impl Headers for Http<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

impl From<IntakeError> for ApiError {
    fn from(err: IntakeError) -> Self {
        let message = err.to_string();
        match err {
            IntakeError::Unknown => {
                ApiError::with_status(StatusCode::NOT_FOUND, "not_found", message)
            }
            IntakeError::TooLarge => {
                ApiError::with_status(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
            }
            IntakeError::Unverified(_) => {
                ApiError::with_status(StatusCode::UNAUTHORIZED, "unauthenticated", message)
            }
            IntakeError::Malformed(_) => {
                ApiError::with_status(StatusCode::BAD_REQUEST, "bad_request", message)
            }
            IntakeError::Failed(err) => err.into(),
        }
    }
}

/// A source's delivery: verified its vendor's way (PagerDuty `X-PagerDuty-Signature`;
/// Grafana `X-Grafana-Alerting-Signature` or a bearer token; the others
/// `Authorization: Bearer <secret>`), read, and applied: each alert opens an incident,
/// adds to the open one it opened, or is counted as a repeat.
#[utoipa::path(post, path = "/intake/{kind}/{id}", tag = "intake",
    params(("kind" = String, Path, description = "pagerduty, alertmanager, grafana, datadog, opsgenie or generic"),
           ("id" = String, Path, description = "The integration's id, from its URL")),
    request_body(description = "The vendor's webhook payload", content_type = "application/json", content = String),
    responses((status = 202, description = "Taken: what each alert did", body = DeliveryReport),
              (status = 400, description = "Not JSON, or a required field missing (named by its JSON path); nothing written", body = ErrorBody),
              (status = 401, description = "Missing or wrong signature, or a replay; nothing written (counted on the integration)", body = ErrorBody),
              (status = 404, description = "No such integration", body = ErrorBody),
              (status = 413, description = "Over 256 KiB; nothing written", body = ErrorBody)))]
async fn deliver(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<DeliveryReport>), ApiError> {
    let report = service::receive(&state, &kind, &id, &Http(&headers), &body).await?;
    Ok((StatusCode::ACCEPTED, Json(report)))
}

/// Every integration, with its URL and counts (never its secret).
#[utoipa::path(get, path = "/integrations", tag = "intake",
    responses((status = 200, body = Vec<Integration>), (status = 403, body = ErrorBody)))]
async fn list_integrations(
    State(state): State<AppState>,
    Actor(by): Actor,
) -> Result<Json<Vec<Integration>>, ApiError> {
    Ok(Json(service::list(&state, &by).await?))
}

/// Creates an integration. Its secret (given, e.g. PagerDuty's, or generated) is in
/// this answer only.
#[utoipa::path(post, path = "/integrations", tag = "intake", request_body = IntegrationInput,
    responses((status = 201, body = CreatedIntegration), (status = 403, body = ErrorBody),
              (status = 422, description = "Unknown source or system, no name, short secret; nothing written", body = ErrorBody)))]
async fn create_integration(
    State(state): State<AppState>,
    Actor(by): Actor,
    ApiJson(input): ApiJson<IntegrationInput>,
) -> Result<(StatusCode, Json<CreatedIntegration>), ApiError> {
    let created = service::create(&state, &input, &by).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Replaces the integration's routing rules (in order; the first an alert matches
/// decides its incident's systems, severity, tier and accounts).
#[utoipa::path(put, path = "/integrations/{id}/rules", tag = "intake",
    params(("id" = String, Path, description = "The integration's id")), request_body = Vec<RoutingRule>,
    responses((status = 200, body = Integration), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "A rule without a name, an unknown system or account (the field names the rule); nothing saved", body = ErrorBody)))]
async fn save_rules(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(id): Path<String>,
    ApiJson(rules): ApiJson<Vec<RoutingRule>>,
) -> Result<Json<Integration>, ApiError> {
    Ok(Json(service::save_rules(&state, &id, &rules, &by).await?))
}

/// The rule tester: which rule each alert of a pasted sample hits and the incident it
/// would declare (saved rules, or `rules` as being edited); nothing written.
#[utoipa::path(post, path = "/integrations/{id}/rule-test", tag = "intake",
    params(("id" = String, Path, description = "The integration's id")), request_body = RuleTest,
    responses((status = 200, body = Vec<RuleTestAlert>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "The sample is not JSON or not this source's payload (naming the JSON path)", body = ErrorBody)))]
async fn test_rules(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(id): Path<String>,
    ApiJson(test): ApiJson<RuleTest>,
) -> Result<Json<Vec<RuleTestAlert>>, ApiError> {
    Ok(Json(service::test_rules(&state, &id, &test, &by).await?))
}

/// The integration's latest 20 deliveries, newest first: when, size, what each alert
/// did (raw bodies are kept for replay, not listed).
#[utoipa::path(get, path = "/integrations/{id}/deliveries", tag = "intake",
    params(("id" = String, Path, description = "The integration's id")),
    responses((status = 200, body = Vec<Delivery>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_deliveries(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(id): Path<String>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    Ok(Json(service::deliveries(&state, &id, &by).await?))
}

/// Runs a kept delivery through the current rules as if it arrived now (an alert
/// whose incident is open adds to it); kept as a new delivery naming this one.
#[utoipa::path(post, path = "/integrations/{id}/deliveries/{delivery}/replay", tag = "intake",
    params(("id" = String, Path, description = "The integration's id"),
           ("delivery" = i64, Path, description = "The delivery to replay")),
    responses((status = 200, description = "What each alert did this time", body = DeliveryReport),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "It no longer reads as this source's payload", body = ErrorBody)))]
async fn replay_delivery(
    State(state): State<AppState>,
    Actor(by): Actor,
    ApiPath((id, delivery)): ApiPath<(String, i64)>,
) -> Result<Json<DeliveryReport>, ApiError> {
    Ok(Json(service::replay(&state, &id, delivery, &by).await?))
}

/// Replaces the integration's secret: the one given (e.g. the signing secret PagerDuty
/// shows once its webhook exists) or a new one when none is. In this answer only.
#[utoipa::path(put, path = "/integrations/{id}/secret", tag = "intake",
    params(("id" = String, Path, description = "The integration's id")), request_body = SecretInput,
    responses((status = 200, body = CreatedIntegration), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "Shorter than 16 characters; nothing changed", body = ErrorBody)))]
async fn replace_secret(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SecretInput>,
) -> Result<Json<CreatedIntegration>, ApiError> {
    let replaced = service::replace_secret(&state, &id, input.secret.as_deref(), &by).await?;
    Ok(Json(replaced))
}
