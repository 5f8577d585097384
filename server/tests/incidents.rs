//! The incident slice over HTTP, against SQLite and PostgreSQL.

mod common;

use common::{Backend, TestApp};
use serde_json::{json, Value};

for_each_backend!(
    health_and_readiness_report_the_backend,
    declared_incident_is_returned_listed_and_shown,
    list_is_newest_first,
    bad_input_names_the_field_and_writes_nothing,
    oversized_description_gets_a_field_error,
    body_over_the_request_limit_is_refused,
    plain_form_post_redirects_back_and_keeps_what_was_typed,
    plain_form_post_success_redirects_to_the_list,
    pages_render_without_javascript,
    declare_form_names_the_affected_system,
    server_function_errors_carry_their_own_status,
);

async fn declare(app: &TestApp, title: &str, severity: &str, description: &str) -> Value {
    let response = app
        .call(
            "declare_incident",
            &[
                ("title", title),
                ("severity", severity),
                ("description", description),
            ],
        )
        .await;
    assert_eq!(response.status(), 200, "declare {title:?}");
    response.json().await.unwrap()
}

async fn list(app: &TestApp) -> Vec<Value> {
    let response = app.call("list_incidents", &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn health_and_readiness_report_the_backend(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health: Value = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], backend.name());
}

async fn declared_incident_is_returned_listed_and_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let incident = declare(&app, "  Checkout returns 500  ", "P1", "EU only\n").await;
    assert_eq!(incident["title"], "Checkout returns 500");
    assert_eq!(incident["severity"], "P1");
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["description"], "EU only");
    let id = incident["id"].as_i64().unwrap();
    assert!(id > 0);

    let listed = list(&app).await;
    assert_eq!(listed, vec![incident.clone()]);

    let key = format!("INC-{id}");
    let shown = app.call("get_incident", &[("key", &key)]).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.json::<Value>().await.unwrap(), incident);

    let missing = app.call("get_incident", &[("key", "INC-999999")]).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["NotFound"],
        "INC-999999"
    );
}

async fn list_is_newest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for title in ["first", "second", "third"] {
        declare(&app, title, "P3", "").await;
    }
    let titles: Vec<String> = list(&app)
        .await
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["third", "second", "first"]);
}

async fn bad_input_names_the_field_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // (form, field that must be named, message)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 4] = [
        (
            &[("title", ""), ("severity", "P1"), ("description", "")],
            "title",
            "Title is required",
        ),
        (
            &[("title", "   "), ("severity", "P1"), ("description", "")],
            "title",
            "Title is required",
        ),
        (
            &[
                ("title", "API down"),
                ("severity", "P9"),
                ("description", ""),
            ],
            "severity",
            "unknown severity \"P9\": choose P1, P2 or P3",
        ),
        (
            &[("title", "API down"), ("severity", ""), ("description", "")],
            "severity",
            "unknown severity \"\": choose P1, P2 or P3",
        ),
    ];
    for (form, field, message) in cases {
        let response = app.call("declare_incident", form).await;
        assert_eq!(response.status(), 422, "{form:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["Invalid"]["fields"][field], message, "{form:?}");
        // What was typed comes back, so a form can show it again.
        assert_eq!(body["Invalid"]["input"]["title"], form[0].1);
    }

    // A missing argument is refused too (the form always sends all three).
    let response = app.call("declare_incident", &[("title", "x")]).await;
    assert!(response.status().is_client_error() || response.status().is_server_error());
    assert!(response.text().await.unwrap().contains("severity"));

    assert!(list(&app).await.is_empty(), "rejected input wrote nothing");
}

async fn oversized_description_gets_a_field_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let response = app
        .call(
            "declare_incident",
            &[
                ("title", "Huge paste"),
                ("severity", "P2"),
                ("description", &ten_mb),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["fields"]["description"],
        "Description is too long: 10240 KB, at most 64 KB"
    );
    assert_eq!(body["Invalid"]["input"]["title"], "Huge paste");
    assert!(
        body["Invalid"]["input"].get("description").is_none(),
        "10 MB is not echoed"
    );
    assert!(list(&app).await.is_empty());
}

async fn body_over_the_request_limit_is_refused(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn(backend).await;
    // Raw HTTP: the server answers from the headers alone and closes the connection,
    // which an HTTP client still busy uploading would report as a broken pipe.
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST /api/fn/declare_incident HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\ntitle=t",
        app.addr,
        server::MAX_BODY_BYTES + 1
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = vec![0; 64];
    let read = stream.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..read]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(list(&app).await.is_empty());
}

