//! One SLA clock read at an instant: how much contract time it has used, how much is
//! left, its state, and when that state will next change if nothing else happens
//! (so the engine can sleep until then instead of polling).

use super::calendar::Calendar;
pub use super::model::ClockState;
use chrono::{DateTime, Duration, Utc};

/// The contract a clock runs against.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockTerms {
    pub target: Duration,
    /// At risk once this share of the target is used (percent, 1–99).
    pub at_risk_percent: u8,
    pub calendar: Calendar,
}

impl ClockTerms {
    fn at_risk_after(&self) -> Duration {
        Duration::seconds(self.target.num_seconds() * i64::from(self.at_risk_percent) / 100)
    }
}

/// When a clock ran: spans from its start, split by pauses; the last is open while
/// it runs. A clock with every span closed is halted, for `halt`.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockRun {
    pub spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pub halt: Halt,
}

/// Why a clock with no open span is not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// It runs (the last span is open).
    Running,
    Paused,
    /// Acknowledged (response) or resolved (resolution): final unless reopened.
    Stopped,
}

/// A clock at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub state: ClockState,
    pub used: Duration,
    /// Target minus used; negative once breached.
    pub remaining: Duration,
    /// When the state next changes if the clock keeps running (at risk, then breach).
    pub next_change: Option<DateTime<Utc>>,
    /// When the target is reached if it keeps running.
    pub breach_at: Option<DateTime<Utc>>,
}

/// Reads a clock at `now` (spans are counted up to `now`, never beyond).
pub fn read(terms: &ClockTerms, run: &ClockRun, now: DateTime<Utc>) -> Reading {
    let calendar = &terms.calendar;
    let used: Duration = run
        .spans
        .iter()
        .map(|&(from, to)| calendar.time_between(from, to.unwrap_or(now).min(now)))
        .sum();
    reading(terms, run, used, now, None)
}

/// Reads a clock at `now` from its reading at `then` (same run, `then` ≤ `now`):
/// only the time since `then` is counted, and the due instants are kept while the
/// state holds (they do not move while the clock runs). What the engine does every
/// pass; equal to `read` (property-tested).
pub fn advance(
    terms: &ClockTerms,
    run: &ClockRun,
    then: DateTime<Utc>,
    last: &Reading,
    now: DateTime<Utc>,
) -> Reading {
    if now < then {
        return read(terms, run, now);
    }
    let since = match open_span(run) {
        Some(from) => terms.calendar.time_between(from.max(then), now),
        None => Duration::zero(),
    };
    reading(terms, run, last.used + since, now, Some(last))
}

fn open_span(run: &ClockRun) -> Option<DateTime<Utc>> {
    match (run.halt, run.spans.last()) {
        (Halt::Running, Some(&(from, None))) => Some(from),
        _ => None,
    }
}

