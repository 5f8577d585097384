//! What the browser and API clients see of SLA clocks (built into both sides).

use crate::catalog::model::Tier;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a clock shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    OnTrack,
    /// Past the at-risk threshold (by default 75 % of the target used).
    AtRisk,
    /// Running past its target.
    Breached,
    /// Stopped within its target.
    Met,
    /// Stopped after its target.
    Missed,
    /// Halted by a pausing status, within its target.
    Paused,
}

impl ClockState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::OnTrack => "on_track",
            ClockState::AtRisk => "at_risk",
            ClockState::Breached => "breached",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
            ClockState::Paused => "paused",
        }
    }

    pub fn parse(text: &str) -> Option<ClockState> {
        [
            ClockState::OnTrack,
            ClockState::AtRisk,
            ClockState::Breached,
            ClockState::Met,
            ClockState::Missed,
            ClockState::Paused,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            ClockState::OnTrack => "on track",
            ClockState::AtRisk => "at risk",
            ClockState::Breached => "breached",
            ClockState::Met => "met",
            ClockState::Missed => "missed",
            ClockState::Paused => "paused",
        }
    }

    /// Whether people must be told (the incident lead, owning leads, the CSM).
    pub fn alerts(self) -> bool {
        matches!(self, ClockState::AtRisk | ClockState::Breached)
    }
}

/// Which promise a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Until the incident is acknowledged.
    Response,
    /// Until it is resolved.
    Resolution,
}

impl ClockKind {
    pub const ALL: [ClockKind; 2] = [ClockKind::Response, ClockKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::Response => "response",
            ClockKind::Resolution => "resolution",
        }
    }

    pub fn parse(text: &str) -> Option<ClockKind> {
        ClockKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            ClockKind::Response => "Response",
            ClockKind::Resolution => "Resolution",
        }
    }
}

/// One clock as read by the server at `read_at`. Between reads the browser counts
/// `remaining_secs` down only while contract time flows (`flowing`), and no further
/// than `turn_at`, when it starts or stops flowing (business hours open or close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlaClock {
    /// Slug of the impacted account.
    pub account: String,
    pub account_name: String,
    pub tier: Tier,
    pub kind: ClockKind,
    pub state: ClockState,
    pub target_secs: i64,
    /// Contract time used so far.
    pub used_secs: i64,
    /// Target minus used; negative once breached.
    pub remaining_secs: i64,
    pub flowing: bool,
    pub turn_at: Option<DateTime<Utc>>,
    /// When the target is reached if it keeps running.
    pub breach_at: Option<DateTime<Utc>>,
    pub read_at: DateTime<Utc>,
    /// Policy name and the version this clock runs on.
    pub policy: String,
    pub policy_version: i64,
}

impl SlaClock {
    /// Remaining contract time at `now` (seconds), from this reading.
    pub fn remaining_at(&self, now: DateTime<Utc>) -> i64 {
        if !self.flowing {
            return self.remaining_secs;
        }
        let until = self.turn_at.map_or(now, |turn| turn.min(now));
        let elapsed = (until - self.read_at).num_seconds().max(0);
        self.remaining_secs - elapsed
    }

    /// Share of the target used at `now`, 0–100.
    pub fn percent_used_at(&self, now: DateTime<Utc>) -> i64 {
        if self.target_secs <= 0 {
            return 100;
        }
        let used = self.target_secs - self.remaining_at(now);
        (used * 100 / self.target_secs).clamp(0, 100)
    }
}

/// Which running clocks the SLA board shows (empty: any).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct BoardFilter {
    /// enterprise, business or standard.
    #[serde(default)]
    pub tier: String,
    /// Account slug.
    #[serde(default)]
    pub account: String,
    /// P1, P2 or P3.
    #[serde(default)]
    pub severity: String,
    /// Slug of a team owning an affected system.
    #[serde(default)]
    pub team: String,
}

