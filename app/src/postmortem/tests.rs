//! Drafts generated from recorded timelines, compared with committed documents
//! (`golden/*.md`; `UPDATE_GOLDEN=1 cargo test -p app --features ssr postmortem`
//! rewrites them, to be read and committed deliberately), the metrics' arithmetic,
//! and template errors.

use super::facts::{gather, Facts};
use super::template::{render, DEFAULT_TEMPLATE};
use crate::catalog::model::{Person, Tier, UserId};
use crate::incidents::model::{
    Incident, IncidentId, IncidentStatus, Lifecycle, Role, Severity, Source,
};
use crate::sla::model::{ClockKind, ClockState, SlaClock};
use crate::timeline::model::{ActionOutcome, EntryId, EntryKind, Redaction, TimelineEntry};
use chrono::{DateTime, Duration, Utc};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn person(name: &str) -> Person {
    Person {
        id: UserId(1),
        email: format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
        display_name: name.to_owned(),
    }
}

/// A recorded timeline: entries minutes apart, as the war room would store them.
struct Recorder {
    entries: Vec<TimelineEntry>,
}

impl Recorder {
    fn add(
        &mut self,
        minute: i64,
        author: &str,
        kind: EntryKind,
        body: &str,
    ) -> &mut TimelineEntry {
        let seq = self.entries.len() as i64 + 1;
        self.entries.push(TimelineEntry {
            id: EntryId(seq),
            incident: IncidentId(7),
            seq,
            kind,
            author: author.to_owned(),
            body: body.to_owned(),
            body_html: String::new(),
            occurred_at: None,
            recorded_at: at("2026-11-20T14:00:00Z") + Duration::minutes(minute),
            customer_visible: false,
            revision: 1,
            redaction: None,
        });
        self.entries.last_mut().unwrap()
    }
}

fn status(from: IncidentStatus, to: IncidentStatus, reason: Option<&str>) -> EntryKind {
    EntryKind::StatusChange {
        from,
        to,
        reason: reason.map(str::to_owned),
    }
}

fn clock(
    account: &str,
    kind: ClockKind,
    state: ClockState,
    target_min: i64,
    used_min: i64,
) -> SlaClock {
    SlaClock {
        account: account.to_lowercase(),
        account_name: account.to_owned(),
        tier: Tier::Enterprise,
        kind,
        state,
        target_secs: target_min * 60,
        used_secs: used_min * 60,
        remaining_secs: (target_min - used_min) * 60,
        flowing: false,
        turn_at: None,
        breach_at: None,
        read_at: at("2026-11-20T17:00:00Z"),
        policy: "enterprise-24x7".into(),
        policy_version: 1,
    }
}

