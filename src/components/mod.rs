//! Reusable pieces of the interface, one file each.

mod account;
mod bucket_panel;
mod sign_in;
mod status_badge;

pub use account::Account;
pub use bucket_panel::BucketPanel;
pub use sign_in::SignInPanel;
pub use status_badge::StatusBadge;
