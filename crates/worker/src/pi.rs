//! Running the Pi coding agent: finding or installing the pinned CLI, its config directory inside
//! the job (`PI_CODING_AGENT_DIR`, with `models.json` routing the `huggingface` provider to
//! `SF_INFERENCE_URL` when that is not the default router), and one round in `--mode json` with
//! stdin closed and a wall-clock limit (SIGTERM, then SIGKILL).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use sf_core::jobspec::DEFAULT_INFERENCE_URL;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::Command;

use crate::pi_events::{AgentSummary, keep_in_trace};
use crate::process::{GroupChild, find_in, run_captured};
use crate::record::Recorder;

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
    cmd.args([
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

/// The API key Pi gets for a model endpoint that is not Hugging Face's (never the token).
pub const NO_TOKEN_KEY: &str = "space-factory-no-token";

/// `models.json` for Pi: the coding model declared on the built-in `huggingface` provider (so
/// any `owner/name[:provider]` resolves exactly, never to a look-alike), and the provider's base
/// URL set to `inference_url` when it is not the default router.
pub fn models_json(pi_model: &str, inference_url: &str) -> Value {
    let mut provider = json!({
        "compat": {"supportsDeveloperRole": false},
        "models": [{
            "id": pi_model,
            "name": pi_model,
            "reasoning": false,
            "input": ["text"],
            "contextWindow": 131072,
            "maxTokens": 32768,
        }],
    });
    let url = inference_url.trim_end_matches('/');
    if url != DEFAULT_INFERENCE_URL {
        provider["baseUrl"] = json!(url);
    }
    json!({ "providers": { "huggingface": provider } })
}

/// Writes Pi's config directory: `models.json`, and `settings.json` when given.
pub fn prepare_agent_dir(
    dir: &Path,
    pi_model: &str,
    inference_url: &str,
    settings: Option<&Value>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("models.json"),
        serde_json::to_vec_pretty(&models_json(pi_model, inference_url))?,
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
    pub token: String,
    pub timeout: Duration,
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
    std::fs::create_dir_all(&agent.home)
        .map_err(|e| format!("Could not prepare the agent's home folder: {e}."))?;
    // The round is a long wait: everything recorded so far goes to the bucket first.
    rec.flush();
    let mut cmd = Command::new(&agent.bin);
    cmd.args(arguments(&agent.model, rules, task))
        .current_dir(&agent.workspace)
        .env("HF_TOKEN", &agent.token)
        .env("PI_CODING_AGENT_DIR", &agent.agent_dir)
        .env("PI_OFFLINE", "1")
        .env("HOME", &agent.home)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
    fn models_json_reroutes_only_when_needed() {
        let v = models_json(
            "Qwen/Qwen3-Coder-Next:novita",
            "https://router.huggingface.co/v1/",
        );
        let p = &v["providers"]["huggingface"];
        assert!(p.get("baseUrl").is_none());
        assert_eq!(p["models"][0]["id"], "Qwen/Qwen3-Coder-Next:novita");
        assert_eq!(p["compat"]["supportsDeveloperRole"], false);
        let v = models_json("a/b", "http://127.0.0.1:9/v1");
        assert_eq!(
            v["providers"]["huggingface"]["baseUrl"],
            "http://127.0.0.1:9/v1"
        );
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
