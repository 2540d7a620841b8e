//! # hubsim — a local stand-in for huggingface.co
//!
//! A test double, never a production path. It answers the Hub endpoints Space Factory uses with
//! the same paths, JSON shapes, status codes, error bodies and headers as the real Hub (see
//! `shared/reference/hub-api.md`), and its fidelity is checked by running the official
//! `huggingface_hub` Python client against it (`tests/conformance.rs`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use sf_hubsim::{HubSim, SimConfig, TEST_TOKEN};
//! let dir = std::env::temp_dir().join("hubsim-demo");
//! let sim = HubSim::start(SimConfig::for_tests(&dir), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("Hub at {} — token {TEST_TOKEN}", sim.url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## What it simulates
//! - **Every response** carries `X-Request-Id`; errors are `{"error": "..."}` with
//!   `X-Error-Code` / `X-Error-Message`; lists paginate with `Link: <...>; rel="next"`.
//! - **CORS** for any origin, preflight included.
//! - **Compression** as the Hub's server does it: `/api/` JSON answers of 1 KB and more are
//!   gzipped for a client that sends `Accept-Encoding: gzip` (`Vary: Accept-Encoding`); event
//!   streams, files and the static app are sent as they are.
//! - **OAuth** (authorization code + PKCE S256), `whoami-v2`, tokens with scopes and expiry.
//!   Seeded users: [`TEST_USER`] (PRO) and [`OTHER_USER`] (free), with full-scope tokens.
//! - **Buckets** as folders under `data_dir/buckets/{ns}/{name}/`.
//! - **Jobs** that really run (see below).
//! - **Spaces**: create, commit, files, runtime stages (on a timer, or a real Gradio process:
//!   see below), hardware requests with a refusal policy, build/run logs. Files live under
//!   `data_dir/spaces/{ns}/{name}/`.
//! - **Models**: fixtures in `fixtures/models/` (a text-to-image model, gpt2, a gated model, a
//!   huge model and one without a README).
//! - **The built app** (`app_dir`), served like a static Space with `window.huggingface` injected.
//! - **The coding model**: with [`SimConfig::with_demo_agent`], a scripted demo agent at
//!   `/v1/chat/completions` (see [`agent`]).
//! - **Web pages** at the Hub's addresses of a job, a Space and a bucket folder (plain HTML, so
//!   the app's links lead somewhere locally).
//!
//! ## How a job runs
//! `POST /api/jobs/{ns}` validates the body, records it (see the control API) and answers with
//! the job in stage `SCHEDULING`. After `job_step_ms` the job turns `RUNNING` and its `command`
//! followed by `arguments` is spawned as a local process (`dockerImage` / `spaceId` are ignored:
//! the process runs on this machine, as the simulator's user, in its own process group, with
//! working directory `data_dir/jobs/{id}/`). Its environment is only `PATH`, `HOME` (the working directory), the
//! job's `environment`, its `secrets`, `JOB_ID`, `ACCELERATOR` (empty), `CPU_CORES` and `MEMORY`.
//!
//! **Volumes** appear at their literal `mountPath`, as in HF Jobs: a job with volumes runs in a
//! private mount namespace whose root is a fresh tmpfs holding the host's top-level folders plus
//! each volume (see [`mount`]), so `/output` and `/factory` exist for that job alone and the
//! job spec needs nothing simulator-specific. A `space` volume is the Space's files, read-only
//! (as every repository volume on the Hub); a `bucket` volume (plus its `path` sub-folder) is a
//! FUSE filesystem with hf-mount's default streaming rules: an existing file can only be
//! replaced (opened with `O_TRUNC`; appending fails with `EPERM`), writes are sequential, and
//! the bucket API (tree, resolve) sees a file's new content only once it is closed.
//! `readOnly: true` makes a bucket volume read-only. Model and dataset volumes are refused with
//! 400. Where the machine cannot mount (no `/dev/fuse`, no `fusermount3`, not root), the
//! simulator says so in one sentence at start-up ([`HubSim::mount_support`]) and jobs with
//! volumes end in `ERROR` with it; [`SimConfig::with_plain_bucket_mounts`] (`hubsim
//! --plain-bucket-mounts`) is the explicit opt-out to plain folders. [`HubSim::mount_bucket`]
//! mounts a bucket the same way for a test that runs a job's program itself.
//!
//! Each stdout/stderr line becomes a log line (after a first `===== Job started at ... =====`
//! line, as on the Hub). Exit code 0 → `COMPLETED`; any other → `ERROR` with a message;
//! `timeoutSeconds` (default 1800) elapsed → `ERROR`; cancel → SIGTERM to the process group,
//! SIGKILL after `cancel_grace_ms` → `CANCELED`.
//!
//! ## Control API (test-only, unauthenticated, under `/__sim`)
//! See [`control`] for the routes: mint / expire / revoke tokens, fault injection, the recorded
//! job requests, direct bucket writes, consent mode, hardware policy and prices, gated access, Space stages.
//!
//! ## How a Space runs
//! Without a Space Python (the default) a Space's runtime walks `BUILDING → RUNNING` on a timer
//! (`space_build_ms`) and nothing runs: enough for tests of stages, hardware and logs.
//!
//! With [`SimConfig::with_space_runtime`] (`hubsim --space-python PATH`), **Gradio** Spaces run
//! for real; static, Docker and Streamlit Spaces keep the timer. Each commit, creation with
//! files, restart (`POST /api/spaces/{id}/restart`), hardware change and (once the app was
//! started) change of a secret or variable stops the app that runs (SIGKILL to its process
//! group) and starts over (without a new build unless files changed):
//! 1. **Build** (commits and creation only): `BUILDING`. Nothing is pip-installed (there is no
//!    internet); instead every requirement in `requirements.txt` must be importable by the Space
//!    Python (its top-level module is looked up with `importlib.util.find_spec`; names such as
//!    `Pillow` → `PIL`, `scikit-learn` → `sklearn`, `opencv-python` → `cv2` are mapped). Lines
//!    without a package name (bare URLs, pip options) are skipped with a log line. A missing one
//!    is `BUILD_ERROR`, with pip-like build log lines naming it and an `errorMessage` saying what
//!    to install. A missing app file (`app.py` or the README's `app_file`) is `NO_APP_FILE`.
//! 2. **Start**: `APP_STARTING`. The Space's files are copied to
//!    `data_dir/space-runs/{ns}/{name}/app/` and `PYTHON <app file>` runs there, in its own
//!    process group, with only this environment: `PATH` (the simulator's), `HOME` (a folder of
//!    the Space's own, so neither the person's `~/.cache/huggingface` token nor other caches
//!    leak in), `LANG=C.UTF-8`, `PYTHONUNBUFFERED=1`, `GRADIO_ANALYTICS_ENABLED=False`,
//!    `HF_HUB_DISABLE_TELEMETRY=1`, `HF_ENDPOINT` (this simulator), then the Space's variables,
//!    then its secrets (so `HF_TOKEN` only if it is a secret), then `SYSTEM=spaces`, `SPACE_ID`,
//!    `SPACE_AUTHOR_NAME`, `SPACE_REPO_NAME`, `SPACE_HOST`, `GRADIO_SERVER_NAME=127.0.0.1`,
//!    `GRADIO_SERVER_PORT=<a free port>`, and the simulator-only `HUBSIM_SPACE_HARDWARE`,
//!    `HUBSIM_GPU_COUNT`, `HUBSIM_GPU_MEMORY_GB`, `HUBSIM_RAM_GB` (the requested flavor's machine,
//!    which the model-library stand-ins load simulated weights against; the Hub sets nothing
//!    like them). `SPACES_ZERO_GPU` is never set: whatever hardware is assigned, the app runs on
//!    this machine's CPU and `@spaces.GPU` is a no-op. Every
//!    stdout/stderr line becomes a run log line, after `===== Application Startup at ... =====`.
//! 3. **Running**: `RUNNING` once `GET /config` on the app's port answers 200 (polled every
//!    200 ms); `hardware.current` becomes the requested flavor then. If the process exits first,
//!    or later, the stage is `RUNTIME_ERROR` with `errorMessage` = `Exit code: N. Reason: <last 20
//!    output lines>` (the traceback is in the run logs). If it does not answer within
//!    `space_start_timeout_ms` (`--space-start-timeout`), it is killed and reported
//!    `RUNTIME_ERROR` (`Launch timed out ...`).
//!
//! **Host.** On the Hub the app is served at `https://{subdomain}.hf.space`. Here each running
//! Gradio Space gets a proxy on a loopback port, bound at its first start and kept across
//! restarts, and both the Space info's `host` and the runtime's extra `host` field say
//! `http://127.0.0.1:<proxy port>` (`subdomain` and `domains` keep the Hub's values). The proxy
//! answers `503` while the Space is not `RUNNING`. For a **private** Space it requires
//! `Authorization: Bearer <token>` or `X-HF-Authorization: Bearer <token>` with a valid token of
//! the owner that can read repositories (else `404`, as the Hub hides private Spaces); both
//! headers are always removed before the request reaches Gradio. It sets `X-Forwarded-Host` and
//! `X-Forwarded-Proto`, so Gradio's file URLs point at the proxy. [`HubSim::space_app`] tells
//! tests the app's pid, port and host ([`SpaceProcess`]).
//!
//! **No process outlives the simulator**: [`HubSim::shutdown`] kills every Space app's process
//! group and waits (up to 5 s) until they are reaped; dropping a [`HubSim`] kills them too.

