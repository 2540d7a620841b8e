//! Jobs that really run: each accepted job spawns its command as a local process (see the crate
//! documentation for the environment and the volume mapping) and walks the Hub's lifecycle
//! SCHEDULING → RUNNING → COMPLETED / ERROR / CANCELED.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::mount::namespace::{JobRoot, VolumeBind};
use crate::mount::{BucketMount, BucketMounts};
use crate::state::{Caller, LogLine, Sim, lock};
use crate::util::{iso, now_iso, random_hex, safe_relative_path, valid_label_part};

const DEFAULT_TIMEOUT_SECS: u64 = 30 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Scheduling,
    Running,
    Completed,
    Error,
    Canceled,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Scheduling => "SCHEDULING",
            Stage::Running => "RUNNING",
            Stage::Completed => "COMPLETED",
            Stage::Error => "ERROR",
            Stage::Canceled => "CANCELED",
        }
    }

    fn is_terminal(self) -> bool {
        matches!(self, Stage::Completed | Stage::Error | Stage::Canceled)
    }
}

struct JobState {
    /// The spec fields echoed back in every JobInfo (secrets reduced to their names).
    echo: Map<String, Value>,
    labels: BTreeMap<String, String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    stage: Stage,
    message: Option<String>,
    logs: Vec<LogLine>,
    /// Process group of the running command.
    pgid: Option<i32>,
}

pub(crate) struct JobCell {
    id: String,
    owner: String,
    state: Mutex<JobState>,
    /// Ticks when log lines are added or the stage changes.
    changed: watch::Sender<u64>,
    cancel: watch::Sender<bool>,
}

impl JobCell {
    fn update<R>(&self, f: impl FnOnce(&mut JobState) -> R) -> R {
        let r = f(&mut lock(&self.state));
        self.changed.send_modify(|v| *v += 1);
        r
    }

    fn log(&self, data: String) {
        self.update(|s| {
            s.logs.push(LogLine {
                data,
                timestamp: now_iso(),
            })
        });
    }

    fn finish(&self, stage: Stage, message: Option<String>) {
        self.update(|s| {
            if !s.stage.is_terminal() {
                s.stage = stage;
                s.message = message;
                s.finished_at = Some(Utc::now());
                s.pgid = None;
            }
        });
    }
}

#[derive(Default)]
pub(crate) struct JobStore {
    jobs: Mutex<Vec<Arc<JobCell>>>,
    /// Bodies received by job creation, for tests (may hold secrets: test-only).
    pub requests: Mutex<Vec<Value>>,
}

impl JobStore {
    fn find(&self, ns: &str, id: &str) -> Option<Arc<JobCell>> {
        lock(&self.jobs)
            .iter()
            .find(|j| j.id == id && j.owner == ns)
            .cloned()
    }
}

/// What the simulator's job web page shows.
pub(crate) struct JobSummary {
    pub stage: &'static str,
    pub message: Option<String>,
    pub logs: Vec<String>,
}

pub(crate) fn summary(sim: &Sim, ns: &str, id: &str) -> Option<JobSummary> {
    let cell = sim.jobs.find(ns, id)?;
    let s = lock(&cell.state);
    Some(JobSummary {
        stage: s.stage.as_str(),
        message: s.message.clone(),
        logs: s.logs.iter().map(|l| l.data.clone()).collect(),
    })
}

/// Kills every running job's process group (on shutdown).
pub(crate) fn kill_all(sim: &Sim) {
    for job in lock(&sim.jobs.jobs).iter() {
        if let Some(pgid) = lock(&job.state).pgid {
            signal_group(pgid, libc::SIGKILL);
        }
    }
}

