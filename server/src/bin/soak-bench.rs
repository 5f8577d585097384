//! Soak: a release server under mixed load for `--minutes` — incidents declared and
//! walked to resolved, timeline posts, war-room pages rendered, websocket viewers
//! joining and leaving — with its RSS sampled every `--sample-seconds`. Prints each
//! sample, the least-squares slope of RSS over time after the warm-up (MB per hour),
//! the errors, and a pass/fail line.
//!
//! `scripts/bench.sh soak` (part of `make report`) runs it for 30 minutes. By hand:
//! `soak-bench [--minutes 30] [--sample-seconds 60] [--viewers 50] [--rate 20]
//! [--database-url postgres://…]`

use anyhow::Context;
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::bench::{backend_name, sibling_binary, ServerProcess};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

#[derive(Parser, Debug)]
#[command(about = "Soak a Sitrep server under mixed load and report its memory trend")]
struct Args {
    /// The server binary (build it with --release); default: `sitrep` next to this one.
    #[arg(long)]
    server: Option<PathBuf>,
    /// PostgreSQL to run against; the embedded SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// How long the load runs.
    #[arg(long, default_value_t = 30.0)]
    minutes: f64,
    /// Seconds between RSS samples.
    #[arg(long, default_value_t = 60)]
    sample_seconds: u64,
    /// Websocket viewers, each following an open incident for 5–30 s, then another.
    #[arg(long, default_value_t = 50)]
    viewers: usize,
    /// Timeline posts per second, spread over the open incidents.
    #[arg(long, default_value_t = 20)]
    rate: u32,
}

/// Incidents open at once: a new one every 2 s, the oldest walked to resolved.
const OPEN_AT_ONCE: usize = 10;
/// Samples in the first fifth of the run are the warm-up (caches and pools filling).
const WARM_UP: f64 = 0.2;
/// A leak of 70 bytes per post at 20 posts/s grows 5 MB an hour.
const SLOPE_LIMIT_MB_PER_HOUR: f64 = 5.0;

/// What the load did.
#[derive(Default)]
struct Counters {
    declared: AtomicU64,
    posts: AtomicU64,
    status_changes: AtomicU64,
    joins: AtomicU64,
    pages: AtomicU64,
    errors: AtomicU64,
}

/// The load's shared state.
struct Load {
    api: String,
    base: String,
    client: reqwest::Client,
    ws_url: String,
    authorization: String,
    open: Mutex<VecDeque<String>>,
    stop: AtomicBool,
    counters: Counters,
    /// The first error of each kind, to print.
    first_errors: Mutex<Vec<String>>,
}

impl Load {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::SeqCst)
    }

    fn error(&self, what: String) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_errors.lock().unwrap();
        if first.len() < 5 {
            first.push(what);
        }
    }

    /// An open incident's key, the `n`-th in turn.
    fn pick(&self, n: usize) -> Option<String> {
        let open = self.open.lock().unwrap();
        (!open.is_empty()).then(|| open[n % open.len()].clone())
    }

    /// Sends and counts an error for anything but `expected`.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        expected: u16,
        what: &str,
    ) -> Option<Value> {
        match request.timeout(Duration::from_secs(10)).send().await {
            Ok(response) if response.status().as_u16() == expected => {
                Some(response.json().await.unwrap_or(Value::Null))
            }
            Ok(response) => {
                self.error(format!("{what}: {}", response.status()));
                None
            }
            Err(err) => {
                self.error(format!("{what}: {err}"));
                None
            }
        }
    }
}

