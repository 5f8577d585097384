//! Rendered status pages, kept until what customers can see changes here
//! (`AppState::customer_facing`) or for `MAX_AGE` at most, so a change made on
//! another replica, or a new day in the history, shows within seconds.

use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The longest a rendered page is served without a rebuild.
pub const MAX_AGE: Duration = Duration::from_secs(10);

/// What is rendered: the page or one of its JSON documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Html,
    StatusJson,
    SummaryJson,
    IncidentsJson,
    /// `scheduled-maintenances.json`, `…/upcoming.json`, `…/active.json`.
    MaintenancesJson,
    UpcomingMaintenancesJson,
    ActiveMaintenancesJson,
    Atom,
    Badge,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Atom => "application/atom+xml",
            Format::Badge => "image/svg+xml",
            Format::StatusJson
            | Format::SummaryJson
            | Format::IncidentsJson
            | Format::MaintenancesJson
            | Format::UpcomingMaintenancesJson
            | Format::ActiveMaintenancesJson => "application/json",
        }
    }
}

/// A rendered page, served as is: plain, and gzipped once for the many readers
/// whose browsers accept it (compressing per request would cost more than the page).
#[derive(Debug)]
pub struct Rendered {
    pub body: Bytes,
    pub gzipped: Bytes,
    pub format: Format,
}

impl Rendered {
    pub fn new(body: String, format: Format) -> Rendered {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing to a Vec cannot fail.
        let gzipped = encoder
            .write_all(body.as_bytes())
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        Rendered {
            body: Bytes::from(body),
            gzipped: Bytes::from(gzipped),
            format,
        }
    }
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    built: Instant,
    rendered: Arc<Rendered>,
}

/// Keyed by audience (the public page, or an account's id) and format.
#[derive(Debug, Clone, Default)]
pub struct StatusCache {
    entries: Arc<Mutex<HashMap<(i64, Format), Entry>>>,
    /// Held while a page is rebuilt: one reader rebuilds, the others are served the
    /// previous rendering meanwhile instead of all rebuilding at once.
    rebuilding: Arc<tokio::sync::Mutex<()>>,
}

impl StatusCache {
    /// The page as rendered at `generation`, if still fresh.
    pub fn get(&self, key: (i64, Format), generation: u64) -> Option<Arc<Rendered>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&key)
            .filter(|e| e.generation == generation && e.built.elapsed() < MAX_AGE)
            .map(|e| e.rendered.clone())
    }

    /// The page as last rendered, however old.
    pub fn last(&self, key: (i64, Format)) -> Option<Arc<Rendered>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&key).map(|e| e.rendered.clone())
    }

    /// The right to rebuild, if nobody else is rebuilding now.
    pub fn try_rebuild(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        self.rebuilding.try_lock().ok()
    }

    /// The right to rebuild, once whoever is rebuilding has finished.
    pub async fn rebuild(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.rebuilding.lock().await
    }

    pub fn put(&self, key: (i64, Format), generation: u64, rendered: Arc<Rendered>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Pages of accounts nobody reads any more do not pile up.
        entries.retain(|_, e| e.built.elapsed() < MAX_AGE * 6);
        entries.insert(
            key,
            Entry {
                generation,
                built: Instant::now(),
                rendered,
            },
        );
    }
}
