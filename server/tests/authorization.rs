//! The authorization matrix, generated: every REST operation (from the OpenAPI
//! document, which comes from the router), every registered server function and
//! every page is called anonymously and as each role, and the answer is checked
//! against the permission table (`app::identity::access`). A route missing from
//! the table fails here by name.

mod common;

use app::identity::access::{self, Access};
use app::identity::model::UserRole;
use common::{Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// How a route answered one caller.
struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    /// Refused by the route itself (not by a later check on the content).
    fn refused_by_route(&self, needed: Access) -> bool {
        self.status == 403 && self.body.contains(&needed.describe())
    }
}

async fn send(client: &reqwest::Client, method: &Method, url: String, form: bool) -> Answer {
    let mut request = client.request(method.clone(), url);
    if form {
        request = request
            .header("Accept", "application/json")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("");
    } else if *method != Method::GET && *method != Method::HEAD {
        request = request.json(&json!({}));
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    Answer {
        status,
        body: response.text().await.unwrap_or_default(),
    }
}

/// Every routed (method, template) with how to call it: REST, server functions, pages.
fn routes(doc: &Value) -> Vec<(Method, String, bool)> {
    let mut routes = Vec::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            routes.push((method, path.clone(), false));
        }
    }
    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| {
            (
                Method::from_bytes(method.as_str().as_bytes()).unwrap(),
                path.to_owned(),
                true,
            )
        })
        .collect();
    // A table entry for a function that no longer exists is a stale grant.
    for (name, _) in access::SERVER_FNS {
        let path = format!("{}{name}", access::SERVER_FN_PREFIX);
        assert!(
            functions.iter().any(|(_, p, _)| *p == path),
            "the permission table lists {path}, which is not a server function"
        );
    }
    routes.extend(functions);
    for page in leptos_axum::generate_route_list(app::App) {
        routes.push((Method::GET, page.path().to_owned(), false));
    }
    routes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_admits_exactly_the_roles_the_table_says() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (status, incident) = app
        .post("/incidents", json!({"title": "Matrix", "severity": "P3"}))
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "an update"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, doc) = app.get("/openapi.json").await;

    let callers: Vec<(&str, Option<UserRole>, reqwest::Client)> = vec![
        ("anonymous", None, app.anon.clone()),
        ("admin", Some(UserRole::Admin), app.client.clone()),
        (
            "engineer",
            Some(UserRole::Engineer),
            app.client_as("engineer"),
        ),
        ("cs", Some(UserRole::Cs), app.client_as("cs")),
        ("viewer", Some(UserRole::Viewer), app.client_as("viewer")),
    ];

    let mut unlisted = Vec::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (method, template, form) in routes(&doc) {
        let Some(needed) = access::required(method.as_str(), &template) else {
            unlisted.push(format!("{method} {template}"));
            continue;
        };
        if needed == Access::Public {
            continue;
        }
        // Real ids where the route needs them; a token id nobody has, so no caller
        // revokes the harness's own token.
        let path = template
            .replace("{key}", &key)
            .replace("{seq}", "2")
            .replace("{id}", "999999");
        for (who, role, client) in &callers {
            let answer = send(client, &method, app.url(&path), form).await;
            checked += 1;
            let ok = match role {
                None if template.starts_with("/api/") => answer.status == 401,
                // Pages send the browser to sign in.
                None => answer.status == 303,
                Some(role) if needed.admits(*role) => {
                    answer.status != 401 && !answer.refused_by_route(needed)
                }
                Some(_) => answer.refused_by_route(needed),
            };
            if !ok {
                wrong.push(format!(
                    "{who} {method} {path} (needs {}): {} {}",
                    needed.describe(),
                    answer.status,
                    answer.body.chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "routes with no entry in the permission table (app/src/identity/access.rs): {unlisted:?}"
    );
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(checked > 200, "only {checked} calls checked");
    println!("{checked} calls checked against the permission table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_decides_between_notes_updates_and_reports() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let cs = app.client_as("cs");
    let (status, incident) = app
        .post("/incidents", json!({"title": "Content", "severity": "P2"}))
        .await;
    assert_eq!(status, 201);
    let key = incident["key"].as_str().unwrap();
    let timeline = format!("/incidents/{key}/timeline");

    let (status, note) = app
        .api_as(
            &cs,
            Method::POST,
            &timeline,
            Some(json!({"body": "Acme asks for ETA", "kind": "note"})),
        )
        .await;
    assert_eq!(status, 201, "cs posts notes: {note}");
    assert_eq!(note["author"], "A cs");
    let (status, refusal) = app
        .api_as(
            &cs,
            Method::POST,
            &timeline,
            Some(json!({"body": "Restarted the DB", "kind": "action"})),
        )
        .await;
    assert_eq!(status, 403, "{refusal}");
    assert!(refusal["error"]["message"]
        .as_str()
        .unwrap()
        .contains("post_update"));

    let (status, refusal) = app
        .api_as(
            &cs,
            Method::POST,
            "/incidents",
            Some(json!({"title": "x", "severity": "P3"})),
        )
        .await;
    assert_eq!(status, 403, "cs cannot declare at large: {refusal}");
    assert!(refusal["error"]["message"]
        .as_str()
        .unwrap()
        .contains("declare_incident"));
    let (status, reported) = app
        .api_as(
            &cs,
            Method::POST,
            "/incidents",
            Some(json!({"title": "Invoices missing", "severity": "P3", "source": "cs_report"})),
        )
        .await;
    assert_eq!(status, 201, "cs reports customer issues: {reported}");

    // Correcting follows the entry's kind: cs may not touch an engineer's update.
    let (_, update) = app.post(&timeline, json!({"body": "Rolled back"})).await;
    let seq = update["seq"].as_i64().unwrap();
    let (status, _) = app
        .api_as(
            &cs,
            Method::POST,
            &format!("{timeline}/{seq}/revisions"),
            Some(json!({"body": "Rolled forward"})),
        )
        .await;
    assert_eq!(status, 403);
    let (_, entries) = app.get(&timeline).await;
    assert_eq!(entries[2]["body"], "Rolled back", "nothing written");
}
