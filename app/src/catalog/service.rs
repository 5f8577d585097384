//! The rules for the catalog.

use super::import::{read_csv, slugify, AccountField, ImportReport, PlannedAccount, RejectedRow};
use super::model::{
    check_name, check_slug, Account, AccountDraft, NewAccount, NewMember, NewSystem, NewTeam,
    System, Team, TeamDraft,
};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::User;
use crate::identity::service::{audit_change, Client};
use crate::sla::service::unknown_policy;
use crate::state::AppState;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Creates a team (and its lead, if new).
pub async fn create_team(
    state: &AppState,
    by: (&User, &Client),
    input: &NewTeam,
) -> Result<Team, AppError> {
    let draft = TeamDraft::parse(input)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let lead = match &draft.lead {
        Some((email, name)) => Some(repo::person_id_or_add(&mut tx, email, name, now).await?),
        None => None,
    };
    if repo::insert_team(&mut tx, &draft, lead, now)
        .await?
        .is_none()
    {
        let mut invalid = Invalid::default();
        invalid.add("slug", format!("A team {:?} exists already", draft.slug));
        return Err(AppError::Invalid(invalid));
    }
    let team = repo::find_team(&mut *tx, &draft.slug)
        .await?
        .ok_or_else(|| AppError::internal("create team", "inserted team not found"))?;
    let lead = team.lead.as_ref().map(|p| p.email.as_str());
    let detail = json!({ "name": team.name, "lead": lead });
    audit_change(&mut tx, by, ("team.created", &team.slug), detail, now).await?;
    tx.commit().await?;
    Ok(team)
}

/// Every team.
pub async fn list_teams(state: &AppState) -> Result<Vec<Team>, AppError> {
    let mut teams = repo::list_teams(state.db.pool()).await?;
    for (team_id, person) in repo::members(state.db.pool(), None).await? {
        if let Some(team) = teams.iter_mut().find(|t| t.id == team_id) {
            team.members.push(person);
        }
    }
    Ok(teams)
}

/// Adds someone to a team (adding the person if new).
pub async fn add_member(
    state: &AppState,
    by: (&User, &Client),
    slug: &str,
    input: &NewMember,
) -> Result<Team, AppError> {
    let (email, name) = input.parse()?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let team = team_to_change(&mut tx, slug).await?;
    let person = repo::person_id_or_add(&mut tx, &email, &name, now).await?;
    if !repo::add_member(&mut tx, team.id, person, now).await? {
        return Err(AppError::Conflict(format!(
            "{email} is on {} already",
            team.name
        )));
    }
    let team =
        membership_changed(&mut tx, by, ("team.member_added", slug), team, &email, now).await?;
    tx.commit().await?;
    Ok(team)
}

/// Takes someone off a team.
pub async fn remove_member(
    state: &AppState,
    by: (&User, &Client),
    slug: &str,
    email: &str,
) -> Result<Team, AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let team = team_to_change(&mut tx, slug).await?;
    let person = repo::find_person(&mut *tx, email).await?;
    let removed = match &person {
        Some(person) => repo::remove_member(&mut tx, team.id, person.id).await?,
        None => false,
    };
    if !removed {
        return Err(AppError::NotFound(format!("{email} on team {slug}")));
    }
    let team =
        membership_changed(&mut tx, by, ("team.member_removed", slug), team, email, now).await?;
    tx.commit().await?;
    Ok(team)
}

/// The team whose members are about to change, in the writing transaction.
async fn team_to_change(conn: &mut sqlx::AnyConnection, slug: &str) -> Result<Team, AppError> {
    repo::find_team(conn, slug)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team {slug}")))
}

/// Audits a member added or removed and returns the team as it now stands.
async fn membership_changed(
    conn: &mut sqlx::AnyConnection,
    by: (&User, &Client),
    (action, slug): (&str, &str),
    team: Team,
    email: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Team, AppError> {
    audit_change(conn, by, (action, slug), json!({ "member": email }), now).await?;
    with_members(conn, team).await
}

async fn with_members(conn: &mut sqlx::AnyConnection, mut team: Team) -> Result<Team, AppError> {
    team.members = repo::members(conn, Some(team.id))
        .await?
        .into_iter()
        .map(|(_, person)| person)
        .collect();
    Ok(team)
}

/// Creates a system, owned by an existing team if one is named.
pub async fn create_system(
    state: &AppState,
    by: (&User, &Client),
    input: &NewSystem,
) -> Result<System, AppError> {
    let mut invalid = Invalid::default();
    let slug = check_slug("slug", &input.slug, &mut invalid);
    let name = check_name("name", &input.name, &mut invalid);
    let description = input.description.trim().to_owned();
    if description.len() > 4000 {
        invalid.add("description", "At most 4000 characters");
    }
    let customer_name = input
        .customer_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| check_name("customer_name", n, &mut invalid));
    let team_slug = input
        .team
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let team = match team_slug {
        Some(slug) => {
            let team = repo::find_team(state.db.pool(), slug).await?;
            if team.is_none() {
                invalid.add("team", format!("unknown team {slug:?}"));
            }
            team
        }
        None => None,
    };
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let mut tx = state.db.begin_write().await?;
    if repo::insert_system(
        &mut tx,
        &slug,
        &name,
        (&description, customer_name.as_deref()),
        team.as_ref().map(|t| t.id),
        state.now(),
    )
    .await?
    .is_none()
    {
        invalid.add("slug", format!("A system {slug:?} exists already"));
        return Err(AppError::Invalid(invalid));
    }
    let system = repo::find_systems(&mut tx, std::slice::from_ref(&slug))
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("create system", "inserted system not found"))?;
    let detail = json!({ "name": system.name, "team": system.team });
    audit_change(
        &mut tx,
        by,
        ("system.created", &system.slug),
        detail,
        state.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(system)
}

