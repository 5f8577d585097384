//! The rules for incidents: the one place a change to them is decided.
//!
//! Every change writes, in one transaction, the incident row, a timeline entry and an
//! event carrying the incident's next seq.

use super::model::{
    unique_slugs, Change, ChangeInput, Declaration, DeclareInput, Incident, IncidentId, Role,
    Source,
};
use super::repo::{self, IncidentFilter};
use crate::catalog::model::{Account, Person, System, Tier};
use crate::catalog::repo as catalog_repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::User;
use crate::identity::service as identity;
use crate::notify::service as notify_service;
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry, TimelineEntry};
use crate::timeline::repo as timeline_repo;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;

/// How many incidents a list shows.
pub const LIST_LIMIT: i64 = 100;

/// Declares an incident; writes nothing when the input is invalid.
pub async fn declare_incident(
    state: &AppState,
    actor: &User,
    input: &DeclareInput,
) -> Result<Incident, AppError> {
    // The source decides the permission (an unknown one is refused below, as invalid).
    let source = input
        .source
        .as_deref()
        .unwrap_or_default()
        .parse::<Source>();
    identity::require(actor, source.unwrap_or(Source::Manual).permission())?;
    let mut tx = state.db.begin_write().await?;
    let incident = declare_within(&mut tx, state, &actor.display_name, input).await?;
    tx.commit().await?;
    state.outbox.notify_one();
    state.live.notify_incident(incident.id);
    tracing::info!(incident = %incident.key, severity = %incident.severity, "incident declared");
    Ok(incident)
}

