//! Incidents: declaring them, listing them, showing one.

pub mod api;
mod declare_form;
mod incident_page;
mod list_page;
pub mod live_patch;
pub mod model;
#[cfg(feature = "ssr")]
pub mod repo;
mod report_page;
#[cfg(feature = "ssr")]
pub mod service;

pub use incident_page::IncidentPage;
pub use list_page::IncidentListPage;
pub use report_page::ReportPage;
