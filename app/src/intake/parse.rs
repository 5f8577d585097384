//! Each vendor's webhook payload read into alerts. Unknown fields are ignored; a
//! missing or mistyped required field is an error naming its JSON path.

use super::model::{Alert, AlertState, SourceKind};
use crate::incidents::model::Severity;
use serde_json::Value;
use std::collections::BTreeMap;

/// A payload that cannot be read: what is wrong, at which JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub path: String,
    pub problem: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.problem)
    }
}

/// Longest title kept (a title is one line of the incident list).
const TITLE_MAX_CHARS: usize = 200;

pub fn parse(kind: SourceKind, body: &Value) -> Result<Vec<Alert>, ParseError> {
    match kind {
        SourceKind::Pagerduty => pagerduty(body),
        // Grafana's unified alerting sends Alertmanager's shape (plus a few fields).
        SourceKind::Alertmanager | SourceKind::Grafana => alertmanager(kind, body),
        SourceKind::Datadog => datadog(body),
        SourceKind::Opsgenie => opsgenie(body),
        SourceKind::Generic => generic(body),
    }
}

/// Walks `value` along `path` (dot-separated), naming where it stopped.
struct At<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> At<'a> {
    fn root(value: &'a Value) -> At<'a> {
        At {
            value,
            path: "$".into(),
        }
    }

    fn error(&self, problem: impl Into<String>) -> ParseError {
        ParseError {
            path: self.path.clone(),
            problem: problem.into(),
        }
    }

    fn get(&self, key: &str) -> Result<At<'a>, ParseError> {
        let path = format!("{}.{key}", self.path);
        match self.value.get(key) {
            Some(Value::Null) | None => Err(ParseError {
                path,
                problem: "is required".into(),
            }),
            Some(value) => Ok(At { value, path }),
        }
    }

    /// The field, or `None` when absent or null.
    fn opt(&self, key: &str) -> Option<At<'a>> {
        self.get(key).ok()
    }

    fn str(&self) -> Result<&'a str, ParseError> {
        self.value
            .as_str()
            .ok_or_else(|| self.error("must be a string"))
    }

    fn text(&self, key: &str) -> Result<&'a str, ParseError> {
        let field = self.get(key)?;
        let text = field.str()?;
        if text.trim().is_empty() {
            return Err(field.error("must not be empty"));
        }
        Ok(text)
    }

    fn opt_text(&self, key: &str) -> Option<&'a str> {
        self.opt(key)
            .and_then(|f| f.value.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    fn array(&self, key: &str) -> Result<Vec<At<'a>>, ParseError> {
        let field = self.get(key)?;
        let items = field
            .value
            .as_array()
            .ok_or_else(|| field.error("must be a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| At {
                value,
                path: format!("{}[{i}]", field.path),
            })
            .collect())
    }

    /// A JSON object of strings (labels, annotations); other values are written out.
    fn strings(&self, key: &str) -> BTreeMap<String, String> {
        let Some(Value::Object(map)) = self.value.get(key) else {
            return BTreeMap::new();
        };
        map.iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

fn one_line(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or_default().trim();
    line.chars().take(TITLE_MAX_CHARS).collect()
}

/// A vendor's word for how bad it is, as our severity.
fn severity_of(word: &str) -> Option<Severity> {
    match word.trim().to_ascii_lowercase().as_str() {
        "p1" | "1" | "sev1" | "sev-1" | "critical" | "page" | "high" | "disaster" => {
            Some(Severity::P1)
        }
        "p2" | "2" | "sev2" | "sev-2" | "error" | "major" | "warning" | "medium" => {
            Some(Severity::P2)
        }
        "p3" | "p4" | "p5" | "3" | "4" | "5" | "sev3" | "sev-3" | "minor" | "info" | "low" => {
            Some(Severity::P3)
        }
        _ => None,
    }
}

/// PagerDuty v3: one event per delivery about one PagerDuty incident (its id is the key).
fn pagerduty(body: &Value) -> Result<Vec<Alert>, ParseError> {
    let event = At::root(body).get("event")?;
    let event_type = event.text("event_type")?;
    let data = event.get("data")?;
    // Notes and status updates carry a reference to their incident instead.
    let incident = data.opt("incident").unwrap_or(At {
        value: data.value,
        path: data.path.clone(),
    });
    let id = incident.text("id")?;
    let state = match event_type {
        "incident.triggered" | "incident.reopened" => AlertState::Firing,
        "incident.resolved" => AlertState::Resolved,
        _ => AlertState::Update,
    };
    let title = incident
        .opt_text("title")
        .or_else(|| incident.opt_text("summary"))
        .unwrap_or(event_type);
    let mut labels = BTreeMap::new();
    if let Some(service) = data.opt("service").and_then(|s| s.opt_text("summary")) {
        labels.insert("service".into(), service.to_owned());
    }
    if let Some(urgency) = data.opt_text("urgency") {
        labels.insert("urgency".into(), urgency.to_owned());
    }
    let priority = data.opt("priority").and_then(|p| p.opt_text("summary"));
    if let Some(priority) = priority {
        labels.insert("priority".into(), priority.to_owned());
    }
    let details = data
        .opt_text("content")
        .or_else(|| data.opt_text("message"))
        .map(|text| format!("{}: {text}", event_type.trim_start_matches("incident.")))
        .unwrap_or_else(|| format!("PagerDuty {event_type}"));
    let severity = priority
        .and_then(severity_of)
        .or_else(|| match data.opt_text("urgency") {
            Some("high") => Some(Severity::P2),
            Some("low") => Some(Severity::P3),
            _ => None,
        });
    Ok(vec![Alert {
        dedup_key: id.to_owned(),
        state,
        title: one_line(title),
        details,
        severity,
        labels,
        link: incident.opt_text("html_url").map(str::to_owned),
    }])
}

/// Alertmanager (and Grafana): a group of alerts, each with its own state; the key is
/// the group's key and the alert's fingerprint.
fn alertmanager(kind: SourceKind, body: &Value) -> Result<Vec<Alert>, ParseError> {
    let root = At::root(body);
    let group = root.opt_text("groupKey").unwrap_or_default();
    let alerts = root.array("alerts")?;
    if alerts.is_empty() {
        return Err(root.get("alerts")?.error("must hold at least one alert"));
    }
    alerts
        .iter()
        .map(|alert| {
            let status = alert.text("status")?;
            let state = match status {
                "firing" => AlertState::Firing,
                "resolved" => AlertState::Resolved,
                _ => {
                    return Err(alert
                        .get("status")?
                        .error(format!("unknown status {status:?}: firing or resolved")))
                }
            };
            let labels = alert.strings("labels");
            let annotations = alert.strings("annotations");
            // Grafana leaves out a fingerprint in test notifications: the labels stand in.
            let fingerprint = alert
                .opt_text("fingerprint")
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    labels
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                });
            let title = annotations
                .get("summary")
                .or_else(|| labels.get("alertname"))
                .cloned()
                .or_else(|| root.opt_text("title").map(str::to_owned))
                .unwrap_or_else(|| format!("{} alert", kind.label()));
            let details = annotations
                .get("description")
                .cloned()
                .or_else(|| alert.opt_text("valueString").map(str::to_owned))
                .unwrap_or_default();
            let link = alert
                .opt_text("generatorURL")
                .or_else(|| alert.opt_text("dashboardURL"))
                .map(str::to_owned);
            Ok(Alert {
                dedup_key: format!("{group}/{fingerprint}"),
                state,
                title: one_line(&title),
                details,
                severity: labels.get("severity").and_then(|s| severity_of(s)),
                labels,
                link,
            })
        })
        .collect()
}

