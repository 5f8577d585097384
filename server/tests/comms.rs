//! Customer communication on a server whose time the test moves: the schedule drafts
//! updates when due (not while paused), a severity change re-derives its interval;
//! enterprise messages wait for a second person; the guards hold messages back with
//! their reasons and an override is logged; email reaches a real SMTP sink and the
//! signed webhook a real HTTP receiver that checks the signature; restarts and a
//! second replica neither drop nor repeat a delivery. Both backends.

mod common;

use app::clock::ManualClock;
use chrono::{DateTime, Duration, Utc};
use common::peers::{SmtpSink, WebhookReceiver};
use common::{Backend, Options, TestApp, ADMIN_EMAIL};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

for_each_backend!(
    the_schedule_drafts_updates_when_due_not_while_paused_and_follows_the_severity,
    an_enterprise_message_is_sent_only_after_someone_else_approves_it,
    each_guard_holds_a_message_back_with_its_reason_and_an_override_is_logged,
    bad_input_is_refused_naming_the_problem_and_writes_nothing,
    a_restart_between_approval_and_delivery_neither_drops_nor_duplicates,
    two_replicas_send_each_message_once_per_recipient_and_fire_a_due_update_once,
);

/// Acme (enterprise, 30 min P1 updates, two contacts) and Globex (business, 60 min),
/// both hit by the payments API ("Checkout" to customers); Initech is not impacted.
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
            json!({"slug": "acme", "name": "Acme Corp", "tier": "enterprise",
            "contact_emails": ["ops@acme.example", "cto@acme.example"]}),
        ),
        (
            "/accounts",
            json!({"slug": "globex", "name": "Globex", "tier": "business",
            "contact_emails": ["it@globex.example"]}),
        ),
        (
            "/accounts",
            json!({"slug": "initech", "name": "Initech", "tier": "standard",
            "contact_emails": ["help@initech.example"]}),
        ),
    ] {
        let (status, created) = app.post(path, body).await;
        assert_eq!(status, 201, "{path}: {created}");
    }
}

async fn declare(app: &TestApp, accounts: &[&str]) -> String {
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments failing", "severity": "P1",
                   "systems": ["payments-api"], "accounts": accounts}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    incident["key"].as_str().unwrap().to_owned()
}

