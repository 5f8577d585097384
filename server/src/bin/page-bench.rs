//! Page renders under load: `--pages` server-rendered pages (mostly war rooms, each
//! with its several `<Suspense>` boundaries; also the incident list, SLA board and
//! report and the comms log) fetched by `--clients` at once while timeline posts
//! arrive at `--rate` a second. Then the server's own counters, scraped from
//! `/metrics`: renders dropped and done again (stalled, or back without their
//! security policy) and policies set on a page afterwards. It passes with every page
//! a 200 carrying its policy and every counter at 0: the render retry in
//! `server/src/render_deadline.rs` never had to act.
//!
//! `scripts/bench.sh pages` (part of `make report`). By hand:
//! `page-bench [--pages 10000] [--clients 8] [--rate 20] [--database-url postgres://…]`

use anyhow::Context;
use clap::Parser;
use serde_json::json;
use server::bench::{backend_name, ms, sibling_binary, ServerProcess};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(about = "Load server-rendered pages under concurrent posting; count retried renders")]
struct Args {
    /// The server binary (build it with --release); default: `sitrep` next to this one.
    #[arg(long)]
    server: Option<PathBuf>,
    /// PostgreSQL to run against; the embedded SQLite when absent.
    #[arg(long)]
    database_url: Option<String>,
    /// Page loads in all.
    #[arg(long, default_value_t = 10_000)]
    pages: usize,
    /// Pages fetched at once.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Timeline posts per second while the pages load.
    #[arg(long, default_value_t = 20)]
    rate: u32,
}

/// Open incidents the war rooms are of, each with a history before the load starts.
const INCIDENTS: usize = 6;
const HISTORY: usize = 40;
const METRICS_TOKEN: &str = "page-bench-metrics-token";
const SEVERITIES: [&str; 3] = ["P1", "P2", "P3"];
const KINDS: [&str; 3] = ["update", "action", "finding"];

/// Which page the `n`-th load fetches: six war rooms in ten.
fn page_for(n: usize, keys: &[String]) -> (&'static str, String) {
    match n % 10 {
        0 => ("incident list", "/".to_owned()),
        1 => ("SLA board", "/sla".to_owned()),
        2 => ("SLA report", "/sla/reports".to_owned()),
        3 => ("comms log", "/comms".to_owned()),
        _ => ("war room", format!("/incidents/{}", keys[n % keys.len()])),
    }
}

/// Three accounts, a team and its system, and `INCIDENTS` incidents impacting them,
/// each with `HISTORY` timeline entries.
async fn seed(client: &reqwest::Client, api: &str) -> anyhow::Result<Vec<String>> {
    let send = |request: reqwest::RequestBuilder, what: &'static str| async move {
        let response = request.send().await.context(what)?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        anyhow::ensure!(status.is_success(), "{what}: {status} {body}");
        Ok::<_, anyhow::Error>(body)
    };
    send(
        client
            .post(format!("{api}/teams"))
            .json(&json!({"slug": "payments", "name": "Payments",
            "lead_email": "dana.lee@example.com", "lead_name": "Dana Lee"})),
        "team",
    )
    .await?;
    send(
        client
            .post(format!("{api}/systems"))
            .json(&json!({"slug": "payments-api", "name": "Payments API", "team": "payments"})),
        "system",
    )
    .await?;
    for (slug, name, tier) in [
        ("acme", "Acme Corp", "enterprise"),
        ("globex", "Globex", "business"),
        ("initech", "Initech", "standard"),
    ] {
        send(
            client.post(format!("{api}/accounts")).json(
                &json!({"slug": slug, "name": name, "tier": tier,
                "csm_email": format!("csm@{slug}.example"), "csm_name": format!("{name} CSM"),
                "contact_emails": [format!("ops@{slug}.example")]}),
            ),
            "account",
        )
        .await?;
    }
    let mut keys = Vec::new();
    for n in 0..INCIDENTS {
        let incident = send(
            client.post(format!("{api}/incidents")).json(&json!({
                "title": format!("Card payments failing in region {n}"),
                "severity": SEVERITIES[n % 3],
                "systems": ["payments-api"],
                "accounts": ["acme", "globex", "initech"],
                "description": "Checkout returns **502** for a share of card payments.",
            })),
            "declare",
        )
        .await?;
        let key = incident["key"].as_str().context("no key")?.to_owned();
        for entry in 0..HISTORY {
            send(
                client
                    .post(format!("{api}/incidents/{key}/timeline"))
                    .json(&json!({"body": format!("Update {entry}: error rate at {}%, still rolling back", entry % 9),
                                  "kind": KINDS[entry % 3]})),
                "history",
            )
            .await?;
        }
        keys.push(key);
    }
    Ok(keys)
}

