//! Launching a run: one path for Build and Validate (and a batch's rows, which are Builds). A
//! checked request ([`Job`]) becomes its job spec from `sf_core`; [`launch`] refuses a run id
//! that already has a job (so a double click, a retry after a timeout or a reload never launches
//! the same run twice), creates the job, and remembers the launch result for the run view.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sf_core::form::{BuildRequest, ValidateRequest};
use sf_core::jobspec::{self, JobSpec, JobSpecConfig};
use sf_core::{Namespace, RunId, RunKind, SpaceRef};
use sf_hub::JobFilter;

use crate::auth::Auth;
use crate::storage;

/// What the run view shows about the launch of a run started in this browser.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchRecord {
    pub run_id: String,
    pub kind: RunKind,
    pub job_id: String,
    pub namespace: String,
    /// The Space the run builds or validates (`owner/name`).
    #[serde(default)]
    pub target_space: Option<String>,
    /// The Hub's answer to the job creation, redacted.
    pub job: Value,
}

fn key(run_id: &str) -> String {
    format!("space-factory:launch:{run_id}")
}

pub fn record_for(run_id: &str) -> Option<LaunchRecord> {
    storage::get_json(&key(run_id))
}

#[derive(Clone, Debug, PartialEq)]
pub enum LaunchError {
    /// This run id already has a job: open that run instead.
    AlreadyLaunched(String),
    Failed(String),
}

/// A checked request a job is made of: a Build's or a Validate's.
pub trait JobRequest: Clone + Send + Sync + 'static {
    const KIND: RunKind;
    fn run_id(&self) -> &RunId;
    /// The Space the run builds or validates.
    fn target_space(&self) -> &SpaceRef;
    /// The job's body, from `sf_core::jobspec` (the token in its `secrets` and nowhere else).
    fn job_spec(&self, token: &str, config: &JobSpecConfig) -> JobSpec;
}

impl JobRequest for BuildRequest {
    const KIND: RunKind = RunKind::Build;
    fn run_id(&self) -> &RunId {
        &self.run_id
    }
    fn target_space(&self) -> &SpaceRef {
        &self.target_space
    }
    fn job_spec(&self, token: &str, config: &JobSpecConfig) -> JobSpec {
        jobspec::build_job(self, token, config)
    }
}

impl JobRequest for ValidateRequest {
    const KIND: RunKind = RunKind::Validate;
    fn run_id(&self) -> &RunId {
        &self.run_id
    }
    fn target_space(&self) -> &SpaceRef {
        &self.target_space
    }
    fn job_spec(&self, token: &str, config: &JobSpecConfig) -> JobSpec {
        jobspec::validate_job(self, token, config)
    }
}

/// Everything one launch needs, checked before it is dispatched: the job is built from it when
/// it is launched.
#[derive(Clone)]
pub struct Job<R> {
    /// Whose account the job runs in.
    pub namespace: String,
    pub request: R,
    pub token: String,
    pub config: JobSpecConfig,
}

impl<R: JobRequest> Job<R> {
    /// Builds this job's spec and creates it ([`launch`]). Generic, so each kind's copy lands
    /// where it is called: Build's only behind its split point
    /// ([`crate::pages::on_demand::launch_build`], and a batch's page), not in the main module.
    pub async fn launch(self, auth: Auth) -> Result<LaunchRecord, LaunchError> {
        let spec = self.request.job_spec(&self.token, &self.config);
        let (run_id, space) = (self.request.run_id(), self.request.target_space().id());
        launch(auth, &self.namespace, run_id, R::KIND, space, spec).await
    }
}

/// Creates the job for `run_id` unless one already exists. `spec` is the job body from
/// `sf_core::jobspec` (it holds the token in `secrets` and nowhere else).
pub async fn launch(
    auth: Auth,
    namespace: &str,
    run_id: &RunId,
    kind: RunKind,
    target_space: String,
    spec: JobSpec,
) -> Result<LaunchRecord, LaunchError> {
    let hub = auth
        .hub()
        .ok_or_else(|| LaunchError::Failed("Sign in with Hugging Face first.".into()))?;
    let owner = Namespace::parse(namespace).map_err(|e| LaunchError::Failed(e.to_string()))?;
    let existing = hub
        .list_jobs(&owner, &JobFilter::run(run_id))
        .await
        .map_err(|e| LaunchError::Failed(auth.explain(&e)))?;
    if !existing.is_empty() {
        return Err(LaunchError::AlreadyLaunched(run_id.to_string()));
    }
    let job = hub
        .create_job(&owner, &spec)
        .await
        .map_err(|e| LaunchError::Failed(auth.explain(&e)))?;
    let redactor = auth.redactor();
    let record = LaunchRecord {
        run_id: run_id.to_string(),
        kind,
        job_id: job.id.clone(),
        namespace: namespace.to_string(),
        target_space: Some(target_space),
        job: redactor.redact_json(&serde_json::to_value(&job).unwrap_or(Value::Null)),
    };
    storage::set_json(&key(run_id.as_str()), &record);
    Ok(record)
}

/// A fresh run id for `kind`, from the clock and the browser's random numbers.
pub fn new_run_id(kind: RunKind) -> String {
    let now = (js_sys::Date::now() / 1000.0) as u64;
    let random = (js_sys::Math::random() * f64::from(u32::MAX)) as u32;
    RunId::generate(kind, now, random).to_string()
}

/// The current time and a random number, for `LaunchContext`.
pub fn clock() -> (u64, u32) {
    (
        (js_sys::Date::now() / 1000.0) as u64,
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32,
    )
}
