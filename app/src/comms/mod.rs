//! Customer communication: one owner per incident; customer messages drafted from
//! engineering's timeline on a schedule CS controls; approval by tier; guards
//! against duplicate and contradictory messages; delivery by email and signed
//! webhook to each account; and the log of everything customers were told.
//!
//! `draft` writes a message's text from the timeline, `guards` decides what holds a
//! message back, `schedule` is the cadence math; `service` holds the rules of
//! schedules and messages, `scheduler` fires each due update once, `log` reads what
//! customers were told, `settings` is templates, approval policies and webhooks.

pub mod api;
pub mod log_page;
pub mod model;
pub mod panel;
pub mod templates_page;

#[cfg(feature = "ssr")]
pub mod draft;
#[cfg(feature = "ssr")]
pub mod guards;
#[cfg(feature = "ssr")]
pub mod log;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod schedule;
#[cfg(feature = "ssr")]
pub mod scheduler;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod settings;
