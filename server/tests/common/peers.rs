//! Real protocol peers on loopback for delivery tests: an SMTP sink and an HTTP
//! receiver that can be told to fail its first requests.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One email as the sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl ReceivedMail {
    /// The message as a reader sees it: folded header lines joined, and a
    /// quoted-printable body decoded.
    #[allow(dead_code)] // not every test binary reads mail bodies
    pub fn readable(&self) -> String {
        let (head, body) = self.data.split_once("\n\n").unwrap_or((&self.data, ""));
        let head = head.replace("\n ", " ").replace("\n\t", " ");
        let body = if head
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: quoted-printable")
        {
            let decoded = quoted_printable::decode(
                body.replace('\n', "\r\n"),
                quoted_printable::ParseMode::Robust,
            )
            .unwrap_or_else(|e| panic!("bad quoted-printable body: {e}"));
            String::from_utf8_lossy(&decoded).replace("\r\n", "\n")
        } else {
            body.to_owned()
        };
        format!("{head}\n\n{body}")
    }
}

/// A minimal SMTP server (RFC 5321 happy path) that keeps what it receives.
pub struct SmtpSink {
    pub addr: SocketAddr,
    pub mails: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        SmtpSink::start_slow(std::time::Duration::ZERO).await
    }

    /// A sink that takes `delay` to accept each mail, as a loaded mail server does.
    pub async fn start_slow(delay: std::time::Duration) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = serve_smtp(stream, store, delay).await;
                });
            }
        });
        SmtpSink { addr, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mails.lock().unwrap().clone()
    }
}

async fn serve_smtp(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<ReceivedMail>>>,
    delay: std::time::Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink.test ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            write
                .write_all(b"250-sink.test\r\n250 8BITMIME\r\n")
                .await?;
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().to_owned();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().to_owned());
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            tokio::time::sleep(delay).await;
            store.lock().unwrap().push(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            write.write_all(b"250 OK queued\r\n").await?;
        } else if upper == "QUIT" {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            write.write_all(b"250 OK\r\n").await?;
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
    Ok(())
}

/// A request the receiver accepted, as it arrived.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

#[derive(Clone)]
struct ReceiverState {
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    requests: Arc<Mutex<Vec<ReceivedRequest>>>,
    failures_left: Arc<Mutex<u32>>,
    attempts: Arc<Mutex<u32>>,
}

/// An HTTP endpoint like a Slack incoming webhook: answers 500 to its first
/// `failures` requests, then 200, and keeps the bodies it accepted.
pub struct WebhookReceiver {
    pub addr: SocketAddr,
    state: ReceiverState,
}

impl WebhookReceiver {
    pub async fn start(failures: u32) -> WebhookReceiver {
        let state = ReceiverState {
            bodies: Arc::default(),
            requests: Arc::default(),
            failures_left: Arc::new(Mutex::new(failures)),
            attempts: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        WebhookReceiver { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn accepted(&self) -> Vec<serde_json::Value> {
        self.state.bodies.lock().unwrap().clone()
    }

    /// The accepted requests with their headers and raw bodies.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn attempts(&self) -> u32 {
        *self.state.attempts.lock().unwrap()
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: axum::http::HeaderMap,
    body: String,
) -> StatusCode {
    *state.attempts.lock().unwrap() += 1;
    let mut failures_left = state.failures_left.lock().unwrap();
    if *failures_left > 0 {
        *failures_left -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    state.requests.lock().unwrap().push(ReceivedRequest {
        headers,
        body: body.clone(),
    });
    state
        .bodies
        .lock()
        .unwrap()
        .push(serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body)));
    StatusCode::OK
}
