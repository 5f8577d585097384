//! SLA clocks on a server whose time the test moves: a P1 for an enterprise account
//! (4 h resolution target) is at risk with 30 min left at 3 h 30 min and breached at
//! 4 h, each announced exactly once (timeline and outbox) across a restart between
//! the two; and the war room's viewers hear each change live. Both backends.

mod common;

use app::clock::ManualClock;
use chrono::{Duration, Utc};
use common::{Backend, Options, TestApp, ADMIN_EMAIL};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

for_each_backend!(
    a_p1_is_at_risk_at_three_and_a_half_hours_and_breached_at_four_once_across_a_restart,
    war_room_viewers_hear_a_clock_change_live,
    a_revised_policy_applies_to_new_clocks_while_running_ones_keep_theirs,
    the_board_sorts_running_clocks_and_the_report_counts_met_and_missed,
    a_severity_change_rederives_targets_from_the_start_and_a_reopen_runs_resolution_again,
);

/// A payments team led by Dana, and Acme (enterprise, CSM Priya).
async fn catalog(app: &TestApp) {
    let (status, team) = app
        .post(
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "dana@example.com", "lead_name": "Dana Lee"}),
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
    let (status, account) = app
        .post(
            "/accounts",
            json!({"slug": "acme", "name": "Acme Corp", "tier": "enterprise",
                   "csm_email": "priya@example.com", "csm_name": "Priya Raman"}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
}

async fn declare_p1_for_acme(app: &TestApp) -> String {
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Checkout failing for Acme", "severity": "P1",
                   "systems": ["payments-api"], "accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let (status, changed) = app
        .patch(&format!("/incidents/{key}"), json!({"lead": ADMIN_EMAIL}))
        .await;
    assert_eq!(status, 200, "{changed}");
    key
}

/// The SLA entries of the timeline, as (account, clock, from, to).
async fn sla_entries(app: &TestApp, key: &str) -> Vec<(String, String, String, String)> {
    app.timeline(key)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "sla")
        .map(|e| {
            let text = |f: &str| e[f].as_str().unwrap_or_default().to_owned();
            (text("account"), text("clock"), text("from"), text("to"))
        })
        .collect()
}

/// Waits (5 s at most) until the timeline has an SLA entry moving `clock` to `to`.
async fn wait_for_entry(app: &TestApp, key: &str, clock: &str, to: &str) {
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let entries = sla_entries(app, key).await;
        if entries.iter().any(|(_, c, _, t)| c == clock && t == to) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {clock} → {to} entry: {entries:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn clock(app: &TestApp, key: &str, kind: &str) -> Value {
    let (status, clocks) = app.get(&format!("/incidents/{key}/sla")).await;
    assert_eq!(status, 200, "{clocks}");
    clocks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account"] == "acme" && c["kind"] == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind} clock for acme: {clocks}"))
}

