//! Status pages fed by sent customer messages: a message to every impacted account
//! shows on the public page and its JSON; one to a single account only on that
//! account's private page; nothing internal reaches any public route; a rotated
//! private link is a 404 at once; components follow the incidents customers were
//! told of. Both backends.

mod common;

use common::{Backend, TestApp};
use serde_json::{json, Value};

for_each_backend!(
    the_pages_show_what_was_sent_to_their_readers_and_nothing_internal,
    components_are_checked_and_saved_as_a_whole_list,
);

/// Words that live only inside the company: none may reach a public route.
const INTERNAL: &[&str] = &[
    "db-7 primary",    // the incident's title
    "OOM-killed",      // an internal update
    "ask Dana before", // an internal note
    "Dana Lee",        // the engineering lead
    "Acme Corp",       // accounts
    "Globex",
    "payments-api", // system slugs and internal names
    "Payments API",
    "dana@example.com",
    "ops@acme.example",
];

async fn catalog(app: &TestApp) {
    for (path, body) in [
        (
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "dana@example.com", "lead_name": "Dana Lee"}),
        ),
        (
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments", "customer_name": "Checkout"}),
        ),
        (
            "/systems",
            json!({"slug": "reporting", "name": "Reporting service", "customer_name": "Reports"}),
        ),
        (
            "/accounts",
            json!({"slug": "acme", "name": "Acme Corp", "tier": "enterprise", "contact_emails": ["ops@acme.example"]}),
        ),
        (
            "/accounts",
            json!({"slug": "globex", "name": "Globex", "tier": "business", "contact_emails": ["it@globex.example"]}),
        ),
    ] {
        let (status, created) = app.post(path, body).await;
        assert_eq!(status, 201, "{path}: {created}");
    }
    for tier in ["enterprise", "business", "standard"] {
        let (status, body) = app
            .api(
                reqwest::Method::PUT,
                "/comms/approval-policies",
                Some(json!({"tier": tier, "needs_approval": false})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, saved) = app
        .api(
            reqwest::Method::PUT,
            "/status/components",
            Some(json!([
                {"slug": "checkout", "name": "Checkout", "group": "Payments", "systems": ["payments-api"]},
                {"slug": "reports", "name": "Reports", "systems": ["reporting"]},
            ])),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
}

/// Drafts a message with `body` for `audience` and sends it.
async fn send(app: &TestApp, key: &str, audience: Value, status: &str, body: &str) {
    let (code, drafted) = app
        .post(
            &format!("/incidents/{key}/messages"),
            json!({"audience": audience, "customer_status": status, "body": body}),
        )
        .await;
    assert_eq!(code, 201, "{drafted}");
    let id = drafted["id"].as_i64().unwrap();
    let (code, sent) = app
        .post(
            &format!("/incidents/{key}/messages/{id}/transitions"),
            json!({"action": "send"}),
        )
        .await;
    assert_eq!(
        (code, sent["state"].as_str()),
        (200, Some("sent")),
        "{sent}"
    );
}

/// A public route, read as anyone would: no credentials.
async fn public(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.anon.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn public_json(app: &TestApp, path: &str) -> Value {
    let (status, body) = public(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn private_link(app: &TestApp, account: &str) -> String {
    let (status, link) = app
        .post(&format!("/accounts/{account}/status-link"), json!({}))
        .await;
    assert_eq!(status, 200, "{link}");
    let url = link["url"].as_str().unwrap();
    url[url.find("/status/a/").unwrap()..].to_owned()
}

fn component_status(summary: &Value, id: &str) -> String {
    summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no component {id}: {summary}"))["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_pages_show_what_was_sent_to_their_readers_and_nothing_internal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let acme = private_link(&app, "acme").await;
    let globex = private_link(&app, "globex").await;

    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(summary["status"]["description"], "All Systems Operational");
    assert_eq!(component_status(&summary, "checkout"), "operational");

    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments failing on db-7 primary", "severity": "P1",
                   "systems": ["payments-api"], "accounts": ["acme", "globex"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    for entry in [
        json!({"body": "Primary was OOM-killed; failing over", "customer_visible": false}),
        json!({"kind": "note", "body": "ask Dana before touching the replica"}),
    ] {
        let (status, posted) = app.post(&format!("/incidents/{key}/timeline"), entry).await;
        assert_eq!(status, 201, "{posted}");
    }
    // Declared, but customers were told nothing yet: the page says nothing either.
    let (_, page) = public(&app, "/status").await;
    assert!(page.contains("All Systems Operational"), "{page}");
    assert!(!page.contains(&key), "{page}");

    send(
        &app,
        &key,
        json!({"kind": "all"}),
        "investigating",
        "Some card payments are failing. We are on it.",
    )
    .await;
    let (status, page) = public(&app, "/status").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Some card payments are failing. We are on it."),
        "{page}"
    );
    assert!(page.contains("Major System Outage"), "{page}");
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "critical");
    assert_eq!(component_status(&summary, "checkout"), "major_outage");
    assert_eq!(component_status(&summary, "group-payments"), "major_outage");
    assert_eq!(component_status(&summary, "reports"), "operational");
    let open = &summary["incidents"][0];
    assert_eq!(open["id"], key.as_str());
    assert_eq!(open["status"], "investigating");
    assert_eq!(open["impact"], "critical");
    assert_eq!(
        open["incident_updates"][0]["body"],
        "Some card payments are failing. We are on it."
    );
    assert_eq!(open["components"][0]["id"], "checkout");

    // To Acme alone: on Acme's page only.
    let (status, changed) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "identified"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let only_acme = "Your EU checkout is the one affected; we will call your team.";
    send(
        &app,
        &key,
        json!({"kind": "accounts", "accounts": ["acme"]}),
        "identified",
        only_acme,
    )
    .await;
    let (_, page) = public(&app, "/status").await;
    assert!(
        !page.contains(only_acme),
        "the public page shows an account's message"
    );
    let (status, page) = public(&app, &acme).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(only_acme) && page.contains("Some card payments are failing"),
        "{page}"
    );
    let (_, page) = public(&app, &globex).await;
    assert!(!page.contains(only_acme), "Globex reads Acme's message");
    assert!(page.contains("Some card payments are failing"), "{page}");
    let acme_incidents = public_json(&app, &format!("{acme}/api/v2/incidents.json")).await;
    assert_eq!(acme_incidents["incidents"][0]["status"], "identified");
    let public_incidents = public_json(&app, "/status/api/v2/incidents.json").await;
    assert_eq!(public_incidents["incidents"][0]["status"], "investigating");

    // Resolved and told: calm again, the incident in the history.
    let (status, changed) = app
        .patch(&format!("/incidents/{key}"), json!({"status": "resolved"}))
        .await;
    assert_eq!(status, 200, "{changed}");
    send(
        &app,
        &key,
        json!({"kind": "all"}),
        "resolved",
        "Card payments work normally again.",
    )
    .await;
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(component_status(&summary, "checkout"), "operational");
    assert_eq!(summary["incidents"], json!([]));
    let incidents = public_json(&app, "/status/api/v2/incidents.json").await;
    assert_eq!(incidents["incidents"][0]["status"], "resolved");
    assert!(incidents["incidents"][0]["resolved_at"].is_string());
    let (_, page) = public(&app, "/status").await;
    assert!(
        page.contains("Past incidents") && page.contains("Card payments work normally again."),
        "{page}"
    );

    // Nothing internal on any public route, the private ones included (the account
    // sees its own name only on its own page).
    for path in [
        "/status".to_owned(),
        "/status/api/v2/status.json".into(),
        "/status/api/v2/summary.json".into(),
        "/status/api/v2/incidents.json".into(),
        "/status/history.atom".into(),
        "/status/badge.svg".into(),
        globex.clone(),
        format!("{globex}/history.atom"),
        format!("{globex}/api/v2/summary.json"),
        format!("{globex}/api/v2/incidents.json"),
    ] {
        let (status, body) = public(&app, &path).await;
        assert_eq!(status, 200, "{path}");
        for word in INTERNAL
            .iter()
            .filter(|w| !(path.starts_with(&globex) && **w == "Globex"))
        {
            assert!(!body.contains(word), "{path} shows internal text {word:?}");
        }
    }

    // A new link for Acme: the old one is gone at once, the new one works.
    let rotated = private_link(&app, "acme").await;
    assert_ne!(rotated, acme);
    for path in [acme.clone(), format!("{acme}/api/v2/summary.json")] {
        let (status, _) = public(&app, &path).await;
        assert_eq!(status, 404, "{path} still answers after rotation");
    }
    let (status, page) = public(&app, &rotated).await;
    assert_eq!(status, 200);
    assert!(page.contains(only_acme));
    let (status, _) = public(&app, "/status/a/st_nonsense").await;
    assert_eq!(status, 404);
    for missing in [
        "/status/api/v2/components.xml",
        "/status/summary.json",
        "/status/api/v2/badge.svg",
    ] {
        let (status, _) = public(&app, missing).await;
        assert_eq!(status, 404, "{missing}");
    }
}

async fn components_are_checked_and_saved_as_a_whole_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let (status, refused) = app
        .api(
            reqwest::Method::PUT,
            "/status/components",
            Some(json!([
                {"slug": "Checkout!", "name": "", "systems": ["payments-api"]},
                {"slug": "api", "name": "API", "systems": ["payments-api", "no-such-system"]},
            ])),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    let fields = &refused["error"]["fields"];
    for field in [
        "components[0].slug",
        "components[0].name",
        "components[1].systems",
        "systems",
    ] {
        assert!(fields[field].is_string(), "{field} not named: {refused}");
    }
    // Refused whole: the earlier list stands.
    let (_, list) = app.get("/status/components").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");

    let (status, saved) = app
        .api(
            reqwest::Method::PUT,
            "/status/components",
            Some(json!([{"slug": "reports", "name": "Reporting", "systems": ["reporting", "payments-api"]}])),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved,
        json!([{"slug": "reports", "name": "Reporting", "group": "", "description": "",
                              "systems": ["payments-api", "reporting"]}])
    );
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    let ids: Vec<&str> = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["reports"], "the page shows the new list at once");

    // Only those who run the status page change it.
    let (status, _) = app
        .api_as(
            &app.client_as("engineer"),
            reqwest::Method::PUT,
            "/status/components",
            Some(json!([])),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.post("/accounts/nobody/status-link", json!({})).await;
    assert_eq!(status, 404);
}
