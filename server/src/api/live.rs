//! `GET /api/v1/live`: one websocket per browser tab, carrying any number of incident
//! subscriptions. Authorized like every route (the permission table: `view`); a
//! handshake from another site's page is refused by `security::same_origin_writes`.

use super::{Actor, ErrorBody};
use crate::metrics::{LiveConnection, Metrics};
use app::identity::model::User;
use app::incidents::model::IncidentId;
use app::live::hub::{FellBehind, Frame, LiveStream};
use app::live::model::{ClientMessage, ServerMessage, Viewer, PROTOCOL_VERSION, TOO_SLOW};
use app::state::AppState;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use futures_util::{FutureExt, SinkExt, StreamExt};
use std::time::Duration;
use tokio_stream::StreamMap;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The server pings this often; a connection silent for `SILENCE_LIMIT` is closed.
const PING_EVERY: Duration = Duration::from_secs(20);
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// Close code for "fell behind" (application range 4000–4999).
const CLOSE_TOO_SLOW: u16 = 4008;
/// Frames written to the socket before one flush, when several are ready at once.
const BATCH: usize = 64;
/// Socket buffers: clients send only small messages, and events are written as they
/// come, so the 128 KiB defaults would cost memory per idle war room for nothing.
/// The read buffer is also zeroed each time the socket is polled for input (once per
/// event written): kept small, a longer client message is read in several chunks.
const READ_BUFFER: usize = 256;
const WRITE_BUFFER: usize = 8 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// Upgrades to the live protocol (`app::live::model`): send `subscribe {incident,
/// after_seq}`, get the events after that seq, then every new one, in seq order.
#[utoipa::path(get, path = "/live", tag = "live",
    responses((status = 101, description = "Switching to the websocket; JSON text frames tagged by `type`"),
              (status = 401, body = ErrorBody), (status = 403, description = "Cross-site handshake", body = ErrorBody)))]
async fn live(
    State(state): State<AppState>,
    Extension(metrics): Extension<Metrics>,
    Actor(user): Actor,
    upgrade: WebSocketUpgrade,
) -> Response {
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            spawn_live(Connection::new(state, metrics, user).run(socket));
        })
}

/// Runs a live connection on the runtime kept for them. One post wakes every war room
/// following its incident: a thousand tasks queued at once. On the runtime that serves
/// HTTP, every await of the next request (the next post among them) would wait behind
/// that queue; on their own worker threads the two are scheduled by the OS, side by side.
fn spawn_live(connection: impl std::future::Future<Output = ()> + Send + 'static) {
    static LIVE: std::sync::OnceLock<Option<tokio::runtime::Runtime>> = std::sync::OnceLock::new();
    let runtime = LIVE.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("sitrep-live")
            .enable_all()
            .build()
            .inspect_err(|err| {
                tracing::warn!(%err, "no separate runtime for live connections: sharing the server's")
            })
            .ok()
    });
    match runtime {
        Some(runtime) => drop(runtime.spawn(connection)),
        None => drop(tokio::spawn(connection)),
    }
}

/// One websocket: its subscriptions are read by the same task that writes the
/// socket (no task or queue per subscription; the hub's broadcast ring is the bound).
struct Connection {
    /// Tells this connection's presence apart from the same person's other tabs.
    id: u64,
    state: AppState,
    user: User,
    metrics: Metrics,
    /// Counted as open while the connection lives.
    _open: LiveConnection,
    /// Per incident: its live frames after the replay; and the incident list's notices.
    following: StreamMap<Topic, LiveStream>,
}

/// What a connection can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Topic {
    Incident(IncidentId),
    IncidentList,
}

impl Connection {
    fn new(state: AppState, metrics: Metrics, user: User) -> Connection {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Connection {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            state,
            user,
            _open: metrics.live_connection(),
            metrics,
            following: StreamMap::new(),
        }
    }

