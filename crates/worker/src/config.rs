//! The worker's settings: the job contract read through `sf_core::env`, plus the worker's own
//! tunables (all optional, with production defaults; tests shorten them).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use sf_core::env::{EnvError, HF_TOKEN, JOB_ID, WorkerSettings};
use sf_core::jobspec::{BUILD_TIMEOUT_S, VALIDATE_MARGIN_S};
use sf_core::{RunId, RunKind};

/// Folder for the agent's workspace, Pi's config directory and an npm install of Pi
/// (default: `<temp dir>/space-factory-<run id>`).
pub const SF_WORK_DIR: &str = "SF_WORK_DIR";
/// Python used for `py_compile` (default `python3`).
pub const SF_PYTHON: &str = "SF_PYTHON";
/// The `pi` executable to use instead of looking on `PATH` or installing it with npm.
pub const SF_PI_BIN: &str = "SF_PI_BIN";
/// A JSON object written as Pi's `settings.json` (e.g. to turn Pi's retries off).
pub const SF_PI_SETTINGS_JSON: &str = "SF_PI_SETTINGS_JSON";
/// Wall-clock limit of one agent round, seconds (default 1800).
pub const SF_AGENT_TIMEOUT_S: &str = "SF_AGENT_TIMEOUT_S";
/// Repair rounds after a failed Space start (default 2).
pub const SF_REPAIR_ROUNDS: &str = "SF_REPAIR_ROUNDS";
/// How long to wait for the Space to run, seconds (default: 1800 for a build, the live
/// timeout for a validation).
pub const SF_SPACE_WAIT_S: &str = "SF_SPACE_WAIT_S";
/// How long a build of a gated or private model waits for the person to add the secret
/// `HF_TOKEN` to the new Space, seconds (default 600; 0: do not wait).
pub const SF_SECRET_WAIT_S: &str = "SF_SECRET_WAIT_S";
/// Limit of one generation call (request and event stream), seconds (default 600).
pub const SF_CALL_TIMEOUT_S: &str = "SF_CALL_TIMEOUT_S";
/// Interval between Space status checks, milliseconds (default 5000).
pub const SF_POLL_INTERVAL_MS: &str = "SF_POLL_INTERVAL_MS";
/// The worker's own time limit, seconds (default: the job's timeout minus 2 minutes, so the
/// final state is written before the job is stopped).
pub const SF_RUN_LIMIT_S: &str = "SF_RUN_LIMIT_S";

/// Margin kept between the worker's own limit and the job's timeout.
pub const FINAL_MARGIN_S: u64 = 120;

/// Everything a run needs besides its request.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub settings: WorkerSettings,
    /// The user's token (job secret `HF_TOKEN`).
    pub token: String,
    pub job_id: Option<String>,
    pub work_dir: PathBuf,
    pub python: String,
    pub pi_bin: Option<PathBuf>,
    pub pi_settings: Option<Value>,
    pub agent_timeout: Duration,
    pub repair_rounds: u32,
    /// `None`: the default of the run kind.
    pub space_wait: Option<Duration>,
    /// How long to wait for the Space's `HF_TOKEN` secret (gated or private models).
    pub secret_wait: Duration,
    pub call_timeout: Duration,
    pub poll_interval: Duration,
    pub run_limit: Duration,
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, EnvError> {
    match get(name).map(|v| v.trim().to_string()) {
        None => Ok(default),
        Some(v) if v.is_empty() => Ok(default),
        Some(v) => v.parse::<u64>().map_err(|_| EnvError::Invalid {
            name,
            message: format!("expected a whole number, found `{v}`"),
        }),
    }
}

/// The job's timeout for a run of `kind` (see `sf_core::jobspec`).
pub fn job_timeout(kind: RunKind, live_timeout_s: u32) -> Duration {
    Duration::from_secs(u64::from(match kind {
        RunKind::Build => BUILD_TIMEOUT_S,
        RunKind::Validate => live_timeout_s.saturating_add(VALIDATE_MARGIN_S),
    }))
}

