//! Alert intake over real HTTP: signed deliveries from each vendor's real payloads
//! open incidents (the owning lead emailed through a real SMTP sink), repeats add to
//! the open one or are only counted, a bad signature writes nothing, and concurrent
//! duplicates open exactly one incident — on both backends.

mod common;

use app::clock::{Clock, ManualClock};
use app::intake::verify::pagerduty_signature;
use chrono::Utc;
use common::peers::SmtpSink;
use common::{Backend, Options, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

for_each_backend!(
    signed_deliveries_open_incidents_and_repeats_add_to_them,
    every_vendor_declares_from_its_own_payload,
    concurrent_duplicate_firings_open_one_incident,
    routing_rules_decide_what_an_alert_declares,
    a_kept_delivery_replays_through_the_current_rules,
);

const SECRET: &str = "whsec_test_0123456789abcdef";

fn fixture(path: &str) -> Vec<u8> {
    let file = format!(
        "{}/../app/src/intake/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

async fn catalog(app: &TestApp) {
    let (status, team) = app
        .post(
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "dana.lee@example.com", "lead_name": "Dana Lee"}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let (status, system) = app
        .post(
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}),
        )
        .await;
    assert_eq!(status, 201, "{system}");
}

/// Creates an integration from `input`: its id and the path to deliver to.
async fn create_integration(app: &TestApp, input: Value) -> (String, String) {
    let (status, created) = app.post("/integrations", input).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["secret"], SECRET);
    let id = created["integration"]["id"].as_str().unwrap().to_owned();
    let url = created["integration"]["url"].as_str().unwrap();
    (id, url[url.find("/api/v1/").unwrap()..].to_owned())
}

/// Creates an integration of `kind` on payments-api; its path to deliver to.
async fn integration(app: &TestApp, kind: &str) -> String {
    let input = json!({"kind": kind, "name": format!("Prod {kind}"), "systems": ["payments-api"], "secret": SECRET});
    create_integration(app, input).await.1
}

