//! Everything the Batch view and a batch's page read from or do on the Hub: the model search,
//! the launch plan kept in this browser, launching one row (through [`crate::launch`], so the
//! run-id lookup keeps a row from being launched twice), and assembling a batch from its runs.
//!
//! A batch has no file of its own: the app cannot write the bucket. Its jobs carry the label
//! `batch-id=<id>` and their environment names their row, model and Space; each run's
//! `request.json` and `state.json` carry `batch: {id, row}`. The page lists the jobs by that
//! label and reads each run's `state.json`; the plan saved here adds the rows not launched yet.

use sf_core::batch::{BatchId, BatchRun, LABEL_BATCH_ID, LaunchPlan, RowLaunch};
use sf_core::env::{RunRequest, SF_BATCH_ROW, SF_MODEL_ID, SF_TARGET_SPACE};
use sf_core::form::{BuildForm, BuildRequest, LaunchContext};
use sf_core::jobspec::LABEL_RUN_ID;
use sf_core::record::{self, StateRead};
use sf_core::{BucketRef, Namespace, RunId, RunKind};
use sf_hub::types::{JobInfo, ModelInfo};
use sf_hub::{JobFilter, ModelSearch, Transport};

use leptos::prelude::WithValue;

use crate::auth::Auth;
use crate::launch::{self, Job, LaunchError};
use crate::storage;

/// The Batch view's rows and its shared settings, kept across reloads.
pub const ROWS_KEY: &str = "space-factory:draft:batch";
pub const SETTINGS_KEY: &str = "space-factory:draft:batch-settings";

fn plan_key(batch: &str) -> String {
    format!("space-factory:batch:{batch}")
}

/// The launch plan of `batch` saved in this browser, resumed after a reload.
pub fn load_plan(batch: &str) -> Option<LaunchPlan> {
    storage::get_json::<LaunchPlan>(&plan_key(batch)).map(LaunchPlan::resumed)
}

/// Saves the plan: before each launch, so that a reload finds the run ids already chosen.
pub fn save_plan(plan: &LaunchPlan) {
    storage::set_json(&plan_key(plan.batch.as_str()), plan);
}

/// Models on the Hub matching `q` (id, task, likes, gated and private marks).
pub async fn search_models(auth: Auth, q: ModelSearch) -> Result<Vec<ModelInfo>, String> {
    let hub = auth
        .hub()
        .ok_or("Sign in with Hugging Face to search the Hub.")?;
    hub.list_models(&q).await.map_err(|e| auth.explain(&e))
}

/// How long a launch interrupted by a reload waits for its job to show before creating one:
/// the creation may still be on its way at the Hub.
const INTERRUPTED_WAIT: [std::time::Duration; 4] = [std::time::Duration::from_millis(2500); 4];

/// Launches one planned run; `Launched` also when its run id already has a job (a reload, a
/// second click, a retry after a lost answer), never a second job. An `interrupted` launch
/// first waits for the job it may already have started.
pub async fn launch_row(auth: Auth, request: BuildRequest, interrupted: bool) -> RowLaunch {
    let failed = |reason: String| RowLaunch::Failed { reason };
    let (Some(user), Some(token), Some(hub)) = (auth.username(), auth.token(), auth.hub()) else {
        return failed("Sign in with Hugging Face first; the batch resumes here.".into());
    };
    if interrupted && let Ok(owner) = Namespace::parse(&user) {
        for wait in INTERRUPTED_WAIT {
            match hub
                .list_jobs(&owner, &JobFilter::run(&request.run_id))
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    return RowLaunch::Launched {
                        job_id: jobs[0].id.clone(),
                    };
                }
                Ok(_) => hub.transport().sleep(wait).await,
                Err(e) => return failed(auth.explain(&e)),
            }
        }
    }
    let config = match auth.config.with_value(|c| c.job_spec_config()) {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let job = Job {
        namespace: user,
        request,
        token,
        config,
    };
    match job.launch(auth).await {
        Ok(record) => RowLaunch::Launched {
            job_id: record.job_id,
        },
        Err(LaunchError::AlreadyLaunched(_)) => RowLaunch::Launched {
            job_id: String::new(),
        },
        Err(LaunchError::Failed(reason)) => failed(reason),
    }
}

/// "Run again" for a batch's failed run: its `request.json` refilled with a new run id and the
/// next Space name (the first one exists now), in the same batch and row, checked again.
pub async fn run_again_request(
    auth: Auth,
    bucket: BucketRef,
    run_id: RunId,
) -> Result<BuildRequest, String> {
    let hub = auth.hub().ok_or("Sign in with Hugging Face first.")?;
    let path = record::run_file(&run_id, record::REQUEST_FILE);
    let text = hub
        .read_bucket_text(&bucket, &path)
        .await
        .map_err(|e| auth.explain(&e))?
        .ok_or_else(|| format!("The run {run_id} has no request.json in the bucket yet."))?;
    // Read as the run page reads it (`RunRequest::from_json`): one BuildRequest reader in the wasm.
    let Ok(RunRequest::Build(old)) = RunRequest::from_json(&text) else {
        return Err(format!(
            "The run {run_id}'s request.json is not a build request."
        ));
    };
    let user = auth.username().unwrap_or_default();
    let (now, random) = launch::clock();
    let ctx = LaunchContext {
        namespace: &user,
        unix_seconds: now,
        random,
    };
    let form = BuildForm::run_again(&old, launch::new_run_id(RunKind::Build));
    let mut request = form.validate(&ctx).map_err(|errs| {
        errs.into_iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    })?;
    request.batch = old.batch;
    Ok(request)
}

