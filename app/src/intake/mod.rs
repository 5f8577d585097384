//! Alert intake: PagerDuty, Alertmanager, Grafana, Datadog, Opsgenie and generic
//! webhooks open incidents and add to them — verified the vendor's way, read from
//! the vendors' real payloads, one incident per alert however often it re-fires.
//! Uses incidents' service below it (declares and appends through it).

pub mod admin_page;
pub mod api;
pub mod model;

#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod verify;

#[cfg(all(test, feature = "ssr"))]
mod tests;
