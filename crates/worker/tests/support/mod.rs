//! Shared pieces of the worker's integration tests: the tools `cargo xtask setup` installs, a
//! real Gradio app started as a local process, and the scripted model server (`llm`).

pub mod llm;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// The project's Python (gradio, spaces, huggingface_hub), from `SF_PYTHON`.
pub fn python() -> PathBuf {
    let p = std::env::var_os("SF_PYTHON").map(PathBuf::from).unwrap_or_else(|| {
        panic!(
            "SF_PYTHON is not set: these tests run a real Gradio app. Run `cargo xtask setup`, then the tests through `cargo xtask test` (or set SF_PYTHON to ~/.cache/space-factory/venv/bin/python)."
        )
    });
    assert!(
        p.is_file(),
        "SF_PYTHON points to {}, which does not exist; run `cargo xtask setup`.",
        p.display()
    );
    p
}

/// The `pi` CLI from `PATH`.
pub fn pi() -> PathBuf {
    sf_worker::process::find_on_path("pi").unwrap_or_else(|| {
        panic!(
            "`pi` is not on PATH: these tests drive the real Pi coding agent. Run `cargo xtask setup`, then the tests through `cargo xtask test` (or add ~/.cache/space-factory/npm/node_modules/.bin to PATH)."
        )
    })
}

/// The simulator's stand-ins for model libraries (`crates/hubsim/pylibs`).
pub fn pylibs() -> PathBuf {
    sf_hubsim::model_stand_ins()
}

/// A test app's source (`tests/support/apps/<name>`).
pub fn app_source(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/apps")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real Gradio app running as a local process (killed on drop).
pub struct GradioProcess {
    pub url: String,
    _child: Child,
}

impl GradioProcess {
    /// Writes `source` as `app.py` in `dir` and starts it the way a Space does
    /// (`GRADIO_SERVER_NAME` / `GRADIO_SERVER_PORT`), with the model-library doubles on
    /// `PYTHONPATH`; waits until `/config` answers.
    pub async fn start(dir: &Path, source: &str) -> GradioProcess {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("app.py"), source).unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.join("app.log")).unwrap();
        let child = Command::new(python())
            .arg("app.py")
            .current_dir(dir)
            .env("GRADIO_SERVER_NAME", "127.0.0.1")
            .env("GRADIO_SERVER_PORT", port.to_string())
            .env("GRADIO_ANALYTICS_ENABLED", "False")
            .env("HF_HUB_OFFLINE", "1")
            .env("PYTHONPATH", pylibs())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start the Gradio app");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(r) = http.get(format!("{url}/config")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "the Gradio app did not start within 90 s; its log:\n{}",
                std::fs::read_to_string(dir.join("app.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        GradioProcess { url, _child: child }
    }
}

/// Every file under `dir`.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Fails when `needle` appears in any file under `dir`.
pub fn assert_nowhere(dir: &Path, needle: &str) {
    let files = walk(dir);
    assert!(!files.is_empty(), "no files under {}", dir.display());
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{} contains the token",
            path.display()
        );
    }
}

// ----- scenarios: hubsim, the worker binary, the record it leaves -----

use sf_core::record::{Event, RunState, StateRead, parse_events};
use sf_hub::{CommitFile, HubClient, NativeTransport, NewCommit, NewSpace};
use sf_hubsim::{HubSim, SimConfig, TEST_TOKEN, TEST_USER};

/// Asserts that `text` (a report, a message) contains every one of `needles`.
#[track_caller]
pub fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        assert!(text.contains(n), "no `{n}` in:\n{text}");
    }
}

/// The run bucket of the test user.
pub const RUN_BUCKET: &str = "sf-tester/space-factory-runs";

/// A test world: hubsim running Gradio Spaces for real, and the run bucket mounted the way HF
/// Jobs mount it (hubsim's FUSE mount with hf-mount's rules: no append, content published on
/// close), so a worker that holds a file open or appends fails here as on huggingface.co.
pub struct World {
    /// Dropped first: unmounted before the folders go.
    _bucket: sf_hubsim::BucketMount,
    pub sim: HubSim,
    pub tmp: tempfile::TempDir,
    /// The workers' `SF_WORK_DIR`s: apart from `tmp` (closed to other users, and holding the
    /// simulator's data), open to the coding agent's unprivileged user as `/tmp` is in a job.
    pub work: tempfile::TempDir,
}

impl World {
    pub async fn start() -> World {
        World::start_with(|c| c).await
    }

