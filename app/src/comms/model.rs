//! Customer communication types shared by server and browser: what customers are
//! told, to whom, in which state, and what the schedule says is due.

use crate::catalog::model::{Person, Tier};
use crate::incidents::model::IncidentStatus;
use crate::notify::model::{Channel, DeliveryStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The status customers are told, a coarser view of the incident's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CustomerStatus {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl CustomerStatus {
    /// Every customer status, in lifecycle order.
    pub const ALL: [CustomerStatus; 4] = [
        CustomerStatus::Investigating,
        CustomerStatus::Identified,
        CustomerStatus::Monitoring,
        CustomerStatus::Resolved,
    ];

    /// What customers are told while the incident is in `status`: fixing is still
    /// "identified" to them.
    pub fn of_incident(status: IncidentStatus) -> CustomerStatus {
        match status {
            IncidentStatus::Investigating => CustomerStatus::Investigating,
            IncidentStatus::Identified | IncidentStatus::Fixing => CustomerStatus::Identified,
            IncidentStatus::Monitoring => CustomerStatus::Monitoring,
            IncidentStatus::Resolved => CustomerStatus::Resolved,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerStatus::Investigating => "investigating",
            CustomerStatus::Identified => "identified",
            CustomerStatus::Monitoring => "monitoring",
            CustomerStatus::Resolved => "resolved",
        }
    }

    /// As customers read it.
    pub fn label(self) -> &'static str {
        match self {
            CustomerStatus::Investigating => "Investigating",
            CustomerStatus::Identified => "Identified",
            CustomerStatus::Monitoring => "Monitoring",
            CustomerStatus::Resolved => "Resolved",
        }
    }
}

impl fmt::Display for CustomerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CustomerStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CustomerStatus::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown customer status {s:?}: choose investigating, identified, monitoring or resolved"
                )
            })
    }
}

/// Where a message stands: draft → in review → approved → sent, or rejected; a sent
/// message can be retracted by a correction (itself a sent message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Draft,
    InReview,
    Approved,
    Sent,
    Rejected,
    Retracted,
}

impl MessageState {
    pub const ALL: [MessageState; 6] = [
        MessageState::Draft,
        MessageState::InReview,
        MessageState::Approved,
        MessageState::Sent,
        MessageState::Rejected,
        MessageState::Retracted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Draft => "draft",
            MessageState::InReview => "in_review",
            MessageState::Approved => "approved",
            MessageState::Sent => "sent",
            MessageState::Rejected => "rejected",
            MessageState::Retracted => "retracted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageState::Draft => "Draft",
            MessageState::InReview => "In review",
            MessageState::Approved => "Approved",
            MessageState::Sent => "Sent",
            MessageState::Rejected => "Rejected",
            MessageState::Retracted => "Retracted",
        }
    }

    /// Still being worked on: at most one such message per audience per incident.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            MessageState::Draft | MessageState::InReview | MessageState::Approved
        )
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MessageState::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| format!("unknown message state {s:?}"))
    }
}

/// Who a message goes to, among the incident's impacted accounts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Audience {
    /// Every impacted account.
    All,
    /// The impacted accounts of one tier.
    Tier { tier: Tier },
    /// Chosen impacted accounts, by slug.
    Accounts { accounts: Vec<String> },
}

impl Audience {
    /// The same audience always has the same key (accounts sorted): what "one open
    /// message per audience" and the duplicate guard compare.
    pub fn key(&self) -> String {
        match self {
            Audience::All => "all".into(),
            Audience::Tier { tier } => format!("tier:{tier}"),
            Audience::Accounts { accounts } => {
                let mut sorted = accounts.clone();
                sorted.sort();
                sorted.dedup();
                format!("accounts:{}", sorted.join(","))
            }
        }
    }

    /// In words, for people and the timeline.
    pub fn describe(&self) -> String {
        match self {
            Audience::All => "all impacted accounts".into(),
            Audience::Tier { tier } => format!("impacted {tier} accounts"),
            Audience::Accounts { accounts } => accounts.join(", "),
        }
    }
}

/// A guard that can hold a message back before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// The same (or nearly the same) text already went to this audience recently.
    Duplicate,
    /// Says resolved or monitoring while engineering is not there yet.
    AheadOfEngineering,
    /// A status earlier than what this audience was last told, without saying so.
    Backwards,
    /// Promises a next update at a time already past.
    PastPromise,
    /// Names a component or account outside the incident's impact.
    OutsideImpact,
}

