//! `/metrics`, read by a strict OpenMetrics parser as Prometheus would scrape it:
//! every family is there with its type, and the figures follow what happened on the
//! server (requests by route template, live connections and fan-out, failed
//! deliveries, SLA clocks, customer-update schedules). Only the metrics token may
//! scrape; without one configured the route is off. Both backends.

mod common;

use common::{Backend, Options, TestApp, METRICS_TOKEN};
use openmetrics_parser::{MetricFamily, OpenMetricsType, OpenMetricsValue};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};

for_each_backend!(
    the_scrape_has_every_family_and_follows_what_happened,
    only_the_metrics_token_may_scrape,
);

type Family = MetricFamily<OpenMetricsType, OpenMetricsValue>;

/// Scrapes and parses; fails the test on anything a scraper would refuse.
async fn scrape(app: &TestApp) -> HashMap<String, Family> {
    let (content_type, text) = app.metrics().await;
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    openmetrics_parser::openmetrics::parse_openmetrics(&text)
        .unwrap_or_else(|err| panic!("not valid OpenMetrics: {err:?}\n{text}"))
        .families
}

/// The sample of `family` with these labels (all of them, any order): its value, or
/// a histogram's count.
fn value(families: &HashMap<String, Family>, family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let family = &families[family];
    let values: Vec<String> = family
        .get_label_names()
        .iter()
        .map(|name| {
            let (_, value) = labels.iter().find(|(n, _)| n == name)?;
            Some((*value).to_owned())
        })
        .collect::<Option<_>>()?;
    let sample = family.get_sample_by_label_values(&values)?;
    Some(match &sample.value {
        OpenMetricsValue::Gauge(n) | OpenMetricsValue::Unknown(n) => n.as_f64(),
        OpenMetricsValue::Counter(c) => c.value.as_f64(),
        OpenMetricsValue::Histogram(h) => h.count.unwrap_or_default() as f64,
        other => panic!("unexpected value {other:?}"),
    })
}

