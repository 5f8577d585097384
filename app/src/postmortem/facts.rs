//! What a post-mortem says, gathered from the incident, its timeline and its SLA
//! clocks: the template's context. Pure (the same inputs give the same document), so
//! drafts are compared with committed golden files.
//!
//! Every statement taken from the timeline carries the link of its entry. Removed
//! (redacted) entries are left out whole: their text must never reach a document.

use crate::incidents::model::{Incident, Source};
use crate::sla::model::{duration_words, ClockKind, ClockState, SlaClock};
use crate::timeline::model::{ActionOutcome, EntryKind, TimelineEntry};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::BTreeSet;

/// The template's whole context (the placeholders in the README are its fields).
#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub incident: IncidentFacts,
    pub times: Times,
    pub metrics: Metrics,
    pub timeline: TimelineFacts,
    /// One row per impacted account with clocks.
    pub sla: Vec<AccountOutcome>,
    /// Everyone who wrote on the timeline or held a role, by name.
    pub participants: Vec<String>,
    /// The zone every time is given in, e.g. "Europe/Berlin".
    pub zone: String,
    /// When the draft was generated (in `zone`).
    pub generated_at: String,
    /// The incident's follow-up actions as they stood (added by the service: they are
    /// not timeline facts).
    pub followups: Vec<FollowUpLine>,
}

/// A follow-up action, as the document lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpLine {
    pub title: String,
    /// mitigate, prevent, process or other.
    pub kind: String,
    pub owner: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    /// In words: "open", "in progress", "done", "won't do".
    pub status: String,
    pub done: bool,
    pub tracker_url: Option<String>,
}

