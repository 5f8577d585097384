//! `/api/v1/incidents` and their timelines.

use super::{incident_id, Actor, ApiError, ApiJson, ApiQuery, ErrorBody};
use app::error::AppError;
use app::incidents::model::{ChangeInput, DeclareInput, Incident};
use app::incidents::service;
use app::state::AppState;
use app::timeline::model::{PostEntry, Revision, TimelineEntry};
use app::timeline::service::{self as timeline, RedactInput, ReviseInput};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

/// One `routes!` per path: the router and the OpenAPI document come from the same list.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_incidents, declare_incident))
        .routes(routes!(get_incident, change_incident))
        .routes(routes!(list_timeline, post_entry))
        .routes(routes!(revisions, revise_entry))
        .routes(routes!(redact_entry))
}

type ApiResult<T> = Result<T, ApiError>;

fn entry_seq(key: &str, seq: &str) -> Result<i64, ApiError> {
    seq.parse()
        .map_err(|_| AppError::NotFound(format!("{key} timeline entry {seq}")).into())
}

#[utoipa::path(post, path = "/incidents", tag = "incidents", request_body = DeclareInput,
    responses((status = 201, description = "Declared; the owning leads are being notified", body = Incident),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 413, description = "Body too large", body = ErrorBody),
              (status = 422, description = "Invalid input; nothing written", body = ErrorBody)))]
async fn declare_incident(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(input): ApiJson<DeclareInput>,
) -> ApiResult<(StatusCode, Json<Incident>)> {
    let incident = service::declare_incident(&state, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    /// investigating, identified, fixing, monitoring or resolved.
    #[param(pattern = r"^(|investigating|identified|fixing|monitoring|resolved)$")]
    status: Option<String>,
    /// P1, P2 or P3.
    #[param(pattern = r"^(|P1|P2|P3)$")]
    severity: Option<String>,
    /// Slug of an affected system.
    system: Option<String>,
    /// Slug of an impacted account.
    account: Option<String>,
    /// enterprise, business or standard.
    #[param(pattern = r"^(|enterprise|business|standard)$")]
    tier: Option<String>,
    /// Words to find in titles and timeline text (case-insensitive).
    q: Option<String>,
    /// 1 to 100; 100 when absent.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

#[utoipa::path(get, path = "/incidents", tag = "incidents", params(ListQuery),
    responses((status = 200, description = "Newest first", body = Vec<Incident>),
              (status = 422, description = "An unknown filter value", body = ErrorBody)))]
async fn list_incidents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Incident>>> {
    let filter = service::parse_filter(
        [
            ("status", query.status.unwrap_or_default()),
            ("severity", query.severity.unwrap_or_default()),
            ("system", query.system.unwrap_or_default()),
            ("account", query.account.unwrap_or_default()),
            ("tier", query.tier.unwrap_or_default()),
            ("q", query.q.unwrap_or_default()),
        ],
        query.limit,
    )?;
    Ok(Json(service::list_incidents(&state, &filter).await?))
}

#[utoipa::path(get, path = "/incidents/{key}", tag = "incidents", params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, body = Incident), (status = 404, body = ErrorBody)))]
async fn get_incident(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        service::get_incident(&state, incident_id(&key)?).await?,
    ))
}

#[utoipa::path(patch, path = "/incidents/{key}", tag = "incidents", params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = ChangeInput,
    responses((status = 200, description = "Changed; each change has its timeline entry", body = Incident),
              (status = 404, body = ErrorBody), (status = 422, description = "Invalid change; nothing written", body = ErrorBody)))]
async fn change_incident(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        service::change_incident(&state, &actor, incident_id(&key)?, &input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    /// Only entries after this seq (0 or absent: all).
    after: Option<i64>,
}

#[utoipa::path(get, path = "/incidents/{key}/timeline", tag = "timeline", params(("key" = String, Path, description = "Incident key, e.g. INC-42"), TimelineQuery),
    responses((status = 200, description = "In seq order", body = Vec<TimelineEntry>), (status = 404, body = ErrorBody)))]
async fn list_timeline(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<TimelineQuery>,
) -> ApiResult<Response> {
    let timeline = timeline::read_timeline(&state, incident_id(&key)?).await?;
    Ok(match query.after.unwrap_or(0) {
        // The whole timeline is served as JSON made once per version.
        0 => ([(CONTENT_TYPE, "application/json")], timeline.json()).into_response(),
        after => Json(timeline.after(after)).into_response(),
    })
}

/// 201 when stored now; 200 with the earlier entry when the idempotency key was used before.
#[utoipa::path(post, path = "/incidents/{key}/timeline", tag = "timeline", params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = PostEntry,
    responses((status = 201, description = "Stored", body = TimelineEntry),
              (status = 200, description = "Stored earlier under the same idempotency key", body = TimelineEntry),
              (status = 404, body = ErrorBody), (status = 409, description = "Idempotency key used for a different entry", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn post_entry(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<PostEntry>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    let posted = timeline::post_entry(&state, &actor, incident_id(&key)?, &input).await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(posted.entry)))
}

#[utoipa::path(post, path = "/incidents/{key}/timeline/{seq}/revisions", tag = "timeline", params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("seq" = i64, Path, description = "The seq the entry was created at")),
    request_body = ReviseInput,
    responses((status = 201, description = "The entry with its new revision", body = TimelineEntry),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn revise_entry(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, seq)): Path<(String, String)>,
    ApiJson(input): ApiJson<ReviseInput>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    let seq = entry_seq(&key, &seq)?;
    let revised = timeline::revise_entry(&state, &actor, incident_id(&key)?, seq, &input).await?;
    Ok((StatusCode::CREATED, Json(revised)))
}

#[utoipa::path(get, path = "/incidents/{key}/timeline/{seq}/revisions", tag = "timeline", params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("seq" = i64, Path, description = "The seq the entry was created at")),
    responses((status = 200, description = "Oldest first; revision 1 is the original", body = Vec<Revision>), (status = 404, body = ErrorBody)))]
async fn revisions(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, seq)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Revision>>> {
    let seq = entry_seq(&key, &seq)?;
    Ok(Json(
        timeline::revision_history(&state, &actor, incident_id(&key)?, seq).await?,
    ))
}

/// Removes an entry's text; who, when and why replace it for readers.
#[utoipa::path(post, path = "/incidents/{key}/timeline/{seq}/redaction", tag = "timeline", params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("seq" = i64, Path, description = "The seq the entry was created at")),
    request_body = RedactInput,
    responses((status = 200, description = "The entry, its text withheld", body = TimelineEntry),
              (status = 404, body = ErrorBody), (status = 409, description = "Removed already", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn redact_entry(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, seq)): Path<(String, String)>,
    ApiJson(input): ApiJson<RedactInput>,
) -> ApiResult<Json<TimelineEntry>> {
    let seq = entry_seq(&key, &seq)?;
    Ok(Json(
        timeline::redact_entry(&state, &actor, incident_id(&key)?, seq, &input).await?,
    ))
}