/// Sends `body` to `path` the way `kind` signs it (or with `headers` as given).
async fn deliver(app: &TestApp, path: &str, kind: &str, body: &[u8], sign: bool) -> (u16, Value) {
    let request = reqwest::Client::new().post(app.url(path));
    let request = if sign {
        common::signed_delivery(request, kind, SECRET, body)
    } else {
        request
            .header("content-type", "application/json")
            .body(body.to_vec())
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn incident_count(app: &TestApp) -> usize {
    let (status, list) = app.get("/incidents").await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().len()
}

async fn alert_entries(app: &TestApp, key: &str) -> Vec<Value> {
    let (status, timeline) = app.get(&format!("/incidents/{key}/timeline")).await;
    assert_eq!(status, 200, "{timeline}");
    let entries = timeline["entries"]
        .as_array()
        .or(timeline.as_array())
        .unwrap()
        .clone();
    entries
        .into_iter()
        .filter(|e| e["kind"] == "alert")
        .collect()
}

async fn signed_deliveries_open_incidents_and_repeats_add_to_them(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let time = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            clock: Some(time.clone()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    let path = integration(&app, "pagerduty").await;
    let recorded = fixture("pagerduty/triggered_v3.json");
    // As PagerDuty would send it now (the recorded event happened in 2021).
    let mut event: Value = serde_json::from_slice(&recorded).unwrap();
    event["event"]["occurred_at"] = json!(time.now().to_rfc3339());
    let triggered = serde_json::to_vec(&event).unwrap();

    // Unsigned or wrongly signed: 401, nothing written, counted.
    let (status, refused) = deliver(&app, &path, "pagerduty", &triggered, false).await;
    assert_eq!(status, 401, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-PagerDuty-Signature"),
        "{refused}"
    );
    let response = reqwest::Client::new()
        .post(app.url(&path))
        .header(
            "x-pagerduty-signature",
            pagerduty_signature("not the secret at all", &triggered),
        )
        .body(triggered.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(incident_count(&app).await, 0);
    let (_, listed) = app.get("/integrations").await;
    assert_eq!(listed[0]["rejected"], 2, "{listed}");
    assert!(
        !listed.to_string().contains(SECRET),
        "the secret is never read back"
    );

    // Signed: an incident on the integration's system, its lead emailed.
    let (status, report) = deliver(&app, &path, "pagerduty", &triggered, true).await;
    assert_eq!(status, 202, "{report}");
    assert_eq!(report["alerts"][0]["outcome"], "declared", "{report}");
    let key = report["alerts"][0]["incident"].as_str().unwrap().to_owned();
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(incident["source"], "alert");
    assert_eq!(incident["systems"], json!(["payments-api"]));
    let pd: Value = serde_json::from_slice(&triggered).unwrap();
    assert_eq!(incident["title"], pd["event"]["data"]["title"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while smtp.received().is_empty() {
        assert!(Instant::now() < deadline, "the lead was not emailed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(smtp.received()[0].to, ["<dana.lee@example.com>"]);

    // The recorded delivery, correctly signed but from 2021: a replay, refused.
    let (status, replayed) = deliver(&app, &path, "pagerduty", &recorded, true).await;
    assert_eq!(status, 401, "{replayed}");
    assert!(
        replayed["error"]["message"]
            .as_str()
            .unwrap()
            .contains("occurred_at"),
        "{replayed}"
    );
    let (_, listed) = app.get("/integrations").await;
    assert_eq!(listed[0]["rejected"], 3, "{listed}");

    // A repeat within a minute is counted; after it, the next one is an entry saying
    // how many it stands for.
    let (_, again) = deliver(&app, &path, "pagerduty", &triggered, true).await;
    assert_eq!(again["alerts"][0]["outcome"], "counted", "{again}");
    assert!(alert_entries(&app, &key).await.is_empty());
    time.advance(chrono::Duration::minutes(2));
    let (_, later) = deliver(&app, &path, "pagerduty", &triggered, true).await;
    assert_eq!(later["alerts"][0]["outcome"], "appended", "{later}");
    let entries = alert_entries(&app, &key).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        (&entries[0]["state"], &entries[0]["repeats"]),
        (&json!("firing"), &json!(2))
    );

    // Resolved at the source: said on the timeline, the incident stays open.
    // (The fixtures come from different PagerDuty incidents: this one's resolution is
    // the triggered event with its type changed.)
    let mut event: Value = serde_json::from_slice(&triggered).unwrap();
    event["event"]["event_type"] = json!("incident.resolved");
    let resolution = serde_json::to_vec(&event).unwrap();
    let (_, resolved) = deliver(&app, &path, "pagerduty", &resolution, true).await;
    assert_eq!(resolved["alerts"][0]["outcome"], "appended", "{resolved}");
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_ne!(incident["status"], "resolved");
    assert_eq!(
        alert_entries(&app, &key).await.last().unwrap()["state"],
        "resolved"
    );

    // Once people resolve it, a new firing opens a new incident that names the old.
    let (status, _) = app
        .patch(&format!("/incidents/{key}"), json!({"status": "resolved"}))
        .await;
    assert_eq!(status, 200);
    let (_, reopened) = deliver(&app, &path, "pagerduty", &triggered, true).await;
    assert_eq!(reopened["alerts"][0]["outcome"], "declared", "{reopened}");
    let second = reopened["alerts"][0]["incident"].as_str().unwrap();
    assert_ne!(second, key);
    let (_, incident) = app.get(&format!("/incidents/{second}")).await;
    assert!(
        incident["description"]
            .as_str()
            .unwrap()
            .contains(&format!("Fired again after {key} was resolved")),
        "{incident}"
    );

    // Malformed, too large, unknown: refused, naming why.
    let (status, refused) = deliver(
        &app,
        &path,
        "pagerduty",
        br#"{"event": {"event_type": "incident.triggered", "data": {}}}"#,
        true,
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("$.event.data.id"),
        "{refused}"
    );
    let huge = vec![b' '; 300 * 1024];
    let (status, _) = deliver(&app, &path, "pagerduty", &huge, true).await;
    assert_eq!(status, 413);
    let (status, _) = deliver(
        &app,
        "/api/v1/intake/pagerduty/nope",
        "pagerduty",
        &triggered,
        true,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = deliver(
        &app,
        &path.replace("pagerduty", "opsgenie"),
        "opsgenie",
        &triggered,
        true,
    )
    .await;
    assert_eq!(status, 404, "an integration answers only at its own kind");
    assert_eq!(incident_count(&app).await, 2);

    // PagerDuty shows its signing secret once the webhook (with this URL) exists: the
    // admin puts it in; deliveries signed with the old one are refused from then on.
    let (_, listed) = app.get("/integrations").await;
    let id = listed[0]["id"].as_str().unwrap();
    let secret_url = format!("/integrations/{id}/secret");
    let (status, short) = app
        .api(
            reqwest::Method::PUT,
            &secret_url,
            Some(json!({"secret": "short"})),
        )
        .await;
    assert_eq!(status, 422, "{short}");
    assert!(short["error"]["fields"]["secret"].is_string(), "{short}");
    let from_pagerduty = "pd_whsec_shown_by_pagerduty_42";
    let (status, replaced) = app
        .api(
            reqwest::Method::PUT,
            &secret_url,
            Some(json!({"secret": from_pagerduty})),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["secret"], from_pagerduty);
    let (status, _) = deliver(&app, &path, "pagerduty", &triggered, true).await;
    assert_eq!(status, 401, "the old secret no longer signs");
    let response = reqwest::Client::new()
        .post(app.url(&path))
        .header(
            "x-pagerduty-signature",
            pagerduty_signature(from_pagerduty, &triggered),
        )
        .body(triggered.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let (_, listed) = app.get("/integrations").await;
    assert!(
        !listed.to_string().contains(from_pagerduty),
        "never read back"
    );
    let (status, generated) = app
        .api(reqwest::Method::PUT, &secret_url, Some(json!({})))
        .await;
    assert_eq!(status, 200, "{generated}");
    assert!(generated["secret"].as_str().unwrap().starts_with("whsec_"));
}

async fn every_vendor_declares_from_its_own_payload(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    let mut keys = Vec::new();
    let generic =
        json!({"dedup_key": "disk-full-db-7", "title": "Disk full on db-7", "severity": "P1"})
            .to_string();
    let datadog = json!({"alert_id": "77", "title": "[Triggered] Checkout p99 above 2 s", "transition": "Triggered", "priority": "P2", "tags": "service:checkout", "scope": "host:web-1"}).to_string();
    for (kind, body, title) in [
        (
            "alertmanager",
            fixture("alertmanager/single_alert_no_url.json"),
            None,
        ),
        ("grafana", fixture("grafana/alert_values_v11.json"), None),
        (
            "opsgenie",
            fixture("opsgenie/create.json"),
            Some("another alert"),
        ),
        (
            "datadog",
            datadog.into_bytes(),
            Some("Checkout p99 above 2 s"),
        ),
        ("generic", generic.into_bytes(), Some("Disk full on db-7")),
    ] {
        let path = integration(&app, kind).await;
        let (status, report) = deliver(&app, &path, kind, &body, true).await;
        assert_eq!(status, 202, "{kind}: {report}");
        assert_eq!(
            report["alerts"][0]["outcome"], "declared",
            "{kind}: {report}"
        );
        let key = report["alerts"][0]["incident"].as_str().unwrap();
        keys.push(key.to_owned());
        let (_, incident) = app.get(&format!("/incidents/{key}")).await;
        assert_eq!(incident["source"], "alert", "{kind}");
        if let Some(title) = title {
            assert_eq!(incident["title"], title, "{kind}");
        }
        let (status, _) = deliver(&app, &path, kind, &body, false).await;
        assert_eq!(status, 401, "{kind} unsigned");
    }
    let (status, generic) = app.get("/incidents").await;
    assert_eq!(status, 200);
    let p1 = generic
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"] == "Disk full on db-7")
        .unwrap();
    assert_eq!(p1["severity"], "P1", "the alert's own severity");
    // Each vendor's incident reached payments-api's lead by email (a real SMTP sink).
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.received().len() < keys.len() {
        assert!(
            Instant::now() < deadline,
            "told of {} of {} incidents",
            smtp.received().len(),
            keys.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mails = smtp.received();
    for key in &keys {
        let mail = mails
            .iter()
            .find(|m| m.data.contains(&format!("] {key} ")))
            .unwrap_or_else(|| panic!("no email about {key}"));
        assert_eq!(mail.to, ["<dana.lee@example.com>"]);
    }
}

async fn concurrent_duplicate_firings_open_one_incident(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    catalog(&app).await;
    let path = integration(&app, "generic").await;
    let body = json!({"dedup_key": "checkout-5xx", "title": "Checkout 5xx above 5 %"}).to_string();
    let senders: Vec<_> = (0..10)
        .map(|_| {
            let (app, path, body) = (app.clone(), path.clone(), body.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for _ in 0..100 {
                    let (status, report) =
                        deliver(&app, &path, "generic", body.as_bytes(), true).await;
                    assert_eq!(status, 202, "{report}");
                    outcomes.push(report["alerts"][0]["outcome"].as_str().unwrap().to_owned());
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for sender in senders {
        outcomes.extend(sender.await.unwrap());
    }
    assert_eq!(outcomes.len(), 1000);
    assert_eq!(outcomes.iter().filter(|o| *o == "declared").count(), 1);
    assert_eq!(incident_count(&app).await, 1);
    let (_, list) = app.get("/incidents").await;
    let key = list[0]["key"].as_str().unwrap();
    // All within a minute: counted, not each an entry.
    assert!(alert_entries(&app, key).await.len() <= 1);
    let (_, listed) = app.get("/integrations").await;
    assert_eq!(listed[0]["accepted"], 1000);
}

async fn routing_rules_decide_what_an_alert_declares(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    let (status, _) = app
        .post("/systems", json!({"slug": "search", "name": "Search"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            "/accounts",
            json!({"slug": "acme", "name": "Acme", "tier": "enterprise"}),
        )
        .await;
    assert_eq!(status, 201);
    // No default systems: an alert no rule catches goes to the admins.
    let (id, path) = create_integration(
        &app,
        json!({"kind": "alertmanager", "name": "Prod AM", "secret": SECRET}),
    )
    .await;

    let rules = json!([
        {"name": "Checkout for Acme", "when": {"labels": {"service": "checkout"}, "title_contains": "5xx"},
         "systems": ["payments-api"], "severity": "P1", "accounts": ["acme"]},
        {"name": "Anything search", "when": {"labels": {"team": "*"}}, "systems": ["search"]}
    ]);
    let rules_url = format!("/integrations/{id}/rules");
    let (status, refused) = app
        .api(
            reqwest::Method::PUT,
            &rules_url,
            Some(json!([{"name": "", "systems": ["nope"]}])),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["rules[0].name"].is_string(),
        "{refused}"
    );
    assert!(
        refused["error"]["fields"]["rules[0].systems"]
            .as_str()
            .unwrap()
            .contains("nope"),
        "{refused}"
    );
    let (status, saved) = app.api(reqwest::Method::PUT, &rules_url, Some(rules)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["rules"].as_array().unwrap().len(), 2);

    let alert = |labels: Value, summary: &str, fingerprint: &str| {
        json!({"status": "firing", "groupKey": "g", "alerts": [
            {"status": "firing", "labels": labels, "annotations": {"summary": summary}, "fingerprint": fingerprint}
        ]})
        .to_string()
    };
    // The tester says which rule a sample hits and what it would declare.
    let sample = alert(
        json!({"service": "Checkout", "severity": "warning"}),
        "Checkout 5xx above 5 %",
        "a",
    );
    let (status, tried) = app
        .post(
            &format!("/integrations/{id}/rule-test"),
            json!({"sample": sample}),
        )
        .await;
    assert_eq!(status, 200, "{tried}");
    assert_eq!(
        (&tried[0]["rule"], &tried[0]["rule_name"]),
        (&json!(1), &json!("Checkout for Acme"))
    );
    assert_eq!(
        (&tried[0]["severity"], &tried[0]["systems"]),
        (&json!("P1"), &json!(["payments-api"]))
    );
    let (status, refused) = app
        .post(
            &format!("/integrations/{id}/rule-test"),
            json!({"sample": "{\"alerts\": [{}]}"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["sample"]
            .as_str()
            .unwrap()
            .contains("$.alerts[0].status"),
        "{refused}"
    );
    assert_eq!(incident_count(&app).await, 0, "the tester writes nothing");

    // Delivered: each alert as its rule says.
    let declared = |body: String| {
        let (app, path) = (&app, path.clone());
        async move {
            let (status, report) = deliver(app, &path, "alertmanager", body.as_bytes(), true).await;
            assert_eq!(status, 202, "{report}");
            let key = report["alerts"][0]["incident"].as_str().unwrap().to_owned();
            app.get(&format!("/incidents/{key}")).await.1
        }
    };
    let checkout = declared(sample).await;
    assert_eq!(
        (
            &checkout["severity"],
            &checkout["systems"],
            &checkout["accounts"]
        ),
        (&json!("P1"), &json!(["payments-api"]), &json!(["acme"]))
    );
    let search = declared(alert(json!({"team": "search"}), "Slow queries", "b")).await;
    assert_eq!(
        (&search["severity"], &search["systems"]),
        (&json!("P2"), &json!(["search"]))
    );
    let stray = declared(alert(json!({"env": "prod"}), "Disk 91 % on db-7", "c")).await;
    assert_eq!(stray["systems"], json!([]));
    // The admins are told about the one nobody owns.
    let key = stray["key"].as_str().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let told = smtp
            .received()
            .iter()
            .any(|m| m.data.contains(key) && m.data.contains("matched no routing rule"));
        if told {
            break;
        }
        assert!(Instant::now() < deadline, "admins not told about {key}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_kept_delivery_replays_through_the_current_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let (id, path) = create_integration(
        &app,
        json!({"kind": "generic", "name": "Cron checks", "secret": SECRET}),
    )
    .await;

    // No rule yet: declared without a system.
    let body = br#"{"dedup_key": "backup-failed", "title": "Nightly backup failed", "labels": {"job": "backup"}}"#;
    let (status, first) = deliver(&app, &path, "generic", body, true).await;
    assert_eq!(status, 202, "{first}");
    let before = first["alerts"][0]["incident"].as_str().unwrap().to_owned();
    let (_, incident) = app.get(&format!("/incidents/{before}")).await;
    assert_eq!(incident["systems"], json!([]));

    // The admin adds the rule it should have hit, closes the misrouted incident and
    // replays the delivery: a new incident, routed this time.
    let (status, _) = app
        .api(
            reqwest::Method::PUT,
            &format!("/integrations/{id}/rules"),
            Some(json!([{"name": "Backups", "when": {"labels": {"job": "backup"}}, "systems": ["payments-api"], "severity": "P2"}])),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .patch(
            &format!("/incidents/{before}"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, kept) = app.get(&format!("/integrations/{id}/deliveries")).await;
    assert_eq!(status, 200, "{kept}");
    assert_eq!(kept.as_array().unwrap().len(), 1, "{kept}");
    assert_eq!(kept[0]["bytes"], body.len());
    assert_eq!(kept[0]["alerts"][0]["outcome"], "declared");
    let delivery = kept[0]["id"].as_i64().unwrap();

    let (status, replayed) = app
        .post(
            &format!("/integrations/{id}/deliveries/{delivery}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{replayed}");
    assert_eq!(replayed["alerts"][0]["outcome"], "declared");
    let after = replayed["alerts"][0]["incident"].as_str().unwrap();
    assert_ne!(after, before);
    let (_, incident) = app.get(&format!("/incidents/{after}")).await;
    assert_eq!(incident["systems"], json!(["payments-api"]));
    assert!(
        incident["description"].as_str().unwrap().contains(&before),
        "the new incident names the old: {incident}"
    );

    let (_, kept) = app.get(&format!("/integrations/{id}/deliveries")).await;
    assert_eq!(kept[0]["replay_of"], delivery, "{kept}");
    let (_, listed) = app.get("/integrations").await;
    assert_eq!(
        listed[0]["accepted"], 1,
        "a replay is not a new delivery from the source"
    );

    let (status, missing) = app
        .post(
            &format!("/integrations/{id}/deliveries/999999/replay"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "{missing}");
}