/// Every system.
pub async fn list_systems(state: &AppState) -> Result<Vec<System>, AppError> {
    Ok(repo::list_systems(state.db.pool()).await?)
}

/// Creates a customer account (and its CSM, if new).
pub async fn create_account(
    state: &AppState,
    by: (&User, &Client),
    input: &NewAccount,
) -> Result<Account, AppError> {
    let draft = AccountDraft::parse(input)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let policies = crate::sla::repo::policy_slugs(&mut *tx).await?;
    if let Some(why) = unknown_policy(draft.sla_policy.as_deref(), &policies) {
        let mut invalid = Invalid::default();
        invalid.add("sla_policy", why);
        return Err(AppError::Invalid(invalid));
    }
    let csm = match &draft.csm {
        Some((email, name)) => Some(repo::person_id_or_add(&mut tx, email, name, now).await?),
        None => None,
    };
    if repo::insert_account(&mut tx, &draft, csm, now)
        .await?
        .is_none()
    {
        let mut invalid = Invalid::default();
        invalid.add(
            "slug",
            format!("An account {:?} or CRM id exists already", draft.slug),
        );
        return Err(AppError::Invalid(invalid));
    }
    let account = repo::find_accounts(&mut tx, std::slice::from_ref(&draft.slug))
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("create account", "inserted account not found"))?;
    let detail = json!({ "name": account.name, "tier": account.tier, "crm_id": account.crm_id });
    audit_change(&mut tx, by, ("account.created", &account.slug), detail, now).await?;
    tx.commit().await?;
    Ok(account)
}

/// Every account.
pub async fn list_accounts(state: &AppState) -> Result<Vec<Account>, AppError> {
    Ok(repo::list_accounts(state.db.pool()).await?)
}

