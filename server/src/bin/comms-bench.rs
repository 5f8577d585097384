//! Customer communication's two hot paths, on a real database (a fresh SQLite file,
//! or `--database-url postgres://…`):
//! - drafting an update from an incident with 10,000 timeline entries (every read
//!   drafting does, the timeline from its cache as in the server, and the text),
//!   and the text generation alone;
//! - one pass of the customer-update scheduler over 1,000 open incidents'
//!   schedules (nothing due, as in almost every pass), and a pass that fires one;
//! - the post-mortem draft of the same incident (every read, the facts and the
//!   default template), which shares this set-up: the draft reads what comms reads.
//!
//! `comms-bench [--entries 10000] [--incidents 1000] [--runs 200]`

use app::comms::model::Audience;
use app::identity::model::UserRole;
use app::incidents::model::{DeclareInput, IncidentId};
use app::timeline::model::PostEntry;
use chrono::Duration;
use clap::Parser;
use server::bench::percentile;
use server::config::Config;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Time drafting a customer update and the customer-update scheduler's pass")]
struct Args {
    /// Timeline entries of the incident drafted from.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    /// Open incidents with a running schedule.
    #[arg(long, default_value_t = 1_000)]
    incidents: usize,
    /// Timed runs of each.
    #[arg(long, default_value_t = 200)]
    runs: usize,
    /// PostgreSQL instead of a fresh SQLite file.
    #[arg(long)]
    database_url: Option<String>,
}

