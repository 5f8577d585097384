//! Fan-out benchmark of the live websocket (`GET /api/v1/live`): as many idle war
//! rooms as one server will hold, then N viewers following one incident while posts
//! arrive through the REST API at a set rate. And (`--misbehaving N`) N viewers
//! measured alone, then on the same server beside clients that misbehave: viewers that
//! never read, viewers sending garbage frames, raw garbage bytes to the port, and
//! `--churn` connects and disconnects in a loop; with the server's RSS sampled, the
//! two rows compared and a pass/fail line.
//!
//! `scripts/bench.sh live` runs it against SQLite and a throwaway PostgreSQL. By hand:
//! `live-bench [--viewers 100,1000,5000] [--rate 100] [--seconds 10] [--idle 10000]
//! [--misbehaving 1000] [--churn 10000] [--database-url postgres://…]`
//!
//! Latency is measured from just before a post is sent to when a viewer reads its
//! event, both on this process's clock. Each viewer checks that the seqs it gets are
//! contiguous: a missing seq is lost, a repeated one duplicated.

use anyhow::{bail, Context};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use server::bench::{backend_name, percentile, sibling_binary, ServerProcess};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

#[derive(Parser, Debug)]
#[command(about = "Benchmark Sitrep's live fan-out against a real server process")]
struct Args {
    /// The server binary (build it with --release); default: `sitrep` next to this one.
    #[arg(long)]
    server: Option<PathBuf>,
    /// PostgreSQL to benchmark against; the embedded SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Viewer counts to measure, each on a fresh incident.
    #[arg(long, value_delimiter = ',', default_value = "1000")]
    viewers: Vec<usize>,
    /// Posts per second.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seconds of posting per viewer count.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Idle connections to open at the end (0 skips that part).
    #[arg(long, default_value_t = 10_000)]
    idle: usize,
    /// Viewers measured alone and then beside misbehaving clients, on one server
    /// (0 skips that part).
    #[arg(long, default_value_t = 0)]
    misbehaving: usize,
    /// Connects and disconnects made while measuring beside misbehaving clients.
    #[arg(long, default_value_t = 10_000)]
    churn: usize,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where to connect and as whom.
#[derive(Clone)]
struct Target {
    ws_url: String,
    authorization: String,
}

/// Connects and subscribes to `incident` after `after_seq`; returns once the replay is done.
async fn open_viewer(target: &Target, incident: &str, after_seq: i64) -> anyhow::Result<Socket> {
    let mut request = target.ws_url.as_str().into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", target.authorization.parse()?);
    // The read buffer is zeroed on every read (the 128 KiB default was most of this
    // process's time at 100,000 frames/s, on the CPU it shares with the server). An
    // event frame here is under 400 bytes; a longer one takes more than one read.
    let config = WebSocketConfig::default()
        .read_buffer_size(1024)
        .write_buffer_size(0);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    let subscribe = json!({"type": "subscribe", "incident": incident, "after_seq": after_seq});
    socket.send(Message::text(subscribe.to_string())).await?;
    while let Some(message) = socket.next().await {
        if let Message::Text(text) = message? {
            if text.starts_with(r#"{"type":"subscribed""#) {
                return Ok(socket);
            }
            if text.starts_with(r#"{"type":"error""#) {
                bail!("subscribe refused: {text}");
            }
        }
    }
    bail!("closed before subscribed")
}

/// Opens `count` viewers, `parallel` handshakes at a time; returns those that made it
/// and the first error of those that did not.
async fn open_viewers(
    target: &Target,
    incident: &str,
    after_seq: i64,
    count: usize,
) -> (Vec<Socket>, usize, Option<String>) {
    let results: Vec<anyhow::Result<Socket>> = futures_util::stream::iter(0..count)
        .map(|_| open_viewer(target, incident, after_seq))
        .buffer_unordered(64)
        .collect()
        .await;
    let (mut sockets, mut failed, mut first_error) = (Vec::new(), 0, None);
    for result in results {
        match result {
            Ok(socket) => sockets.push(socket),
            Err(err) => {
                failed += 1;
                first_error.get_or_insert_with(|| format!("{err:#}"));
            }
        }
    }
    (sockets, failed, first_error)
}

/// The number right after `marker` in `text` (cheap: no JSON parse per frame).
fn number_after(text: &str, marker: &str) -> Option<u64> {
    let start = text.find(marker)? + marker.len();
    let digits = text[start..].split(|c: char| !c.is_ascii_digit()).next()?;
    digits.parse().ok()
}

/// What one viewer saw (or all of them, added up).
#[derive(Default)]
struct Seen {
    latencies_us: Vec<u64>,
    lost: u64,
    duplicated: u64,
}

/// The body of the last post of a run: a viewer that reads it has everything.
const END: &str = "bench-end";

/// Reads events up to the `END` post, checking seq order and timing each benchmark
/// post against when it was sent. `give_up` carries the END post's seq, sent if the
/// viewer is still waiting after the grace period: what it lacks then is lost.
/// (Per viewer, so the hot loop shares no lock with the others.)
async fn watch(
    mut socket: Socket,
    mut last: i64,
    mut give_up: tokio::sync::oneshot::Receiver<i64>,
    clock: Instant,
    sent: Arc<Vec<AtomicU64>>,
) -> Seen {
    let mut seen = Seen::default();
    loop {
        let text = tokio::select! {
            biased;
            next = socket.next() => match next {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(_)) => continue,
                None | Some(Err(_)) => {
                    // Closed early: whatever it has not seen is lost.
                    if let Ok(end_seq) = (&mut give_up).await {
                        seen.lost += (end_seq - last).max(0) as u64;
                    }
                    break;
                }
            },
            end_seq = &mut give_up => {
                seen.lost += (end_seq.unwrap_or(last) - last).max(0) as u64;
                break;
            }
        };
        if !text.starts_with(r#"{"type":"event""#) {
            continue;
        }
        let now_us = clock.elapsed().as_micros() as u64;
        let Some(seq) = number_after(&text, r#""seq":"#).map(|s| s as i64) else {
            continue;
        };
        if seq <= last {
            seen.duplicated += 1;
            continue;
        }
        seen.lost += (seq - last - 1) as u64;
        last = seq;
        match number_after(&text, "bench-post-") {
            Some(n) => {
                if let Some(at) = sent.get(n as usize) {
                    seen.latencies_us
                        .push(now_us.saturating_sub(at.load(Ordering::Relaxed)));
                }
            }
            None if text.contains(END) => break,
            None => {}
        }
    }
    let _ = socket.close(None).await;
    seen
}

