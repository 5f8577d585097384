//! How much contract time passes between two instants, and when a given amount of
//! it will have passed: 24×7, or business hours on working days in a time zone,
//! skipping weekends and holidays and following daylight-saving changes.
//!
//! Business time is defined by the wall clock: a moment counts when the local date
//! is a working day and the local time is within opening hours. On the night the
//! clocks go back, a window that spans the repeated hour counts it twice (it is
//! worked twice); on the night they go forward, the skipped hour does not exist.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Longest search for working time before a calendar is judged to have none.
const SEARCH_DAYS: i64 = 800;

/// When contract time runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// Always.
    AlwaysOn,
    BusinessHours(BusinessHours),
}

/// Working days and hours in one time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    pub zone: Tz,
    /// Working days (Weekday has no order, so a short list).
    pub weekdays: Vec<Weekday>,
    /// Local opening time; `close` is after it on the same day.
    pub open: NaiveTime,
    pub close: NaiveTime,
    /// Local dates with no working hours.
    pub holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// Checks that the calendar has working time at all.
    pub fn new(
        zone: Tz,
        weekdays_given: impl IntoIterator<Item = Weekday>,
        (open, close): (NaiveTime, NaiveTime),
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<BusinessHours, String> {
        let mut weekdays: Vec<Weekday> = Vec::new();
        for day in weekdays_given {
            if !weekdays.contains(&day) {
                weekdays.push(day);
            }
        }
        if weekdays.is_empty() {
            return Err("Choose at least one working day".into());
        }
        if open >= close {
            return Err(format!(
                "Opening time {open} must be before closing time {close}"
            ));
        }
        Ok(BusinessHours {
            zone,
            weekdays,
            open,
            close,
            holidays: holidays.into_iter().collect(),
        })
    }

    fn works_on(&self, date: NaiveDate) -> bool {
        self.weekdays.contains(&date.weekday()) && !self.holidays.contains(&date)
    }

    fn offset_at(&self, at: DateTime<Utc>) -> Duration {
        Duration::seconds(i64::from(
            self.zone
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc(),
        ))
    }

    /// The pieces of time from `from` on, each within one local date and one UTC
    /// offset (so local time runs linearly through it), with the working part of each.
    fn pieces(&self, from: DateTime<Utc>) -> impl Iterator<Item = Piece> + '_ {
        let mut at = from;
        std::iter::from_fn(move || {
            let offset = self.offset_at(at);
            let local = at.naive_utc() + offset;
            let next_midnight = local.date().succ_opt()?.and_time(NaiveTime::MIN);
            let mut end = DateTime::from_naive_utc_and_offset(next_midnight - offset, Utc);
            if self.offset_at(end - Duration::seconds(1)) != offset {
                end = self.offset_change(at, end);
            }
            let working = if self.works_on(local.date()) {
                let day = local.date();
                let (open, close) = (day.and_time(self.open), day.and_time(self.close));
                let local_end = end.naive_utc() + offset;
                overlap((local, local_end), (open, close))
                    .map(|(a, b)| (utc(a - offset), utc(b - offset)))
            } else {
                None
            };
            let piece = Piece { end, working };
            at = end;
            Some(piece)
        })
    }

    /// The first instant in (`after`, `before`] with a different offset than `after`
    /// (to the second: zones change offset on whole seconds).
    fn offset_change(&self, after: DateTime<Utc>, before: DateTime<Utc>) -> DateTime<Utc> {
        let offset = self.offset_at(after);
        let (mut low, mut high) = (after.timestamp(), before.timestamp());
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            match DateTime::from_timestamp(mid, 0) {
                Some(t) if self.offset_at(t) == offset => low = mid,
                _ => high = mid,
            }
        }
        DateTime::from_timestamp(high, 0).unwrap_or(before)
    }
}

/// A stretch of time and its working part (UTC).
struct Piece {
    end: DateTime<Utc>,
    working: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

fn utc(naive: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(naive, Utc)
}

fn overlap<T: Ord + Copy>((a, b): (T, T), (c, d): (T, T)) -> Option<(T, T)> {
    let (from, to) = (a.max(c), b.min(d));
    (from < to).then_some((from, to))
}

impl Calendar {
    /// Contract time in [`from`, `to`); zero when `to` is not after `from`.
    pub fn time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        match self {
            Calendar::AlwaysOn => to - from,
            Calendar::BusinessHours(hours) => {
                let mut total = Duration::zero();
                for piece in hours.pieces(from) {
                    if let Some((a, b)) = piece.working {
                        if let Some((a, b)) = overlap((a, b), (from, to)) {
                            total += b - a;
                        }
                    }
                    if piece.end >= to {
                        break;
                    }
                }
                total
            }
        }
    }