impl Guard {
    pub const ALL: [Guard; 5] = [
        Guard::Duplicate,
        Guard::AheadOfEngineering,
        Guard::Backwards,
        Guard::PastPromise,
        Guard::OutsideImpact,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Guard::Duplicate => "duplicate",
            Guard::AheadOfEngineering => "ahead_of_engineering",
            Guard::Backwards => "backwards",
            Guard::PastPromise => "past_promise",
            Guard::OutsideImpact => "outside_impact",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Guard::Duplicate => "Duplicate",
            Guard::AheadOfEngineering => "Ahead of engineering",
            Guard::Backwards => "Goes backwards",
            Guard::PastPromise => "Promise already past",
            Guard::OutsideImpact => "Outside the impact",
        }
    }
}

impl FromStr for Guard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Guard::ALL
            .into_iter()
            .find(|g| g.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown guard {s:?}: choose duplicate, ahead_of_engineering, backwards, past_promise or outside_impact"
                )
            })
    }
}

/// Why a guard holds a message back, and the earlier message it conflicts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuardFinding {
    pub guard: Guard,
    pub reason: String,
    /// The earlier message's id, when the finding is about one.
    pub earlier: Option<i64>,
}

/// The owner's decision to send despite a guard, with why (logged on the send).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GuardOverride {
    /// duplicate, ahead_of_engineering, backwards, past_promise or outside_impact.
    #[cfg_attr(feature = "ssr", schema(value_type = Guard))]
    pub guard: String,
    /// Why it is sent anyway (required, at most 2,000 characters).
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 2000))]
    pub reason: String,
}

/// One version of a message's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageVersion {
    pub version: i64,
    pub customer_status: CustomerStatus,
    pub subject: String,
    pub body: String,
    pub short_text: String,
    /// generated (from the timeline) or edited (by a person).
    pub origin: String,
    pub author: String,
    pub recorded_at: DateTime<Utc>,
}

/// One move of a message's state, by whom and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Transition {
    pub from: Option<MessageState>,
    pub to: MessageState,
    pub actor: String,
    pub comment: Option<String>,
    /// Guards overridden on this move (a send), each with its reason.
    pub overrides: Vec<GuardOverride>,
    pub at: DateTime<Utc>,
}

/// A message's delivery to one recipient over one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerDelivery {
    /// The account's slug.
    pub account: String,
    pub channel: Channel,
    /// The contact's address, or the account's webhook URL.
    pub target: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// Sent along (webhook header, email Message-ID) so a redelivery can be dropped.
    pub idempotency_key: String,
}

/// A customer message with its history, as the log and the war room show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CustomerMessage {
    pub id: i64,
    /// The incident's key.
    pub incident: String,
    pub audience: Audience,
    pub audience_label: String,
    pub state: MessageState,
    pub customer_status: CustomerStatus,
    pub subject: String,
    pub body: String,
    pub short_text: String,
    pub version: i64,
    /// The newest engineering entry (seq) when the text was last generated.
    pub based_on_seq: i64,
    /// Seqs of the timeline entries the text came from.
    pub sources: Vec<i64>,
    /// Engineering entries that landed after the text was generated (not for sent
    /// messages): the draft is stale while this is non-empty.
    pub newer_entries: Vec<i64>,
    pub next_update_at: Option<DateTime<Utc>>,
    /// Its audience includes a tier whose policy asks for a second person's approval.
    pub needs_approval: bool,
    /// The earlier message this one corrects.
    pub retracts: Option<i64>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub versions: Vec<MessageVersion>,
    pub transitions: Vec<Transition>,
    pub deliveries: Vec<CustomerDelivery>,
    /// Slugs of the accounts a sent message went to.
    pub accounts: Vec<String>,
    /// For a message not sent yet: what the guards would hold it back for now.
    #[serde(default)]
    pub guards: Vec<GuardFinding>,
    /// The reader wrote a version of it (so may not approve it).
    #[serde(default)]
    pub written_by_you: bool,
}

impl CustomerMessage {
    /// A newer engineering update landed after the text was generated.
    pub fn is_stale(&self) -> bool {
        self.state.is_open() && !self.newer_entries.is_empty()
    }
}