/// Viewers reading in their own tasks.
struct Watching {
    tasks: Vec<tokio::task::JoinHandle<Seen>>,
    give_up: Vec<tokio::sync::oneshot::Sender<i64>>,
}

impl Watching {
    fn start(
        sockets: Vec<Socket>,
        after_seq: i64,
        clock: Instant,
        sent: &Arc<Vec<AtomicU64>>,
    ) -> Watching {
        let (mut tasks, mut give_up) = (Vec::new(), Vec::new());
        for socket in sockets {
            let (tx, rx) = tokio::sync::oneshot::channel();
            tasks.push(tokio::spawn(watch(
                socket,
                after_seq,
                rx,
                clock,
                sent.clone(),
            )));
            give_up.push(tx);
        }
        Watching { tasks, give_up }
    }

    /// Posts the END entry, then waits up to `grace` for every viewer to read it.
    async fn finish(
        self,
        client: &reqwest::Client,
        api: &str,
        key: &str,
        grace: Duration,
    ) -> anyhow::Result<Seen> {
        let end = post(client, api, key, END).await?;
        let end_seq = end["seq"].as_i64().context("entry seq")?;
        let give_up = self.give_up;
        let timer = tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            for viewer in give_up {
                let _ = viewer.send(end_seq);
            }
        });
        let mut all = Seen::default();
        for task in self.tasks {
            let seen = task.await?;
            all.latencies_us.extend(seen.latencies_us);
            all.lost += seen.lost;
            all.duplicated += seen.duplicated;
        }
        timer.abort();
        all.latencies_us.sort_unstable();
        Ok(all)
    }
}

async fn post(client: &reqwest::Client, api: &str, key: &str, body: &str) -> anyhow::Result<Value> {
    let response = client
        .post(format!("{api}/incidents/{key}/timeline"))
        .json(&json!({ "body": body }))
        .send()
        .await?;
    if response.status() != 201 {
        bail!("post to {key}: {}", response.status());
    }
    Ok(response.json().await?)
}

