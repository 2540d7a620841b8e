//! Environment variables of a Space Factory job: the names the app writes (through
//! [`crate::jobspec`]) and the worker reads, and the way back from an environment to a typed
//! request.
//!
//! The user's token is never among them: it arrives as the job secret `HF_TOKEN`.

use serde_json::Value;
use thiserror::Error;

use crate::batch::{BatchId, BatchTag};
use crate::form::{
    ApiName, BuildRequest, PiModel, ValidateRequest, parse_live_timeout, parse_sleep_time,
    parse_test_args, parse_test_kwargs,
};
use crate::hardware::HardwareFlavor;
use crate::ids::{RunId, RunKind};
use crate::record::OutputType;
use crate::refs::{BucketRef, ModelRef, SpaceRef};
use crate::rules::ImplementationMode;

/// Run id.
pub const SF_RUN_ID: &str = "SF_RUN_ID";
/// `build` or `validate`.
pub const SF_RUN_KIND: &str = "SF_RUN_KIND";
/// Model to build from, `owner/name`.
pub const SF_MODEL_ID: &str = "SF_MODEL_ID";
/// Space to create or validate, `owner/name`.
pub const SF_TARGET_SPACE: &str = "SF_TARGET_SPACE";
/// Coding model for Pi, `owner/name[:provider]`.
pub const SF_PI_MODEL: &str = "SF_PI_MODEL";
/// `full-inference-gated`, `full-inference-attempt` or `safe-scaffold`.
pub const SF_IMPLEMENTATION_MODE: &str = "SF_IMPLEMENTATION_MODE";
/// Preferred Space hardware flavor.
pub const SF_PREFERRED_HARDWARE: &str = "SF_PREFERRED_HARDWARE";
/// `true` or `false`.
pub const SF_ALLOW_FIXED_GPU_FALLBACK: &str = "SF_ALLOW_FIXED_GPU_FALLBACK";
/// Fixed-GPU fallback flavor; set only when the fallback is allowed.
pub const SF_FALLBACK_HARDWARE: &str = "SF_FALLBACK_HARDWARE";
/// Sleep time of a paid-hardware Space, whole seconds (absent: one hour).
pub const SF_SPACE_SLEEP_S: &str = "SF_SPACE_SLEEP_S";
/// The batch a build belongs to (absent for a run launched alone).
pub const SF_BATCH_ID: &str = "SF_BATCH_ID";
/// The build's row in its batch (1-based), set with [`SF_BATCH_ID`].
pub const SF_BATCH_ROW: &str = "SF_BATCH_ROW";
/// Gradio endpoint to call, e.g. `/generate`.
pub const SF_API_NAME: &str = "SF_API_NAME";
/// Test args, a JSON list.
pub const SF_TEST_ARGS_JSON: &str = "SF_TEST_ARGS_JSON";
/// Test kwargs, a JSON object.
pub const SF_TEST_KWARGS_JSON: &str = "SF_TEST_KWARGS_JSON";
/// `image`, `video`, `audio`, `text` or `any`.
pub const SF_EXPECTED_OUTPUT: &str = "SF_EXPECTED_OUTPUT";
/// Live wait timeout in whole seconds.
pub const SF_LIVE_TIMEOUT_S: &str = "SF_LIVE_TIMEOUT_S";
/// Hub origin, e.g. `https://huggingface.co` (the local simulator's in tests).
pub const SF_HUB_URL: &str = "SF_HUB_URL";
/// OpenAI-compatible inference base URL, e.g. `https://router.huggingface.co/v1`.
pub const SF_INFERENCE_URL: &str = "SF_INFERENCE_URL";
/// Where the run bucket is mounted (`/output`).
pub const SF_OUTPUT_DIR: &str = "SF_OUTPUT_DIR";
/// Run bucket, `owner/name`.
pub const SF_BUCKET: &str = "SF_BUCKET";
/// Version of the Pi coding agent to install from npm.
pub const SF_PI_VERSION: &str = "SF_PI_VERSION";
/// Where the worker binary is downloaded from (only with [`crate::jobspec::WorkerSource::Url`]).
pub const SF_WORKER_URL: &str = "SF_WORKER_URL";
/// Where the worker binary is inside the job when it comes from the factory Space volume
/// (`/factory/<path>`); the job's shell script copies it from there.
pub const SF_WORKER_PATH: &str = "SF_WORKER_PATH";
/// The job secret holding the user's token.
pub const HF_TOKEN: &str = "HF_TOKEN";
/// Set by HF Jobs inside the container: the job id.
pub const JOB_ID: &str = "JOB_ID";

