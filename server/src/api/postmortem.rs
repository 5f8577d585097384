//! Post-mortems: the incident's document, generated from the timeline and edited as
//! versions; its Markdown for export.

use super::{Actor, ApiError, ApiJson, ErrorBody};
use app::error::AppError;
use app::incidents::model::IncidentId;
use app::postmortem::model::{PostMortem, PostMortemEdit};
use app::postmortem::service;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current, generate, edit))
        .routes(routes!(markdown))
}

type ApiResult<T> = Result<T, ApiError>;

fn incident_id(key: &str) -> Result<IncidentId, ApiError> {
    IncidentId::from_key(key).ok_or_else(|| AppError::NotFound(key.to_owned()).into())
}

async fn existing(state: &AppState, key: &str) -> ApiResult<PostMortem> {
    service::current(state, incident_id(key)?)
        .await?
        .ok_or_else(|| {
            AppError::NotFound(format!("a post-mortem of {key} (generate one first)")).into()
        })
}

#[utoipa::path(get, path = "/incidents/{key}/postmortem", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "The newest version and the list of versions", body = PostMortem),
              (status = 404, description = "No such incident, or no draft yet", body = ErrorBody)))]
async fn current(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<PostMortem>> {
    Ok(Json(existing(&state, &key).await?))
}

/// Generates a draft from the timeline as it stands, as the next version; times are in
/// the caller's zone.
#[utoipa::path(post, path = "/incidents/{key}/postmortem", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 201, description = "Generated", body = PostMortem),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn generate(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
) -> ApiResult<(StatusCode, Json<PostMortem>)> {
    let document = service::generate(&state, incident_id(&key)?, &by).await?;
    Ok((StatusCode::CREATED, Json(document)))
}

/// Saves edited text as the next version.
#[utoipa::path(put, path = "/incidents/{key}/postmortem", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = PostMortemEdit,
    responses((status = 200, description = "Saved", body = PostMortem),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "base_version is no longer the newest: nothing written", body = ErrorBody),
              (status = 422, description = "Empty or too long; nothing written", body = ErrorBody)))]
async fn edit(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<PostMortemEdit>,
) -> ApiResult<Json<PostMortem>> {
    Ok(Json(
        service::edit(&state, incident_id(&key)?, &input, &by).await?,
    ))
}

/// The newest version's Markdown, as a file.
#[utoipa::path(get, path = "/incidents/{key}/postmortem/markdown", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "text/markdown", content_type = "text/markdown", body = String),
              (status = 404, body = ErrorBody)))]
async fn markdown(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult<Response> {
    let document = existing(&state, &key).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-postmortem.md\"",
                    document.incident
                ),
            ),
        ],
        document.body,
    )
        .into_response())
}
