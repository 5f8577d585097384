//! `/api/v1/teams`, `/api/v1/systems`, and who was notified about an incident.

use super::{Actor, ApiError, ApiJson, ApiQuery, ErrorBody};
use app::catalog::import::{ImportReport, ImportRequest};
use app::catalog::model::{Account, NewAccount, NewMember, NewSystem, NewTeam, System, Team};
use app::catalog::service;
use app::error::AppError;
use app::identity::service::Client;
use app::incidents::model::IncidentId;
use app::notify::model::IncidentNotifications;
use app::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use std::collections::BTreeMap;
use utoipa_axum::{router::OpenApiRouter, routes};

/// One `routes!` per path: the router and the OpenAPI document come from the same list.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_teams, create_team))
        .routes(routes!(list_systems, create_system))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(import_accounts))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(notifications))
}

#[utoipa::path(post, path = "/teams", tag = "catalog", request_body = NewTeam,
    responses((status = 201, body = Team), (status = 422, body = ErrorBody)))]
async fn create_team(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    ApiJson(input): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_team(&state, (&actor, &client), &input).await?),
    ))
}

/// Adds someone to a team (the person is added if new); audited.
#[utoipa::path(post, path = "/teams/{slug}/members", tag = "catalog",
    params(("slug" = String, Path, description = "Team slug")), request_body = NewMember,
    responses((status = 201, description = "The team with its members", body = Team),
              (status = 404, body = ErrorBody), (status = 409, description = "On the team already", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn add_member(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<NewMember>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    let team = service::add_member(&state, (&actor, &client), &slug, &input).await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// Takes someone off a team; audited.
#[utoipa::path(delete, path = "/teams/{slug}/members/{email}", tag = "catalog",
    params(("slug" = String, Path, description = "Team slug"), ("email" = String, Path, description = "The member's email")),
    responses((status = 200, description = "The team with its members", body = Team), (status = 404, body = ErrorBody)))]
async fn remove_member(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    Path((slug, email)): Path<(String, String)>,
) -> Result<Json<Team>, ApiError> {
    Ok(Json(
        service::remove_member(&state, (&actor, &client), &slug, &email).await?,
    ))
}

#[utoipa::path(get, path = "/teams", tag = "catalog", responses((status = 200, body = Vec<Team>)))]
async fn list_teams(State(state): State<AppState>) -> Result<Json<Vec<Team>>, ApiError> {
    Ok(Json(service::list_teams(&state).await?))
}

#[utoipa::path(post, path = "/systems", tag = "catalog", request_body = NewSystem,
    responses((status = 201, body = System), (status = 422, body = ErrorBody)))]
async fn create_system(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    ApiJson(input): ApiJson<NewSystem>,
) -> Result<(StatusCode, Json<System>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_system(&state, (&actor, &client), &input).await?),
    ))
}

#[utoipa::path(get, path = "/systems", tag = "catalog", responses((status = 200, body = Vec<System>)))]
async fn list_systems(State(state): State<AppState>) -> Result<Json<Vec<System>>, ApiError> {
    Ok(Json(service::list_systems(&state).await?))
}

#[utoipa::path(get, path = "/incidents/{key}/notifications", tag = "incidents", params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "Who was told, how, and whether it arrived", body = IncidentNotifications),
              (status = 404, body = ErrorBody)))]
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

#[utoipa::path(post, path = "/accounts", tag = "catalog", request_body = NewAccount,
    responses((status = 201, body = Account), (status = 422, body = ErrorBody)))]
async fn create_account(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    ApiJson(input): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(service::create_account(&state, (&actor, &client), &input).await?),
    ))
}

#[utoipa::path(get, path = "/accounts", tag = "catalog", responses((status = 200, body = Vec<Account>)))]
async fn list_accounts(State(state): State<AppState>) -> Result<Json<Vec<Account>>, ApiError> {
    Ok(Json(service::list_accounts(&state).await?))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// For a `text/csv` body: write the accepted rows (default: only report).
    apply: Option<bool>,
}

/// `text/csv` body (automatic column mapping, `?apply=true` to write) or JSON
/// `{csv, apply, columns}` (explicit mapping). Answers the report either way.
#[utoipa::path(post, path = "/accounts/import", tag = "catalog", params(ImportQuery),
    request_body(description = "A CRM export: CSV text (columns mapped by header), or JSON with an explicit mapping",
                 content((String = "text/csv"), (ImportRequest = "application/json"))),
    responses((status = 200, description = "What was (apply) or would be created, updated, left alone and rejected", body = ImportReport),
              (status = 400, description = "Malformed JSON", body = ErrorBody),
              (status = 415, description = "Neither CSV nor JSON", body = ErrorBody),
              (status = 422, description = "The file cannot be imported at all; nothing written", body = ErrorBody)))]
async fn import_accounts(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
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
        service::import_accounts(
            &state,
            (&actor, &client),
            import.csv.as_bytes(),
            &import.columns,
            import.apply,
        )
        .await?
    } else if ["text/csv", "application/csv", "text/plain"]
        .iter()
        .any(|t| content_type.starts_with(t))
    {
        let csv = Bytes::from_request(request, &state)
            .await
            .map_err(|e| ApiError::from_rejection(e.status(), e.body_text()))?;
        service::import_accounts(
            &state,
            (&actor, &client),
            &csv,
            &BTreeMap::new(),
            query.apply.unwrap_or(false),
        )
        .await?
    } else {
        return Err(ApiError::unsupported_media_type(
            "Send the CSV as text/csv, or JSON {\"csv\": …, \"apply\": …, \"columns\": …}",
        ));
    };
    Ok(Json(report))
}
