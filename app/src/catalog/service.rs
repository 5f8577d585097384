//! The rules for the catalog.

use super::model::{
    check_name, check_slug, Account, AccountDraft, NewAccount, NewSystem, NewTeam, System, Team,
    TeamDraft,
};
use super::repo;
use crate::error::{AppError, Invalid};
use crate::state::AppState;

/// Creates a team (and its lead, if new).
pub async fn create_team(state: &AppState, input: &NewTeam) -> Result<Team, AppError> {
    let draft = TeamDraft::parse(input)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let lead = match &draft.lead {
        Some((email, name)) => Some(repo::upsert_user(&mut tx, email, name, now).await?),
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
    tx.commit().await?;
    Ok(team)
}

/// Every team.
pub async fn list_teams(state: &AppState) -> Result<Vec<Team>, AppError> {
    Ok(repo::list_teams(state.db.pool()).await?)
}

/// Creates a system, owned by an existing team if one is named.
pub async fn create_system(state: &AppState, input: &NewSystem) -> Result<System, AppError> {
    let mut invalid = Invalid::default();
    let slug = check_slug("slug", &input.slug, &mut invalid);
    let name = check_name("name", &input.name, &mut invalid);
    let description = input.description.trim().to_owned();
    if description.len() > 4000 {
        invalid.add("description", "At most 4000 characters");
    }
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
        &description,
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
    tx.commit().await?;
    Ok(system)
}

/// Every system.
pub async fn list_systems(state: &AppState) -> Result<Vec<System>, AppError> {
    Ok(repo::list_systems(state.db.pool()).await?)
}

/// Creates a customer account (and its CSM, if new).
pub async fn create_account(state: &AppState, input: &NewAccount) -> Result<Account, AppError> {
    let draft = AccountDraft::parse(input)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let csm = match &draft.csm {
        Some((email, name)) => Some(repo::upsert_user(&mut tx, email, name, now).await?),
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
    tx.commit().await?;
    Ok(account)
}

/// Every account.
pub async fn list_accounts(state: &AppState) -> Result<Vec<Account>, AppError> {
    Ok(repo::list_accounts(state.db.pool()).await?)
}
