//! # sf-worker — the program every Space Factory job runs
//!
//! `space-factory-worker build` turns a model card into a private Gradio Space with the Pi coding
//! agent, gives it hardware, checks it live and records an honest verdict;
//! `space-factory-worker validate` re-checks an existing Space with a live generation. Both read
//! their inputs from the job's environment, write the run record as plain files into the mounted
//! bucket (`$SF_OUTPUT_DIR/runs/<run_id>/…`) and act on the Hub with the job secret `HF_TOKEN`.
//! The binary also builds as a static x86_64 musl executable
//! (`cargo build -p sf-worker --release --target x86_64-unknown-linux-musl`).
//!
//! ## Environment
//!
//! The job contract (names in [`sf_core::env`], written by the app through `sf_core::jobspec`):
//!
//! | variable | meaning |
//! |---|---|
//! | `SF_RUN_ID`, `SF_RUN_KIND` | the run id and `build` / `validate` |
//! | `SF_MODEL_ID`, `SF_TARGET_SPACE` | the model to build from; the Space to create or validate |
//! | `SF_PI_MODEL` | the coding model for Pi, `owner/name[:provider]` |
//! | `SF_IMPLEMENTATION_MODE` | `full-inference-gated`, `full-inference-attempt`, `safe-scaffold` |
//! | `SF_PREFERRED_HARDWARE`, `SF_ALLOW_FIXED_GPU_FALLBACK`, `SF_FALLBACK_HARDWARE` | hardware plan |
//! | `SF_API_NAME`, `SF_TEST_ARGS_JSON`, `SF_TEST_KWARGS_JSON`, `SF_EXPECTED_OUTPUT`, `SF_LIVE_TIMEOUT_S` | validation inputs |
//! | `SF_BUCKET` | the run bucket, `owner/name` (for links) |
//! | `SF_HUB_URL`, `SF_INFERENCE_URL` | Hub origin and OpenAI-compatible inference base URL |
//! | `SF_OUTPUT_DIR` | where the bucket is mounted (`/output`) |
//! | `SF_PI_VERSION` | the `@mariozechner/pi-coding-agent` version installed when `pi` is missing |
//! | `HF_TOKEN` | the user's token (job secret; never written anywhere) |
//! | `JOB_ID` | set by HF Jobs; recorded in the state and linked from the report |
//!
//! The worker's own tunables (names in [`config`]), all optional: `SF_WORK_DIR`, `SF_PYTHON`,
//! `SF_PI_BIN`, `SF_PI_SETTINGS_JSON`, `SF_AGENT_TIMEOUT_S`, `SF_REPAIR_ROUNDS`,
//! `SF_SPACE_WAIT_S`, `SF_CALL_TIMEOUT_S`, `SF_POLL_INTERVAL_MS`, `SF_RUN_LIMIT_S`.
//!
//! ## Decisions worth knowing
//!
//! * Pi is judged from its events, never its exit code; the kept trace (`traces/agent-round-N.jsonl`)
//!   drops `message_update` lines. The coding model is declared in `$PI_CODING_AGENT_DIR/models.json`
//!   on the built-in `huggingface` provider so that `owner/name[:provider]` resolves exactly (Pi
//!   would otherwise fall back to a fuzzy match), with the provider's `baseUrl` set to the
//!   worker's model proxy.
//! * Pi never holds the token ([`sandbox`], [`proxy`]): it runs as uid/gid 65534 with an
//!   allow-listed environment, and its `huggingface` provider points at the worker's loopback
//!   proxy, which adds the token only for an endpoint `sf_core::jobspec::inference_gets_token`
//!   allows. A worker that is not root cannot switch users and stops the build before the agent.
//! * The wrapper takes only `app.py`, `requirements.txt`, `README.md` (plus the smoke-test manifest
//!   and `BLOCKERS.md`) from the workspace; other files are listed in the report and not uploaded.
//!   The README front matter gets `sdk: gradio`, `app_file: app.py`, `pinned: false`, `models` and
//!   `suggested_hardware` from the wrapper; privacy is set when the Space is created (the front
//!   matter has no such setting).
//! * Hardware is asked for at creation: preferred flavor, then the fixed-GPU fallback when allowed,
//!   then the Hub's default CPU. When the app needs a GPU and none was granted the files are still
//!   uploaded but the run stops as `manual_hardware_required` without waiting on the wrong hardware.
//! * Repair rounds (`SF_REPAIR_ROUNDS`, one budget) follow a failed start and a failed live check
//!   (a smoke-test call that raised or returned another output type, no `/health`); each is a new
//!   Pi session given the model, the Space, what failed and the end of the Space's logs, redacted
//!   ([`task::repair_task`], `build/repair.rs`). The last version decides the verdict.
//! * A paid Space is paused however the run ends: by the verdict's cost step, or — after an
//!   error, SIGTERM or the time limit — by the guard's last step ([`cost::pause_unsettled`]).
//! * An existing target Space, or a failure before any evidence (Hub outage, cancellation), ends as
//!   `failed` directly; every other verdict comes from `sf_core::rules`.
//!
//! ## Tests
//!
//! `tests/scenarios` runs the worker binary against hubsim (which runs the generated Gradio app for
//! real) with the real `pi` CLI driven by a scripted OpenAI-compatible server
//! (`tests/support/llm.rs`). They need the tools of `cargo xtask setup`: `SF_PYTHON` (gradio,
//! spaces) and `pi` on `PATH`, both set by `cargo xtask test`. `SF_WORKER_BIN` runs them against
//! another build of the worker, e.g. the static musl binary.
//!
//! ## Never losing the record
//!
//! [`record::Recorder`] writes every file of the record whole (create/truncate, write, close: the
//! bucket mount uploads on close and refuses appends), debounced to one write per file every ~2 s
//! and at once at phase changes and at the end, every text redacted with the token registered;
//! [`guard::run_guarded`] and the panic hook make sure every run ends with a final state,
//! whatever stops it. The job log ends with `record: N uploads`. Exit codes: 0 when a verdict was
//! recorded, 1 when the run failed before one (the state says why), 2 when no record could be
//! started, 101 on a crash, 128 + n on signal n.

