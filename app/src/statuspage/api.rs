//! Server functions for the status page's admin page: thin glue between its forms
//! and the service. The REST API (`/api/v1/status/…`) does the same for scripts.

use super::model::{PageMaintenance, StatusAdmin};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One row of the components form: systems as typed, comma-separated. A row with
/// neither slug nor name is an unused blank one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentRow {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub systems: String,
}

impl ComponentRow {
    pub fn is_blank(&self) -> bool {
        self.slug.trim().is_empty() && self.name.trim().is_empty()
    }

    /// The component this row asks for.
    pub fn component(&self) -> super::model::ComponentInput {
        super::model::ComponentInput {
            slug: self.slug.clone(),
            name: self.name.clone(),
            group: self.group.clone(),
            description: self.description.clone(),
            systems: self
                .systems
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }
}

/// The page's name, components, planned work and private pages.
#[server(prefix = "/api/fn", endpoint = "status_admin")]
pub async fn get_status_admin() -> Result<StatusAdmin, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    super::service::admin_view(&state, &actor)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Names the page.
#[server(prefix = "/api/fn", endpoint = "set_status_page_name")]
pub async fn set_status_page_name(name: String) -> Result<String, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    super::service::set_page_name(&state, &actor, &name)
        .await
        .map_err(|err| err.echoing(&[("name", &name)]))
        .inspect_err(crate::error::set_error_status)
}

/// Saves the whole components list in the rows' order; blank rows are dropped,
/// and a component whose row was cleared is removed.
#[server(prefix = "/api/fn", endpoint = "save_status_components")]
pub async fn save_status_components(
    #[server(default)] rows: Vec<ComponentRow>,
) -> Result<usize, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    // (row number on the form, row) of the rows that are not blank.
    let kept: Vec<(usize, &ComponentRow)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_blank())
        .collect();
    let list: Vec<_> = kept.iter().map(|(_, r)| r.component()).collect();
    super::service::replace_components(&state, &actor, &list)
        .await
        .map(|saved| saved.len())
        .map_err(|err| match err {
            AppError::Invalid(invalid) => AppError::Invalid(on_form_rows(invalid, &rows, &kept)),
            other => other,
        })
        .inspect_err(crate::error::set_error_status)
}

/// The service names problems by place in the saved list (`components[2].slug`);
/// the form's rows include blank ones. Renames them to the form's rows
/// (`rows[3].slug`) and echoes every row, so each shows where it was typed.
#[cfg(feature = "ssr")]
fn on_form_rows(
    invalid: crate::error::Invalid,
    rows: &[ComponentRow],
    kept: &[(usize, &ComponentRow)],
) -> crate::error::Invalid {
    let mut renamed = crate::error::Invalid::default();
    for (field, message) in invalid.fields {
        let on_row = field
            .strip_prefix("components[")
            .and_then(|rest| rest.split_once("]."))
            .and_then(|(k, part)| Some((kept.get(k.parse::<usize>().ok()?)?.0, part)));
        match on_row {
            Some((row, part)) => renamed.add(&format!("rows[{row}].{part}"), message),
            None => renamed.add(&field, message),
        }
    }
    for (i, row) in rows.iter().enumerate() {
        for (part, value) in [
            ("slug", &row.slug),
            ("name", &row.name),
            ("group", &row.group),
            ("description", &row.description),
            ("systems", &row.systems),
        ] {
            renamed.echo(&format!("rows[{i}].{part}"), value);
        }
    }
    renamed
}

/// Announces planned work; times are read in `zone`, as typed.
#[server(prefix = "/api/fn", endpoint = "schedule_status_maintenance")]
pub async fn schedule_status_maintenance(
    title: String,
    body: String,
    scheduled_for: String,
    scheduled_until: String,
    zone: String,
    #[server(default)] components: Vec<String>,
) -> Result<PageMaintenance, AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let typed = super::maintenance::TypedMaintenance {
        title,
        body,
        scheduled_for,
        scheduled_until,
        zone,
        components,
    };
    super::maintenance::schedule_typed(&state, &actor, &typed)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Posts a message on planned work, moving it on.
#[server(prefix = "/api/fn", endpoint = "post_status_maintenance_notice")]
pub async fn post_status_maintenance_notice(
    id: i64,
    state: super::model::MaintenanceState,
    body: String,
) -> Result<PageMaintenance, AppError> {
    let app = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    let notice = super::maintenance::MaintenanceNotice {
        state,
        body: body.clone(),
    };
    super::maintenance::post_notice(&app, &actor, id, &notice)
        .await
        .map_err(|err| err.echoing(&[("id", &id.to_string()), ("body", &body)]))
        .inspect_err(crate::error::set_error_status)
}

/// Makes a new private link for an account (shown only in this answer); the
/// previous one stops working at once.
#[server(prefix = "/api/fn", endpoint = "rotate_status_link")]
pub async fn rotate_status_link(account: String) -> Result<(String, String), AppError> {
    let state = crate::state::AppState::from_context()?;
    let actor = crate::identity::api::signed_in()?;
    super::service::rotate_private_link(&state, &actor, &account)
        .await
        .map(|url| (account, url))
        .inspect_err(crate::error::set_error_status)
}
