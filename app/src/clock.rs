//! Server time, injected so tests can control it.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The source of "now" for every rule that depends on time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Resolves once the clock reads `at` or later (what the SLA engine sleeps on).
    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let wait = (at - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// Shared handle to whichever clock the server runs on.
pub type SharedClock = Arc<dyn Clock>;

/// A clock that only moves when told to: for tests of anything time-driven
/// (session expiry, SLA deadlines). Whatever sleeps on it wakes when it is moved
/// past its instant.
#[derive(Debug)]
pub struct ManualClock(tokio::sync::watch::Sender<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(tokio::sync::watch::Sender::new(start))
    }

    /// Moves time forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.0.send_modify(|now| *now += by);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.borrow()
    }

    fn sleep_until(&self, at: DateTime<Utc>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let mut moved = self.0.subscribe();
        Box::pin(async move {
            // Closed only when the clock is dropped: nothing will wake this then.
            if moved.wait_for(|now| *now >= at).await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

/// The IANA zone `name` names, or the reason it does not (for a field's message).
pub fn parse_zone(name: &str) -> Result<chrono_tz::Tz, String> {
    name.trim().parse().map_err(|_| {
        format!(
            "Unknown time zone {:?}: pick an IANA name such as Europe/London",
            name.trim()
        )
    })
}

/// Every zone `parse_zone` takes, by name (the pickers' lists).
pub fn zone_names() -> Vec<String> {
    chrono_tz::TZ_VARIANTS
        .iter()
        .map(|zone| zone.name().to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sleeper_on_the_manual_clock_wakes_when_it_is_moved_past_its_instant() {
        let start: DateTime<Utc> = "2026-11-27T10:00:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let mut sleep = clock.sleep_until(start + chrono::Duration::minutes(30));
        let poll = |sleep: &mut Pin<Box<dyn Future<Output = ()> + Send>>| {
            futures_util::FutureExt::now_or_never(sleep.as_mut()).is_some()
        };
        assert!(!poll(&mut sleep));
        clock.advance(chrono::Duration::minutes(29));
        assert!(!poll(&mut sleep));
        clock.advance(chrono::Duration::minutes(1));
        assert!(poll(&mut sleep));
    }
}
