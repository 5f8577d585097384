//! Viewers measured alone, then on the same server beside clients that misbehave:
//! viewers that subscribe and never read again, viewers sending garbage frames,
//! connections that break the websocket framing or send garbage instead of HTTP, and
//! a loop of connects and disconnects. The server's RSS is sampled throughout; the two
//! rows are printed side by side with a pass/fail line.

use super::{measure, new_incident, open_viewer, Args, Target};
use futures_util::{FutureExt, SinkExt, StreamExt};
use server::bench::{rss_kib, ServerProcess};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;

const NEVER_READING: usize = 50;
const GARBAGE_SENDERS: usize = 20;
/// Connections at once in the connect/disconnect loop.
const CHURN_AT_ONCE: usize = 8;
/// The fan-out target (1,000 viewers at 100 posts/s): p99 ≤ 50 ms.
const P99_TARGET_MS: f64 = 50.0;
/// What the misbehaving clients may add to the server's RSS at their peak. Ten
/// thousand idle connections cost about 48 MB; these are a hundred or so at once.
const RSS_GROWTH_LIMIT_MB: f64 = 32.0;

/// What the misbehaving clients did and what the server answered them.
#[derive(Default)]
struct Counters {
    churned: AtomicU64,
    churn_failed: AtomicU64,
    garbage_frames: AtomicU64,
    garbage_answered: AtomicU64,
    garbage_cut: AtomicU64,
    broken_framing: AtomicU64,
    broken_framing_closed: AtomicU64,
    raw_requests: AtomicU64,
    raw_refused: AtomicU64,
}