/// A running clock on the SLA board, with its incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BoardClock {
    pub incident: String,
    pub title: String,
    pub severity: crate::incidents::model::Severity,
    /// Slugs of the teams owning the affected systems.
    pub teams: Vec<String>,
    pub clock: SlaClock,
}

impl BoardFilter {
    pub fn admits(&self, row: &BoardClock) -> bool {
        let any_or = |wanted: &str, value: &str| wanted.is_empty() || wanted == value;
        any_or(&self.tier, row.clock.tier.as_str())
            && any_or(&self.account, &row.clock.account)
            && any_or(&self.severity, row.severity.as_str())
            && (self.team.is_empty() || row.teams.contains(&self.team))
    }
}

/// Whether the clock still counts (running or paused), as opposed to met or missed.
pub fn is_open(state: ClockState) -> bool {
    !matches!(state, ClockState::Met | ClockState::Missed)
}

/// What a compliance report covers: incidents that started in [from, to), grouped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct ReportQuery {
    /// First day (YYYY-MM-DD, UTC); default: 30 days before `to`.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(pattern = r"^(|\d{4}-\d{2}-\d{2})$"))]
    pub from: String,
    /// Day after the last (YYYY-MM-DD, UTC); default: tomorrow.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(pattern = r"^(|\d{4}-\d{2}-\d{2})$"))]
    pub to: String,
    /// account (default), tier or severity.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(pattern = r"^(|account|tier|severity)$"))]
    pub by: String,
    /// json (default) or csv; the API only.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(pattern = r"^(|json|csv)$"))]
    pub format: String,
}

/// How one group's clocks of one kind did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReportRow {
    /// The account slug, tier or severity.
    pub group: String,
    pub kind: ClockKind,
    /// Stopped within target.
    pub met: u32,
    /// Stopped after target, or running past it (breached).
    pub missed: u32,
    /// Still running within target (not counted in the percentage).
    pub open: u32,
    /// Met out of met + missed; `None` when nothing was decided.
    pub met_percent: Option<f64>,
    /// Contract time to respond or resolve, over the stopped clocks.
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub by: String,
    pub rows: Vec<ReportRow>,
}

/// A policy as the admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub slug: String,
    pub name: String,
    pub version: i64,
    pub default_for: Vec<String>,
    /// Per severity: (severity, response, resolution, customer update), in minutes.
    pub targets: Vec<(String, u32, u32, u32)>,
    /// The calendar in words.
    pub calendar: String,
    pub pause_statuses: Vec<String>,
    pub at_risk_percent: u8,
    /// The terms as editable JSON.
    pub terms_json: String,
    /// The terms as the editor's fields.
    pub form: PolicyForm,
}

/// The SLA policy editor's fields as typed. Text, not numbers: a wrong value then gets
/// a message next to its field instead of failing to decode. Targets are minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyForm {
    #[serde(default)]
    pub p1_response: String,
    #[serde(default)]
    pub p1_resolution: String,
    #[serde(default)]
    pub p1_update: String,
    #[serde(default)]
    pub p2_response: String,
    #[serde(default)]
    pub p2_resolution: String,
    #[serde(default)]
    pub p2_update: String,
    #[serde(default)]
    pub p3_response: String,
    #[serde(default)]
    pub p3_resolution: String,
    #[serde(default)]
    pub p3_update: String,
    /// `always` (24×7) or `business_hours`.
    #[serde(default)]
    pub calendar: String,
    /// IANA zone of the business hours.
    #[serde(default)]
    pub zone: String,
    /// Mon, Tue, …
    #[serde(default)]
    pub weekdays: Vec<String>,
    /// Local HH:MM.
    #[serde(default)]
    pub open: String,
    #[serde(default)]
    pub close: String,
    /// Dates (YYYY-MM-DD), one per line or separated by commas.
    #[serde(default)]
    pub holidays: String,
    /// Statuses during which the clocks stand still.
    #[serde(default)]
    pub pause_statuses: Vec<String>,
    #[serde(default)]
    pub at_risk_percent: String,
}

