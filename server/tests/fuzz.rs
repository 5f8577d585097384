//! Generated input for every JSON body the REST API documents (read from its own
//! OpenAPI document), the CSV import, every server function's form, and every alert
//! source's webhook (signed its vendor's way, so the bodies reach the parsers behind
//! the signature check): no panic, no 5xx, and nothing written by a refused request.
//! Bodies are shaped by proptest: arbitrary JSON, objects with the documented fields
//! holding odd values (enum members, bounds, huge and empty strings, other types),
//! and the vendors' real payloads with fields removed, replaced or cut short.
//!
//! `SITREP_FUZZ_CASES` sets how many requests (the default keeps `make test` short;
//! `make report` runs 100,000). The seed is fixed, so a failure happens again.

mod common;

use common::{Backend, TestApp};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{RngAlgorithm, TestRng, TestRunner};
use serde_json::{json, Map, Value};
use sqlx::{Connection, Row};
use std::time::Instant;

const DEFAULT_CASES: usize = 4_000;

/// Tables a request writes (and no background task does): a refused request must
/// leave each one as it was. Left out: sessions, login failures and the audit log (a
/// refusal may rightly be recorded), delivery and clock tables and incident events
/// (the outbox, SLA engine and post-mortem drafter write them on their own), and
/// post-mortem versions (drafted in the background at resolution).
const WRITTEN_BY_REQUESTS: &[&str] = &[
    "incidents",
    "timeline_entries",
    "timeline_revisions",
    "timeline_redactions",
    "users",
    "teams",
    "team_members",
    "systems",
    "accounts",
    "api_tokens",
    "sla_policies",
    "sla_policy_versions",
    "comms_templates",
    "comms_approval_policies",
    "customer_messages",
    "customer_message_versions",
    "customer_message_transitions",
    "postmortem_reviews",
    "followups",
    "postmortem_templates",
    "integrations",
    "status_components",
    "status_page_settings",
    "status_maintenances",
    "status_maintenance_updates",
];

/// One place requests are sent to.
struct Target {
    method: reqwest::Method,
    path: String,
    body: BoxedStrategy<Body>,
}

#[derive(Debug, Clone)]
enum Body {
    Json(Value),
    Csv(String),
    Form(Vec<(String, String)>),
    /// An alert source's delivery, signed for `kind` when sent.
    Signed {
        kind: &'static str,
        body: Vec<u8>,
    },
}

