//! Server functions for the post-mortem page: thin glue over the service.

use super::model::{
    CustomerRca, FollowUp, FollowUpFilter, IncidentFollowUps, PostMortem, PostMortemTemplate,
    TemplatePreview, VersionDiff,
};
use crate::error::AppError;
use leptos::prelude::*;

/// The incident's post-mortem (`None` before the first draft).
#[server(prefix = "/api/fn", endpoint = "get_postmortem")]
pub async fn get_postmortem(key: String) -> Result<Option<PostMortem>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::current(&state, id)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Generates a draft from the timeline as the next version, with `template` chosen
/// for the incident from now on (`automatic`: by severity; absent: as before).
#[server(prefix = "/api/fn", endpoint = "generate_postmortem")]
pub async fn generate_postmortem(
    key: String,
    #[server(default)] template: Option<String>,
) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::generate(&state, id, template.as_deref(), &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Saves the edited text as the next version (refused when `base_version` is no
/// longer the newest).
#[server(prefix = "/api/fn", endpoint = "save_postmortem")]
pub async fn save_postmortem(
    key: String,
    body: String,
    base_version: i64,
) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let edit = super::model::PostMortemEdit { body, base_version };
    super::service::edit(&state, id, &edit, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Draws one section from the timeline again as the next version.
#[server(prefix = "/api/fn", endpoint = "regenerate_postmortem_section")]
pub async fn regenerate_postmortem_section(
    key: String,
    section: String,
    base_version: i64,
) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let input = super::model::SectionRegeneration {
        section,
        base_version,
    };
    super::service::regenerate_section(&state, id, &input, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Takes a review step: `action` is request_review, approve, comment, publish or
/// reopen; `reviewers` a comma-separated list of emails (for request_review).
#[server(prefix = "/api/fn", endpoint = "review_postmortem")]
pub async fn review_postmortem(
    key: String,
    action: String,
    #[server(default)] reviewers: Vec<String>,
    #[server(default)] comment: Option<String>,
) -> Result<PostMortem, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let Some(action) = super::model::ReviewMove::parse(&action) else {
        let mut invalid = crate::error::Invalid::default();
        invalid.add("action", format!("Unknown review step {action:?}"));
        return Err(AppError::Invalid(invalid));
    };
    let input = super::model::ReviewInput {
        action,
        reviewers,
        comment,
    };
    super::review::take(&state, id, &input, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Adds a follow-up action to the incident.
#[server(prefix = "/api/fn", endpoint = "create_followup")]
pub async fn create_followup(
    key: String,
    title: String,
    kind: String,
    owner: String,
    due_on: String,
    #[server(default)] tracker_url: Option<String>,
    #[server(default)] from_seq: Option<i64>,
) -> Result<FollowUp, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let input = super::model::FollowUpInput {
        title,
        kind,
        owner,
        due_on,
        tracker_url,
        from_seq,
    };
    super::followups::create(&state, id, &input, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// The incident's follow-ups; with `from_seq`, the form's start for one raised from
/// that timeline entry.
#[server(prefix = "/api/fn", endpoint = "get_incident_followups")]
pub async fn get_incident_followups(
    key: String,
    from_seq: Option<i64>,
) -> Result<IncidentFollowUps, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::followups::for_incident_raising(&state, id, from_seq)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Moves a follow-up's status (its owner, or a writer).
#[server(prefix = "/api/fn", endpoint = "change_followup")]
pub async fn change_followup(id: i64, status: String) -> Result<FollowUp, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let change = super::model::FollowUpChange {
        status: Some(status),
        ..Default::default()
    };
    super::followups::change(&state, id, &change, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Follow-ups across incidents.
#[server(prefix = "/api/fn", endpoint = "list_followups")]
pub async fn list_followups(filter: FollowUpFilter) -> Result<Vec<FollowUp>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::followups::list(&state, &filter)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// What a version changed from the one before it.
#[server(prefix = "/api/fn", endpoint = "postmortem_diff")]
pub async fn postmortem_diff(key: String, version: i64) -> Result<VersionDiff, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::diff(&state, id, version)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// The team's post-mortem templates (default, P1, P2, P3) as drafts use them.
#[server(prefix = "/api/fn", endpoint = "list_postmortem_templates")]
pub async fn list_postmortem_templates() -> Result<Vec<PostMortemTemplate>, AppError> {
    let state = crate::state::AppState::from_context()?;
    super::team_templates::list(&state)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Saves one template once it renders (refused naming the line otherwise).
#[server(prefix = "/api/fn", endpoint = "save_postmortem_template")]
pub async fn save_postmortem_template(
    name: String,
    body: String,
) -> Result<PostMortemTemplate, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::team_templates::save(&state, &name, &body, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Drops the team's text for one template: it drafts as the default again.
#[server(prefix = "/api/fn", endpoint = "reset_postmortem_template")]
pub async fn reset_postmortem_template(name: String) -> Result<Vec<PostMortemTemplate>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::team_templates::reset(&state, &name, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// A template's text rendered on a real incident, nothing saved.
#[server(prefix = "/api/fn", endpoint = "preview_postmortem_template")]
pub async fn preview_postmortem_template(
    body: String,
    incident: String,
) -> Result<TemplatePreview, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::team_templates::preview(&state, &body, &incident, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Post-mortem Markdown as the page shows it (sanitised HTML), for the editor's preview.
#[server(prefix = "/api/fn", endpoint = "preview_postmortem_markdown")]
pub async fn preview_postmortem_markdown(body: String) -> Result<String, AppError> {
    crate::identity::api::signed_in()?;
    super::service::preview(&body).inspect_err(crate::error::set_error_status)
}

/// The customer-facing incident report, for every customer or one impacted account.
#[server(prefix = "/api/fn", endpoint = "get_customer_rca")]
pub async fn get_customer_rca(
    key: String,
    account: Option<String>,
    zone: Option<String>,
) -> Result<CustomerRca, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::customer_rca(&state, id, account.as_deref(), zone.as_deref(), &by)
        .await
        .inspect_err(crate::error::set_error_status)
}