/// The value of an unlabelled sample, or of the one with these labels.
fn sample(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let binary = args
        .server
        .clone()
        .unwrap_or_else(|| sibling_binary("sitrep"));
    let token_option = format!("--metrics-token={METRICS_TOKEN}");
    let server =
        ServerProcess::start(&binary, args.database_url.as_deref(), &[&token_option]).await?;
    let backend = backend_name(args.database_url.as_deref());
    let client = server.client(args.clients + 8)?;
    let api = format!("{}/api/v1", server.base);
    let keys = Arc::new(seed(&client, &api).await?);
    println!(
        "\npage renders ({backend}): {} pages, {} at once, while {} timeline posts/s arrive; \
         {INCIDENTS} open incidents with {HISTORY} entries each\n",
        args.pages, args.clients, args.rate
    );

    // Posting until the pages are done.
    let stop = Arc::new(AtomicBool::new(false));
    let posts = Arc::new(AtomicU64::new(0));
    let poster = {
        let (client, api, keys, stop, posts) = (
            client.clone(),
            api.clone(),
            keys.clone(),
            stop.clone(),
            posts.clone(),
        );
        let every = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(every);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                ticker.tick().await;
                n += 1;
                let post = client
                    .post(format!("{api}/incidents/{}/timeline", keys[n % keys.len()]))
                    .json(&json!({"body": format!("Live update {n}: checked the dashboards")}));
                let posts = posts.clone();
                tokio::spawn(async move {
                    if let Ok(response) = post.send().await {
                        if response.status() == 201 {
                            posts.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
        })
    };

    let next = Arc::new(AtomicUsize::new(0));
    let timings: Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let mut loaders = Vec::new();
    for _ in 0..args.clients {
        let (client, base, keys) = (client.clone(), server.base.clone(), keys.clone());
        let (next, timings, failures) = (next.clone(), timings.clone(), failures.clone());
        let total = args.pages;
        loaders.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    return;
                }
                let (page, path) = page_for(n, &keys);
                let t = Instant::now();
                let outcome = async {
                    let response = client
                        .get(format!("{base}{path}"))
                        .timeout(Duration::from_secs(60))
                        .send()
                        .await?;
                    let status = response.status();
                    let policy = response
                        .headers()
                        .get("content-security-policy")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.contains("'nonce-"));
                    let body = response.text().await?;
                    anyhow::ensure!(status == 200, "{status}");
                    anyhow::ensure!(policy, "no policy with a script nonce");
                    // Set from inside the page (leptos_meta): a render that lost its
                    // context would come back without it.
                    anyhow::ensure!(body.contains(" · Sitrep</title>"), "no title of its own");
                    Ok(())
                }
                .await;
                let took = t.elapsed();
                timings.lock().unwrap().entry(page).or_default().push(took);
                if let Err(err) = outcome {
                    failures.lock().unwrap().push(format!("{path}: {err:#}"));
                }
            }
        }));
    }
    for loader in loaders {
        loader.await?;
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    poster.await?;

    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await?
        .text()
        .await?;
    let counter = |name: &str| {
        sample(&metrics, name).with_context(|| format!("no {name} in the server's metrics"))
    };
    let stalled = counter("sitrep_page_render_retries_total{reason=\"stalled\"}")?;
    let no_policy = counter("sitrep_page_render_retries_total{reason=\"no_policy\"}")?;
    let policies_set = counter("sitrep_page_policies_set_total")?;

    println!("| page | loads | p50 | p95 | p99 | slowest |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut all = Vec::new();
    for (page, times) in timings.lock().unwrap().iter_mut() {
        times.sort();
        println!(
            "| {page} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
            times.len(),
            ms(times, 0.5),
            ms(times, 0.95),
            ms(times, 0.99),
            ms(times, 1.0)
        );
        all.extend(times.iter().copied());
    }
    all.sort();
    let failures = failures.lock().unwrap();
    for failure in failures.iter().take(5) {
        println!("failed: {failure}");
    }
    let pass = failures.is_empty() && stalled == 0.0 && no_policy == 0.0 && policies_set == 0.0;
    println!(
        "\n{} page renders ({backend}): {} pages in {:.1} s ({:.0}/s, p99 {:.1} ms) beside {} posts; \
         the server counted {stalled} stalled renders retried, {no_policy} renders without a \
         policy retried, {policies_set} policies set afterwards; {} pages failed",
        if pass { "PASS" } else { "FAIL" },
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(&all, 0.99),
        posts.load(Ordering::Relaxed),
        failures.len(),
    );
    if !pass {
        std::process::exit(1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sample;

    #[test]
    fn a_sample_is_read_by_its_full_name() {
        let text = "# TYPE x counter\nx_total{reason=\"stalled\"} 0\nx_total{reason=\"no_policy\"} 3\ny_total 2\n";
        assert_eq!(sample(text, "x_total{reason=\"no_policy\"}"), Some(3.0));
        assert_eq!(sample(text, "x_total{reason=\"stalled\"}"), Some(0.0));
        assert_eq!(sample(text, "y_total"), Some(2.0));
        assert_eq!(sample(text, "y"), None);
    }
}
