//! The web security baseline: security headers on pages and API responses (a page's
//! CSP carries the nonce its hydration script uses), and cross-site writes refused
//! before they reach a handler.

mod common;

use common::{Backend, TestApp};
use serde_json::json;

for_each_backend!(
    pages_and_api_carry_security_headers,
    cross_site_writes_are_refused_and_write_nothing,
);

async fn pages_and_api_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page = app.client.get(app.url("/")).send().await.unwrap();
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header(&page, "content-security-policy");
    assert_eq!(header(&page, "x-content-type-options"), "nosniff");
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(
        header(&page, "referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("no nonce in {csp}"))
        .to_owned();
    let html = page.text().await.unwrap();
    assert!(
        html.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
        "the hydration script carries the header's nonce"
    );
    let next = app.client.get(app.url("/")).send().await.unwrap();
    assert!(
        !header(&next, "content-security-policy").contains(&nonce),
        "a fresh nonce per response"
    );

    let api = app
        .client
        .get(app.url("/api/v1/incidents"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
}

async fn cross_site_writes_are_refused_and_write_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let own_origin = app.url("");
    let declare = json!({"title": "Checkout down", "severity": "P1"});
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/api/v1/incidents"))
            .header(name, value)
            .json(&declare)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{name}: {value}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site");
        // Server functions (the app's own forms) are guarded the same way.
        let response = app
            .client
            .post(app.url("/api/fn/declare_incident"))
            .header(name, value)
            .form(&[
                ("title", "Checkout down"),
                ("severity", "P1"),
                ("description", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "server fn, {name}: {value}");
    }
    let (_, list) = app.get("/incidents").await;
    assert_eq!(list, json!([]), "nothing was written");

    // The app's own pages, and programs without browser headers, still write.
    let response = app
        .client
        .post(app.url("/api/v1/incidents"))
        .header("Origin", own_origin.trim_end_matches('/'))
        .header("Sec-Fetch-Site", "same-origin")
        .json(&declare)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let (status, _) = app.post("/incidents", declare).await;
    assert_eq!(status, 201);
    // Reading from another site is not a write.
    let response = app
        .client
        .get(app.url("/api/v1/incidents"))
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
