//! The live protocol, shared by the server and the browser. Messages are JSON text
//! frames tagged by `type`; the server says which protocol version it speaks first.

use serde::{Deserialize, Serialize};

/// Bumped when a message changes incompatibly.
pub const PROTOCOL_VERSION: u32 = 1;

/// One committed change to an incident, exactly as recorded in its event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// The incident's key, e.g. `INC-42`.
    pub incident: String,
    /// Gap-free per incident: a client applies events strictly in this order.
    pub seq: i64,
    /// e.g. `timeline.entry_added`, `incident.status_changed`.
    pub kind: String,
    /// The entry or incident as it stands after the change.
    pub payload: serde_json::Value,
    /// When the server recorded it.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// What a browser (or any client) sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Everything after `after_seq` (0: from the start), then live events.
    Subscribe {
        incident: String,
        after_seq: i64,
    },
    Unsubscribe {
        incident: String,
    },
    /// Notices of incidents declared or changed (status, severity, roles, impact),
    /// for the incident list; answered with `incident_list_subscribed`.
    SubscribeIncidentList,
    UnsubscribeIncidentList,
    /// A heartbeat; answered with `pong` carrying the server's clock.
    Ping {
        sent_at: Option<i64>,
    },
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// First message on every connection.
    Hello {
        version: u32,
        server_time: chrono::DateTime<chrono::Utc>,
    },
    /// The replay for a subscription is complete up to `seq`; live events follow.
    Subscribed {
        incident: String,
        seq: i64,
    },
    Event(LiveEvent),
    /// The incident-list subscription is on: what changed before it is not sent.
    IncidentListSubscribed,
    /// An incident was declared or changed: the list should show it anew.
    IncidentListChanged {
        incident: String,
    },
    /// A notification about the incident was delivered, or an attempt failed (not in
    /// the event log, so no seq: a client that reconnects reloads them anyway).
    NotificationsChanged {
        incident: String,
    },
    /// Who is viewing the incident now (sent to its viewers whenever that changes;
    /// not part of the event log, so it has no seq).
    Presence {
        incident: String,
        viewers: Vec<Viewer>,
    },
    Pong {
        sent_at: Option<i64>,
        server_time: chrono::DateTime<chrono::Utc>,
    },
    /// A message that could not be acted on (the connection stays open).
    Error {
        message: String,
    },
}

/// Someone with the war room open.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    /// admin, engineer, cs or viewer.
    pub role: String,
}

/// The close reason for a connection that fell behind: the client resumes with
/// `after_seq` set to the last seq it applied for each incident.
pub const TOO_SLOW: &str = "too slow: resume from your last seq";

/// What the page says about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not started (server-rendered pages, or JavaScript off).
    Off,
    Connecting,
    Live,
    /// Lost; trying again after a pause.
    Reconnecting,
    /// The browser is offline: posts wait in the page until it is back.
    Offline,
}

impl LiveState {
    pub fn label(self) -> &'static str {
        match self {
            LiveState::Off => "Not live: reload for news",
            LiveState::Connecting => "Connecting…",
            LiveState::Live => "Live",
            LiveState::Reconnecting => "Reconnecting…",
            LiveState::Offline => "Offline: posts wait here until you are back",
        }
    }
}
