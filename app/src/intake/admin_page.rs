//! `/admin/integrations`: where alerts come in. Each integration's URL, how to point
//! its source at it, its counts (accepted, refused for a bad signature), its routing
//! rules and the rule tester that runs them on a pasted sample without writing.

use super::api::{
    list_alert_deliveries, list_integrations, CreateIntegration, ReplaceIntegrationSecret,
    ReplayAlertDelivery, SaveIntegrationRules, TestIntegrationRules,
};
use super::model::{AlertOutcome, Integration, RuleTestAlert, SourceKind, DATADOG_TEMPLATE};
use crate::catalog::api::system_choices;
use crate::error::Invalid;
use crate::ui::{
    clear_after_success, failure_of, field_message, refusal_of, typed_value, ChoiceSelect, Choices,
    FieldError, SeverityOptions, Timestamp,
};
use leptos::html::Form;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let create = ServerAction::<CreateIntegration>::new();
    // Bumped by a card when its rules are saved: the list reloads with them.
    let saved = RwSignal::new(0_u32);
    let integrations = Resource::new(
        move || (create.version().get(), saved.get()),
        |_| list_integrations(),
    );
    let systems: Choices = Resource::new(|| (), |_| system_choices());
    view! {
        <Title text="Alert integrations · Sitrep"/>
        <h1>"Alert integrations"</h1>
        <p class="muted lede">
            "Each monitoring source sends its alerts to its own URL. An alert opens an incident on the systems its "
            "routing rules pick (their owners are told), re-fires add to that incident, and a resolved alert is "
            "noted for people to decide — it never resolves an incident by itself."
        </p>
        <div class="admin-grid integrations">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match integrations.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" id="no-integrations">"No integrations yet: add one below."</p>
                        }.into_any(),
                        Ok(list) => list.into_iter().map(|integration| view! {
                            <IntegrationCard integration saved/>
                        }).collect_view().into_any(),
                        Err(err) => view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <CreateForm action=create systems/>
        </div>
    }
}

#[component]
fn IntegrationCard(integration: Integration, saved: RwSignal<u32>) -> impl IntoView {
    let heading = format!("integration-{}-heading", integration.id);
    let counts = format!(
        "{} accepted · {} refused (missing or wrong signature)",
        integration.accepted, integration.rejected
    );
    let defaults = format!(
        "Without a matching rule: {} on {}",
        integration.default_severity,
        if integration.systems.is_empty() {
            "no system (admins are told)".to_owned()
        } else {
            integration.systems.join(", ")
        }
    );
    let public_id = integration.id.clone();
    let name = integration.name.clone();
    let kind = integration.kind;
    let url = integration.url.clone();
    let heading_id = heading.clone();
    view! {
        <section class="card integration" data-id=public_id aria-labelledby=heading>
            <h2 id=heading_id>{name} " " <span class="badge">{kind.label()}</span></h2>
            <p class="muted integration-counts">{counts}</p>
            <p>"URL: " <code class="integration-url">{url.clone()}</code></p>
            <p class="muted">{defaults}</p>
            <details class="setup">
                <summary>{format!("Setting up {}", kind.label())}</summary>
                <Setup kind url secret=None/>
            </details>
            <SecretForm integration=integration.id.clone()/>
            <Deliveries integration=integration.id.clone()/>
            <RulesEditor integration saved/>
        </section>
    }
}

