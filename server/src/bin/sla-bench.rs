//! How long one evaluation pass of the SLA engine over 10,000 running clocks takes:
//! `Engine::pass`, which reads every clock it keeps (used, remaining, state, next
//! change) and finds the ones whose state changed. The clocks are in memory, as in
//! the running engine (it reads the database only when an incident changes). Printed
//! beside it, in the same run: the engine's first pass (every clock read from its
//! start) and reading every clock afresh each time.
//!
//! `sla-bench [--clocks 10000] [--passes 50]`

use app::catalog::model::Tier;
use app::incidents::model::IncidentId;
use app::sla::calendar::{BusinessHours, Calendar};
use app::sla::clock::{read, ClockRun, ClockTerms, Halt};
use app::sla::engine::{Engine, LiveClock};
use app::sla::model::{ClockKind, ClockState};
use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use clap::Parser;
use server::bench::percentile;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Time one evaluation pass over many running SLA clocks")]
struct Args {
    /// Running clocks per pass.
    #[arg(long, default_value_t = 10_000)]
    clocks: usize,
    /// Passes to time.
    #[arg(long, default_value_t = 50)]
    passes: usize,
}

/// A mix like a busy instance's: a third 24×7, a third office hours in New York, a
/// third in London with holidays; started up to two weeks ago, some paused once.
fn clocks(count: usize, now: DateTime<Utc>) -> Vec<(ClockTerms, ClockRun)> {
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let hours = (
        NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
    );
    let calendars = [
        Calendar::AlwaysOn,
        BusinessHours::new(chrono_tz::America::New_York, weekdays, hours, [])
            .map(Calendar::BusinessHours)
            .unwrap_or(Calendar::AlwaysOn),
        BusinessHours::new(
            chrono_tz::Europe::London,
            weekdays,
            hours,
            ["2026-12-25", "2026-12-28"]
                .iter()
                .filter_map(|d| d.parse().ok()),
        )
        .map(Calendar::BusinessHours)
        .unwrap_or(Calendar::AlwaysOn),
    ];
    (0..count)
        .map(|n| {
            let started = now - Duration::minutes((n as i64 * 7_919) % (14 * 24 * 60));
            let terms = ClockTerms {
                target: Duration::hours([4, 8, 24, 72][n % 4]),
                at_risk_percent: 75,
                calendar: calendars[n % 3].clone(),
            };
            let spans = if n % 5 == 0 {
                let paused = started + (now - started) / 3;
                vec![(started, Some(paused)), (paused + (now - paused) / 2, None)]
            } else {
                vec![(started, None)]
            };
            (
                terms,
                ClockRun {
                    spans,
                    halt: Halt::Running,
                },
            )
        })
        .collect()
}

fn main() {
    let args = Args::parse();
    let start: DateTime<Utc> = "2026-11-27T15:30:00Z".parse().unwrap_or_default();
    let clocks = clocks(args.clocks, start);
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let summary = |mut passes: Vec<std::time::Duration>| {
        passes.sort();
        let at = |p| percentile(&passes, p).map_or(0.0, ms);
        format!(
            "p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
            at(0.5),
            at(0.95),
            at(1.0)
        )
    };

    // The engine, two clocks per incident; passes one second apart, as when a
    // clock is due every second.
    let mut engine = Engine::default();
    for (n, pair) in clocks.chunks(2).enumerate() {
        let live = pair
            .iter()
            .enumerate()
            .map(|(k, (terms, run))| {
                LiveClock::new(
                    n as i64,
                    format!("account-{n}"),
                    format!("Account {n}"),
                    Tier::Enterprise,
                    ClockKind::ALL[k % 2],
                    ("Bench".into(), 1),
                    terms.clone(),
                    run.clone(),
                    ClockState::OnTrack,
                )
            })
            .collect();
        engine.track(IncidentId(n as i64 + 1), live);
    }
    let first = Instant::now();
    let pass = engine.pass(start);
    let first = first.elapsed();
    let mut passes = Vec::with_capacity(args.passes);
    let mut due = 0;
    for n in 1..=args.passes {
        let now = start + Duration::seconds(n as i64);
        let started = Instant::now();
        let pass = engine.pass(now);
        passes.push(started.elapsed());
        due = pass.due.len();
    }
    println!(
        "SLA engine pass over {} running clocks (24x7, New York and London office hours; \
         {} incidents with a changed state): {} over {} passes",
        pass.clocks_read,
        due,
        summary(passes),
        args.passes
    );
    println!(
        "  its first pass (every clock read from its start): {:.2} ms",
        ms(first)
    );

    // For comparison: reading every clock afresh, every pass.
    let mut afresh = Vec::with_capacity(args.passes);
    let mut breached = 0;
    for _ in 0..args.passes {
        let started = Instant::now();
        breached = clocks
            .iter()
            .map(|(terms, run)| read(terms, run, start))
            .filter(|reading| reading.state == ClockState::Breached)
            .count();
        afresh.push(started.elapsed());
    }
    println!(
        "  reading all {} clocks afresh instead ({breached} breached): {}",
        args.clocks,
        summary(afresh)
    );
}
