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
    Atom,
    Badge,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Atom => "application/atom+xml",
            Format::Badge => "image/svg+xml",
            Format::StatusJson | Format::SummaryJson | Format::IncidentsJson => "application/json",
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

    pub fn put(&self, key: (i64, Format), generation: u64, rendered: Arc<Rendered>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Stale pages of accounts nobody reads any more do not pile up.
        entries.retain(|_, e| e.built.elapsed() < MAX_AGE);
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