async fn new_incident(
    client: &reqwest::Client,
    api: &str,
    title: &str,
) -> anyhow::Result<(String, i64)> {
    let response = client
        .post(format!("{api}/incidents"))
        .json(&json!({"title": title, "severity": "P1"}))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("declaring an incident: {}", response.status());
    }
    let incident: Value = response.json().await?;
    let key = incident["key"].as_str().context("incident key")?.to_owned();
    Ok((
        key,
        last_seq(client, api, incident["key"].as_str().unwrap_or_default()).await?,
    ))
}

async fn last_seq(client: &reqwest::Client, api: &str, key: &str) -> anyhow::Result<i64> {
    let incident: Value = client
        .get(format!("{api}/incidents/{key}"))
        .send()
        .await?
        .json()
        .await?;
    incident["last_seq"].as_i64().context("incident last_seq")
}

fn ms(us: Option<u64>) -> String {
    us.map_or("-".into(), |us| format!("{:.1}", us as f64 / 1000.0))
}

/// One measured row.
struct Row {
    viewers: usize,
    posts_per_second: f64,
    failed_posts: usize,
    seen: Seen,
    rss_before_kib: u64,
    rss_with_kib: u64,
}

impl Row {
    fn p99_ms(&self) -> f64 {
        percentile(&self.seen.latencies_us, 0.99).unwrap_or(0) as f64 / 1000.0
    }

    /// The table's cells after the first.
    fn cells(&self) -> String {
        let latencies = &self.seen.latencies_us;
        format!(
            "{} | {:.0} | {} | {} | {} | {} | {} | {} | {}",
            self.viewers,
            self.posts_per_second,
            self.failed_posts,
            latencies.len(),
            ms(percentile(latencies, 0.50)),
            ms(percentile(latencies, 0.95)),
            ms(percentile(latencies, 0.99)),
            self.seen.lost,
            self.seen.duplicated,
        )
    }
}

/// One row: `viewers` follow a fresh incident while posts arrive at `args.rate`.
async fn fan_out(
    server: &ServerProcess,
    target: &Target,
    client: &reqwest::Client,
    args: &Args,
    viewers: usize,
) -> anyhow::Result<()> {
    let row = measure_fresh(server, target, client, args, viewers).await?;
    println!(
        "| {} | {:.0} | {:.0} | {:.1} |",
        row.cells(),
        row.rss_before_kib as f64 / 1024.0,
        row.rss_with_kib as f64 / 1024.0,
        row.rss_with_kib.saturating_sub(row.rss_before_kib) as f64 / viewers as f64,
    );
    Ok(())
}

/// `viewers` follow a fresh incident while posts arrive at `args.rate`.
async fn measure_fresh(
    server: &ServerProcess,
    target: &Target,
    client: &reqwest::Client,
    args: &Args,
    viewers: usize,
) -> anyhow::Result<Row> {
    let api = format!("{}/api/v1", server.base);
    let (key, start_seq) = new_incident(client, &api, &format!("Fan-out to {viewers}")).await?;
    measure(server, target, client, args, viewers, &key, start_seq).await
}

/// `viewers` follow `key` from `start_seq` while posts arrive at `args.rate`.
async fn measure(
    server: &ServerProcess,
    target: &Target,
    client: &reqwest::Client,
    args: &Args,
    viewers: usize,
    key: &str,
    start_seq: i64,
) -> anyhow::Result<Row> {
    let api = format!("{}/api/v1", server.base);
    let rss_before = server.rss_kib();
    let (sockets, failed, error) = open_viewers(target, key, start_seq, viewers).await;
    if failed > 0 {
        bail!(
            "{failed} of {viewers} viewers could not subscribe: {}",
            error.unwrap_or_default()
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_with = server.rss_kib();

    let total = (u64::from(args.rate) * args.seconds) as usize;
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let clock = Instant::now();
    let watching = Watching::start(sockets, start_seq, clock, &sent);

    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(args.rate)));
    let mut posts = Vec::with_capacity(total);
    for n in 0..total {
        ticker.tick().await;
        sent[n].store(clock.elapsed().as_micros() as u64, Ordering::Relaxed);
        let (client, url) = (client.clone(), format!("{api}/incidents/{key}/timeline"));
        posts.push(tokio::spawn(async move {
            let body = json!({"body": format!("bench-post-{n}")});
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .is_ok_and(|r| r.status() == 201)
        }));
    }
    let mut failed_posts = 0;
    for post in posts {
        failed_posts += usize::from(!post.await.unwrap_or(false));
    }
    let posting = started.elapsed();
    let seen = watching
        .finish(client, &api, key, Duration::from_secs(10))
        .await?;
    Ok(Row {
        viewers,
        posts_per_second: (total - failed_posts) as f64 / posting.as_secs_f64(),
        failed_posts,
        seen,
        rss_before_kib: rss_before,
        rss_with_kib: rss_with,
    })
}

