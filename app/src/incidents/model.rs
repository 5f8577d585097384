//! Incident types shared by server and browser, and the rules for declaring one.

use crate::catalog::model::{Person, Tier};
use crate::error::{AppError, Invalid};
use crate::timeline::model::check_not_future;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Database id of an incident; shown to people as its key, `INC-<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IncidentId(pub i64);

impl IncidentId {
    /// The human-friendly key, e.g. `INC-42`.
    pub fn key(self) -> String {
        format!("INC-{}", self.0)
    }

    /// Parses `INC-42` (case-insensitive prefix) back into an id.
    pub fn from_key(key: &str) -> Option<Self> {
        let (prefix, number) = key.split_once('-')?;
        if !prefix.eq_ignore_ascii_case("INC") {
            return None;
        }
        let id: i64 = number.parse().ok()?;
        (id > 0).then_some(IncidentId(id))
    }
}

/// How bad an incident is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Severity {
    P1,
    P2,
    P3,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 3] = [Severity::P1, Severity::P2, Severity::P3];

    /// The stored and displayed code.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::P1 => "P1",
            Severity::P2 => "P2",
            Severity::P3 => "P3",
        }
    }

    /// One line telling the declarer when to pick this severity.
    pub fn definition(self) -> &'static str {
        match self {
            Severity::P1 => "Critical: product down or data at risk for many customers",
            Severity::P2 => "Major: a key feature is broken or badly degraded",
            Severity::P3 => "Minor: limited impact, a workaround exists",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "P1" => Ok(Severity::P1),
            "P2" => Ok(Severity::P2),
            "P3" => Ok(Severity::P3),
            _ => Err(format!("unknown severity {s:?}: choose P1, P2 or P3")),
        }
    }
}

/// Where an incident is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Investigating,
    Identified,
    Fixing,
    Monitoring,
    Resolved,
}

impl IncidentStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Identified => "identified",
            IncidentStatus::Fixing => "fixing",
            IncidentStatus::Monitoring => "monitoring",
            IncidentStatus::Resolved => "resolved",
        }
    }
}

impl IncidentStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::Investigating,
        IncidentStatus::Identified,
        IncidentStatus::Fixing,
        IncidentStatus::Monitoring,
        IncidentStatus::Resolved,
    ];

    fn rank(self) -> usize {
        self as usize
    }

    /// The next status forward, none once resolved.
    pub fn next(self) -> Option<IncidentStatus> {
        IncidentStatus::ALL.get(self.rank() + 1).copied()
    }

    /// Checks a move to `to`. Forward moves may skip steps; moving back (reopening
    /// included) needs a reason, which the timeline keeps.
    pub fn check_move(self, to: IncidentStatus, reason: Option<&str>) -> Result<(), String> {
        if to == self {
            return Err(format!("The incident is already {self}"));
        }
        let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
        if to.rank() < self.rank() && !has_reason {
            return Err(format!("Moving back from {self} to {to} needs a reason"));
        }
        Ok(())
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for IncidentStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "investigating" => Ok(IncidentStatus::Investigating),
            "identified" => Ok(IncidentStatus::Identified),
            "fixing" => Ok(IncidentStatus::Fixing),
            "monitoring" => Ok(IncidentStatus::Monitoring),
            "resolved" => Ok(IncidentStatus::Resolved),
            _ => Err(format!("unknown status {s:?}")),
        }
    }
}

/// An incident as readers see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Incident {
    pub id: IncidentId,
    /// `INC-<id>`, repeated here for API clients.
    pub key: String,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    /// Markdown, as written.
    pub description: String,
    /// `description` rendered and sanitised on the server.
    pub description_html: String,
    #[serde(flatten)]
    pub lifecycle: Lifecycle,
    /// Slugs of the affected systems.
    pub systems: Vec<String>,
    /// Slugs of the impacted customer accounts.
    pub accounts: Vec<String>,
    /// The most demanding tier impacted, if known.
    pub impacted_tier: Option<Tier>,
    pub source: Source,
    /// Who leads the response.
    pub lead: Option<Person>,
    /// Who owns customer communication.
    pub comms_owner: Option<Person>,
    /// Highest event seq so far: a client that has seen it is up to date.
    pub last_seq: i64,
}

/// A role someone holds on one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the response and decides.
    Lead,
    /// Owns what customers are told.
    CommsOwner,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 2] = [Role::Lead, Role::CommsOwner];

    /// The input field and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Lead => "lead",
            Role::CommsOwner => "comms_owner",
        }
    }

    /// How people call it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Lead => "Incident lead",
            Role::CommsOwner => "Communications owner",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// When the incident passed each milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Lifecycle {
    /// When the problem began; may be earlier than the declaration.
    pub started_at: DateTime<Utc>,
    pub declared_at: DateTime<Utc>,
    /// First status change or first engineering timeline entry.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Entered monitoring (or resolved without it); cleared when moved back before it.
    pub mitigated_at: Option<DateTime<Utc>>,
    /// Cleared on reopen.
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// The milestones after the status moves to `to` at `now`.
    pub fn after_move(&self, to: IncidentStatus, now: DateTime<Utc>) -> Lifecycle {
        let mut next = self.clone();
        next.acknowledged_at.get_or_insert(now);
        match to {
            IncidentStatus::Resolved => {
                next.mitigated_at.get_or_insert(now);
                next.resolved_at = Some(now);
            }
            IncidentStatus::Monitoring => {
                next.mitigated_at.get_or_insert(now);
                next.resolved_at = None;
            }
            _ => {
                next.mitigated_at = None;
                next.resolved_at = None;
            }
        }
        next
    }
}

/// Raw input for declaring an incident (form or API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeclareInput {
    #[cfg_attr(feature = "ssr", schema(pattern = r"^\s*\S([\s\S]{0,198}\S)?\s*$"))]
    pub title: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"^(P1|P2|P3)$"))]
    pub severity: String,
    #[serde(default)]
    pub description: String,
    /// When the problem began, if earlier than now (backdating).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Slugs of the affected systems; their owners are notified.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Slugs of the impacted customer accounts.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// The impacted tier when no account is named (or a higher one than theirs).
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^(|enterprise|business|standard)$")
    )]
    pub customer_tier: Option<String>,
    /// manual (default), cs_report or alert.
    #[serde(default)]
    pub source: Option<String>,
}

/// How an incident came to be declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// An engineer declared it.
    Manual,
    /// Customer success reported a customer problem.
    CsReport,
    /// An alert fired.
    Alert,
}

impl Source {
    /// What declaring from this source takes: customer reports have their own
    /// permission, so customer success can raise them without declaring at large.
    pub fn permission(self) -> crate::identity::model::Action {
        use crate::identity::model::Action;
        match self {
            Source::CsReport => Action::ReportCustomerIssue,
            Source::Manual | Source::Alert => Action::DeclareIncident,
        }
    }

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::CsReport => "cs_report",
            Source::Alert => "alert",
        }
    }
}

impl FromStr for Source {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "manual" | "" => Ok(Source::Manual),
            "cs_report" => Ok(Source::CsReport),
            "alert" => Ok(Source::Alert),
            _ => Err(format!(
                "unknown source {s:?}: choose manual, cs_report or alert"
            )),
        }
    }
}

/// Removes blanks and repeats, keeping the order given.
pub fn unique_slugs(slugs: &[String]) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for slug in slugs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !unique.iter().any(|known| known == slug) {
            unique.push(slug.to_owned());
        }
    }
    unique
}

/// Most systems one incident can name.
pub const SYSTEMS_MAX: usize = 20;
/// Most accounts one incident can name at declaration.
pub const ACCOUNTS_MAX: usize = 500;

/// A validated request to declare an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Declaration {
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub started_at: Option<DateTime<Utc>>,
    pub author: String,
    /// Affected system slugs, without duplicates, in the order given.
    pub systems: Vec<String>,
    /// Impacted account slugs, without duplicates.
    pub accounts: Vec<String>,
    pub customer_tier: Option<Tier>,
    pub source: Source,
}

/// Raw input for changing an incident: status, severity, roles and impact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ChangeInput {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    /// Email of the new incident lead; empty to clear the role.
    #[serde(default)]
    pub lead: Option<String>,
    /// Email of the new communications owner; empty to clear the role.
    #[serde(default)]
    pub comms_owner: Option<String>,
    /// Slugs of systems now affected too; their owners are notified.
    #[serde(default)]
    pub add_systems: Vec<String>,
    /// Slugs of systems no longer considered affected (one must remain).
    #[serde(default)]
    pub remove_systems: Vec<String>,
    /// Slugs of accounts now impacted too.
    #[serde(default)]
    pub add_accounts: Vec<String>,
    /// Slugs of accounts no longer impacted.
    #[serde(default)]
    pub remove_accounts: Vec<String>,
    /// A tier impacted beyond the named accounts'.
    #[serde(default)]
    pub customer_tier: Option<String>,
    /// Why; required when moving the status back.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Longest accepted change reason, in characters.
pub const REASON_MAX_CHARS: usize = 2000;

/// A role to hand over: to the person with this email, or to nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    pub role: Role,
    pub email: Option<String>,
}

/// Systems and accounts to add or remove, and a tier to name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpactChange {
    pub add_systems: Vec<String>,
    pub remove_systems: Vec<String>,
    pub add_accounts: Vec<String>,
    pub remove_accounts: Vec<String>,
    pub customer_tier: Option<Tier>,
}

impl ImpactChange {
    /// Whether anything about the impact changes.
    pub fn is_empty(&self) -> bool {
        *self == ImpactChange::default()
    }
}

/// A validated change; the checks that need the current state happen in the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: Option<IncidentStatus>,
    pub severity: Option<Severity>,
    pub roles: Vec<RoleChange>,
    pub impact: ImpactChange,
    pub reason: Option<String>,
    pub author: String,
}

impl Change {
    /// Parses the raw input, naming every field that is wrong.
    /// `author` is the signed-in user's name: never taken from the input.
    pub fn parse(input: &ChangeInput, author: &str) -> Result<Change, AppError> {
        let mut invalid = Invalid::default();
        // An empty value (a form's "choose…" option) means "not given".
        let given = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let status = given(&input.status).and_then(|s| {
            s.parse::<IncidentStatus>()
                .map_err(|e| invalid.add("status", e))
                .ok()
        });
        let severity = given(&input.severity).and_then(|s| {
            s.parse::<Severity>()
                .map_err(|e| invalid.add("severity", e))
                .ok()
        });
        let customer_tier = given(&input.customer_tier).and_then(|t| {
            t.parse::<Tier>()
                .map_err(|e| invalid.add("customer_tier", e))
                .ok()
        });
        // For roles an empty value is meaningful: it clears the role.
        let mut roles = Vec::new();
        for (role, value) in [
            (Role::Lead, &input.lead),
            (Role::CommsOwner, &input.comms_owner),
        ] {
            if let Some(value) = value {
                let email = (!value.trim().is_empty()).then(|| {
                    crate::catalog::model::check_email(role.as_str(), value, &mut invalid)
                });
                roles.push(RoleChange { role, email });
            }
        }
        let impact = ImpactChange {
            add_systems: unique_slugs(&input.add_systems),
            remove_systems: unique_slugs(&input.remove_systems),
            add_accounts: unique_slugs(&input.add_accounts),
            remove_accounts: unique_slugs(&input.remove_accounts),
            customer_tier,
        };
        for (field, slugs, max) in [
            ("add_systems", &impact.add_systems, SYSTEMS_MAX),
            ("add_accounts", &impact.add_accounts, ACCOUNTS_MAX),
        ] {
            if slugs.len() > max {
                invalid.add(field, format!("At most {max} at once"));
            }
        }
        for (field, added, removed) in [
            (
                "remove_systems",
                &impact.add_systems,
                &impact.remove_systems,
            ),
            (
                "remove_accounts",
                &impact.add_accounts,
                &impact.remove_accounts,
            ),
        ] {
            if let Some(both) = removed.iter().find(|slug| added.contains(slug)) {
                invalid.add(field, format!("{both} is both added and removed"));
            }
        }
        let nothing_given = status.is_none()
            && severity.is_none()
            && roles.is_empty()
            && impact.is_empty()
            && invalid.fields.is_empty();
        if nothing_given {
            invalid.add(
                "status",
                "Nothing to change: give a status, severity, role or impact change",
            );
        }
        let reason = input
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > REASON_MAX_CHARS) {
            invalid.add(
                "reason",
                format!("Reason is too long: at most {REASON_MAX_CHARS} characters"),
            );
        }
        if !invalid.fields.is_empty() {
            return Err(AppError::Invalid(invalid));
        }
        Ok(Change {
            status,
            severity,
            roles,
            impact,
            reason: reason.map(str::to_owned),
            author: author.to_owned(),
        })
    }
}

/// Longest accepted title, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// Largest accepted description, in bytes (a long write-up fits; a pasted log dump does not).
pub const DESCRIPTION_MAX_BYTES: usize = 64 * 1024;

impl DeclareInput {
    /// An empty refusal that carries what was typed, so the form can show it again.
    pub fn refusal(&self) -> Invalid {
        let mut invalid = Invalid::default();
        invalid.echo("title", &self.title);
        invalid.echo("severity", &self.severity);
        invalid.echo("description", &self.description);
        if let Some(first) = self.systems.first() {
            invalid.echo("system", first);
        }
        invalid
    }
}

impl Declaration {
    /// Checks the raw form or API input, naming every field that is wrong.
    /// `author` is the signed-in user's name: never taken from the input.
    pub fn parse(input: &DeclareInput, author: &str, now: DateTime<Utc>) -> Result<Self, AppError> {
        let (title, severity, description) = (&input.title, &input.severity, &input.description);
        let mut invalid = input.refusal();

        let title = title.trim();
        if title.is_empty() {
            invalid.add("title", "Title is required");
        } else if title.chars().count() > TITLE_MAX_CHARS {
            invalid.add(
                "title",
                format!("Title is too long: at most {TITLE_MAX_CHARS} characters"),
            );
        }
        let severity = severity
            .parse::<Severity>()
            .map_err(|message| invalid.add("severity", message))
            .ok();
        check_not_future("started_at", input.started_at, now, &mut invalid);
        let systems = unique_slugs(&input.systems);
        let accounts = unique_slugs(&input.accounts);
        if accounts.len() > ACCOUNTS_MAX {
            invalid.add("accounts", format!("At most {ACCOUNTS_MAX} accounts"));
        }
        let customer_tier = input
            .customer_tier
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .and_then(|t| {
                t.parse::<Tier>()
                    .map_err(|e| invalid.add("customer_tier", e))
                    .ok()
            });
        let source = input
            .source
            .as_deref()
            .unwrap_or_default()
            .parse::<Source>()
            .map_err(|e| invalid.add("source", e))
            .unwrap_or(Source::Manual);
        if systems.len() > SYSTEMS_MAX {
            invalid.add("systems", format!("At most {SYSTEMS_MAX} systems"));
        }
        if description.len() > DESCRIPTION_MAX_BYTES {
            invalid.add(
                "description",
                format!(
                    "Description is too long: {} KB, at most {} KB",
                    description.len().div_ceil(1024),
                    DESCRIPTION_MAX_BYTES / 1024
                ),
            );
        }
        match severity {
            Some(severity) if invalid.fields.is_empty() => Ok(Declaration {
                title: title.to_owned(),
                severity,
                description: description.trim_end().to_owned(),
                started_at: input.started_at,
                author: author.to_owned(),
                systems,
                accounts,
                customer_tier,
                source,
            }),
            _ => Err(AppError::Invalid(invalid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_move_is_one_step_forward_and_none_after_resolved() {
        assert_eq!(
            IncidentStatus::Investigating.next(),
            Some(IncidentStatus::Identified)
        );
        assert_eq!(
            IncidentStatus::Monitoring.next(),
            Some(IncidentStatus::Resolved)
        );
        assert_eq!(IncidentStatus::Resolved.next(), None);
    }

    fn declare(title: &str, severity: &str, description: &str) -> Result<Declaration, AppError> {
        let input = DeclareInput {
            title: title.into(),
            severity: severity.into(),
            description: description.into(),
            ..Default::default()
        };
        Declaration::parse(
            &input,
            "Ada",
            DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        )
    }

    fn field_error(err: AppError, field: &str) -> String {
        err.invalid()
            .and_then(|i| i.field(field))
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn key_round_trips() {
        assert_eq!(IncidentId(42).key(), "INC-42");
        assert_eq!(IncidentId::from_key("INC-42"), Some(IncidentId(42)));
        assert_eq!(IncidentId::from_key("inc-7"), Some(IncidentId(7)));
        assert_eq!(IncidentId::from_key("INC-0"), None);
        assert_eq!(IncidentId::from_key("INC-x"), None);
        assert_eq!(IncidentId::from_key("TKT-1"), None);
        assert_eq!(IncidentId::from_key("42"), None);
    }

    #[test]
    fn severity_parses_known_codes_only() {
        assert_eq!("p1".parse::<Severity>(), Ok(Severity::P1));
        assert_eq!(" P3 ".parse::<Severity>(), Ok(Severity::P3));
        assert!("P4"
            .parse::<Severity>()
            .unwrap_err()
            .contains("P1, P2 or P3"));
    }

    #[test]
    fn status_round_trips() {
        for status in IncidentStatus::ALL {
            assert_eq!(status.as_str().parse::<IncidentStatus>(), Ok(status));
        }
    }

    #[test]
    fn forward_moves_need_no_reason_and_may_skip() {
        use IncidentStatus::*;
        for (i, from) in IncidentStatus::ALL.into_iter().enumerate() {
            for to in IncidentStatus::ALL.into_iter().skip(i + 1) {
                assert_eq!(from.check_move(to, None), Ok(()), "{from} → {to}");
            }
        }
        assert_eq!(Investigating.check_move(Resolved, None), Ok(()));
    }

    #[test]
    fn moving_back_needs_a_reason() {
        use IncidentStatus::*;
        assert_eq!(
            Resolved.check_move(Investigating, None),
            Err("Moving back from resolved to investigating needs a reason".into())
        );
        assert!(Resolved.check_move(Fixing, Some("  ")).is_err());
        assert_eq!(Resolved.check_move(Fixing, Some("errors are back")), Ok(()));
        assert_eq!(
            Monitoring.check_move(Monitoring, Some("x")),
            Err("The incident is already monitoring".into())
        );
    }

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap()
    }

    #[test]
    fn lifecycle_follows_the_status() {
        use IncidentStatus::*;
        let start = Lifecycle {
            started_at: at(0),
            declared_at: at(1),
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
        };
        let identified = start.after_move(Identified, at(5));
        assert_eq!(identified.acknowledged_at, Some(at(5)));
        assert_eq!(identified.mitigated_at, None);

        let monitoring = identified.after_move(Monitoring, at(30));
        assert_eq!(monitoring.mitigated_at, Some(at(30)));
        let resolved = monitoring.after_move(Resolved, at(60));
        assert_eq!(
            (resolved.mitigated_at, resolved.resolved_at),
            (Some(at(30)), Some(at(60)))
        );
        assert_eq!(
            resolved.acknowledged_at,
            Some(at(5)),
            "acknowledgement is kept"
        );

        let reopened = resolved.after_move(Fixing, at(90));
        assert_eq!((reopened.mitigated_at, reopened.resolved_at), (None, None));
        let back_to_monitoring = resolved.after_move(Monitoring, at(95));
        assert_eq!(
            (
                back_to_monitoring.mitigated_at,
                back_to_monitoring.resolved_at
            ),
            (Some(at(30)), None)
        );

        let straight_to_resolved = start.after_move(Resolved, at(10));
        assert_eq!(straight_to_resolved.mitigated_at, Some(at(10)));
        assert_eq!(straight_to_resolved.resolved_at, Some(at(10)));
    }

    #[test]
    fn valid_declaration_is_trimmed() {
        let d = declare("  Checkout 500s  ", "P2", "Since 14:00\n\n").unwrap();
        assert_eq!(d.title, "Checkout 500s");
        assert_eq!(d.severity, Severity::P2);
        assert_eq!(d.description, "Since 14:00");
    }

    #[test]
    fn empty_title_is_rejected_and_input_echoed() {
        let err = declare("   ", "P1", "what I typed").unwrap_err();
        assert_eq!(field_error(err.clone(), "title"), "Title is required");
        let invalid = err.invalid().unwrap();
        assert_eq!(invalid.input("description"), Some("what I typed"));
        assert_eq!(invalid.field("severity"), None);
    }

    #[test]
    fn unknown_severity_is_rejected() {
        let err = declare("API down", "P9", "").unwrap_err();
        assert!(field_error(err, "severity").contains("unknown severity \"P9\""));
    }

    #[test]
    fn oversized_description_is_rejected() {
        let err = declare("API down", "P1", &"x".repeat(10 * 1024 * 1024)).unwrap_err();
        assert_eq!(
            field_error(err, "description"),
            "Description is too long: 10240 KB, at most 64 KB"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = declare("", "", &"x".repeat(DESCRIPTION_MAX_BYTES + 1)).unwrap_err();
        let invalid = err.invalid().unwrap();
        assert_eq!(invalid.fields.len(), 3);
    }

    #[test]
    fn future_start_is_rejected_and_backdating_allowed() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut input = DeclareInput {
            title: "t".into(),
            severity: "P1".into(),
            ..Default::default()
        };
        input.started_at = Some(now - chrono::Duration::hours(3));
        assert_eq!(
            Declaration::parse(&input, "Ada", now).unwrap().started_at,
            input.started_at
        );
        input.started_at = Some(now + chrono::Duration::hours(1));
        let err = Declaration::parse(&input, "Ada", now).unwrap_err();
        assert_eq!(field_error(err, "started_at"), "Cannot be in the future");
    }

    #[test]
    fn change_needs_something_to_change_and_known_values() {
        let nothing = Change::parse(&ChangeInput::default(), "Ada").unwrap_err();
        assert!(field_error(nothing, "status").starts_with("Nothing to change"));
        let bad = Change::parse(
            &ChangeInput {
                status: Some("done".into()),
                severity: Some("P0".into()),
                ..Default::default()
            },
            "Ada",
        )
        .unwrap_err();
        assert_eq!(
            field_error(bad.clone(), "status"),
            "unknown status \"done\""
        );
        assert!(field_error(bad, "severity").contains("unknown severity"));
        let ok = Change::parse(
            &ChangeInput {
                status: Some("resolved".into()),
                reason: Some("  ".into()),
                ..Default::default()
            },
            "Ada",
        )
        .unwrap();
        assert_eq!(ok.status, Some(IncidentStatus::Resolved));
        assert_eq!(ok.reason, None, "a blank reason is no reason");
    }

    #[test]
    fn overlong_title_is_rejected() {
        let err = declare(&"t".repeat(TITLE_MAX_CHARS + 1), "P3", "").unwrap_err();
        assert!(field_error(err, "title").contains("at most 200"));
        assert!(declare(&"t".repeat(TITLE_MAX_CHARS), "P3", "").is_ok());
    }
}
