//! Managing the status page: its components, its name, accounts' private links.
//! The pages themselves are served by `crate::statuspage`.

use super::{Actor, ApiError, ApiJson, ApiPath, ErrorBody};
use app::state::AppState;
use app::statuspage::maintenance::{self, MaintenanceInput, MaintenanceNotice};
use app::statuspage::model::PageMaintenance;
use app::statuspage::service::{self, ComponentInput};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_components, replace_components))
        .routes(routes!(set_page_name))
        .routes(routes!(rotate_private_link))
        .routes(routes!(list_maintenance, schedule_maintenance))
        .routes(routes!(post_maintenance_notice))
}

/// Planned work not completed yet, and what was completed in the last 90 days.
#[utoipa::path(get, path = "/status/maintenance", tag = "statuspage",
    responses((status = 200, description = "Open planned work soonest first, then completed, newest first", body = Vec<PageMaintenance>)))]
async fn list_maintenance(
    State(state): State<AppState>,
) -> Result<Json<Vec<PageMaintenance>>, ApiError> {
    Ok(Json(maintenance::list(&state).await?))
}

/// Announces planned work; its first message shows on the pages and goes to
/// subscribers at once.
#[utoipa::path(post, path = "/status/maintenance", tag = "statuspage", request_body = MaintenanceInput,
    responses((status = 201, description = "Scheduled", body = PageMaintenance),
              (status = 403, body = ErrorBody), (status = 422, description = "A field is refused and named", body = ErrorBody)))]
async fn schedule_maintenance(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(input): ApiJson<MaintenanceInput>,
) -> Result<(StatusCode, Json<PageMaintenance>), ApiError> {
    let work = maintenance::schedule(&state, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(work)))
}

/// Posts a message on planned work and moves it on: scheduled → in_progress →
/// completed.
#[utoipa::path(post, path = "/status/maintenance/{id}/notices", tag = "statuspage",
    params(("id" = i64, Path, description = "Maintenance id")),
    request_body = MaintenanceNotice,
    responses((status = 200, description = "The maintenance with the new message", body = PageMaintenance),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Completed already, or moved meanwhile", body = ErrorBody),
              (status = 422, description = "Going back, or an empty message", body = ErrorBody)))]
async fn post_maintenance_notice(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(notice): ApiJson<MaintenanceNotice>,
) -> Result<Json<PageMaintenance>, ApiError> {
    Ok(Json(
        maintenance::post_notice(&state, &actor, id, &notice).await?,
    ))
}

#[utoipa::path(get, path = "/status/components", tag = "statuspage",
    responses((status = 200, description = "The status page's components in page order, with the systems each stands for", body = Vec<ComponentInput>)))]
async fn list_components(
    State(state): State<AppState>,
) -> Result<Json<Vec<ComponentInput>>, ApiError> {
    Ok(Json(service::components(&state).await?))
}

/// The whole list, in page order: components left out are removed.
#[utoipa::path(put, path = "/status/components", tag = "statuspage", request_body = Vec<ComponentInput>,
    responses((status = 200, description = "The components as saved", body = Vec<ComponentInput>),
              (status = 403, body = ErrorBody), (status = 422, description = "A field is refused; its path in the list is named", body = ErrorBody)))]
async fn replace_components(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(list): ApiJson<Vec<ComponentInput>>,
) -> Result<Json<Vec<ComponentInput>>, ApiError> {
    Ok(Json(
        service::replace_components(&state, &actor, &list).await?,
    ))
}

/// The page's name, shown at its top.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PageName {
    #[schema(min_length = 1, max_length = 120)]
    name: String,
}

#[utoipa::path(put, path = "/status/page", tag = "statuspage", request_body = PageName,
    responses((status = 200, description = "The name as saved", body = PageName),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_page_name(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(input): ApiJson<PageName>,
) -> Result<Json<PageName>, ApiError> {
    let name = service::set_page_name(&state, &actor, &input.name).await?;
    Ok(Json(PageName { name }))
}

/// An account's private status page address, shown only in this answer.
#[derive(Debug, Serialize, ToSchema)]
struct PrivateLink {
    url: String,
}

/// Makes a new private link for the account; the previous one stops working at once.
#[utoipa::path(post, path = "/accounts/{slug}/status-link", tag = "statuspage",
    params(("slug" = String, Path, description = "Account slug")),
    responses((status = 200, description = "The new link", body = PrivateLink),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn rotate_private_link(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(slug): Path<String>,
) -> Result<Json<PrivateLink>, ApiError> {
    let url = service::rotate_private_link(&state, &actor, &slug).await?;
    Ok(Json(PrivateLink { url }))
}