/// Datadog, in the template above: `transition` says what happened.
fn datadog(body: &Value) -> Result<Vec<Alert>, ParseError> {
    let root = At::root(body);
    let id = root.text("alert_id")?;
    let title = root.text("title")?;
    let transition = root.opt_text("transition").unwrap_or("Triggered");
    let state = match transition.to_ascii_lowercase().as_str() {
        "triggered" | "re-triggered" | "warn" | "re-warned" | "no data" | "re-no data" => {
            AlertState::Firing
        }
        "recovered" => AlertState::Resolved,
        _ => AlertState::Update,
    };
    // Tags come as "env:prod,service:checkout".
    let labels = root
        .opt_text("tags")
        .unwrap_or_default()
        .split(',')
        .filter_map(|tag| {
            let tag = tag.trim();
            (!tag.is_empty()).then(|| match tag.split_once(':') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (tag.to_owned(), String::new()),
            })
        })
        .collect();
    // One monitor alerts once per scope (host, service…): both make the key.
    let scope = root.opt_text("scope").unwrap_or_default();
    Ok(vec![Alert {
        dedup_key: format!("{id}/{scope}"),
        state,
        title: one_line(title.trim_start_matches("[Triggered] ")),
        details: root.opt_text("body").unwrap_or_default().to_owned(),
        severity: root.opt_text("priority").and_then(severity_of),
        labels,
        link: root.opt_text("link").map(str::to_owned),
    }])
}

