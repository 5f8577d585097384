//! SLA policy terms: per severity a response, resolution and customer-update target;
//! the calendar contract time runs in; the statuses that pause the clocks; when a
//! clock counts as at risk. Stored as JSON, one row per version:
//!
//! ```json
//! {"targets": {"P1": {"response_min": 15, "resolution_min": 240, "update_min": 30},
//!              "P2": {...}, "P3": {...}},
//!  "calendar": {"kind": "always"}
//!            | {"kind": "business_hours", "zone": "America/New_York",
//!               "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
//!               "open": "09:00", "close": "17:00", "holidays": ["2026-12-25"]},
//!  "pause_statuses": [],
//!  "at_risk_percent": 75}
//! ```

use super::calendar::{BusinessHours, Calendar};
use super::clock::ClockTerms;
use super::model::ClockKind;
use crate::incidents::model::{IncidentStatus, Severity};
use chrono::{Duration, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// Terms as stored and as given to the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyTerms {
    pub targets: SeverityTargets,
    pub calendar: CalendarTerms,
    /// Statuses during which the clocks stand still (none by default).
    #[serde(default)]
    pub pause_statuses: Vec<IncidentStatus>,
    /// At risk once this share of a target is used.
    #[serde(default = "default_at_risk")]
    pub at_risk_percent: u8,
}

fn default_at_risk() -> u8 {
    75
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeverityTargets {
    #[serde(rename = "P1")]
    pub p1: Targets,
    #[serde(rename = "P2")]
    pub p2: Targets,
    #[serde(rename = "P3")]
    pub p3: Targets,
}

/// Targets for one severity, in minutes of contract time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub response_min: u32,
    pub resolution_min: u32,
    /// How often customers must hear from us (used by customer communication).
    pub update_min: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CalendarTerms {
    /// 24×7.
    Always,
    BusinessHours {
        /// IANA time zone, e.g. America/New_York.
        zone: String,
        /// Mon, Tue, …
        weekdays: Vec<String>,
        /// Local HH:MM.
        open: String,
        close: String,
        #[serde(default)]
        holidays: Vec<NaiveDate>,
    },
}

/// Terms checked and ready to run clocks on.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub targets: SeverityTargets,
    pub calendar: Calendar,
    pub pause_statuses: Vec<IncidentStatus>,
    pub at_risk_percent: u8,
}

impl PolicyTerms {
    /// Checks the terms, naming the first problem found.
    pub fn compile(&self) -> Result<Policy, String> {
        if !(1..=99).contains(&self.at_risk_percent) {
            return Err(format!(
                "at_risk_percent must be between 1 and 99, not {}",
                self.at_risk_percent
            ));
        }
        for (severity, t) in [
            ("P1", self.targets.p1),
            ("P2", self.targets.p2),
            ("P3", self.targets.p3),
        ] {
            if t.response_min == 0 || t.resolution_min == 0 || t.update_min == 0 {
                return Err(format!(
                    "{severity}: every target must be at least 1 minute"
                ));
            }
            if t.response_min > t.resolution_min {
                return Err(format!(
                    "{severity}: the response target ({} min) is longer than the resolution target ({} min)",
                    t.response_min, t.resolution_min
                ));
            }
        }
        if self.pause_statuses.contains(&IncidentStatus::Resolved) {
            return Err("resolved stops the clocks; it cannot also pause them".into());
        }
        let calendar = match &self.calendar {
            CalendarTerms::Always => Calendar::AlwaysOn,
            CalendarTerms::BusinessHours {
                zone,
                weekdays,
                open,
                close,
                holidays,
            } => {
                let zone: chrono_tz::Tz = zone.parse().map_err(|_| {
                    format!("Unknown time zone {zone:?} (use an IANA name such as Europe/London)")
                })?;
                let days = weekdays
                    .iter()
                    .map(|d| {
                        d.parse::<Weekday>()
                            .map_err(|_| format!("Unknown weekday {d:?} (use Mon, Tue, …)"))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let time = |text: &str| {
                    NaiveTime::parse_from_str(text, "%H:%M")
                        .map_err(|_| format!("Time {text:?} is not HH:MM"))
                };
                let hours = BusinessHours::new(
                    zone,
                    days,
                    (time(open)?, time(close)?),
                    holidays.iter().copied(),
                )?;
                Calendar::BusinessHours(hours)
            }
        };
        Ok(Policy {
            targets: self.targets.clone(),
            calendar,
            pause_statuses: self.pause_statuses.clone(),
            at_risk_percent: self.at_risk_percent,
        })
    }
}

impl Policy {
    /// What a clock of `kind` for a `severity` incident runs against.
    pub fn terms(&self, severity: Severity, kind: ClockKind) -> ClockTerms {
        let targets = match severity {
            Severity::P1 => self.targets.p1,
            Severity::P2 => self.targets.p2,
            Severity::P3 => self.targets.p3,
        };
        let minutes = match kind {
            ClockKind::Response => targets.response_min,
            ClockKind::Resolution => targets.resolution_min,
        };
        ClockTerms {
            target: Duration::minutes(i64::from(minutes)),
            at_risk_percent: self.at_risk_percent,
            calendar: self.calendar.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(json: &str) -> PolicyTerms {
        serde_json::from_str(json).unwrap()
    }

    const TARGETS: &str = r#""targets": {"P1": {"response_min": 15, "resolution_min": 240, "update_min": 30},
        "P2": {"response_min": 60, "resolution_min": 480, "update_min": 60},
        "P3": {"response_min": 240, "resolution_min": 4320, "update_min": 240}}"#;

    #[test]
    fn a_p1_resolution_clock_runs_against_four_hours() {
        let policy = terms(&format!(
            r#"{{{TARGETS}, "calendar": {{"kind": "always"}}}}"#
        ))
        .compile()
        .unwrap();
        let clock = policy.terms(Severity::P1, ClockKind::Resolution);
        assert_eq!(clock.target, Duration::hours(4));
        assert_eq!(clock.at_risk_percent, 75);
        assert_eq!(
            policy.terms(Severity::P2, ClockKind::Response).target,
            Duration::hours(1)
        );
    }

    #[test]
    fn bad_terms_are_named() {
        let office = |zone: &str, open: &str| {
            terms(&format!(
                r#"{{{TARGETS}, "calendar": {{"kind": "business_hours", "zone": "{zone}", "weekdays": ["Mon"], "open": "{open}", "close": "17:00"}}}}"#
            ))
            .compile()
        };
        assert!(office("America/New_York", "09:00").is_ok());
        assert!(office("Mars/Olympus", "09:00")
            .unwrap_err()
            .contains("Mars/Olympus"));
        assert!(office("UTC", "9am").unwrap_err().contains("9am"));
        assert!(office("UTC", "18:00")
            .unwrap_err()
            .contains("before closing"));
        let mut bad = terms(&format!(
            r#"{{{TARGETS}, "calendar": {{"kind": "always"}}}}"#
        ));
        bad.targets.p2.response_min = 600;
        assert!(bad
            .compile()
            .unwrap_err()
            .starts_with("P2: the response target"));
        bad.targets.p2.response_min = 60;
        bad.at_risk_percent = 100;
        assert!(bad.compile().unwrap_err().contains("at_risk_percent"));
    }
}
