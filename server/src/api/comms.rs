//! Customer communication: each incident's schedule and messages, the log across
//! incidents, templates, approval policies and accounts' signed webhooks.

use super::{incident_id, Actor, ApiError, ApiJson, ApiQuery, ErrorBody};
use app::comms::model::{
    ApprovalPolicy, CommsOverview, CommsSchedule, CustomerMessage, DraftInput, EditInput,
    GuardFinding, MoveInput, ScheduleInput, Template,
};
use app::comms::{service, settings};
use app::error::{AppError, Invalid};
use app::state::AppState;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(overview))
        .routes(routes!(change_schedule))
        .routes(routes!(list_messages, draft_message))
        .routes(routes!(get_message, edit_message))
        .routes(routes!(regenerate_message))
        .routes(routes!(message_guards))
        .routes(routes!(move_message))
        .routes(routes!(message_log))
        .routes(routes!(list_templates, save_template))
        .routes(routes!(list_approval_policies, set_approval_policy))
        .routes(routes!(set_account_webhook))
}

type ApiResult<T> = Result<T, ApiError>;

fn message_id(key: &str, id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| AppError::NotFound(format!("{key} message {id}")).into())
}

#[utoipa::path(get, path = "/incidents/{key}/comms", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "Owner, schedule, each account's cadence and the messages, newest first", body = CommsOverview),
              (status = 404, body = ErrorBody)))]
async fn overview(
    State(state): State<AppState>,
    Actor(reader): Actor,
    Path(key): Path<String>,
) -> ApiResult<Json<CommsOverview>> {
    Ok(Json(
        service::overview(&state, &reader, incident_id(&key)?).await?,
    ))
}

/// CS sets the interval (5–1440 min, 0 for the SLA default), the next due time, or
/// pauses (with a reason) and resumes.
#[utoipa::path(patch, path = "/incidents/{key}/comms/schedule", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = ScheduleInput,
    responses((status = 200, body = CommsSchedule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "Invalid change; nothing written", body = ErrorBody)))]
async fn change_schedule(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<ScheduleInput>,
) -> ApiResult<Json<CommsSchedule>> {
    Ok(Json(
        service::change_schedule(&state, &actor, incident_id(&key)?, &input).await?,
    ))
}

#[utoipa::path(get, path = "/incidents/{key}/messages", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, description = "Newest first, with versions, transitions and deliveries", body = Vec<CustomerMessage>),
              (status = 404, body = ErrorBody)))]
async fn list_messages(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<CustomerMessage>>> {
    let incident = app::incidents::service::get_incident(&state, incident_id(&key)?).await?;
    Ok(Json(service::messages(&state, &incident).await?))
}

/// Text left out is generated from the timeline (customer-visible entries since the
/// audience was last told).
#[utoipa::path(post, path = "/incidents/{key}/messages", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = DraftInput,
    responses((status = 201, description = "Drafted", body = CustomerMessage),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "A message to this audience is still being worked on", body = ErrorBody),
              (status = 422, description = "Invalid draft (audience, text, times); nothing written", body = ErrorBody)))]
async fn draft_message(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<DraftInput>,
) -> ApiResult<(StatusCode, Json<CustomerMessage>)> {
    let message = service::create_draft(&state, &actor, incident_id(&key)?, &input).await?;
    Ok((StatusCode::CREATED, Json(message)))
}

#[utoipa::path(get, path = "/incidents/{key}/messages/{id}", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("id" = i64, Path, description = "Message id")),
    responses((status = 200, body = CustomerMessage), (status = 404, body = ErrorBody)))]
