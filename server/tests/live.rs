//! The live websocket with real clients: order, resume after a disconnect, the
//! replay/live seam under concurrent posting, slow consumers, and refused handshakes.
//! Against SQLite and PostgreSQL.

mod common;

use common::{Backend, Options, TestApp};
use serde_json::{json, Value};
use std::sync::Arc;

for_each_backend!(
    two_viewers_see_posts_in_the_same_order,
    a_viewer_that_missed_posts_gets_exactly_those_on_resume,
    the_seam_between_replay_and_live_has_no_gap_and_no_duplicate,
    a_slow_viewer_is_cut_with_a_resume_hint_and_others_carry_on,
    a_viewer_that_stops_reading_is_dropped_after_the_write_timeout,
    handshakes_without_sign_in_or_from_other_sites_are_refused,
    viewers_see_who_else_has_the_war_room_open,
    the_incident_list_hears_of_declarations_and_changes,
);

async fn declare(app: &TestApp) -> String {
    let (status, incident) = app
        .post("/incidents", json!({"title": "Live", "severity": "P1"}))
        .await;
    assert_eq!(status, 201, "{incident}");
    incident["key"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, key: &str, body: &str) -> i64 {
    let (status, entry) = app
        .post(
            &format!("/incidents/{key}/timeline"),
            json!({ "body": body }),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
    entry["seq"].as_i64().unwrap()
}

/// The next incident-list notice: the key it names.
async fn list_notice(live: &mut common::Live) -> String {
    loop {
        let message = live.next().await.expect("connection open");
        if message["type"] == "incident_list_changed" {
            return message["incident"].as_str().unwrap().to_owned();
        }
    }
}

async fn subscribe_list(live: &mut common::Live) {
    live.send(json!({"type": "subscribe_incident_list"})).await;
    while live.next().await.expect("connection open")["type"] != "incident_list_subscribed" {}
}

fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(|e| e["seq"].as_i64().unwrap()).collect()
}

async fn two_viewers_see_posts_in_the_same_order(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let key = declare(&app).await;
    let mut first = app.live(&[]).await.unwrap();
    let mut second = app.live(&[]).await.unwrap();
    let (replay, seq) = first.subscribe(&key, 0).await;
    assert_eq!(seqs(&replay), [1], "the declaration");
    assert_eq!(replay[0]["kind"], "incident.declared");
    assert_eq!(seq, 1);
    second.subscribe(&key, 1).await;

    // Ten posters at once: the order is whatever the database decided, the same for all.
    let posts: Vec<_> = (0..10)
        .map(|n| {
            let app = app.clone();
            let key = key.clone();
            tokio::spawn(async move { post(&app, &key, &format!("post {n}")).await })
        })
        .collect();
    for task in posts {
        task.await.unwrap();
    }
    let seen_first = first.events_until(11).await;
    let seen_second = second.events_until(11).await;
    assert_eq!(seqs(&seen_first), (2..=11).collect::<Vec<_>>());
    assert_eq!(seen_first, seen_second, "same events, same order");
    assert_eq!(seen_first[0]["kind"], "timeline.entry_added");
    assert!(seen_first[0]["payload"]["entry"]["body"]
        .as_str()
        .unwrap()
        .starts_with("post "));
    assert_eq!(seen_first[0]["incident"], key.as_str());
}

async fn a_viewer_that_missed_posts_gets_exactly_those_on_resume(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = declare(&app).await;
    let mut viewer = app.live(&[]).await.unwrap();
    let (_, seq) = viewer.subscribe(&key, 0).await;
    post(&app, &key, "seen live").await;
    let seen = viewer.events_until(seq + 1).await;
    let last = seen.last().unwrap()["seq"].as_i64().unwrap();
    drop(viewer); // the Wi-Fi blip

    for n in 0..20 {
        post(&app, &key, &format!("missed {n}")).await;
    }
    let mut viewer = app.live(&[]).await.unwrap();
    let (replay, seq) = viewer.subscribe(&key, last).await;
    assert_eq!(seqs(&replay), (last + 1..=last + 20).collect::<Vec<_>>());
    assert_eq!(replay[0]["payload"]["entry"]["body"], "missed 0");
    assert_eq!(seq, last + 20);
    let after = post(&app, &key, "live again").await;
    assert_eq!(seqs(&viewer.events_until(after).await), [after]);
}

async fn the_seam_between_replay_and_live_has_no_gap_and_no_duplicate(backend: Backend) {
    let app = Arc::new(TestApp::spawn(backend).await);
    let key = declare(&app).await;
    let posters: Vec<_> = (0..4)
        .map(|poster| {
            let app = app.clone();
            let key = key.clone();
            tokio::spawn(async move {
                for n in 0..25 {
                    post(&app, &key, &format!("poster {poster} post {n}")).await;
                }
            })
        })
        .collect();
    // Viewers join while the posts are being written.
    let mut viewers = Vec::new();
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
        let mut viewer = app.live(&[]).await.unwrap();
        let (replay, _) = viewer.subscribe(&key, 0).await;
        viewers.push((viewer, replay));
    }
    for poster in posters {
        poster.await.unwrap();
    }
    let last = 1 + 4 * 25;
    for (mut viewer, mut events) in viewers {
        let replayed = events.len();
        if events.last().and_then(|e| e["seq"].as_i64()) != Some(last) {
            events.extend(viewer.events_until(last).await);
        }
        assert_eq!(
            seqs(&events),
            (1..=last).collect::<Vec<_>>(),
            "every seq once, in order ({replayed} replayed, the rest live)"
        );
    }
}

