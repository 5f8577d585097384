//! Status pages: what customers read without signing in (`/status`) and each
//! account's private page (`/status/a/{token}`). Fed only by customer messages that
//! were sent, so the page and the emails never disagree, and nothing internal
//! (timeline text, engineers, other accounts) reaches it.

pub mod admin_page;
pub mod api;
pub mod model;

#[cfg(feature = "ssr")]
pub mod cache;
#[cfg(feature = "ssr")]
pub mod maintenance;
#[cfg(feature = "ssr")]
pub mod render;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod subscriptions;
