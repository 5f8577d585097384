//! The time the pages count from: the server's clock as the browser best knows it.
//!
//! The browser ticks `now` every second; the live connection measures the offset
//! between the browser's clock and the server's (ping/pong, half the round trip) so
//! "4 min ago" and the SLA countdowns agree with the server whatever the laptop's
//! clock says. On the server, pages are rendered at the server's own now.

use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;

/// Provided by `App`; read with `use_context::<ServerNow>()`.
#[derive(Debug, Clone, Copy)]
pub struct ServerNow {
    now: RwSignal<DateTime<Utc>>,
    /// Server clock minus browser clock, in milliseconds.
    offset_ms: RwSignal<i64>,
}

impl ServerNow {
    /// Provides the clock to the whole app and, in the browser, starts it ticking.
    pub fn provide() -> ServerNow {
        // (chrono cannot read the clock in WASM; the first tick sets it.)
        #[cfg(not(feature = "hydrate"))]
        let start = Utc::now();
        #[cfg(feature = "hydrate")]
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let clock = ServerNow {
            now: RwSignal::new(start),
            offset_ms: RwSignal::new(0),
        };
        #[cfg(feature = "hydrate")]
        {
            clock.tick();
            // Lives as long as the page.
            let ticking = gloo_timers::callback::Interval::new(1_000, move || clock.tick());
            std::mem::forget(ticking);
        }
        provide_context(clock);
        clock
    }

    /// The server's now (tracked: a reader re-renders every second).
    pub fn get(self) -> DateTime<Utc> {
        self.now.get()
    }

    /// Records a measured offset (server minus browser, ms) and applies it at once.
    pub fn set_offset(self, offset_ms: i64) {
        self.offset_ms.set(offset_ms);
        #[cfg(feature = "hydrate")]
        self.tick();
    }

    #[cfg(feature = "hydrate")]
    fn tick(self) {
        let browser_ms = js_sys::Date::now() as i64;
        let server_ms = browser_ms + self.offset_ms.get_untracked();
        if let Some(now) = DateTime::from_timestamp_millis(server_ms) {
            self.now.set(now);
        }
    }
}

/// The offset a ping/pong round trip measured: the server read its clock about half
/// way between the browser's send and receive.
pub fn measured_offset_ms(sent_ms: i64, server_ms: i64, received_ms: i64) -> i64 {
    let midpoint = sent_ms + (received_ms - sent_ms) / 2;
    server_ms - midpoint
}

/// "just now", "42 s ago", "4 min ago", "3 h 5 min ago", "2 days ago"; an instant
/// a few seconds ahead of `now` (clocks a little apart) reads as "just now", one
/// further ahead as "in 2 days".
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let elapsed = now - at;
    // Planned work (maintenance windows) lies ahead.
    if elapsed < -Duration::seconds(5) {
        return format!("in {}", span(-elapsed));
    }
    if elapsed < Duration::seconds(5) {
        return "just now".into();
    }
    format!("{} ago", span(elapsed))
}

/// A positive duration in the largest units that matter: "42 s", "4 min",
/// "3 h 5 min", "2 days".
pub fn span(d: Duration) -> String {
    let seconds = d.num_seconds().max(0);
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3_600 => format!("{} min", s / 60),
        s if s < 86_400 => match (s / 3_600, (s % 3_600) / 60) {
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        },
        s if s < 2 * 86_400 => "1 day".into(),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn ago_reads_like_a_person_would_say_it() {
        let now = at("2026-11-28T12:00:00Z");
        assert_eq!(
            ago(now, at("2026-11-28T12:00:03Z")),
            "just now",
            "a clock ahead"
        );
        assert_eq!(ago(now, at("2026-11-28T11:59:58Z")), "just now");
        assert_eq!(ago(now, at("2026-11-28T11:59:18Z")), "42 s ago");
        assert_eq!(ago(now, at("2026-11-28T11:56:00Z")), "4 min ago");
        assert_eq!(ago(now, at("2026-11-28T09:00:00Z")), "3 h ago");
        assert_eq!(ago(now, at("2026-11-28T08:55:00Z")), "3 h 5 min ago");
        assert_eq!(ago(now, at("2026-11-27T11:00:00Z")), "1 day ago");
        assert_eq!(ago(now, at("2026-11-25T12:00:00Z")), "3 days ago");
        assert_eq!(ago(now, at("2026-11-28T12:30:00Z")), "in 30 min");
        assert_eq!(ago(now, at("2026-11-30T13:00:00Z")), "in 2 days");
    }

    #[test]
    fn the_offset_assumes_the_server_read_its_clock_half_way() {
        // Sent at 1,000, answered at 1,200 (browser clock); the server said 61,100.
        assert_eq!(measured_offset_ms(1_000, 61_100, 1_200), 60_000);
        // A browser clock ahead of the server's gives a negative offset.
        assert_eq!(measured_offset_ms(5_000, 4_050, 5_100), -1_000);
    }
}