/// Imports accounts from a CRM's CSV export: reports what would be created, updated,
/// left unchanged or rejected, and writes the accepted rows when `apply` is set, in
/// one transaction. Rows are matched to accounts by CRM id, so a re-import updates.
/// Only mapped columns are compared and written: a narrower export clears nothing.
pub async fn import_accounts(
    state: &AppState,
    by: (&User, &Client),
    csv: &[u8],
    columns: &BTreeMap<String, String>,
    apply: bool,
) -> Result<ImportReport, AppError> {
    let (mapping, rows) = read_csv(csv, columns)?;
    let mapped = |field: AccountField| mapping.iter().any(|m| m.field == Some(field));
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let existing = repo::list_accounts(&mut *tx).await?;
    let policies = crate::sla::repo::policy_slugs(&mut *tx).await?;
    let by_crm_id: HashMap<&str, &Account> = existing
        .iter()
        .filter_map(|a| a.crm_id.as_deref().map(|id| (id, a)))
        .collect();
    let mut taken_slugs: HashSet<String> = existing.iter().map(|a| a.slug.clone()).collect();
    let mut seen_crm_ids: HashMap<String, u64> = HashMap::new();
    let mut report = ImportReport {
        columns: mapping.clone(),
        ..Default::default()
    };
    // Accepted rows to write: (draft, existing account to update).
    let mut accepted: Vec<(AccountDraft, Option<&Account>)> = Vec::new();

    for row in rows {
        let reject = |crm_id: Option<String>, reasons: Vec<String>| RejectedRow {
            line: row.line,
            crm_id,
            reasons,
        };
        let mut input = match row.input {
            Ok(input) => input,
            Err(reason) => {
                report.rejected.push(reject(None, vec![reason]));
                continue;
            }
        };
        let crm_id = input.crm_id.clone().filter(|id| !id.is_empty());
        let Some(crm_id) = crm_id else {
            report.rejected.push(reject(
                None,
                vec!["the CRM id is empty: it is how a re-import finds the account".into()],
            ));
            continue;
        };
        if let Some(first) = seen_crm_ids.insert(crm_id.clone(), row.line) {
            report.rejected.push(reject(
                Some(crm_id.clone()),
                vec![format!("CRM id {crm_id} is also on line {first}")],
            ));
            seen_crm_ids.insert(crm_id, first);
            continue;
        }
        let current = by_crm_id.get(crm_id.as_str()).copied();
        let slug_given = !input.slug.is_empty();
        input.slug = match current {
            Some(account) => account.slug.clone(),
            None if slug_given => input.slug.clone(),
            None => slugify(&input.name),
        };
        let mut draft = match AccountDraft::parse(&input) {
            Ok(draft) => draft,
            Err(err) => {
                let reasons = err
                    .invalid()
                    .map(|i| i.fields.iter().map(|(f, m)| format!("{f}: {m}")).collect())
                    .unwrap_or_else(|| vec![err.to_string()]);
                report.rejected.push(reject(Some(crm_id), reasons));
                continue;
            }
        };
        if let Some(why) = unknown_policy(draft.sla_policy.as_deref(), &policies) {
            report
                .rejected
                .push(reject(Some(crm_id), vec![format!("sla_policy: {why}")]));
            continue;
        }
        let Some(account) = current else {
            if taken_slugs.contains(&draft.slug) {
                if slug_given {
                    report.rejected.push(reject(
                        Some(crm_id),
                        vec![format!("slug: {:?} belongs to another account", draft.slug)],
                    ));
                    continue;
                }
                // A derived slug gets a number: two "Acme" customers are common.
                let base = draft.slug.clone();
                draft.slug = (2..)
                    .map(|n| format!("{base}-{n}"))
                    .find(|s| !taken_slugs.contains(s))
                    .unwrap_or(base);
            }
            taken_slugs.insert(draft.slug.clone());
            report
                .created
                .push(planned(row.line, &crm_id, &draft, Vec::new()));
            accepted.push((draft, None));
            continue;
        };
        // Keep what the file does not speak about.
        if !mapped(AccountField::CsmEmail) {
            draft.csm = account
                .csm
                .as_ref()
                .map(|p| (p.email.clone(), p.display_name.clone()));
        }
        if !mapped(AccountField::ContactEmails) {
            draft.contact_emails = account.contact_emails.clone();
        }
        if !mapped(AccountField::SlaPolicy) {
            draft.sla_policy = account.sla_policy.clone();
        }
        let mut changes = Vec::new();
        if draft.name != account.name {
            changes.push(AccountField::Name);
        }
        if draft.tier != account.tier {
            changes.push(AccountField::Tier);
        }
        let csm_email = |csm: Option<&str>| csm.map(str::to_owned);
        if csm_email(draft.csm.as_ref().map(|(e, _)| e.as_str()))
            != csm_email(account.csm.as_ref().map(|p| p.email.as_str()))
        {
            changes.push(AccountField::CsmEmail);
        }
        if draft.contact_emails != account.contact_emails {
            changes.push(AccountField::ContactEmails);
        }
        if draft.sla_policy != account.sla_policy {
            changes.push(AccountField::SlaPolicy);
        }
        if changes.is_empty() {
            report
                .unchanged
                .push(planned(row.line, &crm_id, &draft, changes));
        } else {
            report
                .updated
                .push(planned(row.line, &crm_id, &draft, changes));
            accepted.push((draft, Some(account)));
        }
    }

    if apply {
        for (draft, current) in &accepted {
            let csm = match &draft.csm {
                Some((email, name)) => {
                    Some(repo::person_id_or_add(&mut tx, email, name, now).await?)
                }
                None => None,
            };
            match current {
                Some(account) => repo::update_account(&mut tx, account.id, draft, csm).await?,
                None => {
                    repo::insert_account(&mut tx, draft, csm, now)
                        .await?
                        .ok_or_else(|| {
                            AppError::internal("import accounts", "slug or CRM id taken")
                        })?;
                }
            }
        }
        let detail = json!({
            "created": report.created.len(),
            "updated": report.updated.len(),
            "rejected": report.rejected.len(),
        });
        audit_change(&mut tx, by, ("accounts.imported", "accounts"), detail, now).await?;
        tx.commit().await?;
        report.applied = true;
        tracing::info!(
            created = report.created.len(),
            updated = report.updated.len(),
            rejected = report.rejected.len(),
            "accounts imported"
        );
    }
    Ok(report)
}

fn planned(
    line: u64,
    crm_id: &str,
    draft: &AccountDraft,
    changes: Vec<AccountField>,
) -> PlannedAccount {
    PlannedAccount {
        line,
        crm_id: crm_id.to_owned(),
        slug: draft.slug.clone(),
        name: draft.name.clone(),
        tier: draft.tier,
        changes,
    }
}
