//! Every Hub read and action of the run pages, as plain async functions (the shape of Leptos's
//! hackernews example: `api.rs` here, pages that only render). The run view's snapshot is loaded
//! concurrently from the run bucket and the Jobs API; a file that is not there yet is `None`,
//! never an error; each failing source becomes one sentence and the others still show.
//! Errors are returned as the sentence to show ([`Auth::explain`]).

use sf_core::env::RunRequest;
use sf_core::progress::{self, Progress};
use sf_core::record::{self, EventsRead, StateRead};
use sf_core::smoke_test::{self, CallSpec};
use sf_core::{BucketRef, Namespace, RunId, RunKind, RunStatus};
use sf_hub::types::{BucketEntry, JobInfo};
use sf_hub::{JobFilter, LogStream};

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
    /// `request.json`, read back typed (`None` when missing or unreadable).
    pub request: Option<RunRequest>,
    pub job: Option<JobInfo>,
    pub artifacts: Vec<Artifact>,
    /// One sentence per source that could not be read.
    pub problems: Vec<String>,
}

impl RunSnapshot {
    pub fn status(&self) -> Option<RunStatus> {
        self.state.state().map(|s| s.status)
    }

    /// Nothing at all exists for this run id in this bucket (and no job carries its label).
    pub fn is_missing(&self) -> bool {
        matches!(self.state, StateRead::NotWrittenYet)
            && self.events.events.is_empty()
            && self.events.unreadable_lines == 0
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

    /// The outcome is written (the job may still be winding down).
    pub fn is_finished(&self) -> bool {
        self.status().is_some_and(RunStatus::is_final)
    }

    /// The run's kind: from its state, else from its id, else a build.
    pub fn kind(&self, hint: Option<RunKind>) -> RunKind {
        self.state
            .state()
            .map(|s| s.kind)
            .or(hint)
            .unwrap_or(RunKind::Build)
    }

    /// Where the run is at in a few words, for the tab title and the notification:
    /// `● running`, `✓ Generation works`, or, when the job ended without an outcome,
    /// `✗ job canceled`.
    pub fn headline(&self) -> String {
        match self.status() {
            Some(s) if s.is_final() => crate::notify::status_text(s),
            _ => match &self.job {
                Some(j) if j.status.stage.is_final() => format!(
                    "{} job {}",
                    crate::notify::status_mark(RunStatus::Failed),
                    j.status.stage.as_str().to_ascii_lowercase()
                ),
                _ => crate::notify::status_text(RunStatus::Running),
            },
        }
    }

    /// Where the run stands: the newer of `state.json` and the last event, so that a listing lag
    /// on one of the two files never shows the run going backwards.
    pub fn progress(&self) -> Option<Progress<'_>> {
        progress::current(self.state.state(), &self.events.events)
    }
}

