//! Gradio Spaces that really run (when `SimConfig::run_spaces_with` names a Python): the build
//! checks `requirements.txt` against that Python, then `python app.py` runs as a local process
//! in its own process group, its output becomes the run logs, and the Space is `RUNNING` once
//! `GET /config` answers 200 on the app's port.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::Stage;
use super::lifecycle::{Lifecycle, app_file, log_line};
use super::store::{AppProcess, SpaceRecord};
use crate::jobs::signal_group;
use crate::state::{Sim, lock};
use crate::util::now_iso;

/// How many of the last output lines go into a runtime error message.
const ERROR_TAIL_LINES: usize = 20;

/// One line of `requirements.txt` and the module the build checks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Requirement {
    /// The distribution name as written (`Pillow`, `scikit-learn`).
    pub name: String,
    /// The top-level module it provides (`PIL`, `sklearn`).
    pub module: String,
    /// 1-based line number in `requirements.txt`.
    pub line: usize,
}

/// What the build makes of a `requirements.txt`: the requirements it checks and the lines it
/// cannot check (URLs without a name, pip options), which it reports and skips.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Requirements {
    pub checked: Vec<Requirement>,
    pub skipped: Vec<String>,
}

/// Distribution names whose import name differs from the normalised distribution name.
const MODULE_NAMES: &[(&str, &str)] = &[
    ("attrs", "attr"),
    ("beautifulsoup4", "bs4"),
    ("faiss-cpu", "faiss"),
    ("faiss-gpu", "faiss"),
    ("ffmpeg-python", "ffmpeg"),
    ("gitpython", "git"),
    ("google-generativeai", "google.generativeai"),
    ("llama-cpp-python", "llama_cpp"),
    ("onnxruntime-gpu", "onnxruntime"),
    ("openai-whisper", "whisper"),
    ("opencv-contrib-python", "cv2"),
    ("opencv-contrib-python-headless", "cv2"),
    ("opencv-python", "cv2"),
    ("opencv-python-headless", "cv2"),
    ("pillow", "PIL"),
    ("protobuf", "google.protobuf"),
    ("pymupdf", "fitz"),
    ("pysoundfile", "soundfile"),
    ("python-dateutil", "dateutil"),
    ("python-dotenv", "dotenv"),
    ("python-magic", "magic"),
    ("python-multipart", "multipart"),
    ("pyyaml", "yaml"),
    ("scikit-image", "skimage"),
    ("scikit-learn", "sklearn"),
    ("tensorflow-cpu", "tensorflow"),
];

/// The top-level module a distribution provides: the known exceptions above, else the
/// normalised name (PEP 503) with `-` turned into `_`.
pub(crate) fn module_for(distribution: &str) -> String {
    let normalised = distribution.to_ascii_lowercase().replace(['_', '.'], "-");
    MODULE_NAMES
        .iter()
        .find(|(d, _)| *d == normalised)
        .map(|(_, m)| m.to_string())
        .unwrap_or_else(|| normalised.replace('-', "_"))
}

fn leading_name(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    &s[..end]
}

/// Parses `requirements.txt` the way pip reads it, enough to name each requirement.
pub(crate) fn parse_requirements(text: &str) -> Requirements {
    let mut out = Requirements::default();
    for (i, raw) in text.lines().enumerate() {
        let line = match raw.find(" #") {
            Some(at) => &raw[..at],
            None => raw,
        }
        .trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let egg = line
            .split_once("#egg=")
            .map(|(_, e)| leading_name(e).to_string());
        let name = if line.starts_with('-') {
            // Options (-r, -c, --extra-index-url, -f); `-e <url>#egg=name` names a package.
            match egg {
                Some(e) if line.starts_with("-e") || line.starts_with("--editable") => e,
                _ => {
                    out.skipped.push(line.to_string());
                    continue;
                }
            }
        } else if let Some((name, _)) = line.split_once(" @ ") {
            name.trim().to_string()
        } else if line.contains("://") || line.starts_with('.') || line.starts_with('/') {
            match egg {
                Some(e) => e,
                None => {
                    out.skipped.push(line.to_string());
                    continue;
                }
            }
        } else {
            leading_name(line).to_string()
        };
        let name = leading_name(&name).to_string();
        if name.is_empty() {
            out.skipped.push(line.to_string());
            continue;
        }
        out.checked.push(Requirement {
            module: module_for(&name),
            name,
            line: i + 1,
        });
    }
    out
}