/// Whether a run goes on after one of its steps: `build` and `validate` are each a list of steps
/// run by `steps!`, then `conclude`, which decides the verdict.
pub(crate) enum Step {
    Next,
    /// Decide the verdict from the evidence gathered so far.
    Conclude,
    /// The verdict is already recorded.
    Done,
}

/// `steps!(self: a, b, c)` awaits `self.a()`, `self.b()`, `self.c()` in turn — each returns a
/// [`Step`] — and then `self.conclude()`; a step that asks to conclude (or says the verdict is
/// recorded) ends the flow there, and an error ends it with the error.
macro_rules! steps {
    ($flow:ident: $($step:ident),+ $(,)?) => {{
        $(
            match $flow.$step().await? {
                $crate::Step::Next => {}
                $crate::Step::Conclude => {
                    $flow.conclude().await;
                    return Ok(());
                }
                $crate::Step::Done => return Ok(()),
            }
        )+
        $flow.conclude().await;
        Ok(())
    }};
}

pub mod build;
pub mod config;
pub mod cost;
pub mod files;
pub mod gradio;
pub mod guard;
pub mod hardware;
pub mod model;
pub mod output;
pub mod pi;
pub mod pi_events;
pub mod placeholder;
pub mod process;
pub mod proxy;
pub mod record;
pub mod report;
pub mod sandbox;
pub mod secret;
pub mod smoke;
pub mod space;
pub mod task;
pub mod validate;

use std::path::PathBuf;

use sf_core::env::{RunRequest, SF_OUTPUT_DIR, SF_RUN_ID};
use sf_core::record::RunState;
use sf_core::{Links, RunId, RunKind, RunLinks, SpaceRef};
use sf_hub::{HubClient, HubError, NativeTransport};

use crate::config::{WorkerConfig, job_timeout};
use crate::gradio::GradioError;
use crate::record::{Recorder, now_rfc3339};

/// The Hub client the worker uses.
pub type Hub = HubClient<NativeTransport>;