/// The alert sources, each with an integration the fuzz delivers to.
const INTAKE_KINDS: &[&str] = &[
    "pagerduty",
    "alertmanager",
    "grafana",
    "datadog",
    "opsgenie",
    "generic",
];
const INTAKE_SECRET: &str = "whsec_fuzz_0123456789abcdef";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_bodies_and_forms_get_no_5xx_and_refusals_write_nothing() {
    let cases: usize = std::env::var("SITREP_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let app = TestApp::spawn(Backend::Sqlite).await;
    let known = seed(&app).await;
    let (status, doc) = app.get("/openapi.json").await;
    assert_eq!(status, 200);
    let mut targets = rest_targets(&doc, &known);
    targets.extend(server_fn_targets(&doc, &known));
    // The same order every run (server functions come from a hash map): with the fixed
    // seed, a failure comes back.
    targets.sort_by(|a, b| {
        (a.path.as_str(), a.method.as_str()).cmp(&(b.path.as_str(), b.method.as_str()))
    });
    // Last, in the sources' order: their paths hold random integration ids.
    targets.extend(intake_targets(&known));
    let mut watcher = Fingerprint::open(&app).await;

    let mut runner = TestRunner::new_with_rng(
        proptest::test_runner::Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let started = Instant::now();
    let (mut accepted, mut refused) = (0_usize, 0_usize);
    let mut deliveries: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut before = watcher.take().await;
    for case in 0..cases {
        let pick = (0..targets.len()).new_tree(&mut runner).unwrap().current();
        let target = &targets[pick];
        let body = target.body.new_tree(&mut runner).unwrap().current();
        let mut request = app
            .client
            .request(target.method.clone(), app.url(&target.path))
            .header("Accept", "application/json");
        request = match &body {
            Body::Json(value) => request.json(value),
            Body::Csv(text) => request
                .header("Content-Type", "text/csv")
                .body(text.clone()),
            Body::Form(fields) => request.form(fields),
            Body::Signed { kind, body } => {
                common::signed_delivery(request, kind, INTAKE_SECRET, body)
            }
        };
        let what = format!(
            "case {case}: {} {} {}",
            target.method,
            target.path,
            shorten(&format!("{body:?}"))
        );
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => panic!("no answer (did the server panic?) to {what}: {err}"),
        };
        let status = response.status().as_u16();
        if status >= 500 {
            let answer = response.text().await.unwrap_or_default();
            panic!("{status} for {what}, answered {}", shorten(&answer));
        }
        let after = watcher.take().await;
        let delivery = matches!(body, Body::Signed { .. });
        if delivery {
            *deliveries.entry(status).or_default() += 1;
        }
        if status < 400 {
            accepted += 1;
        } else {
            refused += 1;
            // An unverified delivery is counted on its integration, rightly.
            let counted = delivery && status == 401;
            let changed: Vec<_> = WRITTEN_BY_REQUESTS
                .iter()
                .zip(before.iter().zip(&after))
                .filter(|(table, (b, a))| b != a && !(counted && **table == "integrations"))
                .map(|(table, _)| *table)
                .collect();
            assert!(
                changed.is_empty(),
                "refused ({status}) yet wrote {changed:?}: {what}"
            );
        }
        before = after;
    }
    println!(
        "fuzz: {cases} requests to {} targets in {:.1} s: {accepted} accepted, {refused} refused, \
         0 server errors, 0 writes by a refused request",
        targets.len(),
        started.elapsed().as_secs_f64()
    );
    let answers: Vec<String> = deliveries
        .iter()
        .map(|(status, n)| format!("{n} answered {status}"))
        .collect();
    println!(
        "fuzz: {} signed alert deliveries to {} sources: {}",
        deliveries.values().sum::<usize>(),
        INTAKE_KINDS.len(),
        answers.join(", ")
    );
    assert!(
        deliveries.contains_key(&202) && deliveries.contains_key(&400),
        "some deliveries got past the signature to the parsers, both taken and refused"
    );
}

/// What path parameters are filled with: things that exist, so requests get past
/// the lookup to the body.
struct Known {
    incident: String,
    account: String,
    team: String,
    email: String,
    /// Each alert source's integration: (kind, the path it delivers to).
    intake: Vec<(&'static str, String)>,
}

async fn seed(app: &TestApp) -> Known {
    let (status, _) = app
        .post("/systems", json!({"slug": "checkout", "name": "Checkout"}))
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post(
            "/accounts",
            json!({"slug": "acme", "name": "Acme", "tier": "enterprise", "contact_emails": ["ops@acme.example"]}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .post("/teams", json!({"slug": "payments", "name": "Payments"}))
        .await;
    assert_eq!(status, 201, "team");
    let (status, incident) = app
        .post(
            "/incidents",
            json!({"title": "Checkout failing", "severity": "P1", "systems": ["checkout"], "accounts": ["acme"]}),
        )
        .await;
    assert_eq!(status, 201);
    let key = incident["key"].as_str().unwrap().to_owned();
    let (status, _) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({"body": "Rolled back the deploy"}),
        )
        .await;
    assert_eq!(status, 201);
    let mut intake = Vec::new();
    for kind in INTAKE_KINDS {
        let (status, created) = app
            .post(
                "/integrations",
                json!({"kind": kind, "name": format!("Fuzzed {kind}"), "systems": ["checkout"],
                       "secret": INTAKE_SECRET}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let url = created["integration"]["url"].as_str().unwrap();
        intake.push((*kind, url[url.find("/api/v1/").unwrap()..].to_owned()));
    }
    Known {
        incident: key,
        account: "acme".into(),
        team: "payments".into(),
        email: "ops@acme.example".into(),
        intake,
    }
}

/// The value a path parameter gets.
fn fill(path: &str, known: &Known) -> String {
    let mut filled = String::new();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let value = match segment {
            "{key}" => known.incident.clone(),
            "{slug}" if filled.ends_with("/teams") => known.team.clone(),
            "{slug}" if filled.ends_with("/sla/policies") => "default".into(),
            "{slug}" => known.account.clone(),
            "{name}" => "P1".into(),
            "{kind}" => "alertmanager".into(),
            "{email}" => known.email.clone(),
            s if s.starts_with('{') => "1".into(),
            s => s.to_owned(),
        };
        filled.push('/');
        filled.push_str(&value);
    }
    filled
}

/// Every operation with a request body, each with a body strategy shaped by its schema.
fn rest_targets(doc: &Value, known: &Known) -> Vec<Target> {
    let mut targets = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Signing in is throttled per address: its refusals would crowd out the rest.
        if path == "/session" {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            let schema = resolve(doc, &content["application/json"]["schema"]);
            let mut bodies = vec![shaped_json(doc, &schema, known)
                .prop_map(Body::Json)
                .boxed()];
            if content.contains_key("text/csv") {
                bodies.push(csv().prop_map(Body::Csv).boxed());
            }
            targets.push(Target {
                method: method.to_uppercase().parse().unwrap(),
                path: format!("/api/v1{}", fill(path, known)),
                body: proptest::strategy::Union::new(bodies).boxed(),
            });
        }
    }
    targets
}

/// Every server function, posted as the browser's forms are, with fields named like
/// the API's (every property name the document knows) holding odd strings.
fn server_fn_targets(doc: &Value, known: &Known) -> Vec<Target> {
    let mut names: Vec<String> = vec!["key".into(), "idempotency_key".into(), "id".into()];
    collect_property_names(&doc["components"]["schemas"], &mut names);
    names.sort();
    names.dedup();
    let values = odd_text(known);
    leptos::server_fn::axum::server_fn_paths()
        .filter(|(_, method)| method == axum::http::Method::POST)
        .map(|(path, _)| {
            let fields =
                prop::collection::vec((prop::sample::select(names.clone()), values.clone()), 0..8);
            Target {
                method: reqwest::Method::POST,
                path: path.to_owned(),
                body: fields.prop_map(Body::Form).boxed(),
            }
        })
        .collect()
}

fn collect_property_names(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                names.extend(properties.keys().cloned());
            }
            for inner in map.values() {
                collect_property_names(inner, names);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_property_names(item, names)),
        _ => {}
    }
}

/// Follows a `$ref` to its schema.
fn resolve(doc: &Value, schema: &Value) -> Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema.clone(),
    }
}

