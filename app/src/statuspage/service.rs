//! Status pages: building what a page shows from sent messages, serving it from
//! the cache, and the admin changes (components, the page's name, private links).

use super::cache::{Format, Rendered};
pub use super::model::ComponentInput;
use super::model::{MaintenanceState, PageComponent, PageIncident, PageUpdate, StatusView};
use super::{render, repo};
use crate::catalog::model::{check_name, check_slug};
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::identity::service::require;
use crate::incidents::model::IncidentId;
use crate::state::AppState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far back the page's history goes.
pub const HISTORY_DAYS: i64 = 90;

/// Whose page: everyone's, or one account's (id, name).
#[derive(Debug, Clone)]
pub enum Reader {
    Public,
    Account { id: i64, name: String },
}

impl Reader {
    pub fn key(&self) -> i64 {
        match self {
            Reader::Public => repo::PUBLIC,
            Reader::Account { id, .. } => *id,
        }
    }
}

/// What the page shows the reader now, from the database.
pub async fn view(state: &AppState, reader: &Reader) -> Result<StatusView, AppError> {
    let now = state.now();
    let since = now - chrono::Duration::days(HISTORY_DAYS);
    let pool = state.db.pool();
    let page_name = repo::page_name(pool).await?;
    let components: Vec<PageComponent> = repo::components(pool)
        .await?
        .into_iter()
        .map(|c| c.component)
        .collect();
    let sent = repo::sent_messages(pool, reader.key(), since).await?;
    let mut touched: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for (incident, slug) in repo::incident_components(pool, since).await? {
        touched.entry(incident.0).or_default().push(slug);
    }
    let mut by_incident: BTreeMap<i64, Vec<repo::SentRow>> = BTreeMap::new();
    for row in sent {
        by_incident.entry(row.incident.0).or_default().push(row);
    }
    let incidents = by_incident
        .into_iter()
        .filter_map(|(id, rows)| {
            let severity = rows.last()?.severity;
            let subjects: Vec<(i64, String)> =
                rows.iter().map(|r| (r.id, r.subject.clone())).collect();
            let updates = rows
                .into_iter()
                .map(|r| PageUpdate {
                    id: r.id,
                    status: r.status,
                    body: r.body,
                    sent_at: r.sent_at,
                })
                .collect();
            PageIncident::from_updates(
                IncidentId(id).key(),
                severity,
                touched.remove(&id).unwrap_or_default(),
                &subjects,
                updates,
            )
        })
        .collect();
    let account = match reader {
        Reader::Public => None,
        Reader::Account { name, .. } => Some(name.clone()),
    };
    let maintenances = repo::maintenances(pool, since, None).await?;
    Ok(
        StatusView::new(page_name, account, components, incidents, now)
            .with_maintenance(maintenances),
    )
}

/// The page (or one of its documents) for the reader, from the cache when nothing
/// customers can see changed since it was rendered. `url` is the page's own address.
pub async fn page(
    state: &AppState,
    reader: &Reader,
    format: Format,
    url: &str,
) -> Result<Arc<Rendered>, AppError> {
    let key = (reader.key(), format);
    // Read before building: a change during the build leaves the entry stale.
    let generation = state.customer_facing.generation();
    let cache = &state.status_pages;
    if let Some(hit) = cache.get(key, generation) {
        return Ok(hit);
    }
    let _turn = match cache.try_rebuild() {
        Some(turn) => turn,
        None => {
            // Someone is rebuilding: the previous page meanwhile, else wait for theirs.
            if let Some(previous) = cache.last(key) {
                return Ok(previous);
            }
            let turn = cache.rebuild().await;
            if let Some(hit) = cache.get(key, state.customer_facing.generation()) {
                return Ok(hit);
            }
            turn
        }
    };
    let view = view(state, reader).await?;
    let body = match format {
        Format::Html => render::html(&view, url)
            .map_err(|e| AppError::internal("status page", e.to_string()))?,
        Format::StatusJson => render::status_json(&view, url).to_string(),
        Format::SummaryJson => render::summary_json(&view, url).to_string(),
        Format::IncidentsJson => render::incidents_json(&view, url).to_string(),
        Format::MaintenancesJson => render::maintenances_json(&view, url, |_| true).to_string(),
        Format::UpcomingMaintenancesJson => {
            render::maintenances_json(&view, url, |m| m.state == MaintenanceState::Scheduled)
                .to_string()
        }
        Format::ActiveMaintenancesJson => {
            render::maintenances_json(&view, url, |m| m.state == MaintenanceState::InProgress)
                .to_string()
        }
        Format::Atom => render::atom(&view, url),
        Format::Badge => render::badge(&view),
    };
    let rendered = Arc::new(Rendered::new(body, format));
    state.status_pages.put(key, generation, rendered.clone());
    Ok(rendered)
}

/// The account a private link's token opens; `None` for a token that is not (or
/// no longer) one.
pub async fn account_of_token(state: &AppState, token: &str) -> Result<Option<Reader>, AppError> {
    if token.len() > 128 {
        return Ok(None);
    }
    let hash = crate::identity::secrets::secret_hash(token);
    Ok(repo::account_by_token_hash(state.db.pool(), &hash)
        .await?
        .map(|(id, name)| Reader::Account { id, name }))
}

