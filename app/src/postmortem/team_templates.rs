//! The team's own post-mortem templates: a `default`, and one per severity whose
//! incidents are drafted with it instead (a severity without its own uses the
//! default; no saved default is the built-in one). Admins edit them, each checked
//! when saved and tried on a real incident before.

use super::facts::Facts;
use super::model::{PostMortemTemplate, TemplatePreview, TemplateSource};
use super::{repo, template};
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::identity::service::require;
use crate::state::AppState;
use sqlx::{Any, Executor};

use super::model::TEMPLATE_NAMES as NAMES;

/// Longest template accepted.
const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

fn known(name: &str) -> Result<&'static str, AppError> {
    NAMES.into_iter().find(|n| *n == name).ok_or_else(|| {
        AppError::NotFound(format!(
            "a post-mortem template named {name:?} (there are default, P1, P2 and P3)"
        ))
    })
}

/// Every template as drafts use it.
pub async fn list(state: &AppState) -> Result<Vec<PostMortemTemplate>, AppError> {
    let saved = repo::templates(state.db.pool()).await?;
    let default_text = saved
        .iter()
        .find(|t| t.name == "default")
        .map_or(template::DEFAULT_TEMPLATE, |t| t.body.as_str());
    Ok(NAMES
        .into_iter()
        .map(|name| match saved.iter().find(|t| t.name == name) {
            Some(t) => PostMortemTemplate {
                name: name.to_owned(),
                body: t.body.clone(),
                source: TemplateSource::Custom,
                updated_by: Some(t.updated_by.clone()),
                updated_at: Some(t.updated_at),
            },
            None => PostMortemTemplate {
                name: name.to_owned(),
                body: default_text.to_owned(),
                source: if name == "default" {
                    TemplateSource::BuiltIn
                } else {
                    TemplateSource::Default
                },
                updated_by: None,
                updated_at: None,
            },
        })
        .collect())
}

/// The text drafted with as template `name`: a severity's ("P1") or "default"'s
/// saved text, else the default's, else the built-in one.
pub async fn text_of(
    ex: impl Executor<'_, Database = Any>,
    name: &str,
) -> Result<String, sqlx::Error> {
    Ok(repo::first_template(ex, [name, "default"])
        .await?
        .unwrap_or_else(|| template::DEFAULT_TEMPLATE.to_owned()))
}

/// Saves `name`'s text once it renders: an unknown placeholder, broken syntax or a
/// runaway loop is refused, naming the line.
pub async fn save(
    state: &AppState,
    name: &str,
    body: &str,
    by: &User,
) -> Result<PostMortemTemplate, AppError> {
    require(by, Action::ManagePostMortemTemplates)?;
    let name = known(name)?;
    // Stored with LF line ends (a form post sends CRLF), so line numbers match.
    let body = body.replace("\r\n", "\n");
    check(&body)?;
    repo::save_template(state.db.pool(), name, &body, &by.display_name, state.now()).await?;
    list(state)
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| AppError::internal("save a post-mortem template", "saved one not found"))
}

/// Drops the team's text for `name`: it goes back to the default (or the built-in).
pub async fn reset(
    state: &AppState,
    name: &str,
    by: &User,
) -> Result<Vec<PostMortemTemplate>, AppError> {
    require(by, Action::ManagePostMortemTemplates)?;
    let name = known(name)?;
    repo::remove_template(state.db.pool(), name).await?;
    list(state).await
}

/// `body` rendered on the incident `key`'s facts, as its draft would read (in
/// `by`'s zone); nothing is saved.
pub async fn preview(
    state: &AppState,
    body: &str,
    key: &str,
    by: &User,
) -> Result<TemplatePreview, AppError> {
    require(by, Action::ManagePostMortemTemplates)?;
    let body = body.replace("\r\n", "\n");
    let id = crate::incidents::api::incident_id(key)?;
    let zone = crate::clock::parse_zone(&by.time_zone).unwrap_or(chrono_tz::UTC);
    let (facts, _) = super::service::facts(state, id, zone).await?;
    let markdown = template::render(&body, &facts).map_err(|err| refused(&body, err))?;
    Ok(TemplatePreview {
        incident: key.trim().to_uppercase(),
        html: crate::markdown::to_safe_html(&markdown),
        markdown,
    })
}

/// Whether `body` renders, on a context where every list has an item (so a bad
/// placeholder inside a loop shows too).
fn check(body: &str) -> Result<(), AppError> {
    let mut invalid = Invalid::default();
    if body.trim().is_empty() {
        invalid.add("body", "Write the template (it is empty)");
    } else if body.len() > MAX_TEMPLATE_BYTES {
        invalid.add(
            "body",
            format!("Too long: at most {} KB", MAX_TEMPLATE_BYTES / 1024),
        );
    } else if let Err(err) = template::render(body, &Facts::example()) {
        return Err(refused(body, err));
    }
    if invalid.fields.is_empty() {
        Ok(())
    } else {
        invalid.echo("body", body);
        Err(AppError::Invalid(invalid))
    }
}

/// A template error as a refusal of the `body` field (the text kept as typed).
fn refused(body: &str, err: template::TemplateError) -> AppError {
    let mut invalid = Invalid::default();
    invalid.add("body", err.to_string());
    invalid.echo("body", body);
    AppError::Invalid(invalid)
}
