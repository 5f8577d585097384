//! Status page benchmark: a release `sitrep` with the demo's 92 days of history,
//! topped up to 10 incidents open on the public page, read by many clients at once
//! as browsers read it (gzip). Prints requests per second, time to first byte and
//! the page's size, for the page and its JSON summary.
//!
//! `scripts/bench.sh status` runs it on SQLite and PostgreSQL. By hand:
//! `status-bench --server target/release/sitrep [--database-url postgres://…] [--seconds 5] [--clients 10]`

use anyhow::{bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use server::bench::{backend_name, measure, ms, ServerProcess};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Benchmark Sitrep's public status page against a real server process")]
struct Args {
    /// The server binary to start (build it with --release).
    #[arg(long, default_value = "target/release/sitrep")]
    server: PathBuf,
    /// PostgreSQL to benchmark against; the embedded SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds per route.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Incidents open on the page while it is read.
    #[arg(long, default_value_t = 10)]
    open_incidents: usize,
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = client.request(method, url).json(&body).send().await?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{url}: {status} {answer}");
    }
    Ok(answer)
}

async fn open_on_page(client: &reqwest::Client, base: &str) -> anyhow::Result<usize> {
    let summary: Value = client
        .get(format!("{base}/status/api/v2/summary.json"))
        .send()
        .await?
        .json()
        .await?;
    Ok(summary["incidents"].as_array().map_or(0, Vec::len))
}

/// Declares incidents and tells everyone of them until `wanted` are open on the page.
async fn top_up(client: &reqwest::Client, base: &str, wanted: usize) -> anyhow::Result<usize> {
    let api = format!("{base}/api/v1");
    for tier in ["enterprise", "business", "standard"] {
        call(
            client,
            reqwest::Method::PUT,
            &format!("{api}/comms/approval-policies"),
            json!({"tier": tier, "needs_approval": false}),
        )
        .await?;
    }
    let systems = ["search", "auth", "billing", "notifications", "payments-api"];
    let mut n = 0;
    while open_on_page(client, base).await? < wanted {
        n += 1;
        if n > wanted * 2 {
            bail!("cannot get {wanted} incidents open on the status page");
        }
        let incident = call(
            client,
            reqwest::Method::POST,
            &format!("{api}/incidents"),
            json!({"title": format!("Bench incident {n}"), "severity": "P2",
                   "systems": [systems[n % systems.len()]], "accounts": ["oscorp", "wonka"]}),
        )
        .await?;
        let key = incident["key"].as_str().unwrap_or_default().to_owned();
        let message = call(
            client,
            reqwest::Method::POST,
            &format!("{api}/incidents/{key}/messages"),
            json!({"audience": {"kind": "all"}, "customer_status": "investigating",
                   "body": format!("Some requests are slow ({n}); we are looking into it.")}),
        )
        .await?;
        let id = message["id"].as_i64().unwrap_or_default();
        call(
            client,
            reqwest::Method::POST,
            &format!("{api}/incidents/{key}/messages/{id}/transitions"),
            json!({"action": "send"}),
        )
        .await
        .with_context(|| format!("sending {key}'s message"))?;
    }
    open_on_page(client, base).await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = backend_name(args.database_url.as_deref());
    let server =
        ServerProcess::start(&args.server, args.database_url.as_deref(), &["--demo"]).await?;
    let admin = server.client(4)?;
    let open = top_up(&admin, &server.base, args.open_incidents).await?;
    // Readers are anonymous, like customers, and take gzip like their browsers.
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ACCEPT_ENCODING, "gzip".parse()?);
    let reader = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.clients * 2)
        .build()?;
    let page_bytes = |path: &'static str| {
        let (reader, base) = (reader.clone(), server.base.clone());
        async move {
            let plain = reqwest::get(format!("{base}{path}"))
                .await?
                .bytes()
                .await?
                .len();
            let zipped = reader
                .get(format!("{base}{path}"))
                .send()
                .await?
                .bytes()
                .await?
                .len();
            anyhow::Ok((plain, zipped))
        }
    };

    println!(
        "\n{backend}: {} clients, {} s per route, {open} incidents open on the page, \
         92 days of demo history, server {}\n",
        args.clients,
        args.seconds,
        args.server.display()
    );
    println!("| route | requests/s | first byte p50 ms | first byte p99 ms | whole p99 ms | KB (gzip KB) | errors | server RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for path in ["/status", "/status/api/v2/summary.json"] {
        let (plain, zipped) = page_bytes(path).await?;
        let first_bytes = Arc::new(Mutex::new(Vec::new()));
        let (c, url, firsts) = (
            reader.clone(),
            format!("{}{path}", server.base),
            first_bytes.clone(),
        );
        let measured = measure(
            args.clients,
            Duration::from_secs(args.seconds),
            move |_, _| {
                let (c, url, firsts) = (c.clone(), url.clone(), firsts.clone());
                async move {
                    let started = Instant::now();
                    let Ok(response) = c.get(url).send().await else {
                        return false;
                    };
                    // Headers in: the first byte has arrived.
                    let first = started.elapsed();
                    let ok = response.status() == 200 && response.bytes().await.is_ok();
                    firsts.lock().unwrap_or_else(|e| e.into_inner()).push(first);
                    ok
                }
            },
        )
        .await;
        let mut firsts = first_bytes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        firsts.sort();
        println!(
            "| GET {path} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} ({:.1}) | {} | {:.0} |",
            measured.per_second(),
            ms(&firsts, 0.50),
            ms(&firsts, 0.99),
            ms(&measured.latencies, 0.99),
            plain as f64 / 1024.0,
            zipped as f64 / 1024.0,
            measured.errors,
            server.rss_kib() as f64 / 1024.0
        );
    }
    Ok(())
}
