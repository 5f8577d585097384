//! The checks a message passes before it is sent: not a duplicate of what the same
//! customers were just told, not ahead of engineering, not backwards without saying
//! so, no promise already past, nothing named outside the incident's impact. Pure:
//! the service gathers the facts and decides what an override allows.

use super::model::{CustomerStatus, Guard, GuardFinding};
use chrono::{DateTime, Duration, Utc};

/// Near-identical text to the same customers within this long is a duplicate.
pub const DUPLICATE_WINDOW_HOURS: i64 = 6;
/// Sørensen–Dice similarity (0–1) of normalised text above which two messages are
/// the same message.
pub const DUPLICATE_SIMILARITY: f64 = 0.9;
/// Words that say a message reports a step back ("the problem has returned").
const SAYS_BACKWARDS: &[&str] = &["again", "reopen", "recur", "returned", "regress", "back to"];

/// A message already sent, as the guards compare with it.
#[derive(Debug, Clone)]
pub struct SentMessage {
    pub id: i64,
    /// Account ids it went to.
    pub accounts: Vec<i64>,
    pub customer_status: CustomerStatus,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// The message about to be sent.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Account ids it goes to.
    pub accounts: &'a [i64],
    pub customer_status: CustomerStatus,
    pub subject: &'a str,
    pub body: &'a str,
    pub short_text: &'a str,
    pub next_update_at: Option<DateTime<Utc>>,
}

/// What the incident is, as the guards see it.
#[derive(Debug, Clone)]
pub struct Impact<'a> {
    /// Where engineering is, as customers would be told.
    pub engineering: CustomerStatus,
    /// Customer-facing names of the affected systems and names of the impacted accounts.
    pub inside: &'a [String],
    /// The same names for every other system and account in the catalog.
    pub outside: &'a [String],
}

/// Every guard that holds `candidate` back, in `Guard::ALL` order.
pub fn check(
    candidate: &Candidate,
    sent: &[SentMessage],
    impact: &Impact,
    now: DateTime<Utc>,
) -> Vec<GuardFinding> {
    let mut findings = Vec::new();
    let overlaps = |m: &&SentMessage| m.accounts.iter().any(|a| candidate.accounts.contains(a));
    let same_customers: Vec<&SentMessage> = sent.iter().filter(overlaps).collect();

    let normalised = normalise(candidate.body);
    let window = Duration::hours(DUPLICATE_WINDOW_HOURS);
    if let Some(earlier) = same_customers
        .iter()
        .filter(|m| now - m.sent_at <= window)
        .find(|m| similarity(&normalised, &normalise(&m.body)) >= DUPLICATE_SIMILARITY)
    {
        findings.push(GuardFinding {
            guard: Guard::Duplicate,
            reason: format!(
                "The same text went to these customers at {} (message #{})",
                earlier.sent_at.format("%H:%M UTC"),
                earlier.id
            ),
            earlier: Some(earlier.id),
        });
    }

    if candidate.customer_status > impact.engineering {
        findings.push(GuardFinding {
            guard: Guard::AheadOfEngineering,
            reason: format!(
                "The message says {} while engineering is still at {}",
                candidate.customer_status, impact.engineering
            ),
            earlier: None,
        });
    }

    if let Some(last) = same_customers.iter().max_by_key(|m| (m.sent_at, m.id)) {
        let text = format!("{} {}", candidate.subject, candidate.body).to_lowercase();
        let says_so = SAYS_BACKWARDS.iter().any(|word| text.contains(word));
        if candidate.customer_status < last.customer_status && !says_so {
            findings.push(GuardFinding {
                guard: Guard::Backwards,
                reason: format!(
                    "These customers were told {} (message #{}); this says {} without saying the problem came back",
                    last.customer_status, last.id, candidate.customer_status
                ),
                earlier: Some(last.id),
            });
        }
    }

    if let Some(promised) = candidate.next_update_at {
        if promised <= now && candidate.customer_status != CustomerStatus::Resolved {
            findings.push(GuardFinding {
                guard: Guard::PastPromise,
                reason: format!(
                    "It promises the next update by {}, which is already past",
                    promised.format("%H:%M UTC")
                ),
                earlier: None,
            });
        }
    }

    let text = format!(
        "{}\n{}\n{}",
        candidate.subject, candidate.body, candidate.short_text
    );
    let named: Vec<&str> = impact
        .outside
        .iter()
        .map(String::as_str)
        // A name inside an impacted one ("API" in "Payments API") is not evidence.
        .filter(|name| {
            !impact
                .inside
                .iter()
                .any(|inside| contains_word(inside, name))
        })
        .filter(|name| contains_word(&text, name))
        .collect();
    if !named.is_empty() {
        findings.push(GuardFinding {
            guard: Guard::OutsideImpact,
            reason: format!(
                "It names {}, which this incident does not impact",
                named.join(", ")
            ),
            earlier: None,
        });
    }
    findings
}

/// Lower case, letters and digits only, single spaces: what "the same text" compares.
pub fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Similarity of two normalised texts, 0 (nothing alike) to 1 (identical).
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    strsim::sorensen_dice(a, b)
}