/// Who paused a schedule, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchedulePause {
    pub by: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// The incident's customer-update schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommsSchedule {
    /// Minutes between updates now in force.
    pub interval_min: i64,
    /// The tightest `update_min` among the impacted accounts' SLA policies for the
    /// current severity (60 when none has a policy).
    pub default_interval_min: i64,
    /// CS chose the interval (else it follows the default).
    pub interval_overridden: bool,
    /// When the next customer update is due.
    pub next_due_at: DateTime<Utc>,
    /// CS set the next due time by hand.
    pub due_overridden: bool,
    /// The last message sent (or the incident's start) the interval counts from.
    pub anchor_at: DateTime<Utc>,
    pub paused: Option<SchedulePause>,
    /// False once the incident is resolved: nothing more falls due.
    pub active: bool,
}

/// An account's update cadence: time since its last message against its own
/// `update_min`, and how the gaps so far measured up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CadenceClock {
    pub account: String,
    pub account_name: String,
    pub tier: Tier,
    pub update_min: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    /// When this account must hear from us next.
    pub due_at: DateTime<Utc>,
    /// Gaps between updates (from the start) within `update_min`.
    pub met: i64,
    /// Gaps longer than `update_min`, the running one included once it is over.
    pub missed: i64,
}

/// Everything the war room's communication panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommsOverview {
    pub incident: String,
    /// The server's time when this was read (countdowns start from it).
    pub read_at: DateTime<Utc>,
    pub owner: Option<Person>,
    /// A P1/P2 with impacted accounts and nobody owning communication.
    pub owner_missing: bool,
    /// None while the incident impacts no account.
    pub schedule: Option<CommsSchedule>,
    pub cadence: Vec<CadenceClock>,
    /// Newest first.
    pub messages: Vec<CustomerMessage>,
    /// Who the owner role is offered to: (email, "Name (role)"), customer success and
    /// engineers.
    pub owner_choices: Vec<(String, String)>,
}

/// An open incident's next customer update, for the CS view across incidents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DueUpdate {
    pub incident: String,
    pub title: String,
    pub severity: crate::incidents::model::Severity,
    /// The communications owner's name.
    pub owner: Option<String>,
    pub next_due_at: DateTime<Utc>,
    pub interval_min: i64,
    /// Why updates are paused, when they are.
    pub paused: Option<String>,
}

/// Raw input for a new draft. Text left out is generated from the timeline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DraftInput {
    /// All impacted accounts when absent.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// investigating, identified, monitoring or resolved (generated when absent).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<CustomerStatus>))]
    pub customer_status: Option<String>,
    /// The email subject, at most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub subject: Option<String>,
    /// The email body, at most 16 KB.
    #[serde(default)]
    pub body: Option<String>,
    /// A status line or SMS, at most 320 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 320))]
    pub short_text: Option<String>,
    /// When customers will hear next; the schedule's next due time when absent.
    #[serde(default)]
    pub next_update_at: Option<DateTime<Utc>>,
}

/// Raw input for editing a draft's text (a new version).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    /// investigating, identified, monitoring or resolved (generated when absent).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<CustomerStatus>))]
    pub customer_status: Option<String>,
    /// The email subject, at most 200 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 200))]
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub subject: Option<String>,
    /// The email body, at most 16 KB.
    #[serde(default)]
    pub body: Option<String>,
    /// A status line or SMS, at most 320 characters.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 320))]
    pub short_text: Option<String>,
    #[serde(default)]
    pub next_update_at: Option<DateTime<Utc>>,
}

/// Raw input for moving a message: submit, approve, reject, send or retract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// submit (ask for approval), approve, reject, send, or retract.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = "^(submit|approve|reject|send|retract)$")
    )]
    pub action: String,
    /// Required to reject; for a retraction, the correction customers are sent (at
    /// most 16 KB).
    #[serde(default)]
    pub comment: Option<String>,
    /// Guards to send despite, each with why.
    #[serde(default)]
    pub overrides: Vec<GuardOverride>,
}

/// Raw input for changing the customer-update schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Minutes between updates (5 to 1440); 0 goes back to the SLA default.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 1440))]
    pub interval_min: Option<i64>,
    /// The next update is due then (in the future).
    #[serde(default)]
    pub next_due_at: Option<DateTime<Utc>>,
    /// true pauses (needs `reason`), false resumes.
    #[serde(default)]
    pub paused: Option<bool>,
    /// Why updates pause (at most 2,000 characters).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 2000))]
    pub reason: Option<String>,
}

