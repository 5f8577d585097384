//! `/api/v1/teams`, `/api/v1/systems`, and who was notified about an incident.

use super::{ApiError, ApiJson};
use app::catalog::model::{Account, NewAccount, NewSystem, NewTeam, System, Team};
use app::catalog::service;
use app::error::AppError;
use app::incidents::model::IncidentId;
use app::notify::model::IncidentNotifications;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams", get(list_teams).post(create_team))
        .route("/systems", get(list_systems).post(create_system))
        .route("/accounts", get(list_accounts).post(create_account))
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