    pub async fn start_with(adjust: impl FnOnce(SimConfig) -> SimConfig) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = adjust(
            SimConfig::for_tests(tmp.path().join("hub"))
                .with_space_runtime(python())
                .with_space_pythonpath(pylibs())
                .with_space_start_timeout(Duration::from_secs(60)),
        );
        let sim = HubSim::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let created = reqwest::Client::new()
            .post(format!("{}/__sim/buckets/{RUN_BUCKET}", sim.url()))
            .json(&serde_json::json!({"private": true}))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        let bucket = sim
            .mount_bucket(RUN_BUCKET, &tmp.path().join("bucket"))
            .unwrap_or_else(|sentence| panic!("{sentence}"));
        let work = tempfile::tempdir().unwrap();
        std::fs::set_permissions(
            work.path(),
            <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
        )
        .unwrap();
        World {
            _bucket: bucket,
            sim,
            tmp,
            work,
        }
    }

    pub fn hub(&self) -> HubClient<NativeTransport> {
        HubClient::new(&self.sim.url(), NativeTransport::new().unwrap())
            .unwrap()
            .with_token(TEST_TOKEN)
    }

    /// Where the run bucket is mounted.
    pub fn output(&self) -> PathBuf {
        self.tmp.path().join("bucket")
    }

    pub fn run_dir(&self, run_id: &str) -> PathBuf {
        self.output().join("runs").join(run_id)
    }

    /// Creates a private Gradio Space of the test user with these files.
    pub async fn create_space(&self, name: &str, files: &[(&str, &str)]) -> String {
        let space = sf_core::SpaceRef::new(TEST_USER, name).unwrap();
        let hub = self.hub();
        hub.create_space(&NewSpace::private_gradio(space.clone()))
            .await
            .unwrap();
        hub.commit_space_files(
            &space,
            &NewCommit {
                summary: "test app".into(),
                description: String::new(),
                files: files
                    .iter()
                    .map(|(p, c)| CommitFile {
                        path: p.to_string(),
                        content: c.as_bytes().to_vec(),
                    })
                    .collect(),
            },
        )
        .await
        .unwrap();
        space.id()
    }

    /// The environment of a job as the app's job spec would give it, plus short test timings.
    pub fn job_env(&self, run_id: &str, kind: &str) -> Vec<(String, String)> {
        let pairs: Vec<(&str, String)> = vec![
            ("SF_RUN_ID", run_id.into()),
            ("SF_RUN_KIND", kind.into()),
            ("SF_BUCKET", RUN_BUCKET.to_string()),
            ("SF_HUB_URL", self.sim.url()),
            (
                "SF_INFERENCE_URL",
                "https://router.huggingface.co/v1".into(),
            ),
            ("SF_OUTPUT_DIR", self.output().display().to_string()),
            ("SF_PI_VERSION", "0.73.1".into()),
            ("HF_TOKEN", TEST_TOKEN.into()),
            ("JOB_ID", format!("job-{run_id}")),
            (
                "SF_WORK_DIR",
                self.work.path().join(run_id).display().to_string(),
            ),
            ("SF_PYTHON", python().display().to_string()),
            ("SF_POLL_INTERVAL_MS", "100".into()),
            ("SF_CALL_TIMEOUT_S", "60".into()),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// Sets `key` in an environment list (replacing it).
pub fn set(env: &mut Vec<(String, String)>, key: &str, value: &str) {
    env.retain(|(k, _)| k != key);
    env.push((key.to_string(), value.to_string()));
}

/// The worker binary built by cargo for these tests, or the one named by `SF_WORKER_BIN`
/// (e.g. the static musl release build, to run the same scenarios against it).
pub fn worker_bin() -> PathBuf {
    std::env::var_os("SF_WORKER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_space-factory-worker")))
}

/// Starts `space-factory-worker <kind>` with exactly `env` (plus `PATH`).
pub fn spawn_worker(kind: &str, env: &[(String, String)], log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(worker_bin())
        .arg(kind)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("start the worker")
}

/// What a run left in its folder.
pub struct Outcome {
    pub exit: Option<i32>,
    pub state: RunState,
    pub events: Vec<Event>,
    pub report: String,
    pub log: String,
}

impl Outcome {
    pub fn read(dir: &Path, exit: Option<i32>, log: &Path) -> Outcome {
        let text = std::fs::read_to_string(dir.join("state.json")).ok();
        let state = match StateRead::parse(text.as_deref()) {
            StateRead::State(s) => *s,
            other => panic!("state.json of {}: {other:?}", dir.display()),
        };
        let events =
            parse_events(&std::fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default());
        assert_eq!(events.unreadable_lines, 0);
        Outcome {
            exit,
            state,
            events: events.events,
            report: std::fs::read_to_string(dir.join("report.md")).unwrap_or_default(),
            log: std::fs::read_to_string(log).unwrap_or_default(),
        }
    }

