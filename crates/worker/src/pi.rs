//! Running the Pi coding agent: finding or installing the pinned CLI, its config directory inside
//! the job (`PI_CODING_AGENT_DIR`, with `models.json` routing the `huggingface` provider to the
//! worker's model proxy), and one round in `--mode json` with stdin closed and a wall-clock limit
//! (SIGTERM, then SIGKILL).
//!
//! Pi never holds the person's token: it runs as the unprivileged user of [`crate::sandbox`] with
//! an allow-listed environment, in a workspace and home of its own, and reaches its model through
//! [`crate::proxy`], which adds the token upstream only where it may go.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use std::sync::Arc;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::pi_events::{AgentSummary, keep_in_trace};
use crate::process::{GroupChild, find_in, run_captured};
use crate::proxy::{ModelProxy, PLACEHOLDER_KEY};
use crate::record::Recorder;
use crate::sandbox::{self, AgentUser};

/// The npm package of the Pi coding agent.
pub const PI_PACKAGE: &str = "@mariozechner/pi-coding-agent";

/// Finds `pi` (`SF_PI_BIN`, then `search_path`, i.e. `PATH`), or installs the pinned version
/// with npm (found on `search_path`) into `<work>/pi-npm`. Returns the executable.
pub async fn locate_or_install(
    explicit: Option<&Path>,
    version: &str,
    work: &Path,
    search_path: &std::ffi::OsStr,
    rec: &Recorder,
) -> Result<PathBuf, String> {
    if let Some(bin) = explicit {
        return if bin.is_file() {
            Ok(bin.to_path_buf())
        } else {
            Err(format!(
                "SF_PI_BIN names {}, which does not exist.",
                bin.display()
            ))
        };
    }
    if let Some(bin) = find_in(search_path, "pi") {
        return Ok(bin);
    }
    let installed = work.join("pi-npm/node_modules/.bin/pi");
    if installed.is_file() {
        return Ok(installed);
    }
    let npm = find_in(search_path, "npm").ok_or(
        "The Pi coding agent is not installed and npm is not available to install it; use a job image with Node.js 20.6 or newer (e.g. node:22-bookworm).",
    )?;
    rec.info(&format!(
        "Installing the Pi coding agent {version} with npm"
    ));
    rec.flush();
    let mut cmd = Command::new(npm);
    // npm runs packages' install scripts: they get no token either.
    cmd.env_remove(sf_core::env::HF_TOKEN).args([
        "install",
        "--prefix",
        &work.join("pi-npm").display().to_string(),
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        &format!("{PI_PACKAGE}@{version}"),
    ]);
    let out = run_captured(cmd, Duration::from_secs(900))
        .await
        .map_err(|e| format!("Could not run npm to install the Pi coding agent: {e}."))?;
    if !out.success() || !installed.is_file() {
        let tail: String = out
            .stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .join(" / ");
        return Err(format!(
            "Installing the Pi coding agent {version} with npm failed{}.",
            if tail.is_empty() {
                String::new()
            } else {
                format!(": {tail}")
            }
        ));
    }
    Ok(installed)
}

/// `models.json` for Pi: the coding model declared on the built-in `huggingface` provider (so
/// any `owner/name[:provider]` resolves exactly, never to a look-alike), with the provider's base
/// URL set to the worker's model proxy (`proxy_url`, ending in `/v1`) and a placeholder key: the
/// proxy adds the token upstream where it may go.
pub fn models_json(pi_model: &str, proxy_url: &str) -> Value {
    json!({ "providers": { "huggingface": {
        "baseUrl": proxy_url.trim_end_matches('/'),
        "apiKey": PLACEHOLDER_KEY,
        "compat": {"supportsDeveloperRole": false},
        "models": [{
            "id": pi_model,
            "name": pi_model,
            "reasoning": false,
            "input": ["text"],
            "contextWindow": 131072,
            "maxTokens": 32768,
        }],
    }}})
}

/// Writes Pi's config directory: `models.json`, and `settings.json` when given.
pub fn prepare_agent_dir(
    dir: &Path,
    pi_model: &str,
    proxy_url: &str,
    settings: Option<&Value>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("models.json"),
        serde_json::to_vec_pretty(&models_json(pi_model, proxy_url))?,
    )?;
    if let Some(s) = settings {
        std::fs::write(dir.join("settings.json"), serde_json::to_vec_pretty(s)?)?;
    }
    Ok(())
}

