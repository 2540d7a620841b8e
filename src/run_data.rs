//! Everything the run view shows, loaded concurrently from the run bucket and the Jobs API.
//! A file that is not there yet is `None`, never an error; each failing source becomes one
//! sentence and the others still show.

use serde_json::Value;
use sf_core::record::{self, EventsRead, StateRead};
use sf_core::{BucketRef, RunId, RunStatus};
use sf_hub::JobFilter;
use sf_hub::types::{BucketEntry, JobInfo};

use crate::auth::Auth;

#[derive(Clone, Debug, PartialEq)]
pub struct Artifact {
    pub path: String,
    pub size: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunSnapshot {
    pub state: StateRead,
    pub events: EventsRead,
    pub report: Option<String>,
    pub request: Option<Value>,
    pub job: Option<JobInfo>,
    pub artifacts: Vec<Artifact>,
    /// One sentence per source that could not be read.
    pub problems: Vec<String>,
}

impl RunSnapshot {
    pub fn status(&self) -> Option<RunStatus> {
        match &self.state {
            StateRead::State(s) => Some(s.status),
            _ => None,
        }
    }

    /// Nothing at all exists for this run id in this bucket (and no job carries its label).
    pub fn is_missing(&self) -> bool {
        matches!(self.state, StateRead::NotWrittenYet)
            && self.events.events.is_empty()
            && self.job.is_none()
            && self.problems.is_empty()
    }

    /// The run will not change any more: its outcome is written, and its job (if any) has ended.
    pub fn is_final(&self) -> bool {
        let job_done = self.job.as_ref().is_none_or(|j| j.status.stage.is_final());
        match self.status() {
            Some(status) => status.is_final() && job_done,
            // The job ended without a record: nothing more will come.
            None => self.job.as_ref().is_some_and(|j| j.status.stage.is_final()),
        }
    }
}

pub async fn load(auth: Auth, bucket: BucketRef, run_id: RunId) -> Result<RunSnapshot, String> {
    let hub = auth
        .hub()
        .ok_or("Sign in with Hugging Face to see this run.")?;
    let file = |name: &str| record::run_file(&run_id, name);
    let explain = |e: sf_hub::HubError| auth.explain(&e);
    let [
        state_path,
        events_path,
        report_path,
        request_path,
        artifacts_dir,
    ] = [
        record::STATE_FILE,
        record::EVENTS_FILE,
        record::REPORT_FILE,
        record::REQUEST_FILE,
        record::ARTIFACTS_DIR,
    ]
    .map(file);
    let (owner, by_label) = (bucket.namespace(), JobFilter::run(&run_id));
    let (state, events, report, request, job, artifacts) = futures::join!(
        hub.read_bucket_text(&bucket, &state_path),
        hub.read_bucket_text(&bucket, &events_path),
        hub.read_bucket_text(&bucket, &report_path),
        hub.read_bucket_text(&bucket, &request_path),
        hub.list_jobs(&owner, &by_label),
        hub.bucket_tree(&bucket, &artifacts_dir, true),
    );
    let mut problems = Vec::new();
    let mut ok = |r: Result<Option<String>, sf_hub::HubError>| match r {
        Ok(text) => text,
        Err(e) => {
            problems.push(explain(e));
            None
        }
    };
    let state = StateRead::parse(ok(state).as_deref());
    let events = record::parse_events(ok(events).as_deref().unwrap_or(""));
    let report = ok(report);
    let request = ok(request).and_then(|t| serde_json::from_str(&t).ok());
    let job = match job {
        Ok(mut jobs) => {
            // The newest job carrying this run id.
            jobs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
            jobs.into_iter().next()
        }
        Err(e) => {
            problems.push(explain(e));
            None
        }
    };
    let artifacts = match artifacts {
        Ok(entries) => entries
            .into_iter()
            .filter_map(|e| match e {
                BucketEntry::File { path, size, .. } => Some(Artifact { path, size }),
                _ => None,
            })
            .collect(),
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => {
            problems.push(explain(e));
            Vec::new()
        }
    };
    problems.dedup();
    Ok(RunSnapshot {
        state,
        events,
        report,
        request,
        job,
        artifacts,
        problems,
    })
}