#[allow(unsafe_code)] // kill(2): see the SAFETY comment
pub(crate) fn signal_group(pgid: i32, signal: i32) {
    if pgid > 1 {
        // SAFETY: kill(2) with a negative pid signals a process group; it has no memory effects.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/jobs/hardware", get(hardware))
        .route("/api/jobs/{ns}", get(list).post(create))
        .route("/api/jobs/{ns}/{id}", get(inspect))
        .route("/api/jobs/{ns}/{id}/cancel", post(cancel))
        .route("/api/jobs/{ns}/{id}/logs", get(logs))
        .route("/api/jobs/{ns}/{id}/labels", put(set_labels))
}

async fn hardware(State(sim): State<Arc<Sim>>) -> Response {
    let prices = lock(&sim.hardware_prices).clone();
    axum::Json(crate::hardware::job_flavors(&prices)).into_response()
}

/// The caller, if allowed to use jobs under `ns`.
fn job_caller(sim: &Sim, headers: &HeaderMap, ns: &str) -> ApiResult<Caller> {
    let caller = sim.require_caller(headers)?;
    if caller.user != ns {
        return Err(ApiError::forbidden(format!(
            "You don't have access to the jobs of the namespace '{ns}'."
        )));
    }
    caller.require_any(&["jobs"], "run and read jobs")?;
    Ok(caller)
}

fn job_json(sim: &Sim, cell: &JobCell) -> Value {
    let s = lock(&cell.state);
    let mut v = Value::Object(s.echo.clone());
    let now = Utc::now();
    let secs = |a: DateTime<Utc>, b: DateTime<Utc>| (b - a).num_seconds().max(0);
    let owner_id = sim
        .user(&cell.owner)
        .map(|u| u.id.clone())
        .unwrap_or_default();
    v["id"] = json!(cell.id);
    v["createdAt"] = json!(iso(s.created_at));
    if let Some(t) = s.started_at {
        v["startedAt"] = json!(iso(t));
    }
    if let Some(t) = s.finished_at {
        v["finishedAt"] = json!(iso(t));
    }
    if !s.labels.is_empty() {
        v["labels"] = json!(s.labels);
    }
    v["status"] = json!({
        "stage": s.stage.as_str(),
        "message": s.message,
        "failureCount": u32::from(s.stage == Stage::Error),
    });
    let end = s.finished_at.unwrap_or(now);
    v["durations"] = json!({
        "schedulingSecs": s.started_at.map(|t| secs(s.created_at, t)),
        "runningSecs": s.started_at.map(|t| secs(t, end)),
        "totalSecs": secs(s.created_at, end),
    });
    v["owner"] = json!({ "id": owner_id, "name": cell.owner, "type": "user" });
    v["initiator"] = json!({ "type": "user", "id": owner_id, "name": cell.owner });
    v
}

/// A validated job request, ready to run.
struct Plan {
    program: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    mounts: Vec<Mount>,
    secrets: BTreeMap<String, String>,
    flavor: String,
    timeout: u64,
    echo: Map<String, Value>,
    labels: BTreeMap<String, String>,
}

/// The job-creation body (`POST /api/jobs/{ns}`), as `huggingface_hub.run_job` sends it. The
/// raw body is kept as well: it is echoed back in every JobInfo and recorded for tests.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JobSpec {
    #[serde(default)]
    docker_image: Option<String>,
    #[serde(default)]
    space_id: Option<String>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    arguments: Option<Vec<String>>,
    #[serde(default)]
    environment: Option<BTreeMap<String, String>>,
    #[serde(default)]
    secrets: Option<BTreeMap<String, String>>,
    #[serde(default)]
    flavor: Option<String>,
    #[serde(default)]
    timeout_seconds: Option<u64>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    volumes: Option<Vec<Volume>>,
}

/// One entry of a job's `volumes`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    mount_path: String,
    #[serde(default)]
    read_only: Option<bool>,
    #[serde(default)]
    path: Option<String>,
}