fn count(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

pub async fn compare(
    server: &ServerProcess,
    target: &Target,
    client: &reqwest::Client,
    args: &Args,
) -> anyhow::Result<()> {
    let viewers = args.misbehaving;
    let api = format!("{}/api/v1", server.base);
    println!(
        "\nMisbehaving clients: {viewers} viewers at {} posts/s for {} s, alone and then beside \
         {NEVER_READING} viewers that never read, {GARBAGE_SENDERS} sending garbage frames, \
         broken websocket framing and raw garbage in a loop, and {} connects and disconnects \
         ({CHURN_AT_ONCE} at a time); one server\n",
        args.rate, args.seconds, args.churn
    );
    let (key, start_seq) = new_incident(client, &api, "Measured alone").await?;
    let alone = measure(server, target, client, args, viewers, &key, start_seq).await?;

    let (key, start_seq) =
        new_incident(client, &api, "Measured beside misbehaving clients").await?;
    // The loop opens and closes war rooms of another incident, as reloading tabs do.
    let (quiet, quiet_seq) = new_incident(client, &api, "Opened and closed").await?;
    let rss_before = server.rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let peak = tokio::spawn(peak_rss(server.pid(), stop.clone()));
    let mut never_reading = Vec::new();
    for _ in 0..NEVER_READING {
        never_reading.push(open_viewer(target, &key, start_seq).await?);
    }
    let mut tasks = Vec::new();
    for n in 0..GARBAGE_SENDERS {
        tasks.push(tokio::spawn(garbage_frames(
            target.clone(),
            key.clone(),
            start_seq,
            n as u64 + 1,
            stop.clone(),
            counters.clone(),
        )));
    }
    tasks.push(tokio::spawn(broken_framing(
        target.clone(),
        quiet.clone(),
        quiet_seq,
        stop.clone(),
        counters.clone(),
    )));
    tasks.push(tokio::spawn(raw_garbage(
        server.base.trim_start_matches("http://").to_owned(),
        stop.clone(),
        counters.clone(),
    )));
    let churn = tokio::spawn(churn(
        target.clone(),
        quiet,
        quiet_seq,
        args.churn,
        counters.clone(),
    ));

    let beside = measure(server, target, client, args, viewers, &key, start_seq).await?;
    let churn_took = churn.await?;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await?;
    }
    drop(never_reading);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = server.rss_kib();
    let rss_peak = peak.await?;

    println!("| beside the viewers | viewers | posts/s | failed posts | deliveries | p50 ms | p95 ms | p99 ms | lost | duplicated |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!("| nothing | {} |", alone.cells());
    println!("| misbehaving clients | {} |", beside.cells());
    let c = &counters;
    let mb = |kib: u64| kib as f64 / 1024.0;
    println!(
        "\n- connects and disconnects: {} in {:.1} s ({:.0}/s), {} failed\n\
         - garbage frames: {} sent by {GARBAGE_SENDERS} connections, {} answered with an error, \
         {} connections cut\n\
         - broken websocket framing: {} connections, {} closed by the server\n\
         - raw garbage instead of HTTP: {} connections, {} refused (400 or closed)\n\
         - never-reading viewers: {NEVER_READING}, subscribed and left unread through the row\n\
         - server RSS: {:.0} MB before, {:.0} MB at the peak, {:.0} MB 2 s after they left",
        count(&c.churned),
        churn_took.as_secs_f64(),
        count(&c.churned) as f64 / churn_took.as_secs_f64().max(0.001),
        count(&c.churn_failed),
        count(&c.garbage_frames),
        count(&c.garbage_answered),
        count(&c.garbage_cut),
        count(&c.broken_framing),
        count(&c.broken_framing_closed),
        count(&c.raw_requests),
        count(&c.raw_refused),
        mb(rss_before),
        mb(rss_peak),
        mb(rss_after),
    );
    let growth = mb(rss_peak.saturating_sub(rss_before));
    let failures = [
        (
            beside.p99_ms() > P99_TARGET_MS,
            format!("p99 {:.1} ms above {P99_TARGET_MS} ms", beside.p99_ms()),
        ),
        (
            beside.seen.lost + beside.seen.duplicated > 0,
            "events lost or repeated".to_owned(),
        ),
        (beside.failed_posts > 0, "posts failed".to_owned()),
        (count(&c.churn_failed) > 0, "connects failed".to_owned()),
        (
            count(&c.garbage_cut) > 0,
            "garbage senders were cut instead of answered".to_owned(),
        ),
        (
            count(&c.broken_framing_closed) < count(&c.broken_framing),
            "broken framing left open".to_owned(),
        ),
        (
            count(&c.raw_refused) < count(&c.raw_requests),
            "raw garbage not refused".to_owned(),
        ),
        (
            growth > RSS_GROWTH_LIMIT_MB,
            format!("RSS grew {growth:.0} MB"),
        ),
    ];
    let failed: Vec<&str> = failures
        .iter()
        .filter(|(failed, _)| *failed)
        .map(|(_, why)| why.as_str())
        .collect();
    println!(
        "\n{} misbehaving clients: p99 {:.1} ms alone, {:.1} ms beside them (target ≤ {P99_TARGET_MS} ms); \
         RSS +{growth:.0} MB at the peak (limit {RSS_GROWTH_LIMIT_MB} MB){}",
        if failed.is_empty() { "PASS" } else { "FAIL" },
        alone.p99_ms(),
        beside.p99_ms(),
        if failed.is_empty() { String::new() } else { format!(": {}", failed.join("; ")) },
    );
    Ok(())
}

/// The highest RSS of `pid` seen until `stop`, sampled every 100 ms.
async fn peak_rss(pid: u32, stop: Arc<AtomicBool>) -> u64 {
    let mut peak = 0;
    while !stop.load(Ordering::SeqCst) {
        peak = peak.max(rss_kib(pid));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak
}

/// Deterministic bytes that are not a protocol (xorshift; the seed picks the stream).
fn noise(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed as u8
        })
        .collect()
}