/// A P1 payment outage: impact began 12 minutes before the alert (backdated start),
/// a rollback that did not work, a severity change, a removed entry, a reopen, the
/// root cause, the fix that worked, a customer message; one account's resolution SLA
/// missed.
fn p1_with_reopen() -> (Incident, Vec<TimelineEntry>, Vec<SlaClock>) {
    use IncidentStatus::*;
    let mut t = Recorder { entries: vec![] };
    t.add(
        0,
        "Alert: checkout-errors",
        EntryKind::Declared {
            severity: Severity::P2,
        },
        "Card payments failing at checkout",
    );
    t.add(4, "Dana Lee", status(Investigating, Identified, None), "");
    t.add(
        6,
        "Dana Lee",
        EntryKind::Update,
        "Error rate 38 % on /pay; looking at the 13:40 deploy",
    );
    t.add(
        9,
        "Dana Lee",
        EntryKind::SeverityChange {
            from: Severity::P2,
            to: Severity::P1,
            reason: Some("all card payments affected".into()),
        },
        "",
    );
    t.add(
        10,
        "Sam Okafor",
        EntryKind::RoleChange {
            role: Role::Lead,
            from: Some("Dana Lee".into()),
            to: Some("Sam Okafor".into()),
        },
        "",
    );
    t.add(
        14,
        "Dana Lee",
        EntryKind::Action {
            outcome: ActionOutcome::DidNotWork,
        },
        "Roll back the 13:40 deploy of payments-api\n\nErrors unchanged after the rollback.",
    );
    let removed = t.add(
        15,
        "Dana Lee",
        EntryKind::Note,
        "Customer card number 4111 1111 1111 1111 seen in logs",
    );
    removed.redaction = Some(Redaction {
        author: "Ada Admin".into(),
        reason: "card data".into(),
        recorded_at: at("2026-11-20T14:20:00Z"),
    });
    t.add(22, "Sam Okafor", EntryKind::Finding { root_cause: true }, "The card processor rotated its TLS certificate; our pinned chain rejected it\n\nPinning was added in 2024 and never updated.");
    t.add(
        25,
        "Priya Raman",
        EntryKind::CustomerMessage {
            message: 3,
            audience: "all impacted accounts".into(),
            customer_status: "identified".into(),
            retracts: None,
        },
        "Card payments are failing; we found the cause and are fixing it.",
    );
    t.add(
        31,
        "Sam Okafor",
        EntryKind::Action {
            outcome: ActionOutcome::Worked,
        },
        "Update the pinned certificate chain and redeploy",
    );
    t.add(33, "Sam Okafor", status(Identified, Monitoring, None), "");
    t.add(
        40,
        "Sam Okafor",
        status(Monitoring, Resolved, Some("error rate back to 0.1 %")),
        "",
    );
    t.add(
        52,
        "Dana Lee",
        status(Resolved, Investigating, Some("errors back for Visa cards")),
        "",
    );
    t.add(
        58,
        "Dana Lee",
        EntryKind::Action {
            outcome: ActionOutcome::Worked,
        },
        "Flush the TLS session cache on the payment workers",
    );
    t.add(
        60,
        "Dana Lee",
        EntryKind::Sla {
            account: "acme".into(),
            clock: ClockKind::Resolution,
            from: ClockState::AtRisk,
            to: ClockState::Breached,
        },
        "",
    );
    t.add(
        75,
        "Sam Okafor",
        status(
            Investigating,
            Resolved,
            Some("Visa payments succeeding for 15 min"),
        ),
        "",
    );
    let incident = Incident {
        id: IncidentId(7),
        key: "INC-7".into(),
        title: "Card payments failing at checkout".into(),
        severity: Severity::P1,
        status: Resolved,
        description: "Card payments failed for every customer; PayPal kept working.".into(),
        description_html: String::new(),
        lifecycle: Lifecycle {
            started_at: at("2026-11-20T13:48:00Z"),
            declared_at: at("2026-11-20T14:00:00Z"),
            acknowledged_at: Some(at("2026-11-20T14:04:00Z")),
            mitigated_at: Some(at("2026-11-20T15:15:00Z")),
            resolved_at: Some(at("2026-11-20T15:15:00Z")),
        },
        systems: vec!["payments-api".into()],
        accounts: vec!["acme".into(), "globex".into()],
        impacted_tier: Some(Tier::Enterprise),
        source: Source::Alert,
        lead: Some(person("Sam Okafor")),
        comms_owner: Some(person("Priya Raman")),
        last_seq: 16,
    };
    let clocks = vec![
        clock("Acme", ClockKind::Response, ClockState::Met, 15, 4),
        clock("Acme", ClockKind::Resolution, ClockState::Missed, 60, 87),
        clock("Globex", ClockKind::Response, ClockState::Met, 30, 4),
        clock("Globex", ClockKind::Resolution, ClockState::Met, 240, 87),
    ];
    (incident, t.entries, clocks)
}

/// A P3 still being investigated: nothing tried, no root cause, no SLA clocks.
fn open_p3() -> (Incident, Vec<TimelineEntry>, Vec<SlaClock>) {
    let mut t = Recorder { entries: vec![] };
    t.add(
        0,
        "Dana Lee",
        EntryKind::Declared {
            severity: Severity::P3,
        },
        "",
    );
    t.add(
        3,
        "Dana Lee",
        EntryKind::Update,
        "Search results are slow for some users",
    );
    let incident = Incident {
        id: IncidentId(7),
        key: "INC-7".into(),
        title: "Search is slow".into(),
        severity: Severity::P3,
        status: IncidentStatus::Investigating,
        description: String::new(),
        description_html: String::new(),
        lifecycle: Lifecycle {
            started_at: at("2026-11-20T14:00:00Z"),
            declared_at: at("2026-11-20T14:00:00Z"),
            acknowledged_at: Some(at("2026-11-20T14:03:00Z")),
            mitigated_at: None,
            resolved_at: None,
        },
        systems: vec![],
        accounts: vec![],
        impacted_tier: None,
        source: Source::Manual,
        lead: Some(person("Dana Lee")),
        comms_owner: None,
        last_seq: 2,
    };
    (incident, t.entries, vec![])
}

