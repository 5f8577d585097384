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
    subscribers_get_mail_only_once_confirmed_and_until_they_unsubscribe,
    maintenance_moves_forward_only_and_puts_its_components_under_maintenance,
    the_json_api_uses_statuspage_field_names_and_types,
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

/// The sink's mails to `to`, once at least `count` have arrived (10 s at most).
async fn mails_to(smtp: &common::peers::SmtpSink, to: &str, count: usize) -> Vec<String> {
    let wanted = format!("<{to}>");
    for _ in 0..200 {
        let mails: Vec<String> = smtp
            .received()
            .into_iter()
            .filter(|m| m.to.contains(&wanted))
            .map(|m| m.readable())
            .collect();
        if mails.len() >= count {
            return mails;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {count} mails to {to}: {:?}", smtp.received());
}

/// The path of the first link in `mail` that starts with `prefix`, the public URL
/// stripped so the test server can be asked.
fn link_path(mail: &str, prefix: &str) -> String {
    let base = "https://sitrep.example.com";
    let at = mail
        .find(&format!("{base}{prefix}"))
        .unwrap_or_else(|| panic!("no {prefix} link in {mail}"));
    let link: String = mail[at + base.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>')
        .collect();
    link
}

async fn sign_up(app: &TestApp, page: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .anon
        .post(app.url(&format!("{page}/subscribe")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn subscribers_get_mail_only_once_confirmed_and_until_they_unsubscribe(backend: Backend) {
    let smtp = common::peers::SmtpSink::start().await;
    let app = TestApp::spawn_with(
        backend,
        common::Options {
            smtp_url: Some(smtp.url()),
            ..Default::default()
        },
    )
    .await;
    catalog(&app).await;
    let acme = private_link(&app, "acme").await;

    // A refused sign-up names the problem and keeps what was typed.
    let (status, page) = sign_up(&app, "/status", &[("email", "not-an-address")]).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("value=\"not-an-address\""), "{page}");
    let (status, page) = sign_up(
        &app,
        "/status",
        &[("email", "x@reader.example"), ("component", "nope")],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("x@reader.example"), "{page}");

    for (page, form) in [
        ("/status", vec![("email", "All@Reader.example")]),
        (
            "/status",
            vec![
                ("email", "reports@reader.example"),
                ("component", "reports"),
            ],
        ),
        (acme.as_str(), vec![("email", "acme@reader.example")]),
    ] {
        let (status, answer) = sign_up(&app, page, &form).await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer.contains("confirmation link"), "{answer}");
    }
    let mut confirmations = Vec::new();
    for to in [
        "all@reader.example",
        "reports@reader.example",
        "acme@reader.example",
    ] {
        confirmations.push(mails_to(&smtp, to, 1).await.remove(0));
    }
    for mail in &confirmations {
        assert!(
            mail.contains("Subject: Confirm your subscription"),
            "{mail}"
        );
        assert!(!mail.contains("List-Unsubscribe"), "{mail}");
    }
    assert!(
        confirmations[2].contains("for Acme Corp"),
        "{}",
        confirmations[2]
    );

    // Told before anyone confirmed: nobody is mailed about it, ever.
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments failing on db-7 primary", "severity": "P1",
                   "systems": ["payments-api"], "accounts": ["acme", "globex"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let early = "Card payments are slow; we are looking.";
    send(&app, &key, json!({"kind": "all"}), "investigating", early).await;

    for mail in &confirmations {
        let path = link_path(mail, "/status/subscriptions/confirm?token=");
        let (status, page) = public(&app, &path).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Subscribed"), "{page}");
    }
    let (status, _) = public(&app, "/status/subscriptions/confirm?token=sc_forged").await;
    assert_eq!(status, 404);

    let (status, changed) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "identified"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let to_all = "Some card payments are failing. A fix is being rolled out.";
    send(&app, &key, json!({"kind": "all"}), "identified", to_all).await;
    let all = mails_to(&smtp, "all@reader.example", 2).await;
    let acme_mail = mails_to(&smtp, "acme@reader.example", 2).await;
    for mail in [&all[1], &acme_mail[1]] {
        assert!(mail.contains(to_all), "{mail}");
        assert!(
            mail.contains("List-Unsubscribe: <https://sitrep.example.com/status/subscriptions/unsubscribe?token="),
            "{mail}"
        );
        assert!(
            mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{mail}"
        );
    }
    assert!(acme_mail[1].contains("for Acme Corp"), "{}", acme_mail[1]);

    // Only Acme's page shows this one, so only Acme's subscriber hears of it.
    let only_acme = "Your EU checkout is the one affected; we will call your team.";
    send(
        &app,
        &key,
        json!({"kind": "accounts", "accounts": ["acme"]}),
        "identified",
        only_acme,
    )
    .await;
    assert!(mails_to(&smtp, "acme@reader.example", 3).await[2].contains(only_acme));

    // Work on Reports reaches the one who follows Reports (and the whole page).
    let start = chrono::Utc::now() + chrono::Duration::hours(2);
    let (status, work) = app
        .post(
            "/status/maintenance",
            json!({"title": "Reports database upgrade", "body": "Reports may be stale for 10 minutes.",
                   "scheduled_for": start, "scheduled_until": start + chrono::Duration::hours(1),
                   "components": ["reports"]}),
        )
        .await;
    assert_eq!(status, 201, "{work}");
    let reports = mails_to(&smtp, "reports@reader.example", 2).await;
    assert!(
        reports[1].contains("[Scheduled maintenance] Reports database upgrade"),
        "{}",
        reports[1]
    );
    let all = mails_to(&smtp, "all@reader.example", 3).await;
    assert!(all[2].contains("Reports database upgrade"), "{}", all[2]);
    // Nobody heard the early message, the Reports follower nothing of checkout,
    // the public page's readers nothing meant for Acme.
    // (The accounts' contacts get the customer messages themselves; only the
    // subscribers, all at reader.example, are the status pages' business.)
    let every: Vec<String> = smtp
        .received()
        .iter()
        .filter(|m| m.to.iter().any(|to| to.ends_with("@reader.example>")))
        .map(|m| m.readable())
        .collect();
    assert!(every.iter().all(|m| !m.contains(early)), "{every:#?}");
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(all.iter().all(|m| !m.contains(only_acme)));

    // One click (RFC 8058's POST) and the mail stops.
    let unsubscribe = link_path(&all[1], "/status/subscriptions/unsubscribe?token=");
    let response = app
        .anon
        .post(app.url(&unsubscribe))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await.unwrap().contains("Unsubscribed"));
    let (status, changed) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "monitoring"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let last = "The fix is out; payments are recovering.";
    send(&app, &key, json!({"kind": "all"}), "monitoring", last).await;
    assert!(mails_to(&smtp, "acme@reader.example", 5).await[4].contains(last));
    let all_after = mails_to(&smtp, "all@reader.example", 3).await;
    assert_eq!(
        all_after.len(),
        3,
        "mailed after unsubscribing: {all_after:?}"
    );
    // The link keeps answering (a mail client may follow it twice).
    let (status, _) = public(&app, &unsubscribe).await;
    assert_eq!(status, 200);
}

async fn maintenance_moves_forward_only_and_puts_its_components_under_maintenance(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let start = chrono::Utc::now() + chrono::Duration::hours(2);
    let until = start + chrono::Duration::hours(1);

    let (status, refused) = app
        .post(
            "/status/maintenance",
            json!({"title": "", "body": "x", "scheduled_for": until, "scheduled_until": start,
                   "components": ["no-such-component"]}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    for field in ["title", "scheduled_until", "components"] {
        assert!(
            refused["error"]["fields"][field].is_string(),
            "{field} not named: {refused}"
        );
    }
    let plan = json!({"title": "Reports database upgrade",
                      "body": "Reports may be stale for 10 minutes.",
                      "scheduled_for": start, "scheduled_until": until, "components": ["reports"]});
    let (status, _) = app
        .api_as(
            &app.client_as("engineer"),
            reqwest::Method::POST,
            "/status/maintenance",
            Some(plan.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (_, listed) = app.get("/status/maintenance").await;
    assert_eq!(listed, json!([]), "a refused plan is not kept");

    let (status, work) = app.post("/status/maintenance", plan).await;
    assert_eq!(status, 201, "{work}");
    assert_eq!(work["state"], "scheduled");
    let id = work["id"].as_i64().unwrap();
    let notices = format!("/status/maintenance/{id}/notices");

    let (_, page) = public(&app, "/status").await;
    assert!(page.contains("Scheduled maintenance"), "{page}");
    assert!(page.contains("Reports database upgrade"), "{page}");
    assert!(
        page.contains("Reports may be stale for 10 minutes."),
        "{page}"
    );
    let upcoming = public_json(&app, "/status/api/v2/scheduled-maintenances/upcoming.json").await;
    let planned = &upcoming["scheduled_maintenances"][0];
    assert_eq!(planned["name"], "Reports database upgrade");
    assert_eq!(planned["status"], "scheduled");
    assert_eq!(planned["impact"], "maintenance");
    assert_eq!(planned["components"][0]["id"], "reports");
    let active = public_json(&app, "/status/api/v2/scheduled-maintenances/active.json").await;
    assert_eq!(active["scheduled_maintenances"], json!([]));
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(
        summary["scheduled_maintenances"][0]["name"],
        "Reports database upgrade"
    );
    assert_eq!(component_status(&summary, "reports"), "operational");

    let (status, started) = app
        .post(
            &notices,
            json!({"state": "in_progress", "body": "The upgrade has begun."}),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["state"], "in_progress");
    assert!(started["started_at"].is_string(), "{started}");
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(component_status(&summary, "reports"), "under_maintenance");
    assert_eq!(component_status(&summary, "checkout"), "operational");
    let active = public_json(&app, "/status/api/v2/scheduled-maintenances/active.json").await;
    assert_eq!(
        active["scheduled_maintenances"][0]["incident_updates"][0]["body"],
        "The upgrade has begun."
    );
    let upcoming = public_json(&app, "/status/api/v2/scheduled-maintenances/upcoming.json").await;
    assert_eq!(upcoming["scheduled_maintenances"], json!([]));
    let (_, page) = public(&app, "/status").await;
    assert!(page.contains("Under maintenance"), "{page}");

    let (status, back) = app
        .post(
            &notices,
            json!({"state": "scheduled", "body": "Postponed."}),
        )
        .await;
    assert_eq!(status, 422, "going back: {back}");
    let (status, done) = app
        .post(
            &notices,
            json!({"state": "completed", "body": "The upgrade is done."}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["updates"].as_array().unwrap().len(), 3, "{done}");
    let (status, late) = app
        .post(&notices, json!({"state": "completed", "body": "Again."}))
        .await;
    assert_eq!(status, 409, "{late}");
    let (status, _) = app
        .post(
            "/status/maintenance/999999/notices",
            json!({"state": "completed", "body": "?"}),
        )
        .await;
    assert_eq!(status, 404);

    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    assert_eq!(component_status(&summary, "reports"), "operational");
    assert_eq!(summary["scheduled_maintenances"], json!([]));
    let all = public_json(&app, "/status/api/v2/scheduled-maintenances.json").await;
    assert_eq!(all["scheduled_maintenances"][0]["status"], "completed");
    assert!(all["scheduled_maintenances"][0]["resolved_at"].is_string());
    let (_, page) = public(&app, "/status").await;
    assert!(
        page.contains("The upgrade is done."),
        "past work is listed: {page}"
    );
}

/// The recorded Statuspage webhook's incident (copied from the design notes' fixtures): the field names and JSON types
/// widgets and monitors read, and ours must match.
async fn the_json_api_uses_statuspage_field_names_and_types(backend: Backend) {
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/statuspage/incident_update.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let (_, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments failing", "severity": "P2",
                   "systems": ["payments-api"], "accounts": ["acme"]}),
        )
        .await;
    let key = incident["key"].as_str().unwrap().to_owned();
    send(
        &app,
        &key,
        json!({"kind": "all"}),
        "investigating",
        "Some card payments fail.",
    )
    .await;
    let summary = public_json(&app, "/status/api/v2/summary.json").await;
    let incidents = public_json(&app, "/status/api/v2/incidents.json").await;
    for ours in [&summary["incidents"][0], &incidents["incidents"][0]] {
        same_shape(
            &recorded["incident"],
            ours,
            &[
                "id",
                "name",
                "status",
                "created_at",
                "updated_at",
                "monitoring_at",
                "resolved_at",
                "impact",
                "shortlink",
                "page_id",
                "incident_updates",
                "components",
            ],
            "incident",
        );
        same_shape(
            &recorded["incident"]["incident_updates"][0],
            &ours["incident_updates"][0],
            &[
                "id",
                "status",
                "body",
                "incident_id",
                "created_at",
                "updated_at",
                "display_at",
                "deliver_notifications",
                "custom_tweet",
            ],
            "incident_updates[0]",
        );
        same_shape(
            &recorded["incident"]["components"][0],
            &ours["components"][0],
            &[
                "id",
                "name",
                "status",
                "created_at",
                "updated_at",
                "position",
                "description",
                "showcase",
                "page_id",
                "group_id",
            ],
            "components[0]",
        );
        // Statuspage's words for the values, too.
        let statuses = [
            "investigating",
            "identified",
            "monitoring",
            "resolved",
            "postmortem",
        ];
        assert!(
            statuses.contains(&ours["status"].as_str().unwrap()),
            "{ours}"
        );
        let impacts = ["none", "minor", "major", "critical"];
        assert!(
            impacts.contains(&ours["impact"].as_str().unwrap()),
            "{ours}"
        );
        assert!(statuses.contains(&recorded["incident"]["status"].as_str().unwrap()));
    }
    let recorded_page = &recorded["page"];
    assert_eq!(
        summary["status"]["indicator"].is_string(),
        recorded_page["status_indicator"].is_string()
    );
    assert_eq!(
        summary["page"]["id"].is_string(),
        recorded_page["id"].is_string()
    );
}

/// Each of `keys` is in both objects with the same JSON type; a key the recording
/// has as null may be null or a string in ours (a time not reached yet), and the
/// other way round. Times parse as RFC 3339 on both sides.
fn same_shape(recorded: &Value, ours: &Value, keys: &[&str], at: &str) {
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    for key in keys {
        let (theirs, mine) = (&recorded[*key], &ours[*key]);
        assert!(
            recorded.get(*key).is_some(),
            "{at}.{key} is not in the recording"
        );
        assert!(ours.get(*key).is_some(), "{at}.{key} is missing: {ours}");
        let nullable = theirs.is_null() || mine.is_null();
        assert!(
            kind(theirs) == kind(mine) || (nullable && (theirs.is_string() || mine.is_string())),
            "{at}.{key}: recorded {theirs}, ours {mine}"
        );
        if key.ends_with("_at") && mine.is_string() {
            chrono::DateTime::parse_from_rfc3339(mine.as_str().unwrap())
                .unwrap_or_else(|e| panic!("{at}.{key} {mine}: {e}"));
        }
    }
}

/// Per address: the pages beyond their burst, and sign-ups beyond five, get 429
/// with Retry-After. Backend-free, so SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_routes_limit_each_address() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        common::Options {
            status_rate_limit: 1,
            ..Default::default()
        },
    )
    .await;
    let mut codes = Vec::new();
    for _ in 0..8 {
        let response = app.anon.get(app.url("/status")).send().await.unwrap();
        if response.status() == 429 {
            assert_eq!(response.headers()["retry-after"], "1");
        }
        codes.push(response.status().as_u16());
    }
    assert_eq!(&codes[..4], &[200; 4], "the burst is served: {codes:?}");
    assert!(codes[4..].contains(&429), "{codes:?}");
    // Signed-in routes are not the status pages' business.
    let (status, _) = app.get("/incidents").await;
    assert_eq!(status, 200);

    let app = TestApp::spawn_with(
        Backend::Sqlite,
        common::Options {
            status_rate_limit: 0,
            ..Default::default()
        },
    )
    .await;
    for n in 0..5 {
        let email = format!("reader{n}@example.com");
        let (status, page) = sign_up(&app, "/status", &[("email", &email)]).await;
        assert_eq!(status, 200, "{page}");
    }
    let response = app
        .anon
        .post(app.url("/status/subscribe"))
        .form(&[("email", "reader9@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["retry-after"], "120");
    // The pages themselves are unlimited here (0).
    for _ in 0..100 {
        let (status, _) = public(&app, "/status").await;
        assert_eq!(status, 200);
    }
}
