//! The browser's end of the live connection: one websocket per incident page,
//! reconnecting with exponential backoff and jitter, resuming from the last seq
//! applied.

use super::model::{ClientMessage, LiveState, ServerMessage, Viewer};
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// Longest wait between reconnection attempts.
const MAX_BACKOFF_MS: u32 = 15_000;

struct Follower {
    key: String,
    /// The last seq applied; a resubscription asks for what follows it.
    last_seq: i64,
    /// Replayed events arrive before `subscribed`; they make one refresh, not one each.
    replaying: bool,
    missed: bool,
    failures: u32,
    stopped: bool,
    socket: Option<WebSocket>,
    state: RwSignal<LiveState>,
    viewers: RwSignal<Vec<Viewer>>,
    on_event: Rc<dyn Fn(i64)>,
    // Kept alive as long as the socket uses them.
    handlers: Vec<Box<dyn std::any::Any>>,
    retry: Option<Timeout>,
}

/// Follows an incident for as long as the calling component lives, keeping `state`
/// and `viewers` (who else has it open) current: `on_event(seq)`
/// runs once per new event, in seq order (a gap makes it ask again from the last
/// seq it had). Starts from `after_seq`, what the page already shows.
pub fn follow_incident(
    key: String,
    after_seq: i64,
    (state, viewers): (RwSignal<LiveState>, RwSignal<Vec<Viewer>>),
    on_event: impl Fn(i64) + 'static,
) {
    let follower = Rc::new(RefCell::new(Follower {
        key,
        last_seq: after_seq,
        replaying: true,
        missed: false,
        failures: 0,
        stopped: false,
        socket: None,
        state,
        viewers,
        on_event: Rc::new(on_event),
        handlers: Vec::new(),
        retry: None,
    }));
    connect(&follower);
    let kept = StoredValue::new_local(follower);
    on_cleanup(move || {
        if let Some(follower) = kept.try_get_value() {
            let mut follower = follower.borrow_mut();
            follower.stopped = true;
            follower.retry = None;
            if let Some(socket) = follower.socket.take() {
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
            if let Some(socket) = &f.socket {
                send(
                    socket,
                    &ClientMessage::Subscribe {
                        incident: f.key.clone(),
                        after_seq: f.last_seq,
                    },
                );
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
            let stopped = {
                let mut f = follower.borrow_mut();
                f.socket = None;
                f.stopped
            };
            if !stopped {
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
    let seq = match message {
        ServerMessage::Subscribed { seq, .. } => {
            f.failures = 0;
            f.replaying = false;
            f.state.set(LiveState::Live);
            let missed = std::mem::take(&mut f.missed) || seq > f.last_seq;
            f.last_seq = f.last_seq.max(seq);
            if !missed {
                return;
            }
            seq
        }
        ServerMessage::Event(event) if event.seq == f.last_seq + 1 => {
            f.last_seq = event.seq;
            if f.replaying {
                f.missed = true;
                return;
            }
            event.seq
        }
        ServerMessage::Event(event) if event.seq > f.last_seq + 1 => {
            // A gap: ask again from what was applied.
            if let Some(socket) = &f.socket {
                let again = ClientMessage::Subscribe {
                    incident: f.key.clone(),
                    after_seq: f.last_seq,
                };
                send(socket, &again);
            }
            return;
        }
        ServerMessage::Presence { viewers, .. } => {
            f.viewers.set(viewers);
            return;
        }
        _ => return,
    };
    let on_event = f.on_event.clone();
    drop(f);
    on_event(seq);
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
        if !again.borrow().stopped {
            connect(&again);
        }
    }));
}
