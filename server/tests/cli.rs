//! The engineer's commands (`sitrep login`, `declare`, `post`, `status`, `ls`,
//! `tail`), run as the real binary against a live server: what they print, their
//! exit codes, and `tail` following through a dropped connection without losing or
//! repeating an entry.

mod common;

use common::{Backend, TestApp};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_engineer_declares_posts_and_moves_status_from_the_terminal() {
        super::an_engineer_declares_posts_and_moves_status_from_the_terminal().await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failures_are_told_apart_by_exit_code() {
        super::failures_are_told_apart_by_exit_code().await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tail_follows_through_a_dropped_connection() {
        super::tail_follows_through_a_dropped_connection().await
    }
}

/// `sitrep ARGS…` with its sign-in kept in `config`; (exit code, stdout, stderr).
fn sitrep(config: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .env("SITREP_CLI_CONFIG", config)
        .env_remove("SITREP_URL")
        .env_remove("SITREP_TOKEN")
        .args(args)
        .output()
        .expect("sitrep runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Signs a new engineer in; returns the sign-in file.
fn signed_in(app: &TestApp, dir: &Path, url: &str) -> std::path::PathBuf {
    let config = dir.join("cli.json");
    let token = app.token_for("engineer", "Dana Lee");
    let (code, out, err) = sitrep(&config, &["login", "--url", url, "--token", &token]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.starts_with(&format!("signed in to {url} as Dana Lee (engineer)")),
        "{out}"
    );
    config
}

async fn an_engineer_declares_posts_and_moves_status_from_the_terminal() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let config = signed_in(&app, dir.path(), &app.url(""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is the owner's alone");
    }

    let (code, out, err) = sitrep(
        &config,
        &[
            "declare",
            "--title",
            "Checkout failing for Acme",
            "--severity",
            "P1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("declared INC-1 · P1 · investigating"),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}/incidents/INC-1", app.url(""))),
        "{out}"
    );

    let (code, out, err) = sitrep(&config, &["post", "inc-1", "Rolled back the 14:05 deploy"]);
    assert_eq!(
        (code, out.trim()),
        (0, "posted #2 to INC-1 (update)"),
        "{err}"
    );
    let (code, out, _) = sitrep(
        &config,
        &["post", "1", "Pool exhausted", "--kind", "finding", "--json"],
    );
    assert_eq!(code, 0);
    let entry: Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(entry["kind"], "finding", "{entry}");
    let (code, out, _) = sitrep(&config, &["status", "INC-1", "monitoring"]);
    assert_eq!((code, out.trim()), (0, "INC-1 is now monitoring"));

    // All of it is the engineer's, on the incident's timeline.
    let timeline = app.timeline("INC-1").await;
    let posted: Vec<(&str, &str)> = timeline
        .iter()
        .skip(1)
        .map(|e| (e["author"].as_str().unwrap(), e["body"].as_str().unwrap()))
        .collect();
    assert_eq!(posted[0], ("Dana Lee", "Rolled back the 14:05 deploy"));
    assert_eq!(posted[1], ("Dana Lee", "Pool exhausted"));
    let (_, incident) = app.get("/incidents/INC-1").await;
    assert_eq!(incident["status"], "monitoring");

    // ls: two short lines per incident, narrow enough for a phone.
    let (status, _) = app
        .post(
            "/incidents",
            serde_json::json!({"title": "Search slow", "severity": "P3"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .patch(
            "/incidents/INC-2",
            serde_json::json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(status, 200);
    let (code, out, _) = sitrep(&config, &["ls"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert!(lines[0].starts_with("INC-2 P3 resolved · began "), "{out}");
    assert_eq!(lines[3], "  Checkout failing for Acme");
    assert!(lines.iter().all(|l| l.chars().count() <= 48), "{out}");
    let (code, out, _) = sitrep(&config, &["ls", "--open", "--json"]);
    assert_eq!(code, 0);
    let open: Vec<Value> = serde_json::from_str(&out).unwrap();
    let keys: Vec<&str> = open.iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["INC-1"]);
}

async fn failures_are_told_apart_by_exit_code() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();

    // 3: not signed in, or a token the server does not take.
    let nowhere = dir.path().join("none.json");
    let (code, _, err) = sitrep(&nowhere, &["ls"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("not signed in: run `sitrep login"), "{err}");
    let (code, _, err) = sitrep(
        &nowhere,
        &["login", "--url", &app.url(""), "--token", "nope"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("did not accept the token"), "{err}");
    assert!(!nowhere.exists(), "a refused token is not saved");

    // 1: the server refused; its reason is printed.
    let config = signed_in(&app, dir.path(), &app.url(""));
    let (code, _, err) = sitrep(&config, &["post", "INC-99", "hello"]);
    assert_eq!(code, 1);
    assert!(err.contains("INC-99 not found"), "{err}");
    let (code, _, err) = sitrep(&config, &["declare", "--title", "", "--severity", "P7"]);
    assert_eq!(code, 1);
    assert!(err.contains("title") && err.contains("severity"), "{err}");
    let viewer = dir.path().join("viewer.json");
    let token = app.token_for("viewer", "Vic Viewer");
    let (code, _, _) = sitrep(
        &viewer,
        &["login", "--url", &app.url(""), "--token", &token],
    );
    assert_eq!(code, 0);
    let (code, _, err) = sitrep(&viewer, &["declare", "--title", "x", "--severity", "P3"]);
    assert_eq!(code, 1);
    assert!(err.contains("declare"), "names what is not allowed: {err}");

    // 4: nothing answers there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (code, _, err) = sitrep(&config, &["login", "--url", &url, "--token", "x"]);
    assert_eq!(code, 4, "{err}");
    assert!(err.contains(&format!("cannot reach {url}")), "{err}");

    // 2: a mistyped command (clap's usage error).
    let (code, _, _) = sitrep(&config, &["post"]);
    assert_eq!(code, 2);
}

/// Stops the tail process even when the test fails half-way.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.to_string()).status();
    }
}

/// A TCP relay to the server whose open connections the test can cut at once.
struct Relay {
    addr: std::net::SocketAddr,
    open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn to(target: std::net::SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let connections = open.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let relay = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                connections.lock().unwrap().push(relay);
            }
        });
        Relay { addr, open }
    }

    /// Drops every connection through the relay, as a lost network would.
    fn cut(&self) {
        for connection in self.open.lock().unwrap().drain(..) {
            connection.abort();
        }
    }
}

async fn tail_follows_through_a_dropped_connection() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let relay = Relay::to(app.addr).await;
    let dir = tempfile::tempdir().unwrap();
    let config = signed_in(&app, dir.path(), &format!("http://{}", relay.addr));
    let (code, _, err) = sitrep(
        &config,
        &["declare", "--title", "Checkout failing", "--severity", "P1"],
    );
    assert_eq!(code, 0, "{err}");
    let post = |text: &'static str| {
        let app = &app;
        async move {
            let (status, entry) = app
                .post(
                    "/incidents/INC-1/timeline",
                    serde_json::json!({ "body": text }),
                )
                .await;
            assert_eq!(status, 201, "{entry}");
        }
    };
    post("before tail").await;

    let mut tail = Command::new(env!("CARGO_BIN_EXE_sitrep"))
        .env("SITREP_CLI_CONFIG", &config)
        .args(["tail", "INC-1", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _stop = KillOnDrop(tail.id());
    // Its lines, as they come, read on a thread of their own.
    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    let stdout = tail.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    let mut bodies = Vec::new();
    let mut seqs = Vec::new();
    let mut read_until = async |body: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let line = tokio::time::timeout_at(deadline.into(), lines.recv())
                .await
                .unwrap_or_else(|_| panic!("{body:?} not shown; saw {bodies:?}"))
                .expect("tail still running");
            let entry: Value = serde_json::from_str(&line).unwrap();
            seqs.push(entry["seq"].as_i64().unwrap());
            bodies.push(entry["body"].as_str().unwrap().to_owned());
            if entry["body"] == body {
                return;
            }
        }
    };
    read_until("before tail").await;
    post("while following").await;
    read_until("while following").await;

    relay.cut();
    post("while cut off").await;
    post("after the cut").await;
    read_until("after the cut").await;

    assert_eq!(
        bodies,
        [
            "",
            "before tail",
            "while following",
            "while cut off",
            "after the cut"
        ],
        "every entry once, in order"
    );
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    tail.kill().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut tail.stderr.take().unwrap(), &mut err).unwrap();
    tail.wait().unwrap();
    assert!(
        err.contains("connection lost"),
        "the drop was noticed: {err}"
    );
}
