//! Post-mortems through the API: drafted when the incident is resolved (what was
//! tried, the root cause, how long; a removed entry's text never), edited as
//! versions with stale saves refused, regenerated when the timeline changed, exported
//! as Markdown, and only by those who may write them; reviewed by named people and
//! published read-only; follow-up actions tracked across incidents, their owners
//! reminded by email when overdue. Both backends.

mod common;

use app::clock::{Clock, ManualClock};
use chrono::Utc;
use common::peers::SmtpSink;
use common::{Backend, Options, TestApp, ADMIN_EMAIL};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;

for_each_backend!(
    a_resolved_incident_gets_a_draft_people_then_edit_and_export,
    a_post_mortem_is_approved_by_every_reviewer_then_published_read_only,
    drawing_one_section_again_keeps_the_edits_in_the_others,
    each_severity_drafts_in_the_teams_own_template,
    follow_ups_are_tracked_across_incidents_and_overdue_owners_reminded,
    a_follow_up_is_raised_from_a_war_room_entry,
    the_customer_report_tells_each_customer_only_what_it_was_told,
);

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

/// The text of `body`'s `## heading` section, up to the next heading.
fn section<'a>(body: &'a str, heading: &str) -> &'a str {
    let start = body
        .find(&format!("## {heading}\n"))
        .unwrap_or_else(|| panic!("no section {heading:?} in\n{body}"));
    let rest = &body[start..];
    &rest[..rest[3..].find("\n## ").map_or(rest.len(), |end| end + 4)]
}

fn stale_sections(document: &Value) -> Vec<&str> {
    document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["timeline_changed"] == true)
        .map(|s| s["heading"].as_str().unwrap())
        .collect()
}