    /// Whether contract time flows at `at`, and when that next changes (`None`:
    /// never, as in 24×7, or no working time within the search horizon).
    pub fn flow_at(&self, at: DateTime<Utc>) -> (bool, Option<DateTime<Utc>>) {
        let Calendar::BusinessHours(hours) = self else {
            return (true, None);
        };
        let horizon = at + Duration::days(SEARCH_DAYS);
        for piece in hours.pieces(at) {
            if let Some((open, close)) = piece.working {
                if close > at {
                    // Pieces start at `at`, so a working part that has begun began at `at`.
                    return if open <= at {
                        (true, Some(close))
                    } else {
                        (false, Some(open))
                    };
                }
            }
            if piece.end > horizon {
                break;
            }
        }
        (false, None)
    }

    /// The earliest instant by which `amount` of contract time has passed since
    /// `from` (`from` itself for nothing); `None` if the calendar has no working time
    /// within the search horizon.
    pub fn add(&self, from: DateTime<Utc>, amount: Duration) -> Option<DateTime<Utc>> {
        if amount <= Duration::zero() {
            return Some(from);
        }
        match self {
            Calendar::AlwaysOn => Some(from + amount),
            Calendar::BusinessHours(hours) => {
                let horizon = from + Duration::days(SEARCH_DAYS);
                let mut left = amount;
                for piece in hours.pieces(from) {
                    if let Some((a, b)) = piece.working {
                        if b - a >= left {
                            return Some(a + left);
                        }
                        left -= b - a;
                    }
                    if piece.end > horizon {
                        return None;
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    const WEEKDAYS: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];

    fn office(zone: Tz, holidays: &[&str]) -> Calendar {
        Calendar::BusinessHours(
            BusinessHours::new(
                zone,
                WEEKDAYS,
                (hm(9, 0), hm(17, 0)),
                holidays.iter().map(|d| date(d)),
            )
            .unwrap(),
        )
    }

    /// The definition, one minute at a time: does the minute starting at `m` count?
    fn counts(calendar: &Calendar, m: DateTime<Utc>) -> bool {
        match calendar {
            Calendar::AlwaysOn => true,
            Calendar::BusinessHours(h) => {
                let local = m.with_timezone(&h.zone).naive_local();
                // Written out again rather than calling `works_on`: a reference that
                // shared the code under test could not catch its mistakes.
                let working_day = h.weekdays.contains(&local.date().weekday())
                    && !h.holidays.contains(&local.date());
                working_day && h.open <= local.time() && local.time() < h.close
            }
        }
    }

    fn reference_minutes(calendar: &Calendar, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        let mut m = from;
        let mut n = 0;
        while m < to {
            n += i64::from(counts(calendar, m));
            m += Duration::minutes(1);
        }
        n
    }

    #[test]
    fn office_hours_skip_nights_weekends_and_holidays() {
        let london = office(chrono_tz::Europe::London, &["2026-12-25"]);
        // Friday 16:00 to Monday 10:00 in winter (London = UTC): 1 h + 1 h.
        assert_eq!(
            london.time_between(at("2026-11-27T16:00:00Z"), at("2026-11-30T10:00:00Z")),
            Duration::hours(2)
        );
        // Christmas is a Friday holiday: Thursday 16:00 to Monday 10:00 is 1 h + 1 h.
        assert_eq!(
            london.time_between(at("2026-12-24T16:00:00Z"), at("2026-12-28T10:00:00Z")),
            Duration::hours(2)
        );
        // Four hours from Friday 15:00 land on Monday 11:00.
        assert_eq!(
            london.add(at("2026-11-27T15:00:00Z"), Duration::hours(4)),
            Some(at("2026-11-30T11:00:00Z"))
        );
        // Declared on a Saturday: the clock starts Monday 09:00.
        assert_eq!(
            london.add(at("2026-11-28T12:00:00Z"), Duration::minutes(30)),
            Some(at("2026-11-30T09:30:00Z"))
        );
    }

    #[test]
    fn daylight_saving_in_new_york_and_london() {
        let all_week = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let night = |zone| {
            Calendar::BusinessHours(
                BusinessHours::new(zone, all_week, (hm(0, 30), hm(4, 30)), []).unwrap(),
            )
        };
        let new_york = night(chrono_tz::America::New_York);
        // 2026-03-08: 02:00 EST becomes 03:00 EDT; the 00:30–04:30 window is 3 h long.
        assert_eq!(
            new_york.time_between(at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z")),
            Duration::hours(3)
        );
        // 2026-11-01: 02:00 EDT becomes 01:00 EST; 01:00–02:00 is worked twice: 5 h.
        assert_eq!(
            new_york.time_between(at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z")),
            Duration::hours(5)
        );
        let london = night(chrono_tz::Europe::London);
        // 2026-03-29: 01:00 GMT becomes 02:00 BST: 3 h.
        assert_eq!(
            london.time_between(at("2026-03-28T12:00:00Z"), at("2026-03-29T12:00:00Z")),
            Duration::hours(3)
        );
        // 2026-10-25: 02:00 BST becomes 01:00 GMT: 5 h.
        assert_eq!(
            london.time_between(at("2026-10-24T12:00:00Z"), at("2026-10-25T12:00:00Z")),
            Duration::hours(5)
        );
        // Starting at 00:30 EDT on the fall-back night, 4.5 h of work end at 04:00 EST.
        assert_eq!(
            new_york.add(at("2026-11-01T04:30:00Z"), Duration::minutes(270)),
            Some(at("2026-11-01T09:00:00Z"))
        );
    }

    #[test]
    fn a_calendar_without_working_time_is_refused() {
        let zone = chrono_tz::UTC;
        assert!(BusinessHours::new(zone, [], (hm(9, 0), hm(17, 0)), []).is_err());
        assert!(BusinessHours::new(zone, WEEKDAYS, (hm(17, 0), hm(9, 0)), []).is_err());
    }

    #[test]
    fn always_on_is_plain_elapsed_time() {
        let from = at("2026-11-28T10:00:00Z");
        assert_eq!(
            Calendar::AlwaysOn.time_between(from, from + Duration::hours(4)),
            Duration::hours(4)
        );
        assert_eq!(
            Calendar::AlwaysOn.add(from, Duration::hours(4)),
            Some(from + Duration::hours(4))
        );
        assert_eq!(
            Calendar::AlwaysOn.time_between(from, from - Duration::hours(1)),
            Duration::zero()
        );
    }

    /// Calendars to try: 24×7, office hours in New York and London (with a holiday on
    /// each side of the window), and odd hours on odd days in Sydney.
    fn calendars() -> Vec<Calendar> {
        vec![
            Calendar::AlwaysOn,
            office(chrono_tz::America::New_York, &["2026-11-26", "2026-03-10"]),
            office(chrono_tz::Europe::London, &["2026-10-26", "2026-03-30"]),
            Calendar::BusinessHours(
                BusinessHours::new(
                    chrono_tz::Australia::Sydney,
                    [Weekday::Sun, Weekday::Wed, Weekday::Sat],
                    (hm(1, 15), hm(2, 45)),
                    [date("2026-10-07")],
                )
                .unwrap(),
            ),
        ]
    }

    /// Minute-aligned instants in windows around this year's DST changes and holidays.
    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let anchors = [
            "2026-03-05T00:00:00Z",
            "2026-03-26T00:00:00Z",
            "2026-10-01T00:00:00Z",
            "2026-10-22T00:00:00Z",
            "2026-11-24T00:00:00Z",
        ];
        (0..anchors.len(), 0..(10 * 24 * 60_i64))
            .prop_map(move |(a, minutes)| at(anchors[a]) + Duration::minutes(minutes))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn matches_the_minute_by_minute_reference(c in 0..4_usize, from in instant(), length in 0..(4 * 24 * 60_i64)) {
            let calendar = &calendars()[c];
            let to = from + Duration::minutes(length);
            prop_assert_eq!(calendar.time_between(from, to), Duration::minutes(reference_minutes(calendar, from, to)));
        }

        #[test]
        fn is_never_negative_and_grows_with_the_end(c in 0..4_usize, from in instant(), a in 0..(5 * 24 * 60_i64), b in 0..(5 * 24 * 60_i64)) {
            let calendar = &calendars()[c];
            let (near, far) = (from + Duration::minutes(a.min(b)), from + Duration::minutes(a.max(b)));
            let (short, long) = (calendar.time_between(from, near), calendar.time_between(from, far));
            prop_assert!(short >= Duration::zero());
            prop_assert!(short <= long);
        }

        /// Splitting a span anywhere (a pause and a resume at the same instant) neither
        /// loses nor adds time.
        #[test]
        fn splitting_a_span_keeps_its_total(c in 0..4_usize, from in instant(), a in 0..(5 * 24 * 60_i64), b in 0..(5 * 24 * 60_i64)) {
            let calendar = &calendars()[c];
            let (mid, to) = (from + Duration::minutes(a.min(b)), from + Duration::minutes(a.max(b)));
            prop_assert_eq!(calendar.time_between(from, mid) + calendar.time_between(mid, to), calendar.time_between(from, to));
        }

        /// `add` finds the first instant at which the amount has passed.
        #[test]
        fn add_is_the_earliest_instant_with_that_much_time(c in 0..4_usize, from in instant(), minutes in 1..(3 * 8 * 60_i64)) {
            let calendar = &calendars()[c];
            let amount = Duration::minutes(minutes);
            let due = calendar.add(from, amount).expect("working time within the horizon");
            prop_assert_eq!(calendar.time_between(from, due), amount);
            prop_assert!(calendar.time_between(from, due - Duration::seconds(1)) < amount);
        }
    }

    #[test]
    fn contract_time_flows_in_office_hours_and_says_when_that_changes() {
        let calendar = office(chrono_tz::America::New_York, &[]);
        // Friday 16:00 in New York (EST, UTC-5): flowing until 17:00.
        assert_eq!(
            calendar.flow_at(at("2026-11-27T21:00:00Z")),
            (true, Some(at("2026-11-27T22:00:00Z")))
        );
        // Friday evening: stopped until Monday 09:00.
        assert_eq!(
            calendar.flow_at(at("2026-11-27T23:00:00Z")),
            (false, Some(at("2026-11-30T14:00:00Z")))
        );
        assert_eq!(
            Calendar::AlwaysOn.flow_at(at("2026-11-27T23:00:00Z")),
            (true, None)
        );
    }
}