/// Prints `ok <module>` or `missing <module>` for each argument, without importing anything.
const FIND_SPECS: &str = r#"
import importlib.util, sys
for m in sys.argv[1:]:
    try:
        found = importlib.util.find_spec(m) is not None
    except Exception:
        found = False
    print(("ok " if found else "missing ") + m)
"#;

/// Where a Space's app runs: a copy of its files and a home folder of its own (so the app sees
/// neither the person's `~/.cache/huggingface` token nor other Spaces' caches).
fn run_dirs(sim: &Sim, id: &str) -> (PathBuf, PathBuf) {
    let base = sim.cfg.data_dir.join("space-runs").join(id);
    (base.join("app"), base.join("home"))
}

/// The environment every Space process starts from; `PATH` is the simulator's own.
fn base_env(sim: &Sim, home: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "PATH".into(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        ),
        ("HOME".into(), home.display().to_string()),
        ("LANG".into(), "C.UTF-8".into()),
        ("PYTHONUNBUFFERED".into(), "1".into()),
        ("GRADIO_ANALYTICS_ENABLED".into(), "False".into()),
        ("HF_HUB_DISABLE_TELEMETRY".into(), "1".into()),
        ("HF_ENDPOINT".into(), sim.public_url.clone()),
    ];
    if let Some(dir) = &sim.cfg.space_pythonpath {
        env.push(("PYTHONPATH".into(), dir.display().to_string()));
    }
    env
}

/// Simulator-only variables (the Hub sets nothing like them: a real app sees its hardware by
/// using it) that tell the model-library stand-ins what the Space's machine holds, so that
/// loading weights can run out of memory as it would there: the flavor the Space runs on, its
/// GPUs, each GPU's memory and the RAM (absent where the Hub says "dynamic", i.e. ZeroGPU).
fn machine_env(flavor: &str) -> Vec<(String, String)> {
    let mut env = vec![("HUBSIM_SPACE_HARDWARE".to_string(), flavor.to_string())];
    if let Some((gpus, gpu_gb, ram_gb)) = crate::hardware::space_machine(flavor) {
        env.push(("HUBSIM_GPU_COUNT".into(), gpus.to_string()));
        env.push(("HUBSIM_GPU_MEMORY_GB".into(), gpu_gb.to_string()));
        if let Some(ram) = ram_gb {
            env.push(("HUBSIM_RAM_GB".into(), ram.to_string()));
        }
    }
    env
}

enum BuildCheck {
    Passed,
    /// The requirements that are not installed.
    Missing(Vec<Requirement>),
    /// The Python could not be run at all.
    NoPython(String),
}

/// The simulated `pip install -r requirements.txt`: each requirement's module must be
/// importable by the Space Python. Returns the verdict and the build log lines.
async fn check_requirements(
    sim: &Sim,
    python: &Path,
    folder: &Path,
    home: &Path,
) -> (BuildCheck, Vec<String>) {
    let text = std::fs::read_to_string(folder.join("requirements.txt")).unwrap_or_default();
    let reqs = parse_requirements(&text);
    let mut logs = vec!["--> RUN pip install --no-cache-dir -r requirements.txt".to_string()];
    for skipped in &reqs.skipped {
        logs.push(format!(
            "hubsim: not checked (no package name to look for): {skipped}"
        ));
    }
    if reqs.checked.is_empty() {
        logs.push("hubsim: no requirements to check.".into());
        return (BuildCheck::Passed, logs);
    }
    let output = tokio::process::Command::new(python)
        .arg("-c")
        .arg(FIND_SPECS)
        .args(reqs.checked.iter().map(|r| &r.module))
        .env_clear()
        .envs(base_env(sim, home))
        .current_dir(home)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await;
    let output = match output {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            return (
                BuildCheck::NoPython(format!(
                    "'{}' failed to check the requirements: {}",
                    python.display(),
                    String::from_utf8_lossy(&o.stderr).trim()
                )),
                logs,
            );
        }
        Err(e) => {
            return (
                BuildCheck::NoPython(format!("could not run '{}': {e}", python.display())),
                logs,
            );
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let missing_modules: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("missing "))
        .collect();
    let mut missing = Vec::new();
    for req in &reqs.checked {
        if missing_modules.contains(&req.module.as_str()) {
            logs.push(format!(
                "ERROR: Could not find a version that satisfies the requirement {} (from -r requirements.txt (line {})) \
                 (hubsim: module '{}' is not installed in {})",
                req.name,
                req.line,
                req.module,
                python.display()
            ));
            logs.push(format!(
                "ERROR: No matching distribution found for {}",
                req.name
            ));
            missing.push(req.clone());
        } else {
            logs.push(format!(
                "Requirement already satisfied: {} (module '{}' is importable)",
                req.name, req.module
            ));
        }
    }
    if missing.is_empty() {
        (BuildCheck::Passed, logs)
    } else {
        logs.push(
            "--> ERROR: process \"/bin/sh -c pip install --no-cache-dir -r requirements.txt\" did not complete successfully: exit code: 1"
                .to_string(),
        );
        (BuildCheck::Missing(missing), logs)
    }
}