async fn drawing_one_section_again_keeps_the_edits_in_the_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Webhooks delayed", "severity": "P2", "description": "Found by a test."}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let document = format!("/incidents/{key}/postmortem");
    let redraw = format!("{document}/sections");
    post(
        &app,
        &key,
        json!({"kind": "action", "outcome": "did_not_work", "body": "Restart the webhook workers"}),
    )
    .await;
    let (status, draft) = app.post(&document, json!({})).await;
    assert_eq!(status, 201, "{draft}");
    let generated = draft["body"].as_str().unwrap().to_owned();
    let headings: Vec<_> = draft["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["heading"].as_str().unwrap(), s["generated"] == true))
        .collect();
    assert!(headings.contains(&("What was tried", true)), "{headings:?}");
    assert!(stale_sections(&draft).is_empty());

    // People write the summary and what went well, and add a section of their own.
    let edited = generated
        .replace("Found by a test.", "Webhooks queued for 40 minutes.")
        .replace(
            "## What went well\n\n- \n",
            "## What went well\n\n- Paging was quick\n",
        )
        + "\n## Notes\n\nAsk the queue team.\n";
    assert_ne!(edited, generated);
    let (status, saved) = app
        .api(
            Method::PUT,
            &document,
            Some(json!({"body": edited, "base_version": 1})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let notes = saved["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["heading"] == "Notes")
        .unwrap()
        .clone();
    assert_eq!(
        notes["generated"], false,
        "a section people added is theirs"
    );

    // A later action: the sections it changes say so, the others do not.
    post(
        &app,
        &key,
        json!({"kind": "action", "outcome": "worked", "body": "Scale the queue consumers"}),
    )
    .await;
    let (_, behind) = app.get(&document).await;
    assert_eq!(behind["timeline_changed"], true);
    let stale = stale_sections(&behind);
    // What worked is part of the resolution too.
    assert_eq!(stale, ["Timeline", "What was tried", "Resolution"]);
    for unchanged in [
        "Summary",
        "What went well",
        "Root cause and trigger",
        "Notes",
    ] {
        assert!(
            !stale.contains(&unchanged),
            "{unchanged} marked changed: {stale:?}"
        );
    }

    // Drawing "What was tried" again replaces that section only.
    let (status, redrawn) = app
        .post(
            &redraw,
            json!({"section": "What was tried", "base_version": 2}),
        )
        .await;
    assert_eq!(status, 200, "{redrawn}");
    assert_eq!(
        (redrawn["version"].as_i64(), redrawn["origin"].as_str()),
        (Some(3), Some("regenerated"))
    );
    let body = redrawn["body"].as_str().unwrap();
    let tried = section(body, "What was tried");
    assert!(
        tried.contains("Restart the webhook workers")
            && tried.contains("Scale the queue consumers"),
        "{tried}"
    );
    for kept in [
        "Webhooks queued for 40 minutes.",
        "- Paging was quick",
        "Ask the queue team.",
    ] {
        assert!(body.contains(kept), "the edit {kept:?} was lost:\n{body}");
    }
    // Everything outside the section is as it was edited.
    assert_eq!(
        body.replace(tried, ""),
        edited.replace(section(&edited, "What was tried"), ""),
    );
    assert!(!section(body, "Timeline").contains("Scale the queue consumers"));
    assert_eq!(stale_sections(&redrawn), ["Timeline", "Resolution"]);
    assert_eq!(redrawn["timeline_changed"], true);

    // A draw from an older version is refused, as a stale save is.
    let (status, refused) = app
        .post(&redraw, json!({"section": "Timeline", "base_version": 2}))
        .await;
    assert_eq!(status, 409, "{refused}");

    // Once every section says what the timeline does, the text is current again.
    let (status, partly) = app
        .post(&redraw, json!({"section": "timeline", "base_version": 3}))
        .await;
    assert_eq!(status, 200, "{partly}");
    assert!(
        section(partly["body"].as_str().unwrap(), "Timeline").contains("Scale the queue consumers")
    );
    assert_eq!(stale_sections(&partly), ["Resolution"]);
    assert_eq!(partly["timeline_changed"], true);
    let (status, current) = app
        .post(&redraw, json!({"section": "Resolution", "base_version": 4}))
        .await;
    assert_eq!(status, 200, "{current}");
    assert_eq!(
        current["timeline_changed"],
        false,
        "{:?}",
        stale_sections(&current)
    );

    // Sections the template lacks, or the text lost, are named, and nothing is written.
    let (status, unknown) = app
        .post(&redraw, json!({"section": "Lessons", "base_version": 5}))
        .await;
    assert_eq!(status, 422, "{unknown}");
    assert!(unknown["error"]["fields"]["section"]
        .as_str()
        .unwrap()
        .contains("\"Lessons\""));
    let without = current["body"].as_str().unwrap().replace(
        section(current["body"].as_str().unwrap(), "Open questions"),
        "",
    );
    let (status, _) = app
        .api(
            Method::PUT,
            &document,
            Some(json!({"body": without, "base_version": 5})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, lost) = app
        .post(
            &redraw,
            json!({"section": "Open questions", "base_version": 6}),
        )
        .await;
    assert_eq!(status, 422, "{lost}");
    assert!(lost["error"]["fields"]["section"]
        .as_str()
        .unwrap()
        .contains("any more"));
    let (_, after) = app.get(&document).await;
    assert_eq!(after["version"], 6);

    // Viewers may not draw.
    let viewer = app.client_as("viewer");
    let (status, _) = app
        .api_as(
            &viewer,
            Method::POST,
            &redraw,
            Some(json!({"section": "Timeline", "base_version": 6})),
        )
        .await;
    assert_eq!(status, 403);

    // The page lists the sections with a button for each.
    let (status, page) = app.page(&document).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"postmortem-sections\""), "{page}");
    assert!(
        page.contains("Draw “What was tried” again from the timeline"),
        "{page}"
    );
}

async fn each_severity_drafts_in_the_teams_own_template(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let templates = "/postmortem-templates";
    let (status, listed) = app.get(templates).await;
    assert_eq!(status, 200, "{listed}");
    let listed: Vec<_> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            ("default", "built_in"),
            ("P1", "default"),
            ("P2", "default"),
            ("P3", "default")
        ]
    );

    // A template that does not render is refused, naming its line; nothing saved.
    let field = |body: &Value| {
        body["error"]["fields"]["body"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for (bad, line) in [
        (
            "# {{ incident.title }}\n\n## Cause\n{{ incident.nope }}\n",
            "line 4",
        ),
        (
            "# Ours\n{% for a in timeline.actions %}\n- {{ a.headline }}\n",
            "line",
        ),
        (
            "# Ours\n\n{% for a in timeline.actions %}- {{ a.nope }}{% endfor %}\n",
            "line 3",
        ),
    ] {
        let (status, refused) = app
            .api(
                Method::PUT,
                &format!("{templates}/P1"),
                Some(json!({"body": bad})),
            )
            .await;
        assert_eq!(status, 422, "{bad:?} was accepted: {refused}");
        assert!(field(&refused).contains(line), "{bad:?}: {refused}");
    }
    let (status, _) = app
        .api(
            Method::PUT,
            &format!("{templates}/P4"),
            Some(json!({"body": "# x"})),
        )
        .await;
    assert_eq!(status, 404, "only default, P1, P2 and P3");
    let (_, _, engineer) = app.person("engineer", "Dana Lee");
    let (status, _) = app
        .api_as(
            &engineer,
            Method::PUT,
            &format!("{templates}/P1"),
            Some(json!({"body": "# x"})),
        )
        .await;
    assert_eq!(status, 403, "admins only");

    let ours = "# {{ incident.key }} in our format\r\n\r\n## Customer impact\r\n\r\n{{ metrics.customer_impact }}\r\n\r\n## Tried\r\n\r\n{% for a in timeline.actions %}- {{ a.headline }} ({{ a.outcome }})\r\n{% endfor %}";
    let (status, saved) = app
        .api(
            Method::PUT,
            &format!("{templates}/P1"),
            Some(json!({"body": ours})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["source"], "custom");
    assert!(
        !saved["body"].as_str().unwrap().contains('\r'),
        "stored with LF line ends"
    );

    // A P1 is drafted with it; a P2 still with the built-in format.
    let declare = |severity: &'static str| {
        let app = &app;
        async move {
            let (status, incident) = app
                .post(
                    "/incidents",
                    json!({"title": "Exports stuck", "severity": severity, "description": "Found by a test."}),
                )
                .await;
            assert_eq!(status, 201, "{incident}");
            let key = incident["key"].as_str().unwrap().to_owned();
            post(
                app,
                &key,
                json!({"kind": "action", "outcome": "worked", "body": "Drain the export queue"}),
            )
            .await;
            key
        }
    };
    let p1 = declare("P1").await;
    let (status, draft) = app
        .post(&format!("/incidents/{p1}/postmortem"), json!({}))
        .await;
    assert_eq!(status, 201, "{draft}");
    let text = draft["body"].as_str().unwrap();
    assert!(text.starts_with(&format!("# {p1} in our format")), "{text}");
    assert!(text.contains("- Drain the export queue (worked)"), "{text}");
    assert!(!text.contains("## Summary"), "{text}");
    let headings: Vec<_> = draft["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["heading"].as_str().unwrap())
        .collect();
    assert_eq!(headings, ["Customer impact", "Tried"]);
    let p2 = declare("P2").await;
    let (_, draft) = app
        .post(&format!("/incidents/{p2}/postmortem"), json!({}))
        .await;
    assert!(
        draft["body"].as_str().unwrap().contains("## Summary"),
        "{draft}"
    );
    assert_eq!(
        (&draft["template"], &draft["template_chosen"]),
        (&json!("P2"), &json!(false))
    );

    // Another template chosen for one incident: kept by later regenerations and by a
    // section drawn again, until "automatic" goes back to the severity's.
    let generate = |query: &'static str| {
        let (app, url) = (&app, format!("/incidents/{p2}/postmortem{query}"));
        async move { app.post(&url, json!({})).await }
    };
    let in_our_format = |draft: &Value| {
        draft["body"]
            .as_str()
            .unwrap()
            .starts_with(&format!("# {p2} in our format"))
    };
    let (status, chosen) = generate("?template=P1").await;
    assert_eq!(status, 201, "{chosen}");
    assert!(in_our_format(&chosen), "{chosen}");
    assert_eq!(
        (&chosen["template"], &chosen["template_chosen"]),
        (&json!("P1"), &json!(true))
    );
    let (_, again) = generate("").await;
    assert!(
        in_our_format(&again),
        "a plain regeneration keeps the choice: {again}"
    );
    post(
        &app,
        &p2,
        json!({"kind": "action", "outcome": "did_not_work", "body": "Restart the exporter"}),
    )
    .await;
    let (status, redrawn) = app
        .post(
            &format!("/incidents/{p2}/postmortem/sections"),
            json!({"section": "Tried", "base_version": again["version"]}),
        )
        .await;
    assert_eq!(status, 200, "{redrawn}");
    let text = redrawn["body"].as_str().unwrap();
    assert!(
        text.contains("- Restart the exporter (did not work)"),
        "{text}"
    );
    assert!(
        in_our_format(&redrawn) && !text.contains("## Summary"),
        "{text}"
    );
    let (status, refused) = generate("?template=P9").await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["template"]
            .as_str()
            .is_some_and(|m| m.contains("P9")),
        "{refused}"
    );
    let (_, automatic) = generate("?template=automatic").await;
    assert!(!in_our_format(&automatic), "{automatic}");
    assert_eq!(
        (&automatic["template"], &automatic["template_chosen"]),
        (&json!("P2"), &json!(false))
    );
    let (status, page) = app.page(&format!("/incidents/{p2}/postmortem")).await;
    assert_eq!(status, 200);
    assert!(page.contains("P2 template (by severity)"), "{page}");

    // The preview renders any text on a real incident, saving nothing.
    let preview = format!("{templates}/preview");
    let (status, drawn) = app
        .post(&preview, json!({"body": "Title: {{ incident.title }} ({{ incident.severity }})", "incident": p2}))
        .await;
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["markdown"], "Title: Exports stuck (P2)");
    let (status, refused) = app
        .post(&preview, json!({"body": "\n{{ nope }}", "incident": p2}))
        .await;
    assert_eq!(status, 422);
    assert!(field(&refused).contains("line 2"), "{refused}");
    let (status, _) = app
        .post(&preview, json!({"body": "x", "incident": "INC-999"}))
        .await;
    assert_eq!(status, 404);

    // The page shows the template being edited and its preview.
    let (status, page) = app.page("/admin/postmortem-templates?name=P1").await;
    assert_eq!(status, 200);
    assert!(page.contains("in our format"), "{page}");
    assert!(page.contains("id=\"pm-template-preview\""), "{page}");

    // Reset: P1 drafts with the built-in format again.
    let (status, after) = app
        .api(Method::DELETE, &format!("{templates}/P1"), None)
        .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after[1]["source"], "default");
    let (_, draft) = app
        .post(&format!("/incidents/{p1}/postmortem"), json!({}))
        .await;
    assert!(
        draft["body"].as_str().unwrap().contains("## Summary"),
        "{draft}"
    );
}

