//! Drafting a customer message from what engineering recorded: the customer-facing
//! status, the customer-visible entries since the audience was last told, affected
//! components, elapsed time and when the next update comes, poured into the
//! template for that status. Pure: the service reads the facts, this writes text.

use super::model::{fill, CustomerStatus, Template};
use crate::catalog::model::Tier;
use crate::incidents::model::IncidentStatus;
use crate::timeline::model::{EntryKind, TimelineEntry};
use chrono::{DateTime, Utc};

/// What a draft is made from.
pub struct DraftFacts<'a> {
    pub key: &'a str,
    pub status: IncidentStatus,
    pub started_at: DateTime<Utc>,
    /// Resolved at, for the elapsed time of a resolved incident.
    pub ended_at: Option<DateTime<Utc>>,
    /// Customer-facing names of the affected systems.
    pub components: &'a [String],
    /// The whole timeline, in seq order.
    pub entries: &'a [TimelineEntry],
    /// Entries up to this seq were already reflected in an earlier sent message.
    pub since_seq: i64,
    pub now: DateTime<Utc>,
    pub next_update_at: Option<DateTime<Utc>>,
    /// The zone times are written in.
    pub zone: chrono_tz::Tz,
}

/// A generated draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drafted {
    pub customer_status: CustomerStatus,
    pub subject: String,
    pub body: String,
    pub short_text: String,
    /// Seqs of the entries quoted.
    pub sources: Vec<i64>,
    /// The newest engineering entry: a later one makes the draft stale.
    pub based_on_seq: i64,
}

/// An entry engineering wrote about the incident's progress (its status included):
/// one landing after a draft was generated makes that draft stale.
pub fn is_engineering_update(entry: &TimelineEntry) -> bool {
    entry.redaction.is_none()
        && (entry.kind.acknowledges()
            || matches!(entry.kind, EntryKind::StatusChange { .. })
            || (entry.customer_visible && entry.kind.is_written()))
}

/// The engineering updates after `seq`, by seq.
pub fn engineering_updates_after(entries: &[TimelineEntry], seq: i64) -> Vec<i64> {
    let start = entries.partition_point(|e| e.seq <= seq);
    entries[start..]
        .iter()
        .filter(|e| is_engineering_update(e))
        .map(|e| e.seq)
        .collect()
}

/// Longest quoted update, in characters.
const QUOTE_MAX_CHARS: usize = 500;
/// Most updates one draft quotes (the newest since the audience was last told).
pub const QUOTED_MAX: usize = 5;

/// Writes the draft for `facts` with `template`.
pub fn draft(template: &Template, facts: &DraftFacts) -> Drafted {
    let customer_status = CustomerStatus::of_incident(facts.status);
    let start = facts.entries.partition_point(|e| e.seq <= facts.since_seq);
    // The newest few, oldest first: a customer update is not the whole timeline.
    let mut quoted: Vec<&TimelineEntry> = facts.entries[start..]
        .iter()
        .rev()
        .filter(|e| e.customer_visible && e.kind.is_written() && e.redaction.is_none())
        .take(QUOTED_MAX)
        .collect();
    quoted.reverse();
    let sources: Vec<i64> = quoted.iter().map(|e| e.seq).collect();
    let updates = quoted
        .iter()
        .map(|e| format!("- {}", quote(&e.body)))
        .collect::<Vec<_>>()
        .join("\n");
    let based_on_seq = facts
        .entries
        .iter()
        .rev()
        .find(|e| is_engineering_update(e))
        .map_or(0, |e| e.seq);
    let components = if facts.components.is_empty() {
        "our service".to_owned()
    } else {
        join_words(facts.components)
    };
    let end = facts.ended_at.unwrap_or(facts.now).max(facts.started_at);
    let elapsed = crate::sla::model::duration_words((end - facts.started_at).num_seconds());
    let next_update = facts
        .next_update_at
        .map(|at| local_time(at, facts.now, facts.zone))
        .unwrap_or_else(|| "when there is news".to_owned());
    let values = |name: &str| -> Option<String> {
        Some(match name {
            "status" => customer_status.label().to_owned(),
            "components" => components.clone(),
            "updates" => updates.clone(),
            "elapsed" => elapsed.clone(),
            "started" => local_time(facts.started_at, facts.now, facts.zone),
            "next_update" => next_update.clone(),
            "incident" => facts.key.to_owned(),
            _ => return None,
        })
    };
    Drafted {
        customer_status,
        subject: single_line(&fill(&template.subject, &values)),
        body: tidy(&fill(&template.body, &values)),
        short_text: single_line(&fill(&template.short_text, &values)),
        sources,
        based_on_seq,
    }
}