/// Why a run stopped before its verdict. The `Display` is the sentence recorded as the reason.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("{}", hub_reason(.0))]
    Hub(#[from] HubError),
    #[error(transparent)]
    Gradio(#[from] GradioError),
    #[error("Could not set up HTTP connections ({0}).")]
    Http(String),
    #[error("Could not {what} ({source}).")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// Why a run ends when the Hub answers 401 in its middle. The job acts with the person's
/// OAuth token, which the Hub accepted when the job was launched with it; a 401 later means the
/// sign-in expired (the Space's `hf_oauth_expiration_minutes`: 480) or was revoked.
pub const SIGN_IN_EXPIRED: &str = "Your Hugging Face sign-in expired during the run (sign-ins last 8 hours); sign in again and press Run again.";

/// The sentence a Hub error ends a run with: [`SIGN_IN_EXPIRED`] for a 401 (with the request
/// id, if any), else the Hub's answer as [`HubError`] words it.
pub fn hub_reason(e: &HubError) -> String {
    match e {
        HubError::Status(s) if s.status == 401 => match &s.request_id {
            Some(id) => format!("{SIGN_IN_EXPIRED} (request id {id})"),
            None => SIGN_IN_EXPIRED.to_string(),
        },
        other => other.to_string(),
    }
}

/// A Hub client for the configured Hub with the user's token.
pub fn hub_client(cfg: &WorkerConfig) -> Result<Hub, WorkerError> {
    let transport = NativeTransport::new().map_err(|e| WorkerError::Http(format!("{e:?}")))?;
    Ok(HubClient::new(&cfg.settings.hub_url, transport)?.with_token(cfg.token.clone()))
}

/// Where a Space's app answers: the `host` the Hub gives; else the app origin `links` derive
/// from the Hub's `subdomain`, or from the Space's own name (`https://owner-name.hf.space`).
pub fn space_host(info: &sf_hub::types::SpaceInfo, space: &SpaceRef, links: &Links) -> String {
    if let Some(h) = info.host.as_deref().filter(|h| !h.trim().is_empty()) {
        return h.trim().trim_end_matches('/').to_string();
    }
    match info.subdomain.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(sub) => links.app_origin(sub),
        None => links.space_app_origin(space),
    }
}

/// Runs the job `kind` with the environment `get`; returns the process exit code.
pub async fn run_job(kind: RunKind, get: impl Fn(&str) -> Option<String>) -> i32 {
    let run_id = match get(SF_RUN_ID).as_deref().map(str::trim).map(RunId::parse) {
        Some(Ok(id)) => id,
        Some(Err(e)) => {
            eprintln!("space-factory-worker: {SF_RUN_ID} is invalid: {e}");
            return 2;
        }
        None => {
            eprintln!(
                "space-factory-worker: {SF_RUN_ID} is not set; this program is started by Space Factory jobs."
            );
            return 2;
        }
    };
    let Some(output) = get(SF_OUTPUT_DIR).filter(|o| !o.trim().is_empty()) else {
        eprintln!(
            "space-factory-worker: {SF_OUTPUT_DIR} is not set; it must name the folder where the run bucket is mounted."
        );
        return 2;
    };
    let dir = PathBuf::from(output.trim()).join(sf_core::record::run_folder(&run_id));
    let token = get(sf_core::env::HF_TOKEN);
    let state = RunState::new(run_id.clone(), kind, &now_rfc3339());
    let rec = match Recorder::start(&dir, state, token.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("space-factory-worker: {e}");
            return 2;
        }
    };
    guard::install_panic_hook(&rec);
    let code = run_recorded(kind, &get, &run_id, &rec).await;
    rec.close(RECORD_CLOSE_PATIENCE);
    code
}

