//! Post-mortems: a draft generated from the timeline (what happened, when, what was
//! tried, what fixed it, how long, which SLAs held), edited by people as versions,
//! reviewed and published; and the follow-up actions it leads to, tracked to done.
//! Reads everything below it (incidents, timeline, sla); writes only its own table.

pub mod api;
pub mod editor;
pub mod followups_page;
pub mod model;
pub mod page;
pub mod rca_page;
pub mod templates_page;

#[cfg(feature = "ssr")]
pub mod drafter;
#[cfg(feature = "ssr")]
pub mod facts;
#[cfg(feature = "ssr")]
pub mod followups;
#[cfg(feature = "ssr")]
pub mod rca;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod review;
#[cfg(feature = "ssr")]
pub mod sections;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod team_templates;
#[cfg(feature = "ssr")]
pub mod template;

#[cfg(all(test, feature = "ssr"))]
mod tests;
