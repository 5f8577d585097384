//! Timeline entries, shared by server and browser, and the rules for posting one.

use crate::catalog::model::Tier;
use crate::error::{AppError, Invalid};
use crate::incidents::model::{IncidentId, IncidentStatus, Role, Severity};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Database id of a timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntryId(pub i64);

/// What an attempted action achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ActionOutcome {
    Worked,
    DidNotWork,
    Unknown,
}

impl FromStr for ActionOutcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "worked" => Ok(ActionOutcome::Worked),
            "did_not_work" => Ok(ActionOutcome::DidNotWork),
            "unknown" | "" => Ok(ActionOutcome::Unknown),
            _ => Err(format!(
                "unknown outcome {s:?}: choose worked, did_not_work or unknown"
            )),
        }
    }
}

/// The kind of entry, with what only that kind carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    /// The incident was declared (always seq 1).
    Declared { severity: Severity },
    /// Engineering progress.
    Update,
    /// Context that is not progress (CS notes, links, asides).
    Note,
    /// Something tried, and whether it worked.
    Action { outcome: ActionOutcome },
    /// Something learned; `root_cause` marks the cause for the post-mortem.
    Finding { root_cause: bool },
    StatusChange {
        from: IncidentStatus,
        to: IncidentStatus,
        reason: Option<String>,
    },
    SeverityChange {
        from: Severity,
        to: Severity,
        reason: Option<String>,
    },
    /// A role changed hands; names as they were at the time.
    RoleChange {
        role: Role,
        from: Option<String>,
        to: Option<String>,
    },
    /// Systems or accounts were added or removed, or the impacted tier changed.
    ImpactChange {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        systems_added: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        systems_removed: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        accounts_added: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        accounts_removed: Vec<String>,
        tier_from: Option<Tier>,
        tier_to: Option<Tier>,
    },
    /// An account's SLA clock changed state (written by the server).
    Sla {
        account: String,
        clock: crate::sla::model::ClockKind,
        from: crate::sla::model::ClockState,
        to: crate::sla::model::ClockState,
    },
    /// A message customers were sent (written by comms when it is sent; the body is
    /// its text), so engineering sees exactly what customers were told.
    CustomerMessage {
        /// The message's id in the communication log.
        message: i64,
        /// Who it went to, in words ("all impacted accounts").
        audience: String,
        /// investigating, identified, monitoring or resolved.
        customer_status: String,
        /// Set when this message corrects (retracts) an earlier one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retracts: Option<i64>,
    },
    /// The alert that opened the incident fired again, resolved or changed at its
    /// source (written by alert intake); repeats within a minute are counted into one.
    Alert {
        /// The integration's name.
        source: String,
        /// firing, resolved or update.
        state: String,
        /// How many deliveries this entry stands for (1, or more when repeats were
        /// counted rather than each written).
        #[serde(default = "one")]
        repeats: i64,
    },
    /// The post-mortem moved in its review (written by the post-mortem feature).
    #[serde(rename = "postmortem")]
    PostMortem {
        step: PostMortemStep,
        /// The document's version the step was taken on.
        version: i64,
    },
}

fn one() -> i64 {
    1
}

/// A step in a post-mortem's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PostMortemStep {
    SentForReview,
    Approved,
    Published,
    Reopened,
}

impl PostMortemStep {
    /// In words, after the document: "Post-mortem sent for review".
    pub fn label(self) -> &'static str {
        match self {
            PostMortemStep::SentForReview => "sent for review",
            PostMortemStep::Approved => "approved",
            PostMortemStep::Published => "published",
            PostMortemStep::Reopened => "reopened for a new version",
        }
    }
}

impl EntryKind {
    /// The stored kind name.
    pub fn name(&self) -> &'static str {
        match self {
            EntryKind::Declared { .. } => "declared",
            EntryKind::Update => "update",
            EntryKind::Note => "note",
            EntryKind::Action { .. } => "action",
            EntryKind::Finding { .. } => "finding",
            EntryKind::StatusChange { .. } => "status_change",
            EntryKind::SeverityChange { .. } => "severity_change",
            EntryKind::RoleChange { .. } => "role_change",
            EntryKind::ImpactChange { .. } => "impact_change",
            EntryKind::Sla { .. } => "sla",
            EntryKind::CustomerMessage { .. } => "customer_message",
            EntryKind::PostMortem { .. } => "postmortem",
            EntryKind::Alert { .. } => "alert",
        }
    }

    /// Entries people write (and may correct or remove); the rest record changes.
    /// What posting or correcting an entry of this kind takes.
    pub fn permission(&self) -> crate::identity::model::Action {
        use crate::identity::model::Action;
        match self {
            EntryKind::Note => Action::PostNote,
            _ => Action::PostUpdate,
        }
    }

    pub fn is_written(&self) -> bool {
        matches!(
            self,
            EntryKind::Update
                | EntryKind::Note
                | EntryKind::Action { .. }
                | EntryKind::Finding { .. }
        )
    }

    /// Engineering work on the incident: the first one acknowledges it.
    pub fn acknowledges(&self) -> bool {
        matches!(
            self,
            EntryKind::Update | EntryKind::Action { .. } | EntryKind::Finding { .. }
        )
    }
}