    /// Asserts that the run ended `status`; otherwise shows its message, its events and the
    /// worker's log.
    #[track_caller]
    pub fn assert_status(&self, status: sf_core::record::RunStatus) {
        assert_eq!(
            self.state.status,
            status,
            "{}\n{}\n{}",
            self.state.message,
            self.messages(),
            self.log
        );
    }

    /// Whether some event's message contains `needle`.
    pub fn has_event(&self, needle: &str) -> bool {
        self.events.iter().any(|e| e.message.contains(needle))
    }

    pub fn messages(&self) -> String {
        self.events
            .iter()
            .map(|e| format!("{} [{}] {}", e.ts, e.phase, e.message))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs the worker to its end (at most `limit`) and reads what it left.
pub async fn run_worker(
    world: &World,
    kind: &str,
    env: &[(String, String)],
    limit: Duration,
) -> Outcome {
    let run_id = env
        .iter()
        .find(|(k, _)| k == "SF_RUN_ID")
        .unwrap()
        .1
        .clone();
    let log = world.tmp.path().join(format!("{run_id}.log"));
    let mut child = spawn_worker(kind, env, &log);
    let status = tokio::time::timeout(limit, child.wait())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the worker did not finish within {limit:?}; its log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .unwrap();
    Outcome::read(&world.run_dir(&run_id), status.code(), &log)
}

// ----- build scenarios: what the scripted agent writes -----

use llm::{Reply, write};

pub const IMAGE_MODEL: &str = "Tongyi-MAI/Z-Image-Turbo";
pub const IMAGE_REQUIREMENTS: &str = "diffusers\ntorch\n";
pub const IMAGE_MANIFEST: &str = r#"{"api_name": "/generate", "args": ["a red fox in the snow"], "kwargs": {"steps": 2}, "expected_output": "image"}"#;
pub const AGENT_README: &str = "---\ntitle: Fox Maker\nemoji: 🦊\nshort_description: Images from Z-Image-Turbo\n---\n# Fox Maker\n\nMakes images with Tongyi-MAI/Z-Image-Turbo (Apache-2.0).\n";

/// One agent turn writing the four files, then a closing message.
pub fn writes_app(app: &str, requirements: &str) -> Vec<Reply> {
    vec![
        Reply::Tools {
            text: Some(
                "I'll write the app, its requirements, the README and the smoke test.".into(),
            ),
            calls: vec![
                write("app.py", app),
                write("requirements.txt", requirements),
                write("README.md", AGENT_README),
                write("smoke_test.json", IMAGE_MANIFEST),
            ],
        },
        Reply::Text(
            "The app loads Z-Image-Turbo with diffusers and exposes /generate and /health.".into(),
        ),
    ]
}

/// A build of `space` whose coding agent is the scripted model server playing `script`, run to
/// its end (at most `limit`); the server is returned for what the agent was asked.
pub async fn build_scripted(
    world: &World,
    run_id: &str,
    space: &str,
    script: Vec<Reply>,
    limit: Duration,
) -> (Outcome, llm::ScriptedLlm) {
    let llm = llm::ScriptedLlm::start(script).await;
    let env = build_env(world, run_id, space, &llm);
    (run_worker(world, "build", &env, limit).await, llm)
}

/// The environment of a build job, pointed at the scripted model server.
pub fn build_env(
    world: &World,
    run_id: &str,
    space: &str,
    llm: &llm::ScriptedLlm,
) -> Vec<(String, String)> {
    let mut env = world.job_env(run_id, "build");
    for (k, v) in [
        ("SF_MODEL_ID", IMAGE_MODEL),
        ("SF_TARGET_SPACE", &format!("{TEST_USER}/{space}")),
        ("SF_PI_MODEL", "Qwen/Qwen3-Coder-Next"),
        ("SF_IMPLEMENTATION_MODE", "full-inference-gated"),
        ("SF_PREFERRED_HARDWARE", "zero-a10g"),
        ("SF_ALLOW_FIXED_GPU_FALLBACK", "true"),
        ("SF_FALLBACK_HARDWARE", "l40sx1"),
        ("SF_INFERENCE_URL", &llm.base_url),
        ("SF_PI_BIN", &pi().display().to_string()),
        ("SF_AGENT_TIMEOUT_S", "120"),
        ("SF_REPAIR_ROUNDS", "1"),
        ("SF_SPACE_WAIT_S", "90"),
        (
            "SF_PI_SETTINGS_JSON",
            r#"{"retry":{"enabled":false,"provider":{"maxRetries":0,"timeoutMs":60000}}}"#,
        ),
    ] {
        set(&mut env, k, v);
    }
    env
}