fn facts_of(
    (incident, entries, clocks): (Incident, Vec<TimelineEntry>, Vec<SlaClock>),
    zone: chrono_tz::Tz,
) -> Facts {
    gather(
        &incident,
        &entries,
        &clocks,
        zone,
        at("2026-11-21T09:00:00Z"),
    )
}

/// The draft, compared with `golden/<name>.md`.
fn assert_golden(name: &str, facts: &Facts) {
    let draft = render(DEFAULT_TEMPLATE, facts).unwrap();
    let path = format!(
        "{}/src/postmortem/golden/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &draft).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        draft == expected,
        "the draft differs from {path} (UPDATE_GOLDEN=1 rewrites it):\n{draft}"
    );
}

#[test]
fn a_p1_with_a_reopen_drafts_as_recorded() {
    assert_golden(
        "p1-reopened",
        &facts_of(p1_with_reopen(), chrono_tz::Europe::Berlin),
    );
}

#[test]
fn an_open_p3_drafts_with_what_is_not_known_yet() {
    assert_golden("p3-open", &facts_of(open_p3(), chrono_tz::UTC));
}

#[test]
fn a_removed_entry_never_reaches_the_document() {
    let facts = facts_of(p1_with_reopen(), chrono_tz::UTC);
    let draft = render(DEFAULT_TEMPLATE, &facts).unwrap();
    assert!(!draft.contains("4111"), "{draft}");
    assert_eq!(facts.timeline.removed, 1);
    assert!(draft.contains("1 removed entry is left out"));
}

#[test]
fn follow_up_actions_are_listed_with_owner_due_date_and_status() {
    use super::facts::FollowUpLine;
    let mut facts = facts_of(p1_with_reopen(), chrono_tz::UTC);
    let line = |title: &str, status: &str, done: bool, tracker: Option<&str>| FollowUpLine {
        title: title.into(),
        kind: "prevent".into(),
        owner: "Dana Lee".into(),
        due_on: "2026-12-14".into(),
        status: status.into(),
        done,
        tracker_url: tracker.map(str::to_owned),
    };
    facts.followups = vec![
        line(
            "Alert on certificate expiry",
            "open",
            false,
            Some("https://tracker.example.com/PAY-9"),
        ),
        line("Pin the chain in one place", "done", true, None),
    ];
    let draft = render(DEFAULT_TEMPLATE, &facts).unwrap();
    let section = &draft[draft.find("## Follow-up actions").unwrap()..];
    assert_eq!(
        section.trim_end(),
        "## Follow-up actions\n\n\
         - [ ] Alert on certificate expiry (prevent; Dana Lee; due 2026-12-14; open) [tracker](https://tracker.example.com/PAY-9)\n\
         - [x] Pin the chain in one place (prevent; Dana Lee; due 2026-12-14; done)"
    );
}

#[test]
fn metrics_count_from_when_impact_began() {
    let facts = facts_of(p1_with_reopen(), chrono_tz::UTC);
    let m = &facts.metrics;
    // Impact began 13:48, declared 14:00, acknowledged 14:04, mitigated and resolved 15:15.
    assert_eq!(m.seconds.time_to_detect, 12 * 60);
    assert_eq!(m.seconds.time_to_acknowledge, Some(16 * 60));
    assert_eq!(m.seconds.time_to_mitigate, Some(87 * 60));
    assert_eq!(m.seconds.time_to_resolve, Some(87 * 60));
    assert_eq!(m.time_to_resolve.as_deref(), Some("1 h 27 min"));
    assert_eq!(m.customer_impact.as_deref(), Some("1 h 27 min"));
    // The response window runs from the declaration: 14:00 → 15:15.
    assert_eq!(m.response_window.as_deref(), Some("1 h 15 min"));
    let open = facts_of(open_p3(), chrono_tz::UTC);
    assert_eq!(open.metrics.time_to_detect, "0 s");
    assert_eq!(open.metrics.time_to_resolve, None);
}

#[test]
fn sla_outcomes_say_met_or_missed_and_by_how_much() {
    let facts = facts_of(p1_with_reopen(), chrono_tz::UTC);
    let acme = facts.sla.iter().find(|r| r.account == "acme").unwrap();
    assert_eq!(acme.response.as_deref(), Some("met (11 min to spare)"));
    assert_eq!(acme.resolution.as_deref(), Some("missed by 27 min"));
    assert!(!acme.met);
    let globex = facts.sla.iter().find(|r| r.account == "globex").unwrap();
    assert!(globex.met);
    assert_eq!(
        globex.resolution.as_deref(),
        Some("met (2 h 33 min to spare)")
    );
}

