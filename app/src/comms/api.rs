//! Server functions for customer communication: thin glue between the war room's
//! panel and the service.

use super::model::{
    ApprovalPolicy, CommsOverview, CommsSchedule, CustomerMessage, DueUpdate, Template,
};
use crate::error::AppError;
use leptos::prelude::*;

/// The incident's communication panel: owner, schedule, cadence and messages.
#[server(prefix = "/api/fn", endpoint = "get_comms")]
pub async fn get_comms(key: String) -> Result<CommsOverview, AppError> {
    let state = crate::state::AppState::from_context()?;
    let reader = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::overview(&state, &reader, id)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Drafts an update to all impacted accounts from the timeline (or with the text given).
#[server(prefix = "/api/fn", endpoint = "draft_customer_message")]
pub async fn draft_customer_message(
    key: String,
    #[server(default)] body: Option<String>,
) -> Result<CustomerMessage, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let input = super::model::DraftInput {
        body: body.filter(|b| !b.trim().is_empty()),
        ..Default::default()
    };
    super::service::create_draft(&state, &actor, id, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Saves an edited draft as a new version.
#[server(prefix = "/api/fn", endpoint = "edit_customer_message")]
pub async fn edit_customer_message(
    key: String,
    message: i64,
    subject: String,
    body: String,
    short_text: String,
) -> Result<CustomerMessage, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let input = super::model::EditInput {
        subject: Some(subject),
        body: Some(body),
        short_text: Some(short_text),
        ..Default::default()
    };
    super::service::edit_message(&state, &actor, id, message, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Generates a draft's text again from the timeline as it is now.
#[server(prefix = "/api/fn", endpoint = "regenerate_customer_message")]
pub async fn regenerate_customer_message(
    key: String,
    message: i64,
) -> Result<CustomerMessage, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    super::service::regenerate(&state, &actor, id, message)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Submits, approves, rejects, sends or retracts a message. `override_reason`
/// applies to every guard named in `overrides` (the send form's checkboxes).
#[server(prefix = "/api/fn", endpoint = "move_customer_message")]
pub async fn move_customer_message(
    key: String,
    message: i64,
    action: String,
    #[server(default)] comment: Option<String>,
    #[server(default)] overrides: Vec<String>,
    #[server(default)] override_reason: Option<String>,
) -> Result<CustomerMessage, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let reason = override_reason.unwrap_or_default();
    let input = super::model::MoveInput {
        action,
        comment,
        overrides: overrides
            .into_iter()
            .map(|guard| super::model::GuardOverride {
                guard,
                reason: reason.clone(),
            })
            .collect(),
    };
    super::service::move_message(&state, &actor, id, message, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Changes the customer-update schedule: interval (minutes), pause or resume.
#[server(prefix = "/api/fn", endpoint = "change_comms_schedule")]
pub async fn change_comms_schedule(
    key: String,
    #[server(default)] interval_min: Option<String>,
    #[server(default)] pause: Option<String>,
    #[server(default)] reason: Option<String>,
) -> Result<CommsSchedule, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = crate::incidents::api::incident_id(&key)?;
    let mut invalid = crate::error::Invalid::default();
    let interval_min = match interval_min.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<i64>() {
            Ok(minutes) => Some(minutes),
            Err(_) => {
                invalid.add("interval_min", "Give a whole number of minutes");
                None
            }
        },
    };
    if !invalid.fields.is_empty() {
        let err = AppError::Invalid(invalid);
        crate::error::set_error_status(&err);
        return Err(err);
    }
    let input = super::model::ScheduleInput {
        interval_min,
        paused: match pause.as_deref() {
            Some("pause") => Some(true),
            Some("resume") => Some(false),
            _ => None,
        },
        reason,
        ..Default::default()
    };
    super::service::change_schedule(&state, &actor, id, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// What customers were told across incidents: to one account, or a tier's incidents.
#[server(prefix = "/api/fn", endpoint = "get_message_log")]
pub async fn get_message_log(
    #[server(default)] account: String,
    #[server(default)] tier: String,
) -> Result<Vec<CustomerMessage>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let mut invalid = crate::error::Invalid::default();
    let tier = match tier.trim() {
        "" => None,
        tier => tier
            .parse()
            .map_err(|e: String| invalid.add("tier", e))
            .ok(),
    };
    if !invalid.fields.is_empty() {
        let err = AppError::Invalid(invalid);
        crate::error::set_error_status(&err);
        return Err(err);
    }
    let account = Some(account.trim()).filter(|a| !a.is_empty());
    super::log::message_log(&state, account, tier, (None, None))
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Every open incident's next customer update, soonest first.
#[server(prefix = "/api/fn", endpoint = "get_due_updates")]
pub async fn get_due_updates() -> Result<Vec<DueUpdate>, AppError> {
    let state = crate::state::AppState::from_context()?;
    Ok(super::repo::due_updates(state.db.pool()).await?)
}

/// The message templates in force, and each tier's approval policy.
#[server(prefix = "/api/fn", endpoint = "list_comms_templates")]
pub async fn list_comms_templates() -> Result<(Vec<Template>, Vec<ApprovalPolicy>), AppError> {
    let state = crate::state::AppState::from_context()?;
    let templates = super::settings::templates(&state).await?;
    let policies = super::repo::approval_policies(state.db.pool()).await?;
    Ok((templates, policies))
}

/// Saves one status's template (for every tier) from the template page.
#[server(prefix = "/api/fn", endpoint = "save_comms_template")]
pub async fn save_comms_template(
    customer_status: String,
    subject: String,
    body: String,
    short_text: String,
) -> Result<Template, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let customer_status = customer_status.parse().map_err(|e: String| {
        let mut invalid = crate::error::Invalid::default();
        invalid.add("customer_status", e);
        let err = AppError::Invalid(invalid);
        crate::error::set_error_status(&err);
        err
    })?;
    let template = Template {
        customer_status,
        tier: None,
        subject,
        body,
        short_text,
    };
    super::settings::save_template(&state, &actor, &template)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Sets whether a tier's messages need approval (the checkbox sends "true").
#[server(prefix = "/api/fn", endpoint = "set_comms_approval")]
pub async fn set_comms_approval(
    tier: String,
    #[server(default)] needs_approval: Option<String>,
) -> Result<Vec<ApprovalPolicy>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let tier = tier.parse().map_err(|e: String| {
        let mut invalid = crate::error::Invalid::default();
        invalid.add("tier", e);
        let err = AppError::Invalid(invalid);
        crate::error::set_error_status(&err);
        err
    })?;
    let policy = ApprovalPolicy {
        tier,
        needs_approval: needs_approval.is_some_and(|v| v == "true" || v == "on"),
    };
    super::settings::set_approval_policy(&state, &actor, &policy)
        .await
        .inspect_err(crate::error::set_error_status)
}
