//! The endpoints, one module per area; each adds methods to [`HubClient`](crate::HubClient).

pub mod buckets;
pub mod jobs;
pub mod models;
pub mod oauth;
pub mod spaces;
pub mod whoami;