/// A batch's runs: its jobs (by the batch label) and the runs planned in this browser, each with
/// its `state.json` read from the bucket; and the jobs, for cancelling.
pub async fn load_batch(
    auth: Auth,
    bucket: BucketRef,
    batch: BatchId,
    plan: Option<LaunchPlan>,
) -> Result<(Vec<BatchRun>, Vec<JobInfo>), String> {
    let hub = auth
        .hub()
        .ok_or("Sign in with Hugging Face to see this batch.")?;
    let owner =
        Namespace::parse(&auth.username().unwrap_or_default()).map_err(|e| e.to_string())?;
    let filter = JobFilter::default().label(LABEL_BATCH_ID, batch.as_str());
    let jobs = hub
        .list_jobs(&owner, &filter)
        .await
        .map_err(|e| auth.explain(&e))?;
    // Run ids: the jobs', then the planned ones that were launched (a job listing may lag).
    let mut runs: Vec<(RunId, Option<&JobInfo>, Option<&BuildRequest>)> = Vec::new();
    for job in &jobs {
        if let Some(id) = job
            .labels
            .get(LABEL_RUN_ID)
            .and_then(|v| RunId::parse(v).ok())
            && runs.iter().all(|(r, _, _)| r != &id)
        {
            runs.push((id, Some(job), None));
        }
    }
    for planned in plan.iter().flat_map(|p| &p.runs) {
        if !matches!(planned.launch, RowLaunch::Launched { .. }) {
            continue;
        }
        match runs
            .iter_mut()
            .find(|(r, _, _)| r == &planned.request.run_id)
        {
            Some(entry) => entry.2 = Some(&planned.request),
            None => runs.push((planned.request.run_id.clone(), None, Some(&planned.request))),
        }
    }
    let states = futures::future::join_all(runs.iter().map(|(id, _, _)| {
        let path = record::run_file(id, record::STATE_FILE);
        let (hub, bucket) = (&hub, &bucket);
        async move { hub.read_bucket_text(bucket, &path).await }
    }))
    .await;
    let out = runs
        .iter()
        .zip(states)
        .map(|((id, job, planned), text)| {
            let state = StateRead::parse(text.ok().flatten().as_deref());
            batch_run(id, state.state(), *job, *planned)
        })
        .collect();
    Ok((out, jobs))
}

fn batch_run(
    run_id: &RunId,
    state: Option<&sf_core::RunState>,
    job: Option<&JobInfo>,
    planned: Option<&BuildRequest>,
) -> BatchRun {
    let env = |k: &str| job.and_then(|j| j.environment.get(k).cloned());
    let row = state
        .and_then(|s| s.batch.as_ref().map(|b| b.row))
        .or_else(|| planned.and_then(|p| p.batch.as_ref().map(|b| b.row)))
        .or_else(|| env(SF_BATCH_ROW).and_then(|r| r.parse().ok()))
        .unwrap_or(0);
    let model = state
        .and_then(|s| s.model_id.clone())
        .or_else(|| planned.map(|p| p.model.id()))
        .or_else(|| env(SF_MODEL_ID))
        .unwrap_or_default();
    let target_space = state
        .and_then(|s| s.target_space.clone())
        .or_else(|| planned.map(|p| p.target_space.id()))
        .or_else(|| env(SF_TARGET_SPACE))
        .unwrap_or_default();
    let created_at = state
        .map(|s| s.created_at.clone())
        .or_else(|| job.and_then(|j| j.created_at.clone()))
        .unwrap_or_default();
    BatchRun {
        row,
        run_id: run_id.clone(),
        model,
        target_space,
        status: state.map(|s| s.status),
        phase: state
            .filter(|s| !s.status.is_final())
            .map(|s| s.phase.label().to_string())
            .or_else(|| {
                job.filter(|_| state.is_none())
                    // The Hub's stage names are ASCII (`RUNNING`, …): `to_ascii_lowercase`
                    // spares the wasm core's Unicode case tables (issue 13).
                    .map(|j| format!("Job {}", j.status.stage.as_str().to_ascii_lowercase()))
            }),
        job_ended: job.is_some_and(|j| j.status.stage.is_final()),
        created_at,
        finished_at: state.and_then(|s| s.finished_at.clone()),
        cost: state.and_then(|s| s.cost.clone()),
    }
}
