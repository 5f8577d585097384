//! The REST API (`/api/v1`): incidents, their lifecycle and their timeline, against
//! SQLite and PostgreSQL.

mod common;

use common::{Backend, TestApp, ADMIN_NAME};
use serde_json::{json, Value};
use std::collections::BTreeSet;

for_each_backend!(
    declare_returns_201_with_key_status_and_times,
    bad_declarations_are_refused_and_write_nothing,
    every_status_transition_including_reopen,
    severity_change_is_logged,
    unknown_incident_is_404_everywhere,
    list_filters_by_status_and_severity,
    first_engineering_entry_acknowledges,
    bad_timeline_posts_are_refused_and_write_nothing,
    seq_is_gap_free_under_50_concurrent_posters,
    idempotent_retry_is_stored_once,
    corrections_are_revisions_with_history,
    openapi_document_lists_every_route,
);

impl TestApp {
    async fn declare_p2(&self) -> String {
        let (status, incident) = self
            .post(
                "/incidents",
                json!({"title": "Search is slow", "severity": "P2"}),
            )
            .await;
        assert_eq!(status, 201, "{incident}");
        incident["key"].as_str().unwrap().to_owned()
    }
}

fn field<'a>(body: &'a Value, name: &str) -> &'a str {
    body["error"]["fields"][name].as_str().unwrap_or_default()
}

async fn declare_returns_201_with_key_status_and_times(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let started = "2026-01-05T09:30:00Z";
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Payments failing", "severity": "P1", "description": "Stripe 502s",
                   "started_at": started}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap();
    assert!(key.starts_with("INC-"));
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["severity"], "P1");
    assert_eq!(incident["started_at"], "2026-01-05T09:30:00Z");
    assert!(incident["declared_at"].is_string());
    assert!(incident["acknowledged_at"].is_null());
    assert!(incident["resolved_at"].is_null());
    assert_eq!(incident["last_seq"], 1);

    let (status, fetched) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, incident);

    let timeline = app.timeline(key).await;
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["seq"], 1);
    assert_eq!(timeline[0]["kind"], "declared");
    assert_eq!(timeline[0]["severity"], "P1");
    assert_eq!(timeline[0]["author"], ADMIN_NAME, "the signed-in declarer");
    assert_eq!(timeline[0]["body"], "Stripe 502s");
    assert_eq!(timeline[0]["occurred_at"], started);
}