/// The built-in template for a status, used until CS saves its own.
pub fn default_template(customer_status: CustomerStatus) -> Template {
    let (subject, body, short_text) = match customer_status {
        CustomerStatus::Investigating => (
            "[Investigating] Service disruption affecting {{components}}",
            "We are investigating a problem affecting {{components}} that began at {{started}}.\n\n\
             {{updates}}\n\n\
             Our engineers are working on it now. We will send the next update by {{next_update}}.",
            "Investigating: a problem affecting {{components}}. Next update by {{next_update}}.",
        ),
        CustomerStatus::Identified => (
            "[Identified] Cause found for the disruption affecting {{components}}",
            "We have identified the cause of the problem affecting {{components}} and are working on a fix.\n\n\
             {{updates}}\n\n\
             We will send the next update by {{next_update}}.",
            "Identified: cause of the {{components}} problem found; fix under way. Next update by {{next_update}}.",
        ),
        CustomerStatus::Monitoring => (
            "[Monitoring] A fix is in place for {{components}}",
            "A fix for the problem affecting {{components}} is in place, and we are watching to make sure it holds.\n\n\
             {{updates}}\n\n\
             We will send the next update by {{next_update}}.",
            "Monitoring: a fix for {{components}} is in place. Next update by {{next_update}}.",
        ),
        CustomerStatus::Resolved => (
            "[Resolved] {{components}} working normally again",
            "The problem affecting {{components}} has been resolved; it lasted {{elapsed}}.\n\n\
             {{updates}}\n\n\
             Thank you for your patience. A summary of what happened will follow.",
            "Resolved: {{components}} working normally again after {{elapsed}}.",
        ),
    };
    Template {
        customer_status,
        tier: None,
        subject: subject.into(),
        body: body.into(),
        short_text: short_text.into(),
    }
}

/// The template for a status and the audience's highest tier: the tier's own, else
/// the one for every tier, else the built-in one.
pub fn pick_template(
    saved: &[Template],
    customer_status: CustomerStatus,
    tier: Option<Tier>,
) -> Template {
    let for_status = |t: &&Template| t.customer_status == customer_status;
    saved
        .iter()
        .filter(for_status)
        .find(|t| t.tier.is_some() && t.tier == tier)
        .or_else(|| saved.iter().filter(for_status).find(|t| t.tier.is_none()))
        .cloned()
        .unwrap_or_else(|| default_template(customer_status))
}

/// "14:30 UTC" today, "Tue 2 Dec 09:00 EST" on another day.
pub fn local_time(at: DateTime<Utc>, now: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    let local = at.with_timezone(&zone);
    if local.date_naive() == now.with_timezone(&zone).date_naive() {
        local.format("%H:%M %Z").to_string()
    } else {
        local.format("%a %-d %b %H:%M %Z").to_string()
    }
}

/// "A", "A and B", "A, B and C".
fn join_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn quote(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= QUOTE_MAX_CHARS {
        flat
    } else {
        let cut: String = flat.chars().take(QUOTE_MAX_CHARS - 1).collect();
        format!("{cut}…")
    }
}

