//! Reusable pieces of the interface, one file each: parts used by more than one page or by the
//! layout. Like pages, they only render; a component that needs the Hub calls a data module
//! ([`crate::run_data`], [`crate::bucket`]), never the Hub client itself.

mod account;
mod artifacts;
mod bucket_panel;
mod build_settings;
mod cost_estimate;
mod field;
mod launch_gate;
mod launch_outcome;
mod log_tail;
mod run_cost;
mod sign_in;
mod status_badge;

pub use account::Account;
pub use artifacts::Artifacts;
pub use bucket_panel::BucketPanel;
pub use build_settings::BuildSettings;
pub use cost_estimate::CostEstimate;
pub use field::TextField;
pub use launch_gate::LaunchGate;
pub use launch_outcome::LaunchOutcome;
pub use log_tail::LogTail;
pub use run_cost::{RunCost, settings_href};
pub use sign_in::SignInPanel;
pub use status_badge::StatusBadge;