impl FollowUpLine {
    pub fn of(f: &super::model::FollowUp) -> FollowUpLine {
        FollowUpLine {
            title: f.title.clone(),
            kind: f.kind.as_str().to_owned(),
            owner: f.owner_name.clone(),
            due_on: f.due_on.format("%Y-%m-%d").to_string(),
            status: f.status.label().to_lowercase(),
            done: f.status == super::model::FollowUpStatus::Done,
            tracker_url: f.tracker_url.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentFacts {
    pub key: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub description: String,
    pub systems: Vec<String>,
    pub accounts: Vec<String>,
    pub tier: Option<String>,
    /// alert, cs_report or manual.
    pub source: String,
    /// In words: "an alert", "a customer-success report", "declared by hand".
    pub detected_by: String,
    pub declared_by: String,
    pub lead: Option<String>,
    pub comms_owner: Option<String>,
    /// The war room (the full timeline).
    pub link: String,
}

/// The milestones, in the reader's zone; `None` where not reached yet.
#[derive(Debug, Clone, Serialize)]
pub struct Times {
    /// When customers began to be affected (may be backdated before the declaration).
    pub impact_started: String,
    /// When the incident was declared: detection.
    pub detected: String,
    pub acknowledged: Option<String>,
    /// Entered monitoring (or resolved): customer impact ended.
    pub mitigated: Option<String>,
    pub resolved: Option<String>,
}

/// Durations, each from the incident's start (when impact began), in words
/// ("1 h 05 min"); `None` where the milestone is not reached.
#[derive(Debug, Clone, Serialize)]
pub struct Metrics {
    pub time_to_detect: String,
    pub time_to_acknowledge: Option<String>,
    pub time_to_mitigate: Option<String>,
    pub time_to_resolve: Option<String>,
    /// Impact start → mitigation (what customers lived through).
    pub customer_impact: Option<String>,
    /// Declaration → resolution (how long the response ran).
    pub response_window: Option<String>,
    /// The same figures in seconds, for templates that compute.
    pub seconds: MetricSeconds,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetricSeconds {
    pub time_to_detect: i64,
    pub time_to_acknowledge: Option<i64>,
    pub time_to_mitigate: Option<i64>,
    pub time_to_resolve: Option<i64>,
}

/// One statement from the timeline, with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Moment {
    pub seq: i64,
    /// When it happened (its `occurred_at` when backdated), in the reader's zone.
    pub at: String,
    pub author: String,
    /// One line: "Status investigating → identified", "Tried: roll back the deploy".
    pub what: String,
    /// The entry's text: its first line, and its first paragraph (empty for
    /// changes without text).
    pub headline: String,
    pub text: String,
    /// worked / did not work / unknown, for actions.
    pub outcome: Option<String>,
    /// The entry in the war room.
    pub link: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TimelineFacts {
    /// Status, severity and role changes, findings, actions, impact changes, SLA
    /// breaches and customer messages, in order.
    pub key_moments: Vec<Moment>,
    pub actions: Vec<Moment>,
    pub actions_worked: Vec<Moment>,
    pub actions_failed: Vec<Moment>,
    pub findings: Vec<Moment>,
    pub root_causes: Vec<Moment>,
    /// What ended it: the move to resolved (with its reason) and what worked.
    pub resolution: Vec<Moment>,
    pub customer_messages: Vec<Moment>,
    /// How many entries were removed (their text is not shown).
    pub removed: usize,
    /// The newest seq the draft was generated from.
    pub last_seq: i64,
}

/// An account's SLA outcome: "met", "missed by 12 min", "running (30 min left)".
#[derive(Debug, Clone, Serialize)]
pub struct AccountOutcome {
    pub account: String,
    pub name: String,
    pub tier: String,
    pub response: Option<String>,
    pub resolution: Option<String>,
    /// Every clock of the account stopped within its target.
    pub met: bool,
}

/// Gathers the facts of `incident` from its `entries` (seq order) and SLA `clocks`,
/// with times in `zone`.
pub fn gather(
    incident: &Incident,
    entries: &[TimelineEntry],
    clocks: &[SlaClock],
    zone: Tz,
    now: DateTime<Utc>,
) -> Facts {
    let at = |t: DateTime<Utc>| local(t, zone);
    let link = format!("/incidents/{}", incident.key);
    let life = &incident.lifecycle;
    let since_start = |t: DateTime<Utc>| (t - life.started_at).num_seconds().max(0);
    let words = |secs: i64| duration_words(secs);

    let mut timeline = TimelineFacts {
        key_moments: vec![],
        actions: vec![],
        actions_worked: vec![],
        actions_failed: vec![],
        findings: vec![],
        root_causes: vec![],
        resolution: vec![],
        customer_messages: vec![],
        removed: 0,
        last_seq: entries.last().map_or(0, |e| e.seq),
    };
    let mut participants = BTreeSet::new();
    let mut declared_by = String::new();
    for entry in entries {
        if entry.redaction.is_some() {
            timeline.removed += 1;
            continue;
        }
        // People only: an alert that declared, or the server noting an SLA clock, is
        // not a participant.
        let by_a_person = match entry.kind {
            EntryKind::Declared { .. } => incident.source != Source::Alert,
            EntryKind::Sla { .. } | EntryKind::PostMortem { .. } | EntryKind::Alert { .. } => false,
            _ => true,
        };
        if by_a_person && !entry.author.is_empty() {
            participants.insert(entry.author.clone());
        }
        let moment = |what: String, outcome: Option<&str>| Moment {
            seq: entry.seq,
            at: at(entry.occurred_at.unwrap_or(entry.recorded_at)),
            author: entry.author.clone(),
            what,
            headline: first_line(&entry.body),
            text: first_paragraph(&entry.body),
            outcome: outcome.map(str::to_owned),
            link: format!("{link}#entry-{}", entry.seq),
        };
        let headline = first_line(&entry.body);
        match &entry.kind {
            EntryKind::Declared { severity } => {
                declared_by = entry.author.clone();
                // The declaration's entry carries the (possibly backdated) start;
                // the moment is when it was declared, after impact began if earlier.
                if life.started_at < life.declared_at {
                    let mut began = moment("Impact began".into(), None);
                    began.at = at(life.started_at);
                    began.text = String::new();
                    began.headline = String::new();
                    timeline.key_moments.push(began);
                }
                let mut declared = moment(format!("Declared {severity}"), None);
                declared.at = at(life.declared_at);
                timeline.key_moments.push(declared);
            }
            EntryKind::Update | EntryKind::Note => {}
            EntryKind::Action { outcome } => {
                let said = outcome_words(*outcome);
                let m = moment(format!("Tried: {headline}"), Some(said));
                match outcome {
                    ActionOutcome::Worked => timeline.actions_worked.push(m.clone()),
                    ActionOutcome::DidNotWork => timeline.actions_failed.push(m.clone()),
                    ActionOutcome::Unknown => {}
                }
                if *outcome == ActionOutcome::Worked {
                    timeline.resolution.push(m.clone());
                }
                timeline.actions.push(m.clone());
                timeline.key_moments.push(m);
            }
            EntryKind::Finding { root_cause } => {
                let label = if *root_cause { "Root cause" } else { "Found" };
                let m = moment(format!("{label}: {headline}"), None);
                if *root_cause {
                    timeline.root_causes.push(m.clone());
                }
                timeline.findings.push(m.clone());
                timeline.key_moments.push(m);
            }
            EntryKind::StatusChange { from, to, reason } => {
                let m = moment(with_reason(format!("Status {from} → {to}"), reason), None);
                if *to == crate::incidents::model::IncidentStatus::Resolved {
                    timeline.resolution.push(m.clone());
                }
                timeline.key_moments.push(m);
            }
            EntryKind::SeverityChange { from, to, reason } => timeline.key_moments.push(moment(
                with_reason(format!("Severity {from} → {to}"), reason),
                None,
            )),
            EntryKind::RoleChange { role, from, to } => {
                if let Some(name) = to {
                    participants.insert(name.clone());
                }
                let who = |p: &Option<String>| p.clone().unwrap_or_else(|| "nobody".into());
                timeline.key_moments.push(moment(
                    format!("{}: {} → {}", role.label(), who(from), who(to)),
                    None,
                ));
            }
            EntryKind::ImpactChange { .. } => timeline
                .key_moments
                .push(moment(format!("Impact changed: {headline}"), None)),
            EntryKind::Sla {
                account, clock, to, ..
            } => {
                if matches!(to, ClockState::Breached | ClockState::Missed) {
                    timeline.key_moments.push(moment(
                        format!("SLA {} {} for {account}", clock.as_str(), to.label()),
                        None,
                    ));
                }
            }
            EntryKind::CustomerMessage {
                audience,
                customer_status,
                ..
            } => {
                let m = moment(
                    format!("Customers told ({audience}, {customer_status}): {headline}"),
                    None,
                );
                timeline.customer_messages.push(m.clone());
                timeline.key_moments.push(m);
            }
            EntryKind::Alert { source, state, .. } => {
                if state == "resolved" {
                    timeline
                        .key_moments
                        .push(moment(format!("Alert resolved at {source}"), None));
                }
            }
            // The document's own review: not part of what happened.
            EntryKind::PostMortem { .. } => {}
        }
    }
    for person in [&incident.lead, &incident.comms_owner]
        .into_iter()
        .flatten()
    {
        participants.insert(person.display_name.clone());
    }
    // The resolution as it stands: after a reopen only the last move to resolved.
    if let Some(last) = timeline
        .resolution
        .iter()
        .rposition(|m| m.what.starts_with("Status "))
    {
        let worked: Vec<Moment> = timeline
            .resolution
            .iter()
            .filter(|m| !m.what.starts_with("Status "))
            .cloned()
            .collect();
        let resolved = timeline.resolution[last].clone();
        timeline.resolution = worked;
        timeline.resolution.push(resolved);
    }

    let metrics = Metrics {
        time_to_detect: words(since_start(life.declared_at)),
        time_to_acknowledge: life.acknowledged_at.map(|t| words(since_start(t))),
        time_to_mitigate: life.mitigated_at.map(|t| words(since_start(t))),
        time_to_resolve: life.resolved_at.map(|t| words(since_start(t))),
        customer_impact: life.mitigated_at.map(|t| words(since_start(t))),
        response_window: life
            .resolved_at
            .map(|t| words((t - life.declared_at).num_seconds().max(0))),
        seconds: MetricSeconds {
            time_to_detect: since_start(life.declared_at),
            time_to_acknowledge: life.acknowledged_at.map(since_start),
            time_to_mitigate: life.mitigated_at.map(since_start),
            time_to_resolve: life.resolved_at.map(since_start),
        },
    };

    Facts {
        incident: IncidentFacts {
            key: incident.key.clone(),
            title: incident.title.clone(),
            severity: incident.severity.to_string(),
            status: incident.status.to_string(),
            description: incident.description.trim().to_owned(),
            systems: incident.systems.clone(),
            accounts: incident.accounts.clone(),
            tier: incident.impacted_tier.map(|t| t.as_str().to_owned()),
            source: incident.source.as_str().to_owned(),
            detected_by: match incident.source {
                Source::Alert => "an alert",
                Source::CsReport => "a customer-success report",
                Source::Manual => "an engineer, by hand",
            }
            .to_owned(),
            declared_by,
            lead: incident.lead.as_ref().map(|p| p.display_name.clone()),
            comms_owner: incident
                .comms_owner
                .as_ref()
                .map(|p| p.display_name.clone()),
            link,
        },
        times: Times {
            impact_started: at(life.started_at),
            detected: at(life.declared_at),
            acknowledged: life.acknowledged_at.map(at),
            mitigated: life.mitigated_at.map(at),
            resolved: life.resolved_at.map(at),
        },
        metrics,
        timeline,
        sla: outcomes(clocks, now),
        participants: participants.into_iter().collect(),
        zone: zone.name().to_owned(),
        generated_at: at(now),
        followups: Vec::new(),
    }
}

impl Facts {
    /// A context with every field set and every list holding one item: a template
    /// that renders on it names only placeholders that exist (an empty list would
    /// hide a bad name inside its loop). Templates are checked on it when saved.
    pub fn example() -> Facts {
        let moment = |seq: i64, what: &str, outcome: Option<&str>| Moment {
            seq,
            at: format!("2026-03-04 10:{:02} UTC", seq),
            author: "Dana Lee".to_owned(),
            what: what.to_owned(),
            headline: what.to_owned(),
            text: what.to_owned(),
            outcome: outcome.map(str::to_owned),
            link: format!("/incidents/INC-1#entry-{seq}"),
        };
        let tried = moment(2, "Tried: roll back the deploy", Some("did not work"));
        let worked = moment(3, "Tried: fail over to the replica", Some("worked"));
        let found = moment(4, "Found: the primary's disk was full", None);
        Facts {
            incident: IncidentFacts {
                key: "INC-1".to_owned(),
                title: "Checkout failing".to_owned(),
                severity: "P1".to_owned(),
                status: "resolved".to_owned(),
                description: "Card payments failed for every customer.".to_owned(),
                systems: vec!["payments".to_owned()],
                accounts: vec!["Acme Corp".to_owned()],
                tier: Some("enterprise".to_owned()),
                source: "alert".to_owned(),
                detected_by: "an alert".to_owned(),
                declared_by: "Dana Lee".to_owned(),
                lead: Some("Dana Lee".to_owned()),
                comms_owner: Some("Priya Shah".to_owned()),
                link: "/incidents/INC-1".to_owned(),
            },
            times: Times {
                impact_started: "2026-03-04 09:50 UTC".to_owned(),
                detected: "2026-03-04 10:00 UTC".to_owned(),
                acknowledged: Some("2026-03-04 10:02 UTC".to_owned()),
                mitigated: Some("2026-03-04 10:40 UTC".to_owned()),
                resolved: Some("2026-03-04 11:00 UTC".to_owned()),
            },
            metrics: Metrics {
                time_to_detect: "10 min".to_owned(),
                time_to_acknowledge: Some("12 min".to_owned()),
                time_to_mitigate: Some("50 min".to_owned()),
                time_to_resolve: Some("1 h 10 min".to_owned()),
                customer_impact: Some("50 min".to_owned()),
                response_window: Some("1 h".to_owned()),
                seconds: MetricSeconds {
                    time_to_detect: 600,
                    time_to_acknowledge: Some(720),
                    time_to_mitigate: Some(3000),
                    time_to_resolve: Some(4200),
                },
            },
            timeline: TimelineFacts {
                key_moments: vec![tried.clone(), worked.clone(), found.clone()],
                actions: vec![tried.clone(), worked.clone()],
                actions_worked: vec![worked.clone()],
                actions_failed: vec![tried],
                findings: vec![found.clone()],
                root_causes: vec![found],
                resolution: vec![moment(5, "Status monitoring → resolved", None)],
                customer_messages: vec![moment(6, "Told Acme Corp: resolved", None)],
                removed: 1,
                last_seq: 6,
            },
            sla: vec![AccountOutcome {
                account: "acme".to_owned(),
                name: "Acme Corp".to_owned(),
                tier: "enterprise".to_owned(),
                response: Some("met".to_owned()),
                resolution: Some("missed by 10 min".to_owned()),
                met: false,
            }],
            participants: vec!["Dana Lee".to_owned(), "Priya Shah".to_owned()],
            zone: "UTC".to_owned(),
            generated_at: "2026-03-04 11:05 UTC".to_owned(),
            followups: vec![FollowUpLine {
                title: "Alert on disk use".to_owned(),
                kind: "prevent".to_owned(),
                owner: "Dana Lee".to_owned(),
                due_on: "2026-03-18".to_owned(),
                status: "open".to_owned(),
                done: false,
                tracker_url: Some("https://tracker.example.com/OPS-1".to_owned()),
            }],
        }
    }
}

/// Each account's clocks in words, accounts in name order.
fn outcomes(clocks: &[SlaClock], now: DateTime<Utc>) -> Vec<AccountOutcome> {
    let mut rows: Vec<AccountOutcome> = vec![];
    let mut sorted: Vec<&SlaClock> = clocks.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.account_name, a.kind.as_str()).cmp(&(&b.account_name, b.kind.as_str()))
    });
    for clock in sorted {
        let said = clock_words(clock, now);
        let row = match rows.iter_mut().find(|r| r.account == clock.account) {
            Some(row) => row,
            None => {
                rows.push(AccountOutcome {
                    account: clock.account.clone(),
                    name: clock.account_name.clone(),
                    tier: clock.tier.as_str().to_owned(),
                    response: None,
                    resolution: None,
                    met: true,
                });
                rows.last_mut().expect("just pushed")
            }
        };
        row.met &= clock.state == ClockState::Met;
        match clock.kind {
            ClockKind::Response => row.response = Some(said),
            ClockKind::Resolution => row.resolution = Some(said),
        }
    }
    rows
}

/// "met (12 min to spare)", "missed by 1 h 05 min", "running (30 min left)".
fn clock_words(clock: &SlaClock, now: DateTime<Utc>) -> String {
    let remaining = clock.remaining_at(now);
    match clock.state {
        ClockState::Met => format!("met ({} to spare)", duration_words(remaining.max(0))),
        ClockState::Missed | ClockState::Breached => {
            let verb = if clock.state == ClockState::Missed {
                "missed"
            } else {
                "breached"
            };
            format!("{verb} by {}", duration_words((-remaining).max(0)))
        }
        ClockState::Paused => format!("paused ({} left)", duration_words(remaining.max(0))),
        ClockState::OnTrack | ClockState::AtRisk => {
            format!("running ({} left)", duration_words(remaining.max(0)))
        }
    }
}

fn outcome_words(outcome: ActionOutcome) -> &'static str {
    match outcome {
        ActionOutcome::Worked => "worked",
        ActionOutcome::DidNotWork => "did not work",
        ActionOutcome::Unknown => "unknown",
    }
}

fn with_reason(what: String, reason: &Option<String>) -> String {
    match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("{what} ({reason})"),
        None => what,
    }
}

/// `t` in `zone`, the zone named: "2026-12-02 14:05 CET".
pub fn local(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// The first line of a Markdown text, for one-line statements.
fn first_line(body: &str) -> String {
    body.trim()
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The first paragraph of a Markdown text.
pub(super) fn first_paragraph(body: &str) -> String {
    body.trim()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}