async fn bad_declarations_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, body) = app
        .post("/incidents", json!({"title": "", "severity": "P9"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(field(&body, "title"), "Title is required");
    assert!(field(&body, "severity").contains("unknown severity \"P9\""));

    let (status, body) = app
        .post(
            "/incidents",
            json!({"title": "x", "severity": "P1", "started_at": "2999-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "started_at"), "Cannot be in the future");

    let (status, body) = app
        .post(
            "/incidents",
            json!({"title": "x", "severity": "P1", "description": "d".repeat(70_000)}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(field(&body, "description").starts_with("Description is too long"));

    let (status, body) = app
        .post(
            "/incidents",
            json!({"title": "x", "severity": "P1", "colour": "red"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `colour`"),
        "{body}"
    );

    let (status, body) = app.post("/incidents", json!({"severity": "P1"})).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing field `title`"),
        "{body}"
    );

    let response = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("Content-Type", "application/json")
        .body("{\"title\": \"x\", ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "malformed_json");

    let response = app
        .client
        .post(app.url("/api/v1/incidents"))
        .body("title=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);

    let (status, list) = app.get("/incidents").await;
    assert_eq!(status, 200);
    assert_eq!(list, json!([]), "nothing was written");
}

async fn every_status_transition_including_reopen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.declare_p2().await;
    let path = format!("/incidents/{key}");

    for to in ["identified", "fixing", "monitoring", "resolved"] {
        let (status, incident) = app.patch(&path, json!({"status": to})).await;
        assert_eq!(status, 200, "{to}: {incident}");
        assert_eq!(incident["status"], to);
    }
    let (_, resolved) = app.get(&path).await;
    assert!(resolved["acknowledged_at"].is_string());
    assert!(resolved["mitigated_at"].is_string());
    assert!(resolved["resolved_at"].is_string());

    // Reopening needs a reason, and a refused move writes nothing.
    let (status, body) = app.patch(&path, json!({"status": "fixing"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        field(&body, "reason"),
        "Moving back from resolved to fixing needs a reason"
    );
    let (_, unchanged) = app.get(&path).await;
    assert_eq!(unchanged, resolved);

    let (status, reopened) = app
        .patch(
            &path,
            json!({"status": "fixing", "reason": "errors are back"}),
        )
        .await;
    assert_eq!(status, 200, "{reopened}");
    assert_eq!(reopened["status"], "fixing");
    assert!(reopened["resolved_at"].is_null());
    assert!(reopened["mitigated_at"].is_null());

    let (status, body) = app.patch(&path, json!({"status": "fixing"})).await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "status"), "The incident is already fixing");
    let (status, body) = app.patch(&path, json!({"status": "done"})).await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "status"), "unknown status \"done\"");
    let (status, _) = app.patch(&path, json!({"status": "resolved"})).await;
    assert_eq!(status, 200);

    let timeline = app.timeline(&key).await;
    let steps: Vec<(i64, String, String)> = timeline
        .iter()
        .map(|e| {
            (
                e["seq"].as_i64().unwrap(),
                e["kind"].as_str().unwrap().to_owned(),
                format!(
                    "{}→{}",
                    e["from"].as_str().unwrap_or(""),
                    e["to"].as_str().unwrap_or("")
                ),
            )
        })
        .collect();
    let expected = [
        (1, "declared", "→"),
        (2, "status_change", "investigating→identified"),
        (3, "status_change", "identified→fixing"),
        (4, "status_change", "fixing→monitoring"),
        (5, "status_change", "monitoring→resolved"),
        (6, "status_change", "resolved→fixing"),
        (7, "status_change", "fixing→resolved"),
    ];
    let expected: Vec<(i64, String, String)> = expected
        .iter()
        .map(|(s, k, m)| (*s, k.to_string(), m.to_string()))
        .collect();
    assert_eq!(steps, expected, "every step logged, seqs gap-free");
    assert_eq!(timeline[5]["reason"], "errors are back");
    assert_eq!(timeline[5]["body"], "errors are back");
    assert_eq!(timeline[5]["author"], ADMIN_NAME);
}

async fn severity_change_is_logged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.declare_p2().await;
    let path = format!("/incidents/{key}");
    let (status, incident) = app
        .patch(
            &path,
            json!({"severity": "P1", "reason": "all EU tenants affected"}),
        )
        .await;
    assert_eq!(status, 200, "{incident}");
    assert_eq!(incident["severity"], "P1");
    let (status, body) = app.patch(&path, json!({"severity": "P1"})).await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "severity"), "The incident is already P1");

    // Status and severity in one request: two entries, one seq each.
    let (status, both) = app
        .patch(&path, json!({"status": "identified", "severity": "P2"}))
        .await;
    assert_eq!(status, 200, "{both}");
    assert_eq!(both["last_seq"], 4);
    let timeline = app.timeline(&key).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "severity_change",
            "status_change",
            "severity_change"
        ]
    );
    assert_eq!(timeline[1]["from"], "P2");
    assert_eq!(timeline[1]["to"], "P1");
    assert_eq!(timeline[1]["reason"], "all EU tenants affected");
}

async fn unknown_incident_is_404_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (status, body) in [
        app.get("/incidents/INC-999").await,
        app.get("/incidents/not-a-key").await,
        app.patch("/incidents/INC-999", json!({"status": "fixing"}))
            .await,
        app.get("/incidents/INC-999/timeline").await,
        app.post("/incidents/INC-999/timeline", json!({"body": "hello"}))
            .await,
        app.get("/incidents/INC-999/timeline/1/revisions").await,
    ] {
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    let (_, list) = app.get("/incidents").await;
    assert_eq!(list, json!([]));
}

async fn list_filters_by_status_and_severity(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let p2 = app.declare_p2().await;
    let (_, p1) = app
        .post("/incidents", json!({"title": "DB down", "severity": "P1"}))
        .await;
    app.patch(&format!("/incidents/{p2}"), json!({"status": "resolved"}))
        .await;

    let keys = |list: Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_owned())
            .collect()
    };
    let p1 = p1["key"].as_str().unwrap().to_owned();
    assert_eq!(
        keys(app.get("/incidents").await.1),
        [p1.clone(), p2.clone()]
    );
    assert_eq!(keys(app.get("/incidents?status=resolved").await.1), [p2]);
    assert_eq!(keys(app.get("/incidents?severity=P1").await.1), [p1]);
    assert!(keys(app.get("/incidents?status=resolved&severity=P1").await.1).is_empty());

    let (status, body) = app.get("/incidents?status=closed").await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "status"), "unknown status \"closed\"");
    assert_eq!(keys(app.get("/incidents?limit=1").await.1).len(), 1);
    let (status, body) = app.get("/incidents?limit=0").await;
    assert_eq!(status, 422);
    assert_eq!(field(&body, "limit"), "Between 1 and 100");
    let (status, body) = app.get("/incidents?colour=red").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_query");
}