    async fn run(mut self, socket: WebSocket) {
        let (mut sink, mut stream) = socket.split();
        let hello = ServerMessage::Hello {
            version: PROTOCOL_VERSION,
            server_time: self.state.now(),
        };
        // Every write is bounded: a client that stops reading fills its socket, and a
        // write waiting on it would hold this task (and never look at the lag limit
        // or the silence) for as long as the client stays connected.
        let deadline = self.state.live.write_timeout();
        if !matches!(
            tokio::time::timeout(deadline, send(&mut sink, &hello)).await,
            Ok(Ok(()))
        ) {
            return;
        }
        tracing::debug!(user = %self.user.email, "live connection opened");
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
        let mut heard = tokio::time::Instant::now();
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let Some(Ok(message)) = incoming else { break };
                    heard = tokio::time::Instant::now();
                    match message {
                        Message::Text(text) => {
                            let handled = tokio::time::timeout(deadline, self.handle(&mut sink, text.as_str())).await;
                            if !matches!(handled, Ok(Ok(()))) {
                                break;
                            }
                        }
                        Message::Close(_) => break,
                        // Pings are answered by the websocket layer; pongs only prove life.
                        _ => {}
                    }
                }
                Some((_, next)) = self.following.next(), if !self.following.is_empty() => {
                    let Ok(written) = tokio::time::timeout(deadline, self.write_ready(&mut sink, next)).await else {
                        tracing::debug!(user = %self.user.email, "live viewer not reading: dropped");
                        break;
                    };
                    match written {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(FellBehind) => {
                    let close = CloseFrame { code: CLOSE_TOO_SLOW, reason: Utf8Bytes::from_static(TOO_SLOW) };
                    if matches!(tokio::time::timeout(deadline, sink.send(Message::Close(Some(close)))).await, Ok(Ok(()))) {
                        // Read until the client answers the close: dropping a socket with
                        // its messages unread resets it, and the client would lose the
                        // frames still buffered for it, the close reason included.
                        let answered = async {
                            while let Some(Ok(message)) = stream.next().await {
                                if matches!(message, Message::Close(_)) {
                                    break;
                                }
                            }
                        };
                        let _ = tokio::time::timeout(SILENCE_LIMIT, answered).await;
                    }
                    break;
                        }
                    }
                }
                _ = ping.tick() => {
                    if heard.elapsed() > SILENCE_LIMIT {
                        tracing::debug!(user = %self.user.email, "live connection silent: closed");
                        break;
                    }
                    if !matches!(tokio::time::timeout(deadline, sink.send(Message::Ping(Default::default()))).await, Ok(Ok(()))) {
                        break;
                    }
                }
            }
        }
        self.close();
    }

    /// Writes `first` and whatever else is ready without waiting (up to `BATCH`), then
    /// flushes once. `Ok(false)` when the socket is gone.
    async fn write_ready<S>(
        &mut self,
        sink: &mut S,
        first: Result<std::sync::Arc<Frame>, FellBehind>,
    ) -> Result<bool, FellBehind>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let mut next = Some(first);
        let mut written = 0;
        while let Some(frame) = next.take() {
            let frame = frame?;
            if sink.feed(Message::Text(frame.text.clone())).await.is_err() {
                return Ok(false);
            }
            self.metrics.fanout_lag(frame.made);
            written += 1;
            if written < BATCH {
                next = self
                    .following
                    .next()
                    .now_or_never()
                    .flatten()
                    .map(|(_, f)| f);
            }
        }
        Ok(sink.flush().await.is_ok())
    }

    /// Acts on one client message; `Err` when the socket is gone.
    async fn handle<S>(&mut self, sink: &mut S, text: &str) -> Result<(), ()>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(err) => {
                let error = ServerMessage::Error {
                    message: format!("Not a message of protocol version {PROTOCOL_VERSION}: {err}"),
                };
                return send(sink, &error).await;
            }
        };
        match message {
            ClientMessage::Ping { sent_at } => {
                let pong = ServerMessage::Pong {
                    sent_at,
                    server_time: self.state.now(),
                };
                send(sink, &pong).await
            }
            ClientMessage::Unsubscribe { incident } => {
                if let Some(id) = IncidentId::from_key(&incident) {
                    self.stop(id);
                }
                Ok(())
            }
            ClientMessage::SubscribeIncidentList => {
                self.following
                    .insert(Topic::IncidentList, self.state.live.subscribe_list());
                send(sink, &ServerMessage::IncidentListSubscribed).await
            }
            ClientMessage::UnsubscribeIncidentList => {
                self.following.remove(&Topic::IncidentList);
                Ok(())
            }
            ClientMessage::Subscribe {
                incident,
                after_seq,
            } => self.subscribe(sink, &incident, after_seq).await,
        }
    }

    /// Replays what the client has not seen, then forwards live events.
    async fn subscribe<S>(&mut self, sink: &mut S, key: &str, after_seq: i64) -> Result<(), ()>
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        let Some(id) = IncidentId::from_key(key) else {
            let error = ServerMessage::Error {
                message: format!("{key:?} is not an incident key (INC-42)"),
            };
            return send(sink, &error).await;
        };
        self.stop(id); // a second subscribe restarts from its after_seq
        let subscription = match self.state.live.subscribe(id, after_seq).await {
            Ok(subscription) => subscription,
            Err(err) => {
                let error = ServerMessage::Error {
                    message: format!("{key}: {err}"),
                };
                return send(sink, &error).await;
            }
        };
        for event in &subscription.replay {
            let text = Frame::of(event).text;
            sink.send(Message::Text(text)).await.map_err(|_| ())?;
        }
        let subscribed = ServerMessage::Subscribed {
            incident: id.key(),
            seq: subscription.seq,
        };
        send(sink, &subscribed).await?;
        self.following
            .insert(Topic::Incident(id), subscription.live());
        let viewer = Viewer {
            name: self.user.display_name.clone(),
            role: self.user.role.to_string(),
        };
        match self.state.live.join(id, self.id, viewer) {
            Some(presence) => send(sink, &presence).await,
            None => Ok(()),
        }
    }

    fn stop(&mut self, id: IncidentId) {
        if self.following.remove(&Topic::Incident(id)).is_some() {
            self.state.live.leave(id, self.id);
            self.state.live.release(id);
        }
    }

    fn close(&mut self) {
        let ids: Vec<IncidentId> = self
            .following
            .keys()
            .filter_map(|topic| match topic {
                Topic::Incident(id) => Some(*id),
                Topic::IncidentList => None,
            })
            .collect();
        for id in ids {
            self.stop(id);
        }
        tracing::debug!(user = %self.user.email, "live connection closed");
    }
}

async fn send<S>(sink: &mut S, message: &ServerMessage) -> Result<(), ()>
where
    S: futures_util::Sink<Message> + Unpin,
{
    let text = serde_json::to_string(message).map_err(|_| ())?;
    sink.send(Message::Text(text.into())).await.map_err(|_| ())
}
