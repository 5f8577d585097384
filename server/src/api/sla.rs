//! SLA clocks of an incident, and the policies they run on.

use super::{Actor, ApiError, ApiJson, ApiQuery, ErrorBody};
use app::error::AppError;
use app::identity::service::Client;
use app::incidents::model::IncidentId;
use app::sla::model::SlaClock;
use app::sla::model::{BoardClock, BoardFilter, ComplianceReport, ReportQuery};
use app::sla::service::{self, AccountPolicyChoice, PolicyRevision, PolicySummary};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(incident_sla))
        .routes(routes!(list_policies))
        .routes(routes!(revise_policy))
        .routes(routes!(set_account_policy))
        .routes(routes!(compliance_report))
        .routes(routes!(board))
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

#[utoipa::path(get, path = "/sla/policies", tag = "sla",
    responses((status = 200, description = "Every SLA policy at its current version", body = Vec<PolicySummary>)))]
async fn list_policies(
    State(state): State<AppState>,
) -> Result<Json<Vec<PolicySummary>>, ApiError> {
    Ok(Json(service::list_policies(&state).await?))
}

/// New terms become the policy's next version; running clocks keep theirs. Audited.
#[utoipa::path(put, path = "/sla/policies/{slug}", tag = "sla",
    params(("slug" = String, Path, description = "Policy slug")), request_body = PolicyRevision,
    responses((status = 200, body = PolicySummary), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn revise_policy(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<PolicyRevision>,
) -> Result<Json<PolicySummary>, ApiError> {
    Ok(Json(
        service::revise_policy(&state, (&actor, &client), &slug, &input).await?,
    ))
}

/// An account's own contract policy (`null`: its tier's default). Audited.
#[utoipa::path(put, path = "/accounts/{slug}/sla-policy", tag = "sla",
    params(("slug" = String, Path, description = "Account slug")), request_body = AccountPolicyChoice,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_account_policy(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Extension(client): Extension<Client>,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<AccountPolicyChoice>,
) -> Result<StatusCode, ApiError> {
    service::set_account_policy(&state, (&actor, &client), &slug, &input).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Compliance over a period: met/missed per account, tier or severity and clock, with
/// median and p90 time to respond and resolve (contract time). `format=csv` for CSV.
#[utoipa::path(get, path = "/sla/report", tag = "sla", params(ReportQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv",
               content((ComplianceReport = "application/json"), (String = "text/csv"))),
              (status = 422, body = ErrorBody)))]
async fn compliance_report(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let report = app::sla::report::compliance(&state, &query).await?;
    Ok(match query.format.as_str() {
        "csv" => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"sla-compliance.csv\"",
                ),
            ],
            app::sla::report::to_csv(&report)?,
        )
            .into_response(),
        "" | "json" => Json(report).into_response(),
        other => {
            let mut invalid = app::error::Invalid::default();
            invalid.add("format", format!("Choose json or csv, not {other:?}"));
            return Err(AppError::Invalid(invalid).into());
        }
    })
}

/// Every running clock on open incidents, tightest first, optionally filtered.
#[utoipa::path(get, path = "/sla/board", tag = "sla", params(BoardFilter),
    responses((status = 200, body = Vec<BoardClock>)))]
async fn board(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<BoardFilter>,
) -> Result<Json<Vec<BoardClock>>, ApiError> {
    Ok(Json(app::sla::engine::open_clocks(&state, &filter).await?))
}
