//! Identity: people who sign in, their roles, sessions and API tokens, what each
//! role may do, and the audit log of security-relevant actions.

pub mod access;
pub mod api;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod secrets;
#[cfg(feature = "ssr")]
pub mod service;