/// An object with a random subset of the schema's properties, each holding a value
/// that is one of its enum members, an odd value of any type, or nested JSON; or,
/// one time in five, any JSON at all.
fn shaped_json(doc: &Value, schema: &Value, known: &Known) -> BoxedStrategy<Value> {
    let properties: Vec<(String, Value)> = schema["properties"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(name, s)| (name.clone(), resolve(doc, s)))
                .collect()
        })
        .unwrap_or_default();
    if properties.is_empty() {
        return any_json(known);
    }
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
        .into_iter()
        .map(|(name, schema)| {
            let members: Vec<Value> = schema["enum"].as_array().cloned().unwrap_or_default();
            let value = if members.is_empty() {
                prop_oneof![3 => leaf(known), 1 => any_json(known)].boxed()
            } else {
                prop_oneof![2 => prop::sample::select(members), 1 => leaf(known), 1 => any_json(known)]
                    .boxed()
            };
            prop::option::weighted(0.7, value.prop_map(move |v| (name.clone(), v))).boxed()
        })
        .collect();
    let object = fields
        .prop_map(|fields| Value::Object(fields.into_iter().flatten().collect::<Map<_, _>>()));
    prop_oneof![4 => object, 1 => any_json(known)].boxed()
}

/// Each alert source's webhook, with bodies grown from its vendor's real payloads
/// (the fixtures the parsers are tested with).
fn intake_targets(known: &Known) -> Vec<Target> {
    known
        .intake
        .iter()
        .map(|(kind, path)| Target {
            method: reqwest::Method::POST,
            path: path.clone(),
            body: delivery(kind, vendor_payloads(kind), known),
        })
        .collect()
}

