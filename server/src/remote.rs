//! The engineer's commands, run from any terminal against a running Sitrep:
//! `sitrep login`, `declare`, `post`, `status`, `ls` and `tail`. They speak the REST
//! API and the live websocket with an API token, like any other client; nothing here
//! opens the database. Output is short lines for a phone's terminal, or JSON with
//! `--json`; the exit code says what kind of failure it was (see `Failure`).

use crate::config::RemoteCommand;
use app::identity::model::User;
use app::incidents::model::Incident;
use app::live::model::{ClientMessage, ServerMessage};
use app::timeline::model::{EntryKind, TimelineEntry};
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// Why a command failed, and the exit code that says so to scripts.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// 1: the server refused the request (unknown incident, invalid input, not allowed).
    #[error("{0}")]
    Refused(String),
    /// 3: no saved sign-in, or the server does not accept the token.
    #[error("{0}")]
    NotSignedIn(String),
    /// 4: the server could not be reached, or failed.
    #[error("{0}")]
    Unavailable(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Refused(_) => 1,
            Failure::NotSignedIn(_) => 3,
            Failure::Unavailable(_) => 4,
        }
    }
}

/// Where `login` keeps the server and token (mode 0600).
#[derive(Debug, Serialize, Deserialize)]
struct SignIn {
    url: String,
    token: String,
}