/// Opens `count` war rooms that only listen, then checks one post still reaches them all.
async fn idle(
    server: &ServerProcess,
    target: &Target,
    client: &reqwest::Client,
    count: usize,
) -> anyhow::Result<()> {
    let api = format!("{}/api/v1", server.base);
    let (key, start_seq) = new_incident(client, &api, "Idle war rooms").await?;
    let rss_before = server.rss_kib();
    let opening = Instant::now();
    let (sockets, failed, error) = open_viewers(target, &key, start_seq, count).await;
    let opened = opening.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_with = server.rss_kib();
    let held = sockets.len();

    let clock = Instant::now();
    let sent = Arc::new(vec![AtomicU64::new(0)]);
    let watching = Watching::start(sockets, start_seq, clock, &sent);
    sent[0].store(clock.elapsed().as_micros() as u64, Ordering::Relaxed);
    post(client, &api, &key, "bench-post-0").await?;
    let seen = watching
        .finish(client, &api, &key, Duration::from_secs(30))
        .await?;
    println!(
        "\nIdle: {held} of {count} connections held ({failed} refused{}), opened in {:.1} s; \
         server RSS {:.0} MB → {:.0} MB, {:.1} KiB per connection; one post then reached \
         {} of them (lost {}), the last after {} ms",
        error.map(|e| format!(", first: {e}")).unwrap_or_default(),
        opened.as_secs_f64(),
        rss_before as f64 / 1024.0,
        rss_with as f64 / 1024.0,
        rss_with.saturating_sub(rss_before) as f64 / held.max(1) as f64,
        seen.latencies_us.len(),
        seen.lost,
        ms(seen.latencies_us.last().copied()),
    );
    Ok(())
}

/// A fresh server process with a client and the websocket address to drive it.
async fn fresh_server(args: &Args) -> anyhow::Result<(ServerProcess, Target, reqwest::Client)> {
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| sibling_binary("sitrep"));
    let server = ServerProcess::start(&binary, args.database_url.as_deref(), &[]).await?;
    let client = server.client(64)?;
    let target = Target {
        ws_url: format!("{}/api/v1/live", server.base.replacen("http", "ws", 1)),
        authorization: server.authorization.clone(),
    };
    Ok((server, target, client))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Every viewer is a socket here and one on the server.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let backend = backend_name(args.database_url.as_deref());
    println!(
        "\n{backend}: {} posts/s for {} s per row; a fresh server process for each row and \
         for the idle connections (memory a busy row frees stays with the allocator)\n",
        args.rate, args.seconds,
    );
    println!("| viewers | posts/s | failed posts | deliveries | p50 ms | p95 ms | p99 ms | lost | duplicated | RSS MB before | RSS MB with viewers | KiB per viewer |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &viewers in &args.viewers {
        let (server, target, client) = fresh_server(&args).await?;
        fan_out(&server, &target, &client, &args, viewers).await?;
    }
    if args.idle > 0 {
        let (server, target, client) = fresh_server(&args).await?;
        idle(&server, &target, &client, args.idle).await?;
    }
    if args.misbehaving > 0 {
        let (server, target, client) = fresh_server(&args).await?;
        misbehaving::compare(&server, &target, &client, &args).await?;
    }
    Ok(())
}

mod misbehaving;

#[cfg(test)]
mod tests {
    use super::number_after;

    #[test]
    fn reads_the_number_after_a_marker() {
        let frame =
            r#"{"type":"event","incident":"INC-2","seq":41,"payload":{"body":"bench-post-7"}}"#;
        assert_eq!(number_after(frame, r#""seq":"#), Some(41));
        assert_eq!(number_after(frame, "bench-post-"), Some(7));
        assert_eq!(number_after(frame, "absent"), None);
    }
}