/// A form posted without JavaScript: the server answers with a redirect back to
/// the form, carrying the error, and the re-rendered form shows what was typed.
async fn plain_form_post_redirects_back_and_keeps_what_was_typed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(app.url("/api/fn/declare_incident"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/"))
        .form(&[
            ("title", ""),
            ("severity", "P2"),
            (
                "description",
                "typed <b>text</b> & </textarea><script>alert(1)</script>",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");

    let (status, html) = app.page(location.trim_start_matches(&app.url(""))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Title is required"),
        "error shown next to the field"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    // The description comes back inside the textarea, escaped so it cannot close it.
    assert!(
        html.contains("typed &lt;b&gt;text&lt;/b&gt; &amp; &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>"),
        "typed text kept, inert"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        html.contains("<option value=\"P2\" selected"),
        "severity kept"
    );
    assert!(list(&app).await.is_empty());
}

async fn plain_form_post_success_redirects_to_the_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .post(app.url("/api/fn/declare_incident"))
        .header("Accept", "text/html")
        .header("Referer", app.url("/"))
        .form(&[
            ("title", "Login broken"),
            ("severity", "P1"),
            ("description", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&app.url("/")) && !location.contains("__err"),
        "{location}"
    );
    let (_, html) = app.page("/").await;
    assert!(html.contains("Login broken"));
}

async fn pages_render_without_javascript(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let older = declare(&app, "Older <script>alert(1)</script>", "P3", "").await;
    let newer = declare(&app, "Newer incident", "P1", "Line one\nLine two").await;

    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Declare an incident"));
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "titles are escaped"
    );
    let newer_at = html.find("Newer incident").expect("newer listed");
    let older_at = html
        .find("Older &lt;script&gt;")
        .expect("older listed, escaped");
    assert!(newer_at < older_at, "newest first");

    let key = format!("INC-{}", newer["id"]);
    let (status, html) = app.page(&format!("/incidents/{key}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Newer incident</h1>"));
    assert!(html.contains("Line one\nLine two"));
    assert!(!html.contains("Older"), "only the one incident");
    let _ = older;

    let (_, html) = app.page("/incidents/INC-424242").await;
    assert!(html.contains("INC-424242 not found"));
}

async fn declare_form_names_the_affected_system(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .client
        .post(app.url("/api/v1/systems"))
        .json(&serde_json::json!({"slug": "search", "name": "Search"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let (_, html) = app.page("/").await;
    assert!(
        html.contains("<option value=\"search\">Search</option>"),
        "the form offers the system"
    );

    let form = [
        ("title", "Slow search"),
        ("severity", "P2"),
        ("description", ""),
        ("system", "search"),
    ];
    let response = app.call("declare_incident", &form).await;
    assert_eq!(response.status(), 200);
    let incident: Value = response.json().await.unwrap();
    assert_eq!(incident["systems"], serde_json::json!(["search"]));

    let form = [
        ("title", "Ghost"),
        ("severity", "P2"),
        ("description", ""),
        ("system", "ghost"),
    ];
    let response = app.call("declare_incident", &form).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["Invalid"]["fields"]["systems"], "unknown system ghost");
    assert_eq!(
        body["Invalid"]["input"]["title"], "Ghost",
        "what was typed comes back"
    );
    assert_eq!(list(&app).await.len(), 1, "the refused one wrote nothing");

    // "Not sure yet" sends an empty value: no system, no error.
    let form = [
        ("title", "Unsure"),
        ("severity", "P3"),
        ("description", ""),
        ("system", ""),
    ];
    let response = app.call("declare_incident", &form).await;
    assert_eq!(response.status(), 200);
}

/// Found by the fuzz test: a server function whose error skipped setting the status,
/// or whose form could not be read as its arguments, answered 500.
async fn server_function_errors_carry_their_own_status(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // An incident key that is no key (the function returns before any status is set).
    let unknown = app.call("get_sla", &[("key", "9223372036854775808")]).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"NotFound": "9223372036854775808"})
    );
    // A form missing the function's argument: the framework's own refusal.
    let unreadable = app.call("get_sla", &[("not_an_argument", "x")]).await;
    assert_eq!(unreadable.status(), 400);
    let body: Value = unreadable.json().await.unwrap();
    assert!(body["Transport"].is_string(), "{body}");
    // The same with a long form, which the refusal quotes: still 400, whole.
    let long = "x".repeat(70_000);
    let quoted = app.call("get_sla", &[("not_an_argument", &long)]).await;
    assert_eq!(quoted.status(), 400);
    let body: Value = quoted.json().await.unwrap();
    assert!(body["Transport"].is_string(), "{body}");
}