/// `PUT /api/jobs/{ns}/{id}/labels`.
#[derive(Deserialize)]
struct LabelsBody {
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

fn check_labels(labels: &BTreeMap<String, String>) -> ApiResult<()> {
    for (k, v) in labels {
        if !valid_label_part(k, false) || !valid_label_part(v, true) {
            return Err(ApiError::bad_request(format!(
                "Invalid label '{k}={v}': keys and values use letters, digits, '-' and '_', at most 100 characters."
            )));
        }
    }
    Ok(())
}

/// A job volume, checked: the literal path it appears at in the job, and what is behind it.
#[derive(Debug, Clone)]
pub(crate) struct Mount {
    /// Absolute, without a trailing `/` (`/output`).
    pub path: String,
    /// The local folder behind it: the bucket's folder (plus the volume's `path`), or the
    /// Space's files.
    pub folder: PathBuf,
    pub read_only: bool,
    /// A bucket volume (else a repository, always read-only).
    pub bucket: bool,
}

/// Checks each volume of a job spec and finds the local folder behind it.
fn mounts(sim: &Sim, caller: &Caller, volumes: &[Volume]) -> ApiResult<Vec<Mount>> {
    let mut out: Vec<Mount> = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
        let mount_path = v.mount_path.trim_end_matches('/').to_string();
        if !v.mount_path.starts_with('/') || mount_path.is_empty() {
            return Err(ApiError::bad_request(format!(
                "volumes[{i}].mountPath must be an absolute path other than '/'."
            )));
        }
        if out.iter().any(|m| m.path == mount_path) {
            return Err(ApiError::bad_request(format!(
                "volumes[{i}].mountPath '{mount_path}' is used twice."
            )));
        }
        let source = v.source.as_str();
        let Some((ns, name)) = source.split_once('/') else {
            return Err(ApiError::bad_request(format!(
                "volumes[{i}].source must be 'namespace/name', got '{source}'."
            )));
        };
        let (mut folder, read_only, bucket) = match v.kind.as_str() {
            "bucket" => {
                let meta = sim.buckets.get(source).ok_or_else(|| {
                    ApiError::bad_request(format!("volumes[{i}]: bucket '{source}' not found."))
                })?;
                let read_only = v.read_only.unwrap_or(false);
                if (meta.private || !read_only) && caller.user != ns {
                    return Err(ApiError::bad_request(format!(
                        "volumes[{i}]: you cannot mount the bucket '{source}'{}.",
                        if read_only { "" } else { " with write access" }
                    )));
                }
                (sim.buckets.folder(ns, name), read_only, true)
            }
            "space" => {
                if !sim.spaces.readable_by(source, Some(&caller.user)) {
                    return Err(ApiError::bad_request(format!(
                        "volumes[{i}]: Space '{source}' not found."
                    )));
                }
                // Repositories are always mounted read-only on the Hub.
                (sim.spaces.folder(ns, name), true, false)
            }
            "model" | "dataset" => {
                return Err(ApiError::bad_request(format!(
                    "volumes[{i}]: the Hub simulator can only mount bucket and space volumes."
                )));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "volumes[{i}].type '{other}' is not one of bucket, model, dataset, space."
                )));
            }
        };
        if let Some(sub) = v.path.as_deref().filter(|p| !p.is_empty()) {
            let rel = safe_relative_path(sub).ok_or_else(|| {
                ApiError::bad_request(format!("volumes[{i}].path '{sub}' is not a valid path."))
            })?;
            folder = folder.join(rel);
            let _ = std::fs::create_dir_all(&folder);
        }
        out.push(Mount {
            path: mount_path,
            folder,
            read_only,
            bucket,
        });
    }
    Ok(out)
}

fn plan(sim: &Sim, caller: &Caller, body: &Value) -> ApiResult<Plan> {
    let Some(body) = body.as_object() else {
        return Err(ApiError::bad_request("The job spec must be a JSON object."));
    };
    let spec: JobSpec = serde_json::from_value(Value::Object(body.clone()))
        .map_err(|e| ApiError::bad_request(format!("Invalid job spec: {e}.")))?;
    let given = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    if given(&spec.docker_image) == given(&spec.space_id) {
        return Err(ApiError::bad_request(
            "Exactly one of 'dockerImage' and 'spaceId' is required.",
        ));
    }
    let command = spec.command.unwrap_or_default();
    if command.is_empty() {
        return Err(ApiError::bad_request(
            "'command' must be a non-empty list of strings: the Hub simulator runs it as a local process.",
        ));
    }
    let arguments = spec.arguments.unwrap_or_default();
    let env = spec.environment.unwrap_or_default();
    let secrets = spec.secrets.unwrap_or_default();
    let flavor = match spec.flavor {
        Some(f) if crate::hardware::is_job_flavor(&f) => f,
        Some(f) => {
            return Err(ApiError::bad_request(format!(
                "Unknown flavor '{f}': see GET /api/jobs/hardware."
            )));
        }
        None => return Err(ApiError::bad_request("'flavor' is required.")),
    };
    let timeout = match spec.timeout_seconds {
        None => DEFAULT_TIMEOUT_SECS,
        Some(0) => {
            return Err(ApiError::bad_request(
                "'timeoutSeconds' must be a positive integer.",
            ));
        }
        Some(t) => t,
    };
    let labels = spec.labels.unwrap_or_default();
    check_labels(&labels)?;
    let mounts = mounts(sim, caller, &spec.volumes.unwrap_or_default())?;

    let mut echo = Map::new();
    for key in [
        "dockerImage",
        "spaceId",
        "command",
        "arguments",
        "environment",
        "flavor",
        "timeoutSeconds",
        "attempts",
        "arch",
        "volumes",
        "expose",
        "network",
        "resourceGroupId",
    ] {
        if let Some(v) = body.get(key) {
            echo.insert(key.to_string(), v.clone());
        }
    }
    echo.entry("arguments").or_insert_with(|| json!([]));
    echo.entry("environment").or_insert_with(|| json!({}));
    echo.insert("timeoutSeconds".into(), json!(timeout));
    echo.insert("secrets".into(), json!(secrets.keys().collect::<Vec<_>>()));

    let mut argv = command.into_iter().chain(arguments);
    let program = argv.next().unwrap_or_default();
    Ok(Plan {
        program,
        args: argv.collect(),
        env,
        mounts,
        secrets,
        flavor,
        timeout,
        echo,
        labels,
    })
}

