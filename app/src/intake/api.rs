//! Server functions for the integrations page. Routing rules travel as the JSON text
//! the admin edits (the same shape `PUT /api/v1/integrations/{id}/rules` takes), so a
//! typing mistake comes back naming its line and column, with the text kept.

use super::model::{
    CreatedIntegration, Delivery, DeliveryReport, Integration, RoutingRule, RuleTestAlert,
};
use crate::error::AppError;
use leptos::prelude::*;

/// Every integration, secrets left out.
#[server(prefix = "/api/fn", endpoint = "list_integrations")]
pub async fn list_integrations() -> Result<Vec<Integration>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::service::list(&state, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Creates an integration; its secret is in this answer only.
#[server(prefix = "/api/fn", endpoint = "create_integration")]
pub async fn create_integration(
    kind: String,
    name: String,
    default_severity: Option<String>,
    system: Option<String>,
    secret: Option<String>,
) -> Result<CreatedIntegration, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let input = super::model::IntegrationInput {
        kind,
        name,
        default_severity,
        systems: system.into_iter().filter(|s| !s.is_empty()).collect(),
        secret,
    };
    super::service::create(&state, &input, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Saves an integration's routing rules from their JSON text.
#[server(prefix = "/api/fn", endpoint = "save_integration_rules")]
pub async fn save_integration_rules(id: String, rules: String) -> Result<Integration, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let parsed = read_rules(&rules)?;
    super::service::save_rules(&state, &id, &parsed, &by)
        .await
        .map_err(|err| err.echoing(&[("rules", &rules)]))
        .inspect_err(crate::error::set_error_status)
}

/// The rule tester: what each alert of `sample` would do under the rules being
/// edited (`rules`; blank: the saved ones). Nothing is written.
#[server(prefix = "/api/fn", endpoint = "test_integration_rules")]
pub async fn test_integration_rules(
    id: String,
    sample: String,
    rules: String,
) -> Result<Vec<RuleTestAlert>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    let rules = match rules.trim() {
        "" => None,
        _ => Some(read_rules(&rules)?),
    };
    let test = super::model::RuleTest { sample, rules };
    super::service::test_rules(&state, &id, &test, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Replaces an integration's secret (blank: a new one); shown in the answer only.
#[server(prefix = "/api/fn", endpoint = "replace_integration_secret")]
pub async fn replace_integration_secret(
    id: String,
    secret: Option<String>,
) -> Result<CreatedIntegration, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::service::replace_secret(&state, &id, secret.as_deref(), &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// An integration's latest deliveries.
#[server(prefix = "/api/fn", endpoint = "list_alert_deliveries")]
pub async fn list_alert_deliveries(id: String) -> Result<Vec<Delivery>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::service::deliveries(&state, &id, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// Replays a kept delivery through the current rules.
#[server(prefix = "/api/fn", endpoint = "replay_alert_delivery")]
pub async fn replay_alert_delivery(id: String, delivery: i64) -> Result<DeliveryReport, AppError> {
    let state = crate::state::AppState::from_context()?;
    let by = crate::identity::api::signed_in()?;
    super::service::replay(&state, &id, delivery, &by)
        .await
        .inspect_err(crate::error::set_error_status)
}

/// The rules' JSON text read, or a refusal on the `rules` field saying where it
/// went wrong.
pub fn read_rules(text: &str) -> Result<Vec<RoutingRule>, AppError> {
    serde_json::from_str(text).map_err(|e| {
        let mut invalid = crate::error::Invalid::default();
        invalid.add(
            "rules",
            format!(
                "Line {}, column {}: {}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ),
        );
        invalid.echo("rules", text);
        AppError::Invalid(invalid)
    })
}

/// serde_json ends its messages with " at line L column C", said once already.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typing_mistake_in_the_rules_names_its_line_and_column_and_keeps_the_text() {
        let text = "[\n  {\"name\": \"db\", \"when\": {\"labels\": {\"service\": \"db\"}},\n  \"severity\": \"P9\"}\n]";
        let err = read_rules(text).unwrap_err();
        let invalid = err.invalid().expect("a refusal on a field");
        let message = invalid.field("rules").unwrap();
        assert!(message.starts_with("Line 3, column"), "{message}");
        assert!(message.contains("P9"), "{message}");
        assert!(!message.contains(" at line "), "{message}");
        assert_eq!(invalid.input("rules"), Some(text));
    }

    #[test]
    fn well_formed_rules_read_in_order() {
        let rules = read_rules(
            r#"[{"name": "db", "when": {"labels": {"service": "db"}}, "systems": ["db"]},
                {"name": "everything else"}]"#,
        )
        .unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0].systems, ["db"]);
        assert!(rules[1].when.labels.is_empty());
    }
}