pub async fn load(auth: Auth, bucket: BucketRef, run_id: RunId) -> Result<RunSnapshot, String> {
    let hub = auth
        .hub()
        .ok_or("Sign in with Hugging Face to see this run.")?;
    let owner = bucket.namespace();
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
    let by_label = JobFilter::run(&run_id);
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
    let request = ok(request).and_then(|t| RunRequest::from_json(&t).ok());
    let job = match job {
        Ok(jobs) => {
            // The newest job carrying this run id (the first listed of equally new ones).
            jobs.into_iter().reduce(|newest, j| {
                if j.created_at > newest.created_at {
                    j
                } else {
                    newest
                }
            })
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

/// One line of the runs list.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    pub run_id: String,
    pub kind: Option<RunKind>,
    pub subject: String,
    pub status: Option<RunStatus>,
    pub phase: Option<String>,
    pub time: String,
    /// What the run cost (`state.json` `cost`), once recorded.
    pub cost: Option<record::CostRecord>,
    /// The Space the run built or checked.
    pub space: Option<sf_core::SpaceRef>,
    /// The batch the run belongs to (from `state.json`).
    pub batch: Option<sf_core::batch::BatchTag>,
}

/// Every run in `bucket`, newest first (by creation time, then by run id, which starts with
/// its date). A bucket without a `runs/` folder has no runs.
pub async fn list_runs(auth: Auth, bucket: BucketRef) -> Result<Vec<RunRow>, String> {
    let hub = auth
        .hub()
        .ok_or("Sign in with Hugging Face to see your runs.")?;
    let listed = match hub.bucket_tree(&bucket, "runs", false).await {
        Ok(entries) => entries,
        Err(e) if e.is_not_found() => Vec::new(),
        Err(e) => return Err(auth.explain(&e)),
    };
    let run_ids: Vec<RunId> = listed
        .into_iter()
        .filter_map(|e| match e {
            BucketEntry::Directory { path, .. } => {
                path.rsplit('/').next().and_then(|n| RunId::parse(n).ok())
            }
            _ => None,
        })
        .collect();
    let states = futures::future::join_all(run_ids.iter().map(|r| {
        let path = record::run_file(r, record::STATE_FILE);
        let (hub, bucket) = (&hub, &bucket);
        async move { hub.read_bucket_text(bucket, &path).await }
    }))
    .await;
    let mut rows: Vec<RunRow> = run_ids
        .iter()
        .zip(states)
        .map(|(run_id, text)| row(run_id, StateRead::parse(text.ok().flatten().as_deref())))
        .collect();
    sf_core::sort::stable_by(&mut rows, |a, b| {
        b.time.cmp(&a.time).then_with(|| b.run_id.cmp(&a.run_id))
    });
    Ok(group_by_batch(rows))
}

/// The runs of a batch together, where its newest run is, in row order; other runs stay where
/// they are (newest first).
fn group_by_batch(rows: Vec<RunRow>) -> Vec<RunRow> {
    let mut out: Vec<RunRow> = Vec::with_capacity(rows.len());
    let mut rest = rows;
    while !rest.is_empty() {
        let first = rest.remove(0);
        let Some(id) = first.batch.as_ref().map(|b| b.id.clone()) else {
            out.push(first);
            continue;
        };
        let (mut group, others): (Vec<RunRow>, Vec<RunRow>) = rest
            .into_iter()
            .partition(|r| r.batch.as_ref().is_some_and(|b| b.id == id));
        group.push(first);
        sf_core::sort::stable_by(&mut group, |a, b| {
            let row = |r: &RunRow| r.batch.as_ref().map_or(0, |b| b.row);
            row(a).cmp(&row(b)).then_with(|| a.time.cmp(&b.time))
        });
        out.extend(group);
        rest = others;
    }
    out
}

fn row(run_id: &RunId, state: StateRead) -> RunRow {
    match state {
        StateRead::State(s) => RunRow {
            run_id: run_id.to_string(),
            kind: Some(s.kind),
            phase: (!s.status.is_final()).then(|| s.phase.label().to_string()),
            space: s
                .target_space
                .as_deref()
                .and_then(|t| sf_core::SpaceRef::parse(t).ok()),
            subject: s.model_id.or(s.target_space).unwrap_or_default(),
            status: Some(s.status),
            time: s.created_at,
            cost: s.cost,
            batch: s.batch,
        },
        _ => RunRow {
            run_id: run_id.to_string(),
            kind: run_id.kind_hint(),
            subject: String::new(),
            status: None,
            phase: Some("No state written yet".into()),
            time: time_from_run_id(run_id.as_str()).unwrap_or_default(),
            cost: None,
            space: None,
            batch: None,
        },
    }
}

/// `build-20261128-142501-a3f9c2` → `2026-11-28T14:25:01Z` (the time generated run ids carry).
fn time_from_run_id(run_id: &str) -> Option<String> {
    let mut parts = run_id.split('-').skip(1);
    let (d, t) = (parts.next()?, parts.next()?);
    let ok = d.len() == 8 && t.len() == 6 && d.chars().chain(t.chars()).all(|c| c.is_ascii_digit());
    ok.then(|| {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &d[..4],
            &d[4..6],
            &d[6..],
            &t[..2],
            &t[2..4],
            &t[4..]
        )
    })
}

/// Cancels the run's job.
pub async fn cancel_job(auth: Auth, job: JobInfo) -> Result<(), String> {
    let hub = auth.hub().ok_or("Sign in with Hugging Face first.")?;
    let owner = Namespace::parse(&job_owner(&job, &auth)).map_err(|e| e.to_string())?;
    hub.cancel_job(&owner, &job.id)
        .await
        .map_err(|e| auth.explain(&e))
}

/// The smoke test a build generated (`generated/smoke_test.json`), if it is there and readable.
pub async fn read_smoke_test(auth: Auth, bucket: BucketRef, run_id: RunId) -> Option<CallSpec> {
    let path = record::run_file(&run_id, &smoke_test::manifest_in_run());
    let text = auth.hub()?.read_bucket_text(&bucket, &path).await.ok()??;
    smoke_test::parse_manifest(&text).ok()
}

/// One file of the bucket (an artifact), `None` when it is no longer there.
pub async fn read_file(auth: Auth, bucket: BucketRef, path: String) -> Result<Vec<u8>, String> {
    let hub = auth.hub().ok_or("Sign in with Hugging Face first.")?;
    match hub.read_bucket_file(&bucket, &path).await {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err("This file is no longer in the bucket.".to_string()),
        Err(e) => Err(auth.explain(&e)),
    }
}

/// The job's live logs (the Hub's SSE stream, reconnecting by itself).
pub fn job_logs(auth: &Auth, namespace: &str, job_id: &str) -> Result<LogStream, String> {
    let hub = auth.hub().ok_or("Sign in with Hugging Face first.")?;
    let owner = Namespace::parse(namespace).map_err(|e| e.to_string())?;
    hub.job_logs(&owner, job_id).map_err(|e| auth.explain(&e))
}

/// The namespace a job belongs to (its owner, else the signed-in user who launched it).
pub fn job_owner(job: &JobInfo, auth: &Auth) -> String {
    job.owner
        .as_ref()
        .map(|o| o.name.clone())
        .or_else(|| auth.username())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runs_of_a_batch_are_listed_together_in_row_order() {
        use sf_core::batch::{BatchId, BatchTag};
        let row = |id: &str, time: &str, batch: Option<u32>| super::RunRow {
            run_id: id.into(),
            kind: None,
            subject: String::new(),
            status: None,
            phase: None,
            time: time.into(),
            cost: None,
            space: None,
            batch: batch.map(|row| BatchTag {
                id: BatchId::parse("batch-1").unwrap(),
                row,
            }),
        };
        // Newest first, as listed: a batch's runs interleaved with a run launched alone.
        let rows = vec![
            row("b2", "09", Some(2)),
            row("alone", "08", None),
            row("b1", "07", Some(1)),
            row("b3", "06", Some(3)),
            row("old", "01", None),
        ];
        let ids: Vec<String> = super::group_by_batch(rows)
            .into_iter()
            .map(|r| r.run_id)
            .collect();
        assert_eq!(ids, ["b1", "b2", "b3", "alone", "old"]);
    }

    #[test]
    fn run_ids_carry_their_time() {
        assert_eq!(
            super::time_from_run_id("build-20261128-142501-a3f9c2").as_deref(),
            Some("2026-11-28T14:25:01Z")
        );
        assert_eq!(super::time_from_run_id("my-run"), None);
    }
}
