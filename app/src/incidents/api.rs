//! Server functions for incidents: thin glue between the browser and the service.

use super::model::Incident;
use crate::error::AppError;
use crate::timeline::model::TimelineEntry;
use leptos::prelude::*;

/// Declares an incident. Without JavaScript the browser is redirected back to the
/// form, which reads the outcome from the URL.
#[server(prefix = "/api/fn", endpoint = "declare_incident")]
pub async fn declare_incident(
    title: String,
    severity: String,
    description: String,
    system: Option<String>,
) -> Result<Incident, AppError> {
    use super::model::DeclareInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let input = DeclareInput {
        title,
        severity,
        description,
        systems: system.into_iter().collect(),
        ..Default::default()
    };
    super::service::declare_incident(&state, &actor, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// A customer-success report of a customer problem: the impacted accounts decide
/// the tier; the symptoms become the description.
#[server(prefix = "/api/fn", endpoint = "report_customer_issue")]
pub async fn report_customer_issue(
    title: String,
    severity: String,
    symptoms: String,
    #[server(default)] accounts: Vec<String>,
) -> Result<Incident, AppError> {
    use super::model::DeclareInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let input = DeclareInput {
        title,
        severity,
        description: symptoms,
        accounts,
        source: Some("cs_report".into()),
        ..Default::default()
    };
    let incident = super::service::declare_incident(&state, &actor, &input)
        .await
        .inspect_err(crate::error::set_error_status)?;
    // Straight to the new incident's war room, with or without JavaScript.
    leptos_axum::redirect(&format!("/incidents/{}", incident.key));
    Ok(incident)
}

/// The list's filters, as the list page's query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ListFilters {
    pub status: String,
    pub severity: String,
    pub system: String,
    pub account: String,
    pub tier: String,
    pub q: String,
}

/// The newest incidents matching the filters, first.
#[server(prefix = "/api/fn", endpoint = "list_incidents")]
pub async fn list_incidents(
    #[server(default)] filters: ListFilters,
) -> Result<Vec<Incident>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let filter = super::service::parse_filter(
        [
            ("status", filters.status),
            ("severity", filters.severity),
            ("system", filters.system),
            ("account", filters.account),
            ("tier", filters.tier),
            ("q", filters.q),
        ],
        None,
    )?;
    super::service::list_incidents(&state, &filter)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// One incident by its key (`INC-42`).
#[server(prefix = "/api/fn", endpoint = "get_incident")]
pub async fn get_incident(key: String) -> Result<Incident, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = incident_id(&key)?;
    super::service::get_incident(&state, id)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// The incident's whole timeline, in seq order.
#[server(prefix = "/api/fn", endpoint = "get_timeline")]
pub async fn get_timeline(key: String) -> Result<Vec<TimelineEntry>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let id = incident_id(&key)?;
    crate::timeline::service::list_entries(&state, id, 0)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Posts a timeline entry from the war-room form.
#[server(prefix = "/api/fn", endpoint = "post_timeline_entry")]
pub async fn post_timeline_entry(
    key: String,
    body: String,
    kind: Option<String>,
    outcome: Option<String>,
    root_cause: Option<String>,
    idempotency_key: Option<String>,
    #[server(default)] customer_visible: Option<String>,
) -> Result<TimelineEntry, AppError> {
    use crate::timeline::model::PostEntry;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    let is_action = kind.as_deref() == Some("action");
    let input = PostEntry {
        body,
        kind,
        // The form always sends an outcome select and a root-cause checkbox; they
        // only mean something for actions and findings.
        outcome: outcome.filter(|_| is_action),
        root_cause: root_cause
            .map(|v| v == "on" || v == "true")
            .filter(|&checked| checked),
        idempotency_key,
        customer_visible: customer_visible
            .map(|v| v == "on" || v == "true")
            .filter(|&checked| checked),
        ..Default::default()
    };
    crate::timeline::service::post_entry(&state, &actor, id, &input)
        .await
        .map(|posted| posted.entry)
        .inspect_err(crate::error::set_error_status)
}

/// Moves an incident's status from the war-room form.
#[server(prefix = "/api/fn", endpoint = "change_status")]
pub async fn change_status(
    key: String,
    status: String,
    reason: Option<String>,
) -> Result<Incident, AppError> {
    use super::model::ChangeInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    let input = ChangeInput {
        status: Some(status),
        reason,
        ..Default::default()
    };
    super::service::change_incident(&state, &actor, id, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Hands over the incident's roles from the war-room form. Each select sends "" to
/// keep the role as it is, "-" to leave it to nobody, or the new holder's email.
#[server(prefix = "/api/fn", endpoint = "change_roles")]
pub async fn change_roles(
    key: String,
    lead: Option<String>,
    comms_owner: Option<String>,
) -> Result<Incident, AppError> {
    use super::model::ChangeInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    let handover = |choice: Option<String>| match choice.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("-") => Some(String::new()),
        Some(email) => Some(email.to_owned()),
    };
    let input = ChangeInput {
        lead: handover(lead),
        comms_owner: handover(comms_owner),
        ..Default::default()
    };
    super::service::change_incident(&state, &actor, id, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Widens the impact from the war-room form: one more system, account and/or a tier.
#[server(prefix = "/api/fn", endpoint = "change_impact")]
pub async fn change_impact(
    key: String,
    add_system: Option<String>,
    add_account: Option<String>,
    customer_tier: Option<String>,
) -> Result<Incident, AppError> {
    use super::model::ChangeInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    let input = ChangeInput {
        add_systems: add_system.into_iter().collect(),
        add_accounts: add_account.into_iter().collect(),
        customer_tier,
        ..Default::default()
    };
    super::service::change_incident(&state, &actor, id, &input)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Corrects a timeline entry's text (a new revision) from the war room.
#[server(prefix = "/api/fn", endpoint = "revise_timeline_entry")]
pub async fn revise_timeline_entry(
    key: String,
    seq: i64,
    body: String,
) -> Result<TimelineEntry, AppError> {
    use crate::timeline::service::ReviseInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    crate::timeline::service::revise_entry(&state, &actor, id, seq, &ReviseInput { body })
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Removes a timeline entry's text, with a reason, from the war room.
#[server(prefix = "/api/fn", endpoint = "redact_timeline_entry")]
pub async fn redact_timeline_entry(
    key: String,
    seq: i64,
    reason: String,
) -> Result<TimelineEntry, AppError> {
    use crate::timeline::service::RedactInput;
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let id = incident_id(&key)?;
    crate::timeline::service::redact_entry(&state, &actor, id, seq, &RedactInput { reason })
        .await
        .inspect_err(crate::error::set_error_status)
}

#[cfg(feature = "ssr")]
pub(crate) fn incident_id(key: &str) -> Result<super::model::IncidentId, AppError> {
    super::model::IncidentId::from_key(key).ok_or_else(|| {
        let err = AppError::NotFound(key.to_owned());
        crate::error::set_error_status(&err);
        err
    })
}