/// How long the end of a job keeps trying to write a record the bucket refuses.
const RECORD_CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// The job once its record is started: reads the request and the configuration, and runs the
/// flow guarded; returns the exit code.
async fn run_recorded(
    kind: RunKind,
    get: &impl Fn(&str) -> Option<String>,
    run_id: &RunId,
    rec: &Recorder,
) -> i32 {
    let request = match RunRequest::from_env(get) {
        Ok(r) if r.kind() == kind => r,
        Ok(r) => {
            rec.abort(&format!(
                "This job was started as `{kind}` but SF_RUN_KIND says `{}`; the job was not launched by Space Factory or is incomplete.",
                r.kind()
            ));
            return 1;
        }
        Err(e) => {
            rec.abort(&e.to_string());
            return 1;
        }
    };
    let live = match &request {
        RunRequest::Validate(v) => v.live_timeout_seconds,
        RunRequest::Build(_) => 0,
    };
    let cfg = match WorkerConfig::from_env(get, run_id, job_timeout(kind, live)) {
        Ok(c) => c,
        Err(e) => {
            rec.abort(&e.to_string());
            return 1;
        }
    };
    rec.update(|s| s.job_id = cfg.job_id.clone());
    let links = RunLinks::of_request(&cfg.settings.hub_url, &request, cfg.job_id.clone());
    let ending = match &request {
        RunRequest::Validate(req) => {
            rec.write_request(req);
            let run = validate::run(req, &cfg, rec, links);
            guard::run_guarded(rec, cfg.run_limit, run).await
        }
        RunRequest::Build(req) => {
            rec.write_request(req);
            // A paid Space the run leaves without a verdict is paused at the end (cost.rs).
            let unsettled = cost::Unsettled::default();
            let run = build::run(req, &cfg, rec, links.clone(), unsettled.clone());
            let pause = || async {
                let hub = hub_client(&cfg).ok()?;
                cost::pause_unsettled(&hub, &unsettled, rec, &links).await
            };
            guard::run_guarded_then(rec, cfg.run_limit, run, pause).await
        }
    };
    ending.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: serde_json::Value) -> sf_hub::types::SpaceInfo {
        serde_json::from_value(json).unwrap()
    }

    fn hub_answer(status: u16, operation: sf_hub::Operation) -> HubError {
        let response = sf_hub::HttpResponse {
            status,
            headers: [("X-Request-Id", "r7")].into_iter().collect(),
            body: br#"{"error":"Invalid credentials in Authorization header"}"#.to_vec(),
        };
        HubError::from_response(operation, "https://hf.co/api/x", &response)
    }

    #[test]
    fn a_401_ends_the_run_naming_the_expired_sign_in_whatever_the_call() {
        for op in [
            sf_hub::Operation::CreateSpace,
            sf_hub::Operation::SpaceRuntime,
            sf_hub::Operation::ModelInfo,
        ] {
            assert_eq!(
                WorkerError::Hub(hub_answer(401, op)).to_string(),
                format!("{SIGN_IN_EXPIRED} (request id r7)")
            );
        }
        // Other answers keep the Hub's words; a missing token is not an expired sign-in.
        let outage = WorkerError::Hub(hub_answer(503, sf_hub::Operation::CreateSpace)).to_string();
        assert!(outage.contains("HTTP 503"), "{outage}");
        let none = WorkerError::Hub(HubError::NotSignedIn {
            operation: sf_hub::Operation::WhoAmI,
        });
        assert!(!none.to_string().contains("expired"), "{none}");
    }

    #[test]
    fn the_space_host_comes_from_the_hub_then_from_cores_links() {
        let space = SpaceRef::parse("Alice/My_App.v2").unwrap();
        let links = Links::new("https://huggingface.co");
        // The host the Hub (or the simulator) gives wins.
        let given =
            info(serde_json::json!({"id": "Alice/My_App.v2", "host": "http://127.0.0.1:9/"}));
        assert_eq!(space_host(&given, &space, &links), "http://127.0.0.1:9");
        // Then the Hub's subdomain, on the app domain of `links`.
        let sub =
            info(serde_json::json!({"id": "Alice/My_App.v2", "subdomain": "alice-my-app-v2-x1"}));
        assert_eq!(
            space_host(&sub, &space, &links),
            "https://alice-my-app-v2-x1.hf.space"
        );
        // Then core's rule for the Space's name.
        let bare = info(serde_json::json!({"id": "Alice/My_App.v2", "host": " "}));
        assert_eq!(
            space_host(&bare, &space, &links),
            "https://alice-my-app-v2.hf.space"
        );
        let local = Links::new("http://127.0.0.1:8000").with_space_apps("http", "localhost:8001");
        assert_eq!(
            space_host(&bare, &space, &local),
            "http://alice-my-app-v2.localhost:8001"
        );
    }
}
