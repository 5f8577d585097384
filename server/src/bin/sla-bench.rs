//! How long reading 10,000 running SLA clocks takes: the clock math one evaluation
//! pass of the SLA engine does for every running clock (database reads not included;
//! the engine that does them is not built yet).
//!
//! `sla-bench [--clocks 10000] [--passes 50]`

use app::sla::calendar::{BusinessHours, Calendar};
use app::sla::clock::{read, ClockRun, ClockTerms, Halt};
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
    let now: DateTime<Utc> = "2026-11-27T15:30:00Z".parse().unwrap_or_default();
    let clocks = clocks(args.clocks, now);
    let mut passes = Vec::with_capacity(args.passes);
    let mut breached = 0;
    for _ in 0..args.passes {
        let started = Instant::now();
        breached = clocks
            .iter()
            .map(|(terms, run)| read(terms, run, now))
            .filter(|reading| reading.state == app::sla::clock::ClockState::Breached)
            .count();
        passes.push(started.elapsed());
    }
    passes.sort();
    let ms = |p| percentile(&passes, p).map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{} running clocks (24x7, New York and London office hours; {breached} breached): \
         one pass p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms over {} passes",
        args.clocks,
        ms(0.5),
        ms(0.95),
        ms(1.0),
        args.passes
    );
}