async fn comms(app: &TestApp, key: &str) -> Value {
    let (status, body) = app.get(&format!("/incidents/{key}/comms")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn messages(app: &TestApp, key: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/incidents/{key}/messages")).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// Polls `check` for up to 10 s.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

async fn wait_for_messages(app: &TestApp, key: &str, count: usize) -> Vec<Value> {
    eventually(&format!("{count} messages"), async || {
        let all = messages(app, key).await;
        (all.len() >= count).then_some(all)
    })
    .await
}

async fn no_approvals(app: &TestApp) {
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
}

async fn post_update(app: &TestApp, key: &str, body: &str, customer_visible: bool) {
    let (status, posted) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": body, "customer_visible": customer_visible}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
}

async fn move_message(
    app: &TestApp,
    client: &reqwest::Client,
    key: &str,
    id: i64,
    body: Value,
) -> (u16, Value) {
    app.api_as(
        client,
        reqwest::Method::POST,
        &format!("/incidents/{key}/messages/{id}/transitions"),
        Some(body),
    )
    .await
}

async fn draft(app: &TestApp, key: &str, body: Value) -> Value {
    let (status, message) = app.post(&format!("/incidents/{key}/messages"), body).await;
    assert_eq!(status, 201, "{message}");
    message
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

/// The emails the sink got for customers (not the engineering notifications).
fn customer_mails(sink: &SmtpSink) -> Vec<common::peers::ReceivedMail> {
    sink.received()
        .into_iter()
        .filter(|m| m.to.iter().all(|to| !to.ends_with("@example.com>")))
        .collect()
}

/// How many times the schedule fired, from the incident's event log.
async fn updates_due(app: &TestApp, key: &str) -> usize {
    let mut live = app.live(&[]).await.unwrap();
    let (events, _) = live.subscribe(key, 0).await;
    events
        .iter()
        .filter(|e| e["kind"] == "comms.update_due")
        .count()
}

async fn the_schedule_drafts_updates_when_due_not_while_paused_and_follows_the_severity(
    backend: Backend,
) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(time.clone()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    no_approvals(&app).await;
    let key = declare(&app, &["acme", "globex"]).await;
    post_update(&app, &key, "Card payments fail with gateway timeouts", true).await;
    post_update(&app, &key, "Paged the gateway vendor", false).await;

    // The tightest P1 update target among Acme (30) and Globex (60).
    let overview = comms(&app, &key).await;
    let schedule = &overview["schedule"];
    assert_eq!(schedule["interval_min"], 30, "{overview}");
    assert_eq!(schedule["default_interval_min"], 30);
    let started = at(&schedule["anchor_at"]);
    assert_eq!(
        at(&schedule["next_due_at"]),
        started + Duration::minutes(30)
    );
    assert_eq!(
        overview["owner_missing"], true,
        "a P1 with accounts and no owner"
    );

    // Not before it is due.
    time.advance(Duration::minutes(29));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(messages(&app, &key).await.is_empty());

    // Due: the scheduler drafts the update from engineering's customer-visible entries.
    time.advance(Duration::minutes(2));
    let drafted = wait_for_messages(&app, &key, 1).await;
    let first = &drafted[0];
    assert_eq!(
        (first["state"].as_str(), first["created_by"].as_str()),
        (Some("draft"), Some("Sitrep"))
    );
    assert_eq!(first["audience"], json!({"kind": "all"}));
    let body = first["body"].as_str().unwrap();
    assert!(
        body.contains("- Card payments fail with gateway timeouts"),
        "{body}"
    );
    assert!(
        !body.contains("vendor"),
        "internal entries stay out: {body}"
    );
    assert!(
        first["subject"].as_str().unwrap().contains("Checkout"),
        "{first}"
    );
    assert_eq!(first["sources"].as_array().unwrap().len(), 1);

    // Engineering posts again: the draft says it is stale; regenerating quotes the new
    // entry too, and the earlier text stays in its history.
    let id = first["id"].as_i64().unwrap();
    assert_eq!(first["newer_entries"], json!([]));
    post_update(
        &app,
        &key,
        "Gateway vendor confirms a certificate problem",
        true,
    )
    .await;
    let (_, stale) = app.get(&format!("/incidents/{key}/messages/{id}")).await;
    assert_eq!(
        stale["newer_entries"].as_array().unwrap().len(),
        1,
        "{stale}"
    );
    let (status, regenerated) = app
        .post(
            &format!("/incidents/{key}/messages/{id}/regeneration"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{regenerated}");
    assert_eq!(regenerated["version"], 2);
    assert_eq!(regenerated["newer_entries"], json!([]));
    assert_eq!(regenerated["sources"].as_array().unwrap().len(), 2);
    assert!(
        regenerated["body"]
            .as_str()
            .unwrap()
            .contains("certificate problem"),
        "{regenerated}"
    );
    let versions = regenerated["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["origin"], "generated");
    assert!(!versions[0]["body"]
        .as_str()
        .unwrap()
        .contains("certificate problem"));

    // Sent at 31 min: the next update counts from now.
    let (status, sent) = move_message(&app, &app.client, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 200, "{sent}");
    let schedule = comms(&app, &key).await["schedule"].clone();
    assert_eq!(
        at(&schedule["next_due_at"]),
        started + Duration::minutes(61)
    );

    // Paused: nothing fires, however long.
    let (status, paused) = app
        .patch(
            &format!("/incidents/{key}/comms/schedule"),
            json!({"paused": true, "reason": "Acme asked for updates by phone only"}),
        )
        .await;
    assert_eq!(status, 200, "{paused}");
    assert_eq!(
        paused["paused"]["reason"],
        "Acme asked for updates by phone only"
    );
    time.advance(Duration::minutes(40));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(messages(&app, &key).await.len(), 1);
    assert_eq!(updates_due(&app, &key).await, 1);

    // Resumed, overdue: it fires at once, exactly once.
    let (status, resumed) = app
        .patch(
            &format!("/incidents/{key}/comms/schedule"),
            json!({"paused": false}),
        )
        .await;
    assert_eq!(status, 200, "{resumed}");
    wait_for_messages(&app, &key, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(updates_due(&app, &key).await, 2);
    assert_eq!(messages(&app, &key).await.len(), 2);

    // P1 → P2: Acme's P2 target is 60 min, Globex's 120: the interval follows.
    let (status, changed) = app
        .patch(&format!("/incidents/{key}"), json!({"severity": "P2"}))
        .await;
    assert_eq!(status, 200, "{changed}");
    let interval = eventually("the interval to follow the severity", async || {
        let schedule = comms(&app, &key).await["schedule"].clone();
        (schedule["interval_min"] == 60).then_some(schedule)
    })
    .await;
    assert_eq!(
        at(&interval["next_due_at"]),
        started + Duration::minutes(31 + 60)
    );

    // CS's own interval wins over the default until set back to 0.
    let (status, set) = app
        .patch(
            &format!("/incidents/{key}/comms/schedule"),
            json!({"interval_min": 15}),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(
        (
            set["interval_min"].as_i64(),
            set["interval_overridden"].as_bool()
        ),
        (Some(15), Some(true))
    );
}

async fn an_enterprise_message_is_sent_only_after_someone_else_approves_it(backend: Backend) {
    let sink = SmtpSink::start().await;
    let receiver = WebhookReceiver::start(0).await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(sink.url()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    let (status, webhook) = app
        .api(
            reqwest::Method::PUT,
            "/accounts/acme/webhook",
            Some(json!({"url": receiver.url()})),
        )
        .await;
    assert_eq!(status, 200, "{webhook}");
    let secret = webhook["secret"].as_str().unwrap().to_owned();
    let key = declare(&app, &["acme"]).await;
    post_update(&app, &key, "Card payments fail for some customers", true).await;

    // Customer success takes the comms role itself.
    let (priya_email, _, priya) = app.person("cs", "Priya Raman");
    let (_, _, lee) = app.person("cs", "Lee Lead");
    let (_, _, engineer) = app.person("engineer", "Dana Lee");
    let (status, changed) = app
        .api_as(
            &priya,
            reqwest::Method::PATCH,
            &format!("/incidents/{key}"),
            Some(json!({"comms_owner": priya_email})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (status, refused) = app
        .api_as(
            &priya,
            reqwest::Method::PATCH,
            &format!("/incidents/{key}"),
            Some(json!({"status": "identified"})),
        )
        .await;
    assert_eq!(status, 403, "CS hands over comms only: {refused}");

    let (status, drafted) = app
        .api_as(
            &priya,
            reqwest::Method::POST,
            &format!("/incidents/{key}/messages"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 201, "{drafted}");
    let id = drafted["id"].as_i64().unwrap();
    assert_eq!(drafted["needs_approval"], true);

    // Not without approval, and not approved by its author.
    let (status, body) = move_message(&app, &priya, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = move_message(&app, &priya, &key, id, json!({"action": "submit"})).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("in_review")),
        "{body}"
    );
    let (status, body) = move_message(&app, &priya, &key, id, json!({"action": "approve"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("someone else"),
        "{body}"
    );
    let (status, body) =
        move_message(&app, &engineer, &key, id, json!({"action": "approve"})).await;
    assert_eq!(status, 403, "engineers do not approve: {body}");
    assert!(customer_mails(&sink).is_empty());

    let (status, body) = move_message(&app, &lee, &key, id, json!({"action": "approve"})).await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
    // Only the owner (or an admin) sends.
    let (status, body) = move_message(&app, &lee, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Priya Raman"),
        "{body}"
    );
    let (status, sent) = move_message(&app, &priya, &key, id, json!({"action": "send"})).await;
    assert_eq!(
        (status, sent["state"].as_str()),
        (200, Some("sent")),
        "{sent}"
    );
    let moves: Vec<(String, String)> = sent["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["to"].as_str().unwrap().to_owned(),
                t["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("draft".to_owned(), "Priya Raman".to_owned()),
            ("in_review".to_owned(), "Priya Raman".to_owned()),
            ("approved".to_owned(), "Lee Lead".to_owned()),
            ("sent".to_owned(), "Priya Raman".to_owned()),
        ]
    );

    // Both contacts by email, the webhook signed; each delivery tracked.
    let mails = eventually("two emails", async || {
        let mails = customer_mails(&sink);
        (mails.len() >= 2).then_some(mails)
    })
    .await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["<cto@acme.example>", "<ops@acme.example>"]);
    for mail in &mails {
        assert!(
            mail.data.contains(&format!("Message-ID: <msg-{id}-acct-")),
            "{}",
            mail.data
        );
        assert!(
            mail.data.contains("Card payments fail for some customers"),
            "{}",
            mail.data
        );
    }
    let request = eventually("the webhook", async || receiver.requests().pop()).await;
    let header = |name: &str| request.headers[name].to_str().unwrap().to_owned();
    let timestamp = header("x-sitrep-timestamp");
    let signature = header("x-sitrep-signature");
    {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{}", request.body).as_bytes());
        let expected = format!("v1={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(signature, expected, "the receiver's check of the signature");
    }
    let payload: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        (payload["account"].as_str(), payload["status"].as_str()),
        (Some("acme"), Some("investigating"))
    );
    assert_eq!(
        payload["id"].as_str(),
        Some(header("idempotency-key").as_str())
    );
    let delivered = eventually("three deliveries delivered", async || {
        let (_, message) = app.get(&format!("/incidents/{key}/messages/{id}")).await;
        let deliveries = message["deliveries"].as_array().unwrap().clone();
        (deliveries.len() == 3 && deliveries.iter().all(|d| d["status"] == "delivered"))
            .then_some(deliveries)
    })
    .await;
    assert_eq!(
        delivered
            .iter()
            .filter(|d| d["channel"] == "webhook")
            .count(),
        1
    );

    // Engineering sees exactly what customers were told, on the timeline.
    let entry = app
        .timeline(&key)
        .await
        .into_iter()
        .find(|e| e["kind"] == "customer_message")
        .expect("customer_message entry");
    assert_eq!(entry["message"], id);
    assert_eq!(entry["author"], "Priya Raman");
    assert!(
        entry["body"]
            .as_str()
            .unwrap()
            .contains("Card payments fail"),
        "{entry}"
    );

    // "What did we tell Acme, and when": the log, as JSON and CSV.
    let (status, log) = app.get("/messages?account=acme").await;
    assert_eq!(status, 200, "{log}");
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["id"], id);
    let (status, none) = app.get("/messages?account=globex").await;
    assert_eq!(
        (status, none.as_array().map(Vec::len)),
        (200, Some(0)),
        "{none}"
    );
    let (status, csv) = app.get("/messages?account=acme&format=csv").await;
    assert_eq!(status, 200);
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("incident,message,state,"), "{csv}");
    assert!(
        csv.contains(&format!("{key},{id},sent,investigating")),
        "{csv}"
    );

    // A second draft, rejected with a comment (required), goes back to draft on edit.
    let (status, second) = app
        .api_as(
            &priya,
            reqwest::Method::POST,
            &format!("/incidents/{key}/messages"),
            Some(json!({"body": "We expect a fix within the hour."})),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    move_message(&app, &priya, &key, second_id, json!({"action": "submit"})).await;
    let (status, body) =
        move_message(&app, &lee, &key, second_id, json!({"action": "reject"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["comment"].is_string(), "{body}");
    let (status, body) = move_message(
        &app,
        &lee,
        &key,
        second_id,
        json!({"action": "reject", "comment": "Do not promise a time"}),
    )
    .await;
    assert_eq!(
        (status, body["state"].as_str()),
        (200, Some("rejected")),
        "{body}"
    );
    let (status, edited) = app
        .api_as(
            &priya,
            reqwest::Method::PATCH,
            &format!("/incidents/{key}/messages/{second_id}"),
            Some(json!({"body": "We are working on a fix."})),
        )
        .await;
    assert_eq!(
        (status, edited["state"].as_str(), edited["version"].as_i64()),
        (200, Some("draft"), Some(2)),
        "{edited}"
    );
    assert_eq!(
        edited["versions"].as_array().unwrap().len(),
        2,
        "the rejected text stays in the history"
    );
}

async fn each_guard_holds_a_message_back_with_its_reason_and_an_override_is_logged(
    backend: Backend,
) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            clock: Some(time.clone()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    no_approvals(&app).await;
    let key = declare(&app, &["acme", "globex"]).await;
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"comms_owner": ADMIN_EMAIL}),
        )
        .await;
    assert_eq!(status, 200);
    let text = "We are investigating failed card payments at checkout.";
    let first = draft(&app, &key, json!({"body": text})).await;
    let first_id = first["id"].as_i64().unwrap();
    let (status, sent) =
        move_message(&app, &app.client, &key, first_id, json!({"action": "send"})).await;
    assert_eq!(status, 200, "{sent}");

    // Only one message in the works per audience.
    let second = draft(
        &app,
        &key,
        json!({"body": "  we are INVESTIGATING failed card payments at checkout "}),
    )
    .await;
    let second_id = second["id"].as_i64().unwrap();
    let (status, refused) = app
        .post(&format!("/incidents/{key}/messages"), json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("#{second_id}")),
        "{refused}"
    );

    // Duplicate: blocked, naming the earlier message; the override goes through, logged.
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        second_id,
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let reason = refused["error"]["fields"]["guards.duplicate"]
        .as_str()
        .unwrap();
    assert!(reason.contains(&format!("#{first_id}")), "{reason}");
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        second_id,
        json!({"action": "send", "overrides": [{"guard": "duplicate", "reason": ""}]}),
    )
    .await;
    assert_eq!(status, 422, "an override needs a reason: {refused}");
    let (status, sent) = move_message(&app, &app.client, &key, second_id,
        json!({"action": "send", "overrides": [{"guard": "duplicate", "reason": "Globex missed the first one"}]})).await;
    assert_eq!(status, 200, "{sent}");
    let logged = sent["transitions"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        logged["overrides"],
        json!([{"guard": "duplicate", "reason": "Globex missed the first one"}])
    );

    // Ahead of engineering: says resolved while investigating.
    let ahead = draft(
        &app,
        &key,
        json!({"customer_status": "resolved", "body": "All fixed now."}),
    )
    .await;
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        ahead["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["guards.ahead_of_engineering"]
            .as_str()
            .unwrap()
            .contains("investigating"),
        "{refused}"
    );
    let (status, _) = app.patch(&format!("/incidents/{key}/messages/{}", ahead["id"]),
        json!({"customer_status": "investigating", "body": "Still on it; Reports are slow for Initech too."})).await;
    assert_eq!(status, 200);

    // Outside the impact: names a component and an account the incident does not touch.
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        ahead["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let outside = refused["error"]["fields"]["guards.outside_impact"]
        .as_str()
        .unwrap();
    assert!(
        outside.contains("Reports") && outside.contains("Initech"),
        "{outside}"
    );
    let (status, edited) = app.patch(&format!("/incidents/{key}/messages/{}", ahead["id"]),
        json!({"body": "Still on it; the fix is being tested.", "next_update_at": (Utc::now() + Duration::minutes(10)).to_rfc3339()})).await;
    assert_eq!(status, 200, "{edited}");

    // A promise already past when sending.
    time.advance(Duration::minutes(15));
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        ahead["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["guards.past_promise"].is_string(),
        "{refused}"
    );
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}/messages/{}", ahead["id"]),
            json!({"next_update_at": (Utc::now() + Duration::minutes(60)).to_rfc3339()}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, sent) = move_message(
        &app,
        &app.client,
        &key,
        ahead["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");

    // Backwards without saying so: told monitoring, then investigating.
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "monitoring"}),
        )
        .await;
    assert_eq!(status, 200);
    let monitoring = draft(
        &app,
        &key,
        json!({"body": "A fix is in place; we are watching it."}),
    )
    .await;
    assert_eq!(monitoring["customer_status"], "monitoring");
    let (status, sent) = move_message(
        &app,
        &app.client,
        &key,
        monitoring["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "investigating", "reason": "Errors are back"}),
        )
        .await;
    assert_eq!(status, 200);
    let back = draft(
        &app,
        &key,
        json!({"body": "We are investigating payment errors."}),
    )
    .await;
    let (status, refused) = move_message(
        &app,
        &app.client,
        &key,
        back["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["guards.backwards"]
            .as_str()
            .unwrap()
            .contains("monitoring"),
        "{refused}"
    );
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}/messages/{}", back["id"]),
            json!({"body": "The payment errors have returned; we are investigating again."}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, sent) = move_message(
        &app,
        &app.client,
        &key,
        back["id"].as_i64().unwrap(),
        json!({"action": "send"}),
    )
    .await;
    assert_eq!(status, 200, "saying so passes: {sent}");

    // A retraction is itself a sent message, and the original says it was retracted.
    let (status, retracted) = move_message(&app, &app.client, &key, first_id,
        json!({"action": "retract", "comment": "Correction: only card payments in the EU were affected."})).await;
    assert_eq!(
        (status, retracted["state"].as_str()),
        (200, Some("retracted")),
        "{retracted}"
    );
    let all = messages(&app, &key).await;
    let correction = all
        .iter()
        .find(|m| m["retracts"] == first_id)
        .expect("the correction");
    assert_eq!(correction["state"], "sent");
    let entries = app.timeline(&key).await;
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["kind"] == "customer_message")
            .count(),
        6
    );
}

async fn bad_input_is_refused_naming_the_problem_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let key = declare(&app, &["acme"]).await;
    let path = format!("/incidents/{key}/messages");
    for (body, field, says) in [
        (
            json!({"audience": {"kind": "accounts", "accounts": ["nope"]}}),
            "audience",
            "nope",
        ),
        (
            json!({"audience": {"kind": "accounts", "accounts": ["initech"]}}),
            "audience",
            "initech",
        ),
        (
            json!({"audience": {"kind": "tier", "tier": "business"}}),
            "audience",
            "business",
        ),
        (json!({"body": "   "}), "body", "Write the message"),
        (json!({"body": "x".repeat(17 * 1024)}), "body", "too long"),
        (json!({"subject": "s".repeat(201)}), "subject", "200"),
        (
            json!({"customer_status": "fixed"}),
            "customer_status",
            "fixed",
        ),
        (
            json!({"next_update_at": "2020-01-01T00:00:00Z"}),
            "next_update_at",
            "future",
        ),
    ] {
        let (status, refused) = app.post(&path, body.clone()).await;
        assert_eq!(status, 422, "{body}: {refused}");
        let message = refused["error"]["fields"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} named: {refused}"));
        assert!(message.contains(says), "{field}: {message}");
    }
    let (status, refused) = app
        .post(&path, json!({"audience": {"kind": "everyone"}}))
        .await;
    assert_eq!(
        status, 422,
        "an unknown audience kind does not parse: {refused}"
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("everyone"),
        "{refused}"
    );
    assert!(messages(&app, &key).await.is_empty(), "nothing written");

    let message = draft(&app, &key, json!({})).await;
    let id = message["id"].as_i64().unwrap();
    let (status, refused) =
        move_message(&app, &app.client, &key, id, json!({"action": "approve"})).await;
    assert_eq!(status, 409, "approving a draft: {refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("in review"),
        "{refused}"
    );
    let (status, refused) =
        move_message(&app, &app.client, &key, id, json!({"action": "publish"})).await;
    assert_eq!(status, 422, "{refused}");
    assert!(refused["error"]["fields"]["action"]
        .as_str()
        .unwrap()
        .contains("publish"));
    let (status, _) = move_message(&app, &app.client, &key, 999, json!({"action": "submit"})).await;
    assert_eq!(status, 404);
    let (status, refused) = app
        .patch(&format!("/incidents/{key}/messages/{id}"), json!({}))
        .await;
    assert_eq!(status, 422, "an edit that changes nothing: {refused}");

    let schedule = format!("/incidents/{key}/comms/schedule");
    for (body, field) in [
        (json!({"interval_min": 2}), "interval_min"),
        (json!({"paused": true}), "reason"),
        (json!({"paused": false}), "paused"),
        (
            json!({"next_due_at": "2020-01-01T00:00:00Z"}),
            "next_due_at",
        ),
    ] {
        let (status, refused) = app.patch(&schedule, body.clone()).await;
        assert_eq!(status, 422, "{body}: {refused}");
        assert!(
            refused["error"]["fields"][field].is_string(),
            "{field}: {refused}"
        );
    }
    let after = comms(&app, &key).await;
    assert_eq!(after["schedule"]["paused"], Value::Null);
    assert_eq!(after["schedule"]["interval_overridden"], false);
    assert_eq!(after["messages"].as_array().unwrap().len(), 1);

    // Templates: an unknown placeholder is named.
    let (status, refused) = app
        .api(reqwest::Method::PUT, "/comms/templates", Some(json!({
            "customer_status": "investigating", "subject": "{{status}} {{eta}}", "body": "b", "short_text": "s"})))
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["subject"]
            .as_str()
            .unwrap()
            .contains("{{eta}}"),
        "{refused}"
    );

    // Resolved and told so: nothing more to draft for those customers.
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "resolved", "comms_owner": ADMIN_EMAIL}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}/messages/{id}"),
            json!({"customer_status": "resolved", "body": "Fixed.", "next_update_at": null}),
        )
        .await;
    assert_eq!(status, 200);
    let (status, submitted) =
        move_message(&app, &app.client, &key, id, json!({"action": "submit"})).await;
    assert_eq!(status, 200, "{submitted}");
    let (_, _, approver) = app.person("cs", "Second Pair");
    let (status, approved) =
        move_message(&app, &approver, &key, id, json!({"action": "approve"})).await;
    assert_eq!(status, 200, "{approved}");
    let (status, sent) = move_message(&app, &app.client, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 200, "{sent}");
    let (status, refused) = app.post(&path, json!({})).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["audience"]
            .as_str()
            .unwrap()
            .contains("resolved"),
        "{refused}"
    );
    let (status, refused) = app.get("/messages?tier=gold").await;
    assert_eq!(status, 422, "{refused}");
    let (status, refused) = app.get("/messages?account=nope").await;
    assert_eq!(status, 422, "{refused}");
}

