//! Fan-out of committed incident events to the connections watching them.
//!
//! Writers do not hand events to the hub; after committing they say which incident
//! changed (`changed`). The incident's feed then reads what is new from the event
//! log, in seq order, and broadcasts it. Because a seq is taken under the incident's
//! write lock, seq N committed means every seq below N is committed too: reading
//! "everything after the last one sent" can never skip one, whatever order the
//! writers' notices arrive in, and a notice from another replica works the same way.

use super::model::{LiveEvent, ServerMessage, Viewer};
use super::repo;
use crate::db::Db;
use crate::error::AppError;
use crate::incidents::model::IncidentId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// How many events a connection may fall behind on one incident before it is cut
/// (and told to resume) instead of buffering without bound.
pub const QUEUE_CAPACITY: usize = 256;

/// The PostgreSQL channel replicas announce changed incidents on (payload: the id).
pub const REPLICA_CHANNEL: &str = "sitrep_live";

/// An event as every viewer gets it: serialized once, sent to all.
#[derive(Debug)]
pub struct Frame {
    /// `None` for messages outside the event log (presence).
    pub seq: Option<i64>,
    /// The `ServerMessage::Event` JSON text.
    pub text: String,
}

impl Frame {
    pub fn of(event: &LiveEvent) -> Frame {
        let message = ServerMessage::Event(event.clone());
        Frame {
            seq: Some(event.seq),
            text: serde_json::to_string(&message).unwrap_or_default(),
        }
    }
}

/// The event stream of one watched incident.
struct Feed {
    /// The seq of the last event broadcast; `None` until first read from the log.
    /// Held while broadcasting, so a new subscriber sees either all of a batch live
    /// or none of it (then the replay has it).
    last_sent: tokio::sync::Mutex<Option<i64>>,
    sender: broadcast::Sender<Arc<Frame>>,
    /// Who has it open, per connection (one person in two tabs is shown once).
    viewers: Mutex<HashMap<u64, Viewer>>,
}

/// Every watched incident's feed.
#[derive(Clone)]
pub struct Hub {
    db: Db,
    feeds: Arc<Mutex<HashMap<IncidentId, Arc<Feed>>>>,
    capacity: usize,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// A subscription: the events to replay, then the live ones.
pub struct Subscription {
    /// Events after the client's `after_seq`, up to where the live stream starts.
    pub replay: Vec<LiveEvent>,
    /// The seq the replay ends at (the live stream continues after it).
    pub seq: i64,
    pub live: broadcast::Receiver<Arc<Frame>>,
    /// Keeps the feed alive while subscribed.
    _feed: Arc<Feed>,
}

impl Hub {
    pub fn new(db: Db) -> Hub {
        Hub::with_capacity(db, QUEUE_CAPACITY)
    }

    pub fn with_capacity(db: Db, capacity: usize) -> Hub {
        Hub {
            db,
            feeds: Arc::default(),
            capacity,
        }
    }

    /// Subscribes to an incident from just after `after_seq`: no event is missing
    /// between the replay and the live stream, and none comes twice.
    pub async fn subscribe(
        &self,
        id: IncidentId,
        after_seq: i64,
    ) -> Result<Subscription, AppError> {
        let feed = self.feed(id);
        let mut last_sent = feed.last_sent.lock().await;
        let upto = match *last_sent {
            Some(seq) => seq,
            None => {
                let seq = crate::incidents::repo::last_seq(self.db.pool(), id)
                    .await?
                    .ok_or_else(|| AppError::NotFound(id.key()))?;
                *last_sent = Some(seq);
                seq
            }
        };
        let live = feed.sender.subscribe();
        drop(last_sent);
        let replay = repo::events(self.db.pool(), id, after_seq.max(0), Some(upto)).await?;
        Ok(Subscription {
            replay,
            seq: upto.max(after_seq),
            live,
            _feed: feed,
        })
    }

    /// Broadcasts what is new for an incident (called after a commit, or when
    /// another replica says it committed). Cheap when nobody watches it.
    pub async fn changed(&self, id: IncidentId) -> Result<(), AppError> {
        let Some(feed) = self.watched(id) else {
            return Ok(());
        };
        let mut last_sent = feed.last_sent.lock().await;
        let Some(after) = *last_sent else {
            // Nobody finished subscribing yet; the first subscriber reads from the log.
            return Ok(());
        };
        for event in repo::events(self.db.pool(), id, after, None).await? {
            *last_sent = Some(event.seq);
            // No receivers is fine: they may all have just left.
            let _ = feed.sender.send(Arc::new(Frame::of(&event)));
        }
        Ok(())
    }

