//! SLA policies: listing them, revising their terms (a new version; running clocks
//! keep the version they started with) and giving an account its own contract.

use super::policy::PolicyTerms;
use super::repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::User;
use crate::identity::service::{audit_change, Client};
use crate::state::AppState;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

/// A policy at its current version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicySummary {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub terms: PolicyTerms,
    /// Tiers whose accounts get this policy unless they have their own.
    pub default_for: Vec<String>,
}

/// New terms for a policy.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRevision {
    pub terms: PolicyTerms,
}

/// Which policy an account's clocks use: `null` for its tier's default.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPolicyChoice {
    pub policy: Option<String>,
}

pub async fn list_policies(state: &AppState) -> Result<Vec<PolicySummary>, AppError> {
    let rows = sqlx::query(
        "SELECT p.id, p.slug, p.name, p.current_version, v.terms FROM sla_policies p \
         JOIN sla_policy_versions v ON v.policy_id = p.id AND v.version = p.current_version \
         ORDER BY p.slug",
    )
    .fetch_all(state.db.pool())
    .await?;
    let tiers = sqlx::query("SELECT tier, policy_id FROM sla_tier_policies ORDER BY tier")
        .fetch_all(state.db.pool())
        .await?;
    let mut policies = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id")?;
        let terms: String = row.try_get("terms")?;
        policies.push(PolicySummary {
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            version: row.try_get("current_version")?,
            terms: serde_json::from_str(&terms)
                .map_err(|e| AppError::internal("stored SLA policy", e))?,
            default_for: tiers
                .iter()
                .filter(|t| t.try_get::<i64, _>("policy_id").ok() == Some(id))
                .filter_map(|t| t.try_get::<String, _>("tier").ok())
                .collect(),
        });
    }
    Ok(policies)
}