/// `SITREP_CLI_CONFIG`, else `$XDG_CONFIG_HOME/sitrep/cli.json`, else
/// `~/.config/sitrep/cli.json`.
fn sign_in_file() -> PathBuf {
    if let Some(path) = std::env::var_os("SITREP_CLI_CONFIG") {
        return PathBuf::from(path);
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    config.join("sitrep").join("cli.json")
}

/// The saved sign-in; `SITREP_URL` and `SITREP_TOKEN` together take its place (CI).
fn saved_sign_in() -> Result<SignIn, Failure> {
    if let (Ok(url), Ok(token)) = (std::env::var("SITREP_URL"), std::env::var("SITREP_TOKEN")) {
        return Ok(SignIn { url, token });
    }
    let path = sign_in_file();
    let text = std::fs::read_to_string(&path).map_err(|_| {
        Failure::NotSignedIn(format!(
            "not signed in: run `sitrep login --url URL --token TOKEN` (or set SITREP_URL and \
             SITREP_TOKEN); looked in {}",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).map_err(|err| {
        Failure::NotSignedIn(format!(
            "{} is not a saved sign-in ({err}): run `sitrep login` again",
            path.display()
        ))
    })
}

/// The REST API of one server, as the holder of one token.
struct Api {
    url: String,
    token: String,
    http: reqwest::Client,
}

impl Api {
    fn new(sign_in: SignIn) -> Result<Api, Failure> {
        let url = sign_in.url.trim_end_matches('/').to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Failure::Refused(format!(
                "{url} is not a server address: give it as http://host:port or https://host"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|err| Failure::Unavailable(err.to_string()))?;
        Ok(Api {
            url,
            token: sign_in.token,
            http,
        })
    }

    /// Calls `/api/v1{path}`; the JSON answer, or the failure the answer means.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut request = self
            .http
            .request(method, format!("{}/api/v1{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|err| {
            Failure::Unavailable(format!("cannot reach {}: {}", self.url, root_cause(&err)))
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            return Ok(value);
        }
        let message = refusal(&value, status);
        Err(match status {
            StatusCode::UNAUTHORIZED => Failure::NotSignedIn(format!(
                "{} did not accept the token (revoked, or never valid): run `sitrep login` \
                 with a valid one",
                self.url
            )),
            s if s.is_server_error() => Failure::Unavailable(format!("{}: {message}", self.url)),
            _ => Failure::Refused(message),
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let value = self.call(Method::GET, path, None).await?;
        decode(value)
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Failure> {
    serde_json::from_value(value).map_err(|err| {
        Failure::Unavailable(format!("the server's answer was not understood: {err}"))
    })
}

/// The API's error message (a refused field's problem is part of it).
fn refusal(body: &Value, status: StatusCode) -> String {
    body["error"]["message"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{status}"))
}

/// The innermost error: reqwest's outer one only says "error sending request".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Runs one command, printing as it goes.
pub async fn run(command: &RemoteCommand) -> Result<(), Failure> {
    match command {
        RemoteCommand::Login { url, token } => login(url, token).await,
        RemoteCommand::Declare {
            title,
            severity,
            system,
            account,
            description,
            json,
        } => {
            let api = Api::new(saved_sign_in()?)?;
            let body = json!({"title": title, "severity": severity, "systems": system,
                              "accounts": account, "description": description});
            let value = api.call(Method::POST, "/incidents", Some(body)).await?;
            let incident: Incident = decode(value.clone())?;
            if *json {
                print_json(&value);
            } else {
                println!(
                    "declared {} · {} · {}\n  {}\n  {}/incidents/{}",
                    incident.key,
                    incident.severity,
                    incident.status,
                    incident.title,
                    api.url,
                    incident.key
                );
            }
            Ok(())
        }
        RemoteCommand::Post {
            incident,
            text,
            kind,
            json,
        } => post(incident, text, kind, *json).await,
        RemoteCommand::Status {
            incident,
            status,
            reason,
            json,
        } => {
            let api = Api::new(saved_sign_in()?)?;
            let mut body = json!({ "status": status });
            if let Some(reason) = reason {
                body["reason"] = json!(reason);
            }
            let path = format!("/incidents/{}", key(incident));
            let value = api.call(Method::PATCH, &path, Some(body)).await?;
            let changed: Incident = decode(value.clone())?;
            if *json {
                print_json(&value);
            } else {
                println!("{} is now {}", changed.key, changed.status);
            }
            Ok(())
        }
        RemoteCommand::Ls { open, json } => ls(*open, *json).await,
        RemoteCommand::Tail { incident, json } => tail(&key(incident), *json).await,
    }
}

/// `inc-12` and `12` both name INC-12.
fn key(incident: &str) -> String {
    let upper = incident.trim().to_uppercase();
    if upper.chars().all(|c| c.is_ascii_digit()) && !upper.is_empty() {
        format!("INC-{upper}")
    } else {
        upper
    }
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

async fn login(url: &str, token: &str) -> Result<(), Failure> {
    let sign_in = SignIn {
        url: url.trim_end_matches('/').to_owned(),
        token: token.to_owned(),
    };
    let api = Api::new(SignIn {
        url: sign_in.url.clone(),
        token: sign_in.token.clone(),
    })?;
    let me: User = api.get("/me").await?;
    let path = sign_in_file();
    save_private(
        &path,
        &serde_json::to_string_pretty(&sign_in).unwrap_or_default(),
    )
    .map_err(|err| Failure::Refused(format!("cannot save {}: {err}", path.display())))?;
    println!(
        "signed in to {} as {} ({})\n  saved in {}",
        api.url,
        me.display_name,
        me.role,
        path.display()
    );
    Ok(())
}

/// Writes a file only its owner can read: it holds a token.
fn save_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

/// Posts with an idempotency key and tries again on a network failure or a server
/// error, so an answer lost on a bad connection never stores the entry twice.
async fn post(incident: &str, text: &str, kind: &str, json: bool) -> Result<(), Failure> {
    let api = Api::new(saved_sign_in()?)?;
    let path = format!("/incidents/{}/timeline", key(incident));
    let body = json!({"body": text, "kind": kind,
                      "idempotency_key": format!("cli-{}", uuid::Uuid::new_v4())});
    let mut wait = Duration::from_millis(500);
    let mut attempt = 1;
    let value = loop {
        match api.call(Method::POST, &path, Some(body.clone())).await {
            Err(Failure::Unavailable(why)) if attempt < 4 => {
                eprintln!("{why}; trying again in {} ms", wait.as_millis());
                tokio::time::sleep(wait).await;
                wait *= 2;
                attempt += 1;
            }
            other => break other?,
        }
    };
    let entry: TimelineEntry = decode(value.clone())?;
    if json {
        print_json(&value);
    } else {
        println!(
            "posted #{} to {} ({})",
            entry.seq,
            key(incident),
            entry.kind.name()
        );
    }
    Ok(())
}

async fn ls(open: bool, json: bool) -> Result<(), Failure> {
    let api = Api::new(saved_sign_in()?)?;
    let mut incidents: Vec<Value> = if open {
        let mut all = Vec::new();
        for status in ["investigating", "identified", "fixing", "monitoring"] {
            let some: Vec<Value> = api.get(&format!("/incidents?status={status}")).await?;
            all.extend(some);
        }
        all
    } else {
        api.get("/incidents").await?
    };
    // Newest first, as the server lists them.
    incidents.sort_by_key(|i| std::cmp::Reverse(i["id"].as_i64().unwrap_or_default()));
    if json {
        print_json(&Value::Array(incidents));
        return Ok(());
    }
    if incidents.is_empty() {
        println!(
            "{}",
            if open {
                "no open incidents"
            } else {
                "no incidents"
            }
        );
    }
    let now = Utc::now();
    for value in incidents {
        let incident: Incident = decode(value)?;
        println!(
            "{} {} {} · began {}",
            incident.key,
            incident.severity,
            incident.status,
            app::live::now::ago(now, incident.lifecycle.started_at)
        );
        println!("  {}", incident.title);
    }
    Ok(())
}

/// Prints the incident's latest entries, then every new one as it is posted. After
/// a dropped connection it reconnects and resumes after the last entry it printed.
async fn tail(key: &str, json: bool) -> Result<(), Failure> {
    let api = Api::new(saved_sign_in()?)?;
    let me: User = api.get("/me").await?;
    let zone: chrono_tz::Tz = me.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let incident: Incident = api.get(&format!("/incidents/{key}")).await?;
    let timeline: Vec<Value> = api.get(&format!("/incidents/{key}/timeline")).await?;
    let mut last = incident.last_seq;
    let recent: Vec<&Value> = timeline
        .iter()
        .filter(|e| e["seq"].as_i64().is_some_and(|seq| seq <= last))
        .collect();
    if !json {
        println!(
            "{} {} {} · {}",
            incident.key, incident.severity, incident.status, incident.title
        );
    }
    for entry in recent.iter().skip(recent.len().saturating_sub(10)) {
        show(entry, json, zone)?;
    }

    let socket_url = format!(
        "{}/api/v1/live",
        api.url.replacen("http", "ws", 1) // http → ws, https → wss
    );
    let mut wait = Duration::from_secs(1);
    loop {
        let mut was_live = false;
        let ended = follow(
            &socket_url,
            &api.token,
            key,
            &mut last,
            &mut was_live,
            json,
            zone,
        )
        .await
        .err()
        .unwrap_or_else(|| Followed::Lost("the connection ended".into()));
        match ended {
            Followed::Refused(why) => return Err(Failure::Refused(why)),
            Followed::Lost(why) => {
                // A connection that worked starts the waits over.
                if was_live {
                    wait = Duration::from_secs(1);
                }
                eprintln!(
                    "(connection lost: {why}; reconnecting in {} s)",
                    wait.as_secs()
                );
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(10));
            }
        }
    }
}

/// How a live connection ended.
enum Followed {
    /// The server will not follow this incident for us: stop.
    Refused(String),
    /// The connection went away: reconnect.
    Lost(String),
}

/// One live connection: subscribes after `last` and prints each new entry, moving
/// `last` on; `was_live` once the server confirmed the subscription.
async fn follow(
    url: &str,
    token: &str,
    key: &str,
    last: &mut i64,
    was_live: &mut bool,
    json: bool,
    zone: chrono_tz::Tz,
) -> Result<(), Followed> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    let mut request = url
        .into_client_request()
        .map_err(|err| Followed::Refused(format!("{url}: {err}")))?;
    let bearer = format!("Bearer {token}")
        .parse()
        .map_err(|_| Followed::Refused("the saved token is not valid header text".into()))?;
    request.headers_mut().insert("authorization", bearer);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .map_err(|err| Followed::Lost(root_cause(&err)))?;
    let subscribe = serde_json::to_string(&ClientMessage::Subscribe {
        incident: key.to_owned(),
        after_seq: *last,
    })
    .unwrap_or_default();
    socket
        .send(Message::Text(subscribe.into()))
        .await
        .map_err(|err| Followed::Lost(err.to_string()))?;
    while let Some(message) = socket.next().await {
        let text = match message.map_err(|err| Followed::Lost(err.to_string()))? {
            Message::Text(text) => text,
            Message::Close(frame) => {
                let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                return Err(Followed::Lost(format!("closed by the server {reason}")));
            }
            _ => continue,
        };
        match serde_json::from_str::<ServerMessage>(text.as_str()) {
            Ok(ServerMessage::Event(event)) if event.seq > *last => {
                *last = event.seq;
                if event.payload.get("entry").is_some() {
                    show(&event.payload["entry"], json, zone)
                        .map_err(|err| Followed::Refused(err.to_string()))?;
                }
            }
            Ok(ServerMessage::Subscribed { .. }) => *was_live = true,
            Ok(ServerMessage::Error { message }) => return Err(Followed::Refused(message)),
            _ => {}
        }
    }
    Ok(())
}

/// One entry: "14:05 Dana Lee · update" and its text indented under it.
fn show(entry: &Value, json: bool, zone: chrono_tz::Tz) -> Result<(), Failure> {
    if json {
        println!("{entry}");
        return flush();
    }
    let entry: TimelineEntry = decode(entry.clone())?;
    let at: DateTime<Utc> = entry.occurred_at.unwrap_or(entry.recorded_at);
    let what = match &entry.kind {
        EntryKind::StatusChange { from, to, reason } => match reason {
            Some(reason) => format!("status {from} → {to}: {reason}"),
            None => format!("status {from} → {to}"),
        },
        kind => kind.name().to_owned(),
    };
    let corrected = if entry.revision > 1 {
        " (corrected)"
    } else {
        ""
    };
    println!(
        "{} {} · {what}{corrected}",
        at.with_timezone(&zone).format("%H:%M"),
        entry.author
    );
    for line in entry.body.lines().filter(|l| !l.trim().is_empty()) {
        println!("  {line}");
    }
    flush()
}

/// Each entry shows at once, also through a pipe.
fn flush() -> Result<(), Failure> {
    std::io::stdout()
        .flush()
        .map_err(|err| Failure::Unavailable(format!("cannot write the output: {err}")))
}
