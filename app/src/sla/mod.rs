//! SLA clocks: per (incident, impacted account), a response and a resolution clock
//! measured in the account's contract calendar (24×7, or business hours in a time
//! zone with holidays), paused by configured statuses, warning before a breach.
//!
//! `calendar` is the time math; `clock` turns the facts of one clock (when it ran,
//! why it is halted) into its state, remaining time and next due instant; `policy`
//! is the contract terms; `engine` keeps every running clock, announces each state
//! change once and sleeps until the next one is due.

pub mod api;
pub mod board_page;
pub mod model;
pub mod panel;
pub mod policy_page;
pub mod report_page;

#[cfg(feature = "ssr")]
pub mod calendar;
#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod engine;
#[cfg(feature = "ssr")]
pub mod policy;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod report;
#[cfg(feature = "ssr")]
pub mod service;
