//! Spaces: creation (`POST /api/repos/create`), info, files, commits, runtime stages (on a timer,
//! or a real Gradio process, see `runtime` and `proxy`),
//! hardware requests with a refusal policy, secrets, variables and build/run logs.
//!
//! Files live in `data_dir/spaces/{ns}/{name}/`, settings in `data_dir/space-meta/{ns}/{name}.json`.
//! Secrets are kept in memory only, never written to disk.
//!
//! The module is split by concern:
//! - `store`: what is kept about a Space (settings on disk, stage, logs, secrets in memory);
//! - `stage`: the runtime stage names;
//! - `lifecycle`: how stages move (timer or real process, see `runtime` and `proxy`), runtime,
//!   restart and logs;
//! - `repo`: creating a Space, its info, files, commits and README validation;
//! - `settings`: hardware requests, secrets and variables.

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;

use crate::error::{ApiError, ApiResult};
use crate::state::{Caller, READ_SCOPES, Sim, WRITE_SCOPES, lock};

mod lifecycle;
mod proxy;
mod repo;
mod runtime;
mod settings;
mod stage;
mod store;

pub(crate) use lifecycle::{append_log, force_stage, resume_lifecycles};
pub(crate) use runtime::{kill_all, wait_for_apps};
pub(crate) use stage::Stage;
pub use store::SpaceProcess;
pub(crate) use store::{SpaceStore, seed, space_process, summary};

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .merge(repo::routes())
        .merge(lifecycle::routes())
        .merge(settings::routes())
}

/// The Space if the caller may read it; 404 `RepoNotFound` otherwise.
fn readable(sim: &Sim, caller: Option<&Caller>, ns: &str, name: &str) -> ApiResult<String> {
    let id = format!("{ns}/{name}");
    let private = lock(&sim.spaces.spaces)
        .get(&id)
        .map(|s| s.meta.private)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    if private && !caller.is_some_and(|c| c.user == ns && c.has_any(READ_SCOPES)) {
        return Err(ApiError::repo_not_found("Repository", &id));
    }
    Ok(id)
}

/// The Space if the caller may change it.
fn writable(sim: &Sim, headers: &HeaderMap, ns: &str, name: &str) -> ApiResult<String> {
    let caller = sim.require_caller(headers)?;
    let id = readable(sim, Some(&caller), ns, name)?;
    if caller.user != ns {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to change the Space '{id}'."
        )));
    }
    caller.require_any(WRITE_SCOPES, "change Spaces")?;
    Ok(id)
}