async fn the_scrape_has_every_family_and_follows_what_happened(backend: Backend) {
    // No SMTP server: the lead's email fails, and is retried.
    let app = TestApp::spawn(backend).await;
    for (path, body) in [
        (
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "dana@example.com", "lead_name": "Dana Lee"}),
        ),
        (
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}),
        ),
        (
            "/accounts",
            json!({"slug": "acme", "name": "Acme Corp", "tier": "enterprise"}),
        ),
    ] {
        let (status, created) = app.post(path, body).await;
        assert_eq!(status, 201, "{created}");
    }
    let before = scrape(&app).await;
    for (family, kind) in [
        ("sitrep_http_requests", OpenMetricsType::Counter),
        (
            "sitrep_http_request_duration_seconds",
            OpenMetricsType::Histogram,
        ),
        ("sitrep_live_connections", OpenMetricsType::Gauge),
        ("sitrep_live_fanout_lag_seconds", OpenMetricsType::Histogram),
        ("sitrep_outbox_delivery_failures", OpenMetricsType::Counter),
        ("sitrep_outbox_deliveries", OpenMetricsType::Gauge),
        ("sitrep_sla_clocks", OpenMetricsType::Gauge),
        ("sitrep_customer_updates_scheduled", OpenMetricsType::Gauge),
        ("sitrep_page_render_retries", OpenMetricsType::Counter),
        ("sitrep_page_policies_set", OpenMetricsType::Counter),
    ] {
        let found = before
            .get(family)
            .unwrap_or_else(|| panic!("{family} missing: {:?}", before.keys()));
        assert_eq!(found.family_type, kind, "{family}");
        assert!(!found.help.is_empty(), "{family} says what it counts");
    }
    assert_eq!(value(&before, "sitrep_live_connections", &[]), Some(0.0));
    assert_eq!(
        value(&before, "sitrep_sla_clocks", &[("state", "on_track")]),
        Some(0.0)
    );
    assert_eq!(
        value(
            &before,
            "sitrep_outbox_deliveries",
            &[("queue", "notifications"), ("state", "pending")]
        ),
        Some(0.0)
    );

    // A P1 for the enterprise account: two SLA clocks, a customer-update schedule,
    // and the lead's notification.
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Checkout failing for Acme", "severity": "P1",
                   "systems": ["payments-api"], "accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 201, "{incident}");
    let key = incident["key"].as_str().unwrap().to_owned();
    let mut live = app.live(&[]).await.expect("live connection");
    live.subscribe(&key, 0).await;
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "Rolled back the 14:05 deploy"}),
        )
        .await;
    assert_eq!(status, 201);
    // The post reached this viewer: its write was timed.
    loop {
        let message = live.next().await.expect("connection open");
        if message["type"] == "event" && message["kind"] == "timeline.entry_added" {
            break;
        }
    }
    let (status, _) = app.get(&format!("/incidents/{key}")).await;
    assert_eq!(status, 200);
    let missing = app
        .anon
        .get(app.url("/no-such-page.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);

    // The failed email is counted once its first attempt is made.
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let after = scrape(&app).await;
        let failures = value(
            &after,
            "sitrep_outbox_delivery_failures",
            &[("queue", "notifications")],
        );
        // The SLA engine records the met response target after the post, on its own.
        let met = value(&after, "sitrep_sla_clocks", &[("state", "met")]);
        if failures.is_some_and(|n| n >= 1.0) && met == Some(1.0) {
            break after;
        }
        assert!(
            Instant::now() < deadline,
            "no failed delivery counted, or the response clock not met"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let requests = |labels: &[(&str, &str)]| value(&after, "sitrep_http_requests", labels);
    assert_eq!(
        requests(&[
            ("method", "GET"),
            ("route", "/api/v1/incidents/{key}"),
            ("status", "200")
        ]),
        Some(1.0),
        "counted by route template, not by path"
    );
    assert_eq!(
        requests(&[
            ("method", "POST"),
            ("route", "/api/v1/incidents"),
            ("status", "201")
        ]),
        Some(1.0)
    );
    assert_eq!(
        requests(&[("method", "GET"), ("route", "unmatched"), ("status", "404")]),
        Some(1.0)
    );
    assert!(
        value(
            &after,
            "sitrep_http_request_duration_seconds",
            &[
                ("method", "POST"),
                ("route", "/api/v1/incidents/{key}/timeline")
            ]
        )
        .is_some_and(|count| count >= 1.0),
        "the post was timed"
    );
    assert_eq!(value(&after, "sitrep_live_connections", &[]), Some(1.0));
    assert!(
        value(&after, "sitrep_live_fanout_lag_seconds", &[]).is_some_and(|n| n >= 1.0),
        "the entry's fan-out was timed"
    );
    // Acme's clocks: the engineers' first update met the response target; the
    // resolution clock runs.
    assert_eq!(
        value(&after, "sitrep_sla_clocks", &[("state", "met")]),
        Some(1.0)
    );
    assert_eq!(
        value(&after, "sitrep_sla_clocks", &[("state", "on_track")]),
        Some(1.0)
    );
    assert_eq!(
        value(
            &after,
            "sitrep_customer_updates_scheduled",
            &[("state", "upcoming")]
        ),
        Some(1.0)
    );
    let notifications = |state| {
        value(
            &after,
            "sitrep_outbox_deliveries",
            &[("queue", "notifications"), ("state", state)],
        )
        .unwrap()
    };
    assert_eq!(
        notifications("pending") + notifications("failed"),
        1.0,
        "the lead's email waits for its retry (or was given up)"
    );

    // A closed viewer is no longer counted.
    drop(live);
    let deadline = Instant::now() + Duration::from_secs(10);
    while value(&scrape(&app).await, "sitrep_live_connections", &[]) != Some(0.0) {
        assert!(Instant::now() < deadline, "closed connection still counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn only_the_metrics_token_may_scrape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_token = app.token_for("admin", "An admin");
    for token in [None, Some("wrong-token"), Some(admin_token.as_str())] {
        let mut request = app.anon.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{token:?}");
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"metrics\""
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Authorization: Bearer <the metrics token>"),
            "{body}"
        );
    }

    let off = TestApp::spawn_with(
        backend,
        Options {
            metrics_token: None,
            ..Options::default()
        },
    )
    .await;
    let response = off
        .anon
        .get(off.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("metrics are off: start the server with --metrics-token"),
        "{body}"
    );
}
