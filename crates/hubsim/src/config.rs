//! How a simulator instance behaves: where it keeps files, what it serves, how fast things move.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::mount::BucketMounts;

/// What the OAuth authorize page does when a browser arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConsentMode {
    /// Show a consent page with Approve and Deny buttons.
    #[default]
    Ask,
    /// Sign the user in straight away and redirect back with a code.
    Approve,
    /// Redirect back straight away with `error=access_denied`.
    Deny,
}

/// How the Hub refuses a hardware request for a Space (for example ZeroGPU for a free account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareRefusal {
    /// HTTP status, typically 402 (payment required) or 403 (not allowed).
    pub status: u16,
    /// The Hub's sentence, sent as `{"error": ...}` and `X-Error-Message`.
    pub message: String,
}

/// Configuration of one simulator instance. Build it with [`SimConfig::new`] or
/// [`SimConfig::for_tests`] and adjust with the `with_*` methods or the public fields.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Folder holding bucket and Space files (created if missing).
    pub data_dir: PathBuf,
    /// A built static app (`dist/`) to serve at `/` the way a static Space does.
    pub app_dir: Option<PathBuf>,
    /// OAuth client id the authorize endpoint accepts; `None` accepts any client id and leaves
    /// `OAUTH_CLIENT_ID` out of the injected variables (the app then offers token paste).
    pub oauth_client_id: Option<String>,
    /// Value of `OAUTH_SCOPES` in the injected variables.
    pub oauth_scopes: String,
    /// Origin to advertise in URLs (discovery document, `Link` headers, variables) instead of
    /// `http://<bound address>`.
    pub public_url_override: Option<String>,
    /// More `window.huggingface.variables` entries for the served app.
    pub extra_variables: BTreeMap<String, String>,
    /// Lifecycle pacing: how long a job stays SCHEDULING.
    pub job_step_ms: u64,
    /// Interval between `: keep-alive` comments on SSE streams (the Hub uses 30 s).
    pub keepalive_ms: u64,
    /// Items per page on paginated lists (tree, buckets, jobs).
    pub page_size: usize,
    /// How long a Space stays BUILDING (or APP_STARTING after a hardware change) before RUNNING.
    pub space_build_ms: u64,
    /// After SIGTERM, how long a cancelled job may take to exit before SIGKILL.
    pub cancel_grace_ms: u64,
    /// Lifetime of access tokens issued by the OAuth token endpoint (the Hub default is 8 h),
    /// unless the served app's README sets `hf_oauth_expiration_minutes` as a Space does.
    pub oauth_token_ttl_secs: u64,
    /// What the authorize page does by default; tests can change it at run time.
    pub consent: ConsentMode,
    /// Space hardware flavors the Hub refuses, by flavor name.
    pub hardware_refusals: BTreeMap<String, HardwareRefusal>,
    /// Space flavors the Hub accepts but never assigns: a Space asking for one stays BUILDING
    /// with no current hardware (the Hub can accept a create yet not fill the request).
    pub unfilled_hardware: BTreeSet<String>,
    /// Space settings calls (`pause`, `restart`) the Hub answers with this status, as it answers
    /// OAuth-issued tokens on some of them (huggingface_hub#4972).
    pub settings_refusals: BTreeMap<String, u16>,
    /// `(user, model id)` pairs that were granted access to a gated model.
    pub gated_access: BTreeSet<(String, String)>,
    /// The Python interpreter that runs Gradio Spaces as local processes (`python app.py`).
    /// `None` (the default) keeps the timer-driven runtime: stages move, nothing runs. See the
    /// crate documentation, "How a Space runs".
    pub run_spaces_with: Option<PathBuf>,
    /// How long a started Space app may take before `GET /config` answers 200; after that it is
    /// stopped and reported as `RUNTIME_ERROR`.
    pub space_start_timeout_ms: u64,
    /// A folder put first on `PYTHONPATH` of every Space process (see [`crate::model_stand_ins`]).
    pub space_pythonpath: Option<PathBuf>,
    /// Public static Spaces created (or refreshed) at start-up from a local folder:
    /// `(owner/name, folder)`. `hubsim --seed-space owner/name=DIR`.
    pub seed_spaces: Vec<(String, PathBuf)>,
    /// Answer `POST /v1/chat/completions` with the demo coding agent (see [`crate::agent`]).
    pub demo_agent: bool,
    /// Mistakes the demo agent makes in its first app for a Space, by Space id (`owner/name`),
    /// and repairs when a repair task shows their evidence (see [`crate::agent::DemoMistake`]).
    pub demo_agent_mistakes: BTreeMap<String, crate::agent::DemoMistake>,
    /// How a job's bucket volumes behave: [`BucketMounts::Strict`] (the default, hf-mount's
    /// semantics through FUSE) or the [`BucketMounts::Plain`] opt-out.
    pub bucket_mounts: BucketMounts,
    /// Send `Timing-Allow-Origin: *`, which the Hub does not: without it a page on another origin
    /// sees 0 bytes for every Hub answer in its resource timings. Only the benchmark turns it on,
    /// so that the Hub answers of a first load count in its bytes (issue 13).
    pub timing_allow_origin: bool,
}

