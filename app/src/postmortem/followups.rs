//! Follow-up actions: what an incident taught the team to do, each with an owner and
//! a due date, tracked to done across incidents. Overdue ones remind their owner
//! (a notification and an email through the outbox) once, then weekly.

use super::model::{
    FollowUp, FollowUpChange, FollowUpFilter, FollowUpInput, FollowUpKind, FollowUpStatus,
    FollowUpSuggestion, IncidentFollowUps,
};
use super::repo::{self, NewFollowUp};
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User};
use crate::incidents::model::IncidentId;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;
use std::time::Duration;

/// Longest title, in characters.
const TITLE_MAX_CHARS: usize = 200;
/// An owner who was reminded is reminded again after this long while it stays overdue.
const REMIND_AGAIN_AFTER: chrono::Duration = chrono::Duration::days(7);
/// How often the reminder pass looks for newly overdue follow-ups.
const REMINDER_POLL: Duration = Duration::from_secs(300);

/// The calendar day (UTC) follow-ups are judged against: one due on it is not
/// overdue until it ends.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
}

/// Creates a follow-up on the incident.
pub async fn create(
    state: &AppState,
    id: IncidentId,
    input: &FollowUpInput,
    by: &User,
) -> Result<FollowUp, AppError> {
    crate::identity::service::require(by, Action::WritePostMortem)?;
    crate::incidents::service::get_incident(state, id).await?;
    let pool = state.db.pool();
    let mut invalid = Invalid::default();
    let title = input.title.trim();
    if title.is_empty() {
        invalid.add("title", "Say what is to be done (the title is empty)");
    } else if title.chars().count() > TITLE_MAX_CHARS {
        invalid.add(
            "title",
            format!("Too long: at most {TITLE_MAX_CHARS} characters"),
        );
    }
    let kind = FollowUpKind::parse(input.kind.trim());
    if kind.is_none() {
        invalid.add(
            "kind",
            format!(
                "Unknown type {:?}: choose mitigate, prevent, process or other",
                input.kind
            ),
        );
    }
    let owner = owner(pool, &input.owner, &mut invalid).await?;
    let due_on = due_date(&input.due_on, &mut invalid);
    let tracker_url = input
        .tracker_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(url) = tracker_url {
        crate::catalog::model::check_webhook_url("tracker_url", url, &mut invalid);
    }
    if let Some(seq) = input.from_seq {
        let timeline = crate::timeline::service::read_timeline(state, id).await?;
        if !timeline.entries.iter().any(|e| e.seq == seq) {
            invalid.add(
                "from_seq",
                format!("{} has no timeline entry #{seq} to raise it from", id.key()),
            );
        }
    }
    let (Some(kind), Some(owner), Some(due_on), true) =
        (kind, owner, due_on, invalid.fields.is_empty())
    else {
        for (field, value) in [
            ("title", input.title.as_str()),
            ("kind", input.kind.as_str()),
            ("owner", input.owner.as_str()),
            ("due_on", input.due_on.as_str()),
            ("tracker_url", input.tracker_url.as_deref().unwrap_or("")),
        ] {
            invalid.echo(field, value);
        }
        return Err(AppError::Invalid(invalid));
    };
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    let new = NewFollowUp {
        incident: id,
        title,
        kind,
        owner,
        due_on,
        tracker_url,
        from_seq: input.from_seq,
        created_by: &by.display_name,
    };
    let created = repo::insert_followup(&mut tx, &new, now).await?;
    tx.commit().await?;
    state.live.notify(id);
    remind_soon(state);
    find(state, created).await
}

