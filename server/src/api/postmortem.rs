//! Post-mortems: the incident's document, generated from the timeline and edited as
//! versions; its Markdown for export.

use super::{incident_id, Actor, ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use app::error::AppError;
use app::identity::model::User;
use app::postmortem::model::{
    CustomerRca, FollowUp, FollowUpChange, FollowUpFilter, FollowUpInput, PostMortem,
    PostMortemEdit, PostMortemTemplate, ReviewInput, SectionRegeneration, TemplateInput,
    TemplatePreview, TemplatePreviewInput, VersionDiff,
};
use app::postmortem::{followups, review as review_steps, service, team_templates};
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
        .routes(routes!(customer_rca))
        .routes(routes!(customer_rca_markdown))
        .routes(routes!(review))
        .routes(routes!(regenerate_section))
        .routes(routes!(version_diff))
        .routes(routes!(incident_followups, create_followup))
        .routes(routes!(list_followups))
        .routes(routes!(change_followup))
        .routes(routes!(list_templates))
        .routes(routes!(save_template, reset_template))
        .routes(routes!(preview_template))
}

type ApiResult<T> = Result<T, ApiError>;

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

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct GenerateQuery {
    /// The team template to draw this incident's post-mortem with from now on:
    /// `default`, `P1`, `P2`, `P3`, or `automatic` (by severity). Absent: as before.
    template: Option<String>,
}

/// Generates a draft from the timeline as it stands, as the next version; times are in
/// the caller's zone.
#[utoipa::path(post, path = "/incidents/{key}/postmortem", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), GenerateQuery),
    responses((status = 201, description = "Generated", body = PostMortem),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Published: reopen it first; nothing written", body = ErrorBody),
              (status = 422, description = "No such template; nothing written", body = ErrorBody)))]
async fn generate(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<GenerateQuery>,
) -> ApiResult<(StatusCode, Json<PostMortem>)> {
    let id = incident_id(&key)?;
    let document = service::generate(&state, id, query.template.as_deref(), &by).await?;
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

/// Draws one `## ` section from the timeline again as the next version; every other
/// section of `base_version` stays as it is, edits included.
#[utoipa::path(post, path = "/incidents/{key}/postmortem/sections", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = SectionRegeneration,
    responses((status = 200, description = "Saved (or unchanged, when the section already says what the timeline does)", body = PostMortem),
              (status = 403, body = ErrorBody), (status = 404, description = "No such incident, or no draft yet", body = ErrorBody),
              (status = 409, description = "base_version is no longer the newest, or the document is published: nothing written", body = ErrorBody),
              (status = 422, description = "The template or the document has no such section; nothing written", body = ErrorBody)))]
async fn regenerate_section(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<SectionRegeneration>,
) -> ApiResult<Json<PostMortem>> {
    Ok(Json(
        service::regenerate_section(&state, incident_id(&key)?, &input, &by).await?,
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

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RcaQuery {
    /// An impacted account's slug: the report for that customer (the messages it
    /// received, its SLA outcome). Absent: for every customer.
    account: Option<String>,
    /// An IANA zone for the report's times (default: the caller's).
    zone: Option<String>,
}

async fn rca_of(
    state: &AppState,
    by: &User,
    key: &str,
    query: &RcaQuery,
) -> ApiResult<CustomerRca> {
    Ok(service::customer_rca(
        state,
        incident_id(key)?,
        query.account.as_deref(),
        query.zone.as_deref(),
        by,
    )
    .await?)
}

/// The customer-facing incident report (RCA), built only from the messages customers
/// were sent and the timeline entries marked as shareable with them.
#[utoipa::path(get, path = "/incidents/{key}/rca", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), RcaQuery),
    responses((status = 200, body = CustomerRca), (status = 404, body = ErrorBody),
              (status = 422, description = "Not an impacted account, or an unknown zone", body = ErrorBody)))]
async fn customer_rca(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<RcaQuery>,
) -> ApiResult<Json<CustomerRca>> {
    Ok(Json(rca_of(&state, &by, &key, &query).await?))
}

/// The customer-facing report's Markdown, as a file.
#[utoipa::path(get, path = "/incidents/{key}/rca/markdown", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"), RcaQuery),
    responses((status = 200, description = "text/markdown", content_type = "text/markdown", body = String),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn customer_rca_markdown(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiQuery(query): ApiQuery<RcaQuery>,
) -> ApiResult<Response> {
    let report = rca_of(&state, &by, &key, &query).await?;
    let whose = report.account.as_deref().unwrap_or("customers");
    Ok((
        [
            (CONTENT_TYPE, "text/markdown; charset=utf-8".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-rca-{whose}.md\"",
                    report.incident
                ),
            ),
        ],
        report.markdown,
    )
        .into_response())
}

/// Takes a review step: `request_review` (with `reviewers`, emails), `approve` (a
/// named reviewer; `comment` optional), `comment`, `publish` (once every reviewer
/// approved the newest version) or `reopen` (a published document, for a new
/// version). Each step but a comment is written on the incident's timeline.
#[utoipa::path(post, path = "/incidents/{key}/postmortem/review", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = ReviewInput,
    responses((status = 200, description = "The document with its review as it now stands", body = PostMortem),
              (status = 403, description = "Not a writer, or not a named reviewer", body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, description = "The step does not fit the review's state (e.g. publishing before every approval)", body = ErrorBody),
              (status = 422, description = "Unknown or unfit reviewers, an empty comment", body = ErrorBody)))]
