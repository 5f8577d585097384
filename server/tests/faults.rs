//! The server killed with SIGKILL under load, and started again on the same database
//! and port: every post the API acknowledged is in the timeline once, client retries
//! of unacknowledged posts (same idempotency key) are stored once, and every live
//! viewer resumes from its last seq with no gap and no repeat. The short version of
//! issue 19's kill -9 scenario; both backends.

mod common;

use common::Backend;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

for_each_backend!(every_acknowledged_post_survives_a_kill_9_and_viewers_resume,);

const VIEWERS: usize = 20;
const POSTERS: usize = 4;

/// The `sitrep` binary on this database (`None`: the data dir's SQLite file).
fn sitrep(data_dir: &Path, database_url: Option<&str>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sitrep"));
    command
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data-dir")
        .arg(data_dir);
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    command
}

/// A server process, killed (SIGKILL) when dropped.
struct Server(Child);

impl Server {
    async fn start(data_dir: &Path, database_url: Option<&str>, port: u16) -> Server {
        let child = sitrep(data_dir, database_url)
            .arg(format!("--listen=127.0.0.1:{port}"))
            .env("SITREP_STATUS_RATE_LIMIT", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = reqwest::get(&ready).await {
                if response.status() == 200 {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server was not ready in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Server(child)
    }

    fn kill_9(mut self) {
        self.0.kill().expect("SIGKILL sent");
        self.0.wait().expect("the process ended");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Follows the incident until it has seen `target`, reconnecting (and resuming after
/// the last seq it saw) whenever the connection drops. Returns every seq received.
async fn viewer(url: String, token: String, key: String, target: Arc<AtomicI64>) -> Vec<i64> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut seen = Vec::new();
    let mut last = 0;
    while last < target.load(Ordering::SeqCst) {
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let Ok((mut socket, _)) = tokio_tungstenite::connect_async(request).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let subscribe = json!({"type": "subscribe", "incident": key, "after_seq": last});
        if socket
            .send(Message::Text(subscribe.to_string().into()))
            .await
            .is_err()
        {
            continue;
        }
        while last < target.load(Ordering::SeqCst) {
            let next = tokio::time::timeout(Duration::from_millis(200), socket.next()).await;
            let message = match next {
                Err(_) => continue, // nothing new: look at the target again
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
                Ok(None) | Ok(Some(Err(_))) => break, // dropped: reconnect
            };
            let message: Value = serde_json::from_str(message.as_str()).unwrap();
            if message["type"] == "event" {
                let seq = message["seq"].as_i64().unwrap();
                seen.push(seq);
                last = seq;
            }
        }
    }
    seen
}

/// Posts one entry after another, each with its own idempotency key, retrying the same
/// key until an answer arrives. Returns (body, seq acknowledged) and the retry count.
async fn poster(
    client: reqwest::Client,
    url: String,
    writer: usize,
    stop: Arc<AtomicBool>,
    retries: Arc<AtomicUsize>,
) -> Vec<(String, i64)> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let body = format!("poster {writer} entry {n}");
        let post = json!({"body": body, "idempotency_key": format!("faults-{writer}-{n}")});
        loop {
            let answer = async {
                let response = client
                    .post(&url)
                    .json(&post)
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .ok()?;
                if !matches!(response.status().as_u16(), 200 | 201) {
                    return None;
                }
                response.json::<Value>().await.ok()?["seq"].as_i64()
            }
            .await;
            match answer {
                Some(seq) => {
                    acknowledged.push((body, seq));
                    break;
                }
                None => {
                    retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        n += 1;
        // About 25 posts a second per poster: 100/s for the four.
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    acknowledged
}

async fn every_acknowledged_post_survives_a_kill_9_and_viewers_resume(backend: Backend) {
    let data = tempfile::tempdir().unwrap();
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(common::fresh_postgres_database().await),
    };
    let database_url = database_url.as_deref();
    let output = sitrep(data.path(), database_url)
        .args([
            "user",
            "add",
            "--email",
            "ada@example.com",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let output = sitrep(data.path(), database_url)
        .args([
            "token",
            "create",
            "--user",
            "ada@example.com",
            "--name",
            "faults",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let token = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let client = common::http_client(Some(&token));

    let server = Server::start(data.path(), database_url, port).await;
    let declared: Value = client
        .post(format!("{base}/api/v1/incidents"))
        .json(&json!({"title": "Checkout failing", "severity": "P1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = declared["key"].as_str().unwrap().to_owned();

    let target = Arc::new(AtomicI64::new(i64::MAX));
    let viewers: Vec<_> = (0..VIEWERS)
        .map(|_| {
            tokio::spawn(viewer(
                format!("ws://127.0.0.1:{port}/api/v1/live"),
                token.clone(),
                key.clone(),
                target.clone(),
            ))
        })
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let retries = Arc::new(AtomicUsize::new(0));
    let timeline_url = format!("{base}/api/v1/incidents/{key}/timeline");
    let posters: Vec<_> = (0..POSTERS)
        .map(|writer| {
            tokio::spawn(poster(
                client.clone(),
                timeline_url.clone(),
                writer,
                stop.clone(),
                retries.clone(),
            ))
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(1)).await;
    server.kill_9();
    let killed = Instant::now();
    // Down long enough that every poster meets it (one post each 40 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = Server::start(data.path(), database_url, port).await;
    let down_for = killed.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::SeqCst);
    let mut acknowledged = Vec::new();
    for poster in posters {
        acknowledged.extend(poster.await.unwrap());
    }

    // Each acknowledged post is there once, at the seq its answer gave; nothing else.
    let timeline: Vec<Value> = client
        .get(&timeline_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for entry in &timeline {
        let body = entry["body"].as_str().unwrap_or_default();
        if body.starts_with("poster ") {
            stored
                .entry(body.to_owned())
                .or_default()
                .push(entry["seq"].as_i64().unwrap());
        }
    }
    for (body, seq) in &acknowledged {
        assert_eq!(
            stored.get(body),
            Some(&vec![*seq]),
            "{body:?} was acknowledged at seq {seq}"
        );
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "no post stored that was not acknowledged"
    );
    assert!(
        retries.load(Ordering::Relaxed) > 0,
        "some posts were retried across the kill"
    );

    // Every viewer saw every event once, in order, across the kill.
    let last_seq = timeline
        .iter()
        .map(|entry| entry["seq"].as_i64().unwrap())
        .max()
        .unwrap();
    target.store(last_seq, Ordering::SeqCst);
    for viewer in viewers {
        let seen = tokio::time::timeout(Duration::from_secs(30), viewer)
            .await
            .expect("each viewer catches up within 30 s")
            .unwrap();
        assert_eq!(
            seen,
            (1..=last_seq).collect::<Vec<_>>(),
            "a viewer's events, gap-free and without repeats"
        );
    }
    println!(
        "kill -9 ({}): {} posts acknowledged, {} retried across the kill, down {} ms, \
         {VIEWERS} viewers resumed to seq {last_seq} with no gap or repeat",
        backend.name(),
        acknowledged.len(),
        retries.load(Ordering::Relaxed),
        down_for.as_millis()
    );
    drop(server);
}