/// Changes a follow-up's status, owner or due date. Writers change anything; the
/// owner may move the status of their own.
pub async fn change(
    state: &AppState,
    followup: i64,
    change: &FollowUpChange,
    by: &User,
) -> Result<FollowUp, AppError> {
    let current = find(state, followup).await?;
    let is_owner = current.owner_email == by.email;
    let writer = by.role.permits(Action::WritePostMortem);
    let only_status = change.owner.is_none() && change.due_on.is_none();
    if !(writer || is_owner && only_status) {
        return Err(AppError::Forbidden(format!(
            "Only its owner ({}) moves follow-up #{followup}, and only writers of post-mortems \
             (write_postmortem) change its owner or due date",
            current.owner_name
        )));
    }
    let pool = state.db.pool();
    let mut invalid = Invalid::default();
    let status = match change.status.as_deref().map(str::trim) {
        None | Some("") => Some(current.status),
        Some(text) => FollowUpStatus::parse(text).or_else(|| {
            invalid.add(
                "status",
                format!("Unknown status {text:?}: choose open, in_progress, done or wont_do"),
            );
            None
        }),
    };
    let owner_id = match change.owner.as_deref() {
        None => repo::followup_owner(pool, followup).await?.map(|p| p.id.0),
        Some(email) => owner(pool, email, &mut invalid).await?,
    };
    let due_on = match change.due_on.as_deref() {
        None => Some(current.due_on),
        Some(text) => due_date(text, &mut invalid),
    };
    let (Some(status), Some(owner_id), Some(due_on), true) =
        (status, owner_id, due_on, invalid.fields.is_empty())
    else {
        for (field, value) in [
            ("status", change.status.as_deref()),
            ("owner", change.owner.as_deref()),
            ("due_on", change.due_on.as_deref()),
        ] {
            invalid.echo(field, value.unwrap_or(""));
        }
        return Err(AppError::Invalid(invalid));
    };
    let moved = change.owner.is_some() || due_on != current.due_on;
    let mut tx = state.db.begin_write().await?;
    repo::update_followup(
        &mut tx,
        followup,
        (status, owner_id, due_on),
        moved,
        state.now(),
    )
    .await?;
    tx.commit().await?;
    if let Some(id) = IncidentId::from_key(&current.incident) {
        state.live.notify(id);
    }
    remind_soon(state);
    find(state, followup).await
}

/// The incident's follow-ups, oldest first.
pub async fn for_incident(state: &AppState, id: IncidentId) -> Result<Vec<FollowUp>, AppError> {
    crate::incidents::service::get_incident(state, id).await?;
    Ok(repo::incident_followups(state.db.pool(), id, today(state.now())).await?)
}

/// The incident's follow-ups, and the form's start when one is raised from the
/// timeline entry `from_seq` (a removed entry's text is never offered).
pub async fn for_incident_raising(
    state: &AppState,
    id: IncidentId,
    from_seq: Option<i64>,
) -> Result<IncidentFollowUps, AppError> {
    let rows = for_incident(state, id).await?;
    let raising = match from_seq {
        // Raised already (a form posted without JavaScript comes back to the same
        // address): the row shows it, and the form starts empty again.
        Some(seq) if rows.iter().any(|f| f.from_seq == Some(seq)) => None,
        None => None,
        Some(seq) => {
            let timeline = crate::timeline::service::read_timeline(state, id).await?;
            let entry = timeline
                .entries
                .iter()
                .find(|e| e.seq == seq)
                .ok_or_else(|| {
                    AppError::NotFound(format!("timeline entry #{seq} of {}", id.key()))
                })?;
            Some(suggestion(entry))
        }
    };
    Ok(IncidentFollowUps { rows, raising })
}

/// What a follow-up raised from `entry` starts as.
fn suggestion(entry: &crate::timeline::model::TimelineEntry) -> FollowUpSuggestion {
    use crate::timeline::model::EntryKind;
    let first_line = if entry.redaction.is_some() {
        ""
    } else {
        entry
            .body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
    };
    // Markdown's leading marks (heading, list, quote) are not part of a title.
    let title: String = first_line
        .trim_start_matches(['#', '-', '*', '>', ' '])
        .chars()
        .take(TITLE_MAX_CHARS)
        .collect();
    let kind = match entry.kind {
        EntryKind::Finding { .. } => FollowUpKind::Prevent,
        EntryKind::Action { .. } => FollowUpKind::Mitigate,
        _ => FollowUpKind::Other,
    };
    FollowUpSuggestion {
        from_seq: entry.seq,
        title,
        kind,
    }
}

