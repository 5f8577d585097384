//! The timeline: the append-only record of everything that happened in an incident.

#[cfg(feature = "ssr")]
pub mod cache;
pub mod model;
pub mod pending;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