fn millis(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn row(what: &str, mut times: Vec<std::time::Duration>, target_ms: Option<f64>) {
    times.sort();
    let at = |p| percentile(&times, p).map_or(f64::NAN, millis);
    let verdict = match target_ms {
        Some(target) if at(0.95) <= target => format!("≤ {target} ms ✓"),
        Some(target) => format!("≤ {target} ms ✗"),
        None => String::new(),
    };
    println!(
        "| {what} | {:.3} | {:.3} | {:.3} | {verdict} |",
        at(0.5),
        at(0.95),
        times.last().copied().map_or(f64::NAN, millis)
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let mut argv = vec![
        "sitrep".to_owned(),
        "--data-dir".to_owned(),
        dir.path().display().to_string(),
    ];
    if let Some(url) = &args.database_url {
        argv.extend(["--database-url".to_owned(), url.clone()]);
    }
    let config = Config::try_parse_from(argv)?;
    let db = server::open_database(&config.effective_database_url()).await?;
    let clock: app::clock::SharedClock = Arc::new(app::clock::SystemClock);
    let state = server::app_state(
        &config,
        db.clone(),
        clock,
        "127.0.0.1:0".parse()?,
        Default::default(),
    );
    let admin = app::identity::service::save_user(
        &state,
        (
            &format!("bench-{}@example.com", std::process::id()),
            "Bench Admin",
        ),
        UserRole::Admin,
        None,
        "comms-bench",
    )
    .await?;
    // Two impacted accounts (their tiers' SLA policies set the update interval);
    // named per run, so a database other benchmarks used takes them too.
    let run = std::process::id();
    let (acme, globex) = (format!("acme-{run}"), format!("globex-{run}"));
    for (slug, name, tier) in [
        (acme.as_str(), "Acme Corp", "enterprise"),
        (globex.as_str(), "Globex", "business"),
    ] {
        let mut conn = db.pool().acquire().await?;
        sqlx::query(
            "INSERT INTO accounts (slug, name, tier, contact_emails, created_at) VALUES ($1, $2, $3, '[\"ops@example.org\"]', 0)",
        )
        .bind(slug)
        .bind(name)
        .bind(tier)
        .execute(&mut *conn)
        .await?;
    }
    let declare = |title: String| DeclareInput {
        title,
        severity: "P1".into(),
        accounts: vec![acme.clone(), globex.clone()],
        ..Default::default()
    };

    eprintln!("posting {} timeline entries…", args.entries);
    let big =
        app::incidents::service::declare_incident(&state, &admin, &declare("Big incident".into()))
            .await?
            .id;
    for n in 0..args.entries.saturating_sub(1) {
        // Mostly updates; every 10th an action, every 50th a finding (what a
        // post-mortem lists), as a long incident's timeline would hold.
        let (kind, outcome) = match n {
            n if n % 50 == 0 => ("finding", None),
            n if n % 10 == 0 => (
                "action",
                Some(if n % 20 == 0 {
                    "worked"
                } else {
                    "did_not_work"
                }),
            ),
            _ => ("update", None),
        };
        let input = PostEntry {
            body: format!("Update {n}: error rate at the gateway is {}%", n % 40),
            kind: Some(kind.into()),
            outcome: outcome.map(str::to_owned),
            customer_visible: Some(n % 10 == 0),
            ..Default::default()
        };
        app::timeline::service::post_entry(&state, &admin, big, &input).await?;
    }
    let timeline = app::timeline::service::read_timeline(&state, big).await?;

    println!(
        "\n{} ({} timeline entries; {} open incidents with schedules)\n",
        db.backend().name(),
        timeline.entries.len(),
        args.incidents
    );
    println!("| what | p50 ms | p95 ms | max ms | target |");
    println!("|---|---:|---:|---:|---|");

    let mut times = Vec::with_capacity(args.runs);
    let mut words = 0;
    for _ in 0..args.runs {
        let started = Instant::now();
        let (drafted, _) =
            app::comms::service::preview_draft(&state, &admin, big, &Audience::All).await?;
        times.push(started.elapsed());
        words = drafted.body.split_whitespace().count();
    }
    row(
        &format!(
            "draft from {} entries (reads + text)",
            timeline.entries.len()
        ),
        times,
        Some(5.0),
    );
    let template =
        app::comms::draft::default_template(app::comms::model::CustomerStatus::Investigating);
    let components = vec!["Checkout".to_owned()];
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let now = chrono::Utc::now();
        let facts = app::comms::draft::DraftFacts {
            key: "INC-1",
            status: app::incidents::model::IncidentStatus::Investigating,
            started_at: now - Duration::minutes(35),
            ended_at: None,
            components: &components,
            entries: &timeline.entries,
            since_seq: 0,
            now,
            next_update_at: Some(now + Duration::minutes(30)),
            zone: chrono_tz::UTC,
        };
        let started = Instant::now();
        let drafted = app::comms::draft::draft(&template, &facts);
        times.push(started.elapsed());
        std::hint::black_box(drafted);
    }
    row("  of which the text alone", times, None);

    let mut times = Vec::with_capacity(args.runs);
    let mut postmortem_lines = 0;
    for _ in 0..args.runs {
        let started = Instant::now();
        let (draft, _) = app::postmortem::service::draft(&state, big, chrono_tz::UTC, None).await?;
        times.push(started.elapsed());
        postmortem_lines = draft.lines().count();
    }
    row(
        &format!(
            "post-mortem draft from {} entries (reads + facts + template)",
            timeline.entries.len()
        ),
        times,
        Some(20.0),
    );

    eprintln!("declaring {} incidents…", args.incidents);
    let mut ids: Vec<IncidentId> = Vec::with_capacity(args.incidents);
    for n in 1..args.incidents {
        let incident = app::incidents::service::declare_incident(
            &state,
            &admin,
            &declare(format!("Incident {n}")),
        )
        .await?;
        ids.push(incident.id);
    }
    ids.push(big);
    for id in &ids {
        let incident = app::incidents::service::get_incident(&state, *id).await?;
        app::comms::service::ensure_schedule(&state, &incident).await?;
    }
    // Schedules other runs left on this database are not ours to fire.
    let mut conn = db.pool().acquire().await?;
    sqlx::query("UPDATE comms_schedules SET active = 0 WHERE incident_id < $1")
        .bind(big.0)
        .execute(&mut *conn)
        .await?;
    drop(conn);
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let started = Instant::now();
        let (fired, _) = app::comms::scheduler::pass(&state).await?;
        times.push(started.elapsed());
        anyhow::ensure!(fired == 0, "nothing is due yet, but {fired} fired");
    }
    row(
        &format!("scheduler pass over {} schedules, none due", ids.len()),
        times,
        Some(10.0),
    );
    // One due each time: the pass that fires it drafts an update (a write).
    let mut times = Vec::with_capacity(args.runs.min(ids.len()));
    for id in ids.iter().take(args.runs.min(ids.len())) {
        let mut conn = db.pool().acquire().await?;
        sqlx::query("UPDATE comms_schedules SET due_at = 0 WHERE incident_id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        drop(conn);
        let started = Instant::now();
        let (fired, _) = app::comms::scheduler::pass(&state).await?;
        times.push(started.elapsed());
        anyhow::ensure!(fired == 1, "one was due, {fired} fired");
    }
    row("scheduler pass that fires one (drafts it)", times, None);
    println!("\n(draft body: {words} words; post-mortem: {postmortem_lines} lines)");
    db.close().await;
    Ok(())
}
