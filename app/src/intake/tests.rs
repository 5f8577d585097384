//! Every vendor fixture (copied from the vendors' own test data, see
//! fixtures/SOURCES.md) reads into the alerts it describes; signatures are checked
//! the vendors' way; nothing a sender can put in a payload makes a parser panic.

use super::model::{AlertState, SourceKind, DATADOG_TEMPLATE};
use super::parse::parse;
use super::verify::{
    check_fresh, grafana_signature, pagerduty_signature, verify, Headers, Refusal,
};
use crate::incidents::model::Severity;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

fn fixture(path: &str) -> Value {
    let file = format!("{}/src/intake/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

#[test]
fn every_fixture_parses() {
    let dir = format!("{}/src/intake/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for (folder, kind) in [
        ("pagerduty", SourceKind::Pagerduty),
        ("alertmanager", SourceKind::Alertmanager),
        ("grafana", SourceKind::Grafana),
        ("opsgenie", SourceKind::Opsgenie),
    ] {
        for file in std::fs::read_dir(format!("{dir}/{folder}")).unwrap() {
            let path = file.unwrap().path();
            let body: Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let alerts = parse(kind, &body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!alerts.is_empty(), "{}", path.display());
            for alert in alerts {
                assert!(!alert.dedup_key.is_empty(), "{}", path.display());
                assert!(!alert.title.is_empty(), "{}", path.display());
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 23, "every fixture was read");
}

#[test]
fn pagerduty_events_keep_one_key_per_pagerduty_incident() {
    let triggered = &parse(
        SourceKind::Pagerduty,
        &fixture("pagerduty/triggered_v3.json"),
    )
    .unwrap()[0];
    let resolved = &parse(
        SourceKind::Pagerduty,
        &fixture("pagerduty/resolved_v3.json"),
    )
    .unwrap()[0];
    let note = &parse(
        SourceKind::Pagerduty,
        &fixture("pagerduty/annotated_v3.json"),
    )
    .unwrap()[0];
    assert_eq!(triggered.state, AlertState::Firing);
    assert_eq!(resolved.state, AlertState::Resolved);
    assert_eq!(note.state, AlertState::Update);
    assert_eq!(note.dedup_key, "Q3B15VLMF3ASBD");
    assert!(
        note.details
            .contains("Running KILL on long-running queries"),
        "{}",
        note.details
    );
    let escalated = &parse(
        SourceKind::Pagerduty,
        &fixture("pagerduty/escalate_v3.json"),
    )
    .unwrap()[0];
    assert!(
        escalated.labels.contains_key("priority"),
        "{:?}",
        escalated.labels
    );
    assert!(escalated.severity.is_some());
}

#[test]
fn alertmanager_groups_become_one_alert_each_keyed_by_group_and_fingerprint() {
    let body = fixture("alertmanager/alert.json");
    let alerts = parse(SourceKind::Alertmanager, &body).unwrap();
    assert_eq!(alerts.len(), body["alerts"].as_array().unwrap().len());
    let group = body["groupKey"].as_str().unwrap();
    for (alert, raw) in alerts.iter().zip(body["alerts"].as_array().unwrap()) {
        assert_eq!(
            alert.dedup_key,
            format!("{group}/{}", raw["fingerprint"].as_str().unwrap())
        );
    }
    let single = &parse(
        SourceKind::Alertmanager,
        &fixture("alertmanager/single_alert_no_url.json"),
    )
    .unwrap()[0];
    assert_eq!(single.link, None);
    let grafana = parse(
        SourceKind::Grafana,
        &fixture("grafana/alert_new_multiple.json"),
    )
    .unwrap();
    assert!(grafana.len() > 1);
}

#[test]
fn opsgenie_actions_map_to_firing_resolved_and_updates_keyed_by_alias() {
    let created = &parse(SourceKind::Opsgenie, &fixture("opsgenie/create.json")).unwrap()[0];
    let closed = &parse(SourceKind::Opsgenie, &fixture("opsgenie/close.json")).unwrap()[0];
    let noted = &parse(SourceKind::Opsgenie, &fixture("opsgenie/addnote.json")).unwrap()[0];
    assert_eq!(
        (created.state, closed.state, noted.state),
        (AlertState::Firing, AlertState::Resolved, AlertState::Update)
    );
    assert_eq!(created.dedup_key, "alert-alias");
    assert_eq!(created.severity, Some(Severity::P3));
}

#[test]
fn datadog_reads_the_template_sitrep_ships() {
    // The template as Datadog fills it in.
    let filled = DATADOG_TEMPLATE
        .replace("$ALERT_ID", "1234")
        .replace("$EVENT_TITLE", "[Triggered] Checkout p99 above 2 s")
        .replace("$EVENT_MSG", "p99 is 3.1 s")
        .replace("$ALERT_TRANSITION", "Triggered")
        .replace("$ALERT_PRIORITY", "P1")
        .replace("$TAGS", "env:prod,service:checkout")
        .replace("$LINK", "https://app.datadoghq.com/monitors/1234")
        .replace("$ALERT_SCOPE", "host:web-1");
    let alert = &parse(SourceKind::Datadog, &serde_json::from_str(&filled).unwrap()).unwrap()[0];
    assert_eq!(alert.title, "Checkout p99 above 2 s");
    assert_eq!(alert.dedup_key, "1234/host:web-1");
    assert_eq!(alert.severity, Some(Severity::P1));
    assert_eq!(
        alert.labels.get("service").map(String::as_str),
        Some("checkout")
    );
}

#[test]
fn a_missing_field_is_named_by_its_json_path() {
    for (kind, body, path) in [
        (SourceKind::Generic, json!({"title": "x"}), "$.dedup_key"),
        (
            SourceKind::Generic,
            json!({"dedup_key": "k", "title": 3}),
            "$.title",
        ),
        (
            SourceKind::Pagerduty,
            json!({"event": {"event_type": "incident.triggered", "data": {}}}),
            "$.event.data.id",
        ),
        (
            SourceKind::Alertmanager,
            json!({"alerts": [{"status": "firing"}, {}]}),
            "$.alerts[1].status",
        ),
        (
            SourceKind::Opsgenie,
            json!({"action": "Create", "alert": {"alias": "a"}}),
            "$.alert.message",
        ),
        (SourceKind::Datadog, json!({"alert_id": "1"}), "$.title"),
    ] {
        let err = parse(kind, &body).unwrap_err();
        assert_eq!(err.path, path, "{kind:?} {body}: {err}");
    }
}

struct Given(HashMap<&'static str, String>);

impl Headers for Given {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

#[test]
fn signatures_are_checked_the_vendors_way() {
    let now = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap();
    let body = br#"{"event":{}}"#;
    let secret = "whsec_0123456789abcdef";
    let headers = |pairs: &[(&'static str, String)]| Given(pairs.iter().cloned().collect());
    // PagerDuty: any of several signatures (a secret being rotated) will do.
    let good = pagerduty_signature(secret, body);
    let rotating = format!("v1=00ff,{good}");
    assert_eq!(
        verify(
            SourceKind::Pagerduty,
            secret,
            &headers(&[("x-pagerduty-signature", rotating)]),
            body,
            now
        ),
        Ok(())
    );
    let other = pagerduty_signature("another secret!!", body);
    assert_eq!(
        verify(
            SourceKind::Pagerduty,
            secret,
            &headers(&[("x-pagerduty-signature", other)]),
            body,
            now
        ),
        Err(Refusal::Wrong)
    );
    assert!(matches!(
        verify(SourceKind::Pagerduty, secret, &headers(&[]), body, now),
        Err(Refusal::Missing(_))
    ));
    // A changed body fails.
    let tampered = br#"{"event":{"x":1}}"#;
    assert_eq!(
        verify(
            SourceKind::Pagerduty,
            secret,
            &headers(&[("x-pagerduty-signature", good)]),
            tampered,
            now
        ),
        Err(Refusal::Wrong)
    );
    // Grafana, with and without its timestamp; an old timestamp is a replay.
    let plain = grafana_signature(secret, None, body);
    assert_eq!(
        verify(
            SourceKind::Grafana,
            secret,
            &headers(&[("x-grafana-alerting-signature", plain)]),
            body,
            now
        ),
        Ok(())
    );
    let ts = now.timestamp() - 30;
    let stamped = headers(&[
        (
            "x-grafana-alerting-signature",
            grafana_signature(secret, Some(ts), body),
        ),
        ("x-grafana-alerting-timestamp", ts.to_string()),
    ]);
    assert_eq!(
        verify(SourceKind::Grafana, secret, &stamped, body, now),
        Ok(())
    );
    let old = now.timestamp() - 3600;
    let replayed = headers(&[
        (
            "x-grafana-alerting-signature",
            grafana_signature(secret, Some(old), body),
        ),
        ("x-grafana-alerting-timestamp", old.to_string()),
    ]);
    assert_eq!(
        verify(SourceKind::Grafana, secret, &replayed, body, now),
        Err(Refusal::Stale)
    );
    // PagerDuty's time is in the signed body: an event from long ago is a replay.
    let mut event = fixture("pagerduty/triggered_v3.json");
    let fixture_time = Utc.with_ymd_and_hms(2021, 6, 4, 13, 35, 29).unwrap();
    assert_eq!(
        check_fresh(
            SourceKind::Pagerduty,
            &event,
            fixture_time + chrono::Duration::minutes(50)
        ),
        Ok(())
    );
    assert_eq!(
        check_fresh(
            SourceKind::Pagerduty,
            &event,
            fixture_time + chrono::Duration::minutes(70)
        ),
        Err(Refusal::OldEvent)
    );
    event["event"]["occurred_at"] = json!("not a time");
    assert_eq!(
        check_fresh(SourceKind::Pagerduty, &event, now),
        Ok(()),
        "left to the parser"
    );
    assert_eq!(
        check_fresh(SourceKind::Alertmanager, &json!({}), now),
        Ok(()),
        "no event time in the format"
    );
    // Tokens for the others.
    for kind in [
        SourceKind::Alertmanager,
        SourceKind::Opsgenie,
        SourceKind::Datadog,
        SourceKind::Generic,
        SourceKind::Grafana,
    ] {
        assert_eq!(
            verify(
                kind,
                secret,
                &headers(&[("authorization", format!("Bearer {secret}"))]),
                body,
                now
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                kind,
                secret,
                &headers(&[("x-sitrep-token", secret.to_owned())]),
                body,
                now
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                kind,
                secret,
                &headers(&[("authorization", "Bearer nope".into())]),
                body,
                now
            ),
            Err(Refusal::Wrong)
        );
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Any JSON at all, nested a few levels.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 ._:/-]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("event".to_owned()),
                        Just("data".to_owned()),
                        Just("alerts".to_owned()),
                        Just("status".to_owned()),
                        Just("labels".to_owned()),
                        Just("alert".to_owned()),
                        Just("action".to_owned()),
                        Just("id".to_owned()),
                        Just("title".to_owned()),
                        Just("dedup_key".to_owned()),
                        Just("alert_id".to_owned()),
                        Just("message".to_owned()),
                        Just("event_type".to_owned()),
                        Just("incident".to_owned()),
                        Just("fingerprint".to_owned()),
                        "[a-z]{1,6}",
                    ],
                    inner,
                    0..5,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        // 10,000 cases each, every parser and verifier on each: 120,000 calls.
        #![proptest_config(ProptestConfig::with_cases(10_000))]
        #[test]
        fn no_payload_makes_a_parser_panic(body in any_json()) {
            for kind in SourceKind::ALL {
                let _ = parse(kind, &body);
            }
        }

        #[test]
        fn no_bytes_make_verification_panic(sig in ".{0,80}", ts in ".{0,12}", body in prop::collection::vec(any::<u8>(), 0..64)) {
            let headers = Given([("x-pagerduty-signature", sig.clone()), ("x-grafana-alerting-signature", sig.clone()), ("x-grafana-alerting-timestamp", ts), ("authorization", sig)].into_iter().collect());
            for kind in SourceKind::ALL {
                let _ = verify(kind, "whsec_0123456789abcdef", &headers, &body, Utc::now());
            }
        }
    }
}