pub mod control;

mod account;
pub mod agent;
mod buckets;
mod config;
mod error;
mod frontmatter;
mod hardware;
mod jobs;
mod json;
mod middleware;
mod models;
pub mod mount;
mod oauth;
mod pagination;
mod spaces;
mod sse;
mod state;
mod static_app;
mod util;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{ConsentMode, HardwareRefusal, SimConfig};
pub use mount::{BucketMount, BucketMounts, Uploads};
pub use spaces::SpaceProcess;
pub use static_app::inject as inject_space_variables;

/// The simulator's stand-ins for model libraries (`diffusers`, `transformers`, `torch`): put on
/// the `PYTHONPATH` of Space processes ([`SimConfig::with_space_pythonpath`]), they let a
/// generated app that loads a model run here, where no weights can be downloaded. See
/// `pylibs/README.md`.
pub fn model_stand_ins() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pylibs")
}

/// The seeded user every test signs in as. PRO, can pay, no orgs.
pub const TEST_USER: &str = "sf-tester";
/// A full-scope, non-expiring access token of [`TEST_USER`].
pub const TEST_TOKEN: &str = "hf_SimTesterFullScopeToken0123456789A";
/// A second seeded user (free account) to test access between namespaces.
pub const OTHER_USER: &str = "other-user";
/// A full-scope, non-expiring access token of [`OTHER_USER`].
pub const OTHER_TOKEN: &str = "hf_SimOtherUserFullScopeToken012345AB";

