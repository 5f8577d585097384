//! The customer-facing incident report (RCA): what a customer may read, built only
//! from what customers were sent and from timeline entries marked as shareable —
//! never the incident's internal title, description, systems, people or notes.
//! Either for every customer (messages to all impacted accounts or a tier) or for
//! one account (the messages it received, and its SLA outcome in its own words).

use super::facts::first_paragraph;
use crate::comms::model::{Audience, CustomerMessage, MessageState};
use crate::incidents::model::Lifecycle;
use crate::sla::model::{duration_words, ClockKind, ClockState, SlaClock};
use crate::timeline::model::{ActionOutcome, EntryKind, TimelineEntry};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt::Write;

/// Who the report is for: every customer, or one account (slug and name).
pub enum Reader<'a> {
    Everyone,
    Account { slug: &'a str, name: &'a str },
}

/// What the report is drawn from; nothing else reaches it.
pub struct Material<'a> {
    pub lifecycle: &'a Lifecycle,
    pub entries: &'a [TimelineEntry],
    pub messages: &'a [CustomerMessage],
    pub clocks: &'a [SlaClock],
    pub zone: Tz,
}

/// The messages this reader received, oldest first, without those a later one
/// corrected (the correction says what holds).
fn received<'a>(material: &Material<'a>, reader: &Reader<'_>) -> Vec<&'a CustomerMessage> {
    let corrected: Vec<i64> = material
        .messages
        .iter()
        .filter(|m| m.state == MessageState::Sent)
        .filter_map(|m| m.retracts)
        .collect();
    let mut sent: Vec<&CustomerMessage> = material
        .messages
        .iter()
        .filter(|m| m.state == MessageState::Sent && !corrected.contains(&m.id))
        .filter(|m| match reader {
            // Messages to chosen accounts are theirs alone.
            Reader::Everyone => !matches!(m.audience, Audience::Accounts { .. }),
            Reader::Account { slug, .. } => m.accounts.iter().any(|a| a == slug),
        })
        .collect();
    sent.sort_by_key(|m| (m.sent_at, m.id));
    sent
}

/// Shareable written entries: marked "customers may be told", not removed.
fn shareable(entries: &[TimelineEntry]) -> impl Iterator<Item = &TimelineEntry> {
    entries
        .iter()
        .filter(|e| e.customer_visible && e.redaction.is_none() && e.kind.is_written())
}

/// A clock's outcome as a customer reads it.
fn target_words(clock: &SlaClock, now: DateTime<Utc>) -> String {
    let remaining = clock.remaining_at(now);
    match clock.state {
        ClockState::Met => "met".to_owned(),
        ClockState::Missed | ClockState::Breached => {
            format!("missed by {}", duration_words((-remaining).max(0)))
        }
        ClockState::Paused | ClockState::OnTrack | ClockState::AtRisk => "still running".to_owned(),
    }
}

/// The report as Markdown, with times in `material.zone` (named).
pub fn report(material: &Material<'_>, reader: &Reader<'_>, now: DateTime<Utc>) -> String {
    let at = |t: DateTime<Utc>| super::facts::local(t, material.zone);
    let life = material.lifecycle;
    let messages = received(material, reader);
    let mut out = String::new();
    // The newest subject customers saw names the incident in their words, without
    // its status tag ("[Resolved] Checkout working normally again").
    let title = messages.last().map_or("Service incident", |m| {
        let subject = m.subject.trim();
        match subject
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
        {
            Some((_, rest)) if !rest.trim().is_empty() => rest.trim(),
            _ => subject,
        }
    });
    let _ = writeln!(out, "# Incident report: {title}\n");
    match reader {
        Reader::Everyone => out.push_str("Prepared for our customers."),
        Reader::Account { name, .. } => {
            let _ = write!(out, "Prepared for {name}.");
        }
    }
    let _ = writeln!(
        out,
        " Times are in {}. Written {}.\n",
        material.zone.name(),
        at(now)
    );

    out.push_str("## Summary\n\n");
    match messages.last() {
        Some(last) => {
            let _ = writeln!(out, "{}\n", last.body.trim());
        }
        None => out.push_str("No message about this incident was sent to you.\n\n"),
    }

    out.push_str("## Impact\n\n");
    let _ = writeln!(out, "- Began: {}", at(life.started_at));
    // Customer impact ends when service is restored (mitigated), which may come
    // before the incident is closed.
    let restored = life.mitigated_at.or(life.resolved_at);
    match restored {
        Some(end) => {
            let _ = writeln!(out, "- Service restored: {}", at(end));
            let _ = writeln!(
                out,
                "- Impact lasted: {} (until service was restored)",
                duration_words((end - life.started_at).num_seconds().max(0))
            );
        }
        None => out.push_str("- Service restored: not yet\n"),
    }
    match life.resolved_at {
        Some(end) => {
            let _ = writeln!(out, "- Resolved: {}\n", at(end));
        }
        None => out.push_str("- Resolved: not yet\n\n"),
    }

    if let Reader::Account { slug, .. } = reader {
        let mut clocks: Vec<&SlaClock> = material
            .clocks
            .iter()
            .filter(|c| c.account == *slug)
            .collect();
        if !clocks.is_empty() {
            clocks.sort_by_key(|c| c.kind != ClockKind::Response);
            out.push_str("## Your service levels\n\n");
            for clock in clocks {
                let what = match clock.kind {
                    ClockKind::Response => "Response target",
                    ClockKind::Resolution => "Resolution target",
                };
                let _ = writeln!(
                    out,
                    "- {what} ({}): {}",
                    duration_words(clock.target_secs),
                    target_words(clock, now)
                );
            }
            out.push('\n');
        }
    }

    out.push_str("## Root cause\n\n");
    let causes: Vec<String> = shareable(material.entries)
        .filter(|e| matches!(e.kind, EntryKind::Finding { root_cause: true }))
        .map(|e| first_paragraph(&e.body))
        .collect();
    if causes.is_empty() {
        out.push_str("We will share the root cause once our review is complete.\n\n");
    } else {
        for cause in causes {
            let _ = writeln!(out, "{cause}\n");
        }
    }

    let fixes: Vec<String> = shareable(material.entries)
        .filter(|e| {
            matches!(
                e.kind,
                EntryKind::Action {
                    outcome: ActionOutcome::Worked
                }
            )
        })
        .map(|e| first_paragraph(&e.body))
        .collect();
    if !fixes.is_empty() {
        out.push_str("## What we did\n\n");
        for fix in fixes {
            let _ = writeln!(out, "- {}", fix.replace('\n', " "));
        }
        out.push('\n');
    }

    if !messages.is_empty() {
        out.push_str("## What we told you\n\n");
        for m in &messages {
            let sent = m.sent_at.map(at).unwrap_or_default();
            let _ = writeln!(
                out,
                "### {sent} · {}\n\n**{}**\n\n{}\n",
                m.customer_status.label(),
                m.subject.trim(),
                m.body.trim()
            );
        }
    }
    out.trim_end().to_owned() + "\n"
}