fn single_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims lines and folds the blank lines an empty placeholder leaves behind.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line.trim_start());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::incidents::model::IncidentId;
    use crate::timeline::model::EntryId;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    pub(crate) fn entry(seq: i64, kind: EntryKind, body: &str, visible: bool) -> TimelineEntry {
        TimelineEntry {
            id: EntryId(seq),
            incident: IncidentId(1),
            seq,
            kind,
            author: "Dana".into(),
            body: body.into(),
            body_html: String::new(),
            occurred_at: None,
            recorded_at: at("2026-12-01T10:00:00Z"),
            customer_visible: visible,
            revision: 1,
            redaction: None,
        }
    }

    fn facts<'a>(entries: &'a [TimelineEntry], components: &'a [String]) -> DraftFacts<'a> {
        DraftFacts {
            key: "INC-7",
            status: IncidentStatus::Fixing,
            started_at: at("2026-12-01T09:40:00Z"),
            ended_at: None,
            components,
            entries,
            since_seq: 0,
            now: at("2026-12-01T11:00:00Z"),
            next_update_at: Some(at("2026-12-01T11:30:00Z")),
            zone: chrono_tz::UTC,
        }
    }

    #[test]
    fn a_draft_quotes_the_customer_visible_entries_and_says_when_next() {
        let entries = vec![
            entry(
                1,
                EntryKind::Declared {
                    severity: crate::incidents::model::Severity::P1,
                },
                "",
                false,
            ),
            entry(2, EntryKind::Update, "Card payments fail with 502s", true),
            entry(3, EntryKind::Note, "Acme's CSM is on the phone", false),
            entry(
                4,
                EntryKind::Finding { root_cause: true },
                "A bad config push to the payment gateway",
                true,
            ),
        ];
        let components = vec!["Checkout".to_owned(), "Payments".to_owned()];
        let template = default_template(CustomerStatus::Identified);
        let drafted = draft(&template, &facts(&entries, &components));
        assert_eq!(drafted.customer_status, CustomerStatus::Identified);
        assert_eq!(drafted.sources, [2, 4]);
        assert_eq!(drafted.based_on_seq, 4);
        assert_eq!(
            drafted.subject,
            "[Identified] Cause found for the disruption affecting Checkout and Payments"
        );
        assert!(drafted
            .body
            .contains("- Card payments fail with 502s\n- A bad config push"));
        assert!(
            !drafted.body.contains("CSM"),
            "internal notes stay internal"
        );
        assert!(drafted
            .body
            .ends_with("We will send the next update by 11:30 UTC."));
        assert!(drafted.short_text.ends_with("Next update by 11:30 UTC."));
    }

    #[test]
    fn only_entries_after_the_last_message_are_quoted_and_empty_lines_fold() {
        let entries = vec![entry(2, EntryKind::Update, "Old news", true)];
        let mut f = facts(&entries, &[]);
        f.since_seq = 2;
        f.status = IncidentStatus::Resolved;
        f.ended_at = Some(at("2026-12-01T10:50:00Z"));
        let drafted = draft(&default_template(CustomerStatus::Resolved), &f);
        assert!(drafted.sources.is_empty());
        assert_eq!(
            drafted.body,
            "The problem affecting our service has been resolved; it lasted 1 h 10 min.\n\n\
             Thank you for your patience. A summary of what happened will follow."
        );
    }

    #[test]
    fn a_draft_quotes_the_newest_few_updates_oldest_first() {
        let entries: Vec<_> = (1..=9)
            .map(|seq| entry(seq, EntryKind::Update, &format!("step {seq}"), true))
            .collect();
        let drafted = draft(
            &default_template(CustomerStatus::Identified),
            &facts(&entries, &[]),
        );
        assert_eq!(drafted.sources, [5, 6, 7, 8, 9]);
        assert!(
            drafted.body.contains("- step 5\n- step 6"),
            "{}",
            drafted.body
        );
        assert!(!drafted.body.contains("step 4"));
    }

    #[test]
    fn a_later_engineering_entry_makes_a_draft_stale_a_note_does_not() {
        let entries = vec![
            entry(2, EntryKind::Update, "a", false),
            entry(3, EntryKind::Note, "internal", false),
            entry(
                4,
                EntryKind::Action {
                    outcome: crate::timeline::model::ActionOutcome::Worked,
                },
                "rolled back",
                false,
            ),
        ];
        assert_eq!(engineering_updates_after(&entries, 2), [4]);
        assert!(engineering_updates_after(&entries, 4).is_empty());
    }

    #[test]
    fn placeholders_fill_and_unknown_ones_are_named() {
        use crate::comms::model::unknown_placeholders;
        let values = |name: &str| (name == "status").then(|| "Monitoring".to_owned());
        assert_eq!(
            fill("{{status}}: {{ nope }} {{", &values),
            "Monitoring: {{ nope }} {{"
        );
        assert_eq!(
            unknown_placeholders("{{status}} {{eta}} {{components}} {{x}}"),
            ["eta", "x"]
        );
        for status in CustomerStatus::ALL {
            let t = default_template(status);
            for text in [&t.subject, &t.body, &t.short_text] {
                assert!(unknown_placeholders(text).is_empty(), "{text}");
            }
        }
    }

    #[test]
    fn a_tier_template_wins_over_the_general_one_and_the_built_in() {
        let general = Template {
            subject: "general".into(),
            ..default_template(CustomerStatus::Investigating)
        };
        let enterprise = Template {
            tier: Some(Tier::Enterprise),
            subject: "enterprise".into(),
            ..default_template(CustomerStatus::Investigating)
        };
        let saved = vec![general, enterprise];
        let pick = |tier| pick_template(&saved, CustomerStatus::Investigating, tier).subject;
        assert_eq!(pick(Some(Tier::Enterprise)), "enterprise");
        assert_eq!(pick(Some(Tier::Business)), "general");
        assert!(pick_template(&saved, CustomerStatus::Resolved, None)
            .subject
            .starts_with("[Resolved]"));
    }

    #[test]
    fn times_on_another_day_carry_the_date() {
        let now = at("2026-12-01T23:00:00Z");
        assert_eq!(
            local_time(at("2026-12-01T23:30:00Z"), now, chrono_tz::UTC),
            "23:30 UTC"
        );
        assert_eq!(
            local_time(at("2026-12-02T00:30:00Z"), now, chrono_tz::UTC),
            "Wed 2 Dec 00:30 UTC"
        );
        assert_eq!(
            local_time(
                at("2026-12-01T23:30:00Z"),
                now,
                chrono_tz::America::New_York
            ),
            "18:30 EST"
        );
    }
}