/// The SLA alerts queued, as (recipient, reason), in order.
async fn sla_alerts(app: &TestApp, key: &str) -> Vec<(String, String)> {
    let (status, body) = app.get(&format!("/incidents/{key}/notifications")).await;
    assert_eq!(status, 200, "{body}");
    body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["reason"].as_str().unwrap().starts_with("SLA "))
        .map(|n| {
            (
                n["recipient"].as_str().unwrap().to_owned(),
                n["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_p1_is_at_risk_at_three_and_a_half_hours_and_breached_at_four_once_across_a_restart(
    backend: Backend,
) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let options = Options {
        clock: Some(time.clone()),
        ..Options::default()
    };
    let app = TestApp::spawn_with(backend, options).await;
    catalog(&app).await;
    let key = declare_p1_for_acme(&app).await;

    // Acknowledged 5 minutes in by the first engineering update: response met.
    time.advance(Duration::minutes(5));
    let (status, posted) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "Looking at the card processor"}),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    wait_for_entry(&app, &key, "response", "met").await;
    let response = clock(&app, &key, "response").await;
    assert_eq!(
        (response["state"].as_str(), response["used_secs"].as_i64()),
        (Some("met"), Some(300))
    );

    let resolution = clock(&app, &key, "resolution").await;
    assert_eq!(resolution["state"], "on_track");
    assert_eq!(resolution["target_secs"], 4 * 3600);
    assert_eq!(resolution["remaining_secs"], 4 * 3600 - 300);
    assert_eq!(resolution["policy"], "Enterprise 24x7");

    // 3 h 30 min in: at risk, 30 min left, told once to the incident lead, the
    // owning team's lead and Acme's CSM.
    time.advance(Duration::minutes(205));
    wait_for_entry(&app, &key, "resolution", "at_risk").await;
    let resolution = clock(&app, &key, "resolution").await;
    assert_eq!(resolution["state"], "at_risk");
    assert_eq!(resolution["remaining_secs"], 30 * 60);
    let at_risk = sla_alerts(&app, &key).await;
    let mut told: Vec<&str> = at_risk.iter().map(|(who, _)| who.as_str()).collect();
    told.sort_unstable();
    assert_eq!(
        told,
        ["Ada Admin", "Dana Lee", "Priya Raman"],
        "{at_risk:?}"
    );
    assert!(
        at_risk
            .iter()
            .all(|(_, why)| why.starts_with("SLA at risk")),
        "{at_risk:?}"
    );

    // The server restarts between the two; nothing is announced again on start.
    let app = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sla_alerts(&app, &key).await.len(), 3);

    // 4 h 00 min in: breached, told once more to each.
    time.advance(Duration::minutes(30));
    wait_for_entry(&app, &key, "resolution", "breached").await;
    let resolution = clock(&app, &key, "resolution").await;
    assert_eq!(
        (
            resolution["state"].as_str(),
            resolution["remaining_secs"].as_i64()
        ),
        (Some("breached"), Some(0))
    );

    // Later, and after another restart: still exactly one of each.
    time.advance(Duration::minutes(10));
    let app = app.restart().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let entries = sla_entries(&app, &key).await;
    let transitions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(_, clock, from, to)| (clock.as_str(), from.as_str(), to.as_str()))
        .collect();
    assert_eq!(
        transitions,
        [
            ("response", "on_track", "met"),
            ("resolution", "on_track", "at_risk"),
            ("resolution", "at_risk", "breached"),
        ]
    );
    let alerts = sla_alerts(&app, &key).await;
    let count = |prefix: &str| {
        alerts
            .iter()
            .filter(|(_, why)| why.starts_with(prefix))
            .count()
    };
    assert_eq!(
        (count("SLA at risk"), count("SLA breached"), alerts.len()),
        (3, 3, 6),
        "{alerts:?}"
    );
    let entry = app
        .timeline(&key)
        .await
        .into_iter()
        .find(|e| e["kind"] == "sla" && e["to"] == "at_risk")
        .unwrap();
    assert_eq!(
        entry["body"],
        "Resolution SLA for Acme Corp is at risk: 30 min left of 4 h."
    );
    assert_eq!(entry["author"], "Sitrep");

    // Resolving stops the clock: missed (it ran past its target).
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "resolved", "reason": "Processor failover"}),
        )
        .await;
    assert_eq!(status, 200);
    wait_for_entry(&app, &key, "resolution", "missed").await;
}