/// Runs `f` on the Space's record if the lifecycle `generation` is still the current one, and
/// wakes log streams. `None` when the Space moved on (a newer commit, restart or forced stage).
fn if_current<R>(
    sim: &Sim,
    id: &str,
    generation: u64,
    f: impl FnOnce(&mut SpaceRecord) -> R,
) -> Option<R> {
    let mut spaces = lock(&sim.spaces.spaces);
    let s = spaces.get_mut(id).filter(|s| s.generation == generation)?;
    let r = f(s);
    s.touch();
    Some(r)
}

fn fail(sim: &Sim, id: &str, generation: u64, stage: Stage, message: String) {
    if_current(sim, id, generation, |s| {
        s.stage = stage;
        s.error_message = Some(message);
        s.app = None;
    });
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A free TCP port on the loopback interface (bound, read, released).
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Whether `GET http://127.0.0.1:{port}/config` answers 200.
async fn answers_config(client: &reqwest::Client, port: u16) -> bool {
    client
        .get(format!("http://127.0.0.1:{port}/config"))
        .send()
        .await
        .is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
}

/// Turns a process output stream into run log lines, as long as this run is current.
async fn pump(sim: Arc<Sim>, id: String, generation: u64, stream: impl AsyncRead + Unpin) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if if_current(&sim, &id, generation, |s| s.run_logs.push(log_line(line))).is_none()
                {
                    break;
                }
            }
        }
    }
}