async fn first_engineering_entry_acknowledges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.declare_p2().await;
    let timeline = format!("/incidents/{key}/timeline");
    app.post(
        &timeline,
        json!({"body": "CSM: customer X also affected", "kind": "note"}),
    )
    .await;
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert!(
        incident["acknowledged_at"].is_null(),
        "a note does not acknowledge"
    );

    let (status, entry) = app
        .post(&timeline, json!({"body": "Looking at the slow queries"}))
        .await;
    assert_eq!(status, 201);
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(incident["acknowledged_at"], entry["recorded_at"]);

    app.post(&timeline, json!({"body": "Second update"})).await;
    let (_, later) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(
        later["acknowledged_at"], incident["acknowledged_at"],
        "only the first counts"
    );
}

async fn bad_timeline_posts_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.declare_p2().await;
    let path = format!("/incidents/{key}/timeline");
    let cases = [
        (json!({"body": "  "}), "body", "Write what happened"),
        (json!({"body": "x", "kind": "status_change"}), "kind", ""),
        (
            json!({"body": "x", "kind": "action", "outcome": "maybe"}),
            "outcome",
            "",
        ),
        (
            json!({"body": "x", "root_cause": true}),
            "root_cause",
            "Only a finding can be the root cause",
        ),
        (
            json!({"body": "x", "occurred_at": "2999-01-01T00:00:00Z"}),
            "occurred_at",
            "Cannot be in the future",
        ),
    ];
    for (body, name, message) in cases {
        let (status, response) = app.post(&path, body.clone()).await;
        assert_eq!(status, 422, "{body} → {response}");
        assert!(
            field(&response, name).contains(message) && !field(&response, name).is_empty(),
            "{response}"
        );
    }
    let (status, _) = app.post(&path, json!({"body": "x".repeat(70_000)})).await;
    assert_eq!(status, 422);
    let (status, _) = app.post(&path, json!({"body": "x", "seq": 5})).await;
    assert_eq!(status, 422, "unknown fields are refused");
    let (status, response) = app.get(&format!("{path}?after=abc")).await;
    assert_eq!(status, 400, "{response}");

    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(incident["last_seq"], 1, "no seq was used");
    assert_eq!(app.timeline(&key).await.len(), 1);
}