/// The reading of a clock that has used `used` by `now`; `last` is a reading of the
/// same run whose due instants still hold if its state is unchanged.
fn reading(
    terms: &ClockTerms,
    run: &ClockRun,
    used: Duration,
    now: DateTime<Utc>,
    last: Option<&Reading>,
) -> Reading {
    let remaining = terms.target - used;
    let running = open_span(run).is_some();
    // Counted from now: the contract time still to pass before `amount` is used.
    let when_used = |amount: Duration| {
        running
            .then(|| terms.calendar.add(now, amount - used))
            .flatten()
    };
    let state = match run.halt {
        Halt::Stopped if used <= terms.target => ClockState::Met,
        Halt::Stopped => ClockState::Missed,
        _ if used >= terms.target => ClockState::Breached,
        Halt::Paused => ClockState::Paused,
        _ if used >= terms.at_risk_after() => ClockState::AtRisk,
        _ => ClockState::OnTrack,
    };
    if let Some(last) = last.filter(|last| last.state == state) {
        return Reading {
            state,
            used,
            remaining,
            next_change: last.next_change,
            breach_at: last.breach_at,
        };
    }
    let breach_at = match state {
        ClockState::OnTrack | ClockState::AtRisk => when_used(terms.target),
        _ => None,
    };
    let next_change = match state {
        ClockState::OnTrack => when_used(terms.at_risk_after()),
        ClockState::AtRisk => breach_at,
        _ => None,
    };
    Reading {
        state,
        used,
        remaining,
        next_change,
        breach_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn four_hours() -> ClockTerms {
        ClockTerms {
            target: Duration::hours(4),
            at_risk_percent: 75,
            calendar: Calendar::AlwaysOn,
        }
    }

    fn running_since(from: &str) -> ClockRun {
        ClockRun {
            spans: vec![(at(from), None)],
            halt: Halt::Running,
        }
    }

    #[test]
    fn a_p1_open_three_and_a_half_hours_of_four_has_thirty_minutes_left_and_is_at_risk() {
        let run = running_since("2026-11-28T08:00:00Z");
        let early = read(&four_hours(), &run, at("2026-11-28T10:00:00Z"));
        assert_eq!(early.state, ClockState::OnTrack);
        assert_eq!(
            early.next_change,
            Some(at("2026-11-28T11:00:00Z")),
            "at risk after 3 h"
        );

        let reading = read(&four_hours(), &run, at("2026-11-28T11:30:00Z"));
        assert_eq!(reading.state, ClockState::AtRisk);
        assert_eq!(reading.remaining, Duration::minutes(30));
        assert_eq!(reading.next_change, Some(at("2026-11-28T12:00:00Z")));
        assert_eq!(reading.breach_at, Some(at("2026-11-28T12:00:00Z")));

        let breached = read(&four_hours(), &run, at("2026-11-28T12:00:00Z"));
        assert_eq!(breached.state, ClockState::Breached);
        assert_eq!(breached.remaining, Duration::zero());
        assert_eq!(breached.next_change, None);
    }

    #[test]
    fn a_pause_holds_the_remaining_time_and_resuming_moves_the_deadline() {
        let terms = four_hours();
        let paused = ClockRun {
            spans: vec![(at("2026-11-28T08:00:00Z"), Some(at("2026-11-28T09:00:00Z")))],
            halt: Halt::Paused,
        };
        let reading = read(&terms, &paused, at("2026-11-28T15:00:00Z"));
        assert_eq!(reading.state, ClockState::Paused);
        assert_eq!(reading.remaining, Duration::hours(3));
        assert_eq!(reading.next_change, None, "nothing changes while paused");

        let resumed = ClockRun {
            spans: vec![
                (at("2026-11-28T08:00:00Z"), Some(at("2026-11-28T09:00:00Z"))),
                (at("2026-11-28T15:00:00Z"), None),
            ],
            halt: Halt::Running,
        };
        let reading = read(&terms, &resumed, at("2026-11-28T16:00:00Z"));
        assert_eq!(reading.used, Duration::hours(2));
        assert_eq!(
            reading.next_change,
            Some(at("2026-11-28T17:00:00Z")),
            "3 h used at 17:00"
        );
        assert_eq!(reading.breach_at, Some(at("2026-11-28T18:00:00Z")));
    }

    #[test]
    fn a_stopped_clock_is_met_or_missed() {
        let stopped = |to: &str| ClockRun {
            spans: vec![(at("2026-11-28T08:00:00Z"), Some(at(to)))],
            halt: Halt::Stopped,
        };
        let later = at("2026-11-29T08:00:00Z");
        assert_eq!(
            read(&four_hours(), &stopped("2026-11-28T12:00:00Z"), later).state,
            ClockState::Met
        );
        assert_eq!(
            read(&four_hours(), &stopped("2026-11-28T12:00:01Z"), later).state,
            ClockState::Missed
        );
    }

    #[test]
    fn a_breached_clock_stays_breached_when_paused() {
        let run = ClockRun {
            spans: vec![(at("2026-11-28T08:00:00Z"), Some(at("2026-11-28T13:00:00Z")))],
            halt: Halt::Paused,
        };
        assert_eq!(
            read(&four_hours(), &run, at("2026-11-28T14:00:00Z")).state,
            ClockState::Breached
        );
    }

    proptest! {
        /// However a running period is cut into spans (pauses of zero length), the
        /// time used is the same, and pausing for a while uses exactly that much less.
        #[test]
        fn pauses_neither_lose_nor_add_time(cuts in proptest::collection::vec(0..600_i64, 0..6), pause in 0..120_i64, at_minute in 0..600_i64) {
            let start = at("2026-11-28T08:00:00Z");
            let now = start + Duration::minutes(at_minute);
            let terms = ClockTerms { target: Duration::hours(24), ..four_hours() };
            let mut points: Vec<i64> = cuts.into_iter().filter(|&c| c < at_minute).collect();
            points.sort_unstable();
            points.dedup();
            let mut spans = Vec::new();
            let mut from = start;
            for point in points {
                let to = start + Duration::minutes(point);
                spans.push((from, Some(to)));
                from = to;
            }
            spans.push((from, None));
            let cut = ClockRun { spans, halt: Halt::Running };
            prop_assert_eq!(read(&terms, &cut, now).used, Duration::minutes(at_minute));

            // A pause of `pause` minutes starting half way.
            let half = start + Duration::minutes(at_minute / 2);
            let paused = ClockRun {
                spans: vec![(start, Some(half)), (half + Duration::minutes(pause), None)],
                halt: Halt::Running,
            };
            let expected = Duration::minutes(at_minute) - Duration::minutes(pause).min(now - half);
            prop_assert_eq!(read(&terms, &paused, now).used, expected);
        }

        /// The engine's incremental reading, pass after pass, equals reading the clock
        /// afresh: used time, state and due instants, in office hours across a DST change.
        #[test]
        fn advancing_pass_by_pass_equals_reading_afresh(steps in proptest::collection::vec(1..400_i64, 1..40), start_minute in 0..(14 * 24 * 60_i64)) {
            let hours = crate::sla::calendar::BusinessHours::new(
                chrono_tz::America::New_York,
                [chrono::Weekday::Mon, chrono::Weekday::Tue, chrono::Weekday::Wed, chrono::Weekday::Thu, chrono::Weekday::Fri],
                (chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(), chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap()),
                [],
            ).unwrap();
            let terms = ClockTerms { target: Duration::hours(16), at_risk_percent: 75, calendar: Calendar::BusinessHours(hours) };
            let start = at("2026-10-26T00:00:00Z") + Duration::minutes(start_minute);
            let run = ClockRun { spans: vec![(start, None)], halt: Halt::Running };
            let mut then = start;
            let mut last = read(&terms, &run, then);
            for step in steps {
                let now = then + Duration::minutes(step * 7);
                let stepped = advance(&terms, &run, then, &last, now);
                prop_assert_eq!(&stepped, &read(&terms, &run, now));
                (then, last) = (now, stepped);
            }
        }
    }
}