    /// Says an incident changed, without making the writer wait for the fan-out;
    /// a failure is logged (viewers then catch up on their next notice or reconnect).
    pub fn notify(&self, id: IncidentId) {
        let hub = self.clone();
        tokio::spawn(async move {
            if let Err(err) = hub.changed(id).await {
                tracing::warn!(incident = %id.key(), "live fan-out failed: {err}");
            }
        });
    }

    /// Says `connection` has the incident open (after subscribing), and tells every
    /// viewer of it who is there now.
    pub fn join(&self, id: IncidentId, connection: u64, viewer: Viewer) {
        if let Some(feed) = self.watched(id) {
            lock(&feed.viewers).insert(connection, viewer);
            announce(id, &feed);
        }
    }

    /// Says `connection` left the incident.
    pub fn leave(&self, id: IncidentId, connection: u64) {
        if let Some(feed) = self.watched(id) {
            if lock(&feed.viewers).remove(&connection).is_some() {
                announce(id, &feed);
            }
        }
    }

    /// Forgets feeds nobody watches any more.
    pub fn release(&self, id: IncidentId) {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        if feeds
            .get(&id)
            .is_some_and(|feed| Arc::strong_count(feed) == 1)
        {
            feeds.remove(&id);
        }
    }

    /// How far a viewer may fall behind (events) before it is cut.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many incidents are watched (for tests and the benchmark).
    pub fn watched_count(&self) -> usize {
        self.feeds.lock().map(|f| f.len()).unwrap_or_default()
    }

    /// Follows the commits of other replicas on the same PostgreSQL database: each
    /// one announces changed incidents on `REPLICA_CHANNEL` (see
    /// `incidents::repo::record_event`). Runs until the task is aborted.
    pub async fn follow_replicas(self, database_url: String) {
        use sqlx::postgres::PgListener;
        loop {
            match PgListener::connect(&database_url).await {
                Ok(mut listener) => match listener.listen(REPLICA_CHANNEL).await {
                    Ok(()) => {
                        // Whatever was committed while nobody listened.
                        self.catch_up_all();
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(notice)) => match notice.payload().parse::<i64>() {
                                    Ok(id) => self.notify(IncidentId(id)),
                                    Err(_) => tracing::warn!(
                                        payload = notice.payload(),
                                        "odd live notice"
                                    ),
                                },
                                // The connection dropped and is back: notices may be lost.
                                Ok(None) => self.catch_up_all(),
                                Err(err) => {
                                    tracing::warn!(
                                        "live notices from other replicas stopped: {err}"
                                    );
                                    break;
                                }
                            }
                        }
                    }
                    Err(err) => tracing::warn!("cannot LISTEN for other replicas: {err}"),
                },
                Err(err) => tracing::warn!("cannot connect to follow other replicas: {err}"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// Checks every watched incident for events not yet sent.
    fn catch_up_all(&self) {
        let ids: Vec<IncidentId> = {
            let feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
            feeds.keys().copied().collect()
        };
        for id in ids {
            self.notify(id);
        }
    }

    fn feed(&self, id: IncidentId) -> Arc<Feed> {
        let mut feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds
            .entry(id)
            .or_insert_with(|| {
                Arc::new(Feed {
                    last_sent: tokio::sync::Mutex::new(None),
                    sender: broadcast::channel(self.capacity).0,
                    viewers: Mutex::default(),
                })
            })
            .clone()
    }

    fn watched(&self, id: IncidentId) -> Option<Arc<Feed>> {
        let feeds = self.feeds.lock().unwrap_or_else(|e| e.into_inner());
        feeds.get(&id).cloned()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sends the incident's viewers (each person once, by name) to all of them.
fn announce(id: IncidentId, feed: &Feed) {
    let mut viewers: Vec<Viewer> = lock(&feed.viewers).values().cloned().collect();
    viewers.sort();
    viewers.dedup();
    let message = ServerMessage::Presence {
        incident: id.key(),
        viewers,
    };
    let frame = Frame {
        seq: None,
        text: serde_json::to_string(&message).unwrap_or_default(),
    };
    let _ = feed.sender.send(Arc::new(frame));
}
