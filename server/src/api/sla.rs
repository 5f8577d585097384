//! SLA clocks of an incident.

use super::{ApiError, ErrorBody};
use app::error::AppError;
use app::incidents::model::IncidentId;
use app::sla::model::SlaClock;
use app::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(incident_sla))
}

#[utoipa::path(get, path = "/incidents/{key}/sla", tag = "sla", params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "Each impacted account's response and resolution clock, read now, tightest first", body = Vec<SlaClock>),
              (status = 404, body = ErrorBody)))]
async fn incident_sla(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<Vec<SlaClock>>, ApiError> {
    let id = IncidentId::from_key(&key).ok_or_else(|| AppError::NotFound(key.clone()))?;
    Ok(Json(app::sla::engine::incident_clocks(&state, id).await?))
}
