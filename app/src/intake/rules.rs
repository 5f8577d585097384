//! Routing rules: an integration's ordered list, first match wins, deciding what an
//! alert's incident is declared on — systems (their owners are told), severity,
//! impacted tier and accounts. A rule with no conditions matches every alert (a
//! default). Pure: the rule tester runs exactly what intake runs.

use super::model::{Alert, RoutingRule};
use crate::incidents::model::Severity;

/// Whether `rule` matches `alert`: every label it names is there with that value
/// (`*`: any value; case does not matter), and the title holds its text.
pub fn matches(rule: &RoutingRule, alert: &Alert) -> bool {
    let labels = rule.when.labels.iter().all(|(key, wanted)| {
        alert
            .labels
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .is_some_and(|(_, value)| wanted == "*" || value.eq_ignore_ascii_case(wanted))
    });
    let title = rule.when.title_contains.as_deref().is_none_or(|text| {
        alert
            .title
            .to_lowercase()
            .contains(&text.trim().to_lowercase())
    });
    labels && title
}

/// The first rule `alert` matches, with its place in the list (from 1).
pub fn route<'a>(rules: &'a [RoutingRule], alert: &Alert) -> Option<(usize, &'a RoutingRule)> {
    rules
        .iter()
        .enumerate()
        .find(|(_, rule)| matches(rule, alert))
        .map(|(i, rule)| (i + 1, rule))
}

/// The severity an alert is declared at: the rule's, else the alert's own, else the
/// integration's default.
pub fn severity(rule: Option<&RoutingRule>, alert: &Alert, default: Severity) -> Severity {
    rule.and_then(|r| r.severity)
        .or(alert.severity)
        .unwrap_or(default)
}