/// Opsgenie: an action on one alert, keyed by its alias.
fn opsgenie(body: &Value) -> Result<Vec<Alert>, ParseError> {
    let root = At::root(body);
    let action = root.text("action")?;
    let alert = root.get("alert")?;
    let key = alert
        .opt_text("alias")
        .map_or_else(|| alert.text("alertId"), Ok)?;
    let state = match action {
        "Create" => AlertState::Firing,
        "Close" => AlertState::Resolved,
        _ => AlertState::Update,
    };
    let mut labels = BTreeMap::new();
    if let Some(Value::Array(tags)) = alert.value.get("tags") {
        for tag in tags.iter().filter_map(Value::as_str) {
            labels.insert(tag.to_owned(), String::new());
        }
    }
    if let Some(entity) = alert.opt_text("entity") {
        labels.insert("entity".into(), entity.to_owned());
    }
    let priority = match alert.value.get("priority") {
        Some(Value::String(p)) => severity_of(p),
        Some(Value::Number(n)) => severity_of(&n.to_string()),
        _ => None,
    };
    let details = match alert.opt_text("note") {
        Some(note) => format!("{action}: {note}"),
        None => format!("Opsgenie {action}"),
    };
    Ok(vec![Alert {
        dedup_key: key.to_owned(),
        state,
        title: one_line(alert.text("message")?),
        details,
        severity: priority,
        labels,
        link: None,
    }])
}

/// Sitrep's own shape: `{dedup_key, title, status?, details?, severity?, labels?, link?}`.
fn generic(body: &Value) -> Result<Vec<Alert>, ParseError> {
    let root = At::root(body);
    let state = match root.opt_text("status").unwrap_or("firing") {
        "firing" | "triggered" => AlertState::Firing,
        "resolved" => AlertState::Resolved,
        "update" => AlertState::Update,
        other => {
            return Err(root.get("status")?.error(format!(
                "unknown status {other:?}: firing, resolved or update"
            )))
        }
    };
    let severity = match root.opt_text("severity") {
        None => None,
        Some(word) => Some(severity_of(word).ok_or_else(|| ParseError {
            path: "$.severity".into(),
            problem: format!("unknown severity {word:?}: P1, P2 or P3"),
        })?),
    };
    Ok(vec![Alert {
        dedup_key: root.text("dedup_key")?.to_owned(),
        state,
        title: one_line(root.text("title")?),
        details: root.opt_text("details").unwrap_or_default().to_owned(),
        severity,
        labels: root.strings("labels"),
        link: root.opt_text("link").map(str::to_owned),
    }])
}