async fn a_slow_viewer_is_cut_with_a_resume_hint_and_others_carry_on(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            live_queue: 16,
            ..Default::default()
        },
    )
    .await;
    let key = declare(&app).await;
    let mut slow = app.live(&[]).await.unwrap();
    slow.subscribe(&key, 1).await;
    let mut steady = app.live(&[]).await.unwrap();
    steady.subscribe(&key, 1).await;

    // Large entries fill the socket buffers quickly; the slow viewer reads nothing.
    let body = "x".repeat(60 * 1024);
    let posts = 120;
    let reader = tokio::spawn(async move {
        let events = steady.events_until(1 + posts).await;
        (steady, events)
    });
    for _ in 0..posts {
        post(&app, &key, &body).await;
    }
    let (_, events) = reader.await.unwrap();
    assert_eq!(
        seqs(&events),
        (2..=1 + posts).collect::<Vec<_>>(),
        "unaffected"
    );

    let mut received = Vec::new();
    let close = loop {
        let message = slow.next().await.expect("closed with a frame");
        if message["type"] == "presence" {
            continue;
        }
        if message["type"] != "event" {
            break message;
        }
        received.push(message);
    };
    assert_eq!(close["code"], 4008, "{close}");
    assert!(close["reason"]
        .as_str()
        .unwrap()
        .contains("resume from your last seq"));
    assert!(
        received.len() < 300,
        "cut before the end: {}",
        received.len()
    );
    // What it did get is a gap-free prefix to resume from.
    assert_eq!(
        seqs(&received),
        (2..2 + received.len() as i64).collect::<Vec<_>>()
    );
}

