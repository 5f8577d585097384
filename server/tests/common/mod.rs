//! Test harness: starts the real server on 127.0.0.1:0 with a fresh database.
#![allow(dead_code)] // each test crate uses a different part of the harness

use serde_json::Value;
use server::config::{Config, LogFormat};
use sqlx::{Connection, Executor};
use std::net::SocketAddr;
use tempfile::TempDir;
use tokio::sync::oneshot;

pub mod peers;

/// The first-run setup token every test server is started with.
pub const SETUP_TOKEN: &str = "test-setup-token-0123456789";

/// The token test servers serve /metrics to.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

/// The admin every test server is set up with (unless `Options::anonymous`); the
/// default client acts as this admin through an API token.
pub const ADMIN_EMAIL: &str = "ada@example.com";
pub const ADMIN_NAME: &str = "Ada Admin";
pub const ADMIN_PASSWORD: &str = "test-admin-password-1";
/// The demo's admin (`Options::demo`).
const DEMO_ADMIN: (&str, &str) = ("ada.admin@example.com", "demo-admin-password");

/// Which database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Names the server cluster the PostgreSQL tests create their databases in.
pub const POSTGRES_URL_VAR: &str = "SITREP_TEST_POSTGRES_URL";

/// Settings a test may change.
#[derive(Debug, Clone)]
pub struct Options {
    pub smtp_url: Option<String>,
    /// First retry wait; small so retry tests finish quickly.
    pub retry_base_ms: u64,
    pub demo: bool,
    /// `None`: derived from the (https) public URL, i.e. Secure.
    pub secure_cookies: Option<bool>,
    /// Time the server sees; the real clock when absent.
    pub clock: Option<std::sync::Arc<app::clock::ManualClock>>,
    /// Leave the instance without users (first run); `client` is then anonymous.
    pub anonymous: bool,
    /// How far a live viewer may fall behind before it is cut.
    pub live_queue: usize,
    /// Seconds a live viewer's socket may refuse frames before it is dropped.
    pub live_write_timeout: u64,
    /// Status page requests per second per address (0: unlimited).
    pub status_rate_limit: u32,
    /// The token /metrics is served to (`None`: the route is off).
    pub metrics_token: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            smtp_url: None,
            retry_base_ms: 50,
            demo: false,
            // Plain-HTTP test clients must get the cookie back.
            secure_cookies: Some(false),
            clock: None,
            anonymous: false,
            live_queue: app::live::hub::QUEUE_CAPACITY,
            live_write_timeout: app::live::hub::WRITE_TIMEOUT.as_secs(),
            // As served by default.
            status_rate_limit: 20,
            metrics_token: Some(METRICS_TOKEN.into()),
        }
    }
}

