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
use super::model::{ClockKind, PolicyForm};
use crate::error::Invalid;
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
    #[schema(minimum = 1, maximum = 99)]
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
    #[schema(minimum = 1, maximum = 525_600)]
    pub response_min: u32,
    #[schema(minimum = 1, maximum = 525_600)]
    pub resolution_min: u32,
    /// How often customers must hear from us (used by customer communication).
    #[schema(minimum = 1, maximum = 525_600)]
    pub update_min: u32,
}

/// The longest target: a year of minutes.
pub const TARGET_MAX_MIN: u32 = 525_600;

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
            if [t.response_min, t.resolution_min, t.update_min]
                .iter()
                .any(|&min| min > TARGET_MAX_MIN)
            {
                return Err(format!(
                    "{severity}: a target is at most a year ({TARGET_MAX_MIN} min)"
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
                let zone = crate::clock::parse_zone(zone)?;
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

/// The policy editor's fields for stored terms.
pub fn form_from_terms(terms: &PolicyTerms) -> PolicyForm {
    let t = &terms.targets;
    let mut form = PolicyForm {
        p1_response: t.p1.response_min.to_string(),
        p1_resolution: t.p1.resolution_min.to_string(),
        p1_update: t.p1.update_min.to_string(),
        p2_response: t.p2.response_min.to_string(),
        p2_resolution: t.p2.resolution_min.to_string(),
        p2_update: t.p2.update_min.to_string(),
        p3_response: t.p3.response_min.to_string(),
        p3_resolution: t.p3.resolution_min.to_string(),
        p3_update: t.p3.update_min.to_string(),
        pause_statuses: terms
            .pause_statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        at_risk_percent: terms.at_risk_percent.to_string(),
        ..Default::default()
    };
    match &terms.calendar {
        CalendarTerms::Always => {
            form.calendar = "always".into();
            // What the business-hours fields offer if the admin switches.
            form.zone = "UTC".into();
            form.weekdays = PolicyForm::WEEKDAYS[..5]
                .iter()
                .map(|d| d.to_string())
                .collect();
            form.open = "09:00".into();
            form.close = "17:00".into();
        }
        CalendarTerms::BusinessHours {
            zone,
            weekdays,
            open,
            close,
            holidays,
        } => {
            form.calendar = "business_hours".into();
            form.zone = zone.clone();
            form.weekdays = weekdays.clone();
            form.open = open.clone();
            form.close = close.clone();
            form.holidays = holidays
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    form
}

/// Terms from the policy editor's fields, every problem named on its field (then
/// the same checks as any terms, `compile`, on the form as a whole: field `terms`).
pub fn terms_from_form(form: &PolicyForm) -> Result<PolicyTerms, Invalid> {
    let mut invalid = Invalid::default();
    let mut targets = [[0_u32; 3]; 3];
    for (row, (severity, fields)) in form.target_fields().into_iter().enumerate() {
        for (col, (field, what, text)) in fields.into_iter().enumerate() {
            match text.trim().parse::<u32>() {
                Ok(minutes) if (1..=MAX_TARGET_MIN).contains(&minutes) => {
                    targets[row][col] = minutes
                }
                _ => invalid.add(
                    field,
                    format!(
                        "{severity} {what}: whole minutes from 1 to {MAX_TARGET_MIN}, not {text:?}"
                    ),
                ),
            }
        }
        let [response, resolution, _] = targets[row];
        if response > 0 && resolution > 0 && response > resolution {
            invalid.add(
                fields[1].0,
                format!("{severity}: resolution ({resolution} min) must not be shorter than response ({response} min)"),
            );
        }
    }
    let calendar = match form.calendar.as_str() {
        "always" => CalendarTerms::Always,
        "business_hours" => {
            if let Err(problem) = crate::clock::parse_zone(&form.zone) {
                invalid.add("zone", problem);
            }
            if form.weekdays.is_empty() {
                invalid.add("weekdays", "Pick at least one working day");
            } else if let Some(bad) = form.weekdays.iter().find(|d| d.parse::<Weekday>().is_err()) {
                invalid.add("weekdays", format!("Unknown weekday {bad:?}"));
            }
            let open = NaiveTime::parse_from_str(form.open.trim(), "%H:%M");
            let close = NaiveTime::parse_from_str(form.close.trim(), "%H:%M");
            if open.is_err() {
                invalid.add("open", format!("Opening time {:?} is not HH:MM", form.open));
            }
            if close.is_err() {
                invalid.add(
                    "close",
                    format!("Closing time {:?} is not HH:MM", form.close),
                );
            }
            if let (Ok(open), Ok(close)) = (open, close) {
                if open >= close {
                    invalid.add("close", "Closing time must be after opening time");
                }
            }
            let mut holidays = Vec::new();
            for day in form
                .holidays
                .split([',', '\n'])
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                match NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                    Ok(date) => holidays.push(date),
                    Err(_) => {
                        invalid.add("holidays", format!("{day:?} is not a date (YYYY-MM-DD)"));
                        break;
                    }
                }
            }
            CalendarTerms::BusinessHours {
                zone: form.zone.trim().to_owned(),
                weekdays: form.weekdays.clone(),
                open: form.open.trim().to_owned(),
                close: form.close.trim().to_owned(),
                holidays,
            }
        }
        other => {
            invalid.add(
                "calendar",
                format!("Choose 24×7 or business hours, not {other:?}"),
            );
            CalendarTerms::Always
        }
    };
    let mut pause_statuses = Vec::new();
    for status in &form.pause_statuses {
        match status.parse::<IncidentStatus>() {
            Ok(IncidentStatus::Resolved) => invalid.add(
                "pause_statuses",
                "Resolved stops the clocks; it cannot also pause them",
            ),
            Ok(status) => pause_statuses.push(status),
            Err(_) => invalid.add("pause_statuses", format!("Unknown status {status:?}")),
        }
    }
    let at_risk_percent = match form.at_risk_percent.trim().parse::<u8>() {
        Ok(percent) if (1..=99).contains(&percent) => percent,
        _ => {
            invalid.add(
                "at_risk_percent",
                format!("A share from 1 to 99 %, not {:?}", form.at_risk_percent),
            );
            75
        }
    };
    if !invalid.fields.is_empty() {
        return Err(invalid);
    }
    let target = |[response_min, resolution_min, update_min]: [u32; 3]| Targets {
        response_min,
        resolution_min,
        update_min,
    };
    let terms = PolicyTerms {
        targets: SeverityTargets {
            p1: target(targets[0]),
            p2: target(targets[1]),
            p3: target(targets[2]),
        },
        calendar,
        pause_statuses,
        at_risk_percent,
    };
    if let Err(why) = terms.compile() {
        invalid.add("terms", why);
        return Err(invalid);
    }
    Ok(terms)
}

/// A year: longer targets are typing mistakes.
const MAX_TARGET_MIN: u32 = 525_600;

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
    fn the_editor_round_trips_stored_terms() {
        let stored = terms(&format!(
            r#"{{{TARGETS}, "calendar": {{"kind": "business_hours", "zone": "Europe/Berlin", "weekdays": ["Mon", "Fri"], "open": "08:30", "close": "18:00", "holidays": ["2026-12-25", "2026-12-26"]}}, "pause_statuses": ["monitoring"], "at_risk_percent": 80}}"#
        ));
        let form = form_from_terms(&stored);
        assert_eq!(form.p1_resolution, "240");
        assert_eq!(form.holidays, "2026-12-25\n2026-12-26");
        assert_eq!(terms_from_form(&form).unwrap(), stored);
        let always = terms(&format!(
            r#"{{{TARGETS}, "calendar": {{"kind": "always"}}}}"#
        ));
        assert_eq!(terms_from_form(&form_from_terms(&always)).unwrap(), always);
    }

    #[test]
    fn every_bad_field_of_the_editor_is_named_on_that_field() {
        let stored = terms(&format!(
            r#"{{{TARGETS}, "calendar": {{"kind": "always"}}}}"#
        ));
        let mut form = form_from_terms(&stored);
        form.p1_response = "fifteen".into();
        form.p2_response = "900".into();
        form.calendar = "business_hours".into();
        form.zone = "Mars/Olympus".into();
        form.weekdays = vec![];
        form.open = "9am".into();
        form.holidays = "2026-12-25, 2026-13-01".into();
        form.pause_statuses = vec!["resolved".into()];
        form.at_risk_percent = "100".into();
        let invalid = terms_from_form(&form).unwrap_err();
        let named = |field: &str| invalid.field(field).unwrap_or_default().to_owned();
        assert!(named("p1_response").contains("\"fifteen\""), "{invalid}");
        assert!(
            named("p2_resolution").contains("must not be shorter than response (900 min)"),
            "{invalid}"
        );
        assert!(named("zone").contains("Mars/Olympus"));
        assert_eq!(named("weekdays"), "Pick at least one working day");
        assert!(named("open").contains("9am"));
        assert!(named("holidays").contains("2026-13-01"));
        assert!(named("pause_statuses").contains("Resolved"));
        assert!(named("at_risk_percent").contains("100"));
        assert!(invalid.field("p1_resolution").is_none());
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
