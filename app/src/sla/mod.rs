//! SLA clocks: per (incident, impacted account), a response and a resolution clock
//! measured in the account's contract calendar (24×7, or business hours in a time
//! zone with holidays), paused by configured statuses, warning before a breach.
//!
//! `calendar` is the time math; `clock` turns the facts of one clock (when it ran,
//! why it is halted) into its state, remaining time and next due instant.

pub mod calendar;
pub mod clock;