/// Why an environment does not describe a request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnvError {
    #[error(
        "The environment variable {name} is not set; the job was not launched by Space Factory or is incomplete."
    )]
    Missing { name: &'static str },
    #[error("The environment variable {name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
}

fn required(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<String, EnvError> {
    match get(name) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(EnvError::Missing { name }),
    }
}

fn parsed<T, E: ToString>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, EnvError> {
    let raw = required(get, name)?;
    parse(raw.trim()).map_err(|e| EnvError::Invalid {
        name,
        message: e.to_string(),
    })
}

fn check_kind(get: &impl Fn(&str) -> Option<String>, want: RunKind) -> Result<(), EnvError> {
    let kind = parsed(get, SF_RUN_KIND, |s| {
        RunKind::from_wire(s).ok_or("expected `build` or `validate`")
    })?;
    if kind == want {
        Ok(())
    } else {
        Err(EnvError::Invalid {
            name: SF_RUN_KIND,
            message: format!("expected `{want}`, found `{kind}`"),
        })
    }
}

impl BuildRequest {
    /// Reads a build request from the job environment (`get` is e.g. `|k| std::env::var(k).ok()`).
    pub fn from_env(get: &impl Fn(&str) -> Option<String>) -> Result<BuildRequest, EnvError> {
        check_kind(get, RunKind::Build)?;
        let allow = parsed(get, SF_ALLOW_FIXED_GPU_FALLBACK, |s| match s {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err("expected `true` or `false`"),
        })?;
        Ok(BuildRequest {
            run_id: parsed(get, SF_RUN_ID, RunId::parse)?,
            model: parsed(get, SF_MODEL_ID, ModelRef::parse)?,
            target_space: parsed(get, SF_TARGET_SPACE, SpaceRef::parse)?,
            pi_model: parsed(get, SF_PI_MODEL, PiModel::parse)?,
            implementation_mode: parsed(get, SF_IMPLEMENTATION_MODE, |s| {
                ImplementationMode::from_wire(s).ok_or("unknown implementation mode")
            })?,
            preferred_hardware: parsed(get, SF_PREFERRED_HARDWARE, HardwareFlavor::parse)?,
            allow_fixed_gpu_fallback: allow,
            fallback_hardware: if allow {
                Some(parsed(get, SF_FALLBACK_HARDWARE, HardwareFlavor::parse)?)
            } else {
                None
            },
            space_sleep_seconds: match get(SF_SPACE_SLEEP_S) {
                Some(v) if !v.trim().is_empty() => parsed(get, SF_SPACE_SLEEP_S, parse_sleep_time)?,
                _ => crate::hardware::DEFAULT_SLEEP_S,
            },
            bucket: parsed(get, SF_BUCKET, BucketRef::parse)?,
            batch: match get(SF_BATCH_ID) {
                Some(v) if !v.trim().is_empty() => Some(BatchTag {
                    id: parsed(get, SF_BATCH_ID, BatchId::parse)?,
                    row: parsed(get, SF_BATCH_ROW, |s| {
                        s.parse::<u32>()
                            .ok()
                            .filter(|n| *n >= 1)
                            .ok_or("expected the row number, 1 or more")
                    })?,
                }),
                _ => None,
            },
        })
    }

    /// The request's own environment variables (without the settings of [`WorkerSettings`]).
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (SF_RUN_ID, self.run_id.to_string()),
            (SF_RUN_KIND, RunKind::Build.as_str().to_string()),
            (SF_MODEL_ID, self.model.to_string()),
            (SF_TARGET_SPACE, self.target_space.to_string()),
            (SF_PI_MODEL, self.pi_model.to_string()),
            (
                SF_IMPLEMENTATION_MODE,
                self.implementation_mode.as_str().to_string(),
            ),
            (SF_PREFERRED_HARDWARE, self.preferred_hardware.to_string()),
            (
                SF_ALLOW_FIXED_GPU_FALLBACK,
                self.allow_fixed_gpu_fallback.to_string(),
            ),
            (SF_SPACE_SLEEP_S, self.space_sleep_seconds.to_string()),
            (SF_BUCKET, self.bucket.to_string()),
        ];
        if let (true, Some(f)) = (self.allow_fixed_gpu_fallback, &self.fallback_hardware) {
            env.push((SF_FALLBACK_HARDWARE, f.to_string()));
        }
        if let Some(b) = &self.batch {
            env.push((SF_BATCH_ID, b.id.to_string()));
            env.push((SF_BATCH_ROW, b.row.to_string()));
        }
        env
    }
}