async fn war_room_viewers_hear_a_clock_change_live(backend: Backend) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let options = Options {
        clock: Some(time.clone()),
        ..Options::default()
    };
    let app = TestApp::spawn_with(backend, options).await;
    catalog(&app).await;
    let key = declare_p1_for_acme(&app).await;
    let mut live = app.live(&[]).await.unwrap();
    live.subscribe(&key, 0).await;
    // Unacknowledged: the 15 min response clock is at risk from 11 min 15 s.
    time.advance(Duration::minutes(12));
    // Other notices (deliveries, presence) may come first.
    let event = loop {
        let message = live.next().await.expect("connection open");
        if message["type"] == "event" && message["kind"] == "sla.changed" {
            break message;
        }
    };
    assert_eq!(event["payload"]["entry"]["clock"], "response");
    assert_eq!(event["payload"]["entry"]["to"], "at_risk");
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .put(app.url(&format!("/api/v1{path}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_revised_policy_applies_to_new_clocks_while_running_ones_keep_theirs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    catalog(&app).await;
    let (status, policies) = app.get("/sla/policies").await;
    assert_eq!(status, 200, "{policies}");
    let enterprise = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "enterprise-24x7")
        .cloned()
        .unwrap();
    assert_eq!(
        (enterprise["version"].as_i64(), &enterprise["default_for"]),
        (Some(1), &json!(["enterprise"]))
    );
    let running = declare_p1_for_acme(&app).await;

    // P1 resolution down to 2 h: version 2.
    let mut terms = enterprise["terms"].clone();
    terms["targets"]["P1"]["resolution_min"] = json!(120);
    let (status, revised) = put(
        &app,
        "/sla/policies/enterprise-24x7",
        json!({"terms": terms}),
    )
    .await;
    assert_eq!(status, 200, "{revised}");
    assert_eq!(revised["version"], 2);
    let later = declare_p1_for_acme(&app).await;
    let kept = clock(&app, &running, "resolution").await;
    assert_eq!(
        (
            kept["target_secs"].as_i64(),
            kept["policy_version"].as_i64()
        ),
        (Some(4 * 3600), Some(1))
    );
    let new = clock(&app, &later, "resolution").await;
    assert_eq!(
        (new["target_secs"].as_i64(), new["policy_version"].as_i64()),
        (Some(2 * 3600), Some(2))
    );

    // Bad terms are refused, naming the problem; nothing changes.
    terms["calendar"] = json!({"kind": "business_hours", "zone": "Mars/Olympus", "weekdays": ["Mon"], "open": "09:00", "close": "17:00"});
    let (status, refused) = put(
        &app,
        "/sla/policies/enterprise-24x7",
        json!({"terms": terms}),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["terms"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus"),
        "{refused}"
    );
    let (_, policies) = app.get("/sla/policies").await;
    assert!(policies
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["slug"] == "enterprise-24x7" && p["version"] == 2));

    // Acme's own contract: office hours. Its next incident runs on it.
    let (status, refused) = put(&app, "/accounts/acme/sla-policy", json!({"policy": "gold"})).await;
    assert_eq!(status, 422, "{refused}");
    let (status, _) = put(
        &app,
        "/accounts/acme/sla-policy",
        json!({"policy": "business-hours"}),
    )
    .await;
    assert_eq!(status, 204);
    let contract = declare_p1_for_acme(&app).await;
    let resolution = clock(&app, &contract, "resolution").await;
    assert_eq!(resolution["policy"], "Business hours (Mon-Fri 09-17 UTC)");
    assert_eq!(resolution["target_secs"], 8 * 3600);
    let (status, audit) = app.get("/audit?action=sla_policy.revised").await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit.as_array().map(Vec::len), Some(1), "{audit}");

    // The admin page's form takes the terms as JSON text: a parse error is named
    // like any other problem with the terms.
    let response = app
        .call(
            "revise_sla_policy",
            &[("slug", "business-hours"), ("terms", "{\"targets\": ")],
        )
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("The terms are not valid"), "{body}");

    // The catalog page sets an account's contract through a server function: an
    // unknown policy is named; an empty choice puts the account back on its tier's
    // default; someone without catalog rights is refused.
    let response = app
        .call(
            "set_account_sla_policy",
            &[("account", "acme"), ("policy", "gold")],
        )
        .await;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("No SLA policy is called") && body.contains("gold"),
        "{body}"
    );
    let response = app
        .call(
            "set_account_sla_policy",
            &[("account", "acme"), ("policy", "")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let (_, accounts) = app.get("/accounts").await;
    let acme = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["slug"] == "acme");
    assert_eq!(
        acme.map(|a| &a["sla_policy"]),
        Some(&Value::Null),
        "{accounts}"
    );
    let refused = app
        .client_as("engineer")
        .post(app.url("/api/fn/set_account_sla_policy"))
        .form(&[("account", "acme"), ("policy", "business-hours")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
}

async fn the_board_sorts_running_clocks_and_the_report_counts_met_and_missed(backend: Backend) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let options = Options {
        clock: Some(time.clone()),
        ..Options::default()
    };
    let app = TestApp::spawn_with(backend, options).await;
    catalog(&app).await;
    let (status, account) = app
        .post(
            "/accounts",
            json!({"slug": "initech", "name": "Initech", "tier": "enterprise"}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    // A P1 for Acme (acknowledged at once) and, an hour later, a P2 for Initech.
    let first = declare_p1_for_acme(&app).await;
    let (status, _) = app
        .post(
            &format!("/incidents/{first}/timeline"),
            json!({"body": "On it"}),
        )
        .await;
    assert_eq!(status, 201);
    time.advance(Duration::hours(1));
    let (status, second) = app
        .post(
            "/incidents",
            json!({"title": "Slow reports", "severity": "P2", "accounts": ["initech"]}),
        )
        .await;
    assert_eq!(status, 201, "{second}");
    let second = second["key"].as_str().unwrap().to_owned();

    // Tightest first: Initech's response (1 h target, just started) is ahead of
    // Acme's resolution (3 h left); Acme's met response is not on the board.
    let (status, board) = app.get("/sla/board").await;
    assert_eq!(status, 200, "{board}");
    let rows: Vec<(String, String, i64)> = board
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["incident"].as_str().unwrap().to_owned(),
                r["clock"]["kind"].as_str().unwrap().to_owned(),
                r["clock"]["remaining_secs"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (second.clone(), "response".into(), 3600),
            (first.clone(), "resolution".into(), 3 * 3600),
            (second.clone(), "resolution".into(), 8 * 3600),
        ]
    );
    let (_, filtered) = app.get("/sla/board?severity=P1&team=payments").await;
    assert_eq!(filtered.as_array().unwrap().len(), 1, "{filtered}");
    assert_eq!(filtered[0]["incident"], first.as_str());
    assert_eq!(filtered[0]["teams"], json!(["payments"]));
    let (_, none) = app.get("/sla/board?tier=business").await;
    assert_eq!(none, json!([]));

    // Acme resolved in 2 h (met); Initech's response breached (2 h, not acknowledged).
    time.advance(Duration::hours(1));
    let (status, _) = app
        .patch(
            &format!("/incidents/{first}"),
            json!({"status": "resolved", "reason": "Fixed"}),
        )
        .await;
    assert_eq!(status, 200);
    wait_for_entry(&app, &first, "resolution", "met").await;
    wait_for_entry(&app, &second, "response", "breached").await;
    let since = a_day_before(&time);
    let (status, report) = app
        .get(&format!("/sla/report?from={since}&by=account"))
        .await;
    assert_eq!(status, 200, "{report}");
    let row = |group: &str, kind: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["group"] == group && r["kind"] == kind)
            .cloned()
            .unwrap_or_else(|| panic!("no {group} {kind} row: {report}"))
    };
    let acme = row("acme", "resolution");
    assert_eq!(
        (
            acme["met"].as_u64(),
            acme["missed"].as_u64(),
            acme["met_percent"].as_f64()
        ),
        (Some(1), Some(0), Some(100.0))
    );
    assert_eq!(acme["median_secs"], 2 * 3600);
    let initech = row("initech", "response");
    assert_eq!(
        (
            initech["met"].as_u64(),
            initech["missed"].as_u64(),
            initech["met_percent"].as_f64()
        ),
        (Some(0), Some(1), Some(0.0))
    );
    let initech = row("initech", "resolution");
    assert_eq!(
        (initech["open"].as_u64(), initech["met_percent"].clone()),
        (Some(1), Value::Null)
    );

    let response = app
        .client
        .get(app.url(&format!(
            "/api/v1/sla/report?from={since}&by=severity&format=csv"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "severity,clock,met,missed,open,met_percent,median_secs,p90_secs"
    );
    assert!(
        lines.contains(&"P1,resolution,1,0,0,100.0,7200,7200"),
        "{csv}"
    );
    let (status, refused) = app.get("/sla/report?from=last-week").await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["from"]
            .as_str()
            .unwrap()
            .contains("last-week"),
        "{refused}"
    );
}

/// The day before the server's today: the report's start, whatever the hour.
fn a_day_before(time: &ManualClock) -> String {
    use app::clock::Clock;
    (time.now() - Duration::days(1)).date_naive().to_string()
}

async fn a_severity_change_rederives_targets_from_the_start_and_a_reopen_runs_resolution_again(
    backend: Backend,
) {
    let time = Arc::new(ManualClock::new(Utc::now()));
    let options = Options {
        clock: Some(time.clone()),
        ..Options::default()
    };
    let app = TestApp::spawn_with(backend, options).await;
    catalog(&app).await;
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Slow search", "severity": "P2", "accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    time.advance(Duration::minutes(30));
    assert_eq!(
        clock(&app, &key, "resolution").await["remaining_secs"],
        8 * 3600 - 1800
    );

    // P2 → P1 half an hour in: the 4 h target counts from the start.
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"severity": "P1", "reason": "Checkout affected too"}),
        )
        .await;
    assert_eq!(status, 200);
    let resolution = clock(&app, &key, "resolution").await;
    assert_eq!(
        (
            resolution["target_secs"].as_i64(),
            resolution["remaining_secs"].as_i64()
        ),
        (Some(4 * 3600), Some(4 * 3600 - 1800))
    );
    // The response clock (15 min for a P1) was already past its target.
    wait_for_entry(&app, &key, "response", "breached").await;

    // Resolved at 1 h (met), reopened at 2 h, resolved again at 2 h 30: the time
    // while resolved does not count (1 h 30 used).
    time.advance(Duration::minutes(30));
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "resolved", "reason": "Index rebuilt"}),
        )
        .await;
    assert_eq!(status, 200);
    wait_for_entry(&app, &key, "resolution", "met").await;
    time.advance(Duration::hours(1));
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"status": "investigating", "reason": "Slow again"}),
        )
        .await;
    assert_eq!(status, 200);
    wait_for_entry(&app, &key, "resolution", "on_track").await;
    time.advance(Duration::minutes(30));
    assert_eq!(clock(&app, &key, "resolution").await["used_secs"], 90 * 60);
}
