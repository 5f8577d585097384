//! The server killed with SIGKILL under load, and started again on the same database
//! and port: every post the API acknowledged is in the timeline once, client retries
//! of unacknowledged posts (same idempotency key) are stored once, and every live
//! viewer resumes from its last seq with no gap and no repeat (both backends). And
//! PostgreSQL stopped and started again under two replicas' load: both servers stay
//! up, say 503 while it is down, reconnect and re-LISTEN by themselves, and lose
//! nothing acknowledged. Two replicas, one killed with SIGKILL: its viewers and
//! posters fail over to the other, and nothing acknowledged is lost or doubled. And
//! SQLite's disk filling up: writes refused with 503 naming
//! why, nothing half-written, writes accepted again once there is space. And a
//! replica killed while its outbox is sending: the survivor sends what it had claimed
//! once the lease passes, each delivery under one idempotency key. And a replica
//! killed while SLA clocks turn at risk and customer updates fall due: the survivor
//! announces and fires the rest, and each SLA change, alert and due time is fired
//! once across the pair. The short versions of issue 19's fault scenarios.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarting_under_two_replicas_loses_nothing_and_both_reconnect() {
    postgres_restart().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_under_load_loses_nothing_and_its_clients_fail_over() {
    replica_killed().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_killed_mid_delivery_leaves_every_notification_sent_under_one_key() {
    outbox_across_a_kill().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sla_changes_and_customer_updates_falling_due_across_a_replica_kill_fire_once() {
    due_items_across_a_kill().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_clearly_and_the_server_recovers() {
    full_and_read_only_disk().await
}

/// Viewers per scenario: 20, or `SITREP_FAULT_VIEWERS` (the long version in `make
/// report`: 1,000).
fn viewer_count() -> usize {
    std::env::var("SITREP_FAULT_VIEWERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// How long the load runs before a kill and after the restart: 1 s, or
/// `SITREP_FAULT_SECONDS`.
fn load_time() -> Duration {
    let seconds = std::env::var("SITREP_FAULT_SECONDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1.0);
    Duration::from_secs_f64(seconds)
}
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
        Server::start_with(data_dir, database_url, port, &[]).await
    }

    /// With more command-line options.
    async fn start_with(
        data_dir: &Path,
        database_url: Option<&str>,
        port: u16,
        options: &[String],
    ) -> Server {
        let child = sitrep(data_dir, database_url)
            .arg(format!("--listen=127.0.0.1:{port}"))
            .args(options)
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

/// Two servers on one PostgreSQL database, each with a data dir of its own, and an
/// admin's API token.
struct Replicas {
    /// A killed one is gone (`None`); a lock so killing one leaves the URLs borrowable.
    servers: std::sync::Mutex<[Option<Server>; 2]>,
    ports: [u16; 2],
    token: String,
    _data_dirs: [tempfile::TempDir; 2],
}

impl Replicas {
    async fn start(database_url: &str, options: &[String]) -> Replicas {
        let data_dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let token = admin_token(data_dirs[0].path(), Some(database_url));
        let ports = [free_port(), free_port()];
        let mut servers = [None, None];
        for n in 0..2 {
            let dir = data_dirs[n].path();
            servers[n] = Some(Server::start_with(dir, Some(database_url), ports[n], options).await);
        }
        Replicas {
            servers: std::sync::Mutex::new(servers),
            ports,
            token,
            _data_dirs: data_dirs,
        }
    }

    fn base(&self, n: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[n])
    }

    /// A REST URL on replica `n`.
    fn api(&self, n: usize, path: &str) -> String {
        format!("{}/api/v1{path}", self.base(n))
    }

    /// The live websocket of replica `n`.
    fn live(&self, n: usize) -> String {
        format!("ws://127.0.0.1:{}/api/v1/live", self.ports[n])
    }

    fn kill_9(&self, n: usize) {
        let server = self.servers.lock().unwrap()[n].take();
        server.expect("replica running").kill_9();
    }
}

/// Adds an admin with the CLI and returns a fresh API token of theirs.
fn admin_token(data_dir: &Path, database_url: Option<&str>) -> String {
    let output = sitrep(data_dir, database_url)
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
    let output = sitrep(data_dir, database_url)
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
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends `request` and returns its JSON answer; fails the test unless it is a 2xx.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

/// Declares the incident the load is about; returns its key.
async fn declare(client: &reqwest::Client, base: &str) -> String {
    let declared = answer(
        client
            .post(format!("{base}/api/v1/incidents"))
            .json(&json!({"title": "Checkout failing", "severity": "P1"})),
    )
    .await;
    declared["key"].as_str().unwrap().to_owned()
}

/// Checks that each acknowledged post is stored once, at the seq its answer gave, and
/// nothing else was; returns the timeline's last seq.
async fn check_stored_once(
    client: &reqwest::Client,
    timeline_url: &str,
    acknowledged: &[(String, i64)],
) -> i64 {
    let timeline = answer(client.get(timeline_url)).await;
    let timeline = timeline.as_array().expect("a timeline is a list");
    let mut stored: HashMap<String, Vec<i64>> = HashMap::new();
    for entry in timeline {
        let body = entry["body"].as_str().unwrap_or_default();
        if body.starts_with("poster ") {
            stored
                .entry(body.to_owned())
                .or_default()
                .push(entry["seq"].as_i64().unwrap());
        }
    }
    for (body, seq) in acknowledged {
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
    timeline
        .iter()
        .map(|entry| entry["seq"].as_i64().unwrap())
        .max()
        .unwrap()
}

/// Viewers and posters on one incident, started and stopped together.
struct Load {
    viewers: Vec<tokio::task::JoinHandle<Vec<i64>>>,
    posters: Vec<tokio::task::JoinHandle<Vec<(String, i64)>>>,
    target: Arc<AtomicI64>,
    stop: Arc<AtomicBool>,
    retries: Arc<AtomicUsize>,
}

impl Load {
    /// `viewer_count()` viewers and `POSTERS` posters; `live(n)` and `timeline(n)` are the
    /// servers viewer or poster `n` uses, in the order it fails over.
    fn start(
        client: &reqwest::Client,
        token: &str,
        key: &str,
        live: impl Fn(usize) -> Vec<String>,
        timeline: impl Fn(usize) -> Vec<String>,
    ) -> Load {
        let target = Arc::new(AtomicI64::new(i64::MAX));
        let stop = Arc::new(AtomicBool::new(false));
        let retries = Arc::new(AtomicUsize::new(0));
        let viewers = (0..viewer_count())
            .map(|n| {
                tokio::spawn(viewer(
                    live(n),
                    token.to_owned(),
                    key.to_owned(),
                    target.clone(),
                ))
            })
            .collect();
        let posters = (0..POSTERS)
            .map(|writer| {
                tokio::spawn(poster(
                    client.clone(),
                    timeline(writer),
                    writer,
                    stop.clone(),
                    retries.clone(),
                ))
            })
            .collect();
        Load {
            viewers,
            posters,
            target,
            stop,
            retries,
        }
    }

    /// Stops the posters; every post acknowledged, with its seq.
    async fn stop_posting(&mut self) -> Vec<(String, i64)> {
        self.stop.store(true, Ordering::SeqCst);
        let mut acknowledged = Vec::new();
        for poster in self.posters.drain(..) {
            acknowledged.extend(poster.await.unwrap());
        }
        acknowledged
    }

    /// How many posts were sent again (after no answer or an error).
    fn retries(&self) -> usize {
        self.retries.load(Ordering::Relaxed)
    }

    /// Stops posting and checks the outcome: every acknowledged post stored once at its
    /// seq, some posts retried (`retried_because` says why they must have been), and
    /// every viewer gap-free. Returns (posts acknowledged, retried, last seq).
    async fn finish(
        mut self,
        client: &reqwest::Client,
        timeline_url: &str,
        retried_because: &str,
    ) -> (usize, usize, i64) {
        let acknowledged = self.stop_posting().await;
        let last_seq = check_stored_once(client, timeline_url, &acknowledged).await;
        let retried = self.retries();
        assert!(retried > 0, "{retried_because}");
        self.check_viewers_gap_free(last_seq).await;
        (acknowledged.len(), retried, last_seq)
    }

    /// Lets the viewers stop at `last_seq` and checks each saw every event once, in order.
    async fn check_viewers_gap_free(self, last_seq: i64) {
        self.target.store(last_seq, Ordering::SeqCst);
        for viewer in self.viewers {
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
    }
}

/// Follows the incident until it has seen `target`, reconnecting (and resuming after
/// the last seq it saw) whenever the connection drops, to the next of `urls` when
/// its server is gone. Returns every seq received.
async fn viewer(urls: Vec<String>, token: String, key: String, target: Arc<AtomicI64>) -> Vec<i64> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut seen = Vec::new();
    let mut last = 0;
    // After a drop, the next server in the list (a replica's viewers fail over).
    let mut at = 0;
    while last < target.load(Ordering::SeqCst) {
        let url = &urls[at % urls.len()];
        at += 1;
        let mut request = url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let Ok((mut socket, _)) = tokio_tungstenite::connect_async(request).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        at -= 1; // connected: stay on this server until it drops
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
/// key (on the next of `urls`) until an answer arrives. Returns (body, seq acknowledged) and the retry count.
async fn poster(
    client: reqwest::Client,
    urls: Vec<String>,
    writer: usize,
    stop: Arc<AtomicBool>,
    retries: Arc<AtomicUsize>,
) -> Vec<(String, i64)> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    // After a failure, the same key to the next server in the list.
    let mut at = 0;
    while !stop.load(Ordering::SeqCst) {
        let body = format!("poster {writer} entry {n}");
        let post = json!({"body": body, "idempotency_key": format!("faults-{writer}-{n}")});
        loop {
            let answer = async {
                let response = client
                    .post(&urls[at % urls.len()])
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
                    at += 1;
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
    let token = admin_token(data.path(), database_url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = common::http_client(Some(&token));

    let server = Server::start(data.path(), database_url, port).await;
    let key = declare(&client, &base).await;

    let timeline_url = format!("{base}/api/v1/incidents/{key}/timeline");
    let load = Load::start(
        &client,
        &token,
        &key,
        |_| vec![format!("ws://127.0.0.1:{port}/api/v1/live")],
        |_| vec![timeline_url.clone()],
    );

    tokio::time::sleep(load_time()).await;
    server.kill_9();
    let killed = Instant::now();
    // Down long enough that every poster meets it (one post each 40 ms).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let server = Server::start(data.path(), database_url, port).await;
    let down_for = killed.elapsed();
    tokio::time::sleep(load_time()).await;
    // Each acknowledged post is there once, at the seq its answer gave; nothing else;
    // and every viewer saw every event once, in order, across the kill.
    let (acknowledged, retried, last_seq) = load
        .finish(
            &client,
            &timeline_url,
            "some posts were retried across the kill",
        )
        .await;
    println!(
        "kill -9 ({}): {} posts acknowledged, {} retried across the kill, down {} ms, \
         {} viewers resumed to seq {last_seq} with no gap or repeat",
        backend.name(),
        acknowledged,
        retried,
        down_for.as_millis(),
        viewer_count()
    );
    drop(server);
}

/// A PostgreSQL cluster of this test's own (the shared one serves other tests), which
/// it stops and starts again. Stopped for good when dropped.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    fn start() -> OwnPostgres {
        let dir = tempfile::Builder::new()
            .prefix("sitrep-pg-restart")
            .tempdir()
            .unwrap();
        if running_as_root() {
            // initdb refuses root: the cluster belongs to the postgres user.
            let chowned = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chowned.success());
        }
        let cluster = OwnPostgres {
            dir,
            port: free_port(),
        };
        let data = cluster.dir.path().join("data");
        let output = cluster
            .tool("initdb")
            .arg("-D")
            .arg(&data)
            .args(["--auth=trust", "-U", "postgres", "-E", "UTF8"])
            .output()
            .unwrap();
        assert!(output.status.success(), "initdb: {output:?}");
        cluster.pg_ctl_start();
        cluster
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A server binary, run as the postgres user when the test runs as root.
    fn tool(&self, name: &str) -> Command {
        let path = pg_bindir().join(name);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let output = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .output()
            .unwrap();
        assert!(output.status.success(), "pg_ctl start: {output:?}");
    }

    /// Stops the cluster the way an operator's restart does: open sessions are ended.
    fn pg_ctl_stop(&self, mode: &str) -> bool {
        self.tool("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", mode, "-w", "stop"])
            .output()
            .is_ok_and(|output| output.status.success())
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        self.pg_ctl_stop("immediate");
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Where Debian keeps the PostgreSQL server binaries (outside PATH).
fn pg_bindir() -> std::path::PathBuf {
    std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|version| version.path().join("bin"))
        .find(|bin| bin.join("initdb").exists())
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".into())
}

/// GET `url` once, waiting at most `within`: the status, or `None` without an answer.
async fn status_of(url: &str, within: Duration) -> Option<u16> {
    let response = reqwest::Client::new()
        .get(url)
        .timeout(within)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

async fn postgres_restart() {
    let cluster = OwnPostgres::start();
    let database_url = cluster.url();
    let replicas = Replicas::start(&database_url, &[]).await;
    let bases = [replicas.base(0), replicas.base(1)];
    let client = common::http_client(Some(&replicas.token));
    let key = declare(&client, &bases[0]).await;

    // Viewers on both replicas; posters to both, so each replica's viewers depend on
    // notices from the other one (LISTEN) for half of the events.
    let load = Load::start(
        &client,
        &replicas.token,
        &key,
        |n| vec![replicas.live(n % 2)],
        |n| vec![replicas.api(n % 2, &format!("/incidents/{key}/timeline"))],
    );

    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(cluster.pg_ctl_stop("fast"), "PostgreSQL stopped");
    let stopped = Instant::now();
    // While it is down, both servers answer, and say so.
    for base in &bases {
        assert_eq!(
            status_of(&format!("{base}/healthz"), Duration::from_secs(2)).await,
            Some(200),
            "{base} stays up"
        );
        assert_eq!(
            status_of(&format!("{base}/readyz"), Duration::from_secs(4)).await,
            Some(503),
            "{base} is not ready without its database"
        );
    }
    let refused = client
        .post(replicas.api(1, &format!("/incidents/{key}/timeline")))
        .json(&json!({"body": "written while the database is down"}))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("a write is answered while the database is down");
    assert_eq!(refused.status().as_u16(), 503);
    let refusal: Value = refused.json().await.unwrap();
    assert_eq!(refusal["error"]["code"], "unavailable", "{refusal}");
    let message = refusal["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("database is unreachable") && message.contains("nothing was stored"),
        "{message}"
    );

    cluster.pg_ctl_start();
    let down_for = stopped.elapsed();
    let restarted = Instant::now();
    for base in &bases {
        let ready = format!("{base}/readyz");
        while status_of(&ready, Duration::from_secs(4)).await != Some(200) {
            assert!(
                restarted.elapsed() < Duration::from_secs(30),
                "{base} was ready again within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let ready_after = restarted.elapsed();
    // Posting on after the restart: events from each replica reach the other's viewers
    // only if both LISTEN again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let timeline_url = replicas.api(0, &format!("/incidents/{key}/timeline"));
    let (acknowledged, retried, last_seq) = load
        .finish(
            &client,
            &timeline_url,
            "some posts met the stopped database and were retried",
        )
        .await;
    println!(
        "PostgreSQL restart (2 replicas): {} posts acknowledged, {} retried, database down {} ms, \
         both ready {} ms after it started, {} viewers on the two replicas gap-free to seq {last_seq}",
        acknowledged,
        retried,
        down_for.as_millis(),
        ready_after.as_millis(),
        viewer_count()
    );
}

/// A small tmpfs holding the data dir, which the test fills and then grows.
/// Mounting needs root: `None` otherwise.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        if !running_as_root() {
            return None;
        }
        let disk = SmallDisk {
            dir: tempfile::tempdir().unwrap(),
        };
        disk.run_mount(&["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .then_some(disk)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `mount -o remount,<options>`, e.g. `size=…` to grow it.
    fn remount(&self, options: &str) {
        assert!(
            self.run_mount(&["-o", &format!("remount,{options}")]),
            "remount {options}"
        );
    }

    fn run_mount(&self, args: &[&str]) -> bool {
        Command::new("mount")
            .args(args)
            .arg(self.dir.path())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Posts `body` once; the status and the JSON answer.
async fn post_once(client: &reqwest::Client, url: &str, body: &str) -> (u16, Value) {
    let response = client
        .post(url)
        .json(&json!({ "body": body }))
        .timeout(Duration::from_secs(15))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Asserts a write was refused as unavailable, with `why` in its message.
fn assert_refused(answer: &(u16, Value), why: &str) {
    assert_eq!(answer.0, 503, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], "unavailable", "{}", answer.1);
    let message = answer.1["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(why) && message.contains("nothing was stored"),
        "{message}"
    );
}

async fn full_and_read_only_disk() {
    let Some(disk) = SmallDisk::mount("6m") else {
        println!("disk faults: skipped, mounting a small tmpfs needs root");
        return;
    };
    let token = admin_token(disk.path(), None);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server::start(disk.path(), None, port).await;
    let client = common::http_client(Some(&token));
    let key = declare(&client, &base).await;
    let timeline_url = format!("{base}/api/v1/incidents/{key}/timeline");

    // Fill the disk with 60 KB posts until one is refused.
    let filler = "x".repeat(60 * 1024);
    let mut acknowledged = Vec::new();
    let full = loop {
        let body = format!("poster 0 entry {} {filler}", acknowledged.len());
        let answer = post_once(&client, &timeline_url, &body).await;
        if answer.0 != 201 {
            break answer;
        }
        acknowledged.push((body, answer.1["seq"].as_i64().unwrap()));
        assert!(acknowledged.len() < 500, "the 6 MB disk never filled");
    };
    // SQLite says SQLITE_FULL, or an I/O error when the WAL cannot grow: both name the disk.
    assert_refused(&full, "disk");
    // Reads still work, and the refused post is nowhere.
    check_stored_once(&client, &timeline_url, &acknowledged).await;
    let filled_after = acknowledged.len();

    // Space returns: the next write goes through, no restart needed.
    disk.remount("size=64m");
    let body = format!("poster 0 entry {}", acknowledged.len());
    let answer = post_once(&client, &timeline_url, &body).await;
    assert_eq!(answer.0, 201, "a write after space returned: {}", answer.1);
    acknowledged.push((body, answer.1["seq"].as_i64().unwrap()));

    // Nothing half-written: a restart on the same file finds every acknowledged post,
    // and SQLite's own check passes.
    drop(server);
    let output = sitrep(disk.path(), None)
        .args(["backup", "--to"])
        .arg(disk.path().join("check.db"))
        .output()
        .unwrap();
    assert!(output.status.success(), "the database is whole: {output:?}");
    let _server = Server::start(disk.path(), None, port).await;
    check_stored_once(&client, &timeline_url, &acknowledged).await;
    println!(
        "disk faults (SQLite): full after {filled_after} posts of 60 KB on a 6 MB disk, refused with 503; \
         writes accepted again once the disk grew; {} posts intact after a restart",
        acknowledged.len()
    );
}

async fn replica_killed() {
    let database_url = common::fresh_postgres_database().await;
    let replicas = Replicas::start(&database_url, &[]).await;
    let client = common::http_client(Some(&replicas.token));
    let key = declare(&client, &replicas.base(0)).await;

    // Half the viewers and posters on each replica; each falls over to the other.
    let live = |n: usize| replicas.live(n % 2);
    let timeline = |n: usize| replicas.api(n % 2, &format!("/incidents/{key}/timeline"));
    let load = Load::start(
        &client,
        &replicas.token,
        &key,
        |n| vec![live(n), live(n + 1)],
        |n| vec![timeline(n), timeline(n + 1)],
    );
    let timeline_url = timeline(0);

    tokio::time::sleep(Duration::from_secs(1)).await;
    replicas.kill_9(1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (acknowledged, retried, last_seq) = load
        .finish(
            &client,
            &timeline_url,
            "the killed replica's posters failed over",
        )
        .await;
    println!(
        "replica killed (2 on PostgreSQL): {} posts acknowledged, {} retried on the survivor, \
         {} viewers (half failed over) gap-free to seq {last_seq}",
        acknowledged,
        retried,
        viewer_count()
    );
}

/// Incidents declared in the outbox scenario; each notifies the lead by email and the
/// team's channel by webhook.
const NOTIFIED: usize = 30;

/// The value of `name` among a mail's headers.
fn mail_header(mail: &common::peers::ReceivedMail, name: &str) -> Option<String> {
    mail.data
        .lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(|value| value.trim().to_owned())
}

async fn outbox_across_a_kill() {
    let database_url = common::fresh_postgres_database().await;
    // A mail server that takes 100 ms per mail: the kill lands while mails are in flight.
    let smtp = common::peers::SmtpSink::start_slow(Duration::from_millis(100)).await;
    let channel = common::peers::WebhookReceiver::start(0).await;
    let options = [
        format!("--smtp-url={}", smtp.url()),
        "--delivery-lease=2".to_owned(),
        "--retry-base-ms=200".to_owned(),
    ];
    let replicas = Replicas::start(&database_url, &options).await;
    let client = common::http_client(Some(&replicas.token));
    let api = |n: usize, path: &str| replicas.api(n, path);
    let created = |response: reqwest::Response| {
        assert_eq!(response.status(), 201, "{response:?}");
    };
    created(
        client
            .post(api(0, "/teams"))
            .json(&json!({"slug": "payments", "name": "Payments", "lead_email": "dana.lee@example.com",
                          "lead_name": "Dana Lee", "notify_webhook_url": channel.url()}))
            .send()
            .await
            .unwrap(),
    );
    created(
        client
            .post(api(0, "/systems"))
            .json(&json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}))
            .send()
            .await
            .unwrap(),
    );
    let mut keys = Vec::new();
    for n in 0..NOTIFIED {
        let declared = answer(
            client
                .post(api(n % 2, "/incidents"))
                .json(&json!({"title": format!("Refunds stuck {n}"), "severity": "P2", "systems": ["payments-api"]})),
        )
        .await;
        keys.push(declared["key"].as_str().unwrap().to_owned());
    }

    // Both outboxes are sending; A dies with mails in flight and deliveries claimed.
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.received().len() < 3 {
        assert!(Instant::now() < deadline, "no mail within 20 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    replicas.kill_9(0);
    let killed_after = smtp.received().len();

    // The survivor delivers everything, A's claims once their lease has passed.
    let deadline = Instant::now() + Duration::from_secs(60);
    for key in &keys {
        loop {
            let body = answer(client.get(api(1, &format!("/incidents/{key}/notifications")))).await;
            let statuses: Vec<Value> = body["notifications"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|n| n["deliveries"].as_array().unwrap().iter())
                .map(|d| d["status"].clone())
                .collect();
            assert_eq!(
                statuses.len(),
                2,
                "an email and a webhook for {key}: {body}"
            );
            if statuses.iter().all(|s| s == "delivered") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{key} still undelivered after 60 s: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // Each delivery reached its peer under one key; a repeat is one the killed replica
    // had sent but not yet marked, sent again under the same key.
    let mails = smtp.received();
    let mut mail_keys: HashMap<String, Vec<String>> = HashMap::new();
    for mail in &mails {
        let key =
            mail_header(mail, "Message-ID").expect("every notification mail has a Message-ID");
        let subject = mail_header(mail, "Subject").unwrap_or_default();
        mail_keys.entry(key).or_default().push(subject);
    }
    assert_eq!(mail_keys.len(), NOTIFIED, "one key per notification mail");
    for (key, subjects) in &mail_keys {
        assert!(
            subjects.windows(2).all(|w| w[0] == w[1]),
            "{key}: one key, one mail: {subjects:?}"
        );
    }
    let requests = channel.requests();
    let mut hook_keys: HashMap<String, usize> = HashMap::new();
    for request in &requests {
        let key = request.headers["idempotency-key"]
            .to_str()
            .unwrap()
            .to_owned();
        *hook_keys.entry(key).or_default() += 1;
    }
    assert_eq!(hook_keys.len(), NOTIFIED, "one key per channel message");
    let repeats = mails.len() + requests.len() - 2 * NOTIFIED;
    // A replica claims at most one batch (20) at a time.
    assert!(repeats <= 20, "{repeats} deliveries sent again");
    println!(
        "outbox across a replica kill (2 on PostgreSQL): {NOTIFIED} incidents, {} mails and {} \
         channel posts for {} keys each; the killed replica died after {killed_after} mails; \
         {repeats} sent again by the survivor under the same key; every delivery marked delivered",
        mails.len(),
        requests.len(),
        NOTIFIED,
    );
}

/// Incidents in the due-items scenario; item `n` falls due `DUE_FROM + n * DUE_EVERY`
/// after the start, and the kill lands at `KILL_AT`, halfway.
const DUE_INCIDENTS: usize = 16;
const DUE_FROM: Duration = Duration::from_secs(3);
const DUE_EVERY: Duration = Duration::from_millis(400);
const KILL_AT: Duration = Duration::from_millis(6200);

/// The SLA entries of a timeline, as (account, clock, to).
fn sla_changes(timeline: &[Value]) -> Vec<(String, String, String)> {
    timeline
        .iter()
        .filter(|e| e["kind"] == "sla")
        .map(|e| {
            let text = |f: &str| e[f].as_str().unwrap_or_default().to_owned();
            (text("account"), text("clock"), text("to"))
        })
        .collect()
}

/// Each time an incident's customer update fell due, from its event log: the due time.
async fn updates_fired(
    live_url: &str,
    token: &str,
    key: &str,
) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut live = common::Live::connect(live_url, token).await;
    let (events, _) = live.subscribe(key, 0).await;
    events
        .iter()
        .filter(|e| e["kind"] == "comms.update_due")
        .map(|e| e["payload"]["due_at"].as_str().unwrap().parse().unwrap())
        .collect()
}

async fn due_items_across_a_kill() {
    let database_url = common::fresh_postgres_database().await;
    let smtp = common::peers::SmtpSink::start().await;
    let replicas = Replicas::start(&database_url, &[format!("--smtp-url={}", smtp.url())]).await;
    let api = |n: usize, path: &str| replicas.api(n, path);
    let client = common::http_client(Some(&replicas.token));
    for (path, body) in [
        (
            "/teams",
            json!({"slug": "payments", "name": "Payments", "lead_email": "dana.lee@example.com", "lead_name": "Dana Lee"}),
        ),
        (
            "/systems",
            json!({"slug": "payments-api", "name": "Payments API", "team": "payments"}),
        ),
        (
            "/accounts",
            json!({"slug": "acme", "name": "Acme Corp", "tier": "enterprise",
                             "csm_email": "priya@example.com", "csm_name": "Priya Raman",
                             "contact_emails": ["ops@acme.example"]}),
        ),
    ] {
        answer(client.post(api(0, path)).json(&body)).await;
    }

    // P1s for an enterprise account (4 h resolution, at risk from 3 h) declared late,
    // each started so that its resolution clock turns at risk a few seconds from now,
    // with CS's next customer update set for the same moment; declared and scheduled
    // on both replicas in turn. (Their 15 min response clocks are breached at once.)
    let start = Instant::now();
    let now = chrono::Utc::now();
    let (mut keys, mut set_for) = (Vec::new(), Vec::new());
    for n in 0..DUE_INCIDENTS {
        let due = now + chrono::Duration::from_std(DUE_FROM + DUE_EVERY * n as u32).unwrap();
        // Stored to the millisecond.
        let due = chrono::DateTime::from_timestamp_millis(due.timestamp_millis()).unwrap();
        let declared = answer(client.post(api(n % 2, "/incidents")).json(&json!({
            "title": format!("Card payments declined {n}"), "severity": "P1",
            "systems": ["payments-api"], "accounts": ["acme"],
            "started_at": due - chrono::Duration::hours(3),
        })))
        .await;
        let key = declared["key"].as_str().unwrap().to_owned();
        answer(
            client
                .patch(api(n % 2, &format!("/incidents/{key}/comms/schedule")))
                .json(&json!({"next_due_at": due})),
        )
        .await;
        keys.push(key);
        set_for.push(due);
    }
    assert!(
        start.elapsed() < DUE_FROM,
        "declared before the first item fell due"
    );

    // Replica 0 dies halfway through: its engine and scheduler may hold items in hand.
    tokio::time::sleep(KILL_AT.saturating_sub(start.elapsed())).await;
    let timelines = |n: usize| {
        let client = client.clone();
        let urls: Vec<String> = keys
            .iter()
            .map(|key| api(n, &format!("/incidents/{key}/timeline")))
            .collect();
        async move {
            let mut all = Vec::new();
            for url in urls {
                let timeline = answer(client.get(url));
                all.push(
                    timeline
                        .await
                        .as_array()
                        .expect("a timeline is a list")
                        .clone(),
                );
            }
            all
        }
    };
    let at_risk = |timeline: &Vec<Value>| {
        sla_changes(timeline)
            .iter()
            .any(|(_, clock, to)| clock == "resolution" && to == "at_risk")
    };
    let before_kill = timelines(1).await.iter().filter(|t| at_risk(t)).count();
    replicas.kill_9(0);

    // The survivor announces and fires the rest.
    let survivor_live = replicas.live(1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut fired = vec![false; DUE_INCIDENTS];
    loop {
        let all = timelines(1).await;
        for (n, key) in keys.iter().enumerate() {
            let fired_at = updates_fired(&survivor_live, &replicas.token, key).await;
            fired[n] = fired_at.contains(&set_for[n]);
        }
        if all.iter().all(at_risk) && fired.iter().all(|f| *f) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not everything due was fired 30 s after the kill: at risk {:?}, updates fired {fired:?}",
            all.iter().map(at_risk).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let settled = start.elapsed();

    // A moment more, in case anything were to fire twice; then each was once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let all = timelines(1).await;
    for (n, key) in keys.iter().enumerate() {
        let changes = sla_changes(&all[n]);
        let mut distinct = changes.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            changes.len(),
            "{key}: an SLA change announced twice: {changes:?}"
        );
        for clock in ["response", "resolution"] {
            assert!(
                changes
                    .iter()
                    .any(|(account, c, _)| account == "acme" && c == clock),
                "{key}: no {clock} change announced: {changes:?}"
            );
        }
        // Two due times: the default one (30 min after a start 3 h ago: overdue at
        // once, drafting the update) and CS's; each fired once, the second finding
        // the first's draft still open.
        let fired_at = updates_fired(&survivor_live, &replicas.token, key).await;
        let mut distinct = fired_at.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            fired_at.len(),
            "{key}: a due time fired twice: {fired_at:?}"
        );
        assert!(
            fired_at.contains(&set_for[n]),
            "{key}: CS's time fired: {fired_at:?}"
        );
        let messages = answer(client.get(api(1, &format!("/incidents/{key}/messages")))).await;
        let drafted = messages.as_array().map_or(0, Vec::len);
        assert_eq!(drafted, 1, "{key}: one draft for the update: {messages}");
        let notifications =
            answer(client.get(api(1, &format!("/incidents/{key}/notifications")))).await;
        let mut alerts: Vec<String> = notifications["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["reason"].as_str().unwrap().starts_with("SLA "))
            .map(|n| format!("{} {}", n["recipient"], n["reason"]))
            .collect();
        let queued = alerts.len();
        alerts.sort();
        alerts.dedup();
        assert!(queued > 0, "{key}: the SLA changes alerted someone");
        assert_eq!(
            alerts.len(),
            queued,
            "{key}: an SLA alert queued twice: {alerts:?}"
        );
    }
    println!(
        "SLA and schedule across a replica kill (2 on PostgreSQL): {DUE_INCIDENTS} incidents, each with \
         a resolution clock turning at risk and a customer update due between {} and {} ms; \
         {before_kill} at risk before the kill at {} ms, the rest announced by the survivor by {} ms; \
         each SLA change, alert and due update once",
        DUE_FROM.as_millis(),
        (DUE_FROM + DUE_EVERY * (DUE_INCIDENTS as u32 - 1)).as_millis(),
        KILL_AT.as_millis(),
        settled.as_millis(),
    );
}