async fn seq_is_gap_free_under_50_concurrent_posters(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::spawn(backend).await);
    let key = app.declare_p2().await;
    let posters = 50;
    let per_poster = 4;
    let mut tasks = Vec::new();
    for poster in 0..posters {
        let app = app.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for n in 0..per_poster {
                let (status, entry) = app
                    .post(
                        &format!("/incidents/{key}/timeline"),
                        json!({"body": format!("poster {poster} post {n}")}),
                    )
                    .await;
                assert_eq!(status, 201, "{entry}");
                seqs.push(entry["seq"].as_i64().unwrap());
            }
            seqs
        }));
    }
    let mut seqs = Vec::new();
    for task in tasks {
        seqs.extend(task.await.unwrap());
    }
    let total = (posters * per_poster) as i64;
    let unique: BTreeSet<i64> = seqs.iter().copied().collect();
    assert_eq!(unique.len() as i64, total, "no seq handed out twice");
    assert_eq!(
        unique,
        (2..=total + 1).collect(),
        "seqs 2..={} with no gap",
        total + 1
    );

    let timeline = app.timeline(&key).await;
    let listed: Vec<i64> = timeline
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        listed,
        (1..=total + 1).collect::<Vec<_>>(),
        "listed in seq order"
    );
    let (_, after) = app
        .get(&format!("/incidents/{key}/timeline?after=150"))
        .await;
    let after: Vec<i64> = after
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(after, (151..=total + 1).collect::<Vec<_>>());
}

async fn idempotent_retry_is_stored_once(backend: Backend) {
    let app = std::sync::Arc::new(TestApp::spawn(backend).await);
    let key = app.declare_p2().await;
    let path = format!("/incidents/{key}/timeline");
    let post = json!({"body": "Rolled back to 1.41", "kind": "action", "outcome": "worked", "idempotency_key": "phone-7f3a"});
    let (status, first) = app.post(&path, post.clone()).await;
    assert_eq!(status, 201);
    let (status, retry) = app.post(&path, post.clone()).await;
    assert_eq!(status, 200, "a retry is answered with the stored entry");
    assert_eq!(retry, first);

    let (status, body) = app
        .post(
            &path,
            json!({"body": "Something else", "idempotency_key": "phone-7f3a"}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");

    // Ten simultaneous retries of one new post: stored once, all see the same entry.
    let concurrent = json!({"body": "Paged the DBA", "idempotency_key": "phone-8b2c"});
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (app, path, body) = (app.clone(), path.clone(), concurrent.clone());
        tasks.push(tokio::spawn(async move { app.post(&path, body).await }));
    }
    let mut created = 0;
    let mut seqs = BTreeSet::new();
    for task in tasks {
        let (status, entry) = task.await.unwrap();
        assert!(status == 201 || status == 200, "{status} {entry}");
        created += usize::from(status == 201);
        seqs.insert(entry["seq"].as_i64().unwrap());
    }
    assert_eq!(created, 1);
    assert_eq!(seqs.len(), 1);

    let timeline = app.timeline(&key).await;
    let seqs: Vec<i64> = timeline
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        [1, 2, 3],
        "declared + two posts, no gap left by retries"
    );
}