/// One entry as readers see it: its current revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub id: EntryId,
    pub incident: IncidentId,
    /// Position in the incident's event order; gap-free per incident.
    pub seq: i64,
    #[serde(flatten)]
    pub kind: EntryKind,
    pub author: String,
    /// Markdown, as written.
    pub body: String,
    /// `body` rendered and sanitised on the server.
    pub body_html: String,
    /// When it really happened, if the author said so.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the server stored it.
    pub recorded_at: DateTime<Utc>,
    /// A hint for CS that this may be shared with customers.
    pub customer_visible: bool,
    /// 1 for the original text, +1 per correction.
    pub revision: i64,
    /// Set when the entry was removed: its text is then withheld from readers.
    pub redaction: Option<Redaction>,
}

/// Who removed an entry, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Redaction {
    pub author: String,
    pub reason: String,
    pub recorded_at: DateTime<Utc>,
}

/// One version of an entry's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Revision {
    pub revision: i64,
    pub author: String,
    pub body: String,
    pub recorded_at: DateTime<Utc>,
}

/// Raw input for a human-written entry (form or API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostEntry {
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub body: String,
    /// update (default), note, action or finding.
    #[serde(default)]
    pub kind: Option<String>,
    /// For actions: worked, did_not_work or unknown (default).
    #[serde(default)]
    pub outcome: Option<String>,
    /// For findings: whether this is the root cause.
    #[serde(default)]
    pub root_cause: Option<bool>,
    #[serde(default)]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub customer_visible: Option<bool>,
    /// A retried post with the same key is stored once.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// A validated entry, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub author: String,
    pub body: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub customer_visible: bool,
    pub idempotency_key: Option<String>,
}

/// Largest entry body, in bytes.
pub const BODY_MAX_BYTES: usize = 64 * 1024;
/// Longest idempotency key, in characters.
pub const IDEMPOTENCY_KEY_MAX_CHARS: usize = 200;
/// Clock skew tolerated before an `occurred_at` counts as "in the future".
const FUTURE_TOLERANCE_SECONDS: i64 = 60;

/// Checks a body: present and not too large.
pub fn check_body(body: &str, invalid: &mut Invalid) -> String {
    let body = body.trim();
    if body.is_empty() {
        invalid.add("body", "Write what happened");
    } else if body.len() > BODY_MAX_BYTES {
        invalid.add(
            "body",
            format!(
                "Text is too long: {} KB, at most {} KB",
                body.len().div_ceil(1024),
                BODY_MAX_BYTES / 1024
            ),
        );
    }
    body.to_owned()
}

/// Checks that a reported time is not in the future.
pub fn check_not_future(
    field: &str,
    at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    invalid: &mut Invalid,
) {
    if let Some(at) = at {
        if at > now + Duration::seconds(FUTURE_TOLERANCE_SECONDS) {
            invalid.add(field, "Cannot be in the future");
        }
    }
}

