//! Recently read timelines, by incident, each tagged with the incident's `last_seq`
//! when it was read. Every change to a timeline (post, correction, removal) bumps
//! `last_seq` in its transaction, so a cached copy is current exactly while the
//! incident's `last_seq` is unchanged: a read then costs one indexed lookup instead
//! of assembling every entry. A war room has many people reading the same timeline.

use super::model::TimelineEntry;
use crate::incidents::model::IncidentId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How many incidents' timelines are kept.
const CAPACITY: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct TimelineCache {
    inner: Arc<Mutex<HashMap<IncidentId, Cached>>>,
}

#[derive(Debug)]
struct Cached {
    last_seq: i64,
    entries: Arc<Vec<TimelineEntry>>,
    /// For eviction: the read counter when this was last used.
    used: u64,
}

static READS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl TimelineCache {
    /// The timeline as of `last_seq`, if kept.
    pub fn get(&self, incident: IncidentId, last_seq: i64) -> Option<Arc<Vec<TimelineEntry>>> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let cached = map.get_mut(&incident)?;
        if cached.last_seq != last_seq {
            return None;
        }
        cached.used = READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(cached.entries.clone())
    }

    /// Keeps a timeline read when the incident's `last_seq` was (at least) `last_seq`.
    pub fn put(&self, incident: IncidentId, last_seq: i64, entries: Arc<Vec<TimelineEntry>>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&incident) {
            if let Some(oldest) = map.iter().min_by_key(|(_, c)| c.used).map(|(id, _)| *id) {
                map.remove(&oldest);
            }
        }
        let used = READS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        map.insert(
            incident,
            Cached {
                last_seq,
                entries,
                used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newer_seq_misses_and_the_least_used_is_evicted() {
        let cache = TimelineCache::default();
        cache.put(IncidentId(1), 5, Arc::new(Vec::new()));
        assert!(cache.get(IncidentId(1), 5).is_some());
        assert!(cache.get(IncidentId(1), 6).is_none(), "changed since");
        for id in 2..=(CAPACITY as i64) {
            cache.put(IncidentId(id), 1, Arc::new(Vec::new()));
        }
        assert!(cache.get(IncidentId(1), 5).is_some(), "recently used: kept");
        cache.put(IncidentId(10_000), 1, Arc::new(Vec::new()));
        assert!(
            cache.get(IncidentId(2), 1).is_none(),
            "least recently used: evicted"
        );
        assert!(cache.get(IncidentId(1), 5).is_some());
    }
}
