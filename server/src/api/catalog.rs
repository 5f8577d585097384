//! `/api/v1/teams`, `/api/v1/systems`, and who was notified about an incident.

use super::{ApiError, ApiJson, ApiQuery};
use app::catalog::import::{ImportReport, ImportRequest};
use app::catalog::model::{Account, NewAccount, NewSystem, NewTeam, System, Team};
use app::catalog::service;
use app::error::AppError;
use app::incidents::model::IncidentId;
use app::notify::model::IncidentNotifications;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/systems", get(list_systems).post(create_system))
        .route("/accounts", get(list_accounts).post(create_account))
        .route("/accounts/import", axum::routing::post(import_accounts))
        .route("/incidents/{key}/notifications", get(notifications))
}

async fn create_team(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_team(&state, &input).await?),
    ))
}

async fn list_teams(State(state): State<AppState>) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(service::list_teams(&state).await?))
}

async fn create_system(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewSystem>,
) -> Result<(StatusCode, Json<System>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_system(&state, &input).await?),
    ))
}

async fn list_systems(State(state): State<AppState>) -> Result<Json<Vec<System>>, ApiError> {
    Ok(Json(service::list_systems(&state).await?))
}

async fn notifications(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<IncidentNotifications>, ApiError> {
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    app::incidents::service::get_incident(&state, id).await?;
    Ok(Json(
        app::notify::service::incident_notifications(&state, id).await?,
    ))
}

async fn create_account(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_account(&state, &input).await?),
    ))
}

async fn list_accounts(State(state): State<AppState>) -> Result<Json<Vec<Account>>, ApiError> {
    Ok(Json(service::list_accounts(&state).await?))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// For a `text/csv` body: write the accepted rows (default: only report).
    apply: Option<bool>,
}

/// `text/csv` body (automatic column mapping, `?apply=true` to write) or JSON
/// `{csv, apply, columns}` (explicit mapping). Answers the report either way.
async fn import_accounts(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    request: Request,
) -> Result<Json<ImportReport>, ApiError> {
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let report = if content_type.starts_with("application/json") {
        let ApiJson(import) = ApiJson::<ImportRequest>::from_request(request, &state).await?;
        service::import_accounts(&state, import.csv.as_bytes(), &import.columns, import.apply)
            .await?
    } else if ["text/csv", "application/csv", "text/plain"]
        .iter()
        .any(|t| content_type.starts_with(t))
    {
        let csv = Bytes::from_request(request, &state)
            .await
            .map_err(|e| ApiError::from_rejection(e.status(), e.body_text()))?;
        service::import_accounts(&state, &csv, &BTreeMap::new(), query.apply.unwrap_or(false))
            .await?
    } else {
        return Err(ApiError::unsupported_media_type(
            "Send the CSV as text/csv, or JSON {\"csv\": …, \"apply\": …, \"columns\": …}",
        ));
    };
    Ok(Json(report))
}
