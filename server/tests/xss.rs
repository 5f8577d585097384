//! Hostile text comes back inert: titles, descriptions, timeline bodies and account
//! names carrying classic XSS payloads, checked in the server-rendered pages.

mod common;

use common::{Backend, TestApp};
use serde_json::{json, Value};

for_each_backend!(payloads_are_inert_in_rendered_pages);

/// From public XSS cheat sheets (OWASP filter evasion, PortSwigger), trimmed to the
/// shapes that matter here: tags, event handlers, URL schemes, breaking out of
/// attributes and raw-text elements. Shared with the browser test
/// (end2end/tests/xss.spec.ts).
fn payloads() -> Vec<String> {
    serde_json::from_str(include_str!("../../fixtures/xss-payloads.json"))
        .expect("fixtures/xss-payloads.json is a JSON array of strings")
}

/// Scripts our own pages legitimately contain: Leptos' hydration loader, and its
/// serialised resources (`__RESOLVED_RESOURCES…`), where user text is JSON with `<`
/// escaped as `\u003c`, so it cannot close the script.
fn is_our_hydration_script(tag: &str, html: &str, at: usize) -> bool {
    let content = &html[at + tag.len()..];
    (tag.starts_with("<script type=\"module\"") && content.contains("mod.hydrate()"))
        || (tag.starts_with("<script nonce=") && content.starts_with("__"))
}

/// Every problem found in the markup: active tags, event-handler attributes and
/// script URLs. Escaped text (`&lt;script&gt;`) is not markup and passes.
fn active_markup(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut rest = 0;
    while let Some(offset) = html[rest..].find('<') {
        let start = rest + offset;
        let end = html[start..]
            .find('>')
            .map_or(html.len(), |e| start + e + 1);
        let tag = &html[start..end];
        let lower = tag.to_ascii_lowercase();
        let name: String = lower[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let dangerous_tag = matches!(
            name.as_str(),
            "script"
                | "iframe"
                | "svg"
                | "object"
                | "embed"
                | "base"
                | "math"
                | "style"
                | "isindex"
                | "marquee"
        );
        if dangerous_tag && !is_our_hydration_script(tag, html, start) {
            problems.push(tag.to_owned());
        }
        // An attribute named on… : whitespace or `/` or a quote, then on<letters>=.
        let bytes = lower.as_bytes();
        for i in 1..bytes.len().saturating_sub(3) {
            let boundary = matches!(
                bytes[i - 1],
                b' ' | b'/' | b'\t' | b'\n' | b'"' | b'\'' | b'`'
            );
            if boundary && lower[i..].starts_with("on") {
                let name: String = lower[i + 2..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                if !name.is_empty()
                    && lower[i + 2 + name.len()..].trim_start().starts_with('=')
                    && name != "ce"
                {
                    problems.push(tag.to_owned());
                }
            }
        }
        let squeezed: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
        if squeezed.contains("=\"javascript:")
            || squeezed.contains("='javascript:")
            || squeezed.contains("=javascript:")
            || squeezed.contains("=\"data:text/html")
        {
            problems.push(tag.to_owned());
        }
        rest = end;
    }
    problems
}

#[test]
fn the_checker_catches_live_markup_and_passes_escaped_text() {
    assert!(
        !active_markup("<p>hi</p> &lt;script&gt;alert(1)&lt;/script&gt;")
            .iter()
            .any(|_| true)
    );
    assert_eq!(active_markup("<img src=x onerror=alert(1)>").len(), 1);
    assert_eq!(
        active_markup("<a href=\"javascript:alert(1)\">x</a>").len(),
        1
    );
    assert_eq!(active_markup("<script>alert(1)</script>").len(), 1);
    assert_eq!(
        active_markup("<svg/onload=alert(1)>").len(),
        2,
        "tag and handler"
    );
}

/// Posts to the API and insists it was accepted.
async fn accepted(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, response) = app.post(path, body.clone()).await;
    assert!((200..300).contains(&status), "{path} {body} → {response}");
    response
}

async fn payloads_are_inert_in_rendered_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut keys = Vec::new();
    let payloads = payloads();
    assert!(payloads.len() >= 50, "at least 50 payloads");
    for (n, payload) in payloads.iter().enumerate() {
        let slug = format!("acct-{n}");
        accepted(
            &app,
            "/accounts",
            json!({"slug": slug, "name": payload, "tier": "enterprise"}),
        )
        .await;
        let title: String = payload.chars().take(200).collect();
        let incident = accepted(
            &app,
            "/incidents",
            json!({"title": title, "severity": "P2", "description": payload, "accounts": [slug]}),
        )
        .await;
        let key = incident["key"].as_str().unwrap().to_owned();
        accepted(
            &app,
            &format!("/incidents/{key}/timeline"),
            json!({"body": payload}),
        )
        .await;
        keys.push(key);
    }
    // Authors are people's display names: a few payloads as names, each posting.
    for (payload, key) in payloads.iter().zip(&keys).step_by(10) {
        let name: String = payload.chars().take(100).collect();
        let author = app.client_named("engineer", &name);
        let response = author
            .post(app.url(&format!("/api/v1/incidents/{key}/timeline")))
            .json(&json!({"body": "posted by a person with an odd name"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{name}");
    }

    let (status, html) = app.page("/").await;
    assert_eq!(status, 200);
    assert_eq!(active_markup(&html), Vec::<String>::new(), "incident list");
    for page in ["/report", "/admin/catalog"] {
        let (_, html) = app.page(page).await;
        assert_eq!(
            active_markup(&html),
            Vec::<String>::new(),
            "account names on {page}"
        );
    }
    for key in &keys {
        let (status, html) = app.page(&format!("/incidents/{key}")).await;
        assert_eq!(status, 200);
        assert_eq!(
            active_markup(&html),
            Vec::<String>::new(),
            "war room of {key}"
        );
    }
}