async fn create(
    State(sim): State<Arc<Sim>>,
    UrlPath(ns): UrlPath<String>,
    headers: HeaderMap,
    Json(parsed): Json<Value>,
) -> ApiResult<Response> {
    let caller = job_caller(&sim, &headers, &ns)?;
    let outcome = plan(&sim, &caller, &parsed);
    let job_id = outcome.as_ref().ok().map(|_| random_hex(24));
    lock(&sim.jobs.requests).push(json!({
        "namespace": ns,
        "jobId": job_id,
        "status": if outcome.is_ok() { 200 } else { outcome.as_ref().err().map_or(400, |e| e.status.as_u16()) },
        "body": parsed,
    }));
    let plan = outcome?;
    let cell = Arc::new(JobCell {
        id: job_id.unwrap_or_else(|| random_hex(24)),
        owner: ns,
        state: Mutex::new(JobState {
            echo: plan.echo.clone(),
            labels: plan.labels.clone(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
            stage: Stage::Scheduling,
            message: None,
            logs: Vec::new(),
            pgid: None,
        }),
        changed: watch::channel(0).0,
        cancel: watch::channel(false).0,
    });
    lock(&sim.jobs.jobs).push(cell.clone());
    tracing::info!(job = %cell.id, "job created");
    tokio::spawn(run(sim.clone(), cell.clone(), plan));
    Ok(axum::Json(job_json(&sim, &cell)).into_response())
}

enum Outcome {
    Exited(std::process::ExitStatus),
    WaitFailed(String),
    TimedOut,
    Canceled,
    Shutdown,
}

async fn run(sim: Arc<Sim>, cell: Arc<JobCell>, plan: Plan) {
    let mut cancel = cell.cancel.subscribe();
    let mut shutdown = sim.shutdown.subscribe();
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_millis(sim.cfg.job_step_ms)) => {}
        _ = cancel.wait_for(|c| *c) => {}
        _ = shutdown.wait_for(|s| *s) => {}
    }
    if *cancel.borrow() {
        cell.finish(Stage::Canceled, None);
        return;
    }
    if sim.is_shutting_down() {
        cell.finish(Stage::Error, Some("The Hub simulator stopped.".into()));
        return;
    }
    let mut workdir = sim.cfg.data_dir.join("jobs").join(&cell.id);
    // Absolute: the job's process changes its root before it changes into it.
    if let Err(e) = std::fs::create_dir_all(&workdir)
        .and_then(|()| std::fs::canonicalize(&workdir))
        .map(|abs| workdir = abs)
    {
        cell.finish(
            Stage::Error,
            Some(format!("Could not prepare the job folder: {e}")),
        );
        return;
    }
    // Held until the job's processes are gone: dropping them unmounts the buckets.
    let volumes = match prepare_volumes(&sim, &cell.id, &workdir, &plan.mounts) {
        Ok(v) => v,
        Err(e) => {
            cell.log(e.clone());
            cell.finish(Stage::Error, Some(e));
            return;
        }
    };
    let mut command = tokio::process::Command::new(&plan.program);
    command
        .args(&plan.args)
        .env_clear()
        .env(
            "PATH",
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
        )
        .env("HOME", &workdir)
        .env(
            "ACCELERATOR",
            crate::hardware::accelerator_env(&plan.flavor),
        )
        .env("CPU_CORES", crate::hardware::cpu_cores(&plan.flavor))
        .env("MEMORY", crate::hardware::memory(&plan.flavor))
        .envs(&plan.env)
        .envs(&plan.secrets)
        .env("JOB_ID", &cell.id)
        .current_dir(&workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(root) = volumes.root {
        // SAFETY: `enter` only makes system calls (see `mount::namespace`).
        #[allow(unsafe_code)]
        unsafe {
            command.pre_exec(move || root.enter());
        }
    }
    cell.update(|s| {
        s.stage = Stage::Running;
        s.started_at = Some(Utc::now());
    });
    cell.log(format!("===== Job started at {} =====", now_iso()));
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            cell.log(format!("Could not start '{}': {e}", plan.program));
            cell.finish(
                Stage::Error,
                Some(format!(
                    "Could not start the command '{}': {e}",
                    plan.program
                )),
            );
            return;
        }
    };
    let pgid = child.id().map(|p| p as i32);
    cell.update(|s| s.pgid = pgid);
    let readers = [
        child
            .stdout
            .take()
            .map(|o| tokio::spawn(pump(cell.clone(), o))),
        child
            .stderr
            .take()
            .map(|e| tokio::spawn(pump(cell.clone(), e))),
    ];
    let outcome = tokio::select! {
        status = child.wait() => match status {
            Ok(s) => Outcome::Exited(s),
            Err(e) => Outcome::WaitFailed(e.to_string()),
        },
        _ = tokio::time::sleep(Duration::from_secs(plan.timeout)) => Outcome::TimedOut,
        _ = cancel.wait_for(|c| *c) => Outcome::Canceled,
        _ = shutdown.wait_for(|s| *s) => Outcome::Shutdown,
    };
    if !matches!(outcome, Outcome::Exited(_)) {
        if let Some(pgid) = pgid {
            signal_group(pgid, libc::SIGTERM);
        }
        let grace = Duration::from_millis(sim.cfg.cancel_grace_ms);
        if tokio::time::timeout(grace, child.wait()).await.is_err() {
            if let Some(pgid) = pgid {
                signal_group(pgid, libc::SIGKILL);
            }
            let _ = child.wait().await;
        }
    }
    // Leftover background processes of the job end with it, as in a container.
    if let Some(pgid) = pgid {
        signal_group(pgid, libc::SIGKILL);
    }
    // Forget the group so a later `kill_all` cannot hit a reused process group id.
    cell.update(|s| s.pgid = None);
    drop(volumes.buckets);
    for reader in readers.into_iter().flatten() {
        let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
    }
    let (stage, message) = match outcome {
        Outcome::Exited(status) if status.success() => (Stage::Completed, None),
        Outcome::Exited(status) => (
            Stage::Error,
            Some(match status.code() {
                Some(code) => format!("Job failed with exit code: {code}"),
                None => "Job was killed by a signal".to_string(),
            }),
        ),
        Outcome::WaitFailed(e) => (
            Stage::Error,
            Some(format!("Lost track of the job process: {e}")),
        ),
        Outcome::TimedOut => (
            Stage::Error,
            Some(format!("Job timed out after {} seconds", plan.timeout)),
        ),
        Outcome::Canceled => (Stage::Canceled, None),
        Outcome::Shutdown => (Stage::Error, Some("The Hub simulator stopped.".into())),
    };
    tracing::info!(job = %cell.id, stage = stage.as_str(), "job finished");
    cell.finish(stage, message);
}