#[test]
fn the_resolution_is_the_last_move_to_resolved_and_what_worked() {
    let facts = facts_of(p1_with_reopen(), chrono_tz::UTC);
    let said: Vec<&str> = facts
        .timeline
        .resolution
        .iter()
        .map(|m| m.what.as_str())
        .collect();
    assert_eq!(
        said,
        [
            "Tried: Update the pinned certificate chain and redeploy",
            "Tried: Flush the TLS session cache on the payment workers",
            "Status investigating → resolved (Visa payments succeeding for 15 min)",
        ]
    );
    assert!(facts
        .timeline
        .resolution
        .iter()
        .all(|m| m.link.starts_with("/incidents/INC-7#entry-")));
}

#[test]
fn times_are_in_the_readers_zone_with_the_zone_named() {
    let facts = facts_of(p1_with_reopen(), chrono_tz::America::New_York);
    assert_eq!(facts.times.impact_started, "2026-11-20 08:48 EST");
    assert_eq!(facts.zone, "America/New_York");
}

#[test]
fn template_errors_name_the_line() {
    let facts = facts_of(open_p3(), chrono_tz::UTC);
    let unknown = render(
        "# {{ incident.title }}\n\n{{ incident.nonsense }}\n",
        &facts,
    )
    .unwrap_err();
    assert_eq!(unknown.line, Some(3), "{unknown}");
    let broken = render(
        "line one\n{% for m in timeline.actions %}\nno end\n",
        &facts,
    )
    .unwrap_err();
    assert!(broken.line.is_some(), "{broken}");
    assert!(broken.to_string().starts_with("line "), "{broken}");
    let not_a_list = render(
        "a\nb\n{% for x in metrics.seconds.time_to_detect %}{{ x }}{% endfor %}",
        &facts,
    )
    .unwrap_err();
    assert_eq!(not_a_list.line, Some(3), "{not_a_list}");
}

#[test]
fn a_template_cannot_read_files_or_run_forever() {
    let facts = facts_of(open_p3(), chrono_tz::UTC);
    let include = render("{% include \"/etc/passwd\" %}", &facts).unwrap_err();
    // Built without minijinja's multi-template support: there is no include at all.
    assert!(
        include.message.contains("unknown statement include"),
        "{include}"
    );
    let forever = render(
        "{% for a in range(9999) %}{% for b in range(9999) %}{{ a }}{% endfor %}{% endfor %}",
        &facts,
    )
    .unwrap_err();
    assert!(forever.message.contains("fuel"), "{forever}");
}

/// A sent customer message of the P1, `minute`s after 14:00.
fn sent(
    id: i64,
    minute: i64,
    audience: crate::comms::model::Audience,
    accounts: &[&str],
    status: crate::comms::model::CustomerStatus,
    subject: &str,
    body: &str,
) -> crate::comms::model::CustomerMessage {
    let when = at("2026-11-20T14:00:00Z") + Duration::minutes(minute);
    crate::comms::model::CustomerMessage {
        id,
        incident: "INC-7".into(),
        audience_label: audience.describe(),
        audience,
        state: crate::comms::model::MessageState::Sent,
        customer_status: status,
        subject: subject.into(),
        body: body.into(),
        short_text: String::new(),
        version: 1,
        based_on_seq: 0,
        sources: vec![],
        newer_entries: vec![],
        next_update_at: None,
        needs_approval: false,
        retracts: None,
        created_by: "Priya Raman".into(),
        created_at: when,
        sent_at: Some(when),
        versions: vec![],
        transitions: vec![],
        deliveries: vec![],
        accounts: accounts.iter().map(|a| (*a).to_owned()).collect(),
        guards: vec![],
        written_by_you: false,
    }
}

