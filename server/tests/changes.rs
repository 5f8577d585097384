//! Changing an incident after declaration: roles, impact (systems, accounts, tier),
//! removing timeline entries, and finding incidents by filter and search. Against
//! SQLite and PostgreSQL.

mod common;

use common::peers::WebhookReceiver;
use common::{Backend, TestApp, ADMIN_NAME};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

for_each_backend!(
    roles_are_handed_over_and_logged,
    adding_a_system_notifies_its_owner_and_logs_the_impact,
    removing_accounts_rederives_the_tier,
    bad_changes_are_refused_and_write_nothing,
    removed_entries_keep_who_and_why_but_not_the_text,
    list_filters_by_system_account_and_tier_and_searches_text,
);

/// Webhooks that are never reached (the tests using it do not wait for deliveries).
const NOWHERE: (&str, &str) = ("http://127.0.0.1:9/hook", "http://127.0.0.1:9/hook");

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body["error"]["fields"][name].as_str().unwrap_or_default()
}

/// Two teams (payments led by Dana, search led by Sam, each with its webhook), a
/// system each, three accounts of different tiers.
async fn catalog(app: &TestApp, (payments_hook, search_hook): (&str, &str)) {
    for (team, lead, name, system, webhook) in [
        (
            "payments",
            "dana@example.com",
            "Dana Lee",
            "payments-api",
            payments_hook,
        ),
        (
            "search",
            "sam@example.com",
            "Sam Ortiz",
            "search-api",
            search_hook,
        ),
    ] {
        let (status, body) = app
            .post(
                "/teams",
                json!({"slug": team, "name": team, "lead_email": lead, "lead_name": name,
                       "notify_webhook_url": webhook}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, body) = app
            .post(
                "/systems",
                json!({"slug": system, "name": system, "team": team}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    for (slug, tier) in [
        ("acme", "enterprise"),
        ("wayne", "business"),
        ("oscorp", "standard"),
    ] {
        let (status, body) = app
            .post(
                "/accounts",
                json!({"slug": slug, "name": slug, "tier": tier, "csm_email": "priya@example.com", "csm_name": "Priya Raman"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

async fn declare(app: &TestApp, body: Value) -> String {
    let (status, incident) = app.post("/incidents", body).await;
    assert_eq!(status, 201, "{incident}");
    incident["key"].as_str().unwrap().to_owned()
}

async fn roles_are_handed_over_and_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app, NOWHERE).await;
    let key = declare(
        &app,
        json!({"title": "Checkout errors", "severity": "P1", "systems": ["payments-api"]}),
    )
    .await;
    let (status, incident) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"lead": "dana@example.com", "comms_owner": "priya@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["lead"]["display_name"], "Dana Lee");
    assert_eq!(incident["comms_owner"]["email"], "priya@example.com");

    let (status, incident) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"lead": "sam@example.com", "comms_owner": ""}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["lead"]["display_name"], "Sam Ortiz");
    assert!(incident["comms_owner"].is_null(), "an empty value clears");

    let roles: Vec<(String, Value, Value, String)> = app
        .timeline(&key)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "role_change")
        .map(|e| {
            (
                e["role"].as_str().unwrap().to_owned(),
                e["from"].clone(),
                e["to"].clone(),
                e["author"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            (
                "lead".into(),
                Value::Null,
                json!("Dana Lee"),
                ADMIN_NAME.into()
            ),
            (
                "comms_owner".into(),
                Value::Null,
                json!("Priya Raman"),
                ADMIN_NAME.into()
            ),
            (
                "lead".into(),
                json!("Dana Lee"),
                json!("Sam Ortiz"),
                ADMIN_NAME.into()
            ),
            (
                "comms_owner".into(),
                json!("Priya Raman"),
                Value::Null,
                ADMIN_NAME.into()
            ),
        ]
    );
    let (_, page) = app.page(&format!("/incidents/{key}")).await;
    assert!(page.contains("Sam Ortiz"), "the war room shows the lead");
}

async fn adding_a_system_notifies_its_owner_and_logs_the_impact(backend: Backend) {
    let (payments, search) = (
        WebhookReceiver::start(0).await,
        WebhookReceiver::start(0).await,
    );
    let app = TestApp::spawn(backend).await;
    catalog(&app, (&payments.url(), &search.url())).await;
    let key = declare(
        &app,
        json!({"title": "Checkout errors", "severity": "P1", "systems": ["payments-api"], "accounts": ["wayne"]}),
    )
    .await;
    let (status, incident) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"add_systems": ["search-api"], "add_accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["systems"], json!(["payments-api", "search-api"]));
    assert_eq!(incident["accounts"], json!(["wayne", "acme"]));
    assert_eq!(incident["impacted_tier"], "enterprise");

    let entry = app.timeline(&key).await.pop().unwrap();
    assert_eq!(entry["kind"], "impact_change", "{entry}");
    assert_eq!(entry["systems_added"], json!(["search-api"]));
    assert_eq!(entry["accounts_added"], json!(["acme"]));
    assert_eq!(
        (entry["tier_from"].as_str(), entry["tier_to"].as_str()),
        (Some("business"), Some("enterprise"))
    );

    // Sam (search's lead) is told through the search team's webhook, once.
    let deadline = Instant::now() + Duration::from_secs(20);
    while search.accepted().is_empty() || payments.accepted().is_empty() {
        assert!(Instant::now() < deadline, "search's lead was not notified");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let told = search.accepted();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].to_string().contains(&key), "{told:?}");
    assert_eq!(
        payments.accepted().len(),
        1,
        "Dana heard once, at declaration"
    );
    let (_, notified) = app.get(&format!("/incidents/{key}/notifications")).await;
    let recipients: Vec<&str> = notified["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["recipient"].as_str().unwrap())
        .collect();
    assert!(
        recipients.contains(&"Sam Ortiz") && recipients.contains(&"Dana Lee"),
        "{notified}"
    );
}

async fn removing_accounts_rederives_the_tier(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app, NOWHERE).await;
    let key = declare(
        &app,
        json!({"title": "Slow exports", "severity": "P2", "systems": ["search-api"], "accounts": ["acme", "oscorp"]}),
    )
    .await;
    let (status, incident) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"remove_accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["accounts"], json!(["oscorp"]));
    assert_eq!(incident["impacted_tier"], "standard");
    let (status, incident) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"customer_tier": "business"}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["impacted_tier"], "business");
    let entry = app.timeline(&key).await.pop().unwrap();
    assert_eq!(
        (entry["tier_from"].as_str(), entry["tier_to"].as_str()),
        (Some("standard"), Some("business"))
    );
}

async fn bad_changes_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app, NOWHERE).await;
    let key = declare(
        &app,
        json!({"title": "Checkout errors", "severity": "P1", "systems": ["payments-api"], "accounts": ["acme"]}),
    )
    .await;
    let path = format!("/incidents/{key}");
    let (_, before) = app.get(&path).await;
    let cases = [
        (
            json!({"lead": "nobody@example.com"}),
            "lead",
            "Nobody with the email",
        ),
        (json!({"lead": "not an email"}), "lead", "is not an email"),
        (
            json!({"add_systems": ["nope"]}),
            "add_systems",
            "unknown system nope",
        ),
        (
            json!({"add_systems": ["payments-api"]}),
            "add_systems",
            "already affected",
        ),
        (
            json!({"remove_systems": ["payments-api"]}),
            "remove_systems",
            "must remain",
        ),
        (
            json!({"remove_systems": ["search-api"]}),
            "remove_systems",
            "not affected",
        ),
        (
            json!({"add_accounts": ["acme"]}),
            "add_accounts",
            "already impacted",
        ),
        (
            json!({"remove_accounts": ["wayne"]}),
            "remove_accounts",
            "not impacted",
        ),
        (
            json!({"add_accounts": ["wayne"], "remove_accounts": ["wayne"]}),
            "remove_accounts",
            "both added and removed",
        ),
        (
            json!({"customer_tier": "gold"}),
            "customer_tier",
            "unknown tier",
        ),
        (
            json!({"customer_tier": "enterprise"}),
            "customer_tier",
            "already enterprise",
        ),
        (json!({}), "status", "Nothing to change"),
        // A valid part does not get written when another part is wrong.
        (
            json!({"status": "fixing", "add_systems": ["nope"]}),
            "add_systems",
            "unknown system",
        ),
        (
            json!({"comms_owner": "priya@example.com", "lead": "nobody@example.com"}),
            "lead",
            "Nobody",
        ),
    ];
    for (body, name, message) in cases {
        let (status, refusal) = app.patch(&path, body.clone()).await;
        assert_eq!(status, 422, "{body} → {refusal}");
        assert!(
            field(&refusal, name).contains(message),
            "{body} → {refusal}"
        );
    }
    let (status, refusal) = app.patch(&path, json!({"lead": ""})).await;
    assert_eq!(status, 422, "clearing an empty role is a no-op: {refusal}");
    let (_, after) = app.get(&path).await;
    assert_eq!(after, before, "nothing was written");
    assert_eq!(app.timeline(&key).await.len(), 1);
}

async fn removed_entries_keep_who_and_why_but_not_the_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = declare(
        &app,
        json!({"title": "Card data in logs", "severity": "P2"}),
    )
    .await;
    let (status, posted) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "Customer card 4242 4242 4242 4242 failed"}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    let seq = posted["seq"].as_i64().unwrap();
    let redaction = format!("/incidents/{key}/timeline/{seq}/redaction");

    let (status, refusal) = app.post(&redaction, json!({"reason": "  "})).await;
    assert_eq!(status, 422);
    assert!(field(&refusal, "reason").contains("why"), "{refusal}");
    let (status, refusal) = app
        .post(
            &format!("/incidents/{key}/timeline/1/redaction"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(status, 422, "the declaration is the record: {refusal}");

    let (status, removed) = app
        .post(&redaction, json!({"reason": "card number pasted"}))
        .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["body"], "");
    assert_eq!(removed["redaction"]["author"], ADMIN_NAME);
    assert_eq!(removed["redaction"]["reason"], "card number pasted");

    let entry = app
        .timeline(&key)
        .await
        .into_iter()
        .find(|e| e["seq"] == seq)
        .unwrap();
    assert_eq!(entry["body"], "", "readers no longer get the text");
    assert_eq!(entry["body_html"], "");
    assert_eq!(entry["redaction"]["reason"], "card number pasted");
    let (_, page) = app.page(&format!("/incidents/{key}")).await;
    // The whole number: four digits alone turn up by chance (a nonce, a timestamp).
    assert!(
        !page.contains("4242 4242 4242 4242"),
        "the war room does not show it"
    );
    assert!(page.contains("Removed by Ada Admin: card number pasted"));
    let (_, found) = app.get("/incidents?q=4242").await;
    assert_eq!(found, json!([]), "search does not find removed text");

    // The text stays in the history, for those who may remove entries (admins).
    let history_path = format!("/incidents/{key}/timeline/{seq}/revisions");
    let (_, history) = app.get(&history_path).await;
    assert!(history[0]["body"].as_str().unwrap().contains("4242"));
    let engineer = app.client_as("engineer");
    let refused = engineer
        .get(app.url(&format!("/api/v1{history_path}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let refusal: Value = refused.json().await.unwrap();
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("redact_entry"),
        "{refusal}"
    );

    let (status, again) = app.post(&redaction, json!({"reason": "again"})).await;
    assert_eq!(status, 422, "{again}");
    let (status, refusal) = app
        .post(
            &format!("/incidents/{key}/timeline/{seq}/revisions"),
            json!({"body": "new text"}),
        )
        .await;
    assert_eq!(
        status, 422,
        "a removed entry cannot be corrected: {refusal}"
    );
}

async fn list_filters_by_system_account_and_tier_and_searches_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app, NOWHERE).await;
    let checkout = declare(
        &app,
        json!({"title": "Checkout errors", "severity": "P1", "systems": ["payments-api"], "accounts": ["acme"]}),
    )
    .await;
    let search = declare(
        &app,
        json!({"title": "Slow search", "severity": "P3", "systems": ["search-api"], "accounts": ["oscorp"]}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/incidents/{search}/timeline"),
            json!({"body": "Elasticsearch shard **REBALANCING** 100% stuck"}),
        )
        .await;
    assert_eq!(status, 201);
    let keys = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap_or_else(|| panic!("{list}"))
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("system=payments-api", vec![checkout.clone()]),
        ("system=search-api", vec![search.clone()]),
        ("account=acme", vec![checkout.clone()]),
        ("tier=standard", vec![search.clone()]),
        ("tier=enterprise&severity=P1", vec![checkout.clone()]),
        ("tier=enterprise&severity=P3", vec![]),
        ("q=checkout", vec![checkout.clone()]),
        ("q=rebalancing", vec![search.clone()]),
        ("q=100%25", vec![search.clone()]),
        ("q=%25", vec![search.clone()]),
        ("q=_", vec![]),
        ("system=unknown-system", vec![]),
        ("", vec![search.clone(), checkout.clone()]),
    ] {
        let (status, list) = app.get(&format!("/incidents?{query}")).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(keys(&list), expected, "{query}");
    }
    let (status, refusal) = app.get("/incidents?tier=gold&status=open").await;
    assert_eq!(status, 422, "{refusal}");
    assert!(field(&refusal, "tier").contains("unknown tier"));
    assert!(field(&refusal, "status").contains("unknown status"));

    // The list page filters the same way, from its query string.
    let (_, page) = app.page("/?q=rebalancing").await;
    assert!(page.contains(&format!("data-key=\"{search}\"")));
    assert!(!page.contains(&format!("data-key=\"{checkout}\"")));
}
