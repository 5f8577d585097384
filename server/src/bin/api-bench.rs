//! API benchmark: starts a release `sitrep` on a fresh database, drives it with
//! concurrent clients over loopback, and prints a table per operation.
//!
//! `scripts/bench.sh` runs it against SQLite and a throwaway PostgreSQL. By hand:
//! `api-bench --server target/release/sitrep [--database-url postgres://…] [--seconds 5] [--clients 10]`

use anyhow::bail;
use clap::Parser;
use serde_json::{json, Value};
use server::bench::{backend_name, measure, ms, ServerProcess};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(about = "Benchmark Sitrep's REST API against a real server process")]
struct Args {
    /// The server binary to start (build it with --release).
    #[arg(long, default_value = "target/release/sitrep")]
    server: PathBuf,
    /// PostgreSQL to benchmark against; the embedded SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Seconds per operation.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 10)]
    clients: usize,
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> anyhow::Result<Value> {
    let response = client.post(url).json(body).send().await?;
    if !response.status().is_success() {
        bail!("{url}: {}", response.status());
    }
    Ok(response.json().await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let backend = backend_name(args.database_url.as_deref());
    let server = ServerProcess::start(&args.server, args.database_url.as_deref(), &[]).await?;
    let client = server.client(args.clients * 2)?;
    let api = format!("{}/api/v1", server.base);

    // Fixtures: one incident with 200 entries, and 500 incidents to page through.
    let big = post(
        &client,
        &format!("{api}/incidents"),
        &json!({"title": "Benchmark incident", "severity": "P1"}),
    )
    .await?;
    let big_key = big["key"].as_str().unwrap_or_default().to_owned();
    for n in 0..200 {
        post(
            &client,
            &format!("{api}/incidents/{big_key}/timeline"),
            &json!({"body": format!("update {n}")}),
        )
        .await?;
    }
    for n in 0..499 {
        post(
            &client,
            &format!("{api}/incidents"),
            &json!({"title": format!("Seed {n}"), "severity": "P3"}),
        )
        .await?;
    }

    // A PagerDuty integration and one signed delivery of its real payload: re-sent,
    // it is the re-fire of one alert (verified, parsed, deduplicated, counted).
    let secret = "whsec_bench_0123456789abcdef";
    let created = post(
        &client,
        &format!("{api}/integrations"),
        &json!({"kind": "pagerduty", "name": "Bench PagerDuty", "secret": secret}),
    )
    .await?;
    let intake_url = created["integration"]["url"]
        .as_str()
        .unwrap_or_default()
        .replace("https://sitrep.example.com", &server.base);
    let intake_path = intake_url[intake_url.find("/api/v1/").unwrap_or(0)..].to_owned();
    // PagerDuty's recorded event, as if it happened now (older ones are replays).
    let mut event: Value = serde_json::from_slice(include_bytes!(
        "../../../app/src/intake/fixtures/pagerduty/triggered_v3.json"
    ))?;
    event["event"]["occurred_at"] = json!(chrono::Utc::now().to_rfc3339());
    let refire: &'static [u8] = Vec::leak(serde_json::to_vec(&event)?);
    let signature = app::intake::verify::pagerduty_signature(secret, refire);

    let duration = Duration::from_secs(args.seconds);
    println!(
        "\n{backend}: {} clients, {} s per operation, server {}\n",
        args.clients,
        args.seconds,
        args.server.display()
    );
    println!("| operation | requests/s | p50 ms | p99 ms | errors | server RSS MB |");
    println!("|---|---:|---:|---:|---:|---:|");

    type Op = (
        &'static str,
        Box<
            dyn Fn(reqwest::Client, String, String, usize, usize) -> futures_like::BoxFuture
                + Send
                + Sync,
        >,
    );
    let operations: Vec<Op> = vec![
        (
            "create incident",
            Box::new(|c, api, _, client, n| {
                Box::pin(async move {
                    let body = json!({"title": format!("bench {client}-{n}"), "severity": "P2"});
                    c.post(format!("{api}/incidents"))
                        .json(&body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 201)
                })
            }),
        ),
        (
            "post timeline entry",
            Box::new(|c, api, _, client, n| {
                Box::pin(async move {
                    // A separate incident per client: posts to one incident serialise by design.
                    let key = format!("INC-{}", 2 + client);
                    let body = json!({"body": format!("bench post {client}-{n}")});
                    c.post(format!("{api}/incidents/{key}/timeline"))
                        .json(&body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 201)
                })
            }),
        ),
        (
            "get incident + 200 entries",
            Box::new(|c, api, big, _, _| {
                Box::pin(async move {
                    let (incident, timeline) = tokio::join!(
                        c.get(format!("{api}/incidents/{big}")).send(),
                        c.get(format!("{api}/incidents/{big}/timeline")).send()
                    );
                    let ok = |r: Result<reqwest::Response, reqwest::Error>| {
                        r.is_ok_and(|r| r.status() == 200)
                    };
                    let (a, b) = (ok(incident), ok(timeline));
                    a && b
                })
            }),
        ),
        (
            "signed alert re-fire (PagerDuty)",
            Box::new(move |c, api, _, _, _| {
                let (path, signature) = (intake_path.clone(), signature.clone());
                Box::pin(async move {
                    let url = format!("{}{path}", api.trim_end_matches("/api/v1"));
                    c.post(url)
                        .header("content-type", "application/json")
                        .header("x-pagerduty-signature", signature)
                        .body(refire)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 202)
                })
            }),
        ),
        (
            "list incidents (25 of 500+)",
            Box::new(|c, api, _, _, _| {
                Box::pin(async move {
                    match c.get(format!("{api}/incidents?limit=25")).send().await {
                        Ok(r) if r.status() == 200 => r
                            .json::<Vec<Value>>()
                            .await
                            .is_ok_and(|list| list.len() == 25),
                        _ => false,
                    }
                })
            }),
        ),
    ];
    for (name, operation) in operations {
        let operation = Arc::new(operation);
        let (c, api, big) = (client.clone(), api.clone(), big_key.clone());
        let measured = measure(args.clients, duration, move |client, n| {
            operation(c.clone(), api.clone(), big.clone(), client, n)
        })
        .await;
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {} | {:.0} |",
            measured.requests as f64 / measured.elapsed.as_secs_f64(),
            ms(&measured.latencies, 0.50),
            ms(&measured.latencies, 0.99),
            measured.errors,
            server.rss_kib() as f64 / 1024.0
        );
    }
    Ok(())
}

/// A boxed, sendable future of a request's success.
mod futures_like {
    pub type BoxFuture = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;
}