async fn review(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> ApiResult<Json<PostMortem>> {
    Ok(Json(
        review_steps::take(&state, incident_id(&key)?, &input, &by).await?,
    ))
}

/// The incident's follow-up actions, oldest first.
#[utoipa::path(get, path = "/incidents/{key}/followups", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")),
    responses((status = 200, body = Vec<FollowUp>), (status = 404, body = ErrorBody)))]
async fn incident_followups(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> ApiResult<Json<Vec<FollowUp>>> {
    Ok(Json(
        followups::for_incident(&state, incident_id(&key)?).await?,
    ))
}

/// Adds a follow-up action: `kind` mitigate, prevent, process or other; `owner` an
/// email; `due_on` YYYY-MM-DD (overdue once that day has ended, UTC).
#[utoipa::path(post, path = "/incidents/{key}/followups", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42")), request_body = FollowUpInput,
    responses((status = 201, description = "Created", body = FollowUp),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, description = "A field is missing or wrong; nothing written", body = ErrorBody)))]
async fn create_followup(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(key): Path<String>,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> ApiResult<(StatusCode, Json<FollowUp>)> {
    let created = followups::create(&state, incident_id(&key)?, &input, &by).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Follow-ups across incidents, soonest due first (at most 500): by owner, by the
/// owners on a team, overdue only; open and in progress unless `closed`.
#[utoipa::path(get, path = "/followups", tag = "postmortem", params(FollowUpFilter),
    responses((status = 200, body = Vec<FollowUp>),
              (status = 422, description = "Unknown owner or team", body = ErrorBody)))]
async fn list_followups(
    State(state): State<AppState>,
    ApiQuery(filter): ApiQuery<FollowUpFilter>,
) -> ApiResult<Json<Vec<FollowUp>>> {
    Ok(Json(followups::list(&state, &filter).await?))
}

/// Changes a follow-up's status, owner or due date (the fields given). Its owner may
/// move its status; changing the owner or due date takes `write_postmortem`.
#[utoipa::path(patch, path = "/followups/{id}", tag = "postmortem",
    params(("id" = i64, Path, description = "The follow-up's id")), request_body = FollowUpChange,
    responses((status = 200, body = FollowUp),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn change_followup(
    State(state): State<AppState>,
    Actor(by): Actor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<FollowUpChange>,
) -> ApiResult<Json<FollowUp>> {
    Ok(Json(followups::change(&state, id, &change, &by).await?))
}

/// What `version` changed from the version before it: changed lines with two lines of
/// context, grouped.
#[utoipa::path(get, path = "/incidents/{key}/postmortem/versions/{version}/diff", tag = "postmortem",
    params(("key" = String, Path, description = "Incident key, e.g. INC-42"),
           ("version" = i64, Path, description = "A version after the first")),
    responses((status = 200, body = VersionDiff), (status = 404, body = ErrorBody),
              (status = 422, description = "Version 1 has nothing before it", body = ErrorBody)))]
async fn version_diff(
    State(state): State<AppState>,
    ApiPath((key, version)): ApiPath<(String, i64)>,
) -> ApiResult<Json<VersionDiff>> {
    Ok(Json(
        service::diff(&state, incident_id(&key)?, version).await?,
    ))
}

/// The team's post-mortem templates: `default`, and `P1`/`P2`/`P3`, each as drafts of
/// that severity use it (`source` says whether the team saved it).
#[utoipa::path(get, path = "/postmortem-templates", tag = "postmortem",
    responses((status = 200, description = "default, P1, P2, P3", body = [PostMortemTemplate])))]
async fn list_templates(State(state): State<AppState>) -> ApiResult<Json<Vec<PostMortemTemplate>>> {
    Ok(Json(team_templates::list(&state).await?))
}

/// Saves one template's text once it renders on an example incident.
#[utoipa::path(put, path = "/postmortem-templates/{name}", tag = "postmortem",
    params(("name" = String, Path, description = "default, P1, P2 or P3")), request_body = TemplateInput,
    responses((status = 200, description = "Saved", body = PostMortemTemplate),
              (status = 403, body = ErrorBody), (status = 404, description = "No such template name", body = ErrorBody),
              (status = 422, description = "Empty, too long, or does not render (the message names the line); nothing written", body = ErrorBody)))]
async fn save_template(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(name): Path<String>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> ApiResult<Json<PostMortemTemplate>> {
    Ok(Json(
        team_templates::save(&state, &name, &input.body, &by).await?,
    ))
}

/// Drops the team's text for one template: drafts use the default (or the built-in
/// one) again.
#[utoipa::path(delete, path = "/postmortem-templates/{name}", tag = "postmortem",
    params(("name" = String, Path, description = "default, P1, P2 or P3")),
    responses((status = 200, description = "Every template after the reset", body = [PostMortemTemplate]),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn reset_template(
    State(state): State<AppState>,
    Actor(by): Actor,
    Path(name): Path<String>,
) -> ApiResult<Json<Vec<PostMortemTemplate>>> {
    Ok(Json(team_templates::reset(&state, &name, &by).await?))
}

/// Renders a template's text on a real incident as its draft would read; nothing saved.
#[utoipa::path(post, path = "/postmortem-templates/preview", tag = "postmortem",
    request_body = TemplatePreviewInput,
    responses((status = 200, description = "Rendered", body = TemplatePreview),
              (status = 403, body = ErrorBody), (status = 404, description = "No such incident", body = ErrorBody),
              (status = 422, description = "The text does not render (the message names the line)", body = ErrorBody)))]
async fn preview_template(
    State(state): State<AppState>,
    Actor(by): Actor,
    ApiJson(input): ApiJson<TemplatePreviewInput>,
) -> ApiResult<Json<TemplatePreview>> {
    Ok(Json(
        team_templates::preview(&state, &input.body, &input.incident, &by).await?,
    ))
}
