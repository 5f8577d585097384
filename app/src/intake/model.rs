//! Alert intake's shared types: the sources an integration can be, an alert as every
//! vendor's payload is read into, and an integration as admins see it.

use crate::catalog::model::Tier;
use crate::incidents::model::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where alerts come from; each has its own payload and its own way of signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// PagerDuty webhooks v3, signed with `X-PagerDuty-Signature` (HMAC-SHA256).
    Pagerduty,
    /// Prometheus Alertmanager's webhook_config, with a bearer token.
    Alertmanager,
    /// Grafana alerting's webhook contact point, HMAC-signed or with a bearer token.
    Grafana,
    /// Datadog's webhook integration with the payload template Sitrep ships.
    Datadog,
    /// Opsgenie's outgoing webhook, with a bearer token.
    Opsgenie,
    /// Anything else, in Sitrep's own JSON shape.
    Generic,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Pagerduty,
        SourceKind::Alertmanager,
        SourceKind::Grafana,
        SourceKind::Datadog,
        SourceKind::Opsgenie,
        SourceKind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Pagerduty => "pagerduty",
            SourceKind::Alertmanager => "alertmanager",
            SourceKind::Grafana => "grafana",
            SourceKind::Datadog => "datadog",
            SourceKind::Opsgenie => "opsgenie",
            SourceKind::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceKind::Pagerduty => "PagerDuty",
            SourceKind::Alertmanager => "Alertmanager",
            SourceKind::Grafana => "Grafana",
            SourceKind::Datadog => "Datadog",
            SourceKind::Opsgenie => "Opsgenie",
            SourceKind::Generic => "Generic webhook",
        }
    }
}

/// What an alert says about the problem it watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// The problem is there (triggered, re-fired, reopened).
    Firing,
    /// The source says it is over.
    Resolved,
    /// Anything else the source tells (acknowledged, a note, a reassignment): added
    /// to an incident the alert already opened, never opening one.
    Update,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
            AlertState::Update => "update",
        }
    }
}

/// One alert as read from a delivery (a delivery can carry several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alert {
    /// The vendor's key: repeated firings of one problem share it.
    pub dedup_key: String,
    pub state: AlertState,
    /// One line: the incident's title when the alert opens one.
    pub title: String,
    /// More text, when the source gives some.
    pub details: String,
    /// The severity the source gives, read as ours ("critical" → P1).
    pub severity: Option<Severity>,
    /// Labels, tags and service names, for routing.
    pub labels: BTreeMap<String, String>,
    /// Where the source shows it.
    pub link: Option<String>,
}

/// An integration as admins see it; its secret is shown once, when created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Integration {
    /// Its id in its URL.
    pub id: String,
    pub kind: SourceKind,
    pub name: String,
    /// Where the source sends: `/api/v1/intake/{kind}/{id}` on this server.
    pub url: String,
    /// The severity an alert opens an incident at when it gives none.
    pub default_severity: Severity,
    /// The systems (slugs) its incidents are declared on when no rule matches; their
    /// owners are told. None either: declared without a system, admins told.
    pub systems: Vec<String>,
    /// Routing rules, in order: the first an alert matches decides.
    pub rules: Vec<RoutingRule>,
    /// Deliveries refused for a missing or wrong signature.
    pub rejected: i64,
    /// Deliveries accepted.
    pub accepted: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A new integration, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    /// pagerduty, alertmanager, grafana, datadog, opsgenie or generic.
    #[cfg_attr(
        feature = "ssr",
        schema(pattern = r"^(pagerduty|alertmanager|grafana|datadog|opsgenie|generic)$")
    )]
    pub kind: String,
    #[cfg_attr(feature = "ssr", schema(pattern = r"\S"))]
    pub name: String,
    /// P1, P2 or P3 (default P2).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(pattern = r"^(|P1|P2|P3)$"))]
    pub default_severity: Option<String>,
    #[serde(default)]
    pub systems: Vec<String>,
    /// The secret the source signs with (PagerDuty shows its own); generated when absent.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A secret to replace an integration's with; none (or blank): a new one is made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    #[serde(default)]
    pub secret: Option<String>,
}

/// A created integration with its secret, the one time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedIntegration {
    pub integration: Integration,
    pub secret: String,
}

/// What a delivery did, per alert in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryReport {
    /// The stored delivery's id (its raw payload is kept).
    pub delivery: i64,
    pub alerts: Vec<AlertOutcome>,
}

/// A kept delivery, for the integration's page: when, what it did, how big.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: i64,
    pub received_at: DateTime<Utc>,
    /// The raw body's size in bytes.
    pub bytes: usize,
    pub alerts: Vec<AlertOutcome>,
    /// The delivery this one replayed through the rules of its time.
    pub replay_of: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertOutcome {
    pub dedup_key: String,
    pub state: AlertState,
    /// declared, appended, counted (a repeat within a minute) or ignored.
    pub outcome: String,
    /// The incident it opened or went to.
    pub incident: Option<String>,
}

/// One routing rule: when an alert matches, what its incident is declared on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub name: String,
    /// Empty: every alert matches (a default rule).
    #[serde(default)]
    pub when: RuleMatch,
    /// System slugs; their owners are told.
    #[serde(default)]
    pub systems: Vec<String>,
    #[serde(default)]
    pub severity: Option<Severity>,
    #[serde(default)]
    pub tier: Option<Tier>,
    /// Impacted account slugs.
    #[serde(default)]
    pub accounts: Vec<String>,
}

/// What an alert must have for a rule to match; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleMatch {
    /// Label (tag, service) → value, `*` for any value; case does not matter.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Text the alert's title holds.
    #[serde(default)]
    pub title_contains: Option<String>,
}

/// A sample payload, for the rule tester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RuleTest {
    /// The payload as the source would send it (JSON text).
    pub sample: String,
    /// Rules to try instead of the saved ones (e.g. while editing them).
    #[serde(default)]
    pub rules: Option<Vec<RoutingRule>>,
}

/// What each alert of a sample would do, nothing written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleTestAlert {
    pub alert: Alert,
    /// The rule it hits (from 1) and its name; `None`: the integration's defaults.
    pub rule: Option<usize>,
    pub rule_name: Option<String>,
    /// The incident it would declare (when firing).
    pub title: String,
    pub severity: Severity,
    pub systems: Vec<String>,
    pub tier: Option<Tier>,
    pub accounts: Vec<String>,
}

/// The Datadog webhook payload to paste into Datadog's webhook integration; its
/// `$VARIABLES` are Datadog's own.
pub const DATADOG_TEMPLATE: &str = r#"{
  "alert_id": "$ALERT_ID",
  "title": "$EVENT_TITLE",
  "body": "$EVENT_MSG",
  "transition": "$ALERT_TRANSITION",
  "priority": "$ALERT_PRIORITY",
  "tags": "$TAGS",
  "link": "$LINK",
  "scope": "$ALERT_SCOPE"
}"#;