async fn a_restart_between_approval_and_delivery_neither_drops_nor_duplicates(backend: Backend) {
    let sink = SmtpSink::start().await;
    // The webhook fails its first attempts: the restart comes while it is retried.
    let receiver = WebhookReceiver::start(2).await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(sink.url()),
            ..Options::default()
        },
    )
    .await;
    catalog(&app).await;
    let (status, _) = app
        .api(
            reqwest::Method::PUT,
            "/accounts/acme/webhook",
            Some(json!({"url": receiver.url()})),
        )
        .await;
    assert_eq!(status, 200);
    let key = declare(&app, &["acme"]).await;
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"comms_owner": ADMIN_EMAIL}),
        )
        .await;
    assert_eq!(status, 200);
    let message = draft(&app, &key, json!({})).await;
    let id = message["id"].as_i64().unwrap();
    move_message(&app, &app.client, &key, id, json!({"action": "submit"})).await;
    let (_, _, approver) = app.person("cs", "Second Pair");
    let (status, approved) =
        move_message(&app, &approver, &key, id, json!({"action": "approve"})).await;
    assert_eq!(status, 200, "{approved}");

    // Restart between approval and sending: the approval holds.
    let app = app.restart().await;
    let (status, sent) = move_message(&app, &app.client, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 200, "{sent}");
    // And again while the deliveries are under way.
    let app = app.restart().await;
    let deliveries = eventually("every delivery delivered", async || {
        let (_, message) = app.get(&format!("/incidents/{key}/messages/{id}")).await;
        let deliveries = message["deliveries"].as_array().unwrap().clone();
        deliveries
            .iter()
            .all(|d| d["status"] == "delivered")
            .then_some(deliveries)
    })
    .await;
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(customer_mails(&sink).len(), 2, "each contact once");
    assert_eq!(receiver.accepted().len(), 1, "the webhook once");
    assert!(receiver.attempts() >= 3, "it was retried");
    let again = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        (customer_mails(&sink).len(), receiver.accepted().len()),
        (2, 1)
    );
    drop(again);
}