/// The rules as JSON text, saved whole; the tester runs the text as it stands.
#[component]
fn RulesEditor(integration: Integration, saved: RwSignal<u32>) -> impl IntoView {
    let id = integration.id.clone();
    let current = serde_json::to_string_pretty(&integration.rules).unwrap_or_else(|_| "[]".into());
    let rules = RwSignal::new(current.clone());
    let save_rules = ServerAction::<SaveIntegrationRules>::new();
    let test = ServerAction::<TestIntegrationRules>::new();
    Effect::new(move |_| {
        if matches!(save_rules.value().get(), Some(Ok(_))) {
            saved.update(|n| *n += 1);
        }
    });
    let save_refusal = refusal_of(move || save_rules.value().get());
    let save_id = id.clone();
    let test_id = id.clone();
    let sample_label = format!("A sample {} payload", integration.kind.label());
    let test_refusal = refusal_of(move || test.value().get());
    let test_failure = failure_of(move || test.value().get());
    let rules_id = format!("rules-{id}");
    let sample_id = format!("sample-{id}");
    view! {
        <h3>"Routing rules"</h3>
        <p class="muted">
            "In order; the first rule an alert matches decides. A rule matches on "
            <code>"when.labels"</code>" (label, tag or service → value, "<code>"*"</code>" for any) and "
            <code>"when.title_contains"</code>"; it sets "<code>"systems"</code>", "<code>"severity"</code>", "
            <code>"tier"</code>" and "<code>"accounts"</code>". A rule without "<code>"when"</code>" catches the rest."
        </p>
        <ActionForm action=save_rules attr:class="rules-form">
            <input type="hidden" name="id" value=save_id/>
            <label for=rules_id.clone()>"Rules (JSON)"</label>
            <textarea id=rules_id.clone() name="rules" rows="10" spellcheck="false" class="code"
                placeholder=RULES_EXAMPLE
                aria-describedby=format!("{rules_id}-error")
                on:input=move |ev| rules.set(event_target_value(&ev))
                prop:value=move || rules.get()>{crate::ui::rcdata_text(&current)}</textarea>
            <RuleErrors id=format!("{rules_id}-error") refusal=save_refusal/>
            <button type="submit" disabled=move || save_rules.pending().get()>"Save rules"</button>
        </ActionForm>
        <h3>"Rule tester"</h3>
        <ActionForm action=test attr:class="rule-test-form">
            <input type="hidden" name="id" value=test_id/>
            <input type="hidden" name="rules" prop:value=move || rules.get()/>
            <label for=sample_id.clone()>{sample_label}</label>
            <textarea id=sample_id.clone() name="sample" rows="8" spellcheck="false" class="code"
                aria-describedby=format!("{sample_id}-error")
                prop:value=typed_value(test_refusal, "sample")></textarea>
            <FieldError id=format!("{sample_id}-error") message=field_message(test_refusal, "sample")/>
            <RuleErrors id=format!("{sample_id}-rules-error") refusal=test_refusal/>
            <button type="submit" disabled=move || test.pending().get()>"Test against these rules"</button>
            <p class="muted">"Uses the rules above as typed, saved or not. Nothing is declared."</p>
        </ActionForm>
        {move || test_failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
        {move || match test.value().get() {
            Some(Ok(alerts)) => Some(view! { <RuleTestResult alerts/> }),
            _ => None,
        }}
    }
}

/// Replaces the secret: the one the source shows (PagerDuty's, once its webhook
/// exists) or a new one; the new secret is shown once.
#[component]
fn SecretForm(integration: String) -> impl IntoView {
    let replace = ServerAction::<ReplaceIntegrationSecret>::new();
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || replace.value().get());
    let failure = failure_of(move || replace.value().get());
    clear_after_success(form, move || replace.value().get());
    let field = format!("secret-{integration}");
    let error_id = format!("{field}-error");
    view! {
        <details class="secret" open=move || refusal.get().is_some()>
            <summary>"Replace the secret"</summary>
            <ActionForm action=replace node_ref=form attr:class="inline-fields">
                <input type="hidden" name="id" value=integration/>
                <label for=field.clone()>"New secret (blank: make one)"</label>
                <input id=field name="secret" type="password" autocomplete="off" aria-describedby=error_id.clone()/>
                <button type="submit" disabled=move || replace.pending().get()>"Replace secret"</button>
                <FieldError id=error_id message=field_message(refusal, "secret")/>
            </ActionForm>
            {move || failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            {move || match replace.value().get() {
                Some(Ok(replaced)) => Some(view! {
                    <p class="saved" role="status">
                        "Replaced; deliveries signed with the old secret are refused from now on. "
                        "The secret (not shown again): " <code class="integration-url replaced-secret">{replaced.secret}</code>
                    </p>
                }),
                _ => None,
            }}
        </details>
    }
}

/// The latest deliveries, what each alert in them did, and a replay through the
/// current rules (for one routed wrongly before the rules were fixed).
#[component]
fn Deliveries(integration: String) -> impl IntoView {
    let replay = ServerAction::<ReplayAlertDelivery>::new();
    let id = integration.clone();
    let deliveries = Resource::new(
        move || replay.version().get(),
        move |_| list_alert_deliveries(id.clone()),
    );
    let failure = failure_of(move || replay.value().get());
    view! {
        <details class="deliveries">
            <summary>"Recent deliveries"</summary>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let integration = integration.clone();
                    Suspend::new(async move {
                        let list = deliveries.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! { <p class="muted">"None yet."</p> }.into_any();
                        }
                        view! {
                            <ol class="delivery-list">
                                {list.into_iter().map(|d| {
                                    let integration = integration.clone();
                                    let what = outcomes(&d.alerts);
                                    let size = format!("{:.1} KB", d.bytes as f64 / 1024.0);
                                    view! {
                                        <li class="delivery" data-delivery=d.id>
                                            <Timestamp at=d.received_at/>
                                            {d.replay_of.map(|of| format!(" · replay of #{of}"))}
                                            {format!(" · {size} · {what}")}
                                            <ActionForm action=replay attr:class="inline-form">
                                                <input type="hidden" name="id" value=integration/>
                                                <input type="hidden" name="delivery" value=d.id/>
                                                <button type="submit" class="link-button" disabled=move || replay.pending().get()>"Replay through the current rules"</button>
                                            </ActionForm>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    })
                }}
            </Transition>
            {move || failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            {move || match replay.value().get() {
                Some(Ok(report)) => Some(view! {
                    <p class="saved" role="status">{format!("Replayed: {}", outcomes(&report.alerts))}</p>
                }),
                _ => None,
            }}
        </details>
    }
}

/// "declared INC-12; counted INC-9" for a delivery's alerts.
fn outcomes(alerts: &[AlertOutcome]) -> String {
    if alerts.is_empty() {
        return "no alerts".into();
    }
    alerts
        .iter()
        .map(|a| match &a.incident {
            Some(key) => format!("{} {key}", a.outcome),
            None => a.outcome.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A refusal's problems with the rules, each naming its rule ("Rule 2, systems: …").
#[component]
fn RuleErrors(id: String, refusal: Memo<Option<Invalid>>) -> impl IntoView {
    let problems = move || {
        refusal.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.fields
                        .iter()
                        .filter(|(field, _)| field.starts_with("rules"))
                        .map(|(field, message)| format!("{}: {message}", rule_field(field)))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <ul class="field-error" id=id role="alert">
            {move || problems().into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
        </ul>
    }
}

/// `rules[1].when.title_contains` → "Rule 2, when.title_contains".
fn rule_field(field: &str) -> String {
    let Some(rest) = field.strip_prefix("rules[") else {
        return "Rules".into();
    };
    match rest.split_once("].") {
        Some((index, what)) => match index.parse::<usize>() {
            Ok(i) => format!("Rule {}, {what}", i + 1),
            Err(_) => field.to_owned(),
        },
        None => field.to_owned(),
    }
}

#[component]
fn RuleTestResult(alerts: Vec<RuleTestAlert>) -> impl IntoView {
    view! {
        <div class="rule-test-result" role="status">
            {if alerts.is_empty() { Some(view! { <p>"The sample holds no alerts."</p> }) } else { None }}
            <ol>
                {alerts.into_iter().map(|a| {
                    let hit = match (a.rule, &a.rule_name) {
                        (Some(n), Some(name)) => format!("Rule {n} “{name}”"),
                        _ => "No rule matched: the integration's defaults".to_owned(),
                    };
                    let systems = if a.systems.is_empty() {
                        "no system (admins are told)".to_owned()
                    } else {
                        a.systems.join(", ")
                    };
                    let mut declares = format!("{} “{}” on {systems}", a.severity, a.title);
                    if let Some(tier) = a.tier {
                        declares.push_str(&format!(", {tier} tier"));
                    }
                    if !a.accounts.is_empty() {
                        declares.push_str(&format!(", accounts {}", a.accounts.join(", ")));
                    }
                    let would = match a.alert.state {
                        super::model::AlertState::Firing => format!("would declare {declares}"),
                        state => format!("is {} (opens nothing; added to the incident it opened)", state.as_str()),
                    };
                    view! {
                        <li>
                            <strong class="rule-hit">{hit}</strong>
                            <span>{format!(" — alert {} {would}", a.alert.dedup_key)}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        </div>
    }
}

#[component]
fn CreateForm(action: ServerAction<CreateIntegration>, systems: Choices) -> impl IntoView {
    let form = NodeRef::<Form>::new();
    let refusal = refusal_of(move || action.value().get());
    let failure = failure_of(move || action.value().get());
    let error = move |field| field_message(refusal, field);
    clear_after_success(form, move || action.value().get());
    let typed_kind = typed_value(refusal, "kind");
    view! {
        <section class="card" id="new-integration" aria-labelledby="new-integration-heading">
            <h2 id="new-integration-heading">"Add an integration"</h2>
            <ActionForm action node_ref=form attr:class="catalog-form" attr:id="integration-form">
                <div class="field">
                    <label for="integration-kind">"Source"</label>
                    <select id="integration-kind" name="kind">
                        {SourceKind::ALL.into_iter().map(|k| {
                            let value = k.as_str();
                            view! { <option value=value selected=move || typed_kind.get() == value>{k.label()}</option> }
                        }).collect_view()}
                    </select>
                    <FieldError id="integration-kind-error" message=error("kind")/>
                </div>
                <div class="field">
                    <label for="integration-name">"Name"</label>
                    <input id="integration-name" name="name" type="text" autocomplete="off"
                        placeholder="Production Alertmanager"
                        prop:value=typed_value(refusal, "name")
                        aria-describedby="integration-name-error"/>
                    <FieldError id="integration-name-error" message=error("name")/>
                </div>
                <div class="field">
                    <label for="integration-severity">"Severity when neither a rule nor the alert gives one"</label>
                    <select id="integration-severity" name="default_severity">
                        <SeverityOptions selected=Signal::derive(|| "P2".to_owned())/>
                    </select>
                    <FieldError id="integration-severity-error" message=error("default_severity")/>
                </div>
                <div class="field">
                    <label for="integration-system">"System when no rule matches"</label>
                    <ChoiceSelect id="integration-system" name="system" blank="None: admins triage" choices=systems/>
                    <FieldError id="integration-system-error" message=error("systems")/>
                </div>
                <div class="field">
                    <label for="integration-secret">"Secret (optional: generated when blank)"</label>
                    <input id="integration-secret" name="secret" type="password" autocomplete="off"
                        aria-describedby="integration-secret-error"/>
                    <FieldError id="integration-secret-error" message=error("secret")/>
                </div>
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Add integration"</button>
            </ActionForm>
            {move || failure.get().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
            {move || match action.value().get() {
                Some(Ok(created)) => Some(view! {
                    <div class="created-integration" id="created-integration" role="status">
                        <p><strong>{format!("{} added.", created.integration.name)}</strong>
                            " Copy the secret now: it is not shown again."</p>
                        <p>"URL: " <code class="integration-url">{created.integration.url.clone()}</code></p>
                        <p>"Secret: " <code id="created-secret" class="integration-url">{created.secret.clone()}</code></p>
                        <Setup kind=created.integration.kind url=created.integration.url.clone() secret=Some(created.secret)/>
                    </div>
                }),
                _ => None,
            }}
        </section>
    }
}

/// How to point a source at its URL, with the secret filled in when it is known.
#[component]
fn Setup(kind: SourceKind, url: String, secret: Option<String>) -> impl IntoView {
    let secret = secret.unwrap_or_else(|| "<the secret>".into());
    let (steps, snippet) = match kind {
        SourceKind::Pagerduty => (
            "PagerDuty → Integrations → Generic Webhooks (v3) → New webhook: paste the URL. \
             PagerDuty then shows the secret it signs each delivery with \
             (X-PagerDuty-Signature): paste it under \"Replace the secret\" on this card.",
            None,
        ),
        SourceKind::Alertmanager => (
            "In alertmanager.yml, a receiver whose webhook sends the secret as a bearer token:",
            Some(format!(
                "receivers:\n  - name: sitrep\n    webhook_configs:\n      - url: {url}\n        send_resolved: true\n        http_config:\n          authorization:\n            credentials: {secret}"
            )),
        ),
        SourceKind::Grafana => (
            "Grafana → Alerting → Contact points → Webhook: paste the URL, and either set \
             Authorization credentials to the secret (a bearer token) or the HMAC signature \
             secret (header X-Grafana-Alerting-Signature, with its timestamp header for replay \
             protection).",
            None,
        ),
        SourceKind::Datadog => (
            "Datadog → Integrations → Webhooks: paste the URL, add the header below, and use \
             this payload (Sitrep reads exactly these fields):",
            Some(format!(
                "Custom headers: {{\"Authorization\": \"Bearer {secret}\"}}\n\nPayload:\n{DATADOG_TEMPLATE}"
            )),
        ),
        SourceKind::Opsgenie => (
            "Opsgenie → Settings → Integrations → Webhook: paste the URL, turn on \"Add Alert \
             Description to Payload\", and add the header Authorization: Bearer with the secret.",
            None,
        ),
        SourceKind::Generic => (
            "POST JSON with Authorization: Bearer and the secret (or X-Sitrep-Token):",
            Some(format!(
                "curl -X POST {url} \\\n  -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' \\\n  -d '{{\"dedup_key\": \"disk-full-db1\", \"status\": \"firing\", \"title\": \"Disk full on db1\", \"severity\": \"P1\", \"labels\": {{\"service\": \"database\"}}}}'"
            )),
        ),
    };
    view! {
        <p class="muted">{steps}</p>
        {snippet.map(|s| view! { <pre class="code setup-snippet">{s}</pre> })}
    }
}

const RULES_EXAMPLE: &str = r#"[
  {"name": "Database pages", "when": {"labels": {"service": "database"}},
   "systems": ["database"], "severity": "P1"},
  {"name": "Everything else", "systems": ["platform"]}
]"#;

#[cfg(test)]
mod tests {
    use super::rule_field;

    #[test]
    fn a_rule_field_is_named_by_its_rule_from_one() {
        assert_eq!(rule_field("rules[0].systems"), "Rule 1, systems");
        assert_eq!(
            rule_field("rules[11].when.title_contains"),
            "Rule 12, when.title_contains"
        );
        assert_eq!(rule_field("rules"), "Rules");
    }
}
