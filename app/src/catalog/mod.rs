//! The catalog: people, teams, the systems they own, and customer accounts.

pub use admin_page::CatalogPage;

pub mod admin_page;
pub mod api;
pub mod import;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
