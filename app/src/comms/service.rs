//! The rules of customer communication: who may draft, approve and send; what a
//! draft says; what the guards hold back; when the schedule says an update is due.
//! Each change is written with an incident event (and, for a send, a timeline
//! entry) in one transaction, under the incident's lock.

use super::draft::{self, DraftFacts};
use super::guards::{self, Candidate, Impact, SentMessage};
use super::model::*;
use super::repo::{self, NewMessage, NewVersion, Recipient, ScheduleRow};
use crate::catalog::model::UserId;
use crate::catalog::repo as catalog_repo;
use crate::error::{AppError, Invalid};
use crate::identity::model::{Action, User, UserRole};
use crate::identity::service::require;
use crate::incidents::model::{Incident, IncidentId, IncidentStatus, Severity};
use crate::incidents::repo as incident_repo;
use crate::incidents::service::{append_entry, lock};
use crate::notify::model::Channel;
use crate::state::AppState;
use crate::timeline::model::{EntryKind, NewEntry, TimelineEntry};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyConnection;

/// Who did something: a person, or Sitrep itself (the schedule).
#[derive(Debug, Clone, Copy)]
struct By<'a> {
    id: Option<UserId>,
    name: &'a str,
}

impl<'a> By<'a> {
    fn person(user: &'a User) -> Self {
        By {
            id: Some(user.id),
            name: &user.display_name,
        }
    }

    const SITREP: By<'static> = By {
        id: None,
        name: "Sitrep",
    };

    fn pair(self) -> (Option<UserId>, &'a str) {
        (self.id, self.name)
    }
}

/// The war room's communication panel, as `reader` sees it: owner, schedule,
/// cadence, messages (open ones with what the guards would hold them back for, and
/// whether the reader wrote them).
pub async fn overview(
    state: &AppState,
    reader: &User,
    id: IncidentId,
) -> Result<CommsOverview, AppError> {
    let ctx = context(state, id).await?;
    let incident = &ctx.incident;
    let now = state.now();
    let cadence = ctx
        .recipients
        .iter()
        .map(|r| {
            let update_min = ctx
                .update_mins
                .iter()
                .find(|(account, _)| *account == r.account_id)
                .map_or(FALLBACK_INTERVAL_MINUTES, |(_, m)| *m);
            let times: Vec<DateTime<Utc>> = ctx
                .sent
                .iter()
                .filter(|m| m.accounts.contains(&r.account_id))
                .map(|m| m.sent_at)
                .collect();
            let (met, missed, due_at) =
                super::schedule::cadence(update_min, incident.lifecycle.started_at, &times, now);
            CadenceClock {
                account: r.slug.clone(),
                account_name: r.name.clone(),
                tier: r.tier,
                update_min,
                last_message_at: times.last().copied(),
                due_at,
                met,
                missed,
            }
        })
        .collect();
    let mut messages = messages(state, incident).await?;
    for message in messages.iter_mut().filter(|m| m.state.is_open()) {
        message.guards = run_guards(&ctx, message, now);
        message.written_by_you = repo::message_authors(state.db.pool(), message.id)
            .await?
            .contains(&reader.id.0);
    }
    Ok(CommsOverview {
        incident: incident.key.clone(),
        read_at: now,
        owner_missing: incident.comms_owner.is_none()
            && !incident.accounts.is_empty()
            && matches!(incident.severity, Severity::P1 | Severity::P2),
        owner: incident.comms_owner.clone(),
        schedule: ctx.schedule.as_ref().map(schedule_view),
        cadence,
        messages,
        owner_choices: repo::owner_choices(state.db.pool()).await?,
    })
}

/// The incident's messages, newest first, open ones marked stale when engineering
/// wrote more since their text was generated.
pub async fn messages(
    state: &AppState,
    incident: &Incident,
) -> Result<Vec<CustomerMessage>, AppError> {
    let mut messages = repo::incident_messages(state.db.pool(), incident.id).await?;
    if messages.iter().any(|m| m.state.is_open()) {
        let timeline = crate::timeline::service::read_timeline(state, incident.id).await?;
        for message in messages.iter_mut().filter(|m| m.state.is_open()) {
            message.newer_entries =
                draft::engineering_updates_after(&timeline.entries, message.based_on_seq);
        }
    }
    Ok(messages)
}

/// One message of the incident, with its history.
pub async fn message(
    state: &AppState,
    id: IncidentId,
    message: i64,
) -> Result<CustomerMessage, AppError> {
    let incident = crate::incidents::service::get_incident(state, id).await?;
    messages(state, &incident)
        .await?
        .into_iter()
        .find(|m| m.id == message)
        .ok_or_else(|| message_not_found(id, message))
}

fn message_not_found(id: IncidentId, message: i64) -> AppError {
    AppError::NotFound(format!("{} message {message}", id.key()))
}

fn schedule_view(row: &ScheduleRow) -> CommsSchedule {
    CommsSchedule {
        interval_min: row.interval(),
        default_interval_min: row.default_interval_min,
        interval_overridden: row.interval_min.is_some(),
        next_due_at: row.due(),
        due_overridden: row.due_override_at.is_some(),
        anchor_at: row.anchor_at,
        paused: row.paused.as_ref().map(|(at, by, reason)| SchedulePause {
            by: by.clone(),
            reason: reason.clone(),
            at: *at,
        }),
        active: row.active,
    }
}