/// A running simulator. Dropping it without [`HubSim::shutdown`] kills every job and Space
/// process at once but leaves the server task running until the tokio runtime ends.
pub struct HubSim {
    url: String,
    addr: SocketAddr,
    sim: Arc<state::Sim>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
}

impl HubSim {
    /// Binds `addr` (use `127.0.0.1:0` in tests) and serves the simulated Hub on it.
    pub async fn start(cfg: SimConfig, addr: SocketAddr) -> std::io::Result<HubSim> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}");
        let public_url = cfg
            .public_url_override
            .clone()
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| url.clone());
        let sim = state::Sim::new(cfg, public_url)?;
        spaces::resume_lifecycles(&sim);
        for (id, dir) in &sim.cfg.seed_spaces {
            spaces::seed(&sim, id, dir)?;
        }
        let app = router(sim.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("hubsim server stopped: {e}");
            }
        });
        tracing::info!("hubsim listening on {url}");
        Ok(HubSim {
            url,
            addr,
            sim,
            stop: Some(stop),
            server,
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origin the simulator advertises (the public URL override, else [`HubSim::url`]).
    pub fn public_url(&self) -> String {
        self.sim.public_url.clone()
    }

    /// `window.huggingface.variables` as a static Space served by this Hub sees them (OAuth
    /// client, scopes, provider URL, `SF_HUB_URL`, extra variables).
    pub fn space_variables(&self) -> std::collections::BTreeMap<String, String> {
        static_app::variables(&self.sim)
    }

    /// The app process of a Space (`owner/name`) while one runs (only with
    /// [`SimConfig::with_space_runtime`]); `None` otherwise.
    pub fn space_app(&self, id: &str) -> Option<SpaceProcess> {
        spaces::space_process(&self.sim, id)
    }

    /// Whether jobs get their volumes as on the Hub (see [`BucketMounts`]): `Err` holds the one
    /// sentence the simulator printed at start-up saying why this machine cannot.
    pub fn mount_support(&self) -> Result<(), String> {
        self.sim.mount_support.clone()
    }

    /// Mounts the bucket `id` (`owner/name`) at the folder `at` of this machine with the strict
    /// semantics jobs get (see [`BucketMounts::Strict`]), for a test that runs a job's program
    /// itself. It stays mounted until the [`BucketMount`] is dropped.
    pub fn mount_bucket(&self, id: &str, at: &std::path::Path) -> Result<BucketMount, String> {
        self.sim.mount_support.clone()?;
        let (ns, name) = id
            .split_once('/')
            .filter(|_| self.sim.buckets.get(id).is_some())
            .ok_or_else(|| format!("there is no bucket '{id}' to mount"))?;
        let folder = self.sim.buckets.folder(ns, name);
        // Absolute, as for jobs' mounts, so that its uploads are counted under the same paths.
        let folder = std::path::absolute(&folder).unwrap_or(folder);
        BucketMount::mount(&folder, at, false, &self.sim.uploads)
    }

    /// How many times each file of the bucket `id` (`owner/name`) was uploaded through a strict
    /// mount (a close that publishes; see [`BucketMounts::Strict`]), by its path in the bucket.
    /// Files never uploaded that way are absent.
    pub fn bucket_uploads(&self, id: &str) -> std::collections::BTreeMap<String, u64> {
        let Some((ns, name)) = id.split_once('/') else {
            return Default::default();
        };
        let folder = self.sim.buckets.folder(ns, name);
        let folder = std::path::absolute(&folder).unwrap_or(folder);
        self.sim.uploads.under(&folder)
    }

    /// Stops running jobs and Space apps (SIGKILL to their process groups), ends open log
    /// streams and stops the server.
    pub async fn shutdown(mut self) {
        self.sim.shutdown.send_replace(true);
        jobs::kill_all(&self.sim);
        spaces::kill_all(&self.sim);
        spaces::wait_for_apps(&self.sim, Duration::from_secs(5)).await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(Duration::from_secs(3), &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

impl Drop for HubSim {
    /// No job or Space process outlives the simulator, even when a test panics before
    /// [`HubSim::shutdown`].
    fn drop(&mut self) {
        self.sim.shutdown.send_replace(true);
        jobs::kill_all(&self.sim);
        spaces::kill_all(&self.sim);
    }
}

fn router(sim: Arc<state::Sim>) -> Router {
    let timing = sim.cfg.timing_allow_origin;
    Router::new()
        .merge(oauth::routes())
        .merge(account::routes())
        .merge(buckets::routes())
        .merge(jobs::routes())
        .merge(spaces::routes())
        .merge(models::routes())
        .merge(agent::routes())
        .merge(web::routes())
        .nest("/__sim", control::routes())
        .fallback(static_app::fallback)
        .layer(axum::middleware::from_fn(middleware::compress))
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            middleware::faults,
        ))
        .layer(axum::middleware::from_fn(middleware::cors))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .layer(axum::middleware::map_response(
            move |mut r: axum::response::Response| async move {
                if timing {
                    r.headers_mut().insert(
                        "timing-allow-origin",
                        axum::http::HeaderValue::from_static("*"),
                    );
                }
                r
            },
        ))
        .with_state(sim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_tokens_look_like_hub_tokens() {
        for token in [TEST_TOKEN, OTHER_TOKEN] {
            let rest = token.strip_prefix("hf_").unwrap();
            assert_eq!(rest.len(), 34, "{token}");
            assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
        }
    }
}
