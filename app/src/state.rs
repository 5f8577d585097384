//! What every request handler and server function can reach.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;

/// Shared server state; cheap to clone.
#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub clock: SharedClock,
    /// Where people reach this server, for links in notifications.
    pub public_url: String,
    /// Wakes the delivery worker when new deliveries are queued.
    pub outbox: std::sync::Arc<tokio::sync::Notify>,
    /// Wakes the customer-update scheduler when a schedule changed here.
    pub comms_schedule: std::sync::Arc<tokio::sync::Notify>,
    /// Timelines recently read, valid while their incident's seq is unchanged.
    pub timelines: crate::timeline::cache::TimelineCache,
    /// Session cookies are marked `Secure` (HTTPS deployments).
    pub secure_cookies: bool,
    /// Live fan-out of committed incident events to websocket viewers.
    pub live: crate::live::hub::Hub,
    /// SHA-256 of the one-time first-run setup token, while nobody can sign in yet.
    pub setup_token: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    /// Bumped whenever what customers can see changes here (a message sent, the
    /// status page's components): what is cached for them is stale after it.
    pub customer_facing: CustomerFacingChanges,
    /// Rendered status pages, valid while `customer_facing` is unchanged.
    pub status_pages: crate::statuspage::cache::StatusCache,
}

/// A counter of changes to what customers can see.
#[derive(Clone, Debug, Default)]
pub struct CustomerFacingChanges(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl CustomerFacingChanges {
    /// Says something customers can see changed.
    pub fn bump(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    pub fn generation(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// Now, at the millisecond precision times are stored with, so what a write
    /// returns equals what a later read returns.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let now = self.clock.now();
        chrono::DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }

    /// The state leptos_axum provides to server functions as context.
    pub fn from_context() -> Result<Self, AppError> {
        use_context::<AppState>()
            .ok_or_else(|| AppError::internal("server function", "AppState missing from context"))
    }
}
