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
use axum::extract::ws::Utf8Bytes;
use futures_util::Stream;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::sync::broadcast;
use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};

/// How many events a connection may fall behind on one incident before it is cut
/// (and told to resume) instead of buffering without bound.
pub const QUEUE_CAPACITY: usize = 256;

/// A viewer that has not read for this long (its socket full) holds a connection and
/// its buffers for nothing; the lag limit alone never fires while a write waits.
pub const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The PostgreSQL channel replicas announce changed incidents on (payload: the id,
/// with `INCIDENT_CHANGED` appended when the incident itself changed, or
/// `NOTIFICATIONS_CHANGED` when only its notifications' deliveries did).
pub const REPLICA_CHANNEL: &str = "sitrep_live";
pub const INCIDENT_CHANGED: &str = ":incident";
pub const NOTIFICATIONS_CHANGED: &str = ":notifications";

/// An event as every viewer gets it: serialized once, sent to all.
#[derive(Debug)]
pub struct Frame {
    /// `None` for messages outside the event log (presence).
    pub seq: Option<i64>,
    /// The message's JSON text, shared by every connection's send (no copy per viewer).
    pub text: Utf8Bytes,
    /// When it was made, just before its broadcast: the start of the fan-out lag.
    pub made: std::time::Instant,
}

impl Frame {
    pub fn of(event: &LiveEvent) -> Frame {
        Frame::message(Some(event.seq), &ServerMessage::Event(event.clone()))
    }

    fn message(seq: Option<i64>, message: &ServerMessage) -> Frame {
        Frame {
            seq,
            text: serde_json::to_string(message).unwrap_or_default().into(),
            made: std::time::Instant::now(),
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
    viewers: Mutex<Presence>,
}

/// Every watched incident's feed.
#[derive(Clone)]
pub struct Hub {
    db: Db,
    feeds: Arc<Mutex<HashMap<IncidentId, Arc<Feed>>>>,
    /// Notices for the incident list's viewers.
    list: broadcast::Sender<Arc<Frame>>,
    /// The same notices for the server's own followers (the SLA engine); `None`
    /// when notices may have been missed and any incident may have changed.
    changes: broadcast::Sender<Option<IncidentId>>,
    /// Following other replicas: this server hears its own changes back from them.
    replicated: Arc<std::sync::atomic::AtomicBool>,
    capacity: usize,
    write_timeout: std::time::Duration,
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
    live: broadcast::Receiver<Arc<Frame>>,
    /// Keeps the feed alive while subscribed.
    feed: Arc<Feed>,
}

impl Subscription {
    /// The live events after the replay.
    pub fn live(self) -> LiveStream {
        LiveStream {
            frames: BroadcastStream::new(self.live),
            last: self.seq,
            _feed: Some(self.feed),
        }
    }
}

/// A viewer fell more than the hub's capacity behind; it must resubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FellBehind;

/// One subscription's live frames in seq order, without those its replay already
/// sent. Ends with `Err(FellBehind)` if the viewer lagged past the capacity (the
/// broadcast ring is the bounded queue: no per-viewer buffer grows).
pub struct LiveStream {
    frames: BroadcastStream<Arc<Frame>>,
    last: i64,
    /// Keeps an incident's feed alive while subscribed (none for the list).
    _feed: Option<Arc<Feed>>,
}

impl Stream for LiveStream {
    type Item = Result<Arc<Frame>, FellBehind>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            let next = std::task::ready!(Pin::new(&mut self.frames).poll_next(cx));
            return Poll::Ready(match next {
                None => None,
                Some(Err(BroadcastStreamRecvError::Lagged(_))) => Some(Err(FellBehind)),
                Some(Ok(frame)) => match frame.seq {
                    Some(seq) if seq <= self.last => continue, // replayed already
                    Some(seq) => {
                        self.last = seq;
                        Some(Ok(frame))
                    }
                    None => Some(Ok(frame)),
                },
            });
        }
    }
}

impl Hub {
    pub fn new(db: Db) -> Hub {
        Hub::with_capacity(db, QUEUE_CAPACITY)
    }

    pub fn with_capacity(db: Db, capacity: usize) -> Hub {
        Hub {
            db,
            feeds: Arc::default(),
            list: broadcast::channel(capacity).0,
            changes: broadcast::channel(1024).0,
            replicated: Arc::default(),
            capacity,
            write_timeout: WRITE_TIMEOUT,
        }
    }

    /// How long a frame may wait for a viewer's socket to take it before the viewer
    /// is dropped (it resumes from its last seq when it comes back).
    pub fn with_write_timeout(self, write_timeout: std::time::Duration) -> Hub {
        Hub {
            write_timeout,
            ..self
        }
    }

    /// Notices of incidents declared or changed, from now on.
    pub fn subscribe_list(&self) -> LiveStream {
        LiveStream {
            frames: BroadcastStream::new(self.list.subscribe()),
            last: 0,
            _feed: None,
        }
    }

    /// Incidents declared or changed from now on (here or on another replica), for
    /// the server's own work that depends on them; `None` means notices may have
    /// been missed (while not yet, or no longer, following the other replicas).
    pub fn incident_changes(&self) -> broadcast::Receiver<Option<IncidentId>> {
        self.changes.subscribe()
    }

    /// Says the incident itself changed (declared, status, severity, roles, impact):
    /// its viewers get the events, and the incident list's viewers a notice.
    pub fn notify_incident(&self, id: IncidentId) {
        self.notify(id);
        // With replicas every server, this one too, hears of it once through
        // PostgreSQL; telling the list here as well would tell it twice.
        if !self.replicated.load(std::sync::atomic::Ordering::Relaxed) {
            self.tell_list(id);
        }
    }

    /// Says a delivery of one of the incident's notifications settled or failed: its
    /// viewers are told to reload them. With replicas the notice goes through
    /// PostgreSQL, so viewers on every server (this one too) hear it once.
    pub async fn notifications_changed(&self, id: IncidentId) {
        if self.replicated.load(std::sync::atomic::Ordering::Relaxed) {
            let notice = format!("{}{NOTIFICATIONS_CHANGED}", id.0);
            let sent = sqlx::query("SELECT pg_notify($1, $2)")
                .bind(REPLICA_CHANNEL)
                .bind(notice)
                .execute(self.db.pool())
                .await;
            if let Err(err) = sent {
                tracing::warn!(incident = %id.key(), "cannot announce a delivery to replicas: {err}");
            }
        } else {
            self.tell_viewers_of_notifications(id);
        }
    }

    fn tell_viewers_of_notifications(&self, id: IncidentId) {
        if let Some(feed) = self.watched(id) {
            send_notice(
                &feed.sender,
                &ServerMessage::NotificationsChanged { incident: id.key() },
            );
        }
    }

    fn tell_list(&self, id: IncidentId) {
        let _ = self.changes.send(Some(id));
        if self.list.receiver_count() > 0 {
            send_notice(
                &self.list,
                &ServerMessage::IncidentListChanged { incident: id.key() },
            );
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
            feed,
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

    /// Says `connection` has the incident open (after subscribing). Every viewer is
    /// told when the list of people changes; when it does not (a second tab), the
    /// list is returned for the newcomer alone.
    pub fn join(&self, id: IncidentId, connection: u64, viewer: Viewer) -> Option<ServerMessage> {
        let feed = self.watched(id)?;
        let (list, changed) = {
            let mut presence = lock(&feed.viewers);
            let changed = presence.join(connection, viewer);
            (presence.list(), changed)
        };
        let message = ServerMessage::Presence {
            incident: id.key(),
            viewers: list,
        };
        if changed {
            send_notice(&feed.sender, &message);
            None
        } else {
            Some(message)
        }
    }

    /// Says `connection` left the incident.
    pub fn leave(&self, id: IncidentId, connection: u64) {
        if let Some(feed) = self.watched(id) {
            let list = {
                let mut presence = lock(&feed.viewers);
                presence.leave(connection).then(|| presence.list())
            };
            if let Some(viewers) = list {
                let message = ServerMessage::Presence {
                    incident: id.key(),
                    viewers,
                };
                send_notice(&feed.sender, &message);
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

    /// How long a viewer's socket may refuse frames before the viewer is dropped.
    pub fn write_timeout(&self) -> std::time::Duration {
        self.write_timeout
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
        self.replicated
            .store(true, std::sync::atomic::Ordering::Relaxed);
        loop {
            match PgListener::connect(&database_url).await {
                Ok(mut listener) => match listener.listen(REPLICA_CHANNEL).await {
                    Ok(()) => {
                        // Whatever was committed while nobody listened.
                        self.catch_up_all();
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(notice)) => match parse_notice(notice.payload()) {
                                    Some((id, Notice::Incident)) => {
                                        self.notify(id);
                                        self.tell_list(id);
                                    }
                                    Some((id, Notice::Events)) => self.notify(id),
                                    Some((id, Notice::Notifications)) => {
                                        self.tell_viewers_of_notifications(id)
                                    }
                                    None => tracing::warn!(
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
        let _ = self.changes.send(None);
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

/// Broadcasts a message outside the event log (no seq). Nobody listening is fine:
/// they may all have just left.
fn send_notice(sender: &broadcast::Sender<Arc<Frame>>, message: &ServerMessage) {
    let _ = sender.send(Arc::new(Frame::message(None, message)));
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a replica's notice says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    /// New events in the incident's log.
    Events,
    /// New events, and the incident itself changed (the list shows it).
    Incident,
    /// A delivery of one of its notifications.
    Notifications,
}

fn parse_notice(payload: &str) -> Option<(IncidentId, Notice)> {
    let (id, notice) = if let Some(id) = payload.strip_suffix(INCIDENT_CHANGED) {
        (id, Notice::Incident)
    } else if let Some(id) = payload.strip_suffix(NOTIFICATIONS_CHANGED) {
        (id, Notice::Notifications)
    } else {
        (payload, Notice::Events)
    };
    Some((IncidentId(id.parse().ok()?), notice))
}

/// Who has an incident open: per connection, and each person once. A join or leave
/// that does not change the people (a second tab, one of two closed) changes nothing
/// anyone is told, so many tabs cost neither messages nor a rebuilt list.
#[derive(Default)]
struct Presence {
    connections: HashMap<u64, Viewer>,
    /// Each person with how many of their tabs are open.
    people: std::collections::BTreeMap<Viewer, usize>,
}

impl Presence {
    /// Adds a connection; true if that adds a person.
    fn join(&mut self, connection: u64, viewer: Viewer) -> bool {
        if let Some(previous) = self.connections.insert(connection, viewer.clone()) {
            self.forget(&previous);
        }
        let tabs = self.people.entry(viewer).or_default();
        *tabs += 1;
        *tabs == 1
    }

    /// Removes a connection; true if that removes a person.
    fn leave(&mut self, connection: u64) -> bool {
        match self.connections.remove(&connection) {
            Some(viewer) => self.forget(&viewer),
            None => false,
        }
    }

    fn forget(&mut self, viewer: &Viewer) -> bool {
        match self.people.get_mut(viewer) {
            Some(tabs) if *tabs > 1 => {
                *tabs -= 1;
                false
            }
            Some(_) => {
                self.people.remove(viewer);
                true
            }
            None => false,
        }
    }

    /// The people, sorted.
    fn list(&self) -> Vec<Viewer> {
        self.people.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{Presence, Viewer};

    fn viewer(name: &str) -> Viewer {
        Viewer {
            name: name.into(),
            role: "engineer".into(),
        }
    }

    #[test]
    fn replica_notices_name_the_incident_and_whether_it_changed() {
        use super::{parse_notice, IncidentId, Notice};
        assert_eq!(parse_notice("42"), Some((IncidentId(42), Notice::Events)));
        assert_eq!(
            parse_notice("42:incident"),
            Some((IncidentId(42), Notice::Incident))
        );
        assert_eq!(
            parse_notice("42:notifications"),
            Some((IncidentId(42), Notice::Notifications))
        );
        assert_eq!(parse_notice("x:incident"), None);
        assert_eq!(parse_notice(""), None);
    }

    #[test]
    fn presence_changes_only_when_a_person_comes_or_goes() {
        let mut presence = Presence::default();
        assert!(presence.join(1, viewer("Sam")));
        assert!(!presence.join(2, viewer("Sam")), "a second tab");
        assert!(presence.join(3, viewer("Dana")));
        assert_eq!(presence.list(), [viewer("Dana"), viewer("Sam")]);
        assert!(!presence.leave(1), "Sam still has a tab");
        assert!(!presence.leave(1), "already gone");
        assert!(presence.leave(2));
        assert_eq!(presence.list(), [viewer("Dana")]);
    }
}