impl SimConfig {
    /// Settings for a person running the simulator by hand: Hub-like pacing.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            data_dir: data_dir.into(),
            app_dir: None,
            oauth_client_id: None,
            oauth_scopes: "openid profile jobs read-repos write-repos manage-repos".to_string(),
            public_url_override: None,
            extra_variables: BTreeMap::new(),
            job_step_ms: 1500,
            keepalive_ms: 30_000,
            page_size: 1000,
            space_build_ms: 3000,
            cancel_grace_ms: 5000,
            oauth_token_ttl_secs: 8 * 3600,
            consent: ConsentMode::Ask,
            hardware_refusals: BTreeMap::new(),
            settings_refusals: BTreeMap::new(),
            unfilled_hardware: BTreeSet::new(),
            gated_access: BTreeSet::new(),
            run_spaces_with: None,
            space_start_timeout_ms: 120_000,
            space_pythonpath: None,
            seed_spaces: Vec::new(),
            demo_agent: false,
            demo_agent_mistakes: BTreeMap::new(),
            bucket_mounts: BucketMounts::Strict,
            timing_allow_origin: false,
        }
    }

    /// Fast pacing and small pages so tests exercise lifecycles, keep-alives and pagination
    /// quickly; consent is automatic.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Self {
        SimConfig {
            job_step_ms: 100,
            keepalive_ms: 200,
            page_size: 3,
            space_build_ms: 200,
            cancel_grace_ms: 500,
            consent: ConsentMode::Approve,
            space_start_timeout_ms: 60_000,
            ..SimConfig::new(data_dir)
        }
    }

    pub fn with_app_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.app_dir = Some(dir.into());
        self
    }

    pub fn with_oauth_client_id(mut self, id: impl Into<String>) -> Self {
        self.oauth_client_id = Some(id.into());
        self
    }

    pub fn with_oauth_scopes(mut self, scopes: impl Into<String>) -> Self {
        self.oauth_scopes = scopes.into();
        self
    }

    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url_override = Some(url.into().trim_end_matches('/').to_string());
        self
    }

    pub fn with_variable(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_variables.insert(key.into(), value.into());
        self
    }

    pub fn with_page_size(mut self, n: usize) -> Self {
        self.page_size = n.max(1);
        self
    }

    pub fn with_consent(mut self, mode: ConsentMode) -> Self {
        self.consent = mode;
        self
    }

    pub fn with_hardware_refusal(
        mut self,
        flavor: impl Into<String>,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        self.hardware_refusals.insert(
            flavor.into(),
            HardwareRefusal {
                status,
                message: message.into(),
            },
        );
        self
    }

    /// Accepts `flavor` for Spaces but never assigns it.
    pub fn with_unfilled_hardware(mut self, flavor: impl Into<String>) -> Self {
        self.unfilled_hardware.insert(flavor.into());
        self
    }

    /// Answers the Space settings call `action` (`pause` or `restart`) with `status`.
    pub fn with_settings_refusal(mut self, action: impl Into<String>, status: u16) -> Self {
        self.settings_refusals.insert(action.into(), status);
        self
    }

    /// Runs Gradio Spaces for real with this Python interpreter (it needs `gradio`, and every
    /// package a Space's `requirements.txt` names, already installed: nothing is pip-installed).
    pub fn with_space_runtime(mut self, python: impl Into<PathBuf>) -> Self {
        self.run_spaces_with = Some(python.into());
        self
    }

    /// How long a Space app may take to answer `GET /config` once started.
    pub fn with_space_start_timeout(mut self, timeout: Duration) -> Self {
        self.space_start_timeout_ms = timeout.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Puts `dir` first on `PYTHONPATH` of every Space process; with
    /// [`crate::model_stand_ins`], apps that load models run offline.
    pub fn with_space_pythonpath(mut self, dir: impl Into<PathBuf>) -> Self {
        self.space_pythonpath = Some(dir.into());
        self
    }

    /// Creates (or refreshes) the public static Space `id` from the files in `dir` at start-up.
    pub fn with_seed_space(mut self, id: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        self.seed_spaces.push((id.into(), dir.into()));
        self
    }

    /// Mounts job buckets as plain folders instead of hf-mount's strict semantics: for a
    /// machine that cannot mount FUSE. Writes that would fail on the Hub (appending, a file held
    /// open) then succeed here, so tests must not use it.
    pub fn with_plain_bucket_mounts(mut self) -> Self {
        self.bucket_mounts = BucketMounts::Plain;
        self
    }

    /// Answers `POST /v1/chat/completions` with the scripted demo coding agent.
    pub fn with_demo_agent(mut self) -> Self {
        self.demo_agent = true;
        self
    }

    /// The demo agent makes `mistake` in its first app for the Space `space` (`owner/name`).
    pub fn with_demo_agent_mistake(
        mut self,
        space: impl Into<String>,
        mistake: crate::agent::DemoMistake,
    ) -> Self {
        self.demo_agent_mistakes.insert(space.into(), mistake);
        self
    }

    pub fn with_gated_access(mut self, user: impl Into<String>, model: impl Into<String>) -> Self {
        self.gated_access.insert((user.into(), model.into()));
        self
    }
}

impl Default for SimConfig {
    /// Hub-like pacing, files under `./hubsim-data`.
    fn default() -> Self {
        SimConfig::new("hubsim-data")
    }
}
