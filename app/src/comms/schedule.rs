//! Customer-update schedule math: the interval the impacted accounts' SLA policies
//! ask for, when the next update falls due, and each account's update cadence.

use super::model::FALLBACK_INTERVAL_MINUTES;
use chrono::{DateTime, Duration, Utc};

/// The tightest of the accounts' `update_min` (minutes), or the fallback when none
/// of them has a policy.
pub fn default_interval(update_mins: impl IntoIterator<Item = i64>) -> i64 {
    update_mins
        .into_iter()
        .filter(|m| *m > 0)
        .min()
        .unwrap_or(FALLBACK_INTERVAL_MINUTES)
}

/// When the next update is due: CS's own time if set, else `interval_min` after the
/// anchor (the last message sent, or the incident's start).
pub fn due_at(
    anchor: DateTime<Utc>,
    interval_min: i64,
    due_override: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    due_override.unwrap_or(anchor + Duration::minutes(interval_min))
}

/// An account's cadence so far: (met, missed, next due). Each gap between the start
/// and the first message, and between consecutive messages, is met when it is at
/// most `update_min`; the running gap counts as missed once it is longer.
pub fn cadence(
    update_min: i64,
    start: DateTime<Utc>,
    sent: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> (i64, i64, DateTime<Utc>) {
    let allowed = Duration::minutes(update_min);
    let (mut met, mut missed) = (0, 0);
    let mut last = start;
    let mut times = sent.to_vec();
    times.sort();
    for at in times.into_iter().filter(|at| *at >= start) {
        if at - last <= allowed {
            met += 1;
        } else {
            missed += 1;
        }
        last = at;
    }
    let due = last + allowed;
    if now > due {
        missed += 1;
    }
    (met, missed, due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minute)
    }

    #[test]
    fn the_tightest_policy_sets_the_interval() {
        assert_eq!(default_interval([60, 30, 120]), 30);
        assert_eq!(default_interval([]), FALLBACK_INTERVAL_MINUTES);
    }

    #[test]
    fn a_set_time_wins_over_the_interval() {
        assert_eq!(due_at(at(0), 30, None), at(30));
        assert_eq!(due_at(at(0), 30, Some(at(12))), at(12));
    }

    #[test]
    fn cadence_counts_gaps_against_the_target() {
        // Updates at 20 and 75 min against a 30 min cadence: one met, one missed.
        assert_eq!(
            cadence(30, at(0), &[at(75), at(20)], at(90)),
            (1, 1, at(105))
        );
        // The running gap is missed once it runs over.
        assert_eq!(cadence(30, at(0), &[at(20)], at(51)), (1, 1, at(50)));
        assert_eq!(cadence(30, at(0), &[], at(10)), (0, 0, at(30)));
    }
}