/// The editor's target fields: (severity, [(field, what, value)]).
pub type TargetFields<'a> = [(&'static str, [(&'static str, &'static str, &'a str); 3]); 3];

impl PolicyForm {
    pub const WEEKDAYS: [&'static str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

    /// The nine targets, by severity, as the editor lays them out.
    pub fn target_fields(&self) -> TargetFields<'_> {
        [
            (
                "P1",
                [
                    ("p1_response", "response", &self.p1_response),
                    ("p1_resolution", "resolution", &self.p1_resolution),
                    ("p1_update", "customer update", &self.p1_update),
                ],
            ),
            (
                "P2",
                [
                    ("p2_response", "response", &self.p2_response),
                    ("p2_resolution", "resolution", &self.p2_resolution),
                    ("p2_update", "customer update", &self.p2_update),
                ],
            ),
            (
                "P3",
                [
                    ("p3_response", "response", &self.p3_response),
                    ("p3_resolution", "resolution", &self.p3_resolution),
                    ("p3_update", "customer update", &self.p3_update),
                ],
            ),
        ]
    }
}

/// "30 min left", "1 h 05 min left", "12 min over".
pub fn remaining_words(secs: i64) -> String {
    let suffix = if secs >= 0 { "left" } else { "over" };
    format!("{} {suffix}", duration_words(secs.abs()))
}

/// A length of time the way the clocks say it: "45 s", "30 min", "1 h 05 min", "2 d 3 h".
pub fn duration_words(secs: i64) -> String {
    let minutes = secs / 60;
    if secs < 60 {
        format!("{secs} s")
    } else if minutes < 60 {
        format!("{minutes} min")
    } else if minutes < 48 * 60 {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    } else {
        format!("{} d {} h", minutes / (24 * 60), minutes / 60 % 24)
    }
}

/// How soon a clock needs looking at, smallest first: running clocks by time left,
/// then halted ones (paused, met, missed).
pub fn urgency(clock: &SlaClock) -> (bool, i64) {
    let running = is_open(clock.state) && clock.state != ClockState::Paused;
    (!running, clock.remaining_secs)
}

/// Clocks in the order people should look at them (`urgency`, then by account).
pub fn tightest_first(clocks: &mut [SlaClock]) {
    clocks.sort_by_key(|c| (urgency(c), c.account.clone(), c.kind.as_str()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(remaining: i64, flowing: bool, turn_in: Option<i64>) -> SlaClock {
        let read_at: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        SlaClock {
            account: "acme".into(),
            account_name: "Acme".into(),
            tier: Tier::Enterprise,
            kind: ClockKind::Resolution,
            state: ClockState::AtRisk,
            target_secs: 4 * 3600,
            used_secs: 4 * 3600 - remaining,
            remaining_secs: remaining,
            flowing,
            turn_at: turn_in.map(|s| read_at + chrono::Duration::seconds(s)),
            breach_at: None,
            read_at,
            policy: "Enterprise".into(),
            policy_version: 1,
        }
    }

    #[test]
    fn remaining_counts_down_only_while_contract_time_flows() {
        let c = clock(1800, true, Some(600));
        let at = |s| c.read_at + chrono::Duration::seconds(s);
        assert_eq!(c.remaining_at(at(60)), 1740);
        // Business hours close 10 min after the reading: the count stops there.
        assert_eq!(c.remaining_at(at(3600)), 1200);
        let paused = clock(1800, false, None);
        assert_eq!(paused.remaining_at(at(3600)), 1800);
        assert_eq!(c.percent_used_at(at(0)), 87);
    }

    #[test]
    fn remaining_reads_like_a_person_would_say_it() {
        assert_eq!(remaining_words(1800), "30 min left");
        assert_eq!(remaining_words(3900), "1 h 05 min left");
        assert_eq!(remaining_words(-720), "12 min over");
        assert_eq!(remaining_words(42), "42 s left");
        assert_eq!(remaining_words(3 * 86400 + 7200), "3 d 2 h left");
    }
}
