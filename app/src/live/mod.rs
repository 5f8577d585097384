//! The live war room: a websocket stream of every incident's events in `seq` order,
//! replayed from the database and then pushed as they are committed.

#[cfg(feature = "hydrate")]
pub mod client;
#[cfg(feature = "ssr")]
pub mod hub;
pub mod model;
pub mod now;
#[cfg(feature = "ssr")]
pub mod repo;
