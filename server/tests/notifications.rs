//! Owner notification: the catalog routes an incident to the owning team's lead, and
//! the outbox delivers by email (to a real SMTP sink) and webhook (to a real HTTP
//! receiver), with retries that survive a restart. Against SQLite and PostgreSQL.

mod common;

use common::peers::{SmtpSink, WebhookReceiver};
use common::{Backend, Options, TestApp, ADMIN_EMAIL, ADMIN_NAME};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

for_each_backend!(
    declaring_notifies_the_owning_lead_by_email_and_webhook,
    a_receiver_failing_twice_is_retried_across_a_restart,
    a_system_without_owner_notifies_admins_and_warns,
    a_team_without_a_lead_has_its_members_told,
    bad_catalog_and_system_input_is_refused,
    war_room_viewers_hear_how_each_delivery_went,
    a_team_channel_gets_block_kit_and_a_follow_up_per_status_change,
);

/// Polls `notifications` until every delivery has settled (or 20 s pass).
async fn settled_notifications(app: &TestApp, key: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get(&format!("/incidents/{key}/notifications")).await;
        assert_eq!(status, 200, "{body}");
        let pending = body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["deliveries"].as_array().unwrap().iter())
            .any(|d| d["status"] == "pending");
        if !pending {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries still pending: {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn payments_catalog(app: &TestApp, webhook: &str) {
    let (status, team) = app
        .post(
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "Dana.Lee@example.com",
               "lead_name": "Dana Lee", "notify_webhook_url": webhook}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    assert_eq!(team["lead"]["email"], "dana.lee@example.com");
    let (status, system) = app
        .post(
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}),
        )
        .await;
    assert_eq!(status, 201, "{system}");
    assert_eq!(system["team"], "payments");
}

/// A server sending email to a real SMTP sink, with the payments catalog whose team
/// has a webhook receiver that fails its first `failures` requests.
async fn payments_with_peers(
    backend: Backend,
    failures: u32,
    retry_base_ms: u64,
) -> (TestApp, SmtpSink, WebhookReceiver) {
    let smtp = SmtpSink::start().await;
    let receiver = WebhookReceiver::start(failures).await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            retry_base_ms,
            ..Options::default()
        },
    )
    .await;
    payments_catalog(&app, &receiver.url()).await;
    (app, smtp, receiver)
}

async fn declaring_notifies_the_owning_lead_by_email_and_webhook(backend: Backend) {
    let (app, smtp, receiver) =
        payments_with_peers(backend, 0, Options::default().retry_base_ms).await;

    let (status, incident) = app.post("/incidents",
        json!({"title": "Card payments failing", "severity": "P1", "systems": ["payments-api", "payments-api"]}),
    )
    .await;
    assert_eq!(status, 201, "{incident}");
    assert_eq!(incident["systems"], json!(["payments-api"]));
    let key = incident["key"].as_str().unwrap();

    let body = settled_notifications(&app, key).await;
    assert_eq!(body["unowned_systems"], json!([]));
    let notifications = body["notifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 1, "{body}");
    assert_eq!(notifications[0]["recipient"], "Dana Lee");
    assert_eq!(notifications[0]["reason"], "lead, Payments");
    let deliveries = notifications[0]["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[0]["channel"], "email");
    assert_eq!(deliveries[0]["target"], "dana.lee@example.com");
    assert_eq!(deliveries[1]["channel"], "webhook");
    for delivery in deliveries {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"], 1);
        assert!(delivery["delivered_at"].is_string());
    }

    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["<dana.lee@example.com>"]);
    assert!(mails[0].from.contains("sitrep@example.com"));
    assert!(
        mails[0]
            .data
            .contains(&format!("Subject: [P1] {key} Card payments failing")),
        "{}",
        mails[0].data
    );
    assert!(mails[0]
        .data
        .contains(&format!("https://sitrep.example.com/incidents/{key}")));

    let hooks = receiver.accepted();
    assert_eq!(hooks.len(), 1);
    let text = hooks[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("[P1] {key} Card payments failing")),
        "{text}"
    );
    assert!(text.contains("you lead Payments, which owns Payments API"));
}

