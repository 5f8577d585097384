//! Post-mortems through the API: drafted when the incident is resolved (what was
//! tried, the root cause, how long; a removed entry's text never), edited as
//! versions with stale saves refused, regenerated when the timeline changed, exported
//! as Markdown, and only by those who may write them. Both backends.

mod common;

use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

for_each_backend!(a_resolved_incident_gets_a_draft_people_then_edit_and_export);

async fn post(app: &TestApp, key: &str, entry: Value) -> i64 {
    let (status, posted) = app.post(&format!("/incidents/{key}/timeline"), entry).await;
    assert_eq!(status, 201, "{posted}");
    posted["seq"].as_i64().unwrap()
}

async fn a_resolved_incident_gets_a_draft_people_then_edit_and_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Card payments failing", "severity": "P1", "description": "Every card payment failed."}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let document = format!("/incidents/{key}/postmortem");

    post(&app, &key, json!({"kind": "action", "outcome": "did_not_work", "body": "Roll back the payments deploy"})).await;
    post(&app, &key, json!({"kind": "finding", "root_cause": true, "body": "The processor rotated its certificate"})).await;
    let secret = post(
        &app,
        &key,
        json!({"kind": "note", "body": "card 4242 4242 4242 4242 in the logs"}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline/{secret}/redaction"),
            json!({"reason": "card data"}),
        )
        .await;
    assert_eq!(status, 200);
    post(
        &app,
        &key,
        json!({"kind": "action", "outcome": "worked", "body": "Update the pinned chain"}),
    )
    .await;

    let (status, missing) = app.get(&document).await;
    assert_eq!(status, 404, "no draft while open: {missing}");
    let (status, _) = app
        .patch(&format!("/incidents/{key}"), json!({"status": "resolved"}))
        .await;
    assert_eq!(status, 200);

    // Drafted by the server at resolution (a background task: wait for it).
    let mut draft = Value::Null;
    for _ in 0..100 {
        let (status, body) = app.get(&document).await;
        if status == 200 {
            draft = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(draft["version"], 1, "drafted at resolution: {draft}");
    assert_eq!(
        (draft["origin"].as_str(), draft["author"].as_str()),
        (Some("generated"), Some("Sitrep"))
    );
    let text = draft["body"].as_str().unwrap();
    for said in [
        &format!("# Post-mortem: {key} Card payments failing"),
        "[Roll back the payments deploy]",
        "**did not work**",
        "[The processor rotated its certificate]",
        "[Update the pinned chain]",
        "| Time to resolve |",
        "1 removed entry is left out",
    ] {
        assert!(text.contains(said), "{said:?} missing from\n{text}");
    }
    assert!(
        !text.contains("4242"),
        "a removed entry's text reached the draft:\n{text}"
    );
    assert!(
        text.contains(&format!("(/incidents/{key}#entry-2)")),
        "statements link to their entries"
    );
    assert_eq!(draft["timeline_changed"], false);

    // Edits are new versions; a save from a stale version is refused.
    let (_, _, engineer) = app.person("engineer", "Dana Lee");
    let edited = format!("{text}\n## Notes from the review\n\nPinning needs an owner.\n");
    let (status, saved) = app
        .api_as(
            &engineer,
            Method::PUT,
            &document,
            Some(json!({"body": edited, "base_version": 1})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (
            saved["version"].as_i64(),
            saved["origin"].as_str(),
            saved["author"].as_str()
        ),
        (Some(2), Some("edited"), Some("Dana Lee"))
    );
    assert!(saved["body_html"]
        .as_str()
        .unwrap()
        .contains("<h2>Notes from the review</h2>"));
    assert_eq!(saved["versions"].as_array().unwrap().len(), 2);
    let (status, stale) = app
        .api_as(
            &engineer,
            Method::PUT,
            &document,
            Some(json!({"body": "mine", "base_version": 1})),
        )
        .await;
    assert_eq!(status, 409, "{stale}");
    let (status, empty) = app
        .api_as(
            &engineer,
            Method::PUT,
            &document,
            Some(json!({"body": "  ", "base_version": 2})),
        )
        .await;
    assert_eq!(status, 422, "{empty}");
    assert!(empty["error"]["fields"]["body"]
        .as_str()
        .unwrap()
        .contains("empty"));

    // Viewers read it but may not write it.
    let viewer = app.client_as("viewer");
    let (status, _) = app.api_as(&viewer, Method::GET, &document, None).await;
    assert_eq!(status, 200);
    let (status, _) = app.api_as(&viewer, Method::POST, &document, None).await;
    assert_eq!(status, 403);
    let (status, _) = app
        .api_as(
            &viewer,
            Method::PUT,
            &document,
            Some(json!({"body": "x", "base_version": 2})),
        )
        .await;
    assert_eq!(status, 403);

    // The export is the newest version's Markdown.
    let response = app
        .client
        .get(app.url(&format!("/api/v1{document}/markdown")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/markdown"));
    assert_eq!(response.text().await.unwrap(), edited);

    // A later timeline entry marks the text as behind; regenerating draws it again.
    post(
        &app,
        &key,
        json!({"kind": "finding", "body": "Two more services pin certificates"}),
    )
    .await;
    let (_, behind) = app.get(&document).await;
    assert_eq!(behind["timeline_changed"], true);
    let (status, regenerated) = app.post(&document, json!({})).await;
    assert_eq!(status, 201, "{regenerated}");
    assert_eq!(regenerated["version"], 3);
    assert_eq!(regenerated["timeline_changed"], false);
    assert!(regenerated["body"]
        .as_str()
        .unwrap()
        .contains("Found: Two more services pin certificates"));

    // The page shows it, rendered.
    let (status, page) = app.page(&format!("/incidents/{key}/postmortem")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Version 3"), "{page}");
    assert!(page.contains("<h1>Post-mortem:"), "{page}");
}
