//! Who to tell about an incident: the owning teams' engineering leads, or the admins
//! when a system has no owner. Queued in the transaction that made the change.

use super::model::{Channel, IncidentNotifications};
use super::repo;
use crate::catalog::model::{System, UserId};
use crate::catalog::repo as catalog_repo;
use crate::error::AppError;
use crate::incidents::model::{Incident, IncidentId};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// Queues notifications for the owners of `systems`, newly affected by `incident`.
/// Each person is told once, however many of their systems are affected.
pub async fn notify_owners(
    conn: &mut AnyConnection,
    public_url: &str,
    incident: &Incident,
    systems: &[System],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let link = war_room_link(public_url, incident);
    let mut told: HashSet<UserId> = HashSet::new();
    for system in systems {
        let team = match &system.team {
            Some(slug) => catalog_repo::find_team(&mut *conn, slug).await?,
            None => None,
        };
        match team
            .as_ref()
            .and_then(|t| t.lead.clone().map(|lead| (t, lead)))
        {
            Some((team, lead)) => {
                if !told.insert(lead.id) {
                    continue;
                }
                let reason = format!("lead, {}", team.name);
                let message = message(
                    incident,
                    &format!("you lead {}, which owns {}", team.name, system.name),
                    &link,
                );
                let id = repo::insert_notification(
                    conn,
                    incident.id,
                    Some(lead.id),
                    &lead.display_name,
                    &reason,
                    &message,
                    now,
                )
                .await?;
                let email = team.notify_email.clone().unwrap_or(lead.email.clone());
                repo::enqueue_delivery(conn, id, Channel::Email, &email, now).await?;
                if let Some(url) = &team.notify_webhook_url {
                    repo::enqueue_delivery(conn, id, Channel::Webhook, url, now).await?;
                }
            }
            None => {
                // A team without a lead: its members. No team (or nobody on it): admins.
                let members: Vec<_> = match &team {
                    Some(team) => catalog_repo::members(&mut *conn, Some(team.id))
                        .await?
                        .into_iter()
                        .map(|(_, person)| person)
                        .collect(),
                    None => Vec::new(),
                };
                let (people, reason, why) = match &team {
                    Some(team) if !members.is_empty() => (
                        members,
                        format!("member, {}", team.name),
                        format!(
                            "you are on {}, which owns {} and has no lead",
                            team.name, system.name
                        ),
                    ),
                    _ => (
                        catalog_repo::list_admins(&mut *conn).await?,
                        format!("admin: {} has no owner", system.name),
                        format!("{} has no owning team lead", system.name),
                    ),
                };
                let message = message(incident, &why, &link);
                for person in people {
                    if !told.insert(person.id) {
                        continue;
                    }
                    tell_by_email(conn, incident, &person, &reason, &message, now).await?;
                }
            }
        }
    }
    Ok(())
}

/// Tells every admin about `incident` by email, because `why` (e.g. an alert that
/// matched no routing rule, so no system's owner was told).
pub async fn tell_admins(
    conn: &mut AnyConnection,
    public_url: &str,
    incident: &Incident,
    reason: &str,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let message = message(incident, why, &war_room_link(public_url, incident));
    for admin in catalog_repo::list_admins(&mut *conn).await? {
        tell_by_email(conn, incident, &admin, reason, &message, now).await?;
    }
    Ok(())
}

/// Posts a short follow-up of a status change to each team channel (webhook) told
/// about `incident`, inside the caller's transaction. People were emailed once, at
/// declaration; the channel is where the team follows along.
pub async fn post_status_followups(
    conn: &mut AnyConnection,
    public_url: &str,
    incident: &Incident,
    from: crate::incidents::model::IncidentStatus,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let targets = repo::webhook_targets(&mut *conn, incident.id).await?;
    if targets.is_empty() {
        return Ok(());
    }
    let message = format!(
        "[{}] {} is now {} (was {})\n{} changed the status of {}.\nWar room: {}\n",
        incident.severity,
        incident.key,
        incident.status,
        from,
        by,
        incident.title,
        war_room_link(public_url, incident)
    );
    let id = repo::insert_notification(
        conn,
        incident.id,
        None,
        "team channels",
        "status change",
        &message,
        now,
    )
    .await?;
    for target in targets {
        repo::enqueue_delivery(conn, id, Channel::Webhook, &target, now).await?;
    }
    Ok(())
}

/// The incident's war room, as linked from messages.
pub fn war_room_link(public_url: &str, incident: &Incident) -> String {
    format!(
        "{}/incidents/{}",
        public_url.trim_end_matches('/'),
        incident.key
    )
}

/// Stores a notification for `person` and queues its email (first line of
/// `message` is the subject), inside the caller's transaction.
pub async fn tell_by_email(
    conn: &mut AnyConnection,
    incident: &Incident,
    person: &crate::catalog::model::Person,
    reason: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = repo::insert_notification(
        conn,
        incident.id,
        Some(person.id),
        &person.display_name,
        reason,
        message,
        now,
    )
    .await?;
    repo::enqueue_delivery(conn, id, Channel::Email, &person.email, now).await
}

/// The text sent by email (first line is the subject) and to webhooks.
fn message(incident: &Incident, why: &str, link: &str) -> String {
    format!(
        "[{}] {} {}\nDeclared {}; you are told because {why}.\nStatus: {}\nWar room: {link}\n",
        incident.severity,
        incident.key,
        incident.title,
        incident
            .lifecycle
            .declared_at
            .format("%Y-%m-%d %H:%M:%S UTC"),
        incident.status,
    )
}

/// Who was told about the incident, how it went, and which systems have no owner.
pub async fn incident_notifications(
    state: &AppState,
    id: IncidentId,
) -> Result<IncidentNotifications, AppError> {
    let notifications = repo::list_for_incident(state.db.pool(), id).await?;
    let unowned_systems = crate::incidents::repo::unowned_systems(state.db.pool(), id).await?;
    Ok(IncidentNotifications {
        notifications,
        unowned_systems,
    })
}