/// What a job with volumes runs in: its own root with each volume at its `mountPath`, and the
/// FUSE mounts of its buckets.
struct JobVolumes {
    root: Option<JobRoot>,
    buckets: Vec<BucketMount>,
}

/// Mounts a job's buckets (strictly, unless the configuration opted out) and prepares its
/// mount namespace. `Err` is the sentence the job ends with.
fn prepare_volumes(
    sim: &Sim,
    id: &str,
    workdir: &std::path::Path,
    mounts: &[Mount],
) -> Result<JobVolumes, String> {
    if mounts.is_empty() {
        return Ok(JobVolumes {
            root: None,
            buckets: Vec::new(),
        });
    }
    sim.mount_support.clone()?;
    // Absolute paths only: the job's process changes its working directory before it mounts.
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p).map_err(|e| format!("Could not find {}: {e}.", p.display()))
    };
    let place = absolute(&sim.cfg.data_dir.join("job-mounts").join(id))?;
    let mut buckets = Vec::new();
    let mut binds = Vec::new();
    for (i, m) in mounts.iter().enumerate() {
        let source = if m.bucket && sim.cfg.bucket_mounts == BucketMounts::Strict {
            let at = place.join(format!("volume-{i}"));
            let mount = BucketMount::mount(&absolute(&m.folder)?, &at, m.read_only, &sim.uploads)
                .map_err(|e| {
                format!("Could not mount the bucket volume at {}: {e}.", m.path)
            })?;
            let at = mount.path().to_path_buf();
            buckets.push(mount);
            at
        } else {
            absolute(&m.folder)?
        };
        binds.push(VolumeBind {
            source,
            mount_path: m.path.clone(),
            read_only: m.read_only,
        });
    }
    let root = JobRoot::new(&place.join("root"), workdir, &binds)
        .map_err(|e| format!("Could not prepare the job's volumes: {e}."))?;
    Ok(JobVolumes {
        root: Some(root),
        buckets,
    })
}