/// A message template for one customer status (and optionally one tier).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub customer_status: CustomerStatus,
    /// None: for every tier without its own.
    #[serde(default)]
    pub tier: Option<Tier>,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub subject: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub body: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub short_text: String,
}

/// Whether messages to a tier need a second person's approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApprovalPolicy {
    pub tier: Tier,
    pub needs_approval: bool,
}

/// The placeholders a template may use, with what each becomes.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "status",
        "the customer-facing status (Investigating, Identified, …)",
    ),
    (
        "components",
        "the affected components' customer-facing names",
    ),
    (
        "updates",
        "the customer-visible updates since the last message, one per line",
    ),
    (
        "elapsed",
        "how long the incident has lasted (\"1 h 20 min\")",
    ),
    ("started", "when it began, in the zone of the message"),
    ("next_update", "when the next update comes (\"14:30 UTC\")"),
    ("incident", "the incident's key (INC-42)"),
];

/// Replaces each `{{name}}` with its value; unknown names stay as written. Shared:
/// drafts on the server, the template page's live preview in the browser.
pub fn fill(text: &str, values: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                match values(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[open..open + 2 + close + 2]),
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names a template text uses that are not known.
pub fn unknown_placeholders(text: &str) -> Vec<String> {
    let unknown = std::cell::RefCell::new(Vec::new());
    fill(text, &|name| {
        if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
            unknown.borrow_mut().push(name.to_owned());
        }
        Some(String::new())
    });
    unknown.into_inner()
}

/// Example values for a template preview (what a P1 half an hour in would say).
pub fn sample_value(name: &str, status: CustomerStatus) -> Option<String> {
    Some(match name {
        "status" => status.label().to_owned(),
        "components" => "Checkout and Payments".to_owned(),
        "updates" => "- Card payments fail for about a third of attempts\n- The cause is a certificate change at our card processor".to_owned(),
        "elapsed" => "35 min".to_owned(),
        "started" => "14:02 UTC".to_owned(),
        "next_update" => "15:05 UTC".to_owned(),
        "incident" => "INC-42".to_owned(),
        _ => return None,
    })
}

/// Longest subject, in characters.
pub const SUBJECT_MAX_CHARS: usize = 200;
/// Largest message body, in bytes.
pub const MESSAGE_MAX_BYTES: usize = 16 * 1024;
/// Longest short text (SMS, status lines), in characters.
pub const SHORT_MAX_CHARS: usize = 320;
/// Shortest and longest schedule interval, in minutes.
pub const INTERVAL_MIN_MINUTES: i64 = 5;
pub const INTERVAL_MAX_MINUTES: i64 = 1440;
/// Interval when no impacted account's policy sets one.
pub const FALLBACK_INTERVAL_MINUTES: i64 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_see_fixing_as_identified() {
        use IncidentStatus::*;
        let seen: Vec<_> = IncidentStatus::ALL
            .into_iter()
            .map(CustomerStatus::of_incident)
            .map(CustomerStatus::as_str)
            .collect();
        assert_eq!(
            seen,
            [
                "investigating",
                "identified",
                "identified",
                "monitoring",
                "resolved"
            ]
        );
        assert!(CustomerStatus::of_incident(Resolved) > CustomerStatus::of_incident(Fixing));
    }

    #[test]
    fn an_audience_has_one_key_whatever_the_order() {
        let a = Audience::Accounts {
            accounts: vec!["globex".into(), "acme".into(), "acme".into()],
        };
        let b = Audience::Accounts {
            accounts: vec!["acme".into(), "globex".into()],
        };
        assert_eq!(a.key(), b.key());
        assert_eq!(a.key(), "accounts:acme,globex");
        assert_eq!(Audience::All.key(), "all");
        assert_eq!(
            Audience::Tier {
                tier: Tier::Enterprise
            }
            .key(),
            "tier:enterprise"
        );
        let json: Audience = serde_json::from_str(r#"{"kind":"tier","tier":"business"}"#).unwrap();
        assert_eq!(
            json,
            Audience::Tier {
                tier: Tier::Business
            }
        );
    }

    #[test]
    fn guards_and_states_parse_by_name() {
        for guard in Guard::ALL {
            assert_eq!(guard.as_str().parse::<Guard>(), Ok(guard));
        }
        for state in MessageState::ALL {
            assert_eq!(state.as_str().parse::<MessageState>(), Ok(state));
        }
        assert!("nope".parse::<Guard>().unwrap_err().contains("duplicate"));
    }
}
