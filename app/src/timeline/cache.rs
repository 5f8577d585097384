//! Recently read timelines, by incident, each tagged with the incident's `last_seq`
//! when it was read. Every change to a timeline (post, correction, removal) bumps
//! `last_seq` in its transaction, so a cached copy is current exactly while the
//! incident's `last_seq` is unchanged: a read then costs one indexed lookup instead
//! of assembling every entry. A war room has many people reading the same timeline.

use super::model::TimelineEntry;
use crate::incidents::model::IncidentId;
use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// How many incidents' timelines are kept.
const CAPACITY: usize = 256;

/// One incident's whole timeline as of `last_seq`.
#[derive(Debug)]
pub struct Timeline {
    pub last_seq: i64,
    pub entries: Vec<TimelineEntry>,
    /// The entries as JSON, made on first use and shared by every reader after.
    json: OnceLock<Bytes>,
}

impl Timeline {
    pub fn new(last_seq: i64, entries: Vec<TimelineEntry>) -> Timeline {
        Timeline {
            last_seq,
            entries,
            json: OnceLock::new(),
        }
    }

    /// The entries created after `seq`, in seq order.
    pub fn after(&self, seq: i64) -> Vec<TimelineEntry> {
        self.entries
            .iter()
            .filter(|e| e.seq > seq)
            .cloned()
            .collect()
    }

    /// Every entry as a JSON array.
    pub fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| {
                // Serialising plain data into a Vec cannot fail.
                Bytes::from(serde_json::to_vec(&self.entries).unwrap_or_default())
            })
            .clone()
    }
}

/// A kept timeline and the read counter when it was last used.
type Kept = (Arc<Timeline>, u64);

#[derive(Debug, Clone, Default)]
pub struct TimelineCache {
    inner: Arc<Mutex<HashMap<IncidentId, Kept>>>,
    /// Read counter, for evicting the least recently used timeline.
    reads: Arc<AtomicU64>,
}

impl TimelineCache {
    /// The timeline as of `last_seq`, if kept.
    pub fn get(&self, incident: IncidentId, last_seq: i64) -> Option<Arc<Timeline>> {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (timeline, used) = map.get_mut(&incident)?;
        if timeline.last_seq != last_seq {
            return None;
        }
        *used = self.reads.fetch_add(1, Ordering::Relaxed);
        Some(timeline.clone())
    }

    /// Keeps a timeline read when its incident's `last_seq` was (at least) the one
    /// it is tagged with.
    pub fn put(&self, incident: IncidentId, timeline: Arc<Timeline>) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(&incident) {
            if let Some(oldest) = map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id)
            {
                map.remove(&oldest);
            }
        }
        let used = self.reads.fetch_add(1, Ordering::Relaxed);
        map.insert(incident, (timeline, used));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty(last_seq: i64) -> Arc<Timeline> {
        Arc::new(Timeline::new(last_seq, Vec::new()))
    }

    #[test]
    fn a_newer_seq_misses_and_the_least_used_is_evicted() {
        let cache = TimelineCache::default();
        cache.put(IncidentId(1), empty(5));
        assert!(cache.get(IncidentId(1), 5).is_some());
        assert!(cache.get(IncidentId(1), 6).is_none(), "changed since");
        for id in 2..=(CAPACITY as i64) {
            cache.put(IncidentId(id), empty(1));
        }
        assert!(cache.get(IncidentId(1), 5).is_some(), "recently used: kept");
        cache.put(IncidentId(10_000), empty(1));
        assert!(
            cache.get(IncidentId(2), 1).is_none(),
            "least recently used: evicted"
        );
        assert!(cache.get(IncidentId(1), 5).is_some());
        assert_eq!(&empty(1).json()[..], b"[]");
    }
}