/// Declares an incident every 2 s; beyond `OPEN_AT_ONCE`, walks the oldest through
/// identified, fixing and monitoring to resolved.
async fn lifecycle(load: Arc<Load>) {
    let mut n = 0;
    while load.running() {
        n += 1;
        let severity = ["P1", "P2", "P3"][n % 3];
        let declare = load
            .client
            .post(format!("{}/incidents", load.api))
            .json(&json!({"title": format!("Soak incident {n}"), "severity": severity}));
        if let Some(incident) = load.send(declare, 201, "declare").await {
            if let Some(key) = incident["key"].as_str() {
                load.open.lock().unwrap().push_back(key.to_owned());
                load.counters.declared.fetch_add(1, Ordering::Relaxed);
            }
        }
        let oldest = {
            let mut open = load.open.lock().unwrap();
            (open.len() > OPEN_AT_ONCE)
                .then(|| open.pop_front())
                .flatten()
        };
        if let Some(key) = oldest {
            for status in ["identified", "fixing", "monitoring", "resolved"] {
                let change = load
                    .client
                    .patch(format!("{}/incidents/{key}", load.api))
                    .json(&json!({ "status": status }));
                if load.send(change, 200, "status change").await.is_some() {
                    load.counters.status_changes.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// `rate` posts a second over the open incidents, each with an idempotency key.
async fn posting(load: Arc<Load>, rate: u32) {
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate.max(1))));
    let mut n = 0;
    while load.running() {
        ticker.tick().await;
        n += 1;
        let Some(key) = load.pick(n) else { continue };
        let post = load
            .client
            .post(format!("{}/incidents/{key}/timeline", load.api))
            .json(&json!({"body": format!("Soak update {n}: checked the dashboards, error rate {}%", n % 7), "idempotency_key": format!("soak-{n}")}));
        let load = load.clone();
        tokio::spawn(async move {
            if load.send(post, 201, "post").await.is_some() {
                load.counters.posts.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
}

/// The war room's page of an open incident, rendered twice a second.
async fn pages(load: Arc<Load>) {
    let mut n = 0;
    while load.running() {
        n += 1;
        if let Some(key) = load.pick(n) {
            let page = load.client.get(format!("{}/incidents/{key}", load.base));
            match page.timeout(Duration::from_secs(10)).send().await {
                Ok(response) if response.status() == 200 => {
                    let _ = response.bytes().await;
                    load.counters.pages.fetch_add(1, Ordering::Relaxed);
                }
                Ok(response) => load.error(format!("page: {}", response.status())),
                Err(err) => load.error(format!("page: {err}")),
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Follows an open incident for 5–30 s, leaves, and joins another.
async fn viewer(load: Arc<Load>, number: usize) {
    let mut n = number;
    while load.running() {
        n += 7;
        let Some(key) = load.pick(n) else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        let stay = Duration::from_secs(5 + (n as u64 * 13) % 26);
        if let Err(err) = follow(&load, &key, stay).await {
            load.error(format!("viewer: {err:#}"));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

async fn follow(load: &Load, key: &str, stay: Duration) -> anyhow::Result<()> {
    let mut request = load.ws_url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", load.authorization.parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let subscribe = json!({"type": "subscribe", "incident": key, "after_seq": 0});
    socket.send(Message::text(subscribe.to_string())).await?;
    load.counters.joins.fetch_add(1, Ordering::Relaxed);
    let until = Instant::now() + stay;
    while Instant::now() < until && load.running() {
        match tokio::time::timeout(Duration::from_millis(500), socket.next()).await {
            Err(_) => {}
            Ok(Some(Ok(Message::Text(text)))) if text.starts_with(r#"{"type":"error""#) => {
                anyhow::bail!("{text}")
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(err))) => return Err(err).context("the live connection broke"),
            Ok(None) => anyhow::bail!("the server closed the live connection"),
        }
    }
    let _ = socket.close(None).await;
    Ok(())
}

/// Least-squares slope of `points` (x, y).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if variance == 0.0 {
        0.0
    } else {
        covariance / variance
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| sibling_binary("sitrep"));
    let server = ServerProcess::start(&binary, args.database_url.as_deref(), &[]).await?;
    let load = Arc::new(Load {
        api: format!("{}/api/v1", server.base),
        base: server.base.clone(),
        client: server.client(32)?,
        ws_url: format!("{}/api/v1/live", server.base.replacen("http", "ws", 1)),
        authorization: server.authorization.clone(),
        open: Mutex::default(),
        stop: AtomicBool::new(false),
        counters: Counters::default(),
        first_errors: Mutex::default(),
    });
    let backend = backend_name(args.database_url.as_deref());
    println!(
        "\nsoak ({backend}): {} min of mixed load — an incident declared every 2 s and the \
         oldest of {OPEN_AT_ONCE} open walked to resolved, {} posts/s, a war-room page \
         twice a second, {} viewers each following an incident for 5–30 s; RSS every {} s\n",
        args.minutes, args.rate, args.viewers, args.sample_seconds
    );
    let mut tasks = vec![
        tokio::spawn(lifecycle(load.clone())),
        tokio::spawn(posting(load.clone(), args.rate)),
        tokio::spawn(pages(load.clone())),
    ];
    for n in 0..args.viewers {
        tasks.push(tokio::spawn(viewer(load.clone(), n)));
    }

    println!("| minute | RSS MB | incidents declared | posts | status changes | viewer joins | pages | errors |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    let started = Instant::now();
    let total = Duration::from_secs_f64(args.minutes * 60.0);
    let mut samples = Vec::new();
    loop {
        let minute = started.elapsed().as_secs_f64() / 60.0;
        let rss_mb = server.rss_kib() as f64 / 1024.0;
        samples.push((minute, rss_mb));
        let c = &load.counters;
        println!(
            "| {minute:.1} | {rss_mb:.1} | {} | {} | {} | {} | {} | {} |",
            c.declared.load(Ordering::Relaxed),
            c.posts.load(Ordering::Relaxed),
            c.status_changes.load(Ordering::Relaxed),
            c.joins.load(Ordering::Relaxed),
            c.pages.load(Ordering::Relaxed),
            c.errors.load(Ordering::Relaxed),
        );
        if started.elapsed() >= total {
            break;
        }
        let next = Duration::from_secs(args.sample_seconds).min(total - started.elapsed());
        tokio::time::sleep(next).await;
    }
    load.stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await?;
    }

    let warm_up = args.minutes * WARM_UP;
    let steady: Vec<(f64, f64)> = samples
        .iter()
        .copied()
        .filter(|(m, _)| *m >= warm_up)
        .collect();
    let per_hour = slope(&steady) * 60.0;
    let errors = load.counters.errors.load(Ordering::Relaxed);
    let (first, last) = (samples[0].1, samples[samples.len() - 1].1);
    for error in load.first_errors.lock().unwrap().iter() {
        println!("first errors: {error}");
    }
    let pass = errors == 0 && per_hour <= SLOPE_LIMIT_MB_PER_HOUR && steady.len() >= 2;
    println!(
        "\n{} soak ({backend}): RSS {first:.1} MB at the start, {last:.1} MB at the end; slope \
         after the first {warm_up:.1} min {per_hour:+.2} MB/hour over {} samples (limit \
         {SLOPE_LIMIT_MB_PER_HOUR} MB/hour); {errors} errors",
        if pass { "PASS" } else { "FAIL" },
        steady.len(),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::slope;

    #[test]
    fn the_slope_is_the_least_squares_fit() {
        assert_eq!(slope(&[(0.0, 10.0), (1.0, 12.0), (2.0, 14.0)]), 2.0);
        assert_eq!(slope(&[(0.0, 10.0), (1.0, 10.0)]), 0.0);
        assert_eq!(slope(&[(3.0, 1.0)]), 0.0);
        // Noise around a flat line has no trend.
        assert!(slope(&[(0.0, 10.0), (1.0, 11.0), (2.0, 9.0), (3.0, 10.0)]).abs() < 0.5);
    }
}