async fn a_receiver_failing_twice_is_retried_across_a_restart(backend: Backend) {
    let (app, smtp, receiver) = payments_with_peers(backend, 2, 400).await;
    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Refunds stuck", "severity": "P2", "systems": ["payments-api"]}),
        )
        .await;
    let key = incident["key"].as_str().unwrap().to_owned();

    // Restart once the first attempt has failed: the retry state is in the database.
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.attempts() < 1 {
        assert!(Instant::now() < deadline, "no first attempt");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let app = app.restart().await;

    let body = settled_notifications(&app, &key).await;
    let deliveries = body["notifications"][0]["deliveries"]
        .as_array()
        .unwrap()
        .clone();
    let webhook = deliveries
        .iter()
        .find(|d| d["channel"] == "webhook")
        .unwrap();
    assert_eq!(webhook["status"], "delivered", "{webhook}");
    assert_eq!(webhook["attempts"], 3, "two failures, then success");
    assert_eq!(receiver.attempts(), 3);
    assert_eq!(receiver.accepted().len(), 1, "delivered exactly once");
    let email = deliveries.iter().find(|d| d["channel"] == "email").unwrap();
    assert_eq!(email["status"], "delivered");
    assert_eq!(
        smtp.received().len(),
        1,
        "the restart sent no duplicate email"
    );
}

async fn a_system_without_owner_notifies_admins_and_warns(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await;
    // The harness set the instance up with its first admin, Ada.
    let (status, _) = app
        .post("/systems", json!({"slug": "checkout", "name": "Checkout"}))
        .await;
    assert_eq!(status, 201);

    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Cart empty", "severity": "P2", "systems": ["checkout"]}),
        )
        .await;
    let key = incident["key"].as_str().unwrap();
    let body = settled_notifications(&app, key).await;
    assert_eq!(body["unowned_systems"], json!(["Checkout"]));
    let notification = &body["notifications"][0];
    assert_eq!(notification["recipient"], ADMIN_NAME);
    assert_eq!(notification["reason"], "admin: Checkout has no owner");
    assert_eq!(notification["deliveries"][0]["status"], "delivered");
    assert_eq!(smtp.received()[0].to, [format!("<{ADMIN_EMAIL}>")]);
}