/// How one round is run.
#[derive(Debug, Clone)]
pub struct Agent {
    pub bin: PathBuf,
    pub agent_dir: PathBuf,
    pub home: PathBuf,
    pub workspace: PathBuf,
    pub model: String,
    /// Who Pi runs as.
    pub user: AgentUser,
    /// Pi's model endpoint; it stops when the last clone of the agent is dropped.
    pub proxy: Arc<ModelProxy>,
    /// A copy of Pi made for the agent's user, removed with the last clone of the agent.
    pub staged: Option<Arc<Staged>>,
    pub timeout: Duration,
}

/// A folder removed when dropped: the copy of Pi under the work folder (a few hundred MB when
/// the file system cannot hard-link it).
#[derive(Debug)]
pub struct Staged(PathBuf);

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What [`prepare`] needs.
#[derive(Debug)]
pub struct Setup<'a> {
    /// The worker's folder (`SF_WORK_DIR`): Pi's config, home and staged copy go under it.
    pub work: &'a Path,
    /// The agent's workspace, already holding its inputs; it is given to the agent's user.
    pub workspace: &'a Path,
    /// Pi as found or installed.
    pub bin: &'a Path,
    pub model: &'a str,
    pub inference_url: &'a str,
    /// The token, when `inference_url` may receive it.
    pub token: Option<&'a str>,
    pub settings: Option<&'a Value>,
    pub timeout: Duration,
}

/// Makes the agent ready to run as `user`: the work folder reachable, the workspace, home and
/// config folder its own, Pi where it can run it, and the model proxy started.
pub async fn prepare(user: AgentUser, s: Setup<'_>) -> Result<Agent, String> {
    sandbox::open_work_dir(s.work)?;
    let stage = s.work.join("pi-stage");
    let bin = sandbox::runnable_pi(s.bin, &stage)?;
    let staged = bin.starts_with(&stage).then(|| Arc::new(Staged(stage)));
    let proxy = ModelProxy::start(s.inference_url, s.token).await?;
    let agent_dir = s.work.join("pi-agent");
    let home = s.work.join("home");
    // Pi writes its own files there; the worker's models.json and settings.json stay root's.
    user.fresh_dir(&agent_dir)
        .and_then(|()| prepare_agent_dir(&agent_dir, s.model, &proxy.base_url(), s.settings))
        .map_err(|e| format!("Could not write the agent's settings: {e}."))?;
    user.fresh_dir(&home)
        .and_then(|()| user.give(s.workspace))
        .map_err(|e| format!("Could not give the agent its workspace: {e}."))?;
    Ok(Agent {
        bin,
        agent_dir,
        home,
        workspace: s.workspace.to_path_buf(),
        model: s.model.to_string(),
        user,
        proxy: Arc::new(proxy),
        staged,
        timeout: s.timeout,
    })
}