async fn two_replicas_send_each_message_once_per_recipient_and_fire_a_due_update_once(
    backend: Backend,
) {
    let sink = SmtpSink::start().await;
    let time = Arc::new(ManualClock::new(Utc::now()));
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(sink.url()),
            clock: Some(time.clone()),
            ..Options::default()
        },
    )
    .await;
    let other = app.replica().await;
    catalog(&app).await;
    no_approvals(&app).await;
    let key = declare(&app, &["acme", "globex"]).await;
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"comms_owner": ADMIN_EMAIL}),
        )
        .await;
    assert_eq!(status, 200);
    comms(&other, &key).await;

    // Both replicas' schedulers see the update fall due; one drafts it.
    time.advance(Duration::minutes(31));
    let drafted = wait_for_messages(&app, &key, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(messages(&other, &key).await.len(), 1);
    assert_eq!(updates_due(&app, &key).await, 1);

    // Sent through one replica, delivered by whichever outbox claims each: once each.
    let id = drafted[0]["id"].as_i64().unwrap();
    let (status, sent) =
        move_message(&other, &other.client, &key, id, json!({"action": "send"})).await;
    assert_eq!(status, 200, "{sent}");
    let mails = eventually("three emails", async || {
        let mails = customer_mails(&sink);
        (mails.len() >= 3).then_some(mails)
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(customer_mails(&sink).len(), 3, "{mails:?}");
    let mut ids: Vec<String> = customer_mails(&sink)
        .iter()
        .map(|m| {
            m.data
                .lines()
                .find(|l| l.starts_with("Message-ID:"))
                .unwrap()
                .to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one message id per recipient");
}