/// A running server with its own database, stopped when dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    /// Acts as the admin (bearer token), unless started `anonymous`.
    pub client: reqwest::Client,
    /// Sends no credentials: for sign-in flows and refusals.
    pub anon: reqwest::Client,
    admin_token: Option<String>,
    pub backend: Backend,
    shutdown: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    config: Config,
    data_dir: std::sync::Arc<TempDir>,
    clock: app::clock::SharedClock,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        // Server errors show in a failing test's output (captured otherwise).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_env("SITREP_TEST_LOG")
                    .unwrap_or_else(|_| "warn".into()),
            )
            .try_init();
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(fresh_postgres_database().await),
        };
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data_dir.path().to_path_buf(),
            database_url,
            site_root: data_dir.path().join("site"),
            public_url: Some("https://sitrep.example.com".into()),
            smtp_url: options.smtp_url,
            smtp_from: "Sitrep <sitrep@example.com>".into(),
            retry_base_ms: options.retry_base_ms,
            delivery_lease: 60,
            status_rate_limit: options.status_rate_limit,
            live_queue: options.live_queue,
            live_write_timeout: options.live_write_timeout,
            demo: options.demo,
            log_format: LogFormat::Text,
            secure_cookies: options.secure_cookies,
            setup_token: Some(SETUP_TOKEN.into()),
            metrics_token: options.metrics_token,
            command: None,
        };
        let clock: app::clock::SharedClock = match options.clock {
            Some(manual) => manual,
            None => std::sync::Arc::new(app::clock::SystemClock),
        };
        let demo = config.demo;
        let mut app =
            Self::start(backend, config, std::sync::Arc::new(data_dir), clock, None).await;
        if !options.anonymous {
            let token = app.admin_api_token(demo).await;
            app.client = http_client(Some(&token));
            app.admin_token = Some(token);
        }
        app
    }

    /// Signs in as the admin (completing first-run setup, or with the demo's admin)
    /// and creates an API token for the default client.
    async fn admin_api_token(&self, demo: bool) -> String {
        let response = if demo {
            let (email, password) = DEMO_ADMIN;
            self.anon
                .post(self.url("/api/v1/session"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .expect("demo sign-in")
        } else {
            self.anon
                .post(self.url("/api/fn/complete_setup"))
                .header("Accept", "application/json")
                .form(&[
                    ("token", SETUP_TOKEN),
                    ("email", ADMIN_EMAIL),
                    ("display_name", ADMIN_NAME),
                    ("password", ADMIN_PASSWORD),
                ])
                .send()
                .await
                .expect("first-run setup")
        };
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .unwrap_or_else(|| panic!("no session cookie from the admin's sign-in: {response:?}"))
            .to_owned();
        let (status, created) = {
            let response = self
                .anon
                .post(self.url("/api/v1/tokens"))
                .header("Cookie", cookie)
                .json(&serde_json::json!({"name": "test harness"}))
                .send()
                .await
                .expect("token request");
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        };
        assert_eq!(status, 201, "{created}");
        created["token"].as_str().unwrap().to_owned()
    }

    /// A client acting as a new user of `role` (through an API token), created
    /// with the operator tasks.
    pub fn client_as(&self, role: &str) -> reqwest::Client {
        self.client_named(role, &format!("A {role}"))
    }

    /// Like `client_as`, for a user with this display name.
    pub fn client_named(&self, role: &str, name: &str) -> reqwest::Client {
        http_client(Some(&self.token_for(role, name)))
    }

    /// An API token of a new user of `role` with this display name.
    pub fn token_for(&self, role: &str, name: &str) -> String {
        self.person(role, name).1
    }

    /// A new user of `role` with this display name: (email, API token), and a client
    /// acting as them.
    pub fn person(&self, role: &str, name: &str) -> (String, String, reqwest::Client) {
        let email = format!("{role}-{}@example.com", uuid_like());
        let (ok, output) = self.task(
            &[
                "user", "add", "--email", &email, "--name", name, "--role", role,
            ],
            "",
        );
        assert!(ok, "{output}");
        let (ok, output) = self.task(&["token", "create", "--user", &email, "--name", "test"], "");
        assert!(ok, "{output}");
        let token = output.lines().last().unwrap().trim().to_owned();
        let client = http_client(Some(&token));
        (email, token, client)
    }

    async fn start(
        backend: Backend,
        config: Config,
        data_dir: std::sync::Arc<TempDir>,
        clock: app::clock::SharedClock,
        admin_token: Option<String>,
    ) -> TestApp {
        let server = server::Server::build_with_clock(&config, clock.clone())
            .await
            .expect("server starts");
        assert_eq!(server.backend(), backend.name());
        let addr = server.local_addr();
        let (tx, rx) = oneshot::channel::<()>();
        let serving = tokio::spawn(server.serve(async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            client: http_client(admin_token.as_deref()),
            anon: http_client(None),
            admin_token,
            backend,
            shutdown: Some(tx),
            serving: Some(serving),
            config,
            data_dir,
            clock,
        }
    }

    /// Stops the server (as on SIGTERM) and starts a new one on the same database.
    pub async fn restart(mut self) -> TestApp {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(serving) = self.serving.take() {
            serving
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        self.replica().await
    }

    /// A second server (replica) on the same database, acting as the same admin.
    pub async fn replica(&self) -> TestApp {
        Self::start(
            self.backend,
            self.config.clone(),
            self.data_dir.clone(),
            self.clock.clone(),
            self.admin_token.clone(),
        )
        .await
    }

    /// A server on the embedded database in `data_dir` (one `sitrep restore` put
    /// there), acting as the same admin: the token is in the restored database.
    pub async fn on_data_dir(&self, data_dir: TempDir) -> TestApp {
        assert_eq!(
            self.backend,
            Backend::Sqlite,
            "a data dir holds SQLite only"
        );
        let mut config = self.config.clone();
        config.data_dir = data_dir.path().to_path_buf();
        config.site_root = data_dir.path().join("site");
        Self::start(
            self.backend,
            config,
            std::sync::Arc::new(data_dir),
            self.clock.clone(),
            self.admin_token.clone(),
        )
        .await
    }

    /// The folder of the embedded database and other local state.
    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    /// The database this server uses (for set-up the API cannot do yet).
    pub fn database_url(&self) -> String {
        self.config.effective_database_url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Calls a server function the way the hydrated app does (form-encoded in, JSON out).
    pub async fn call(&self, function: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(&format!("/api/fn/{function}")))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Calls the REST API; returns the status and the JSON body (or the text, as a
    /// JSON string, when the body is not JSON).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.api_as(&self.client, method, path, body).await
    }

    /// Calls the REST API as `client` (e.g. `anon`, or one from `client_as`).
    pub async fn api_as(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = client.request(method, self.url(&format!("/api/v1{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.api(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.api(reqwest::Method::PATCH, path, Some(body)).await
    }

    /// Posts a raw body with a content type to the REST API.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(&format!("/api/v1{path}")))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn timeline(&self, key: &str) -> Vec<Value> {
        let (status, entries) = self.get(&format!("/incidents/{key}/timeline")).await;
        assert_eq!(status, 200, "{entries}");
        entries.as_array().unwrap().clone()
    }

    /// Runs an operator task of the `sitrep` binary against this server's database,
    /// with `stdin` as its standard input; returns (succeeded, stdout + stderr).
    pub fn task(&self, args: &[&str], stdin: &str) -> (bool, String) {
        use std::io::Write;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_sitrep"))
            .arg("--database-url")
            .arg(self.database_url())
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("sitrep runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.success(), text)
    }

    /// Opens the live websocket as the holder of an API token.
    pub async fn live_as(&self, token: &str) -> Live {
        self.live(&[("authorization", &format!("Bearer {token}"))])
            .await
            .expect("live connection")
    }

    /// Opens the live websocket as the admin, with extra handshake headers.
    pub async fn live(
        &self,
        headers: &[(&str, &str)],
    ) -> Result<Live, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/api/v1/live", self.addr)
            .into_client_request()
            .unwrap();
        if let Some(token) = &self.admin_token {
            request
                .headers_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
        }
        for (name, value) in headers {
            request.headers_mut().insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        Live::open(request).await
    }

    /// Fetches a page's server-rendered HTML, without Leptos' hydration markers (`<!>`,
    /// empty comments: with `erase_components` every dynamic text has one), so tests
    /// read the markup a reader gets.
    pub async fn page(&self, path: &str) -> (u16, String) {
        let response = self.client.get(self.url(path)).send().await.expect("page");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap().replace("<!>", ""))
    }

    /// Scrapes `/metrics` with the metrics token: (content type, text).
    pub async fn metrics(&self) -> (String, String) {
        let response = self
            .anon
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the metrics scrape");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        (content_type, response.text().await.unwrap())
    }
}

/// An alert source's JSON delivery, signed the way `kind`'s vendor signs it with
/// `secret`: PagerDuty's and Grafana's HMAC headers (Grafana's timestamped now), the
/// others' bearer token.
pub fn signed_delivery(
    request: reqwest::RequestBuilder,
    kind: &str,
    secret: &str,
    body: &[u8],
) -> reqwest::RequestBuilder {
    use app::intake::verify::{grafana_signature, pagerduty_signature};
    let request = request
        .header("content-type", "application/json")
        .body(body.to_vec());
    match kind {
        "pagerduty" => request.header("x-pagerduty-signature", pagerduty_signature(secret, body)),
        "grafana" => {
            let now = chrono::Utc::now().timestamp();
            request
                .header(
                    "x-grafana-alerting-signature",
                    grafana_signature(secret, Some(now), body),
                )
                .header("x-grafana-alerting-timestamp", now.to_string())
        }
        _ => request.bearer_auth(secret),
    }
}

/// A client that follows no redirects (tests look at them) and, with a token,
/// sends it as a bearer credential on every request.
pub fn http_client(token: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        // A request that never answers fails its test instead of stalling the run.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Creates an empty database on the test cluster and returns its URL.
pub async fn fresh_postgres_database() -> String {
    let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: the PostgreSQL half of the suite needs a server. \
             `make test` starts a throwaway one; or point it at postgres://user@host:port/postgres"
        )
    });
    let name = format!("sitrep_test_{}", uuid_like());
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL at {admin_url}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL has a database path");
    format!("{base}/{name}")
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Runs each named `async fn(Backend)` once per backend, as `sqlite::name` and
/// `postgres::name`, so the output names the backend of every test.
#[macro_export]
macro_rules! for_each_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}

/// A live websocket connection, speaking JSON messages.
pub struct Live {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Live {
    /// Opens the live websocket at `url` (any server) as the holder of an API token.
    pub async fn connect(url: &str, token: &str) -> Live {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        Live::open(request).await.expect("live connection")
    }

    /// Connects and reads the server's hello.
    async fn open(
        request: tokio_tungstenite::tungstenite::handshake::client::Request,
    ) -> Result<Live, tokio_tungstenite::tungstenite::Error> {
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        let mut live = Live { socket };
        let hello = live.next().await.expect("hello");
        assert_eq!(hello["type"], "hello", "{hello}");
        Ok(live)
    }

    pub async fn send(&mut self, message: Value) {
        use futures_util::SinkExt;
        self.socket
            .send(tokio_tungstenite::tungstenite::Message::text(
                message.to_string(),
            ))
            .await
            .expect("sent");
    }

    /// The next JSON message (`None` once closed); close frames come back as
    /// `{"type": "close", "code", "reason"}`. Fails the test after 10 s of silence.
    pub async fn next(&mut self) -> Option<Value> {
        use futures_util::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let message =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.socket.next())
                    .await
                    .expect("a live message within 10 s")?;
            let message = match message {
                Ok(message) => message,
                Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed) => return None,
                Err(err) => {
                    return Some(serde_json::json!({"type": "broken", "error": err.to_string()}))
                }
            };
            match message {
                Message::Text(text) => return Some(serde_json::from_str(text.as_str()).unwrap()),
                Message::Close(frame) => {
                    return Some(serde_json::json!({
                        "type": "close",
                        "code": frame.as_ref().map(|f| u16::from(f.code)),
                        "reason": frame.as_ref().map(|f| f.reason.as_str().to_owned()),
                    }))
                }
                _ => continue,
            }
        }
    }

    /// Subscribes and collects the replay, up to the `subscribed` message.
    pub async fn subscribe(&mut self, incident: &str, after_seq: i64) -> (Vec<Value>, i64) {
        self.send(
            serde_json::json!({"type": "subscribe", "incident": incident, "after_seq": after_seq}),
        )
        .await;
        let mut replay = Vec::new();
        loop {
            let message = self.next().await.expect("subscription answered");
            match message["type"].as_str() {
                Some("event") if message["incident"] == incident => replay.push(message),
                // Live events and viewers of incidents subscribed to before.
                Some("event") | Some("presence") => continue,
                Some("subscribed") => return (replay, message["seq"].as_i64().unwrap()),
                _ => panic!("unexpected while subscribing: {message}"),
            }
        }
    }

    /// The next presence message: the names of everyone viewing, with their roles.
    pub async fn presence(&mut self) -> Vec<String> {
        loop {
            let message = self.next().await.expect("connection open");
            if message["type"] == "presence" {
                return message["viewers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| {
                        format!(
                            "{} ({})",
                            v["name"].as_str().unwrap(),
                            v["role"].as_str().unwrap()
                        )
                    })
                    .collect();
            }
        }
    }

    /// Live events until one with `seq` arrives (inclusive).
    pub async fn events_until(&mut self, seq: i64) -> Vec<Value> {
        let mut events = Vec::new();
        while events.last().and_then(|e: &Value| e["seq"].as_i64()) != Some(seq) {
            let message = self.next().await.expect("connection open");
            if message["type"] == "presence" {
                continue; // who is viewing: not an event
            }
            assert_eq!(message["type"], "event", "{message}");
            events.push(message);
        }
        events
    }
}
