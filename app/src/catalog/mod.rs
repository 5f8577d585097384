//! The catalog: people, teams and the systems they own.

pub mod api;
pub mod import;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