impl WorkerConfig {
    /// Reads the settings; `job_timeout` is the job's own timeout, from which the default
    /// limit of the worker is derived.
    pub fn from_env(
        get: &impl Fn(&str) -> Option<String>,
        run_id: &RunId,
        job_timeout: Duration,
    ) -> Result<WorkerConfig, EnvError> {
        let settings = WorkerSettings::from_env(get)?;
        let token = get(HF_TOKEN)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or(EnvError::Missing { name: HF_TOKEN })?;
        let pi_settings = match get(SF_PI_SETTINGS_JSON).filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => {
                    return Err(EnvError::Invalid {
                        name: SF_PI_SETTINGS_JSON,
                        message: "expected a JSON object".to_string(),
                    });
                }
            },
        };
        let default_limit = job_timeout.as_secs().saturating_sub(FINAL_MARGIN_S).max(60);
        Ok(WorkerConfig {
            settings,
            token,
            job_id: get(JOB_ID).filter(|j| !j.trim().is_empty()),
            work_dir: get(SF_WORK_DIR)
                .filter(|d| !d.trim().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| std::env::temp_dir().join(format!("space-factory-{run_id}"))),
            python: get(SF_PYTHON)
                .filter(|p| !p.trim().is_empty())
                .unwrap_or_else(|| "python3".to_string()),
            pi_bin: get(SF_PI_BIN)
                .filter(|p| !p.trim().is_empty())
                .map(PathBuf::from),
            pi_settings,
            agent_timeout: Duration::from_secs(number(get, SF_AGENT_TIMEOUT_S, 1800)?),
            repair_rounds: number(get, SF_REPAIR_ROUNDS, 2)?.min(10) as u32,
            space_wait: match get(SF_SPACE_WAIT_S).filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(_) => Some(Duration::from_secs(number(get, SF_SPACE_WAIT_S, 0)?)),
            },
            secret_wait: Duration::from_secs(number(get, SF_SECRET_WAIT_S, 600)?),
            call_timeout: Duration::from_secs(number(get, SF_CALL_TIMEOUT_S, 600)?),
            poll_interval: Duration::from_millis(number(get, SF_POLL_INTERVAL_MS, 5000)?.max(10)),
            run_limit: Duration::from_secs(number(get, SF_RUN_LIMIT_S, default_limit)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::env::{SF_HUB_URL, SF_INFERENCE_URL, SF_OUTPUT_DIR, SF_PI_VERSION};
    use std::collections::HashMap;

    fn getter(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        (SF_HUB_URL, "http://127.0.0.1:1"),
        (SF_INFERENCE_URL, "http://127.0.0.1:2/v1"),
        (SF_OUTPUT_DIR, "/output"),
        (SF_PI_VERSION, "0.73.1"),
        (HF_TOKEN, "hf_abcdefghijklmnop"),
    ];

    #[test]
    fn defaults() {
        let id = RunId::parse("r1").unwrap();
        let c = WorkerConfig::from_env(&getter(BASE), &id, job_timeout(RunKind::Build, 0)).unwrap();
        assert_eq!(c.repair_rounds, 2);
        assert_eq!(c.run_limit, Duration::from_secs(3 * 3600 - 120));
        assert_eq!(c.python, "python3");
        assert_eq!(c.space_wait, None);
        assert_eq!(c.secret_wait, Duration::from_secs(600));
        assert!(c.work_dir.ends_with("space-factory-r1"));
        let v = job_timeout(RunKind::Validate, 600);
        assert_eq!(v, Duration::from_secs(600 + 900));
    }

    #[test]
    fn overrides_and_errors() {
        let id = RunId::parse("r1").unwrap();
        let mut pairs = BASE.to_vec();
        pairs.push((SF_REPAIR_ROUNDS, "1"));
        pairs.push((SF_PI_SETTINGS_JSON, r#"{"retry":{"enabled":false}}"#));
        pairs.push((SF_POLL_INTERVAL_MS, "50"));
        pairs.push((SF_SPACE_WAIT_S, "3"));
        pairs.push((SF_SECRET_WAIT_S, "0"));
        let c = WorkerConfig::from_env(&getter(&pairs), &id, Duration::from_secs(600)).unwrap();
        assert_eq!(c.repair_rounds, 1);
        assert_eq!(c.poll_interval, Duration::from_millis(50));
        assert_eq!(c.space_wait, Some(Duration::from_secs(3)));
        assert_eq!(c.secret_wait, Duration::ZERO);
        assert_eq!(c.pi_settings.unwrap()["retry"]["enabled"], false);
        pairs.push((SF_AGENT_TIMEOUT_S, "soon"));
        let e = WorkerConfig::from_env(&getter(&pairs), &id, Duration::from_secs(600)).unwrap_err();
        assert!(e.to_string().contains(SF_AGENT_TIMEOUT_S), "{e}");
        let no_token: Vec<_> = BASE
            .iter()
            .filter(|(k, _)| *k != HF_TOKEN)
            .copied()
            .collect();
        assert_eq!(
            WorkerConfig::from_env(&getter(&no_token), &id, Duration::from_secs(600)).unwrap_err(),
            EnvError::Missing { name: HF_TOKEN }
        );
    }
}
