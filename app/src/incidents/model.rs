//! Incident types shared by server and browser, and the rules for declaring one.

use crate::error::{AppError, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Database id of an incident; shown to people as its key, `INC-<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub struct Incident {
    pub id: IncidentId,
    pub title: String,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub description: String,
    pub declared_at: DateTime<Utc>,
}

/// A validated request to declare an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub title: String,
    pub severity: Severity,
    pub description: String,
}

/// Longest accepted title, in characters.
pub const TITLE_MAX_CHARS: usize = 200;
/// Largest accepted description, in bytes (a long write-up fits; a pasted log dump does not).
pub const DESCRIPTION_MAX_BYTES: usize = 64 * 1024;

impl Declaration {
    /// Checks the raw form or API input, naming every field that is wrong.
    pub fn parse(title: &str, severity: &str, description: &str) -> Result<Self, AppError> {
        let mut invalid = Invalid::default();
        invalid.echo("title", title);
        invalid.echo("severity", severity);
        invalid.echo("description", description);

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
            }),
            _ => Err(AppError::Invalid(invalid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for status in [
            IncidentStatus::Investigating,
            IncidentStatus::Identified,
            IncidentStatus::Fixing,
            IncidentStatus::Monitoring,
            IncidentStatus::Resolved,
        ] {
            assert_eq!(status.as_str().parse::<IncidentStatus>(), Ok(status));
        }
    }

    #[test]
    fn valid_declaration_is_trimmed() {
        let d = Declaration::parse("  Checkout 500s  ", "P2", "Since 14:00\n\n").unwrap();
        assert_eq!(d.title, "Checkout 500s");
        assert_eq!(d.severity, Severity::P2);
        assert_eq!(d.description, "Since 14:00");
    }

    #[test]
    fn empty_title_is_rejected_and_input_echoed() {
        let err = Declaration::parse("   ", "P1", "what I typed").unwrap_err();
        assert_eq!(field_error(err.clone(), "title"), "Title is required");
        let invalid = err.invalid().unwrap();
        assert_eq!(invalid.input("description"), Some("what I typed"));
        assert_eq!(invalid.field("severity"), None);
    }

    #[test]
    fn unknown_severity_is_rejected() {
        let err = Declaration::parse("API down", "P9", "").unwrap_err();
        assert!(field_error(err, "severity").contains("unknown severity \"P9\""));
    }

    #[test]
    fn oversized_description_is_rejected() {
        let err = Declaration::parse("API down", "P1", &"x".repeat(10 * 1024 * 1024)).unwrap_err();
        assert_eq!(
            field_error(err, "description"),
            "Description is too long: 10240 KB, at most 64 KB"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = Declaration::parse("", "", &"x".repeat(DESCRIPTION_MAX_BYTES + 1)).unwrap_err();
        let invalid = err.invalid().unwrap();
        assert_eq!(invalid.fields.len(), 3);
    }

    #[test]
    fn overlong_title_is_rejected() {
        let err = Declaration::parse(&"t".repeat(TITLE_MAX_CHARS + 1), "P3", "").unwrap_err();
        assert!(field_error(err, "title").contains("at most 200"));
        assert!(Declaration::parse(&"t".repeat(TITLE_MAX_CHARS), "P3", "").is_ok());
    }
}