/// One follow-up.
pub async fn find(state: &AppState, followup: i64) -> Result<FollowUp, AppError> {
    repo::find_followup(state.db.pool(), followup, today(state.now()))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("follow-up #{followup}")))
}

/// Follow-ups across incidents, soonest due first.
pub async fn list(state: &AppState, filter: &FollowUpFilter) -> Result<Vec<FollowUp>, AppError> {
    let pool = state.db.pool();
    let mut invalid = Invalid::default();
    let owner = match filter
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(email) => owner(pool, email, &mut invalid).await?,
        None => None,
    };
    let team = match filter
        .team
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(slug) => match crate::catalog::repo::find_team(pool, slug).await? {
            Some(team) => Some(team.id.0),
            None => {
                invalid.add("team", format!("No team {slug:?}"));
                None
            }
        },
        None => None,
    };
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    Ok(repo::list_followups(
        pool,
        owner,
        team,
        filter.overdue,
        filter.closed,
        today(state.now()),
    )
    .await?)
}

/// Reminds the owner of every follow-up overdue and not reminded in a week; returns
/// how many were reminded here (each once across replicas: the claim is a
/// compare-and-set on `reminded_at`).
pub async fn remind_overdue(state: &AppState) -> Result<usize, AppError> {
    let now = state.now();
    let again = now - REMIND_AGAIN_AFTER;
    let mut reminded = 0;
    for (followup, id) in repo::due_reminders(state.db.pool(), today(now), again).await? {
        let incident = crate::incidents::service::get_incident(state, id).await?;
        let item = find(state, followup).await?;
        let mut tx = state.db.begin_write().await?;
        if !repo::claim_reminder(&mut tx, followup, again, now).await? {
            continue;
        }
        let Some(person) = repo::followup_owner(&mut *tx, followup).await? else {
            continue;
        };
        let days = (today(now) - item.due_on).num_days();
        let message = format!(
            "[{}] Follow-up overdue: {}\nYou own this follow-up from {} {}; it was due {} ({} day{} ago).\nFollow-ups: {}/incidents/{}/postmortem#followups\n",
            incident.severity,
            item.title,
            incident.key,
            incident.title,
            item.due_on.format("%Y-%m-%d"),
            days,
            if days == 1 { "" } else { "s" },
            state.public_url.trim_end_matches('/'),
            incident.key,
        );
        crate::notify::service::tell_by_email(
            &mut tx,
            &incident,
            &person,
            "follow-up owner: overdue",
            &message,
            now,
        )
        .await?;
        tx.commit().await?;
        reminded += 1;
    }
    if reminded > 0 {
        state.outbox.notify_one();
    }
    Ok(reminded)
}

/// Runs the reminder pass now and every few minutes until `stop`.
pub async fn run_reminders(state: AppState, stop: impl Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        remind_in_background(&state).await;
        tokio::select! {
            () = &mut stop => return,
            () = tokio::time::sleep(REMINDER_POLL) => {}
        }
    }
}

async fn remind_in_background(state: &AppState) {
    if let Err(err) = remind_overdue(state).await {
        tracing::warn!("follow-up reminders failed: {err}");
    }
}

/// A follow-up created or moved may be overdue already: its owner hears at once,
/// not at the next poll.
fn remind_soon(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move { remind_in_background(&state).await });
}

/// The owner's user id, by email.
async fn owner(
    pool: &sqlx::AnyPool,
    email: &str,
    invalid: &mut Invalid,
) -> Result<Option<i64>, AppError> {
    let email = email.trim();
    if email.is_empty() {
        invalid.add("owner", "Choose who owns it");
        return Ok(None);
    }
    match crate::catalog::repo::find_person(pool, email).await? {
        Some(person) => Ok(Some(person.id.0)),
        None => {
            invalid.add("owner", format!("Nobody signs in as {email}"));
            Ok(None)
        }
    }
}

fn due_date(text: &str, invalid: &mut Invalid) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        invalid.add("due_on", "Choose the day it is due");
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            invalid.add(
                "due_on",
                format!("{text:?} is not a date: write YYYY-MM-DD"),
            );
            None
        }
    }
}
