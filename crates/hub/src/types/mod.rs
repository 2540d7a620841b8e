//! Wire types: what the Hub sends, as serde structs. Tolerant by design: unknown fields are
//! ignored, anything the Hub may leave out is an `Option` or defaults to empty, and enums keep
//! values they do not know (`Other(..)`) instead of failing.
//!
//! One module per Hub area, matching `api/`: `buckets`, `hardware`, `jobs`, `models`, `oauth`,
//! `spaces`, `whoami`; everything is re-exported here. Only answers live here: what is sent is
//! either a small body private to its `api/` module or, for a job, `sf_core::JobSpec`.
//!
//! A new field the app or the worker needs: add it to the struct as an `Option` (or with
//! `#[serde(default)]`), with the Hub's own name in `#[serde(rename…)]`, and a test in the
//! `api/` module that reads it from a recorded answer.

mod buckets;
mod hardware;
mod jobs;
mod models;
mod oauth;
mod spaces;
mod whoami;

pub use buckets::{BucketEntry, BucketInfo, RepoUrl};
pub use hardware::{Accelerator, HardwareFlavor, price_list};
pub use jobs::{JobInfo, JobOwner, JobStage, JobStatus, Volume};
pub use models::{
    Gated, ModelFiles, ModelInfo, Safetensors, Sibling, TransformersInfo, first_download,
    is_weight_file,
};
pub use oauth::{OpenIdConfiguration, TokenResponse, UserInfo, UserInfoOrg};
pub use spaces::{CommitInfo, SpaceHardwareState, SpaceInfo, SpaceRuntime, SpaceStage};
pub use whoami::{AccountKind, TokenInfo, WhoAmI, WhoAmIAuth, WhoAmIOrg};

/// Accepts a string or a number (or null) where the Hub is not consistent, e.g. `"16 GB"` vs `16`.
pub(crate) fn lenient_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// `null` → the default (the Hub sends `null` for empty lists and maps at times).
pub(crate) fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + serde::Deserialize<'de>,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