/// `prctl(PR_SET_NO_NEW_PRIVS)`: nothing Pi runs can gain privileges (set-uid programs).
#[allow(unsafe_code)] // prctl(2): see the SAFETY comment
fn no_new_privileges() -> std::io::Result<()> {
    // SAFETY: prctl(2) with integer arguments only; async-signal-safe, fine between fork and exec.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The command of a round: Pi as the agent's user (no supplementary groups; tokio's `uid` drops
/// them), in its workspace, with only the allow-listed environment.
fn command(agent: &Agent, rules: &str, task: &str) -> Command {
    let mut cmd = Command::new(&agent.bin);
    cmd.args(arguments(&agent.model, rules, task))
        .current_dir(&agent.workspace)
        .env_clear()
        .envs(sandbox::agent_env(
            |k| std::env::var_os(k),
            &agent.home,
            &[
                ("PI_CODING_AGENT_DIR", agent.agent_dir.clone().into()),
                ("PI_OFFLINE", "1".into()),
                ("NO_COLOR", "1".into()),
            ],
        ))
        .uid(agent.user.uid)
        .gid(agent.user.gid);
    #[allow(unsafe_code)]
    // SAFETY: the hook only calls prctl(2), which is async-signal-safe.
    unsafe {
        cmd.pre_exec(no_new_privileges);
    }
    cmd
}

/// The command line of a round (without the program).
pub fn arguments(model: &str, rules: &str, task: &str) -> Vec<String> {
    [
        "--mode",
        "json",
        "--no-session",
        "--provider",
        "huggingface",
        "--model",
        model,
        "--thinking",
        "off",
        "--tools",
        "read,write,edit,bash",
        "-nc",
        "-ne",
        "-ns",
        "-np",
        "--append-system-prompt",
        rules,
        task,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// The end of a round.
#[derive(Debug, Clone)]
pub struct RoundResult {
    pub summary: AgentSummary,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub stderr_tail: String,
}

/// Runs one round; the kept events go (redacted) to the trace `trace_rel` (written whole, during
/// the round and at its end), stderr to `<trace_rel>.stderr.txt`.
pub async fn run_round(
    agent: &Agent,
    rules: &str,
    task: &str,
    rec: &Recorder,
    trace_rel: &str,
) -> Result<RoundResult, String> {
    // The round is a long wait: everything recorded so far goes to the bucket first.
    rec.flush();
    let mut cmd = command(agent, rules, task);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut gc = GroupChild::spawn(cmd).map_err(|e| {
        format!(
            "Could not start the Pi coding agent ({}): {e}.",
            agent.bin.display()
        )
    })?;
    let stdout = gc.child.stdout.take();
    let stderr = gc.child.stderr.take();
    let stderr_task = tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(mut s) = stderr {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = s.read(&mut chunk).await {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                if buf.len() > 64 * 1024 {
                    buf.drain(..buf.len() - 64 * 1024);
                }
            }
        }
        String::from_utf8_lossy(&buf).into_owned()
    });
    let mut summary = AgentSummary::default();
    let read = async {
        let Some(out) = stdout else {
            return;
        };
        let mut reader = BufReader::new(out);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end();
            if text.is_empty() {
                continue;
            }
            if text.starts_with(r#"{"type":"message_update""#) {
                summary.lines += 1;
                continue;
            }
            match serde_json::from_str::<Value>(text) {
                Ok(event) => {
                    let calls_before = summary.tool_calls.len();
                    summary.observe(&event);
                    if keep_in_trace(&event) {
                        rec.trace_line(trace_rel, text);
                    }
                    for call in &summary.tool_calls[calls_before..] {
                        rec.info(&format!(
                            "Agent {}{}{}",
                            call.tool,
                            call.target
                                .as_deref()
                                .map(|t| format!(" {t}"))
                                .unwrap_or_default(),
                            if call.failed { " (failed)" } else { "" }
                        ));
                    }
                }
                Err(_) => rec.trace_line(trace_rel, text),
            }
        }
    };
    let finished = tokio::time::timeout(agent.timeout, async {
        read.await;
        gc.child.wait().await
    })
    .await;
    let (exit_code, timed_out) = match finished {
        Ok(status) => (status.ok().and_then(|s| s.code()), false),
        Err(_) => {
            gc.terminate(Duration::from_secs(5)).await;
            (None, true)
        }
    };
    let stderr_text = tokio::time::timeout(Duration::from_secs(5), stderr_task)
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    if !stderr_text.trim().is_empty() {
        rec.write_text(&format!("{trace_rel}.stderr.txt"), &stderr_text);
    }
    // The trace of the round, whole; it leaves the worker's memory.
    rec.end_trace(trace_rel);
    let tail: Vec<&str> = stderr_text.lines().rev().take(10).collect();
    Ok(RoundResult {
        summary,
        exit_code,
        timed_out,
        stderr_tail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_json_points_at_the_proxy_with_a_placeholder_key() {
        let v = models_json("Qwen/Qwen3-Coder-Next:novita", "http://127.0.0.1:9/v1/");
        let p = &v["providers"]["huggingface"];
        assert_eq!(p["baseUrl"], "http://127.0.0.1:9/v1");
        assert_eq!(p["apiKey"], PLACEHOLDER_KEY);
        assert_eq!(p["models"][0]["id"], "Qwen/Qwen3-Coder-Next:novita");
        assert_eq!(p["compat"]["supportsDeveloperRole"], false);
    }

    #[test]
    fn arguments_use_json_mode_and_the_huggingface_provider() {
        let a = arguments("a/b", "RULES", "TASK");
        let pos = |s: &str| a.iter().position(|x| x == s).unwrap();
        assert_eq!(a[pos("--mode") + 1], "json");
        assert_eq!(a[pos("--provider") + 1], "huggingface");
        assert_eq!(a[pos("--model") + 1], "a/b");
        assert_eq!(a[pos("--append-system-prompt") + 1], "RULES");
        assert_eq!(a.last().unwrap(), "TASK");
        assert!(a.contains(&"--no-session".to_string()));
    }

    fn script(dir: &Path, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn recorder(dir: &Path) -> Recorder {
        let state = sf_core::record::RunState::new(
            sf_core::RunId::parse("r1").unwrap(),
            sf_core::RunKind::Build,
            "t",
        );
        Recorder::start(dir, state, None).unwrap().quiet()
    }

    #[tokio::test]
    async fn pi_is_installed_with_npm_when_missing() {
        let _serial = crate::process::tests::SERIAL.lock().await;
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        // A stand-in npm: records its arguments and "installs" pi under --prefix.
        script(
            &bin,
            "npm",
            &format!(
                "echo \"$@\" > {}/npm-args\nmkdir -p \"$3/node_modules/.bin\"\nprintf '#!/bin/sh\\n' > \"$3/node_modules/.bin/pi\"\nchmod +x \"$3/node_modules/.bin/pi\"",
                tmp.path().display()
            ),
        );
        let rec = recorder(&tmp.path().join("run"));
        let work = tmp.path().join("work");
        let found = locate_or_install(None, "0.73.1", &work, bin.as_os_str(), &rec)
            .await
            .unwrap();
        assert_eq!(found, work.join("pi-npm/node_modules/.bin/pi"));
        let args = std::fs::read_to_string(tmp.path().join("npm-args")).unwrap();
        assert!(
            args.starts_with("install --prefix ")
                && args
                    .trim_end()
                    .ends_with("@mariozechner/pi-coding-agent@0.73.1"),
            "{args}"
        );
        // Installed once; found again without npm.
        std::fs::remove_file(bin.join("npm")).unwrap();
        assert_eq!(
            locate_or_install(None, "0.73.1", &work, bin.as_os_str(), &rec)
                .await
                .unwrap(),
            found
        );
        // pi on PATH wins; an explicit SF_PI_BIN wins over both.
        script(&bin, "pi", "exit 0");
        assert_eq!(
            locate_or_install(None, "0.73.1", &work, bin.as_os_str(), &rec)
                .await
                .unwrap(),
            bin.join("pi")
        );
        let missing = locate_or_install(
            Some(Path::new("/no/pi")),
            "0.73.1",
            &work,
            bin.as_os_str(),
            &rec,
        )
        .await;
        assert!(missing.unwrap_err().contains("SF_PI_BIN"));
    }

    #[tokio::test]
    async fn without_pi_or_npm_the_reason_says_what_is_needed() {
        let tmp = tempfile::tempdir().unwrap();
        let rec = recorder(&tmp.path().join("run"));
        let e = locate_or_install(
            None,
            "0.73.1",
            &tmp.path().join("w"),
            tmp.path().as_os_str(),
            &rec,
        )
        .await
        .unwrap_err();
        assert!(
            e.contains("npm is not available") && e.contains("Node.js"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_failed_npm_install_is_reported() {
        let _serial = crate::process::tests::SERIAL.lock().await;
        let tmp = tempfile::tempdir().unwrap();
        script(
            tmp.path(),
            "npm",
            "echo 'npm ERR! 404 Not Found' >&2; exit 1",
        );
        let rec = recorder(&tmp.path().join("run"));
        let e = locate_or_install(
            None,
            "9.9.9",
            &tmp.path().join("w"),
            tmp.path().as_os_str(),
            &rec,
        )
        .await
        .unwrap_err();
        assert!(e.contains("9.9.9") && e.contains("404 Not Found"), "{e}");
    }

    #[test]
    fn agent_dir_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("agent");
        prepare_agent_dir(
            &dir,
            "a/b",
            "http://x/v1",
            Some(&json!({"retry": {"enabled": false}})),
        )
        .unwrap();
        let m: Value =
            serde_json::from_slice(&std::fs::read(dir.join("models.json")).unwrap()).unwrap();
        assert_eq!(m["providers"]["huggingface"]["baseUrl"], "http://x/v1");
        let s: Value =
            serde_json::from_slice(&std::fs::read(dir.join("settings.json")).unwrap()).unwrap();
        assert_eq!(s["retry"]["enabled"], false);
    }
}