/// Stores new terms as the policy's next version. Clocks already running keep
/// theirs; clocks started from now on use these.
pub async fn revise_policy(
    state: &AppState,
    by: (&User, &Client),
    slug: &str,
    revision: &PolicyRevision,
) -> Result<PolicySummary, AppError> {
    if let Err(why) = revision.terms.compile() {
        let mut invalid = Invalid::default();
        invalid.add("terms", why);
        return Err(AppError::Invalid(invalid));
    }
    let terms =
        serde_json::to_string(&revision.terms).map_err(|e| AppError::internal("SLA terms", e))?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let found: Option<(i64, i64)> =
        sqlx::query_as("SELECT id, current_version FROM sla_policies WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((id, current)) = found else {
        return Err(AppError::NotFound(format!("SLA policy {slug}")));
    };
    let version = current + 1;
    sqlx::query(
        "INSERT INTO sla_policy_versions (policy_id, version, terms, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(version)
    .bind(&terms)
    .bind(&by.0.display_name)
    .bind(crate::db::millis(now))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sla_policies SET current_version = $2 WHERE id = $1")
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    let detail = json!({ "version": version, "terms": revision.terms });
    audit_change(&mut tx, by, ("sla_policy.revised", slug), detail, now).await?;
    tx.commit().await?;
    list_policies(state)
        .await?
        .into_iter()
        .find(|p| p.slug == slug)
        .ok_or_else(|| AppError::internal("revise SLA policy", "revised policy not found"))
}

/// Why an account cannot be given policy `wanted`, if no policy has that slug (the
/// message lists those there are). `None` for no policy: the tier's default.
pub fn unknown_policy(wanted: Option<&str>, known: &[String]) -> Option<String> {
    let wanted = wanted?;
    (!known.iter().any(|slug| slug == wanted)).then(|| {
        format!(
            "No SLA policy is called {wanted:?} (there are: {})",
            known.join(", ")
        )
    })
}

/// Gives an account its own contract policy, or back its tier's default. Clocks
/// already running keep their policy.
pub async fn set_account_policy(
    state: &AppState,
    by: (&User, &Client),
    account: &str,
    choice: &AccountPolicyChoice,
) -> Result<(), AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    if let Some(why) = unknown_policy(
        choice.policy.as_deref(),
        &repo::policy_slugs(&mut *tx).await?,
    ) {
        let mut invalid = Invalid::default();
        invalid.add("policy", why);
        return Err(AppError::Invalid(invalid));
    }
    let policy: Option<i64> = match &choice.policy {
        Some(slug) => {
            sqlx::query_scalar("SELECT id FROM sla_policies WHERE slug = $1")
                .bind(slug)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    let updated = sqlx::query("UPDATE accounts SET sla_policy_id = $2 WHERE slug = $1")
        .bind(account)
        .bind(policy)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("account {account}")));
    }
    let detail = json!({ "policy": choice.policy });
    audit_change(
        &mut tx,
        by,
        ("account.sla_policy_set", account),
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

impl PolicySummary {
    /// What the admin page shows.
    pub fn view(&self) -> super::model::PolicyView {
        use super::policy::CalendarTerms;
        let t = &self.terms.targets;
        let calendar = match &self.terms.calendar {
            CalendarTerms::Always => "24×7".to_owned(),
            CalendarTerms::BusinessHours {
                zone,
                weekdays,
                open,
                close,
                holidays,
            } => format!(
                "{}, {open}–{close} {zone}{}",
                weekdays.join(" "),
                if holidays.is_empty() {
                    String::new()
                } else {
                    format!(", {} holidays", holidays.len())
                }
            ),
        };
        super::model::PolicyView {
            slug: self.slug.clone(),
            name: self.name.clone(),
            version: self.version,
            default_for: self.default_for.clone(),
            targets: [("P1", t.p1), ("P2", t.p2), ("P3", t.p3)]
                .into_iter()
                .map(|(s, t)| (s.to_owned(), t.response_min, t.resolution_min, t.update_min))
                .collect(),
            calendar,
            pause_statuses: self
                .terms
                .pause_statuses
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            at_risk_percent: self.terms.at_risk_percent,
            terms_json: serde_json::to_string_pretty(&self.terms).unwrap_or_default(),
            form: super::policy::form_from_terms(&self.terms),
        }
    }
}

/// Revises a policy from terms typed as JSON (the admin page): a parse error is named
/// like any other problem with the terms, and what was typed is kept.
/// New terms from the policy editor's fields: a problem is named next to its field,
/// and the whole form is echoed back so a page without JavaScript shows it as typed.
pub async fn revise_policy_from_form(
    state: &AppState,
    by: (&User, &Client),
    slug: &str,
    form: &super::model::PolicyForm,
) -> Result<PolicySummary, AppError> {
    let echoed = |mut invalid: Invalid| {
        invalid.echo("form", &serde_json::to_string(form).unwrap_or_default());
        AppError::Invalid(invalid)
    };
    let terms = super::policy::terms_from_form(form).map_err(echoed)?;
    match revise_policy(state, by, slug, &PolicyRevision { terms }).await {
        Err(AppError::Invalid(invalid)) => Err(echoed(invalid)),
        other => other,
    }
}

pub async fn revise_policy_from_json(
    state: &AppState,
    by: (&User, &Client),
    slug: &str,
    typed: &str,
) -> Result<PolicySummary, AppError> {
    let refuse = |why: String| {
        let mut invalid = Invalid::default();
        invalid.add("terms", why);
        invalid.echo("terms", typed);
        AppError::Invalid(invalid)
    };
    let terms: PolicyTerms =
        serde_json::from_str(typed).map_err(|e| refuse(format!("The terms are not valid: {e}")))?;
    match revise_policy(state, by, slug, &PolicyRevision { terms }).await {
        Err(AppError::Invalid(invalid)) => Err(refuse(
            invalid
                .field("terms")
                .unwrap_or("The terms are not valid")
                .to_owned(),
        )),
        other => other,
    }
}