/// Component slugs as given by a form or request, sorted and without repeats;
/// unknown ones are named under `components`.
pub(super) async fn check_components(
    state: &AppState,
    slugs: &[String],
    invalid: &mut Invalid,
) -> Result<Vec<String>, AppError> {
    let mut slugs = slugs.to_vec();
    slugs.sort();
    slugs.dedup();
    let unknown = repo::unknown_components(state.db.pool(), &slugs).await?;
    if !unknown.is_empty() {
        invalid.add(
            "components",
            format!("No such component: {}", unknown.join(", ")),
        );
    }
    Ok(slugs)
}

/// Longest component description, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// The components, in page order, with their systems.
pub async fn components(state: &AppState) -> Result<Vec<ComponentInput>, AppError> {
    Ok(repo::components(state.db.pool())
        .await?
        .into_iter()
        .map(|c| ComponentInput {
            slug: c.component.slug,
            name: c.component.name,
            group: c.component.group,
            description: c.component.description,
            systems: c.systems,
        })
        .collect())
}

/// Replaces the page's components with `list` (in page order). Nothing is written
/// when any of it is refused; each problem names its place in the list.
pub async fn replace_components(
    state: &AppState,
    actor: &User,
    list: &[ComponentInput],
) -> Result<Vec<ComponentInput>, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let mut invalid = Invalid::default();
    let mut seen_slugs: Vec<String> = Vec::new();
    let mut seen_systems: Vec<String> = Vec::new();
    let mut clean = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let field = |name: &str| format!("components[{i}].{name}");
        let slug = check_slug(&field("slug"), &c.slug, &mut invalid);
        if seen_slugs.contains(&slug) {
            invalid.add(&field("slug"), format!("{slug} is listed twice"));
        }
        seen_slugs.push(slug.clone());
        let name = check_name(&field("name"), &c.name, &mut invalid);
        let group = c.group.trim().to_owned();
        if group.chars().count() > crate::catalog::model::NAME_MAX_CHARS {
            invalid.add(
                &field("group"),
                format!(
                    "At most {} characters",
                    crate::catalog::model::NAME_MAX_CHARS
                ),
            );
        }
        let description = c.description.trim().to_owned();
        if description.chars().count() > DESCRIPTION_MAX_CHARS {
            invalid.add(
                &field("description"),
                format!("At most {DESCRIPTION_MAX_CHARS} characters"),
            );
        }
        for system in &c.systems {
            if seen_systems.contains(system) {
                invalid.add(
                    &field("systems"),
                    format!("{system} already shows as another component"),
                );
            }
            seen_systems.push(system.clone());
        }
        clean.push(ComponentInput {
            slug,
            name,
            group,
            description,
            systems: c.systems.clone(),
        });
    }
    let unknown = repo::unknown_systems(state.db.pool(), &seen_systems).await?;
    if !unknown.is_empty() {
        invalid.add("systems", format!("No such system: {}", unknown.join(", ")));
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let writes: Vec<repo::ComponentWrite<'_>> = clean
        .iter()
        .enumerate()
        .map(|(position, c)| repo::ComponentWrite {
            slug: &c.slug,
            name: &c.name,
            group: &c.group,
            description: &c.description,
            position: position as i64,
            systems: &c.systems,
        })
        .collect();
    let mut tx = state.db.begin_write().await?;
    repo::replace_components(&mut tx, &writes, state.now()).await?;
    tx.commit().await?;
    state.customer_facing.bump();
    components(state).await
}

/// Names the page ("Acme status").
pub async fn set_page_name(state: &AppState, actor: &User, name: &str) -> Result<String, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let mut invalid = Invalid::default();
    let name = check_name("name", name, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let mut tx = state.db.begin_write().await?;
    repo::set_page_name(&mut *tx, &name, state.now()).await?;
    tx.commit().await?;
    state.customer_facing.bump();
    Ok(name)
}

/// Gives an account a new private page link and returns it (shown only now); the
/// previous link stops working at once.
pub async fn rotate_private_link(
    state: &AppState,
    actor: &User,
    account: &str,
) -> Result<String, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let (token, hash) = crate::identity::secrets::new_secret("st_");
    let mut tx = state.db.begin_write().await?;
    if !repo::set_account_token_hash(&mut *tx, account, &hash).await? {
        return Err(AppError::NotFound(format!("account {account}")));
    }
    tx.commit().await?;
    Ok(format!(
        "{}/status/a/{token}",
        state.public_url.trim_end_matches('/')
    ))
}

/// Everything the admin page edits: the page's name, its components, planned work
/// and the accounts' private pages.
pub async fn admin_view(
    state: &AppState,
    actor: &User,
) -> Result<super::model::StatusAdmin, AppError> {
    require(actor, Action::ManageStatusPage)?;
    let pool = state.db.pool();
    let systems = crate::catalog::repo::list_systems(pool)
        .await?
        .into_iter()
        .map(|s| (s.slug, s.name))
        .collect();
    let accounts = repo::accounts_with_links(pool)
        .await?
        .into_iter()
        .map(|(slug, name, linked)| super::model::AccountPage { slug, name, linked })
        .collect();
    Ok(super::model::StatusAdmin {
        page_name: repo::page_name(pool).await?,
        components: components(state).await?,
        systems,
        maintenances: super::maintenance::list(state).await?,
        accounts,
        zone: actor.time_zone.clone(),
        zone_from_browser: actor.zone_from_browser,
    })
}