impl ValidateRequest {
    /// Reads a validate request from the job environment.
    pub fn from_env(get: &impl Fn(&str) -> Option<String>) -> Result<ValidateRequest, EnvError> {
        check_kind(get, RunKind::Validate)?;
        Ok(ValidateRequest {
            run_id: parsed(get, SF_RUN_ID, RunId::parse)?,
            target_space: parsed(get, SF_TARGET_SPACE, SpaceRef::parse)?,
            api_name: parsed(get, SF_API_NAME, ApiName::parse)?,
            expected_output: parsed(get, SF_EXPECTED_OUTPUT, |s| {
                OutputType::from_wire(s).ok_or("unknown output type")
            })?,
            test_args: parsed(get, SF_TEST_ARGS_JSON, parse_test_args)?,
            test_kwargs: parsed(get, SF_TEST_KWARGS_JSON, parse_test_kwargs)?,
            live_timeout_seconds: parsed(get, SF_LIVE_TIMEOUT_S, parse_live_timeout)?,
            bucket: parsed(get, SF_BUCKET, BucketRef::parse)?,
        })
    }

    /// The request's own environment variables (without the settings of [`WorkerSettings`]).
    pub fn to_env(&self) -> Vec<(&'static str, String)> {
        vec![
            (SF_RUN_ID, self.run_id.to_string()),
            (SF_RUN_KIND, RunKind::Validate.as_str().to_string()),
            (SF_TARGET_SPACE, self.target_space.to_string()),
            (SF_API_NAME, self.api_name.to_string()),
            (
                SF_TEST_ARGS_JSON,
                Value::Array(self.test_args.clone()).to_string(),
            ),
            (
                SF_TEST_KWARGS_JSON,
                Value::Object(self.test_kwargs.clone()).to_string(),
            ),
            (
                SF_EXPECTED_OUTPUT,
                self.expected_output.as_str().to_string(),
            ),
            (SF_LIVE_TIMEOUT_S, self.live_timeout_seconds.to_string()),
            (SF_BUCKET, self.bucket.to_string()),
        ]
    }
}

/// Either request, chosen by `SF_RUN_KIND`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunRequest {
    Build(BuildRequest),
    Validate(ValidateRequest),
}

impl RunRequest {
    pub fn from_env(get: &impl Fn(&str) -> Option<String>) -> Result<RunRequest, EnvError> {
        let kind = parsed(get, SF_RUN_KIND, |s| {
            RunKind::from_wire(s).ok_or("expected `build` or `validate`")
        })?;
        match kind {
            RunKind::Build => BuildRequest::from_env(get).map(RunRequest::Build),
            RunKind::Validate => ValidateRequest::from_env(get).map(RunRequest::Validate),
        }
    }

    pub fn run_id(&self) -> &RunId {
        match self {
            RunRequest::Build(r) => &r.run_id,
            RunRequest::Validate(r) => &r.run_id,
        }
    }

    pub fn kind(&self) -> RunKind {
        match self {
            RunRequest::Build(_) => RunKind::Build,
            RunRequest::Validate(_) => RunKind::Validate,
        }
    }
}

/// The settings every job carries besides the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerSettings {
    pub hub_url: String,
    pub inference_url: String,
    pub output_dir: String,
    pub pi_version: String,
}