/// The last output lines of this run, for an error message.
fn output_tail(sim: &Sim, id: &str, from: usize) -> String {
    let spaces = lock(&sim.spaces.spaces);
    let Some(s) = spaces.get(id) else {
        return String::new();
    };
    let lines = s.run_logs.get(from..).unwrap_or_default();
    let skip = lines.len().saturating_sub(ERROR_TAIL_LINES);
    lines[skip..]
        .iter()
        .map(|l| l.data.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Builds (on a commit) and starts a Gradio Space's app; watches it until it exits, a newer
/// lifecycle replaces it, or the simulator stops. The caller already set the transitional stage
/// and stopped the previous process.
pub(crate) async fn run(sim: Arc<Sim>, id: String, generation: u64, kind: Lifecycle) {
    let Some(python) = sim.cfg.run_spaces_with.clone() else {
        return;
    };
    let (ns, name) = id.split_once('/').unwrap_or((&id, ""));
    let folder = sim.spaces.folder(ns, name);
    let (app_dir, home) = run_dirs(&sim, &id);
    let app = app_file(&folder, "gradio");
    if !folder.join(&app).is_file() {
        if_current(&sim, &id, generation, |s| {
            s.stage = Stage::NoAppFile;
            s.error_message = Some(format!("The app file '{app}' is missing."));
            s.build_logs.push(log_line(format!(
                "No application file: add '{app}' to the Space."
            )));
        });
        return;
    }
    if let Err(e) = std::fs::create_dir_all(&home) {
        fail(
            &sim,
            &id,
            generation,
            Stage::BuildError,
            format!("The simulator could not prepare the Space's home folder: {e}"),
        );
        return;
    }

    if kind == Lifecycle::Build {
        let (verdict, lines) = check_requirements(&sim, &python, &folder, &home).await;
        let message = match verdict {
            BuildCheck::Passed => None,
            BuildCheck::Missing(missing) => {
                let names: Vec<String> = missing.iter().map(|r| format!("'{}'", r.name)).collect();
                Some(format!(
                    "Build failed with exit code: 1. Not installed: {} (hubsim checks requirements.txt against its Space Python instead of installing them: install them into that Python or remove them from requirements.txt).",
                    names.join(", ")
                ))
            }
            BuildCheck::NoPython(why) => Some(format!(
                "Build failed: the simulator's Space Python is unusable ({why}). Point `--space-python` / `SimConfig::with_space_runtime` at a Python with gradio installed."
            )),
        };
        let still_current = if_current(&sim, &id, generation, |s| {
            s.build_logs.extend(lines.into_iter().map(log_line));
            match &message {
                Some(m) => {
                    s.build_logs.push(log_line(m.clone()));
                    s.stage = Stage::BuildError;
                    s.error_message = message.clone();
                }
                None => {
                    s.build_logs
                        .push(log_line("Successfully built the Space image."));
                    s.stage = Stage::AppStarting;
                }
            }
        });
        if still_current.is_none() || message.is_some() {
            return;
        }
    }

    let prepared = (|| {
        if app_dir.exists() {
            std::fs::remove_dir_all(&app_dir)?;
        }
        copy_dir(&folder, &app_dir)?;
        free_port()
    })();
    let port = match prepared {
        Ok(p) => p,
        Err(e) => {
            fail(
                &sim,
                &id,
                generation,
                Stage::RuntimeError,
                format!("The simulator could not prepare the Space's files: {e}"),
            );
            return;
        }
    };

    // Variables, then secrets, then what the Hub sets itself (which a Space cannot override).
    let Some((variables, secrets, host, flavor)) = if_current(&sim, &id, generation, |s| {
        let vars: BTreeMap<String, String> = s
            .meta
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        let secrets: BTreeMap<String, String> = s
            .secrets
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect();
        let flavor = s
            .meta
            .hardware_requested
            .clone()
            .unwrap_or_else(|| "cpu-basic".to_string());
        (vars, secrets, s.proxy_port, flavor)
    }) else {
        return;
    };
    let space_host = host
        .map(|p| format!("127.0.0.1:{p}"))
        .unwrap_or_else(|| format!("127.0.0.1:{port}"));
    let mut command = tokio::process::Command::new(&python);
    command
        .arg(&app)
        .env_clear()
        .envs(base_env(&sim, &home))
        .envs(&variables)
        .envs(&secrets)
        .env("SYSTEM", "spaces")
        .env("SPACE_ID", &id)
        .env("SPACE_AUTHOR_NAME", ns)
        .env("SPACE_REPO_NAME", name)
        .env("SPACE_HOST", &space_host)
        .env("GRADIO_SERVER_NAME", "127.0.0.1")
        .env("GRADIO_SERVER_PORT", port.to_string())
        .envs(machine_env(&flavor))
        .current_dir(&app_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);

    let log_start = if_current(&sim, &id, generation, |s| {
        s.run_logs.push(log_line(format!(
            "===== Application Startup at {} =====",
            now_iso()
        )));
        s.run_logs.len()
    });
    let Some(log_start) = log_start else {
        return;
    };
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            fail(
                &sim,
                &id,
                generation,
                Stage::RuntimeError,
                format!("Could not start '{} {app}': {e}", python.display()),
            );
            return;
        }
    };
    let Some(pid) = child.id() else {
        return;
    };
    // Counts this process until it is reaped, which every path below waits for.
    let _live = LiveApp::new(&sim.spaces.live_apps);
    let pgid = pid as i32;
    let recorded = if_current(&sim, &id, generation, |s| {
        s.app = Some(AppProcess { pgid, pid, port });
    });
    if recorded.is_none() {
        // A newer lifecycle started while this one was spawning.
        signal_group(pgid, libc::SIGKILL);
        let _ = child.wait().await;
        return;
    }
    let readers = [
        child
            .stdout
            .take()
            .map(|o| tokio::spawn(pump(sim.clone(), id.clone(), generation, o))),
        child
            .stderr
            .take()
            .map(|e| tokio::spawn(pump(sim.clone(), id.clone(), generation, e))),
    ];
    let drain = |readers: [Option<tokio::task::JoinHandle<()>>; 2]| async move {
        for reader in readers.into_iter().flatten() {
            let _ = tokio::time::timeout(Duration::from_secs(2), reader).await;
        }
    };

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client without TLS always builds");
    let ready = async {
        while !answers_config(&client, port).await {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    let mut shutdown = sim.shutdown.subscribe();
    let timeout = Duration::from_millis(sim.cfg.space_start_timeout_ms);
    tokio::select! {
        _ = ready => {
            let hardware = |s: &mut SpaceRecord| {
                s.hardware_current = Some(
                    s.meta.hardware_requested.clone().unwrap_or_else(|| "cpu-basic".to_string()),
                );
                s.stage = Stage::Running;
                s.error_message = None;
            };
            if if_current(&sim, &id, generation, hardware).is_none() {
                signal_group(pgid, libc::SIGKILL);
                let _ = child.wait().await;
                return;
            }
        }
        status = child.wait() => {
            drain(readers).await;
            let exit = describe_exit(status);
            fail(&sim, &id, generation, Stage::RuntimeError, format!("{exit}. Reason: {}", output_tail(&sim, &id, log_start)));
            return;
        }
        _ = tokio::time::sleep(timeout) => {
            signal_group(pgid, libc::SIGKILL);
            let _ = child.wait().await;
            drain(readers).await;
            fail(&sim, &id, generation, Stage::RuntimeError, format!(
                "Launch timed out: the app did not answer GET /config on port {port} within {} s.",
                timeout.as_secs()
            ));
            return;
        }
        _ = stopped(&mut shutdown) => {
            signal_group(pgid, libc::SIGKILL);
            let _ = child.wait().await;
            return;
        }
    }

    tokio::select! {
        status = child.wait() => {
            drain(readers).await;
            let exit = describe_exit(status);
            fail(&sim, &id, generation, Stage::RuntimeError, format!("{exit}. Reason: {}", output_tail(&sim, &id, log_start)));
        }
        _ = stopped(&mut shutdown) => {
            signal_group(pgid, libc::SIGKILL);
            let _ = child.wait().await;
        }
    }
    // Whatever the app left behind in its group ends with it, as in a container.
    signal_group(pgid, libc::SIGKILL);
}

/// Resolves once the simulator shuts down (without holding the watch's lock guard).
async fn stopped(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

fn describe_exit(status: std::io::Result<std::process::ExitStatus>) -> String {
    match status {
        Ok(s) => match s.code() {
            Some(code) => format!("Exit code: {code}"),
            None => "The app was killed by a signal".to_string(),
        },
        Err(e) => format!("Lost track of the app process: {e}"),
    }
}

/// Counts a Space app process from its start until it is reaped.
struct LiveApp(Arc<tokio::sync::watch::Sender<usize>>);

impl LiveApp {
    fn new(counter: &Arc<tokio::sync::watch::Sender<usize>>) -> LiveApp {
        counter.send_modify(|n| *n += 1);
        LiveApp(counter.clone())
    }
}

impl Drop for LiveApp {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Waits (at most `limit`) until every killed Space app has been reaped, so that its process,
/// threads and ports are really gone.
pub(crate) async fn wait_for_apps(sim: &Sim, limit: Duration) {
    let mut live = sim.spaces.live_apps.subscribe();
    let _ = tokio::time::timeout(limit, live.wait_for(|n| *n == 0)).await;
}

/// Stops a Space's app (its whole process group) and forgets it.
pub(crate) fn stop_app(s: &mut SpaceRecord) {
    if let Some(app) = s.app.take() {
        signal_group(app.pgid, libc::SIGKILL);
    }
}

/// Stops every Space app (on shutdown and drop).
pub(crate) fn kill_all(sim: &Sim) {
    for s in lock(&sim.spaces.spaces).values_mut() {
        stop_app(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, String)> {
        parse_requirements(text)
            .checked
            .into_iter()
            .map(|r| (r.name, r.module))
            .collect()
    }

    #[test]
    fn distribution_names_map_to_modules() {
        assert_eq!(module_for("Pillow"), "PIL");
        assert_eq!(module_for("scikit-learn"), "sklearn");
        assert_eq!(module_for("scikit_learn"), "sklearn");
        assert_eq!(module_for("opencv-python-headless"), "cv2");
        assert_eq!(module_for("PyYAML"), "yaml");
        assert_eq!(module_for("huggingface-hub"), "huggingface_hub");
        assert_eq!(module_for("sentence-transformers"), "sentence_transformers");
        assert_eq!(module_for("gradio"), "gradio");
        assert_eq!(module_for("zope.interface"), "zope_interface");
    }

    #[test]
    fn requirements_are_read_like_pip() {
        let text = "\
# comment
gradio>=5.0
Pillow==10.*  # inline comment

torch[cpu] ; python_version >= \"3.9\"
diffusers @ git+https://github.com/huggingface/diffusers
git+https://github.com/x/peft.git#egg=peft
https://example.com/wheel.whl
-r other.txt
--extra-index-url https://download.pytorch.org/whl/cpu
-e git+https://github.com/x/y#egg=my-pkg
scikit-learn~=1.4
";
        assert_eq!(
            names(text),
            [
                ("gradio", "gradio"),
                ("Pillow", "PIL"),
                ("torch", "torch"),
                ("diffusers", "diffusers"),
                ("peft", "peft"),
                ("my-pkg", "my_pkg"),
                ("scikit-learn", "sklearn"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        let parsed = parse_requirements(text);
        assert_eq!(
            parsed.skipped,
            [
                "https://example.com/wheel.whl",
                "-r other.txt",
                "--extra-index-url https://download.pytorch.org/whl/cpu"
            ]
        );
        assert_eq!(parsed.checked[1].line, 3);
        assert_eq!(parse_requirements(""), Requirements::default());
    }
}
