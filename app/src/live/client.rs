//! The browser's end of the live connection: one websocket per page, following one
//! incident (resuming from the last seq applied) or the incident list; reconnecting
//! with exponential backoff and jitter, at once when the browser comes back online;
//! measuring the server clock's offset with each ping.

use super::model::{ClientMessage, LiveEvent, LiveState, ServerMessage, Viewer};
use super::now::{measured_offset_ms, ServerNow};
use gloo_timers::callback::{Interval, Timeout};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 15_000;
/// How often the clock offset is measured again (also a heartbeat from this side).
const PING_EVERY_MS: u32 = 30_000;

/// What a page is told.
pub enum Update<'a> {
    /// The next event, in seq order.
    Event(&'a LiveEvent),
    /// Events were missed (replayed after a reconnect) or the list changed: reload.
    Reload,
    /// A notification about the incident was sent or failed.
    Notifications,
}

/// What a connection follows.
enum Topic {
    /// One incident; `last_seq` is the last event applied.
    Incident {
        key: String,
        last_seq: i64,
    },
    IncidentList,
}

struct Follower {
    topic: Topic,
    /// Replayed events arrive before `subscribed`; they make one reload, not one each.
    replaying: bool,
    missed: bool,
    failures: u32,
    /// Subscribed at least once: a later subscription may have missed something.
    was_live: bool,
    stopped: bool,
    /// The browser says it is offline: no reconnecting until it says online.
    offline: bool,
    socket: Option<WebSocket>,
    state: RwSignal<LiveState>,
    viewers: Option<RwSignal<Vec<Viewer>>>,
    clock: Option<ServerNow>,
    on_update: Rc<dyn Fn(Update<'_>)>,
    // Kept alive as long as the socket uses them.
    handlers: Vec<Box<dyn std::any::Any>>,
    retry: Option<Timeout>,
    pinging: Option<Interval>,
}

/// Follows an incident for as long as the calling owner lives, from `after_seq` (what
/// the page already shows), keeping `state` and `viewers` (who else has it open)
/// current. `on_update` gets each new event once, in seq order (a gap makes the
/// client ask again from the last seq it had), or `Reload` after missing some.
pub fn follow_incident(
    key: String,
    after_seq: i64,
    (state, viewers): (RwSignal<LiveState>, RwSignal<Vec<Viewer>>),
    on_update: impl Fn(Update<'_>) + 'static,
) {
    start(
        Topic::Incident {
            key,
            last_seq: after_seq,
        },
        state,
        Some(viewers),
        Rc::new(on_update),
    );
}

/// Follows the incident list: `on_change` runs when an incident is declared or
/// changed, and after a reconnect (something may have changed meanwhile).
pub fn follow_incident_list(state: RwSignal<LiveState>, on_change: impl Fn() + 'static) {
    start(
        Topic::IncidentList,
        state,
        None,
        Rc::new(move |_: Update<'_>| on_change()),
    );
}

fn start(
    topic: Topic,
    state: RwSignal<LiveState>,
    viewers: Option<RwSignal<Vec<Viewer>>>,
    on_update: Rc<dyn Fn(Update<'_>)>,
) {
    let offline = !window().navigator().on_line();
    let follower = Rc::new(RefCell::new(Follower {
        topic,
        replaying: true,
        missed: false,
        failures: 0,
        was_live: false,
        stopped: false,
        offline,
        socket: None,
        state,
        viewers,
        clock: use_context::<ServerNow>(),
        on_update,
        handlers: Vec::new(),
        retry: None,
        pinging: None,
    }));
    if offline {
        state.set(LiveState::Offline);
    } else {
        connect(&follower);
    }
    // The browser knows before the socket does: go offline, and back at once.
    let went_offline = {
        let follower = follower.clone();
        window_event_listener(leptos::ev::offline, move |_| {
            let mut f = follower.borrow_mut();
            f.offline = true;
            f.retry = None;
            f.state.set(LiveState::Offline);
            if let Some(socket) = f.socket.take() {
                let _ = socket.close();
            }
        })
    };
    let came_online = {
        let follower = follower.clone();
        window_event_listener(leptos::ev::online, move |_| {
            let reconnect = {
                let mut f = follower.borrow_mut();
                f.offline = false;
                f.failures = 0;
                f.retry = None;
                f.socket.is_none() && !f.stopped
            };
            if reconnect {
                connect(&follower);
            }
        })
    };
    let kept = StoredValue::new_local(follower);
    on_cleanup(move || {
        went_offline.remove();
        came_online.remove();
        if let Some(follower) = kept.try_get_value() {
            let mut f = follower.borrow_mut();
            f.stopped = true;
            f.retry = None;
            f.pinging = None;
            if let Some(socket) = f.socket.take() {
                let _ = socket.close();
            }
        }
    });
}

fn live_url() -> Option<String> {
    let location = window().location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/api/v1/live", location.host().ok()?))
}

fn send(socket: &WebSocket, message: &ClientMessage) {
    if let Ok(text) = serde_json::to_string(message) {
        let _ = socket.send_with_str(&text);
    }
}

fn ping(socket: &WebSocket) {
    send(
        socket,
        &ClientMessage::Ping {
            sent_at: Some(js_sys::Date::now() as i64),
        },
    );
}

fn subscribe(f: &Follower, socket: &WebSocket) {
    let message = match &f.topic {
        Topic::Incident { key, last_seq } => ClientMessage::Subscribe {
            incident: key.clone(),
            after_seq: *last_seq,
        },
        Topic::IncidentList => ClientMessage::SubscribeIncidentList,
    };
    send(socket, &message);
}

fn connect(follower: &Rc<RefCell<Follower>>) {
    let Some(url) = live_url() else { return };
    let Ok(socket) = WebSocket::new(&url) else {
        schedule_retry(follower);
        return;
    };
    {
        let f = follower.borrow();
        f.state.set(if f.failures == 0 {
            LiveState::Connecting
        } else {
            LiveState::Reconnecting
        });
    }

    let on_open = {
        let follower = follower.clone();
        Closure::<dyn FnMut()>::new(move || {
            let mut f = follower.borrow_mut();
            f.replaying = true;
            if let Some(socket) = f.socket.clone() {
                ping(&socket);
                subscribe(&f, &socket);
                f.pinging = Some(Interval::new(PING_EVERY_MS, move || ping(&socket)));
            }
        })
    };
    let on_message = {
        let follower = follower.clone();
        Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let Ok(message) = serde_json::from_str::<ServerMessage>(&text) else {
                return;
            };
            receive(&follower, message);
        })
    };
    let on_close = {
        let follower = follower.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |_: CloseEvent| {
            let retry = {
                let mut f = follower.borrow_mut();
                f.socket = None;
                f.pinging = None;
                !f.stopped && !f.offline
            };
            if retry {
                schedule_retry(&follower);
            }
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    let mut f = follower.borrow_mut();
    f.handlers = vec![Box::new(on_open), Box::new(on_message), Box::new(on_close)];
    f.socket = Some(socket);
}

fn receive(follower: &Rc<RefCell<Follower>>, message: ServerMessage) {
    let mut f = follower.borrow_mut();
    let on_update = f.on_update.clone();
    match message {
        ServerMessage::Subscribed { seq, .. } => {
            f.failures = 0;
            f.was_live = true;
            f.replaying = false;
            f.state.set(LiveState::Live);
            let Topic::Incident { last_seq, .. } = &mut f.topic else {
                return;
            };
            let missed = seq > *last_seq;
            *last_seq = (*last_seq).max(seq);
            let missed = std::mem::take(&mut f.missed) || missed;
            drop(f);
            if missed {
                on_update(Update::Reload);
            }
        }
        ServerMessage::IncidentListSubscribed => {
            // After a reconnect the list may be out of date.
            let reconnected = std::mem::replace(&mut f.was_live, true);
            f.failures = 0;
            f.state.set(LiveState::Live);
            drop(f);
            if reconnected {
                on_update(Update::Reload);
            }
        }
        ServerMessage::IncidentListChanged { .. } => {
            drop(f);
            on_update(Update::Reload);
        }
        ServerMessage::NotificationsChanged { .. } => {
            drop(f);
            on_update(Update::Notifications);
        }
        ServerMessage::Event(event) => {
            let replaying = f.replaying;
            let socket = f.socket.clone();
            let Topic::Incident { key, last_seq } = &mut f.topic else {
                return;
            };
            if event.seq <= *last_seq {
                return; // applied already
            }
            if event.seq > *last_seq + 1 {
                // A gap: ask again from what was applied.
                let again = ClientMessage::Subscribe {
                    incident: key.clone(),
                    after_seq: *last_seq,
                };
                if let Some(socket) = socket {
                    send(&socket, &again);
                }
                return;
            }
            *last_seq = event.seq;
            if replaying {
                f.missed = true;
                return;
            }
            drop(f);
            on_update(Update::Event(&event));
        }
        ServerMessage::Presence { viewers, .. } => {
            if let Some(signal) = f.viewers {
                signal.set(viewers);
            }
        }
        ServerMessage::Pong {
            sent_at: Some(sent_ms),
            server_time,
        } => {
            if let Some(clock) = f.clock {
                let received_ms = js_sys::Date::now() as i64;
                clock.set_offset(measured_offset_ms(
                    sent_ms,
                    server_time.timestamp_millis(),
                    received_ms,
                ));
            }
        }
        _ => {}
    }
}

/// Waits 0.5 s, 1 s, 2 s … up to 15 s, each with up to 50% random jitter (so a
/// restarted server is not hit by every viewer at the same instant), then reconnects.
fn schedule_retry(follower: &Rc<RefCell<Follower>>) {
    let mut f = follower.borrow_mut();
    f.failures += 1;
    f.state.set(LiveState::Reconnecting);
    let base = (500u32 << f.failures.min(5)).min(MAX_BACKOFF_MS);
    let jitter = (js_sys::Math::random() * f64::from(base) * 0.5) as u32;
    let again = follower.clone();
    f.retry = Some(Timeout::new(base + jitter, move || {
        let f = again.borrow();
        if !f.stopped && !f.offline && f.socket.is_none() {
            drop(f);
            connect(&again);
        }
    }));
}