/// Each impacted account's `update_min` for the incident's current severity (accounts
/// without an SLA policy are absent).
async fn account_update_mins(
    state: &AppState,
    incident: &Incident,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let accounts = crate::sla::repo::impacted_accounts(&mut conn, incident.id).await?;
    let mut mins = Vec::with_capacity(accounts.len());
    for account in accounts {
        if let Some((_, terms)) =
            crate::sla::repo::policy_version(&mut *conn, account.policy_id, account.policy_version)
                .await?
        {
            let targets = match incident.severity {
                Severity::P1 => terms.targets.p1,
                Severity::P2 => terms.targets.p2,
                Severity::P3 => terms.targets.p3,
            };
            mins.push((account.account_id, i64::from(targets.update_min)));
        }
    }
    Ok(mins)
}

/// Brings the incident's schedule in line with it: created once it impacts an
/// account, its default interval re-derived from the severity and the accounts'
/// policies, stopped once resolved. Returns it (None without impacted accounts).
pub async fn ensure_schedule(
    state: &AppState,
    incident: &Incident,
) -> Result<Option<ScheduleRow>, AppError> {
    let update_mins = account_update_mins(state, incident).await?;
    sync_schedule(state, incident, &update_mins).await
}

/// `ensure_schedule` with the accounts' `update_min` already read.
async fn sync_schedule(
    state: &AppState,
    incident: &Incident,
    update_mins: &[(i64, i64)],
) -> Result<Option<ScheduleRow>, AppError> {
    let pool = state.db.pool();
    let existing = repo::find_schedule(pool, incident.id).await?;
    if incident.accounts.is_empty() && existing.is_none() {
        return Ok(None);
    }
    let default = super::schedule::default_interval(update_mins.iter().map(|(_, m)| *m));
    let active = incident.status != IncidentStatus::Resolved && !incident.accounts.is_empty();
    let current = existing
        .as_ref()
        .is_some_and(|s| s.default_interval_min == default && s.active == active);
    if !current {
        let mut tx = state.db.begin_write().await?;
        repo::sync_schedule(
            &mut tx,
            incident.id,
            (default, active),
            incident.lifecycle.started_at,
            state.now(),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(repo::find_schedule(pool, incident.id).await?)
}

/// CS changes the schedule: interval, next due time, pause (with a reason), resume.
pub async fn change_schedule(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    input: &ScheduleInput,
) -> Result<CommsSchedule, AppError> {
    require(actor, Action::ManageComms)?;
    let incident = crate::incidents::service::get_incident(state, id).await?;
    ensure_schedule(state, &incident).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    let Some(mut schedule) = repo::find_schedule(&mut *tx, id).await? else {
        let mut invalid = Invalid::default();
        invalid.add(
            "incident",
            format!(
                "{} impacts no customer account: there is nothing to schedule",
                id.key()
            ),
        );
        return Err(AppError::Invalid(invalid));
    };
    let mut invalid = Invalid::default();
    if input.interval_min.is_none() && input.next_due_at.is_none() && input.paused.is_none() {
        invalid.add(
            "interval_min",
            "Change the interval, the next due time, or pause or resume",
        );
    }
    match input.interval_min {
        Some(0) => schedule.interval_min = None,
        Some(minutes) if (INTERVAL_MIN_MINUTES..=INTERVAL_MAX_MINUTES).contains(&minutes) => {
            schedule.interval_min = Some(minutes)
        }
        Some(_) => invalid.add(
            "interval_min",
            format!(
                "Between {INTERVAL_MIN_MINUTES} and {INTERVAL_MAX_MINUTES} minutes (0 for the SLA default)"
            ),
        ),
        None => {}
    }
    if let Some(at) = input.next_due_at {
        if at <= now {
            invalid.add("next_due_at", "Must be in the future");
        } else {
            schedule.due_override_at = Some(at);
        }
    }
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default();
    match (input.paused, &schedule.paused) {
        (Some(true), Some(_)) => invalid.add("paused", "The schedule is paused already"),
        (Some(true), None) if reason.is_empty() => {
            invalid.add("reason", "Say why customer updates pause")
        }
        (Some(true), None)
            if reason.chars().count() > crate::incidents::model::REASON_MAX_CHARS =>
        {
            invalid.add("reason", "Reason is too long")
        }
        (Some(true), None) => {
            schedule.paused = Some((now, actor.display_name.clone(), reason.to_owned()))
        }
        (Some(false), None) => invalid.add("paused", "The schedule is not paused"),
        (Some(false), Some(_)) => schedule.paused = None,
        (None, _) => {}
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    repo::save_schedule(&mut tx, &schedule, now).await?;
    let view = schedule_view(&schedule);
    record_comms_event(
        &mut tx,
        id,
        "comms.schedule_changed",
        json!({ "schedule": view }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.comms_schedule.notify_one();
    state.live.notify(id);
    Ok(view)
}

/// Writes a comms event at the incident's next seq, so live viewers hear of it.
async fn record_comms_event(
    conn: &mut AnyConnection,
    id: IncidentId,
    kind: &str,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let seq = incident_repo::next_seq(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(id.key()))?;
    incident_repo::record_event(conn, id, seq, kind, &payload, now).await?;
    Ok(())
}

/// What drafting for an incident needs to know, read once.
struct Context {
    incident: Incident,
    recipients: Vec<Recipient>,
    sent: Vec<repo::SentRow>,
    schedule: Option<ScheduleRow>,
    components: Vec<String>,
    templates: Vec<Template>,
    approvals: Vec<ApprovalPolicy>,
    /// (system:slug | account:slug, name) for the whole catalog.
    catalog_names: Vec<(String, String)>,
    /// (account id, `update_min`) of the impacted accounts with an SLA policy.
    update_mins: Vec<(i64, i64)>,
}

async fn context(state: &AppState, id: IncidentId) -> Result<Context, AppError> {
    let incident = crate::incidents::service::get_incident(state, id).await?;
    let update_mins = account_update_mins(state, &incident).await?;
    let schedule = sync_schedule(state, &incident, &update_mins).await?;
    let pool = state.db.pool();
    let mut conn = pool.acquire().await?;
    let components = catalog_repo::find_systems(&mut conn, &incident.systems)
        .await?
        .iter()
        .map(|s| s.customer_facing_name().to_owned())
        .collect();
    Ok(Context {
        recipients: repo::recipients(pool, id).await?,
        sent: repo::sent_messages(pool, id).await?,
        schedule,
        components,
        templates: repo::list_templates(pool).await?,
        approvals: repo::approval_policies(pool).await?,
        catalog_names: repo::catalog_names(pool).await?,
        update_mins,
        incident,
    })
}

impl Context {
    /// The impacted accounts an audience names, or what is wrong with it.
    fn resolve(&self, audience: &Audience, invalid: &mut Invalid) -> Vec<&Recipient> {
        if self.recipients.is_empty() {
            invalid.add(
                "audience",
                format!(
                    "{} impacts no customer account: add the impacted accounts first",
                    self.incident.key
                ),
            );
            return Vec::new();
        }
        match audience {
            Audience::All => self.recipients.iter().collect(),
            Audience::Tier { tier } => {
                let chosen: Vec<_> = self.recipients.iter().filter(|r| r.tier == *tier).collect();
                if chosen.is_empty() {
                    invalid.add(
                        "audience",
                        format!("No {tier} account is impacted by {}", self.incident.key),
                    );
                }
                chosen
            }
            Audience::Accounts { accounts } if accounts.is_empty() => {
                invalid.add("audience", "Choose at least one account");
                Vec::new()
            }
            Audience::Accounts { accounts } => {
                let outside: Vec<&str> = accounts
                    .iter()
                    .filter(|slug| !self.recipients.iter().any(|r| &r.slug == *slug))
                    .map(String::as_str)
                    .collect();
                if !outside.is_empty() {
                    invalid.add(
                        "audience",
                        format!(
                            "unknown or not impacted by {}: {}",
                            self.incident.key,
                            outside.join(", ")
                        ),
                    );
                }
                self.recipients
                    .iter()
                    .filter(|r| accounts.contains(&r.slug))
                    .collect()
            }
        }
    }

    fn needs_approval(&self, chosen: &[&Recipient]) -> bool {
        chosen.iter().any(|r| {
            self.approvals
                .iter()
                .any(|p| p.tier == r.tier && p.needs_approval)
        })
    }

    /// Entries up to this seq were reflected in what these accounts were last sent.
    fn since_seq(&self, accounts: &[i64]) -> i64 {
        self.sent
            .iter()
            .filter(|m| m.accounts.iter().any(|a| accounts.contains(a)))
            .map(|m| m.based_on_seq)
            .max()
            .unwrap_or(0)
    }

    /// The message's next-update promise: a full interval from now.
    fn next_update(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.incident.status == IncidentStatus::Resolved {
            return None;
        }
        let interval = self
            .schedule
            .as_ref()
            .map_or(FALLBACK_INTERVAL_MINUTES, ScheduleRow::interval);
        Some(now + chrono::Duration::minutes(interval))
    }

    fn generate(
        &self,
        timeline: &[TimelineEntry],
        chosen: &[&Recipient],
        (now, zone): (DateTime<Utc>, chrono_tz::Tz),
        next_update_at: Option<DateTime<Utc>>,
    ) -> draft::Drafted {
        let status = CustomerStatus::of_incident(self.incident.status);
        let tier = chosen.iter().map(|r| r.tier).max();
        let template = draft::pick_template(&self.templates, status, tier);
        let accounts: Vec<i64> = chosen.iter().map(|r| r.account_id).collect();
        draft::draft(
            &template,
            &DraftFacts {
                key: &self.incident.key,
                status: self.incident.status,
                started_at: self.incident.lifecycle.started_at,
                ended_at: self.incident.lifecycle.resolved_at,
                components: &self.components,
                entries: timeline,
                since_seq: self.since_seq(&accounts),
                now,
                next_update_at,
                zone,
            },
        )
    }
}

/// The zone a person reads times in (UTC when theirs is unknown).
fn zone_of(by: Option<&User>) -> chrono_tz::Tz {
    by.and_then(|u| u.time_zone.parse().ok())
        .unwrap_or(chrono_tz::UTC)
}

/// Text a person gave (or `generated` where they gave none), checked.
struct Texts {
    customer_status: CustomerStatus,
    subject: String,
    body: String,
    short_text: String,
    next_update_at: Option<DateTime<Utc>>,
    /// Everything came from the generator.
    generated: bool,
}

impl Texts {
    /// The generator's text as it stands.
    fn generated(drafted: &draft::Drafted, next_update_at: Option<DateTime<Utc>>) -> Texts {
        Texts {
            customer_status: drafted.customer_status,
            subject: drafted.subject.clone(),
            body: drafted.body.clone(),
            short_text: drafted.short_text.clone(),
            next_update_at,
            generated: true,
        }
    }
}

fn check_texts(
    generated: &draft::Drafted,
    customer_status: Option<&str>,
    (subject, body, short_text): (Option<&str>, Option<&str>, Option<&str>),
    next_update_at: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
    invalid: &mut Invalid,
) -> Texts {
    let pick = |given: Option<&str>, fallback: &str| {
        given.map_or_else(|| fallback.to_owned(), |g| g.trim().to_owned())
    };
    let generated_only = customer_status.is_none()
        && subject.is_none()
        && body.is_none()
        && short_text.is_none()
        && next_update_at.0.is_none();
    if let Some(body) = body {
        invalid.echo("body", body);
    }
    let status = match customer_status.map(str::parse::<CustomerStatus>) {
        Some(Ok(status)) => status,
        Some(Err(message)) => {
            invalid.add("customer_status", message);
            generated.customer_status
        }
        None => generated.customer_status,
    };
    let subject = pick(subject, &generated.subject);
    if subject.is_empty() {
        invalid.add("subject", "Write a subject");
    } else if subject.chars().count() > SUBJECT_MAX_CHARS {
        invalid.add("subject", format!("At most {SUBJECT_MAX_CHARS} characters"));
    }
    let body = pick(body, &generated.body);
    if body.is_empty() {
        invalid.add("body", "Write the message");
    } else if body.len() > MESSAGE_MAX_BYTES {
        invalid.add(
            "body",
            format!(
                "Text is too long: {} KB, at most {} KB",
                body.len().div_ceil(1024),
                MESSAGE_MAX_BYTES / 1024
            ),
        );
    }
    let short_text = pick(short_text, &generated.short_text);
    if short_text.chars().count() > SHORT_MAX_CHARS {
        invalid.add(
            "short_text",
            format!("At most {SHORT_MAX_CHARS} characters"),
        );
    }
    let next_update_at = match next_update_at {
        (Some(at), _) if at <= now => {
            invalid.add("next_update_at", "Must be in the future");
            Some(at)
        }
        (Some(at), _) => Some(at),
        (None, fallback) => fallback,
    };
    Texts {
        customer_status: status,
        subject,
        body,
        short_text,
        next_update_at,
        generated: generated_only,
    }
}

/// Drafts a message for an audience (all impacted accounts by default). Text left
/// out is generated from the timeline.
pub async fn create_draft(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    input: &DraftInput,
) -> Result<CustomerMessage, AppError> {
    require(actor, Action::DraftCustomerMessage)?;
    let ctx = context(state, id).await?;
    let audience = input.audience.clone().unwrap_or(Audience::All);
    let now = state.now();
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let mut invalid = Invalid::default();
    let chosen = ctx.resolve(&audience, &mut invalid);
    let next_update = ctx.next_update(now);
    let generated = ctx.generate(
        &timeline.entries,
        &chosen,
        (now, zone_of(Some(actor))),
        input.next_update_at.or(next_update),
    );
    let texts = check_texts(
        &generated,
        input.customer_status.as_deref(),
        (
            input.subject.as_deref(),
            input.body.as_deref(),
            input.short_text.as_deref(),
        ),
        (input.next_update_at, next_update),
        now,
        &mut invalid,
    );
    check_not_closed(&ctx, &chosen, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let needs_approval = ctx.needs_approval(&chosen);
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    let message = insert_draft(
        &mut tx,
        id,
        (&audience, needs_approval),
        (&texts, &generated),
        By::person(actor),
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.notify(id);
    self::message(state, id, message).await
}

/// What a draft to `audience` would say now, and the next update it promises,
/// written nowhere: everything drafting reads (incident, recipients, sent messages,
/// templates, the cached timeline) and the text generated from it. Regenerating a
/// draft stores this; the benchmark times it.
pub async fn preview_draft(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    audience: &Audience,
) -> Result<(draft::Drafted, Option<DateTime<Utc>>), AppError> {
    let ctx = context(state, id).await?;
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let mut invalid = Invalid::default();
    let chosen = ctx.resolve(audience, &mut invalid);
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    let now = state.now();
    let next_update = ctx.next_update(now);
    let drafted = ctx.generate(
        &timeline.entries,
        &chosen,
        (now, zone_of(Some(actor))),
        next_update,
    );
    Ok((drafted, next_update))
}

/// Refuses a new message to customers already told the incident is resolved, while
/// it stays resolved.
fn check_not_closed(ctx: &Context, chosen: &[&Recipient], invalid: &mut Invalid) {
    if ctx.incident.status != IncidentStatus::Resolved || chosen.is_empty() {
        return;
    }
    let told_resolved = |r: &&Recipient| {
        ctx.sent.iter().any(|m| {
            m.customer_status == CustomerStatus::Resolved && m.accounts.contains(&r.account_id)
        })
    };
    if chosen.iter().all(told_resolved) {
        invalid.add(
            "audience",
            format!(
                "{} is resolved and these customers were told so: reopen it before telling them more",
                ctx.incident.key
            ),
        );
    }
}

/// Writes a new draft, its first version and transition, and its event.
async fn insert_draft(
    conn: &mut AnyConnection,
    id: IncidentId,
    (audience, needs_approval): (&Audience, bool),
    (texts, generated): (&Texts, &draft::Drafted),
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let new = NewMessage {
        incident: id,
        audience,
        state: MessageState::Draft,
        customer_status: texts.customer_status,
        subject: &texts.subject,
        body: &texts.body,
        short_text: &texts.short_text,
        based_on_seq: generated.based_on_seq,
        sources: &generated.sources,
        next_update_at: texts.next_update_at,
        needs_approval,
        retracts: None,
        author: by.pair(),
    };
    let Some(message) = repo::insert_message(conn, &new, now).await? else {
        let open = repo::open_message(&mut *conn, id, &audience.key()).await?;
        return Err(AppError::Conflict(format!(
            "Message #{} to {} is still being worked on: edit it, or send or reject it first",
            open.unwrap_or_default(),
            audience.describe()
        )));
    };
    repo::insert_version(
        conn,
        &NewVersion {
            message,
            version: 1,
            customer_status: texts.customer_status,
            subject: &texts.subject,
            body: &texts.body,
            short_text: &texts.short_text,
            based_on_seq: generated.based_on_seq,
            sources: &generated.sources,
            next_update_at: texts.next_update_at,
            origin: if texts.generated {
                "generated"
            } else {
                "edited"
            },
            author: by.pair(),
        },
        now,
    )
    .await?;
    repo::insert_transition(
        conn,
        message,
        (None, MessageState::Draft),
        by.pair(),
        None,
        &[],
        now,
    )
    .await?;
    record_comms_event(
        conn,
        id,
        "comms.message_drafted",
        json!({ "message": message, "audience": audience.describe() }),
        now,
    )
    .await?;
    Ok(message)
}

/// Edits a draft's text (a rejected one goes back to draft): a new version.
pub async fn edit_message(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    message: i64,
    input: &EditInput,
) -> Result<CustomerMessage, AppError> {
    require(actor, Action::DraftCustomerMessage)?;
    let now = state.now();
    let current = repo::find_message(state.db.pool(), id, message)
        .await?
        .ok_or_else(|| message_not_found(id, message))?;
    let mut invalid = Invalid::default();
    let as_drafted = draft::Drafted {
        customer_status: current.customer_status,
        subject: current.subject.clone(),
        body: current.body.clone(),
        short_text: current.short_text.clone(),
        sources: current.sources.clone(),
        based_on_seq: current.based_on_seq,
    };
    let texts = check_texts(
        &as_drafted,
        input.customer_status.as_deref(),
        (
            input.subject.as_deref(),
            input.body.as_deref(),
            input.short_text.as_deref(),
        ),
        (input.next_update_at, current.next_update_at),
        now,
        &mut invalid,
    );
    if texts.generated {
        invalid.add(
            "body",
            "Change the subject, text, short text, status or next update time",
        );
    }
    if !invalid.fields.is_empty() {
        return Err(AppError::Invalid(invalid));
    }
    write_version(
        state,
        By::person(actor),
        (id, message),
        (&texts, &as_drafted),
        "edited",
    )
    .await
}

/// Generates the draft's text again from the timeline as it is now (its earlier
/// versions, the person's edits among them, stay in its history).
pub async fn regenerate(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    message: i64,
) -> Result<CustomerMessage, AppError> {
    require(actor, Action::DraftCustomerMessage)?;
    let current = repo::find_message(state.db.pool(), id, message)
        .await?
        .ok_or_else(|| message_not_found(id, message))?;
    let (generated, next_update) = preview_draft(state, actor, id, &current.audience).await?;
    let texts = Texts::generated(&generated, next_update);
    write_version(
        state,
        By::person(actor),
        (id, message),
        (&texts, &generated),
        "generated",
    )
    .await
}

/// Stores a new version of an open message's text (drafts, and rejected ones,
/// which go back to draft).
async fn write_version(
    state: &AppState,
    by: By<'_>,
    (id, message): (IncidentId, i64),
    (texts, generated): (&Texts, &draft::Drafted),
    origin: &str,
) -> Result<CustomerMessage, AppError> {
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    let current = repo::find_message(&mut *tx, id, message)
        .await?
        .ok_or_else(|| message_not_found(id, message))?;
    match current.state {
        MessageState::Draft => {}
        MessageState::Rejected => {
            if !repo::move_state(
                &mut tx,
                message,
                (MessageState::Rejected, MessageState::Draft),
                now,
            )
            .await?
            {
                return Err(AppError::Conflict(format!(
                    "Another message to {} is being worked on: edit that one",
                    current.audience_label
                )));
            }
            repo::insert_transition(
                &mut tx,
                message,
                (Some(MessageState::Rejected), MessageState::Draft),
                by.pair(),
                Some("edited after rejection"),
                &[],
                now,
            )
            .await?;
        }
        other => return Err(wrong_state(message, other, "edited", "draft or rejected")),
    }
    repo::insert_version(
        &mut tx,
        &NewVersion {
            message,
            version: current.version + 1,
            customer_status: texts.customer_status,
            subject: &texts.subject,
            body: &texts.body,
            short_text: &texts.short_text,
            based_on_seq: generated.based_on_seq,
            sources: &generated.sources,
            next_update_at: texts.next_update_at,
            origin,
            author: by.pair(),
        },
        now,
    )
    .await?;
    record_comms_event(
        &mut tx,
        id,
        "comms.message_edited",
        json!({ "message": message, "version": current.version + 1 }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.notify(id);
    self::message(state, id, message).await
}

fn wrong_state(message: i64, state: MessageState, verb: &str, allowed: &str) -> AppError {
    AppError::Conflict(format!(
        "Message #{message} is {}: only a message that is {allowed} can be {verb}",
        state.label().to_lowercase()
    ))
}

/// A move someone asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Move {
    Submit,
    Approve,
    Reject,
    Send,
    Retract,
}

impl std::str::FromStr for Move {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "submit" => Ok(Move::Submit),
            "approve" => Ok(Move::Approve),
            "reject" => Ok(Move::Reject),
            "send" => Ok(Move::Send),
            "retract" => Ok(Move::Retract),
            other => Err(format!(
                "unknown action {other:?}: choose submit, approve, reject, send or retract"
            )),
        }
    }
}

/// Moves a message: ask for approval, approve, reject (with a comment), send (after
/// the guards), or retract a sent one with a correction (itself sent).
pub async fn move_message(
    state: &AppState,
    actor: &User,
    id: IncidentId,
    message: i64,
    input: &MoveInput,
) -> Result<CustomerMessage, AppError> {
    let mut invalid = Invalid::default();
    let action = input
        .action
        .parse::<Move>()
        .map_err(|e| invalid.add("action", e))
        .ok();
    let comment = input
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let overrides = check_overrides(&input.overrides, &mut invalid);
    match (action, comment) {
        (Some(Move::Reject), None) => invalid.add("comment", "Say why it is rejected"),
        (Some(Move::Retract), None) => {
            invalid.add("comment", "Write the correction customers are sent")
        }
        (_, Some(c)) if c.len() > MESSAGE_MAX_BYTES => invalid.add(
            "comment",
            format!("At most {} KB", MESSAGE_MAX_BYTES / 1024),
        ),
        _ => {}
    }
    let Some(action) = action.filter(|_| invalid.fields.is_empty()) else {
        return Err(AppError::Invalid(invalid));
    };
    require(
        actor,
        match action {
            Move::Submit => Action::DraftCustomerMessage,
            Move::Approve | Move::Reject => Action::ApproveCustomerMessage,
            Move::Send | Move::Retract => Action::SendCustomerMessage,
        },
    )?;
    let ctx = context(state, id).await?;
    if matches!(action, Move::Send | Move::Retract) {
        require_owner(actor, &ctx.incident)?;
    }
    let now = state.now();
    let by = By::person(actor);
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    let current = repo::find_message(&mut *tx, id, message)
        .await?
        .ok_or_else(|| message_not_found(id, message))?;
    let (from, to) = match (action, current.state) {
        (Move::Submit, MessageState::Draft) if !current.needs_approval => {
            let mut invalid = Invalid::default();
            invalid.add(
                "action",
                format!("Messages to {} need no approval: send it", current.audience_label),
            );
            return Err(AppError::Invalid(invalid));
        }
        (Move::Submit, MessageState::Draft) => (MessageState::Draft, MessageState::InReview),
        (Move::Submit, state) => return Err(wrong_state(message, state, "submitted", "draft")),
        (Move::Approve | Move::Reject, MessageState::InReview) => {
            let authors = repo::message_authors(&mut *tx, message).await?;
            if authors.contains(&actor.id.0) {
                return Err(AppError::Forbidden(format!(
                    "You wrote message #{message}: someone else must {} it",
                    if action == Move::Approve { "approve" } else { "reject" }
                )));
            }
            let to = if action == Move::Approve {
                MessageState::Approved
            } else {
                MessageState::Rejected
            };
            (MessageState::InReview, to)
        }
        (Move::Approve | Move::Reject, state) => {
            return Err(wrong_state(message, state, "approved or rejected", "in review"))
        }
        (Move::Send, MessageState::Draft) if current.needs_approval => {
            return Err(AppError::Conflict(format!(
                "Message #{message} to {} needs approval by someone else first: submit it for review",
                current.audience_label
            )))
        }
        (Move::Send, state @ (MessageState::Draft | MessageState::Approved)) => {
            check_guards(&ctx, &current, &overrides, now)?;
            (state, MessageState::Sent)
        }
        (Move::Send, state) => {
            return Err(wrong_state(message, state, "sent", "approved (or a draft needing no approval)"))
        }
        (Move::Retract, MessageState::Sent) => (MessageState::Sent, MessageState::Retracted),
        (Move::Retract, state) => return Err(wrong_state(message, state, "retracted", "sent")),
    };
    if !repo::move_state(&mut tx, message, (from, to), now).await? {
        return Err(AppError::Conflict(format!(
            "Message #{message} changed meanwhile: reload and try again"
        )));
    }
    let transition_comment = if action == Move::Retract {
        None
    } else {
        comment
    };
    let logged_overrides: &[GuardOverride] = if action == Move::Send {
        &overrides
    } else {
        &[]
    };
    repo::insert_transition(
        &mut tx,
        message,
        (Some(from), to),
        by.pair(),
        transition_comment,
        logged_overrides,
        now,
    )
    .await?;
    match action {
        Move::Send => {
            let mut invalid = Invalid::default();
            let chosen = ctx.resolve(&current.audience, &mut invalid);
            if !invalid.fields.is_empty() {
                return Err(AppError::Invalid(invalid));
            }
            deliver(&mut tx, &ctx, &current, &chosen, by, now).await?;
        }
        Move::Retract => {
            let correction = comment.unwrap_or_default();
            let accounts = repo::sent_messages(&mut *tx, id)
                .await?
                .into_iter()
                .find(|m| m.id == message)
                .map(|m| m.accounts)
                .unwrap_or_default();
            let chosen: Vec<&Recipient> = ctx
                .recipients
                .iter()
                .filter(|r| accounts.contains(&r.account_id))
                .collect();
            let status = CustomerStatus::of_incident(ctx.incident.status);
            let subject = format!("Correction: {}", current.subject);
            let new = NewMessage {
                incident: id,
                audience: &current.audience,
                state: MessageState::Sent,
                customer_status: status,
                subject: &subject,
                body: correction,
                short_text: "",
                based_on_seq: current.based_on_seq,
                sources: &[],
                next_update_at: None,
                needs_approval: false,
                retracts: Some(message),
                author: by.pair(),
            };
            let correction_id = repo::insert_message(&mut tx, &new, now)
                .await?
                .ok_or_else(|| AppError::internal("retraction", "sent message refused"))?;
            repo::insert_version(
                &mut tx,
                &NewVersion {
                    message: correction_id,
                    version: 1,
                    customer_status: status,
                    subject: &subject,
                    body: correction,
                    short_text: "",
                    based_on_seq: current.based_on_seq,
                    sources: &[],
                    next_update_at: None,
                    origin: "edited",
                    author: by.pair(),
                },
                now,
            )
            .await?;
            repo::insert_transition(
                &mut tx,
                correction_id,
                (None, MessageState::Sent),
                by.pair(),
                Some(&format!("corrects message #{message}")),
                &[],
                now,
            )
            .await?;
            let sent = repo::find_message(&mut *tx, id, correction_id)
                .await?
                .ok_or_else(|| AppError::internal("retraction", "correction not found"))?;
            deliver(&mut tx, &ctx, &sent, &chosen, by, now).await?;
        }
        Move::Submit | Move::Approve | Move::Reject => {
            record_comms_event(
                &mut tx,
                id,
                "comms.message_moved",
                json!({ "message": message, "from": from, "to": to }),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    state.outbox.notify_one();
    state.comms_schedule.notify_one();
    state.live.notify(id);
    // A send or a retraction changes the status pages.
    state.customer_facing.bump();
    self::message(state, id, message).await
}

/// Only the communications owner (or an admin) speaks to customers.
fn require_owner(actor: &User, incident: &Incident) -> Result<(), AppError> {
    if actor.role == UserRole::Admin
        || incident
            .comms_owner
            .as_ref()
            .is_some_and(|o| o.id == actor.id)
    {
        return Ok(());
    }
    Err(AppError::Forbidden(match &incident.comms_owner {
        Some(owner) => format!(
            "Only the communications owner ({}) or an admin sends customer messages for {}",
            owner.display_name, incident.key
        ),
        None => format!(
            "{} has no communications owner: take the role first, then send",
            incident.key
        ),
    }))
}

/// The overrides given, checked: a known guard, and a reason.
fn check_overrides(given: &[GuardOverride], invalid: &mut Invalid) -> Vec<GuardOverride> {
    let mut checked = Vec::new();
    for o in given {
        match o.guard.parse::<Guard>() {
            Err(e) => invalid.add("overrides", e),
            Ok(guard) if o.reason.trim().is_empty() => invalid.add(
                &format!("overrides.{}", guard.as_str()),
                "Say why it is sent anyway",
            ),
            Ok(guard) if o.reason.chars().count() > crate::incidents::model::REASON_MAX_CHARS => {
                invalid.add(
                    &format!("overrides.{}", guard.as_str()),
                    "Reason is too long",
                )
            }
            Ok(guard) => checked.push(GuardOverride {
                guard: guard.as_str().to_owned(),
                reason: o.reason.trim().to_owned(),
            }),
        }
    }
    checked
}

/// What the guards find about a message as it would go out now.
pub async fn findings(
    state: &AppState,
    id: IncidentId,
    message: i64,
) -> Result<Vec<GuardFinding>, AppError> {
    let ctx = context(state, id).await?;
    let current = repo::find_message(state.db.pool(), id, message)
        .await?
        .ok_or_else(|| message_not_found(id, message))?;
    Ok(run_guards(&ctx, &current, state.now()))
}

fn run_guards(ctx: &Context, message: &CustomerMessage, now: DateTime<Utc>) -> Vec<GuardFinding> {
    let mut invalid = Invalid::default();
    let accounts: Vec<i64> = ctx
        .resolve(&message.audience, &mut invalid)
        .iter()
        .map(|r| r.account_id)
        .collect();
    let impacted: Vec<String> = ctx
        .incident
        .systems
        .iter()
        .map(|s| format!("system:{s}"))
        .chain(ctx.incident.accounts.iter().map(|a| format!("account:{a}")))
        .collect();
    let (inside, outside): (Vec<_>, Vec<_>) = ctx
        .catalog_names
        .iter()
        .partition(|(id, _)| impacted.contains(id));
    let inside: Vec<String> = inside.into_iter().map(|(_, n)| n.clone()).collect();
    let outside: Vec<String> = outside.into_iter().map(|(_, n)| n.clone()).collect();
    let sent: Vec<SentMessage> = ctx
        .sent
        .iter()
        .filter(|m| m.id != message.id)
        .map(|m| SentMessage {
            id: m.id,
            accounts: m.accounts.clone(),
            customer_status: m.customer_status,
            body: m.body.clone(),
            sent_at: m.sent_at,
        })
        .collect();
    guards::check(
        &Candidate {
            accounts: &accounts,
            customer_status: message.customer_status,
            subject: &message.subject,
            body: &message.body,
            short_text: &message.short_text,
            next_update_at: message.next_update_at,
        },
        &sent,
        &Impact {
            engineering: CustomerStatus::of_incident(ctx.incident.status),
            inside: &inside,
            outside: &outside,
        },
        now,
    )
}

/// Refuses a send that a guard holds back and no override covers, naming each
/// finding (as `guards.<guard>`) with the earlier message it is about.
fn check_guards(
    ctx: &Context,
    message: &CustomerMessage,
    overrides: &[GuardOverride],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut invalid = Invalid::default();
    for finding in run_guards(ctx, message, now) {
        if !overrides.iter().any(|o| o.guard == finding.guard.as_str()) {
            invalid.add(
                &format!("guards.{}", finding.guard.as_str()),
                finding.reason,
            );
        }
    }
    if invalid.fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(invalid))
    }
}

/// Sends a message: who it went to, a delivery per contact and webhook, its
/// timeline entry, and the schedule counting from now.
async fn deliver(
    conn: &mut AnyConnection,
    ctx: &Context,
    message: &CustomerMessage,
    chosen: &[&Recipient],
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let id = ctx.incident.id;
    let accounts: Vec<i64> = chosen.iter().map(|r| r.account_id).collect();
    repo::insert_message_accounts(conn, message.id, &accounts).await?;
    for recipient in chosen {
        for email in &recipient.contact_emails {
            repo::enqueue_delivery(
                conn,
                (message.id, recipient.account_id),
                Channel::Email,
                email,
                now,
            )
            .await?;
        }
        if let Some(url) = &recipient.webhook_url {
            repo::enqueue_delivery(
                conn,
                (message.id, recipient.account_id),
                Channel::Webhook,
                url,
                now,
            )
            .await?;
        }
    }
    repo::reanchor_schedule(conn, id, now).await?;
    let text = format!("**{}**\n\n{}", message.subject, message.body);
    let entry = NewEntry {
        kind: EntryKind::CustomerMessage {
            message: message.id,
            audience: message.audience_label.clone(),
            customer_status: message.customer_status.as_str().to_owned(),
            retracts: message.retracts,
        },
        author: by.name.to_owned(),
        body: text.clone(),
        occurred_at: None,
        customer_visible: true,
        idempotency_key: Some(format!("customer-message-{}", message.id)),
    };
    let html = crate::markdown::to_safe_html(&text);
    append_entry(conn, id, entry, html, now)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("Message #{} was sent already", message.id)))?;
    Ok(())
}

/// The scheduler found the incident's update due: fires it once (across replicas)
/// by drafting a message to all impacted accounts, unless one is being worked on.
/// Returns whether this call fired it.
pub async fn fire_due(
    state: &AppState,
    id: IncidentId,
    due: DateTime<Utc>,
) -> Result<bool, AppError> {
    let ctx = context(state, id).await?;
    let timeline = crate::timeline::service::read_timeline(state, id).await?;
    let now = state.now();
    let mut tx = state.db.begin_write().await?;
    lock(&mut tx, id).await?;
    if !repo::claim_due(&mut tx, id, due).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let mut invalid = Invalid::default();
    let chosen = ctx.resolve(&Audience::All, &mut invalid);
    let open = repo::open_message(&mut *tx, id, &Audience::All.key()).await?;
    let drafted = if invalid.fields.is_empty() && open.is_none() {
        let zone = match &ctx.incident.comms_owner {
            Some(owner) => repo::user_zone(&mut *tx, owner.id)
                .await?
                .and_then(|z| z.parse().ok())
                .unwrap_or(chrono_tz::UTC),
            None => chrono_tz::UTC,
        };
        let next_update = ctx.next_update(now);
        let generated = ctx.generate(&timeline.entries, &chosen, (now, zone), next_update);
        let texts = Texts::generated(&generated, next_update);
        let needs_approval = ctx.needs_approval(&chosen);
        Some(
            insert_draft(
                &mut tx,
                id,
                (&Audience::All, needs_approval),
                (&texts, &generated),
                By::SITREP,
                now,
            )
            .await?,
        )
    } else {
        None
    };
    record_comms_event(
        &mut tx,
        id,
        "comms.update_due",
        json!({ "due_at": due, "message": drafted.or(open) }),
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.notify(id);
    tracing::info!(incident = %id.key(), %due, drafted = ?drafted, "customer update due");
    Ok(true)
}