async fn get_message(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<CustomerMessage>> {
    let id = message_id(&key, &id)?;
    Ok(Json(
        service::message(&state, incident_id(&key)?, id).await?,
    ))
}

/// A new version of a draft's text (a rejected message goes back to draft).
#[utoipa::path(patch, path = "/incidents/{key}/messages/{id}", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("id" = i64, Path, description = "Message id")),
    request_body = EditInput,
    responses((status = 200, body = CustomerMessage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not a draft (or rejected) message", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_message(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<EditInput>,
) -> ApiResult<Json<CustomerMessage>> {
    let id = message_id(&key, &id)?;
    Ok(Json(
        service::edit_message(&state, &actor, incident_id(&key)?, id, &input).await?,
    ))
}

/// The draft's text generated again from the timeline as it is now; earlier
/// versions (edits included) stay in its history.
#[utoipa::path(post, path = "/incidents/{key}/messages/{id}/regeneration", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("id" = i64, Path, description = "Message id")),
    responses((status = 200, body = CustomerMessage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn regenerate_message(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<CustomerMessage>> {
    let id = message_id(&key, &id)?;
    Ok(Json(
        service::regenerate(&state, &actor, incident_id(&key)?, id).await?,
    ))
}

#[utoipa::path(get, path = "/incidents/{key}/messages/{id}/guards", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("id" = i64, Path, description = "Message id")),
    responses((status = 200, description = "What would hold the message back if it were sent now", body = Vec<GuardFinding>),
              (status = 404, body = ErrorBody)))]
async fn message_guards(
    State(state): State<AppState>,
    Path((key, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<GuardFinding>>> {
    let id = message_id(&key, &id)?;
    Ok(Json(
        service::findings(&state, incident_id(&key)?, id).await?,
    ))
}

/// `submit` (ask for approval), `approve`, `reject` (needs `comment`), `send` (after
/// the guards; `overrides` name the guards sent despite, each with a reason), or
/// `retract` (a sent message; `comment` is the correction, itself sent).
#[utoipa::path(post, path = "/incidents/{key}/messages/{id}/transitions", tag = "comms",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), ("id" = i64, Path, description = "Message id")),
    request_body = MoveInput,
    responses((status = 200, description = "The message after the move", body = CustomerMessage),
              (status = 403, description = "Not permitted, not the comms owner, or approving one's own message", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "Not in a state this move starts from (or needs approval first)", body = ErrorBody),
              (status = 422, description = "Invalid move, or a guard holds it back: `fields` names each (`guards.<guard>`)", body = ErrorBody)))]
async fn move_message(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path((key, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<MoveInput>,
) -> ApiResult<Json<CustomerMessage>> {
    let id = message_id(&key, &id)?;
    Ok(Json(
        service::move_message(&state, &actor, incident_id(&key)?, id, &input).await?,
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    /// Slug of an account: what it was told.
    account: Option<String>,
    /// enterprise, business or standard.
    #[param(pattern = r"^(|enterprise|business|standard)$")]
    tier: Option<String>,
    /// Messages created at or after (RFC 3339).
    from: Option<DateTime<Utc>>,
    /// Messages created before (RFC 3339).
    to: Option<DateTime<Utc>>,
    /// json (default) or csv.
    #[param(pattern = r"^(json|csv)$")]
    format: Option<String>,
}

/// Every message across incidents, newest first: to an account (sent to it), to
/// incidents impacting a tier, in a period.
#[utoipa::path(get, path = "/messages", tag = "comms", params(LogQuery),
    responses((status = 200, description = "JSON, or CSV with format=csv",
               content((Vec<CustomerMessage> = "application/json"), (String = "text/csv"))),
              (status = 422, description = "Unknown account, tier or format", body = ErrorBody)))]
async fn message_log(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Response> {
    let mut invalid = Invalid::default();
    let tier = match query
        .tier
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(tier) => tier
            .parse()
            .map_err(|e: String| invalid.add("tier", e))
            .ok(),
        None => None,
    };
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        invalid.add("format", format!("Choose json or csv, not {format:?}"));
    }
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            invalid.add("to", "Must be after from");
        }
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid).into());
    }
    let account = query
        .account
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty());
    let log = app::comms::log::message_log(&state, account, tier, (query.from, query.to)).await?;
    Ok(if format == "csv" {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"customer-messages.csv\"",
                ),
            ],
            app::comms::log::log_csv(&log)?,
        )
            .into_response()
    } else {
        Json(log).into_response()
    })
}

#[utoipa::path(get, path = "/comms/templates", tag = "comms",
    responses((status = 200, description = "Per customer status (and tier): the saved ones, and the built-in one where none is saved", body = Vec<Template>)))]
async fn list_templates(State(state): State<AppState>) -> ApiResult<Json<Vec<Template>>> {
    Ok(Json(settings::templates(&state).await?))
}

/// Placeholders: {{status}}, {{components}}, {{updates}}, {{elapsed}}, {{started}},
/// {{next_update}}, {{incident}}.
#[utoipa::path(put, path = "/comms/templates", tag = "comms", request_body = Template,
    responses((status = 200, body = Template), (status = 403, body = ErrorBody),
              (status = 422, description = "Empty, too long, or an unknown placeholder", body = ErrorBody)))]
async fn save_template(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(template): ApiJson<Template>,
) -> ApiResult<Json<Template>> {
    Ok(Json(
        settings::save_template(&state, &actor, &template).await?,
    ))
}

#[utoipa::path(get, path = "/comms/approval-policies", tag = "comms",
    responses((status = 200, description = "Per tier: whether messages need a second person's approval", body = Vec<ApprovalPolicy>)))]
async fn list_approval_policies(
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<ApprovalPolicy>>> {
    Ok(Json(
        app::comms::repo::approval_policies(state.db.pool())
            .await
            .map_err(AppError::from)?,
    ))
}

#[utoipa::path(put, path = "/comms/approval-policies", tag = "comms", request_body = ApprovalPolicy,
    responses((status = 200, description = "Every tier's policy", body = Vec<ApprovalPolicy>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_approval_policy(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(policy): ApiJson<ApprovalPolicy>,
) -> ApiResult<Json<Vec<ApprovalPolicy>>> {
    Ok(Json(
        settings::set_approval_policy(&state, &actor, &policy).await?,
    ))
}

/// Where an account's messages are posted, signed (`null` removes it).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct WebhookInput {
    url: Option<String>,
}

/// The signing secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
struct WebhookSecret {
    secret: Option<String>,
}

/// Each message is POSTed as JSON with `Idempotency-Key`, `X-Sitrep-Timestamp` and
/// `X-Sitrep-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>`.
/// Setting it again makes a new secret.
#[utoipa::path(put, path = "/accounts/{slug}/webhook", tag = "comms",
    params(("slug" = String, Path, description = "Account slug")), request_body = WebhookInput,
    responses((status = 200, description = "The new secret (null when removed)", body = WebhookSecret),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn set_account_webhook(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<Json<WebhookSecret>> {
    let secret = settings::set_account_webhook(&state, &actor, &slug, input.url.as_deref()).await?;
    Ok(Json(WebhookSecret { secret }))
}