/// The vendor's payloads: the parsers' fixtures, or (Datadog and generic webhooks,
/// whose bodies the user writes) a typical one.
fn vendor_payloads(kind: &str) -> Vec<Value> {
    let dir = format!(
        "{}/../app/src/intake/fixtures/{kind}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut payloads: Vec<Value> = match std::fs::read_dir(&dir) {
        Ok(files) => files
            .map(|file| file.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .map(|path| serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    };
    payloads.sort_by_key(|p| p.to_string());
    match kind {
        "datadog" => payloads.push(json!({"alert_id": "77", "title": "[Triggered] Checkout p99 above 2 s",
            "transition": "Triggered", "priority": "P2", "tags": "service:checkout", "scope": "host:web-1"})),
        "generic" => payloads.push(
            json!({"dedup_key": "disk-full-db-7", "title": "Disk full on db-7", "severity": "P1"}),
        ),
        _ => {}
    }
    assert!(!payloads.is_empty(), "no payloads for {kind} in {dir}");
    payloads
}

/// A delivery for `kind`: one of its payloads with up to four fields removed or
/// replaced by odd values, or cut short (not JSON), or any JSON at all.
fn delivery(kind: &'static str, payloads: Vec<Value>, known: &Known) -> BoxedStrategy<Body> {
    let replacement =
        prop::option::weighted(0.8, prop_oneof![3 => leaf(known), 1 => any_json(known)]);
    let changed = (
        prop::sample::select(payloads.clone()),
        prop::collection::vec((any::<prop::sample::Index>(), replacement), 0..4),
    )
        .prop_map(move |(mut payload, changes)| {
            // PagerDuty refuses an event older than an hour as a replay: the
            // fixtures' events happen now, unless a change hits the time.
            if let Some(at) = payload.pointer_mut("/event/occurred_at") {
                *at = Value::from(chrono::Utc::now().to_rfc3339());
            }
            for (at, replacement) in changes {
                change(&mut payload, at, replacement);
            }
            serde_json::to_vec(&payload).unwrap()
        });
    let cut =
        (prop::sample::select(payloads), any::<prop::sample::Index>()).prop_map(|(payload, at)| {
            let bytes = serde_json::to_vec(&payload).unwrap();
            bytes[..at.index(bytes.len())].to_vec()
        });
    let anything = any_json(known).prop_map(|value| serde_json::to_vec(&value).unwrap());
    prop_oneof![6 => changed, 1 => cut, 1 => anything]
        .prop_map(move |body| Body::Signed { kind, body })
        .boxed()
}

/// Every JSON pointer inside `value`, below `at`.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, v)| (key.replace('~', "~0").replace('/', "~1"), v))
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (step, child) in children {
        let pointer = format!("{at}/{step}");
        out.push(pointer.clone());
        pointers(child, &pointer, out);
    }
}

/// Replaces the value at one of `payload`'s pointers, or removes it (`None`).
fn change(payload: &mut Value, at: prop::sample::Index, replacement: Option<Value>) {
    let mut all = Vec::new();
    pointers(payload, "", &mut all);
    if all.is_empty() {
        return;
    }
    let pointer = at.get(&all);
    match replacement {
        Some(value) => *payload.pointer_mut(pointer).unwrap() = value,
        None => {
            let (parent, step) = pointer.rsplit_once('/').unwrap();
            match payload.pointer_mut(parent).unwrap() {
                Value::Object(map) => {
                    map.remove(&step.replace("~1", "/").replace("~0", "~"));
                }
                Value::Array(items) => {
                    items.remove(step.parse::<usize>().unwrap());
                }
                _ => {}
            }
        }
    }
}

/// Strings that break naive code: empty, blank, control characters, markup, very
/// long, wrong formats, and the names of things that exist.
fn odd_text(known: &Known) -> BoxedStrategy<String> {
    let specials = vec![
        String::new(),
        " ".into(),
        "\0".into(),
        "\u{202e}override".into(),
        "<script>alert(1)</script>".into(),
        "' OR 1=1 --".into(),
        "💥🔥".into(),
        "P1".into(),
        "P4".into(),
        "resolved".into(),
        "enterprise".into(),
        "-1".into(),
        "9223372036854775808".into(),
        "1e309".into(),
        "2026-02-30T25:61:00Z".into(),
        "Europe/Nowhere".into(),
        "https://example.com/hook".into(),
        "a@b".into(),
        known.incident.clone(),
        known.account.clone(),
        "x".repeat(70_000),
    ];
    prop_oneof![
        2 => prop::sample::select(specials),
        2 => "\\PC{0,24}",
        1 => any::<String>(),
    ]
    .boxed()
}

fn leaf(known: &Known) -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop::sample::select(vec![0_i64, -1, 1, 59, 525_601, i64::MIN, i64::MAX])
            .prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN", |f| f.is_finite())
            .prop_map(Value::from),
        odd_text(known).prop_map(Value::from),
    ]
    .boxed()
}