/// A subscribed viewer that sends malformed messages every 10 ms (cut JSON, binary
/// noise, text noise, a subscribe to an incident that does not exist) and reads
/// what comes back: an error each, and the incident's events.
async fn garbage_frames(
    target: Target,
    key: String,
    after_seq: i64,
    mut seed: u64,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) {
    let Ok(mut socket) = open_viewer(&target, &key, after_seq).await else {
        counters.garbage_cut.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let mut n = 0_u64;
    while !stop.load(Ordering::SeqCst) {
        let frame = match n % 4 {
            0 => Message::text(r#"{"type":"subscribe","incident":"#),
            1 => Message::binary(noise(&mut seed, 512)),
            2 => Message::text(String::from_utf8_lossy(&noise(&mut seed, 2048)).into_owned()),
            _ => Message::text(r#"{"type":"subscribe","incident":"INC-999999999","after_seq":0}"#),
        };
        n += 1;
        if socket.send(frame).await.is_err() {
            counters.garbage_cut.fetch_add(1, Ordering::Relaxed);
            return;
        }
        counters.garbage_frames.fetch_add(1, Ordering::Relaxed);
        while let Some(next) = socket.next().now_or_never() {
            match next {
                Some(Ok(Message::Text(text))) if text.starts_with(r#"{"type":"error""#) => {
                    counters.garbage_answered.fetch_add(1, Ordering::Relaxed);
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => {
                    counters.garbage_cut.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Whatever answers are still on their way.
    let _ = socket.close(None).await;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_secs(2), socket.next()).await
    {
        if matches!(&message, Message::Text(text) if text.starts_with(r#"{"type":"error""#)) {
            counters.garbage_answered.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Subscribes, then writes bytes that are no websocket frame straight to the TCP
/// stream; the server must close the connection. Every 50 ms until `stop`.
async fn broken_framing(
    target: Target,
    key: String,
    after_seq: i64,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
) {
    use tokio_tungstenite::MaybeTlsStream;
    let mut seed = 0x5eed;
    while !stop.load(Ordering::SeqCst) {
        let Ok(mut socket) = open_viewer(&target, &key, after_seq).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        counters.broken_framing.fetch_add(1, Ordering::Relaxed);
        // An unmasked frame of a reserved opcode, then noise.
        let mut bytes = vec![0x83, 0x7e, 0xff, 0xff];
        bytes.extend(noise(&mut seed, 1024));
        if let MaybeTlsStream::Plain(tcp) = socket.get_mut() {
            let _ = tcp.write_all(&bytes).await;
        }
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(Ok(_)) = socket.next().await {}
        })
        .await
        .is_ok();
        if closed {
            counters
                .broken_framing_closed
                .fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens TCP connections that send noise instead of an HTTP request; each must be
/// answered 400 or closed. Every 20 ms until `stop`.
async fn raw_garbage(address: String, stop: Arc<AtomicBool>, counters: Arc<Counters>) {
    let mut seed = 0xbad;
    while !stop.load(Ordering::SeqCst) {
        let Ok(mut tcp) = tokio::net::TcpStream::connect(&address).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        counters.raw_requests.fetch_add(1, Ordering::Relaxed);
        let _ = tcp.write_all(&noise(&mut seed, 4096)).await;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
        let refused = match read {
            Ok(_) => answer.is_empty() || answer.starts_with(b"HTTP/1.1 400"),
            Err(_) => false, // left hanging
        };
        if refused {
            counters.raw_refused.fetch_add(1, Ordering::Relaxed);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Opens and closes `total` war rooms, `CHURN_AT_ONCE` at a time; returns how long it took.
async fn churn(
    target: Target,
    key: String,
    after_seq: i64,
    total: usize,
    counters: Arc<Counters>,
) -> Duration {
    let started = Instant::now();
    futures_util::stream::iter(0..total)
        .for_each_concurrent(CHURN_AT_ONCE, |_| async {
            match open_viewer(&target, &key, after_seq).await {
                Ok(mut socket) => {
                    let _ = socket.close(None).await;
                    counters.churned.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {
                    counters.churn_failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
        .await;
    started.elapsed()
}
