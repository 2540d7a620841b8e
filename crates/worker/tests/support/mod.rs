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

/// The test doubles of model libraries (`tests/support/pylibs`).
pub fn pylibs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/pylibs")
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
    pub dir: PathBuf,
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
        GradioProcess {
            url,
            _child: child,
            dir: dir.to_path_buf(),
        }
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