fn any_json(known: &Known) -> BoxedStrategy<Value> {
    leaf(known)
        .prop_recursive(3, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
        .boxed()
}

/// CSV with a header of account fields, or not, and rows of odd cells.
fn csv() -> BoxedStrategy<String> {
    let cell = prop_oneof![
        "[a-z0-9 ,\"\n-]{0,16}",
        prop::sample::select(vec!["enterprise", "standard", "", "\"", "a@b.example"])
            .prop_map(str::to_owned),
    ];
    let row = prop::collection::vec(cell, 0..6).prop_map(|cells| cells.join(","));
    (
        prop::sample::select(vec!["slug,name,tier,contact_emails", "name", ""]),
        prop::collection::vec(row, 0..8),
    )
        .prop_map(|(header, rows)| format!("{header}\n{}", rows.join("\n")))
        .boxed()
}

/// Each of `WRITTEN_BY_REQUESTS`' row count and total width, read on a connection of
/// the test's own: an insert or a change in size shows.
struct Fingerprint {
    conn: sqlx::SqliteConnection,
    query: String,
}

impl Fingerprint {
    async fn open(app: &TestApp) -> Fingerprint {
        let path = app.data_dir().join("sitrep.db");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let mut parts = Vec::new();
        for table in WRITTEN_BY_REQUESTS {
            let columns: Vec<String> =
                sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| format!("length(quote(\"{}\"))", row.get::<String, _>(0)))
                    .collect();
            assert!(!columns.is_empty(), "no table {table}");
            parts.push(format!(
                "(SELECT count(*) || ':' || total({}) FROM {table})",
                columns.join(" + ")
            ));
        }
        let query = format!("SELECT {}", parts.join(", "));
        Fingerprint { conn, query }
    }

    async fn take(&mut self) -> Vec<String> {
        let row = sqlx::query(&self.query)
            .fetch_one(&mut self.conn)
            .await
            .unwrap();
        (0..WRITTEN_BY_REQUESTS.len())
            .map(|i| row.get::<String, _>(i))
            .collect()
    }
}

/// The request as a failure names it: long values cut short.
fn shorten(text: &str) -> String {
    let mut out = String::new();
    let mut run = 0;
    for c in text.chars() {
        run = if c == 'x' { run + 1 } else { 0 };
        if run <= 40 {
            out.push(c);
        } else if run == 41 {
            out.push('…');
        }
    }
    out.chars().take(2_000).collect()
}