/// Turns a process output stream into log lines.
async fn pump(cell: Arc<JobCell>, stream: impl AsyncRead + Unpin) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                cell.log(line.trim_end_matches(['\n', '\r']).to_string());
            }
        }
    }
}

async fn inspect(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    job_caller(&sim, &headers, &ns)?;
    let cell = sim
        .jobs
        .find(&ns, &id)
        .ok_or_else(|| ApiError::not_found(format!("Job {id} not found")))?;
    Ok(axum::Json(job_json(&sim, &cell)).into_response())
}

async fn list(
    State(sim): State<Arc<Sim>>,
    UrlPath(ns): UrlPath<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    job_caller(&sim, &headers, &ns)?;
    let stages: Vec<String> = crate::util::query_values(uri.query(), "stage")
        .into_iter()
        .map(|s| s.to_ascii_uppercase())
        .collect();
    let labels: Vec<(String, Option<String>)> = crate::util::query_values(uri.query(), "label")
        .into_iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (l, None),
        })
        .collect();
    let jobs: Vec<Arc<JobCell>> = lock(&sim.jobs.jobs)
        .iter()
        .rev()
        .filter(|j| j.owner == ns)
        .cloned()
        .collect();
    let items = jobs
        .iter()
        .filter(|j| {
            let s = lock(&j.state);
            (stages.is_empty() || stages.iter().any(|st| st == s.stage.as_str()))
                && labels.iter().all(|(k, v)| match v {
                    Some(v) => s.labels.get(k) == Some(v),
                    None => s.labels.contains_key(k),
                })
        })
        .map(|j| job_json(&sim, j))
        .collect();
    Ok(crate::pagination::paged(&sim, &uri, items))
}

async fn cancel(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    job_caller(&sim, &headers, &ns)?;
    let cell = sim
        .jobs
        .find(&ns, &id)
        .ok_or_else(|| ApiError::not_found(format!("Job {id} not found")))?;
    let scheduling = lock(&cell.state).stage == Stage::Scheduling;
    if scheduling {
        cell.finish(Stage::Canceled, None);
    }
    cell.cancel.send_replace(true);
    Ok(axum::Json(job_json(&sim, &cell)).into_response())
}

async fn set_labels(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<LabelsBody>,
) -> ApiResult<Response> {
    job_caller(&sim, &headers, &ns)?;
    let cell = sim
        .jobs
        .find(&ns, &id)
        .ok_or_else(|| ApiError::not_found(format!("Job {id} not found")))?;
    check_labels(&body.labels)?;
    cell.update(|s| s.labels = body.labels);
    Ok(axum::Json(job_json(&sim, &cell)).into_response())
}

async fn logs(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, id)): UrlPath<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    job_caller(&sim, &headers, &ns)?;
    let cell = sim
        .jobs
        .find(&ns, &id)
        .ok_or_else(|| ApiError::not_found(format!("Job {id} not found")))?;
    let tail = crate::util::query_value(uri.query(), "tail").and_then(|t| t.parse().ok());
    let changes = cell.changed.subscribe();
    let snapshot_cell = cell.clone();
    Ok(crate::sse::stream_log(
        &sim,
        changes,
        tail,
        Box::new(move |from| {
            let s = lock(&snapshot_cell.state);
            Some((
                s.logs.get(from..).unwrap_or_default().to_vec(),
                s.stage.is_terminal(),
            ))
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages() {
        assert!(Stage::Canceled.is_terminal());
        assert!(!Stage::Running.is_terminal());
        assert_eq!(Stage::Scheduling.as_str(), "SCHEDULING");
    }
}
