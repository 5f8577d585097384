//! What customer success configures: message templates, approval by tier, and
//! accounts' signed webhooks.

use super::draft;
use super::model::{
    unknown_placeholders, ApprovalPolicy, CustomerStatus, Template, MESSAGE_MAX_BYTES,
    PLACEHOLDERS, SHORT_MAX_CHARS, SUBJECT_MAX_CHARS,
};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::identity::service::require;
use crate::state::AppState;

/// Templates in force: each status's saved ones, and the built-in one for a status
/// with none saved for every tier.
pub async fn templates(state: &AppState) -> Result<Vec<Template>, AppError> {
    let mut saved = repo::list_templates(state.db.pool()).await?;
    for status in CustomerStatus::ALL {
        if !saved
            .iter()
            .any(|t| t.customer_status == status && t.tier.is_none())
        {
            saved.push(draft::default_template(status));
        }
    }
    saved.sort_by_key(|t| (t.customer_status, t.tier));
    Ok(saved)
}

/// Saves a template, naming unknown placeholders and empty or long parts.
pub async fn save_template(
    state: &AppState,
    actor: &User,
    template: &Template,
) -> Result<Template, AppError> {
    require(actor, Action::ManageComms)?;
    let mut invalid = Invalid::default();
    invalid.echo("customer_status", template.customer_status.as_str());
    let trimmed = Template {
        subject: template.subject.trim().to_owned(),
        body: template.body.trim().to_owned(),
        short_text: template.short_text.trim().to_owned(),
        ..template.clone()
    };
    for (field, text, max) in [
        ("subject", &trimmed.subject, SUBJECT_MAX_CHARS),
        ("body", &trimmed.body, MESSAGE_MAX_BYTES),
        ("short_text", &trimmed.short_text, SHORT_MAX_CHARS),
    ] {
        invalid.echo(field, text);
        let unknown = unknown_placeholders(text);
        if text.is_empty() {
            invalid.add(field, "Required");
        } else if text.chars().count() > max {
            invalid.add(field, format!("At most {max} characters"));
        } else if !unknown.is_empty() {
            let known: Vec<&str> = PLACEHOLDERS.iter().map(|(n, _)| *n).collect();
            invalid.add(
                field,
                format!(
                    "Unknown placeholder {}: use {}",
                    unknown
                        .iter()
                        .map(|u| format!("{{{{{u}}}}}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    known.join(", ")
                ),
            );
        }
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    repo::save_template(&mut tx, &trimmed, &actor.display_name, now).await?;
    tx.commit().await?;
    Ok(trimmed)
}

/// Sets whether messages to a tier need approval.
pub async fn set_approval_policy(
    state: &AppState,
    actor: &User,
    policy: &ApprovalPolicy,
) -> Result<Vec<ApprovalPolicy>, AppError> {
    require(actor, Action::ManageComms)?;
    let mut tx = state.db.begin_write().await?;
    repo::set_approval_policy(&mut tx, policy).await?;
    tx.commit().await?;
    Ok(repo::approval_policies(state.db.pool()).await?)
}

/// Gives an account a signed webhook (a new secret, returned once) or removes it.
pub async fn set_account_webhook(
    state: &AppState,
    actor: &User,
    account: &str,
    url: Option<&str>,
) -> Result<Option<String>, AppError> {
    require(actor, Action::ManageCatalog)?;
    let mut invalid = Invalid::default();
    let url = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| crate::catalog::model::check_webhook_url("url", u, &mut invalid));
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let secret = url
        .as_ref()
        .map(|_| crate::identity::secrets::new_secret("whsec_").0);
    let mut tx = state.db.begin_write().await?;
    let webhook = url.as_deref().zip(secret.as_deref());
    if !repo::set_account_webhook(&mut tx, account, webhook).await? {
        return Err(AppError::NotFound(format!("account {account}")));
    }
    tx.commit().await?;
    Ok(secret)
}