impl NewEntry {
    /// Validates a human-written entry, naming every field that is wrong.
    /// `author` is the signed-in user's name: never taken from the input.
    pub fn parse(
        input: &PostEntry,
        author: &str,
        now: DateTime<Utc>,
    ) -> Result<NewEntry, AppError> {
        let mut invalid = Invalid::default();
        invalid.echo("body", &input.body);
        let body = check_body(&input.body, &mut invalid);
        check_not_future("occurred_at", input.occurred_at, now, &mut invalid);

        let outcome = match input.outcome.as_deref().map(str::parse::<ActionOutcome>) {
            Some(Err(message)) => {
                invalid.add("outcome", message);
                None
            }
            Some(Ok(outcome)) => Some(outcome),
            None => None,
        };
        let kind = match input.kind.as_deref().unwrap_or("update") {
            "update" | "" => Some(EntryKind::Update),
            "note" => Some(EntryKind::Note),
            "action" => Some(EntryKind::Action {
                outcome: outcome.unwrap_or(ActionOutcome::Unknown),
            }),
            "finding" => Some(EntryKind::Finding {
                root_cause: input.root_cause.unwrap_or(false),
            }),
            other => {
                invalid.add(
                    "kind",
                    format!("unknown kind {other:?}: choose update, note, action or finding"),
                );
                None
            }
        };
        if outcome.is_some() && !matches!(kind, Some(EntryKind::Action { .. })) {
            invalid.add("outcome", "Only an action has an outcome");
        }
        if input.root_cause == Some(true) && !matches!(kind, Some(EntryKind::Finding { .. })) {
            invalid.add("root_cause", "Only a finding can be the root cause");
        }
        let idempotency_key = input
            .idempotency_key
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty());
        if idempotency_key.is_some_and(|k| k.chars().count() > IDEMPOTENCY_KEY_MAX_CHARS) {
            invalid.add(
                "idempotency_key",
                format!("Too long: at most {IDEMPOTENCY_KEY_MAX_CHARS} characters"),
            );
        }
        match kind {
            Some(kind) if invalid.fields.is_empty() => Ok(NewEntry {
                kind,
                author: author.to_owned(),
                body,
                occurred_at: input.occurred_at,
                customer_visible: input.customer_visible.unwrap_or(false),
                idempotency_key: idempotency_key.map(str::to_owned),
            }),
            _ => Err(AppError::Invalid(invalid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn post(body: &str) -> PostEntry {
        PostEntry {
            body: body.into(),
            ..Default::default()
        }
    }

    fn field(result: Result<NewEntry, AppError>, name: &str) -> String {
        result
            .unwrap_err()
            .invalid()
            .and_then(|i| i.field(name))
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn plain_body_is_an_update_by_the_author() {
        let entry = NewEntry::parse(&post("  Rolled back 1.42  "), "Ada", now()).unwrap();
        assert_eq!(entry.kind, EntryKind::Update);
        assert_eq!(entry.body, "Rolled back 1.42");
        assert_eq!(entry.author, "Ada");
        assert!(!entry.customer_visible);
        assert_eq!(entry.idempotency_key, None);
    }

    #[test]
    fn action_and_finding_carry_their_details() {
        let action = PostEntry {
            kind: Some("action".into()),
            outcome: Some("did_not_work".into()),
            ..post("Restarted the pods")
        };
        assert_eq!(
            NewEntry::parse(&action, "Ada", now()).unwrap().kind,
            EntryKind::Action {
                outcome: ActionOutcome::DidNotWork
            }
        );
        let finding = PostEntry {
            kind: Some("finding".into()),
            root_cause: Some(true),
            ..post("Expired cert")
        };
        assert_eq!(
            NewEntry::parse(&finding, "Ada", now()).unwrap().kind,
            EntryKind::Finding { root_cause: true }
        );
        let bare_action = PostEntry {
            kind: Some("action".into()),
            ..post("Flushed cache")
        };
        assert_eq!(
            NewEntry::parse(&bare_action, "Ada", now()).unwrap().kind,
            EntryKind::Action {
                outcome: ActionOutcome::Unknown
            }
        );
    }

    #[test]
    fn bad_fields_are_named() {
        assert_eq!(
            field(NewEntry::parse(&post("   "), "Ada", now()), "body"),
            "Write what happened"
        );
        let huge = post(&"x".repeat(BODY_MAX_BYTES + 1));
        assert!(field(NewEntry::parse(&huge, "Ada", now()), "body").starts_with("Text is too long"));
        let kind = PostEntry {
            kind: Some("status_change".into()),
            ..post("x")
        };
        assert!(field(NewEntry::parse(&kind, "Ada", now()), "kind")
            .contains("unknown kind \"status_change\""));
        let outcome = PostEntry {
            outcome: Some("worked".into()),
            ..post("x")
        };
        assert_eq!(
            field(NewEntry::parse(&outcome, "Ada", now()), "outcome"),
            "Only an action has an outcome"
        );
        let bad_outcome = PostEntry {
            kind: Some("action".into()),
            outcome: Some("maybe".into()),
            ..post("x")
        };
        assert!(
            field(NewEntry::parse(&bad_outcome, "Ada", now()), "outcome")
                .contains("unknown outcome")
        );
        let root = PostEntry {
            root_cause: Some(true),
            ..post("x")
        };
        assert_eq!(
            field(NewEntry::parse(&root, "Ada", now()), "root_cause"),
            "Only a finding can be the root cause"
        );
        let future = PostEntry {
            occurred_at: Some(now() + Duration::minutes(5)),
            ..post("x")
        };
        assert_eq!(
            field(NewEntry::parse(&future, "Ada", now()), "occurred_at"),
            "Cannot be in the future"
        );
        let key = PostEntry {
            idempotency_key: Some("k".repeat(201)),
            ..post("x")
        };
        assert!(
            field(NewEntry::parse(&key, "Ada", now()), "idempotency_key").contains("at most 200")
        );
    }

    #[test]
    fn past_occurred_at_and_small_skew_are_accepted() {
        let past = PostEntry {
            occurred_at: Some(now() - Duration::hours(2)),
            ..post("x")
        };
        assert!(NewEntry::parse(&past, "Ada", now()).is_ok());
        let skew = PostEntry {
            occurred_at: Some(now() + Duration::seconds(30)),
            ..post("x")
        };
        assert!(NewEntry::parse(&skew, "Ada", now()).is_ok());
    }

    #[test]
    fn kind_serialises_flat_with_its_details() {
        let kind = EntryKind::StatusChange {
            from: IncidentStatus::Fixing,
            to: IncidentStatus::Monitoring,
            reason: None,
        };
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "status_change", "from": "fixing", "to": "monitoring", "reason": null})
        );
        assert_eq!(serde_json::from_value::<EntryKind>(json).unwrap(), kind);
        assert_eq!(kind.name(), "status_change");
    }
}