async fn bad_catalog_and_system_input_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The admin page's forms (server functions) answer a refusal with 422 too, not 500.
    let refused = app
        .call("create_team", &[("slug", "Pay ments"), ("name", "")])
        .await;
    assert_eq!(refused.status().as_u16(), 422);
    let (status, body) = app
        .post(
            "/teams",
            json!({"slug": "Pay ments", "name": "", "lead_email": "dana"}),
        )
        .await;
    assert_eq!(status, 422);
    for field in ["slug", "name", "lead_email"] {
        assert!(
            body["error"]["fields"][field].is_string(),
            "{field}: {body}"
        );
    }
    let (status, body) = app
        .post(
            "/teams",
            json!({"slug": "ok", "name": "Ok", "notify_webhook_url": "javascript:alert(1)"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"]["notify_webhook_url"],
        "Must be an http:// or https:// URL"
    );
    let (status, body) = app
        .post(
            "/systems",
            json!({"slug": "api", "name": "API", "team": "nobody"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"]["team"], "unknown team \"nobody\"");

    let (status, _) = app
        .post("/systems", json!({"slug": "api", "name": "API"}))
        .await;
    assert_eq!(status, 201);
    let (status, body) = app
        .post("/systems", json!({"slug": "api", "name": "API again"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"]["slug"],
        "A system \"api\" exists already"
    );

    let (status, body) = app
        .post(
            "/incidents",
            json!({"title": "x", "severity": "P1", "systems": ["api", "ghost", "phantom"]}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"]["systems"],
        "unknown system ghost, phantom"
    );
    let (_, list) = app.get("/incidents").await;
    assert_eq!(list, json!([]), "nothing written");
    let (_, teams) = app.get("/teams").await;
    assert_eq!(teams, json!([]));
    let (_, systems) = app.get("/systems").await;
    assert_eq!(systems.as_array().unwrap().len(), 1);
}

async fn a_team_without_a_lead_has_its_members_told(backend: Backend) {
    let smtp = SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        Options {
            smtp_url: Some(smtp.url()),
            ..Options::default()
        },
    )
    .await;
    let (status, _) = app
        .post("/teams", json!({"slug": "billing", "name": "Billing"}))
        .await;
    assert_eq!(status, 201);
    let members = "/teams/billing/members";
    let (status, team) = app
        .post(
            members,
            json!({"email": "sam@example.com", "name": "Sam Ortiz"}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    assert_eq!(team["members"][0]["display_name"], "Sam Ortiz");
    let (status, _) = app.post(members, json!({"email": "sam@example.com"})).await;
    assert_eq!(status, 409, "on the team already");
    let (status, refusal) = app.post(members, json!({"email": "not an email"})).await;
    assert_eq!(status, 422, "{refusal}");
    let (status, _) = app
        .post("/teams/nobody/members", json!({"email": "x@example.com"}))
        .await;
    assert_eq!(status, 404);
    let (status, team) = app.post(members, json!({"email": "kim@example.com"})).await;
    assert_eq!(status, 201);
    assert_eq!(team["members"].as_array().unwrap().len(), 2);
    let (status, team) = app
        .api(
            reqwest::Method::DELETE,
            "/teams/billing/members/kim@example.com",
            None,
        )
        .await;
    assert_eq!(status, 200, "{team}");
    assert_eq!(team["members"].as_array().unwrap().len(), 1);
    let (_, teams) = app.get("/teams").await;
    assert_eq!(teams[0]["members"][0]["email"], "sam@example.com");
    let (_, log) = app.get("/audit?action=team.member").await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "team.member_removed",
            "team.member_added",
            "team.member_added"
        ]
    );

    let (status, _) = app
        .post(
            "/systems",
            json!({"slug": "invoices", "name": "Invoices", "team": "billing"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Invoices blank", "severity": "P2", "systems": ["invoices"]}),
        )
        .await;
    let body = settled_notifications(&app, incident["key"].as_str().unwrap()).await;
    let notification = &body["notifications"][0];
    assert_eq!(notification["recipient"], "Sam Ortiz");
    assert_eq!(notification["reason"], "member, Billing");
    assert_eq!(
        body["notifications"].as_array().unwrap().len(),
        1,
        "not the admins"
    );
    assert_eq!(smtp.received()[0].to, ["<sam@example.com>"]);
}

async fn war_room_viewers_hear_how_each_delivery_went(backend: Backend) {
    // The receiver fails once: the retry comes well after the viewer has subscribed.
    let (app, _smtp, receiver) = payments_with_peers(backend, 1, 500).await;
    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Payouts late", "severity": "P2", "systems": ["payments-api"]}),
        )
        .await;
    let key = incident["key"].as_str().unwrap().to_owned();
    let mut live = app.live(&[]).await.unwrap();
    live.subscribe(&key, 0).await;
    // Read until a notice comes after the second (successful) attempt reached the receiver.
    loop {
        let message = live.next().await.expect("connection open");
        if message["type"] == "notifications_changed" {
            assert_eq!(message["incident"], key.as_str());
            if receiver.attempts() >= 2 {
                break;
            }
        }
    }
    let body = settled_notifications(&app, &key).await;
    let webhook = body["notifications"][0]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "webhook")
        .cloned()
        .unwrap();
    assert_eq!(webhook["status"], "delivered", "{body}");
}

async fn a_team_channel_gets_block_kit_and_a_follow_up_per_status_change(backend: Backend) {
    let (app, _smtp, receiver) =
        payments_with_peers(backend, 0, Options::default().retry_base_ms).await;
    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments <failing>", "severity": "P1", "systems": ["payments-api"]}),
        )
        .await;
    let key = incident["key"].as_str().unwrap();
    settled_notifications(&app, key).await;
    let hooks = receiver.accepted();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let blocks = hooks[0]["blocks"].as_array().expect("a Block Kit message");
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(
        blocks[0]["text"]["text"],
        format!("[P1] {key} Card payments <failing>")
    );
    assert_eq!(
        blocks[1]["fields"],
        json!([
            {"type": "mrkdwn", "text": "*Severity*\nP1"},
            {"type": "mrkdwn", "text": "*Status*\ninvestigating"},
            {"type": "mrkdwn", "text": "*Systems*\npayments-api"},
        ])
    );
    let button = &blocks.last().unwrap()["elements"][0];
    assert_eq!(
        button["url"],
        format!("https://sitrep.example.com/incidents/{key}")
    );

    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "identified"}),
        )
        .await;
    assert_eq!(status, 200);
    let body = settled_notifications(&app, key).await;
    let hooks = receiver.accepted();
    assert_eq!(hooks.len(), 2, "one follow-up: {hooks:?}");
    let text = hooks[1]["text"].as_str().unwrap();
    assert!(
        text.starts_with(&format!("[P1] {key} is now identified (was investigating)")),
        "{text}"
    );
    assert_eq!(
        hooks[1]["blocks"][1]["fields"][1]["text"],
        "*Status*\nidentified"
    );
    // The follow-up goes to the channel only: Dana was emailed once, at declaration.
    let followup = body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["reason"] == "status change")
        .expect("the follow-up is listed with the incident's notifications");
    let channels: Vec<&str> = followup["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["webhook"]);

    // An incident whose teams have no channel posts no follow-ups.
    let (_, quiet) = app
        .post(
            "/incidents",
            json!({"title": "Slow exports", "severity": "P3"}),
        )
        .await;
    let quiet_key = quiet["key"].as_str().unwrap();
    app.patch(
        &format!("/incidents/{quiet_key}"),
        json!({"status": "identified"}),
    )
    .await;
    let (_, notified) = app
        .get(&format!("/incidents/{quiet_key}/notifications"))
        .await;
    assert!(
        !notified.to_string().contains("status change"),
        "{notified}"
    );
}