/// A client that stops reading (a frozen tab, a dead phone behind a NAT that keeps
/// the TCP connection) fills its socket; before the write timeout its connection task
/// waited on that write forever, within the lag limit and never looking at the silence.
async fn a_viewer_that_stops_reading_is_dropped_after_the_write_timeout(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            live_write_timeout: 1,
            ..Default::default()
        },
    )
    .await;
    let key = declare(&app).await;
    let mut stuck = app.live(&[]).await.unwrap();
    stuck.subscribe(&key, 1).await;
    let mut steady = app.live(&[]).await.unwrap();
    steady.subscribe(&key, 1).await;
    assert_eq!(open_live_connections(&app).await, 2);

    // Fewer posts than the lag limit (256), so only the write timeout can drop it; large
    // enough together (14 MB) to fill the loopback socket buffers.
    let body = "x".repeat(60 * 1024);
    let posts = 240;
    let reader = tokio::spawn(async move {
        let events = steady.events_until(1 + posts).await;
        (steady, events)
    });
    for _ in 0..posts {
        post(&app, &key, &body).await;
    }
    let (_steady, events) = reader.await.unwrap();
    assert_eq!(
        seqs(&events),
        (2..=1 + posts).collect::<Vec<_>>(),
        "unaffected"
    );

    let dropped = std::time::Instant::now();
    while open_live_connections(&app).await != 1 {
        assert!(
            dropped.elapsed() < std::time::Duration::from_secs(10),
            "the viewer that stopped reading is dropped"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // What had reached its socket is a gap-free prefix to resume from, then the end.
    let mut received = Vec::new();
    while let Some(message) = stuck.next().await {
        match message["type"].as_str() {
            Some("event") => received.push(message),
            Some("presence") => {}
            _ => break,
        }
    }
    assert!(
        received.len() < posts as usize,
        "cut before the end: {}",
        received.len()
    );
    assert_eq!(
        seqs(&received),
        (2..2 + received.len() as i64).collect::<Vec<_>>()
    );
}

/// `sitrep_live_connections` as the server counts it.
async fn open_live_connections(app: &TestApp) -> u64 {
    let (_, text) = app.metrics().await;
    text.lines()
        .find_map(|line| line.strip_prefix("sitrep_live_connections "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no sitrep_live_connections in {text}"))
}

async fn handshakes_without_sign_in_or_from_other_sites_are_refused(backend: Backend) {
    use tokio_tungstenite::tungstenite::Error;
    let app = TestApp::spawn(backend).await;
    let status = |result: Result<common::Live, Error>| match result {
        Err(Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("{other}"),
        Ok(_) => 101,
    };
    // Anonymous: a plain client with no credentials.
    let anonymous =
        tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live", app.addr)).await;
    assert_eq!(
        match anonymous {
            Err(Error::Http(response)) => response.status().as_u16(),
            other => panic!("{:?}", other.map(|_| ())),
        },
        401
    );
    assert_eq!(
        status(app.live(&[("origin", "https://evil.example")]).await),
        403
    );
    assert_eq!(
        status(
            app.live(&[("origin", &format!("http://{}", app.addr))])
                .await
        ),
        101,
        "the server's own pages may connect"
    );
    let mut live = app.live(&[]).await.unwrap();
    live.send(json!({"type": "subscribe", "incident": "INC-999", "after_seq": 0}))
        .await;
    let error = live.next().await.unwrap();
    assert_eq!(error["type"], "error");
    assert!(
        error["message"].as_str().unwrap().contains("INC-999"),
        "{error}"
    );
    live.send(json!({"type": "dance"})).await;
    assert_eq!(
        live.next().await.unwrap()["type"],
        "error",
        "bad messages are answered, not fatal"
    );
    live.send(json!({"type": "ping", "sent_at": 5})).await;
    let pong = live.next().await.unwrap();
    assert_eq!(
        (pong["type"].as_str(), pong["sent_at"].as_i64()),
        (Some("pong"), Some(5))
    );
}

/// Two replicas on one PostgreSQL database: posts made through either reach the
/// viewers of both, in the same order (LISTEN/NOTIFY between them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_one_postgres_deliver_each_others_posts() {
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.replica().await;
    let key = declare(&a).await;
    let mut on_a = a.live(&[]).await.unwrap();
    let mut on_b = b.live(&[]).await.unwrap();
    on_a.subscribe(&key, 0).await;
    on_b.subscribe(&key, 0).await;
    let mut last = 0;
    for n in 0..10 {
        let server = if n % 2 == 0 { &a } else { &b };
        last = post(server, &key, &format!("post {n} via replica {}", n % 2)).await;
    }
    let seen_a = on_a.events_until(last).await;
    let seen_b = on_b.events_until(last).await;
    assert_eq!(seqs(&seen_a), (2..=last).collect::<Vec<_>>());
    assert_eq!(seen_a, seen_b);

    // The incident list on B hears of an incident declared on A.
    let mut list_on_b = b.live(&[]).await.unwrap();
    subscribe_list(&mut list_on_b).await;
    let other = declare(&a).await;
    assert_eq!(list_notice(&mut list_on_b).await, other);
}

async fn the_incident_list_hears_of_declarations_and_changes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = declare(&app).await;
    // The first engineering post acknowledges the incident (which changes it).
    post(&app, &first, "looking").await;
    let mut list = app.live(&[]).await.unwrap();
    subscribe_list(&mut list).await;

    let second = declare(&app).await;
    assert_eq!(list_notice(&mut list).await, second);
    // Later timeline posts do not change the list; a status change does. (Had the
    // post sent a notice, the next one would name the first incident.)
    post(&app, &first, "still looking").await;
    let third = declare(&app).await;
    assert_eq!(list_notice(&mut list).await, third);
    let (status, changed) = app
        .patch(
            &format!("/incidents/{first}"),
            json!({"status": "identified"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(list_notice(&mut list).await, first);

    // Unsubscribed (the pong says the server has read that): no more notices, so
    // the next message after a declaration is the pong asked for after it.
    list.send(json!({"type": "unsubscribe_incident_list"}))
        .await;
    list.send(json!({"type": "ping", "sent_at": 1})).await;
    assert_eq!(list.next().await.unwrap()["type"], "pong");
    declare(&app).await;
    list.send(json!({"type": "ping", "sent_at": 2})).await;
    assert_eq!(list.next().await.unwrap()["sent_at"], 2);
}

async fn viewers_see_who_else_has_the_war_room_open(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = declare(&app).await;
    let mut ada = app.live(&[]).await.unwrap();
    ada.subscribe(&key, 0).await;
    assert_eq!(ada.presence().await, ["Ada Admin (admin)"]);

    // Dana, an engineer, opens it in two tabs: she is listed once, announced once,
    // and her second tab is told who is there by itself.
    let token = app.token_for("engineer", "Dana Lee");
    let mut tabs = Vec::new();
    for _ in 0..2 {
        let mut tab = app.live_as(&token).await;
        tab.subscribe(&key, 1).await;
        assert_eq!(
            tab.presence().await,
            ["Ada Admin (admin)", "Dana Lee (engineer)"]
        );
        tabs.push(tab);
    }
    assert_eq!(
        ada.presence().await,
        ["Ada Admin (admin)", "Dana Lee (engineer)"]
    );
    // Closing one tab changes nobody's list, so nothing is announced; closing the
    // second does (had the first been announced, Ada would read Dana still there).
    drop(tabs.pop());
    drop(tabs.pop());
    assert_eq!(ada.presence().await, ["Ada Admin (admin)"]);
}