/// Whether `name` occurs in `text` as whole words, ignoring case.
pub fn contains_word(text: &str, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return false;
    }
    let text = text.to_lowercase();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    text.match_indices(&name).any(|(at, _)| {
        boundary(text[..at].chars().next_back()) && boundary(text[at + name.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn sent(id: i64, status: CustomerStatus, body: &str, time: &str) -> SentMessage {
        SentMessage {
            id,
            accounts: vec![1, 2],
            customer_status: status,
            body: body.into(),
            sent_at: at(time),
        }
    }

    fn candidate<'a>(status: CustomerStatus, body: &'a str) -> Candidate<'a> {
        Candidate {
            accounts: &[2],
            customer_status: status,
            subject: "Update",
            body,
            short_text: "",
            next_update_at: Some(at("2026-12-01T12:00:00Z")),
        }
    }

    const NOW: &str = "2026-12-01T11:00:00Z";

    fn guards(c: &Candidate, sent: &[SentMessage], engineering: CustomerStatus) -> Vec<Guard> {
        let inside = vec!["Checkout".to_owned(), "Acme Corp".to_owned()];
        let outside = vec!["Reporting".to_owned(), "Globex".to_owned()];
        let impact = Impact {
            engineering,
            inside: &inside,
            outside: &outside,
        };
        check(c, sent, &impact, at(NOW))
            .into_iter()
            .map(|f| f.guard)
            .collect()
    }

    use CustomerStatus::*;

    #[test]
    fn a_clean_message_passes() {
        let earlier = [sent(
            1,
            Investigating,
            "We are looking into it.",
            "2026-12-01T10:30:00Z",
        )];
        let c = candidate(Identified, "We found the cause of the Checkout problem.");
        assert!(guards(&c, &earlier, Identified).is_empty());
    }

    #[test]
    fn the_same_text_to_the_same_customers_is_a_duplicate_whatever_the_case_and_spacing() {
        let earlier = [sent(
            4,
            Identified,
            "We found the cause; a fix is rolling out.",
            "2026-12-01T10:30:00Z",
        )];
        let c = candidate(Identified, "we found the   cause, a fix is rolling out");
        assert_eq!(guards(&c, &earlier, Identified), [Guard::Duplicate]);
        // Other customers, or long ago: not a duplicate.
        let mut elsewhere = earlier.clone();
        elsewhere[0].accounts = vec![9];
        assert!(guards(&c, &elsewhere, Identified).is_empty());
        let old = [sent(
            4,
            Identified,
            "We found the cause; a fix is rolling out.",
            "2026-12-01T04:00:00Z",
        )];
        assert!(guards(&c, &old, Identified).is_empty());
    }

    #[test]
    fn saying_resolved_or_monitoring_before_engineering_is_ahead() {
        let c = candidate(Monitoring, "A fix is in place.");
        assert_eq!(guards(&c, &[], Investigating), [Guard::AheadOfEngineering]);
        let mut c = candidate(Resolved, "All fixed.");
        c.next_update_at = None;
        assert_eq!(guards(&c, &[], Monitoring), [Guard::AheadOfEngineering]);
    }

    #[test]
    fn going_back_needs_saying_so() {
        let earlier = [sent(
            2,
            Monitoring,
            "A fix is in place.",
            "2026-12-01T10:30:00Z",
        )];
        let c = candidate(Investigating, "We are investigating errors.");
        assert_eq!(guards(&c, &earlier, Investigating), [Guard::Backwards]);
        let c = candidate(
            Investigating,
            "The errors have returned; we are investigating.",
        );
        assert!(guards(&c, &earlier, Investigating).is_empty());
    }

    #[test]
    fn a_next_update_time_already_past_is_refused() {
        let mut c = candidate(Identified, "Working on it.");
        c.next_update_at = Some(at("2026-12-01T10:45:00Z"));
        assert_eq!(guards(&c, &[], Identified), [Guard::PastPromise]);
    }

    #[test]
    fn naming_a_component_or_account_outside_the_impact_is_refused() {
        let c = candidate(Identified, "Checkout and reporting are slow for Globex.");
        let inside = vec!["Checkout".to_owned()];
        let outside = vec![
            "Reporting".to_owned(),
            "Globex".to_owned(),
            "Check".to_owned(),
        ];
        let impact = Impact {
            engineering: Identified,
            inside: &inside,
            outside: &outside,
        };
        let findings = check(&c, &[], &impact, at(NOW));
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].guard, Guard::OutsideImpact);
        assert_eq!(
            findings[0].reason,
            "It names Reporting, Globex, which this incident does not impact"
        );
    }

    #[test]
    fn words_match_whole() {
        assert!(contains_word("Checkout is down", "checkout"));
        assert!(!contains_word("Checkouts are down", "checkout"));
        assert!(contains_word("(API) down", "api"));
        assert!(!contains_word("rapid", "api"));
        assert!(!contains_word("anything", ""));
    }
}