/// The P1 as customers were told it: the root cause and the final fix marked
/// shareable (and the removed note too, which must still stay out), four messages —
/// one to all, one to Acme alone, a wrong one and its correction.
fn p1_for_customers() -> (
    Incident,
    Vec<TimelineEntry>,
    Vec<SlaClock>,
    Vec<crate::comms::model::CustomerMessage>,
) {
    use crate::comms::model::{Audience, CustomerStatus};
    let (incident, mut entries, clocks) = p1_with_reopen();
    for entry in &mut entries {
        let shareable = match entry.kind {
            EntryKind::Finding { root_cause } => root_cause,
            EntryKind::Note => true,
            EntryKind::Action { outcome } => {
                outcome == ActionOutcome::Worked && entry.body.starts_with("Flush")
            }
            _ => false,
        };
        entry.customer_visible = shareable;
    }
    let both = ["acme", "globex"];
    let mut wrong = sent(
        5,
        45,
        Audience::All,
        &both,
        CustomerStatus::Resolved,
        "Card payments restored",
        "Card payments work again.",
    );
    wrong.state = crate::comms::model::MessageState::Retracted;
    let mut correction = sent(
        6,
        53,
        Audience::All,
        &both,
        CustomerStatus::Investigating,
        "Card payments failing again for Visa",
        "Our earlier message was wrong: Visa card payments are failing again.",
    );
    correction.retracts = Some(5);
    let messages = vec![
        sent(
            3,
            25,
            Audience::All,
            &both,
            CustomerStatus::Identified,
            "Card payments failing",
            "Card payments are failing; we found the cause and are fixing it.",
        ),
        sent(
            4,
            27,
            Audience::Accounts {
                accounts: vec!["acme".into()],
            },
            &["acme"],
            CustomerStatus::Identified,
            "Your checkout: card payments failing",
            "Acme's checkout is affected; your CSM will call you at 15:00.",
        ),
        wrong,
        correction,
        sent(
            7,
            76,
            Audience::All,
            &both,
            CustomerStatus::Resolved,
            "[Resolved] Card payments restored",
            "All card payments have succeeded since 15:15 CET.",
        ),
    ];
    (incident, entries, clocks, messages)
}

fn rca_of(reader: &super::rca::Reader<'_>) -> String {
    let (incident, entries, clocks, messages) = p1_for_customers();
    let material = super::rca::Material {
        lifecycle: &incident.lifecycle,
        entries: &entries,
        messages: &messages,
        clocks: &clocks,
        zone: chrono_tz::Europe::Berlin,
    };
    super::rca::report(&material, reader, at("2026-11-21T09:00:00Z"))
}

fn assert_golden_text(name: &str, text: &str) {
    let path = format!(
        "{}/src/postmortem/golden/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, text).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        text == expected,
        "the report differs from {path} (UPDATE_GOLDEN=1 rewrites it):\n{text}"
    );
}

#[test]
fn the_customer_reports_read_as_recorded() {
    use super::rca::Reader;
    assert_golden_text("rca-everyone", &rca_of(&Reader::Everyone));
    assert_golden_text(
        "rca-acme",
        &rca_of(&Reader::Account {
            slug: "acme",
            name: "Acme",
        }),
    );
}

/// Nothing internal reaches a customer: the incident's own title and description,
/// its systems, the people on it, unshared entries, a removed entry, another
/// account's messages or SLA.
#[test]
fn a_customer_report_carries_nothing_internal() {
    use super::rca::Reader;
    let internal = [
        "Card payments failing at checkout",
        "PayPal kept working",
        "payments-api",
        "Dana Lee",
        "Sam Okafor",
        "Priya Raman",
        "4111",
        "Roll back the 13:40 deploy",
        "Update the pinned certificate chain",
        "Error rate 38",
        "Pinning was added in 2024",
        "INC-7",
        "P1",
    ];
    let everyone = rca_of(&Reader::Everyone);
    let globex = rca_of(&Reader::Account {
        slug: "globex",
        name: "Globex",
    });
    for (whose, text) in [("everyone", &everyone), ("globex", &globex)] {
        for secret in internal {
            assert!(
                !text.contains(secret),
                "{whose}'s report says {secret:?}:\n{text}"
            );
        }
        // Acme's own message and its SLA are Acme's alone.
        assert!(
            !text.contains("Acme"),
            "{whose}'s report names Acme:\n{text}"
        );
        // The wrong message is replaced by its correction.
        assert!(!text.contains("Card payments work again"), "{text}");
        assert!(text.contains("Our earlier message was wrong"), "{text}");
        assert!(text.contains("our pinned chain rejected it"), "{text}");
    }
    assert!(
        globex.contains("Resolution target (4 h 00 min): met"),
        "{globex}"
    );
    let acme = rca_of(&Reader::Account {
        slug: "acme",
        name: "Acme",
    });
    assert!(
        acme.contains("Resolution target (1 h 00 min): missed by 27 min"),
        "{acme}"
    );
    assert!(acme.contains("your CSM will call you"), "{acme}");
    assert!(!acme.contains("Globex"), "{acme}");
}
