//! A typed Hugging Face Hub client over a transport trait, for the web app (wasm32, browser
//! `fetch`) and the job worker (native, reqwest).
//!
//! ```no_run
//! # #[cfg(not(target_arch = "wasm32"))]
//! # async fn demo() -> Result<(), sf_hub::HubError> {
//! use sf_hub::{HubClient, NativeTransport};
//! let transport = NativeTransport::new().expect("TLS set-up");
//! let hub = HubClient::new("https://huggingface.co", transport)?.with_token("hf_…");
//! let me = hub.whoami_v2().await?;
//! let bucket = sf_core::BucketRef::new(&me.name, "space-factory-runs").expect("a Hub user name");
//! let runs = hub.bucket_tree(&bucket, "runs", false).await?;
//! # Ok(()) }
//! ```
//!
//! Layout: [`transport`] moves bytes; [`HubClient`] (in `client`) owns the one request path
//! (token-origin rule, retries, error building); `api/` holds one module per Hub area; [`types`]
//! holds the tolerant wire types; [`sse`] and [`logs`] hold the pure log-stream pieces.
//!
//! Calls take `sf-core`'s checked references ([`sf_core::SpaceRef`], [`sf_core::BucketRef`],
//! [`sf_core::ModelRef`], [`sf_core::Namespace`]) and job specs ([`sf_core::JobSpec`]); names
//! are never re-checked here, and paths are encoded by `sf_core::links`' one encoder.

mod api;
mod client;
mod error;
pub mod logs;
mod retry;
pub mod sse;
pub mod transport;
pub mod types;
pub mod url;

pub use api::jobs::JobFilter;
pub use api::models::{ModelSearch, ModelSort};
pub use api::oauth::CodeExchange;
pub use api::spaces::{CommitFile, NewCommit, NewSpace, SpaceLogKind};
pub use client::HubClient;
pub use error::{HubError, HubStatusError, Operation};
pub use logs::{LogDedup, LogLine, LogStream, LogStreamOptions};
pub use retry::{AttemptFailure, RetryPolicy};
#[cfg(target_arch = "wasm32")]
pub use transport::BrowserTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use transport::NativeTransport;
pub use transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};

#[cfg(test)]
mod mock;