impl WorkerSettings {
    pub fn from_env(get: &impl Fn(&str) -> Option<String>) -> Result<WorkerSettings, EnvError> {
        Ok(WorkerSettings {
            hub_url: required(get, SF_HUB_URL)?
                .trim()
                .trim_end_matches('/')
                .to_string(),
            inference_url: required(get, SF_INFERENCE_URL)?
                .trim()
                .trim_end_matches('/')
                .to_string(),
            output_dir: required(get, SF_OUTPUT_DIR)?.trim().to_string(),
            pi_version: required(get, SF_PI_VERSION)?.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::{BuildForm, LaunchContext, ValidateForm};
    use std::collections::HashMap;

    const CTX: LaunchContext<'static> = LaunchContext {
        namespace: "alice",
        unix_seconds: 0,
        random: 1,
    };

    fn getter(env: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> =
            env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn build_round_trip() {
        for allow in [true, false] {
            let req = BuildForm {
                target_space_name: "app".into(),
                allow_fixed_gpu_fallback: allow,
                pi_model: "a/b:novita".into(),
                ..BuildForm::default()
            }
            .validate(&CTX)
            .unwrap();
            let env = req.to_env();
            assert_eq!(env.iter().any(|(k, _)| *k == SF_FALLBACK_HARDWARE), allow);
            assert_eq!(BuildRequest::from_env(&getter(env.clone())).unwrap(), req);
            // An environment without the sleep time (an older app) reads as one hour; a bad
            // one is refused.
            let without: Vec<_> = env
                .iter()
                .filter(|(k, _)| *k != SF_SPACE_SLEEP_S)
                .cloned()
                .collect();
            assert_eq!(
                BuildRequest::from_env(&getter(without))
                    .unwrap()
                    .space_sleep_seconds,
                3600
            );
            let mut bad = env.clone();
            bad.push((SF_SPACE_SLEEP_S, "-1".into()));
            bad.retain(|(k, v)| *k != SF_SPACE_SLEEP_S || v == "-1");
            assert!(matches!(
                BuildRequest::from_env(&getter(bad)),
                Err(EnvError::Invalid {
                    name: SF_SPACE_SLEEP_S,
                    ..
                })
            ));
            assert_eq!(
                RunRequest::from_env(&getter(env)).unwrap(),
                RunRequest::Build(req)
            );
        }
    }

    #[test]
    fn a_batch_build_carries_its_batch_and_row_through_the_environment() {
        let mut req = BuildForm {
            target_space_name: "app".into(),
            ..BuildForm::default()
        }
        .validate(&CTX)
        .unwrap();
        req.batch = Some(BatchTag {
            id: BatchId::parse("batch-20261130-080000-abcdef").unwrap(),
            row: 3,
        });
        let env = req.to_env();
        assert_eq!(BuildRequest::from_env(&getter(env.clone())).unwrap(), req);
        // request.json keeps it; one written without it reads as a run launched alone.
        let json = serde_json::to_value(&req).unwrap();
        assert_eq!(json["batch"]["id"], "batch-20261130-080000-abcdef");
        assert_eq!(json["batch"]["row"], 3);
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("batch");
        assert_eq!(
            serde_json::from_value::<BuildRequest>(old).unwrap().batch,
            None
        );
        let mut bad = env.clone();
        bad.retain(|(k, _)| *k != SF_BATCH_ROW);
        bad.push((SF_BATCH_ROW, "0".into()));
        assert!(matches!(
            BuildRequest::from_env(&getter(bad)),
            Err(EnvError::Invalid {
                name: SF_BATCH_ROW,
                ..
            })
        ));
    }

    #[test]
    fn validate_round_trip() {
        let req = ValidateForm {
            target_space: "alice/app".into(),
            test_args_json: "[\"x\", 1, {\"a\": [true]}]".into(),
            test_kwargs_json: "{\"seed\": 7}".into(),
            ..ValidateForm::default()
        }
        .validate(&CTX)
        .unwrap();
        let env = req.to_env();
        assert_eq!(
            ValidateRequest::from_env(&getter(env.clone())).unwrap(),
            req
        );
        let back = RunRequest::from_env(&getter(env)).unwrap();
        assert_eq!(
            (back.kind(), back.run_id()),
            (RunKind::Validate, &req.run_id)
        );
    }

    #[test]
    fn env_errors() {
        let req = ValidateForm {
            target_space: "alice/app".into(),
            ..ValidateForm::default()
        }
        .validate(&CTX)
        .unwrap();
        let mut env = req.to_env();
        env.retain(|(k, _)| *k != SF_API_NAME);
        assert_eq!(
            ValidateRequest::from_env(&getter(env.clone())),
            Err(EnvError::Missing { name: SF_API_NAME })
        );
        assert!(matches!(
            BuildRequest::from_env(&getter(env)),
            Err(EnvError::Invalid {
                name: SF_RUN_KIND,
                ..
            })
        ));
        let mut env = req.to_env();
        env.retain(|(k, _)| *k != SF_LIVE_TIMEOUT_S);
        env.push((SF_LIVE_TIMEOUT_S, "5".into()));
        let e = ValidateRequest::from_env(&getter(env)).unwrap_err();
        assert!(
            matches!(
                e,
                EnvError::Invalid {
                    name: SF_LIVE_TIMEOUT_S,
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            RunRequest::from_env(&getter(vec![]))
                .unwrap_err()
                .to_string()
                .contains("SF_RUN_KIND")
        );
    }

    #[test]
    fn worker_settings() {
        let get = getter(vec![
            (SF_HUB_URL, "http://127.0.0.1:9000/".into()),
            (SF_INFERENCE_URL, "http://127.0.0.1:9000/v1".into()),
            (SF_OUTPUT_DIR, "/output".into()),
            (SF_PI_VERSION, "0.73.1".into()),
        ]);
        let s = WorkerSettings::from_env(&get).unwrap();
        assert_eq!(s.hub_url, "http://127.0.0.1:9000");
        assert_eq!(
            WorkerSettings::from_env(&getter(vec![])),
            Err(EnvError::Missing { name: SF_HUB_URL })
        );
    }
}
