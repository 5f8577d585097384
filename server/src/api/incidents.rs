//! `/api/v1/incidents` and their timelines.

use super::{ApiError, ApiJson, ApiQuery};
use app::error::AppError;
use app::incidents::model::{ChangeInput, DeclareInput, Incident, IncidentId};
use app::incidents::service;
use app::state::AppState;
use app::timeline::model::{PostEntry, Revision, TimelineEntry};
use app::timeline::service::{self as timeline, RedactInput, ReviseInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list_incidents).post(declare_incident))
        .route("/incidents/{key}", get(get_incident).patch(change_incident))
        .route(
            "/incidents/{key}/timeline",
            get(list_timeline).post(post_entry),
        )
        .route(
            "/incidents/{key}/timeline/{seq}/revisions",
            get(revisions).post(revise_entry),
        )
        .route(
            "/incidents/{key}/timeline/{seq}/redaction",
            axum::routing::post(redact_entry),
        )
}

type ApiResult<T> = Result<T, ApiError>;

fn incident_id(key: &str) -> Result<IncidentId, ApiError> {
    IncidentId::from_key(key).ok_or_else(|| AppError::NotFound(key.to_owned()).into())
}

fn entry_seq(key: &str, seq: &str) -> Result<i64, ApiError> {
    seq.parse()
        .map_err(|_| AppError::NotFound(format!("{key} timeline entry {seq}")).into())
}

async fn declare_incident(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<DeclareInput>,
) -> ApiResult<(StatusCode, Json<Incident>)> {
    let incident = service::declare_incident(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(incident)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ListQuery {
    status: String,
    severity: String,
    /// Slug of an affected system.
    system: String,
    /// Slug of an impacted account.
    account: String,
    tier: String,
    /// Words to find in titles and timeline text.
    q: String,
    /// 1 to 100; 100 when absent.
    limit: Option<i64>,
}

async fn list_incidents(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Vec<Incident>>> {
    let filter = service::parse_filter(
        [
            ("status", query.status),
            ("severity", query.severity),
            ("system", query.system),
            ("account", query.account),
            ("tier", query.tier),
            ("q", query.q),
        ],
        query.limit,
    )?;
    Ok(Json(service::list_incidents(&state, &filter).await?))
}

async fn get_incident(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        service::get_incident(&state, incident_id(&key)?).await?,
    ))
}

async fn change_incident(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<ChangeInput>,
) -> ApiResult<Json<Incident>> {
    Ok(Json(
        service::change_incident(&state, incident_id(&key)?, &input).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    after: Option<i64>,
}

async fn list_timeline(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<TimelineQuery>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    let entries =
        timeline::list_entries(&state, incident_id(&key)?, query.after.unwrap_or(0)).await?;
    Ok(Json(entries))
}

/// 201 when stored now; 200 with the earlier entry when the idempotency key was used before.
async fn post_entry(
    State(state): State<AppState>,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<PostEntry>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    let posted = timeline::post_entry(&state, incident_id(&key)?, &input).await?;
    let status = if posted.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(posted.entry)))
}

async fn revise_entry(
    State(state): State<AppState>,
    Path((key, seq)): Path<(String, String)>,
    ApiJson(input): ApiJson<ReviseInput>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    let seq = entry_seq(&key, &seq)?;
    let revised = timeline::revise_entry(&state, incident_id(&key)?, seq, &input).await?;
    Ok((StatusCode::CREATED, Json(revised)))
}

async fn revisions(
    State(state): State<AppState>,
    Path((key, seq)): Path<(String, String)>,
) -> ApiResult<Json<Vec<Revision>>> {
    let seq = entry_seq(&key, &seq)?;
    Ok(Json(
        timeline::revision_history(&state, incident_id(&key)?, seq).await?,
    ))
}

/// Removes an entry's text; who, when and why replace it for readers.
async fn redact_entry(
    State(state): State<AppState>,
    Path((key, seq)): Path<(String, String)>,
    ApiJson(input): ApiJson<RedactInput>,
) -> ApiResult<Json<TimelineEntry>> {
    let seq = entry_seq(&key, &seq)?;
    Ok(Json(
        timeline::redact_entry(&state, incident_id(&key)?, seq, &input).await?,
    ))
}