/// Declares an incident inside the caller's write transaction, by `author` (its
/// permission already checked): for alert intake, which declares and links the alert
/// in one transaction. The caller commits, then wakes the outbox and the hub.
pub(crate) async fn declare_within(
    tx: &mut AnyConnection,
    state: &AppState,
    author: &str,
    input: &DeclareInput,
) -> Result<Incident, AppError> {
    let now = state.now();
    let parsed = Declaration::parse(input, author, now);
    // Look the names up even when other fields are wrong, so one answer names every problem.
    let (wanted_systems, wanted_accounts) =
        (unique_slugs(&input.systems), unique_slugs(&input.accounts));
    let systems = catalog_repo::find_systems(&mut *tx, &wanted_systems).await?;
    let accounts = catalog_repo::find_accounts(&mut *tx, &wanted_accounts).await?;
    let mut invalid = match &parsed {
        Err(AppError::Invalid(invalid)) => invalid.clone(),
        Err(other) => return Err(other.clone()),
        Ok(_) => input.refusal(),
    };
    let unknown = |wanted: &[String], found: Vec<&str>| -> Vec<String> {
        wanted
            .iter()
            .filter(|slug| !found.contains(&slug.as_str()))
            .cloned()
            .collect()
    };
    let unknown_systems = unknown(
        &wanted_systems,
        systems.iter().map(|s| s.slug.as_str()).collect(),
    );
    if !unknown_systems.is_empty() {
        invalid.add(
            "systems",
            format!("unknown system {}", unknown_systems.join(", ")),
        );
    }
    let unknown_accounts = unknown(
        &wanted_accounts,
        accounts.iter().map(|a| a.slug.as_str()).collect(),
    );
    if !unknown_accounts.is_empty() {
        invalid.add(
            "accounts",
            format!("unknown account {}", unknown_accounts.join(", ")),
        );
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let declaration = parsed?;
    // The most demanding tier among the accounts, unless a higher one was named.
    let impacted_tier = accounts
        .iter()
        .map(|a| a.tier)
        .chain(declaration.customer_tier)
        .max();
    let id = repo::insert(&mut *tx, &declaration, impacted_tier, now).await?;
    repo::add_systems(&mut *tx, id, &systems, now).await?;
    repo::add_accounts(&mut *tx, id, &accounts, now).await?;
    let entry = NewEntry {
        kind: EntryKind::Declared {
            severity: declaration.severity,
        },
        author: declaration.author.clone(),
        body: declaration.description.clone(),
        occurred_at: declaration.started_at,
        customer_visible: false,
        idempotency_key: None,
    };
    let (incident, _) = write_entry(&mut *tx, id, entry, now, "incident.declared").await?;
    notify_service::notify_owners(&mut *tx, &state.public_url, &incident, &systems, now).await?;
    crate::sla::engine::start_clocks(&mut *tx, id, now).await?;
    Ok(incident)
}

/// Changes an incident's status, severity, roles and/or impact. Each change writes its
/// own timeline entry; everything is checked before anything is written.
pub async fn change_incident(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    input: &ChangeInput,
) -> Result<Incident, AppError> {
    // Handing over only the communications role is open to customer success too.
    let comms_owner_only = input.comms_owner.is_some()
        && ChangeInput {
            comms_owner: None,
            ..input.clone()
        } == ChangeInput::default();
    identity::require(
        actor,
        if comms_owner_only {
            crate::identity::model::Action::AssignCommsOwner
        } else {
            crate::identity::model::Action::ChangeIncident
        },
    )?;
    let change = Change::parse(input, &actor.display_name)?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    // Lock the incident before reading it, so the checks see the latest state.
    lock(&mut tx, id).await?;
    let current = repo::find(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;

    let mut invalid = Invalid::default();
    if let Some(to) = change.status {
        if let Err(message) = current.status.check_move(to, change.reason.as_deref()) {
            let field = if to == current.status {
                "status"
            } else {
                "reason"
            };
            invalid.add(field, message);
        }
    }
    if change.severity == Some(current.severity) {
        invalid.add(
            "severity",
            format!("The incident is already {}", current.severity),
        );
    }
    let roles = check_roles(&mut tx, &current, &change, &mut invalid).await?;
    let impact = check_impact(&mut tx, &current, &change, &mut invalid).await?;
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid)); // dropping tx rolls back: no seq used
    }

    let mut incident = current.clone();
    if let Some(to) = change.status {
        let lifecycle = current.lifecycle.after_move(to, now);
        repo::set_status(&mut tx, id, to, &lifecycle).await?;
        let entry = system_entry(
            &change,
            EntryKind::StatusChange {
                from: current.status,
                to,
                reason: change.reason.clone(),
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.status_changed").await?;
        notify_service::post_status_followups(
            &mut tx,
            &state.public_url,
            &incident,
            current.status,
            &actor.display_name,
            now,
        )
        .await?;
    }
    if let Some(to) = change.severity {
        repo::set_severity(&mut tx, id, to).await?;
        let entry = system_entry(
            &change,
            EntryKind::SeverityChange {
                from: current.severity,
                to,
                reason: change.reason.clone(),
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.severity_changed").await?;
    }
    for (role, from, to) in roles {
        repo::set_role(&mut tx, id, role, to.as_ref().map(|p| p.id)).await?;
        let entry = system_entry(
            &change,
            EntryKind::RoleChange {
                role,
                from: from.map(|p| p.display_name),
                to: to.map(|p| p.display_name),
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.role_changed").await?;
    }
    if let Some(impact) = impact {
        repo::add_systems(&mut tx, id, &impact.systems_added, now).await?;
        repo::remove_systems(&mut tx, id, &impact.systems_removed).await?;
        repo::add_accounts(&mut tx, id, &impact.accounts_added, now).await?;
        repo::remove_accounts(&mut tx, id, &impact.accounts_removed).await?;
        repo::set_tier(&mut tx, id, impact.tier_to).await?;
        let slugs = |items: Vec<&str>| items.into_iter().map(str::to_owned).collect();
        let entry = system_entry(
            &change,
            EntryKind::ImpactChange {
                systems_added: slugs(
                    impact
                        .systems_added
                        .iter()
                        .map(|s| s.slug.as_str())
                        .collect(),
                ),
                systems_removed: slugs(
                    impact
                        .systems_removed
                        .iter()
                        .map(|s| s.slug.as_str())
                        .collect(),
                ),
                accounts_added: slugs(
                    impact
                        .accounts_added
                        .iter()
                        .map(|a| a.slug.as_str())
                        .collect(),
                ),
                accounts_removed: slugs(
                    impact
                        .accounts_removed
                        .iter()
                        .map(|a| a.slug.as_str())
                        .collect(),
                ),
                tier_from: current.impacted_tier,
                tier_to: impact.tier_to,
            },
        );
        (incident, _) = write_entry(&mut tx, id, entry, now, "incident.impact_changed").await?;
        // Owners of newly affected systems hear about it like at declaration.
        notify_service::notify_owners(
            &mut tx,
            &state.public_url,
            &incident,
            &impact.systems_added,
            now,
        )
        .await?;
        crate::sla::engine::start_clocks(&mut tx, id, now).await?;
    }
    tx.commit().await?;
    state.outbox.notify_one();
    state.live.notify_incident(id);
    tracing::info!(incident = %incident.key, status = %incident.status, severity = %incident.severity, "incident changed");
    Ok(incident)
}

/// A role handover that passed its checks: (role, from, to).
type RoleMove = (Role, Option<Person>, Option<Person>);

/// Resolves each role's new holder, naming unknown people and no-op handovers.
async fn check_roles(
    conn: &mut AnyConnection,
    current: &Incident,
    change: &Change,
    invalid: &mut Invalid,
) -> Result<Vec<RoleMove>, AppError> {
    let mut moves = Vec::new();
    for handover in &change.roles {
        let holder = match handover.role {
            Role::Lead => &current.lead,
            Role::CommsOwner => &current.comms_owner,
        };
        let to = match &handover.email {
            Some(email) => match catalog_repo::find_person(&mut *conn, email).await? {
                Some(person) => Some(person),
                None => {
                    invalid.add(
                        handover.role.as_str(),
                        format!("Nobody with the email {email} is known here"),
                    );
                    continue;
                }
            },
            None => None,
        };
        if to.as_ref().map(|p| p.id) == holder.as_ref().map(|p| p.id) {
            let who = to.as_ref().map_or("nobody", |p| p.display_name.as_str());
            invalid.add(
                handover.role.as_str(),
                format!("{} is already {who}", handover.role.label()),
            );
            continue;
        }
        moves.push((handover.role, holder.clone(), to));
    }
    Ok(moves)
}

/// An impact change that passed its checks.
struct ImpactMove {
    systems_added: Vec<System>,
    systems_removed: Vec<System>,
    accounts_added: Vec<Account>,
    accounts_removed: Vec<Account>,
    tier_to: Option<Tier>,
}

/// Looks up the systems and accounts named, refusing unknown ones, ones already there
/// (or not there, for removal), and removing the last affected system. The tier is
/// re-derived: the most demanding of the impacted accounts' tiers and a tier named in
/// this change; adding accounts never lowers it.
async fn check_impact(
    conn: &mut AnyConnection,
    current: &Incident,
    change: &Change,
    invalid: &mut Invalid,
) -> Result<Option<ImpactMove>, AppError> {
    let wanted = &change.impact;
    if wanted.is_empty() {
        return Ok(None);
    }
    let systems_added = catalog_repo::find_systems(&mut *conn, &wanted.add_systems).await?;
    let systems_removed = catalog_repo::find_systems(&mut *conn, &wanted.remove_systems).await?;
    let accounts_added = catalog_repo::find_accounts(&mut *conn, &wanted.add_accounts).await?;
    let accounts_removed = catalog_repo::find_accounts(&mut *conn, &wanted.remove_accounts).await?;
    let mut refuse = |field: &str, slugs: Vec<&String>, why: &str| {
        if !slugs.is_empty() {
            let names: Vec<&str> = slugs.iter().map(|s| s.as_str()).collect();
            invalid.add(field, format!("{why} {}", names.join(", ")));
        }
    };
    fn missing<'a>(wanted: &'a [String], found: Vec<&str>) -> Vec<&'a String> {
        wanted
            .iter()
            .filter(|w| !found.contains(&w.as_str()))
            .collect()
    }
    refuse(
        "add_systems",
        missing(
            &wanted.add_systems,
            systems_added.iter().map(|s| s.slug.as_str()).collect(),
        ),
        "unknown system",
    );
    refuse(
        "remove_systems",
        missing(
            &wanted.remove_systems,
            systems_removed.iter().map(|s| s.slug.as_str()).collect(),
        ),
        "unknown system",
    );
    refuse(
        "add_accounts",
        missing(
            &wanted.add_accounts,
            accounts_added.iter().map(|a| a.slug.as_str()).collect(),
        ),
        "unknown account",
    );
    refuse(
        "remove_accounts",
        missing(
            &wanted.remove_accounts,
            accounts_removed.iter().map(|a| a.slug.as_str()).collect(),
        ),
        "unknown account",
    );
    let has = |list: &[String], slug: &str| list.iter().any(|s| s == slug);
    refuse(
        "add_systems",
        wanted
            .add_systems
            .iter()
            .filter(|s| has(&current.systems, s))
            .collect(),
        "already affected:",
    );
    refuse(
        "remove_systems",
        wanted
            .remove_systems
            .iter()
            .filter(|s| !has(&current.systems, s) && systems_removed.iter().any(|f| &f.slug == *s))
            .collect(),
        "not affected:",
    );
    refuse(
        "add_accounts",
        wanted
            .add_accounts
            .iter()
            .filter(|a| has(&current.accounts, a))
            .collect(),
        "already impacted:",
    );
    refuse(
        "remove_accounts",
        wanted
            .remove_accounts
            .iter()
            .filter(|a| {
                !has(&current.accounts, a) && accounts_removed.iter().any(|f| &f.slug == *a)
            })
            .collect(),
        "not impacted:",
    );
    let removing = wanted
        .remove_systems
        .iter()
        .filter(|s| has(&current.systems, s))
        .count();
    let systems_left = current.systems.len() + systems_added.len() - removing;
    if !current.systems.is_empty() && removing > 0 && systems_left == 0 {
        invalid.add("remove_systems", "At least one affected system must remain");
    }
    if !invalid.fields.is_empty() {
        return Ok(None);
    }
    let remaining: Vec<String> = current
        .accounts
        .iter()
        .filter(|a| !has(&wanted.remove_accounts, a))
        .cloned()
        .collect();
    let tier_to = if accounts_removed.is_empty() && wanted.customer_tier.is_none() {
        accounts_added
            .iter()
            .map(|a| a.tier)
            .chain(current.impacted_tier)
            .max()
    } else {
        let kept = catalog_repo::find_accounts(&mut *conn, &remaining).await?;
        kept.iter()
            .chain(&accounts_added)
            .map(|a| a.tier)
            .chain(wanted.customer_tier)
            .max()
    };
    let nothing_new = systems_added.is_empty()
        && systems_removed.is_empty()
        && accounts_added.is_empty()
        && accounts_removed.is_empty()
        && tier_to == current.impacted_tier;
    if nothing_new {
        invalid.add(
            "customer_tier",
            format!(
                "The impacted tier is already {}",
                tier_to.map_or("unknown", Tier::as_str)
            ),
        );
        return Ok(None);
    }
    Ok(Some(ImpactMove {
        systems_added,
        systems_removed,
        accounts_added,
        accounts_removed,
        tier_to,
    }))
}

/// Builds a list filter from named text values (a query string or a form), naming
/// every value that is wrong. Blank values mean "any".
pub fn parse_filter(
    values: impl IntoIterator<Item = (&'static str, String)>,
    limit: Option<i64>,
) -> Result<IncidentFilter, AppError> {
    let mut invalid = Invalid::default();
    let mut filter = IncidentFilter {
        limit,
        ..Default::default()
    };
    for (name, value) in values {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match name {
            "status" => filter.status = value.parse().map_err(|e| invalid.add(name, e)).ok(),
            "severity" => filter.severity = value.parse().map_err(|e| invalid.add(name, e)).ok(),
            "tier" => filter.tier = value.parse().map_err(|e| invalid.add(name, e)).ok(),
            "system" => filter.system = Some(value.to_owned()),
            "account" => filter.account = Some(value.to_owned()),
            "q" if value.chars().count() > SEARCH_MAX_CHARS => {
                invalid.add(name, format!("At most {SEARCH_MAX_CHARS} characters"))
            }
            "q" => filter.search = Some(value.to_owned()),
            _ => invalid.add(name, "unknown filter"),
        }
    }
    if limit.is_some_and(|l| !(1..=LIST_LIMIT).contains(&l)) {
        invalid.add("limit", format!("Between 1 and {LIST_LIMIT}"));
    }
    if invalid.fields.is_empty() {
        Ok(filter)
    } else {
        Err(AppError::Invalid(invalid))
    }
}

/// Longest search text, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;

/// The newest incidents first.
pub async fn list_incidents(
    state: &AppState,
    filter: &IncidentFilter,
) -> Result<Vec<Incident>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let limit = filter.limit.unwrap_or(LIST_LIMIT).clamp(1, LIST_LIMIT);
    Ok(repo::list_newest(&mut conn, filter, limit).await?)
}

/// One incident, or `NotFound` naming its key.
pub async fn get_incident(state: &AppState, id: IncidentId) -> Result<Incident, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    repo::find(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))
}

fn system_entry(change: &Change, kind: EntryKind) -> NewEntry {
    NewEntry {
        kind,
        author: change.author.clone(),
        body: change.reason.clone().unwrap_or_default(),
        occurred_at: None,
        customer_visible: false,
        idempotency_key: None,
    }
}

/// Takes the incident's write lock without using a seq: a no-op update is enough.
pub(crate) async fn lock(conn: &mut AnyConnection, id: IncidentId) -> Result<(), AppError> {
    let locked = sqlx::query("UPDATE incidents SET last_seq = last_seq WHERE id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    if locked.rows_affected() == 0 {
        return Err(AppError::NotFound(id.key()));
    }
    Ok(())
}

/// Writes an entry that changes the incident (declaration, status, severity, roles,
/// impact) at the incident's next seq, with its event carrying the incident as it now
/// stands, inside `conn`'s transaction. Returns that incident and the stored entry.
pub(crate) async fn write_entry(
    conn: &mut AnyConnection,
    id: IncidentId,
    entry: NewEntry,
    now: DateTime<Utc>,
    event: &str,
) -> Result<(Incident, Option<TimelineEntry>), AppError> {
    let body_html = crate::markdown::to_safe_html(&entry.body);
    let stored = insert_at_next_seq(conn, id, entry, body_html, now).await?;
    let incident = repo::find(&mut *conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;
    if let Some((stored, _)) = &stored {
        let payload = json!({ "incident": incident, "entry": stored });
        repo::record_event(conn, id, stored.seq, event, &payload, now).await?;
    }
    Ok((incident, stored.map(|(stored, _)| stored)))
}

/// Appends a person's entry (update, note, action, finding) with its event, inside
/// `conn`'s transaction; `body_html` is rendered by the caller, before the write
/// lock. The event carries the incident only when this entry acknowledged it; so
/// does the returned flag. `None` when the idempotency key was used before (nothing
/// written then).
pub(crate) async fn append_entry(
    conn: &mut AnyConnection,
    id: IncidentId,
    entry: NewEntry,
    body_html: String,
    now: DateTime<Utc>,
) -> Result<Option<(TimelineEntry, bool)>, AppError> {
    let Some((stored, acknowledged)) = insert_at_next_seq(conn, id, entry, body_html, now).await?
    else {
        return Ok(None);
    };
    let payload = if acknowledged {
        let incident = repo::find(&mut *conn, id)
            .await?
            .ok_or_else(|| AppError::NotFound(id.key()))?;
        json!({ "incident": incident, "entry": stored })
    } else {
        json!({ "entry": stored })
    };
    repo::record_event(conn, id, stored.seq, "timeline.entry_added", &payload, now).await?;
    Ok(Some((stored, acknowledged)))
}

/// Takes the next seq and inserts the entry there; the first engineering entry
/// acknowledges the incident. Returns the stored entry and whether it acknowledged,
/// or `None` when the idempotency key was used before.
async fn insert_at_next_seq(
    conn: &mut AnyConnection,
    id: IncidentId,
    entry: NewEntry,
    body_html: String,
    now: DateTime<Utc>,
) -> Result<Option<(TimelineEntry, bool)>, AppError> {
    let seq = repo::next_seq(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;
    let Some(entry_id) =
        timeline_repo::insert_entry(conn, id, seq, &entry, &body_html, now).await?
    else {
        return Ok(None);
    };
    let acknowledged = entry.kind.acknowledges() && repo::mark_acknowledged(conn, id, now).await?;
    let stored = TimelineEntry {
        id: entry_id,
        incident: id,
        seq,
        kind: entry.kind,
        author: entry.author,
        body_html,
        body: entry.body,
        occurred_at: entry.occurred_at,
        recorded_at: now,
        customer_visible: entry.customer_visible,
        revision: 1,
        redaction: None,
    };
    Ok(Some((stored, acknowledged)))
}