async fn corrections_are_revisions_with_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = app.declare_p2().await;
    let (_, entry) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "Rolled back to 1.14"}),
        )
        .await;
    let seq = entry["seq"].as_i64().unwrap();
    let revisions = format!("/incidents/{key}/timeline/{seq}/revisions");

    let (status, revised) = app
        .post(&revisions, json!({"body": "Rolled back to 1.41"}))
        .await;
    assert_eq!(status, 201, "{revised}");
    assert_eq!(revised["revision"], 2);
    assert_eq!(revised["body"], "Rolled back to 1.41");
    assert_eq!(revised["seq"], seq, "the entry keeps its place");

    let timeline = app.timeline(&key).await;
    assert_eq!(timeline[1]["body"], "Rolled back to 1.41");
    assert_eq!(timeline[1]["revision"], 2);
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(
        incident["last_seq"], 3,
        "the correction is an event with its own seq"
    );

    let (status, history) = app.get(&revisions).await;
    assert_eq!(status, 200);
    let bodies: Vec<(i64, &str)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["revision"].as_i64().unwrap(), r["body"].as_str().unwrap()))
        .collect();
    assert_eq!(
        bodies,
        [(1, "Rolled back to 1.14"), (2, "Rolled back to 1.41")],
        "nothing overwritten"
    );

    let (status, body) = app
        .post(&revisions, json!({"body": "Rolled back to 1.41"}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field(&body, "body"),
        "The correction is the same as the current text"
    );
    let (status, body) = app
        .post(
            &format!("/incidents/{key}/timeline/1/revisions"),
            json!({"body": "rewrite history"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        field(&body, "seq"),
        "Only updates, notes, actions and findings can be corrected"
    );
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline/99/revisions"),
            json!({"body": "x"}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, incident) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(incident["last_seq"], 3, "refused corrections use no seq");
}

mod demo {
    use super::common::{Backend, Options, TestApp};
    use serde_json::json;

    async fn demo_data_is_seeded_once(backend: Backend) {
        let app = TestApp::spawn_with(
            backend,
            Options {
                demo: true,
                ..Options::default()
            },
        )
        .await;
        let (status, incidents) = app.get("/incidents").await;
        assert_eq!(status, 200);
        let incidents = incidents.as_array().unwrap().clone();
        assert_eq!(incidents.len(), 40);
        assert_eq!(
            incidents[0]["title"], "Nightly CSV export missing rows",
            "newest first"
        );
        let live = incidents
            .iter()
            .find(|i| i["severity"] == "P1" && i["status"] == "identified")
            .unwrap();
        assert_eq!(live["lead"]["display_name"], "Dana Lee");
        assert_eq!(live["comms_owner"]["email"], "priya@example.com");
        let timeline = app.timeline(live["key"].as_str().unwrap()).await;
        assert!(timeline.len() >= 6, "a rich timeline");
        assert!(timeline
            .iter()
            .any(|e| e["kind"] == "finding" && e["root_cause"] == true));
        let (_, teams) = app.get("/teams").await;
        assert_eq!(teams.as_array().unwrap().len(), 3);
        // One demo sign-in per role, with the documented passwords.
        for (email, role, password) in [
            ("ada.admin@example.com", "admin", "demo-admin-password"),
            ("dana.lee@example.com", "engineer", "demo-engineer-password"),
            ("priya@example.com", "cs", "demo-cs-password"),
            (
                "victor.viewer@example.com",
                "viewer",
                "demo-viewer-password",
            ),
        ] {
            let (status, user) = app
                .post("/session", json!({"email": email, "password": password}))
                .await;
            assert_eq!(
                (status, user["role"].as_str()),
                (200, Some(role)),
                "{email}"
            );
        }

        let app = app.restart().await;
        let (_, again) = app.get("/incidents").await;
        assert_eq!(
            again.as_array().unwrap().len(),
            40,
            "a restart with --demo adds nothing"
        );
    }

    crate::for_each_backend!(demo_data_is_seeded_once);
}

mod accounts {
    use super::common::{Backend, TestApp};
    use super::field;
    use serde_json::json;

    async fn impacted_accounts_set_the_tier(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for (slug, tier) in [
            ("acme", "enterprise"),
            ("wayne", "business"),
            ("oscorp", "standard"),
        ] {
            let (status, account) = app
                .post(
                    "/accounts",
                    json!({"slug": slug, "name": slug.to_uppercase(), "tier": tier, "crm_id": format!("crm-{slug}"),
                           "csm_email": "priya@example.com", "csm_name": "Priya Raman"}),
                )
                .await;
            assert_eq!(status, 201, "{account}");
            assert_eq!(account["csm"]["display_name"], "Priya Raman");
        }
        let (status, body) = app
            .post(
                "/accounts",
                json!({"slug": "acme", "name": "Again", "tier": "business"}),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = app
            .post(
                "/accounts",
                json!({"slug": "other", "name": "Other", "tier": "business", "crm_id": "crm-acme"}),
            )
            .await;
        assert_eq!(status, 422, "a CRM id belongs to one account: {body}");

        let (status, incident) = app
            .post(
                "/incidents",
                json!({"title": "Exports fail", "severity": "P2", "accounts": ["wayne", "acme"]}),
            )
            .await;
        assert_eq!(status, 201, "{incident}");
        assert_eq!(incident["accounts"], json!(["acme", "wayne"]));
        assert_eq!(
            incident["impacted_tier"], "enterprise",
            "the most demanding tier"
        );
        assert_eq!(incident["source"], "manual");

        let (_, named) = app
            .post("/incidents", json!({"title": "Slow UI", "severity": "P3", "accounts": ["oscorp"], "customer_tier": "business", "source": "alert"}))
            .await;
        assert_eq!(
            named["impacted_tier"], "business",
            "a higher tier named explicitly wins"
        );
        assert_eq!(named["source"], "alert");
        let (_, none) = app
            .post("/incidents", json!({"title": "Internal", "severity": "P3"}))
            .await;
        assert!(none["impacted_tier"].is_null());

        let (status, body) = app
            .post("/incidents", json!({"title": "x", "severity": "P1", "accounts": ["acme", "nobody"], "customer_tier": "gold", "source": "pager"}))
            .await;
        assert_eq!(status, 422);
        assert_eq!(field(&body, "accounts"), "unknown account nobody");
        assert!(field(&body, "customer_tier").contains("unknown tier"));
        assert!(field(&body, "source").contains("unknown source"));
        let (_, list) = app.get("/incidents").await;
        assert_eq!(
            list.as_array().unwrap().len(),
            3,
            "the refused one wrote nothing"
        );
    }

    async fn csm_report_goes_straight_to_the_war_room(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        for (slug, tier) in [
            ("acme", "enterprise"),
            ("globex", "enterprise"),
            ("wayne", "business"),
        ] {
            app.post(
                "/accounts",
                json!({"slug": slug, "name": slug, "tier": tier}),
            )
            .await;
        }
        let (_, html) = app.page("/report").await;
        assert!(
            html.contains(r#"name="accounts[]" value="acme""#),
            "accounts offered as checkboxes"
        );

        let csm = app.client_named("cs", "Priya Raman");
        let response = csm
            .post(app.url("/api/fn/report_customer_issue"))
            .header("Accept", "text/html")
            .header("Referer", app.url("/report"))
            .body("title=Invoices+missing&severity=P2&symptoms=Export+button+spins&accounts%5B%5D=acme&accounts%5B%5D=globex")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.ends_with("/incidents/INC-1"), "{location}");
        let (_, incident) = app.get("/incidents/INC-1").await;
        assert_eq!(incident["source"], "cs_report");
        assert_eq!(incident["accounts"], json!(["acme", "globex"]));
        assert_eq!(incident["impacted_tier"], "enterprise");
        assert_eq!(incident["description"], "Export button spins");
        let timeline = app.timeline("INC-1").await;
        assert_eq!(timeline[0]["author"], "Priya Raman", "the signed-in CSM");
    }

    crate::for_each_backend!(
        impacted_accounts_set_the_tier,
        csm_report_goes_straight_to_the_war_room
    );
}

/// The document is generated from the router, so this pins the route list: a route
/// added or removed without updating this table fails here, and every listed
/// operation must answer something other than 404/405 (it is really routed).
async fn openapi_document_lists_every_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, doc) = app.get("/openapi.json").await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            documented.insert(format!("{} {path}", method.to_uppercase()));
        }
    }
    let expected: BTreeSet<String> = [
        "GET /api/v1/incidents",
        "POST /api/v1/incidents",
        "GET /api/v1/incidents/{key}",
        "PATCH /api/v1/incidents/{key}",
        "GET /api/v1/incidents/{key}/timeline",
        "POST /api/v1/incidents/{key}/timeline",
        "GET /api/v1/incidents/{key}/timeline/{seq}/revisions",
        "POST /api/v1/incidents/{key}/timeline/{seq}/revisions",
        "POST /api/v1/incidents/{key}/timeline/{seq}/redaction",
        "GET /api/v1/incidents/{key}/notifications",
        "GET /api/v1/teams",
        "POST /api/v1/teams",
        "POST /api/v1/teams/{slug}/members",
        "DELETE /api/v1/teams/{slug}/members/{email}",
        "GET /api/v1/systems",
        "POST /api/v1/systems",
        "GET /api/v1/accounts",
        "POST /api/v1/accounts",
        "POST /api/v1/accounts/import",
        "PUT /api/v1/accounts/{slug}/sla-policy",
        "GET /api/v1/incidents/{key}/sla",
        "GET /api/v1/sla/policies",
        "GET /api/v1/sla/report",
        "GET /api/v1/sla/board",
        "PUT /api/v1/sla/policies/{slug}",
        "GET /api/v1/incidents/{key}/comms",
        "PATCH /api/v1/incidents/{key}/comms/schedule",
        "GET /api/v1/incidents/{key}/messages",
        "POST /api/v1/incidents/{key}/messages",
        "GET /api/v1/incidents/{key}/messages/{id}",
        "PATCH /api/v1/incidents/{key}/messages/{id}",
        "POST /api/v1/incidents/{key}/messages/{id}/regeneration",
        "GET /api/v1/incidents/{key}/messages/{id}/guards",
        "POST /api/v1/incidents/{key}/messages/{id}/transitions",
        "GET /api/v1/messages",
        "GET /api/v1/comms/templates",
        "PUT /api/v1/comms/templates",
        "GET /api/v1/comms/approval-policies",
        "PUT /api/v1/comms/approval-policies",
        "PUT /api/v1/accounts/{slug}/webhook",
        "GET /api/v1/incidents/{key}/postmortem",
        "POST /api/v1/incidents/{key}/postmortem",
        "PUT /api/v1/incidents/{key}/postmortem",
        "GET /api/v1/incidents/{key}/postmortem/markdown",
        "GET /api/v1/incidents/{key}/rca",
        "GET /api/v1/incidents/{key}/rca/markdown",
        "GET /api/v1/incidents/{key}/postmortem/versions/{version}/diff",
        "POST /api/v1/incidents/{key}/postmortem/review",
        "POST /api/v1/incidents/{key}/postmortem/sections",
        "GET /api/v1/postmortem-templates",
        "PUT /api/v1/postmortem-templates/{name}",
        "DELETE /api/v1/postmortem-templates/{name}",
        "POST /api/v1/postmortem-templates/preview",
        "GET /api/v1/incidents/{key}/followups",
        "POST /api/v1/incidents/{key}/followups",
        "GET /api/v1/followups",
        "PATCH /api/v1/followups/{id}",
        "POST /api/v1/intake/{kind}/{id}",
        "GET /api/v1/integrations",
        "POST /api/v1/integrations",
        "PUT /api/v1/integrations/{id}/rules",
        "POST /api/v1/integrations/{id}/rule-test",
        "PUT /api/v1/integrations/{id}/secret",
        "GET /api/v1/integrations/{id}/deliveries",
        "POST /api/v1/integrations/{id}/deliveries/{delivery}/replay",
        "GET /api/v1/status/components",
        "PUT /api/v1/status/components",
        "PUT /api/v1/status/page",
        "POST /api/v1/accounts/{slug}/status-link",
        "GET /api/v1/status/maintenance",
        "POST /api/v1/status/maintenance",
        "POST /api/v1/status/maintenance/{id}/notices",
        "GET /api/v1/openapi.json",
        "GET /api/v1/live",
        "POST /api/v1/session",
        "DELETE /api/v1/session",
        "POST /api/v1/session/everywhere",
        "GET /api/v1/me",
        "PUT /api/v1/me/time-zone",
        "GET /api/v1/audit",
        "GET /api/v1/tokens",
        "POST /api/v1/tokens",
        "DELETE /api/v1/tokens/{id}",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(documented, expected);

    let key = app.declare_p2().await;
    for route in &documented {
        let (method, path) = route.split_once(' ').unwrap();
        let url = path
            .trim_start_matches("/api/v1")
            .replace("{key}", &key)
            .replace("{seq}", "1")
            .replace("{id}", "1");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != reqwest::Method::GET).then(|| json!({}));
        let (status, answer) = app.api(method, &url, body).await;
        // A 404 from a handler names what it did not find; the router's has no body.
        let handler_404 = status == 404 && answer["error"]["code"] == "not_found";
        assert!(
            (status != 404 || handler_404) && status != 405,
            "{route} is documented but not routed: {status} {answer}"
        );
    }
    // Every schema a document refers to is in it.
    let text = doc.to_string();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling reference to {name}"
        );
    }
}