/// An incident with a generated post-mortem: its key.
async fn incident_with_draft(app: &TestApp, title: &str) -> String {
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": title, "severity": "P2", "description": "Found by a test."}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let (status, draft) = app
        .post(&format!("/incidents/{key}/postmortem"), json!({}))
        .await;
    assert_eq!(status, 201, "{draft}");
    key
}

async fn step(app: &TestApp, as_who: &reqwest::Client, key: &str, step: Value) -> (u16, Value) {
    app.api_as(
        as_who,
        Method::POST,
        &format!("/incidents/{key}/postmortem/review"),
        Some(step),
    )
    .await
}

async fn a_post_mortem_is_approved_by_every_reviewer_then_published_read_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = incident_with_draft(&app, "Search results stale").await;
    let document = format!("/incidents/{key}/postmortem");
    let admin = &app.client;
    let (rita, _, rita_client) = app.person("engineer", "Rita Reyes");
    let (casey, _, casey_client) = app.person("cs", "Casey Chu");
    let (viewer, _, _) = app.person("viewer", "Vic Viewer");
    let (_, _, outsider) = app.person("engineer", "Otto Outside");

    // Reviewers must be known people who can review, other than the requester.
    for (reviewers, said) in [
        (json!([]), "Name at least one reviewer"),
        (
            json!(["nobody@example.com"]),
            "Nobody signs in as nobody@example.com",
        ),
        (json!([viewer]), "Vic Viewer is a viewer and cannot review"),
        (json!([ADMIN_EMAIL]), "ame someone other than yourself"),
    ] {
        let (status, refused) = step(
            &app,
            admin,
            &key,
            json!({"move": "request_review", "reviewers": reviewers}),
        )
        .await;
        assert_eq!(status, 422, "{refused}");
        let message = refused["error"]["fields"]["reviewers"].as_str().unwrap();
        assert!(message.contains(said), "{message:?} lacks {said:?}");
    }
    let (status, refused) = step(&app, &rita_client, &key, json!({"move": "approve"})).await;
    assert_eq!(status, 409, "a draft is not approved: {refused}");

    let (status, sent) = step(
        &app,
        admin,
        &key,
        json!({"move": "request_review", "reviewers": [rita, casey]}),
    )
    .await;
    assert_eq!(status, 200, "{sent}");
    assert_eq!(sent["review"]["state"], "in_review");
    assert_eq!(sent["review"]["reviewers"].as_array().unwrap().len(), 2);

    // Publishing waits for every reviewer; only named reviewers approve.
    let (status, early) = step(&app, admin, &key, json!({"move": "publish"})).await;
    assert_eq!(status, 409, "{early}");
    let message = early["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Casey Chu") && message.contains("Rita Reyes"),
        "{message}"
    );
    let (status, _) = step(&app, &outsider, &key, json!({"move": "approve"})).await;
    assert_eq!(status, 403);
    let (status, approved) = step(&app, &rita_client, &key, json!({"move": "approve"})).await;
    assert_eq!(status, 200, "{approved}");
    let (status, empty) = step(
        &app,
        &casey_client,
        &key,
        json!({"move": "comment", "comment": "  "}),
    )
    .await;
    assert_eq!(status, 422, "{empty}");
    let (status, commented) = step(
        &app,
        &casey_client,
        &key,
        json!({"move": "comment", "comment": "Say when Acme was told"}),
    )
    .await;
    assert_eq!(status, 200, "{commented}");
    assert_eq!(
        commented["review"]["comments"][0]["body"],
        "Say when Acme was told"
    );
    assert_eq!(commented["review"]["comments"][0]["author"], "Casey Chu");

    // An edit during review asks again: an approval holds for its version only.
    let edited = format!(
        "{}\nAcme was told at 10:05.\n",
        commented["body"].as_str().unwrap()
    );
    let (status, saved) = app
        .api_as(
            admin,
            Method::PUT,
            &document,
            Some(json!({"body": edited, "base_version": 1})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let rita_row = saved["review"]["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Rita Reyes")
        .unwrap()
        .clone();
    assert_eq!(
        (
            rita_row["approved"].as_bool(),
            rita_row["approved_version"].as_i64()
        ),
        (Some(false), Some(1))
    );
    // The history says what the edit changed.
    let (status, diff) = app.get(&format!("{document}/versions/2/diff")).await;
    assert_eq!(status, 200, "{diff}");
    let added: Vec<&str> = diff["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h.as_array().unwrap())
        .filter(|l| l["change"] == "added")
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    // The new line (and the blank line before it); nothing else was touched.
    assert_eq!(added.last(), Some(&"Acme was told at 10:05."), "{diff}");
    assert!(
        added[..added.len() - 1].iter().all(|l| l.trim().is_empty()),
        "{diff}"
    );
    assert_eq!(diff["to"]["author"], "Ada Admin");
    let (status, _) = app.get(&format!("{document}/versions/1/diff")).await;
    assert_eq!(status, 422, "nothing before version 1");
    let (status, _) = app.get(&format!("{document}/versions/99/diff")).await;
    assert_eq!(status, 404);
    for client in [&rita_client, &casey_client] {
        let (status, body) = step(&app, client, &key, json!({"move": "approve"})).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, published) = step(&app, admin, &key, json!({"move": "publish"})).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["review"]["state"], "published");
    assert_eq!(published["review"]["published_version"], 2);
    // The review's own steps do not make the text "behind the timeline".
    assert_eq!(published["timeline_changed"], false);

    // Published is read-only until reopened.
    let (status, refused) = app
        .api_as(
            admin,
            Method::PUT,
            &document,
            Some(json!({"body": "rewrite", "base_version": 2})),
        )
        .await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["error"]["message"]
        .as_str()
        .unwrap()
        .contains("published and read-only"));
    let (status, _) = app.post(&document, json!({})).await;
    assert_eq!(status, 409, "no regeneration over a published version");

    // Every step is on the incident's timeline.
    let steps: Vec<(String, String)> = app
        .timeline(&key)
        .await
        .iter()
        .filter(|e| e["kind"] == "postmortem")
        .map(|e| {
            (
                e["step"].as_str().unwrap().to_owned(),
                e["author"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("sent_for_review", "Ada Admin"),
        ("approved", "Rita Reyes"),
        ("approved", "Rita Reyes"),
        ("approved", "Casey Chu"),
        ("published", "Ada Admin"),
    ]
    .iter()
    .map(|(s, a)| (s.to_string(), a.to_string()))
    .collect();
    assert_eq!(steps, expected);

    let (status, reopened) = step(&app, admin, &key, json!({"move": "reopen"})).await;
    assert_eq!(status, 200, "{reopened}");
    assert_eq!(reopened["review"]["state"], "draft");
    let (status, saved) = app
        .api_as(
            admin,
            Method::PUT,
            &document,
            Some(json!({"body": "Version three\r\nfrom a plain form post\r\n", "base_version": 2})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 3);
    assert_eq!(
        saved["body"], "Version three\nfrom a plain form post\n",
        "line ends stored as LF"
    );
}

async fn follow_ups_are_tracked_across_incidents_and_overdue_owners_reminded(backend: Backend) {
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
    let first = incident_with_draft(&app, "Checkout latency").await;
    let second = incident_with_draft(&app, "Login loop").await;
    let (omar, _, omar_client) = app.person("engineer", "Omar Okafor");
    let (carla, _, carla_client) = app.person("cs", "Carla Cruz");
    let (_, _, viewer) = app.person("viewer", "Vic Viewer");
    let (status, _) = app
        .post("/teams", json!({"slug": "payments", "name": "Payments"}))
        .await;
    assert_eq!(status, 201);
    let (status, team) = app
        .post(
            "/teams/payments/members",
            json!({"email": omar, "name": "Omar Okafor"}),
        )
        .await;
    assert_eq!(status, 201, "{team}");

    // Every wrong field is named at once, and nothing is written.
    let (status, refused) = app
        .post(
            &format!("/incidents/{first}/followups"),
            json!({"title": " ", "kind": "fix", "owner": "ghost@example.com", "due_on": "31/12/2026", "tracker_url": "ftp://x"}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    for field in ["title", "kind", "owner", "due_on", "tracker_url"] {
        assert!(
            refused["error"]["fields"][field].is_string(),
            "{field} not named: {refused}"
        );
    }
    let (_, none) = app.get(&format!("/incidents/{first}/followups")).await;
    assert_eq!(none, json!([]));
    let (status, _) = app
        .api_as(
            &viewer,
            Method::POST,
            &format!("/incidents/{first}/followups"),
            Some(json!({"title": "x", "kind": "other", "owner": omar, "due_on": "2030-01-01"})),
        )
        .await;
    assert_eq!(status, 403);

    let today = time.now().date_naive();
    let day = |offset: i64| {
        (today + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    let (status, late) = app
        .post(
            &format!("/incidents/{first}/followups"),
            json!({"title": "Alert on checkout p99", "kind": "prevent", "owner": omar, "due_on": day(-2),
                   "tracker_url": "https://tracker.example.com/PAY-12"}),
        )
        .await;
    assert_eq!(status, 201, "{late}");
    assert_eq!(late["overdue"], true);
    let (status, later) = app
        .post(
            &format!("/incidents/{second}/followups"),
            json!({"title": "Runbook for login loops", "kind": "process", "owner": carla, "due_on": day(10)}),
        )
        .await;
    assert_eq!(status, 201, "{later}");
    assert_eq!(later["overdue"], false);

    // Across incidents: by owner, by team, overdue only.
    let titles = |rows: &Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, all) = app.get("/followups").await;
    assert_eq!(
        titles(&all),
        ["Alert on checkout p99", "Runbook for login loops"]
    );
    let (_, mine) = app.get(&format!("/followups?owner={carla}")).await;
    assert_eq!(titles(&mine), ["Runbook for login loops"]);
    let (_, overdue) = app.get("/followups?overdue=true").await;
    assert_eq!(titles(&overdue), ["Alert on checkout p99"]);
    let (_, team_rows) = app.get("/followups?team=payments").await;
    assert_eq!(titles(&team_rows), ["Alert on checkout p99"]);
    let (status, unknown) = app.get("/followups?team=nope").await;
    assert_eq!(status, 422, "{unknown}");

    // The overdue one's owner is reminded once: a notification and an email.
    let reminders = |body: &Value| -> Vec<Value> {
        body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["reason"] == "follow-up owner: overdue")
            .cloned()
            .collect()
    };
    let mut reminded = Vec::new();
    for _ in 0..100 {
        let (_, body) = app.get(&format!("/incidents/{first}/notifications")).await;
        reminded = reminders(&body);
        let delivered = reminded
            .first()
            .is_some_and(|n| n["deliveries"][0]["status"] == "delivered");
        if delivered {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0]["recipient"], "Omar Okafor");
    let mail = smtp
        .received()
        .into_iter()
        .find(|m| m.to == [format!("<{omar}>")])
        .expect("the owner's email");
    assert!(
        mail.data
            .contains("Follow-up overdue: Alert on checkout p99"),
        "{}",
        mail.data
    );

    // Only the owner (or a writer) moves it; only writers reassign it.
    let patch = |id: i64| format!("/followups/{id}");
    let late_id = late["id"].as_i64().unwrap();
    let later_id = later["id"].as_i64().unwrap();
    let (status, _) = app
        .api_as(
            &carla_client,
            Method::PATCH,
            &patch(late_id),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, 403, "not hers");
    let (status, _) = app
        .api_as(
            &carla_client,
            Method::PATCH,
            &patch(later_id),
            Some(json!({"owner": omar})),
        )
        .await;
    assert_eq!(status, 403, "reassigning takes write_postmortem");
    let (status, moved) = app
        .api_as(
            &carla_client,
            Method::PATCH,
            &patch(later_id),
            Some(json!({"status": "in_progress"})),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["status"], "in_progress");
    let (status, bad) = app
        .api_as(
            &omar_client,
            Method::PATCH,
            &patch(late_id),
            Some(json!({"status": "finished"})),
        )
        .await;
    assert_eq!(status, 422, "{bad}");

    // Still overdue a week later: reminded again (once), then done stops it.
    time.advance(chrono::Duration::days(8));
    let (status, _) = app
        .api_as(
            &carla_client,
            Method::PATCH,
            &patch(later_id),
            Some(json!({"status": "open"})),
        )
        .await;
    assert_eq!(status, 200);
    let mut count = 0;
    for _ in 0..100 {
        let (_, body) = app.get(&format!("/incidents/{first}/notifications")).await;
        count = reminders(&body).len();
        if count == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(count, 2, "a second reminder after a week");
    let (status, done) = app
        .api_as(
            &omar_client,
            Method::PATCH,
            &patch(late_id),
            Some(json!({"status": "done"})),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["overdue"], false);
    let (_, overdue) = app.get("/followups?overdue=true").await;
    assert_eq!(overdue, json!([]));
    let (_, closed) = app.get("/followups?closed=true").await;
    assert_eq!(closed.as_array().unwrap().len(), 2);

    // The post-mortem lists its incident's follow-ups.
    let (_, document) = app.get(&format!("/incidents/{first}/postmortem")).await;
    assert_eq!(document["followups"][0]["title"], "Alert on checkout p99");
}

async fn a_follow_up_is_raised_from_a_war_room_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Exports stuck", "severity": "P2", "description": "Found by a test."}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let tried = post(
        &app,
        &key,
        json!({"kind": "action", "outcome": "did_not_work", "body": "- Restart the exporter pods\n\nThey came back stuck."}),
    )
    .await;
    let secret = post(
        &app,
        &key,
        json!({"kind": "finding", "root_cause": false, "body": "Token sk-live-123 was in the log"}),
    )
    .await;
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline/{secret}/redaction"),
            json!({"reason": "a secret"}),
        )
        .await;
    assert_eq!(status, 200);

    // The war room offers it on a written entry to writers of post-mortems only.
    let raise = format!("/incidents/{key}/postmortem?from={tried}#add-followup-heading");
    let (_, war_room) = app.page(&format!("/incidents/{key}")).await;
    assert!(war_room.contains(&raise), "{war_room}");
    let (_, _, viewer) = app.person("viewer", "Vic Viewer");
    let seen = viewer
        .get(app.url(&format!("/incidents/{key}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(seen.contains("Exports stuck"), "{seen}");
    assert!(
        !seen.contains("Raise a follow-up"),
        "viewers cannot raise one"
    );

    // Before any draft, the post-mortem page's form starts from the entry.
    let (status, page) = app
        .page(&format!("/incidents/{key}/postmortem?from={tried}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"postmortem-empty\""), "{page}");
    assert!(
        page.contains(&format!("name=\"from_seq\" value=\"{tried}\"")),
        "{page}"
    );
    assert!(
        page.contains("value=\"Restart the exporter pods\""),
        "{page}"
    );
    assert!(page.contains("value=\"mitigate\" selected"), "{page}");
    // A removed entry's text is never offered.
    let (_, page) = app
        .page(&format!("/incidents/{key}/postmortem?from={secret}"))
        .await;
    assert!(page.contains("value=\"prevent\" selected"), "{page}");
    assert!(!page.contains("sk-live-123"), "{page}");

    let url = format!("/incidents/{key}/followups");
    let (status, refused) = app
        .post(
            &url,
            json!({"title": "Fix restarts", "kind": "mitigate", "owner": ADMIN_EMAIL, "due_on": "2030-01-01", "from_seq": 999}),
        )
        .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["fields"]["from_seq"]
            .as_str()
            .is_some_and(|m| m.contains("#999")),
        "{refused}"
    );
    let (status, created) = app
        .post(
            &url,
            json!({"title": "Make exporter restarts drain first", "kind": "mitigate", "owner": ADMIN_EMAIL, "due_on": "2030-01-01", "from_seq": tried}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["from_seq"], tried);
    // Raised: the row links back to the entry and the form starts empty again.
    let (_, page) = app
        .page(&format!("/incidents/{key}/postmortem?from={tried}"))
        .await;
    assert!(
        page.contains(&format!("href=\"/incidents/{key}#entry-{tried}\"")),
        "{page}"
    );
    assert!(!page.contains("name=\"from_seq\""), "{page}");
}

async fn the_customer_report_tells_each_customer_only_what_it_was_told(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for tier in ["enterprise", "business", "standard"] {
        let (status, body) = app
            .api(
                Method::PUT,
                "/comms/approval-policies",
                Some(json!({"tier": tier, "needs_approval": false})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for (slug, name) in [("acme", "Acme Corp"), ("globex", "Globex")] {
        let (status, created) = app
            .post(
                "/accounts",
                json!({"slug": slug, "name": name, "tier": "enterprise", "contact_emails": [format!("ops@{slug}.example")]}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
    }
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "db-7 primary OOM", "severity": "P1", "description": "Internal only.", "accounts": ["acme", "globex"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let (status, _) = app
        .patch(
            &format!("/incidents/{key}"),
            json!({"comms_owner": ADMIN_EMAIL}),
        )
        .await;
    assert_eq!(status, 200);
    post(
        &app,
        &key,
        json!({"kind": "finding", "root_cause": true, "customer_visible": true, "body": "A configuration change exhausted database memory"}),
    )
    .await;
    post(
        &app,
        &key,
        json!({"kind": "update", "body": "Paging Omar about db-7 again"}),
    )
    .await;
    let send = |body: Value| {
        let (app, key) = (&app, key.clone());
        async move {
            let (status, message) = app.post(&format!("/incidents/{key}/messages"), body).await;
            assert_eq!(status, 201, "{message}");
            let id = message["id"].as_i64().unwrap();
            let (status, sent) = app
                .post(
                    &format!("/incidents/{key}/messages/{id}/transitions"),
                    json!({"action": "send"}),
                )
                .await;
            assert_eq!(status, 200, "{sent}");
        }
    };
    send(json!({"body": "Checkout is failing for some card payments."})).await;
    send(json!({"body": "Acme: your CSM will call you at 15:00.", "audience": {"kind": "accounts", "accounts": ["acme"]}})).await;

    let rca = |query: &'static str| {
        let (app, url) = (&app, format!("/incidents/{key}/rca{query}"));
        async move { app.get(&url).await }
    };
    let (status, everyone) = rca("").await;
    assert_eq!(status, 200, "{everyone}");
    let text = everyone["markdown"].as_str().unwrap();
    assert!(
        text.contains("Checkout is failing for some card payments."),
        "{text}"
    );
    assert!(
        text.contains("A configuration change exhausted database memory"),
        "{text}"
    );
    for internal in ["db-7", "Internal only", "Omar", "Acme", &key] {
        assert!(!text.contains(internal), "says {internal:?}: {text}");
    }
    let accounts: Vec<_> = everyone["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["Acme Corp", "Globex"]);
    let (status, acme) = rca("?account=acme&zone=America/New_York").await;
    assert_eq!(status, 200, "{acme}");
    let text = acme["markdown"].as_str().unwrap();
    assert!(text.contains("Prepared for Acme Corp"), "{text}");
    assert!(text.contains("your CSM will call you"), "{text}");
    assert!(text.contains("Times are in America/New_York"), "{text}");
    assert!(text.contains("## Your service levels"), "{text}");
    let (_, globex) = rca("?account=globex").await;
    assert!(
        !globex["markdown"]
            .as_str()
            .unwrap()
            .contains("CSM will call"),
        "{globex}"
    );

    for (query, field) in [("?account=initech", "account"), ("?zone=Mars/Base", "zone")] {
        let (status, refused) = rca(query).await;
        assert_eq!(status, 422, "{query}: {refused}");
        assert!(refused["error"]["fields"][field].is_string(), "{refused}");
    }
    let response = app
        .client
        .get(app.url(&format!(
            "/api/v1/incidents/{key}/rca/markdown?account=acme"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("{key}-rca-acme.md")));
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("# Incident report: "));
    let (status, page) = app
        .page(&format!("/incidents/{key}/rca?account=acme"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"customer-rca\"") && page.contains("Prepared for Acme Corp"),
        "{page}"
    );
}
