//! The Hub's job-creation body (`POST /api/jobs/{namespace}`) for a Build or a Validate run: a
//! typed [`JobSpec`] (huggingface.js's `CreateJobOptions`), serialized with the Hub's field names.
//!
//! * `dockerImage`: [`JobSpecConfig::image`] (default `node:22-bookworm`: Pi is an npm package);
//! * `command`: `sh -c <script>`; the script copies the worker binary to a fresh temp file, makes it
//!   executable and `exec`s it with `build` or `validate`. Where the binary comes from is
//!   [`WorkerSource`]: the factory Space mounted read-only at `/factory` (the file's path is in
//!   `SF_WORKER_PATH`, so it is data rather than shell text), or a URL given in
//!   `SF_WORKER_URL` (downloaded with curl; `Authorization: Bearer $HF_TOKEN` is sent, read from the
//!   environment at run time, only when the URL is on the configured Hub);
//! * `arguments`: `[]`; `environment`: the request (see [`crate::env`]) plus `SF_HUB_URL`,
//!   `SF_INFERENCE_URL`, `SF_OUTPUT_DIR`, `SF_PI_VERSION` (and `SF_WORKER_PATH` or `SF_WORKER_URL`);
//! * `secrets`: `{"HF_TOKEN": token}` — the only place the token appears;
//! * `flavor`: `cpu-basic`; `timeoutSeconds`: [`BUILD_TIMEOUT_S`] for a build, the live timeout
//!   plus [`VALIDATE_MARGIN_S`] for a validation;
//! * `labels`: `{"space-factory": kind, "run-id": id}`;
//! * `volumes`: the run bucket read-write at `/output`, and for [`WorkerSource::SpaceVolume`] the
//!   factory Space read-only at `/factory`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::env;
use crate::form::{BuildRequest, ValidateRequest};
use crate::ids::{RunId, RunKind};
use crate::refs::{BucketRef, SpaceRef};

pub const DEFAULT_IMAGE: &str = "node:22-bookworm";
pub const DEFAULT_PI_VERSION: &str = "0.73.1";
pub const DEFAULT_HUB_URL: &str = "https://huggingface.co";
pub const DEFAULT_INFERENCE_URL: &str = "https://router.huggingface.co/v1";
/// The worker needs no GPU.
pub const JOB_FLAVOR: &str = "cpu-basic";
/// Mount point of the run bucket.
pub const OUTPUT_MOUNT: &str = "/output";
/// Mount point of the factory Space (for [`WorkerSource::SpaceVolume`]).
pub const FACTORY_MOUNT: &str = "/factory";
/// A build gets three hours.
pub const BUILD_TIMEOUT_S: u32 = 3 * 3600;
/// A validation gets its live timeout plus this margin.
pub const VALIDATE_MARGIN_S: u32 = 15 * 60;
/// Label keys.
pub const LABEL_KIND: &str = "space-factory";
pub const LABEL_RUN_ID: &str = "run-id";
/// A batch's runs also carry `batch-id=<id>` ([`crate::batch::LABEL_BATCH_ID`]).
pub use crate::batch::LABEL_BATCH_ID;

/// How the worker binary reaches the job container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkerSource {
    /// The factory Space (which hosts the app) mounted read-only at `/factory`; `path` is the
    /// binary's path inside the Space repo, e.g. `worker/space-factory-worker`.
    SpaceVolume { space: SpaceRef, path: String },
    /// Downloaded from `url` (e.g. the factory Space's `resolve/main/...` URL).
    Url { url: String },
}

/// Job settings that do not come from the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpecConfig {
    pub image: String,
    pub worker: WorkerSource,
    /// Hub origin without trailing `/`.
    pub hub_url: String,
    pub inference_url: String,
    pub pi_version: String,
}

impl JobSpecConfig {
    /// Defaults for huggingface.co with the given worker source.
    pub fn new(worker: WorkerSource) -> JobSpecConfig {
        JobSpecConfig {
            image: DEFAULT_IMAGE.to_string(),
            worker,
            hub_url: DEFAULT_HUB_URL.to_string(),
            inference_url: DEFAULT_INFERENCE_URL.to_string(),
            pi_version: DEFAULT_PI_VERSION.to_string(),
        }
    }
}

/// Whether `url` is on the Hub at `hub_url` (same scheme, host and port), so it may receive the token.
fn is_on_hub(url: &str, hub_url: &str) -> bool {
    let hub = hub_url.trim_end_matches('/');
    url.len() > hub.len()
        && url[..hub.len()].eq_ignore_ascii_case(hub)
        && url.as_bytes()[hub.len()] == b'/'
}

/// Whether the coding agent's model endpoint may receive the person's token (the worker's model
/// proxy adds it; the agent never holds it): only when the endpoint is Hugging Face's Inference
/// Providers router ([`DEFAULT_INFERENCE_URL`]) or on the Hub itself. Any other endpoint (a self-hosted server) gets no token.
pub fn inference_gets_token(inference_url: &str, hub_url: &str) -> bool {
    let url = format!("{}/", inference_url.trim_end_matches('/'));
    is_on_hub(&url, ROUTER_ORIGIN) || is_on_hub(&url, hub_url)
}

/// The origin of Hugging Face's Inference Providers router.
const ROUTER_ORIGIN: &str = "https://router.huggingface.co";

/// The `sh -c` script that fetches and starts the worker.
pub fn worker_script(kind: RunKind, cfg: &JobSpecConfig) -> String {
    let fetch = match &cfg.worker {
        // The path travels in the environment: it is data, not shell text, and a local
        // stand-in for the Hub can map the mount to a folder by rewriting the variable.
        WorkerSource::SpaceVolume { .. } => format!("cp \"${}\" \"$bin\"", env::SF_WORKER_PATH),
        WorkerSource::Url { url } => {
            let auth = if is_on_hub(url, &cfg.hub_url) {
                " -H \"Authorization: Bearer $HF_TOKEN\""
            } else {
                ""
            };
            format!(
                "curl -fsSL --retry 3{auth} -o \"$bin\" \"${}\"",
                env::SF_WORKER_URL
            )
        }
    };
    format!(
        "set -eu\nbin=\"$(mktemp /tmp/space-factory-worker.XXXXXX)\"\n{fetch}\nchmod 0755 \"$bin\"\nexec \"$bin\" {}\n",
        kind.as_str()
    )
}

/// The job labels of a run: `{"space-factory": kind, "run-id": id}`.
pub fn labels(kind: RunKind, run_id: &RunId) -> BTreeMap<String, String> {
    // Inserted, not `BTreeMap::from([..])`, which sorts the array with a sort of its own (issue 13).
    let mut labels = BTreeMap::new();
    labels.insert(LABEL_KIND.to_owned(), kind.as_str().to_owned());
    labels.insert(LABEL_RUN_ID.to_owned(), run_id.as_str().to_owned());
    labels
}

/// The `label` query value that finds a run's job when listing jobs (`run-id=<id>`).
pub fn run_label_filter(run_id: &RunId) -> String {
    format!("{LABEL_RUN_ID}={run_id}")
}

/// The body of `POST /api/jobs/{namespace}`: huggingface.js's `CreateJobOptions`, field for
/// field (`dockerImage`, `command`, `arguments`, `environment`, `secrets`, `flavor`,
/// `timeoutSeconds`, `labels`, `volumes`). `Debug` shows the secrets' names, never their values.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobSpec {
    pub docker_image: String,
    pub command: Vec<String>,
    pub arguments: Vec<String>,
    pub environment: BTreeMap<String, String>,
    /// Values the Hub keeps secret (the token); omitted when there are none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, String>,
    /// A hardware flavor name, e.g. [`JOB_FLAVOR`].
    pub flavor: String,
    pub timeout_seconds: u32,
    pub labels: BTreeMap<String, String>,
    /// Omitted when there are none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<JobVolume>,
}

impl JobSpec {
    /// A job running `command` on `image` ([`JOB_FLAVOR`], no arguments, environment, secrets,
    /// labels or volumes yet), for `timeout_seconds`.
    pub fn new(image: &str, command: Vec<String>, timeout_seconds: u32) -> JobSpec {
        JobSpec {
            docker_image: image.to_owned(),
            command,
            arguments: Vec::new(),
            environment: BTreeMap::new(),
            secrets: BTreeMap::new(),
            flavor: JOB_FLAVOR.to_owned(),
            timeout_seconds,
            labels: BTreeMap::new(),
            volumes: Vec::new(),
        }
    }

    /// The value of one label, if the spec has it.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

impl fmt::Debug for JobSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets: BTreeMap<&str, &str> = self
            .secrets
            .keys()
            .map(|k| (k.as_str(), crate::REDACTED))
            .collect();
        f.debug_struct("JobSpec")
            .field("docker_image", &self.docker_image)
            .field("command", &self.command)
            .field("arguments", &self.arguments)
            .field("environment", &self.environment)
            .field("secrets", &secrets)
            .field("flavor", &self.flavor)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("labels", &self.labels)
            .field("volumes", &self.volumes)
            .finish()
    }
}

/// What a job volume mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VolumeKind {
    Bucket,
    Space,
}

/// One entry of a job's `volumes`: `{"type", "source", "mountPath", "readOnly"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobVolume {
    #[serde(rename = "type")]
    pub kind: VolumeKind,
    /// `owner/name` of the bucket or Space.
    pub source: String,
    pub mount_path: String,
    pub read_only: bool,
}

fn job_body(
    kind: RunKind,
    run_id: &RunId,
    request_env: Vec<(&'static str, String)>,
    bucket: &BucketRef,
    timeout_seconds: u32,
    token: &str,
    cfg: &JobSpecConfig,
) -> JobSpec {
    // Inserted one by one rather than collected: `collect` sorts the pairs first, with a copy of
    // the standard sort of its own in the wasm (issue 13). A repeated name keeps its last value
    // either way.
    let mut environment: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in request_env {
        environment.insert(k.to_owned(), v);
    }
    for (k, v) in [
        (env::SF_HUB_URL, cfg.hub_url.trim_end_matches('/')),
        (env::SF_INFERENCE_URL, cfg.inference_url.as_str()),
        (env::SF_OUTPUT_DIR, OUTPUT_MOUNT),
        (env::SF_PI_VERSION, cfg.pi_version.as_str()),
    ] {
        environment.insert(k.to_owned(), v.to_owned());
    }
    let mut volumes = vec![JobVolume {
        kind: VolumeKind::Bucket,
        source: bucket.id(),
        mount_path: OUTPUT_MOUNT.to_owned(),
        read_only: false,
    }];
    match &cfg.worker {
        WorkerSource::SpaceVolume { space, path } => {
            volumes.push(JobVolume {
                kind: VolumeKind::Space,
                source: space.id(),
                mount_path: FACTORY_MOUNT.to_owned(),
                read_only: true,
            });
            environment.insert(
                env::SF_WORKER_PATH.to_owned(),
                format!("{FACTORY_MOUNT}/{}", path.trim_start_matches('/')),
            );
        }
        WorkerSource::Url { url } => {
            environment.insert(env::SF_WORKER_URL.to_owned(), url.clone());
        }
    }
    let command = vec!["sh".to_owned(), "-c".to_owned(), worker_script(kind, cfg)];
    let mut secrets = BTreeMap::new();
    secrets.insert(env::HF_TOKEN.to_owned(), token.to_owned());
    JobSpec {
        environment,
        secrets,
        labels: labels(kind, run_id),
        volumes,
        ..JobSpec::new(&cfg.image, command, timeout_seconds)
    }
}

/// The job's time limit (`timeoutSeconds`) of a run: [`BUILD_TIMEOUT_S`] for a build, the live
/// timeout plus [`VALIDATE_MARGIN_S`] for a validation.
pub fn time_limit_s(kind: RunKind, live_timeout_s: u32) -> u32 {
    match kind {
        RunKind::Build => BUILD_TIMEOUT_S,
        RunKind::Validate => live_timeout_s.saturating_add(VALIDATE_MARGIN_S),
    }
}

/// A duration as a person reads it: `90 s`, `25 min`, `3 h`, `3 h 5 min`.
pub fn describe_seconds(s: u64) -> String {
    if s < 120 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s % 3600 / 60 == 0 {
        format!("{} h", s / 3600)
    } else {
        format!("{} h {} min", s / 3600, s % 3600 / 60)
    }
}

/// Whether a sign-in that ends in `sign_in_left_s` seconds outlives a run of `kind` with the job
/// time limit `time_limit_s`. The job acts with the person's token for its whole run, so a run
/// that may outlast the sign-in can die half-way with 401s; `Err` is the sentence that says so,
/// e.g. "Your sign-in ends in 25 min; a build can take up to 3 h."
pub fn sign_in_outlives_run(
    kind: RunKind,
    sign_in_left_s: u64,
    time_limit_s: u32,
) -> Result<(), String> {
    if sign_in_left_s >= u64::from(time_limit_s) {
        return Ok(());
    }
    let left = if sign_in_left_s < 60 {
        "less than a minute".to_string()
    } else {
        describe_seconds(sign_in_left_s)
    };
    let run = match kind {
        RunKind::Build => "a build",
        RunKind::Validate => "a validation",
    };
    Err(format!(
        "Your sign-in ends in {left}; {run} can take up to {}.",
        describe_seconds(u64::from(time_limit_s))
    ))
}

/// The job-creation body for a build.
/// A build of a batch is also labelled `batch-id=<id>`, so that the batch page finds its jobs.
pub fn build_job(req: &BuildRequest, token: &str, cfg: &JobSpecConfig) -> JobSpec {
    let mut spec = job_body(
        RunKind::Build,
        &req.run_id,
        req.to_env(),
        &req.bucket,
        time_limit_s(RunKind::Build, 0),
        token,
        cfg,
    );
    if let Some(b) = &req.batch {
        spec.labels
            .insert(LABEL_BATCH_ID.to_owned(), b.id.as_str().to_owned());
    }
    spec
}

/// The job-creation body for a validation.
pub fn validate_job(req: &ValidateRequest, token: &str, cfg: &JobSpecConfig) -> JobSpec {
    let timeout = time_limit_s(RunKind::Validate, req.live_timeout_seconds);
    job_body(
        RunKind::Validate,
        &req.run_id,
        req.to_env(),
        &req.bucket,
        timeout,
        token,
        cfg,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_sign_in_shorter_than_the_run_is_named_with_both_durations() {
        use super::{describe_seconds, sign_in_outlives_run, time_limit_s};
        use crate::ids::RunKind;
        let build = time_limit_s(RunKind::Build, 0);
        assert_eq!(build, 3 * 3600);
        assert_eq!(
            sign_in_outlives_run(RunKind::Build, 25 * 60 + 30, build),
            Err("Your sign-in ends in 25 min; a build can take up to 3 h.".to_string())
        );
        assert_eq!(
            sign_in_outlives_run(RunKind::Build, 8 * 3600, build),
            Ok(())
        );
        assert_eq!(
            sign_in_outlives_run(RunKind::Build, 3 * 3600, build),
            Ok(())
        );
        assert_eq!(
            sign_in_outlives_run(RunKind::Build, 3 * 3600 - 1, build),
            Err("Your sign-in ends in 2 h 59 min; a build can take up to 3 h.".to_string())
        );
        assert_eq!(
            sign_in_outlives_run(RunKind::Build, 10, build),
            Err("Your sign-in ends in less than a minute; a build can take up to 3 h.".to_string())
        );
        let validate = time_limit_s(RunKind::Validate, 1800);
        assert_eq!(validate, 1800 + 15 * 60);
        assert_eq!(
            sign_in_outlives_run(RunKind::Validate, 40 * 60, validate),
            Err("Your sign-in ends in 40 min; a validation can take up to 45 min.".to_string())
        );
        assert_eq!(
            sign_in_outlives_run(RunKind::Validate, 3600, validate),
            Ok(())
        );
        assert_eq!(describe_seconds(90), "90 s");
        assert_eq!(describe_seconds(3 * 3600 + 300), "3 h 5 min");
    }

    use super::*;
    use crate::form::{BuildForm, LaunchContext, ValidateForm};
    use serde_json::{Map, Value, json};

    const TOKEN: &str = "hf_GoldenTestToken0123456789abcdefXYZ";
    const CTX: LaunchContext<'static> = LaunchContext {
        namespace: "alice",
        unix_seconds: 1_795_875_901,
        random: 0xa3f9c2,
    };

    fn space_cfg() -> JobSpecConfig {
        JobSpecConfig::new(WorkerSource::SpaceVolume {
            space: SpaceRef::parse("spacefactory/space-factory").unwrap(),
            path: "worker/space-factory-worker".into(),
        })
    }

    fn build_req() -> BuildRequest {
        BuildForm {
            target_space_name: "space-factory-z-image-v1".into(),
            ..BuildForm::default()
        }
        .validate(&CTX)
        .unwrap()
    }

    fn validate_req() -> ValidateRequest {
        ValidateForm {
            target_space: "alice/space-factory-z-image-v1".into(),
            ..ValidateForm::default()
        }
        .validate(&CTX)
        .unwrap()
    }

    fn to_json(value: &impl Serialize) -> Value {
        serde_json::to_value(value).unwrap()
    }

    /// The body as it was built before the spec was typed (with `json!`), kept here as the
    /// reference the typed spec's serialization must equal, field names and casing included.
    fn json_body_before_typing(
        kind: RunKind,
        run_id: &RunId,
        request_env: Vec<(&'static str, String)>,
        bucket: &BucketRef,
        timeout_seconds: u32,
        token: &str,
        cfg: &JobSpecConfig,
    ) -> Value {
        let mut environment = Map::new();
        for (k, v) in request_env {
            environment.insert(k.to_string(), Value::String(v));
        }
        for (k, v) in [
            (env::SF_HUB_URL, cfg.hub_url.trim_end_matches('/')),
            (env::SF_INFERENCE_URL, cfg.inference_url.as_str()),
            (env::SF_OUTPUT_DIR, OUTPUT_MOUNT),
            (env::SF_PI_VERSION, cfg.pi_version.as_str()),
        ] {
            environment.insert(k.to_string(), Value::String(v.to_string()));
        }
        let mut volumes = vec![json!({
            "type": "bucket",
            "source": bucket.id(),
            "mountPath": OUTPUT_MOUNT,
            "readOnly": false,
        })];
        match &cfg.worker {
            WorkerSource::SpaceVolume { space, path } => {
                volumes.push(json!({
                    "type": "space",
                    "source": space.id(),
                    "mountPath": FACTORY_MOUNT,
                    "readOnly": true,
                }));
                environment.insert(
                    env::SF_WORKER_PATH.to_string(),
                    Value::String(format!("{FACTORY_MOUNT}/{}", path.trim_start_matches('/'))),
                );
            }
            WorkerSource::Url { url } => {
                environment.insert(env::SF_WORKER_URL.to_string(), Value::String(url.clone()));
            }
        }
        json!({
            "dockerImage": cfg.image,
            "command": ["sh", "-c", worker_script(kind, cfg)],
            "arguments": [],
            "environment": environment,
            "secrets": { env::HF_TOKEN: token },
            "flavor": JOB_FLAVOR,
            "timeoutSeconds": timeout_seconds,
            "labels": { LABEL_KIND: kind.as_str(), LABEL_RUN_ID: run_id.as_str() },
            "volumes": volumes,
        })
    }

    #[test]
    fn the_typed_spec_serializes_as_the_json_body_did() {
        let url_cfg = JobSpecConfig {
            hub_url: "http://127.0.0.1:9000/".into(),
            image: "debian:12".into(),
            ..JobSpecConfig::new(WorkerSource::Url {
                url: "http://127.0.0.1:9000/spaces/sf/app/resolve/main/worker".into(),
            })
        };
        for cfg in [space_cfg(), url_cfg] {
            let b = build_req();
            let before = json_body_before_typing(
                RunKind::Build,
                &b.run_id,
                b.to_env(),
                &b.bucket,
                BUILD_TIMEOUT_S,
                TOKEN,
                &cfg,
            );
            assert_eq!(to_json(&build_job(&b, TOKEN, &cfg)), before);
            let v = validate_req();
            let before = json_body_before_typing(
                RunKind::Validate,
                &v.run_id,
                v.to_env(),
                &v.bucket,
                v.live_timeout_seconds + VALIDATE_MARGIN_S,
                TOKEN,
                &cfg,
            );
            assert_eq!(to_json(&validate_job(&v, TOKEN, &cfg)), before);
        }
        // The wire names, spelled out: the Hub reads exactly these keys.
        let body = to_json(&build_job(&build_req(), TOKEN, &space_cfg()));
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = [
            "dockerImage",
            "command",
            "arguments",
            "environment",
            "secrets",
            "flavor",
            "timeoutSeconds",
            "labels",
            "volumes",
        ];
        let mut keys = keys;
        keys.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        let volume_keys: Vec<&str> = body["volumes"][0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut volume_keys = volume_keys;
        volume_keys.sort_unstable();
        assert_eq!(volume_keys, ["mountPath", "readOnly", "source", "type"]);
    }

    #[test]
    fn a_spec_without_secrets_or_volumes_leaves_them_out() {
        let spec = JobSpec::new("debian:12", vec!["true".into()], 60);
        assert_eq!(
            to_json(&spec),
            json!({"dockerImage": "debian:12", "command": ["true"], "arguments": [],
                   "environment": {}, "flavor": "cpu-basic", "timeoutSeconds": 60, "labels": {}})
        );
    }

    #[test]
    fn golden_build_job() {
        let body = to_json(&build_job(&build_req(), TOKEN, &space_cfg()));
        let expected = json!({
            "dockerImage": "node:22-bookworm",
            "command": ["sh", "-c", "set -eu\nbin=\"$(mktemp /tmp/space-factory-worker.XXXXXX)\"\ncp \"$SF_WORKER_PATH\" \"$bin\"\nchmod 0755 \"$bin\"\nexec \"$bin\" build\n"],
            "arguments": [],
            "environment": {
                "SF_RUN_ID": "build-20261128-142501-a3f9c2",
                "SF_RUN_KIND": "build",
                "SF_MODEL_ID": "Tongyi-MAI/Z-Image-Turbo",
                "SF_TARGET_SPACE": "alice/space-factory-z-image-v1",
                "SF_PI_MODEL": "Qwen/Qwen3-Coder-Next",
                "SF_IMPLEMENTATION_MODE": "full-inference-gated",
                "SF_PREFERRED_HARDWARE": "zero-a10g",
                "SF_ALLOW_FIXED_GPU_FALLBACK": "true",
                "SF_FALLBACK_HARDWARE": "l40sx1",
                "SF_SPACE_SLEEP_S": "3600",
                "SF_BUCKET": "alice/space-factory-runs",
                "SF_HUB_URL": "https://huggingface.co",
                "SF_INFERENCE_URL": "https://router.huggingface.co/v1",
                "SF_OUTPUT_DIR": "/output",
                "SF_PI_VERSION": "0.73.1",
                "SF_WORKER_PATH": "/factory/worker/space-factory-worker",
            },
            "secrets": {"HF_TOKEN": TOKEN},
            "flavor": "cpu-basic",
            "timeoutSeconds": 10800,
            "labels": {"space-factory": "build", "run-id": "build-20261128-142501-a3f9c2"},
            "volumes": [
                {"type": "bucket", "source": "alice/space-factory-runs", "mountPath": "/output", "readOnly": false},
                {"type": "space", "source": "spacefactory/space-factory", "mountPath": "/factory", "readOnly": true},
            ],
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn golden_validate_job() {
        let cfg = JobSpecConfig {
            hub_url: "http://127.0.0.1:9000".into(),
            inference_url: "http://127.0.0.1:9000/v1".into(),
            ..JobSpecConfig::new(WorkerSource::Url {
                url: "http://127.0.0.1:9000/spaces/sf/app/resolve/main/worker".into(),
            })
        };
        let body = to_json(&validate_job(&validate_req(), TOKEN, &cfg));
        let expected = json!({
            "dockerImage": "node:22-bookworm",
            "command": ["sh", "-c", "set -eu\nbin=\"$(mktemp /tmp/space-factory-worker.XXXXXX)\"\ncurl -fsSL --retry 3 -H \"Authorization: Bearer $HF_TOKEN\" -o \"$bin\" \"$SF_WORKER_URL\"\nchmod 0755 \"$bin\"\nexec \"$bin\" validate\n"],
            "arguments": [],
            "environment": {
                "SF_RUN_ID": "validate-20261128-142501-a3f9c2",
                "SF_RUN_KIND": "validate",
                "SF_TARGET_SPACE": "alice/space-factory-z-image-v1",
                "SF_API_NAME": "/generate",
                "SF_TEST_ARGS_JSON": "[\"a cinematic robot cat astronaut, detailed, studio lighting\"]",
                "SF_TEST_KWARGS_JSON": "{}",
                "SF_EXPECTED_OUTPUT": "image",
                "SF_LIVE_TIMEOUT_S": "1800",
                "SF_BUCKET": "alice/space-factory-runs",
                "SF_HUB_URL": "http://127.0.0.1:9000",
                "SF_INFERENCE_URL": "http://127.0.0.1:9000/v1",
                "SF_OUTPUT_DIR": "/output",
                "SF_PI_VERSION": "0.73.1",
                "SF_WORKER_URL": "http://127.0.0.1:9000/spaces/sf/app/resolve/main/worker",
            },
            "secrets": {"HF_TOKEN": TOKEN},
            "flavor": "cpu-basic",
            "timeoutSeconds": 2700,
            "labels": {"space-factory": "validate", "run-id": "validate-20261128-142501-a3f9c2"},
            "volumes": [
                {"type": "bucket", "source": "alice/space-factory-runs", "mountPath": "/output", "readOnly": false},
            ],
        });
        assert_eq!(body, expected);
    }

    #[test]
    fn token_occurs_exactly_once_in_secrets() {
        for spec in [
            build_job(&build_req(), TOKEN, &space_cfg()),
            validate_job(&validate_req(), TOKEN, &space_cfg()),
            validate_job(
                &validate_req(),
                TOKEN,
                &JobSpecConfig::new(WorkerSource::Url {
                    url: "https://huggingface.co/spaces/a/b/resolve/main/w".into(),
                }),
            ),
        ] {
            assert!(
                !format!("{spec:?}").contains(TOKEN),
                "Debug hides the token"
            );
            let body = to_json(&spec);
            let text = serde_json::to_string(&body).unwrap();
            assert_eq!(text.matches(TOKEN).count(), 1, "{text}");
            assert_eq!(body["secrets"]["HF_TOKEN"], TOKEN);
            let mut without = body.clone();
            without.as_object_mut().unwrap().remove("secrets");
            assert!(!serde_json::to_string(&without).unwrap().contains(TOKEN));
        }
    }

    #[test]
    fn token_is_not_sent_to_other_hosts() {
        let cfg = JobSpecConfig::new(WorkerSource::Url {
            url: "https://huggingface.co.evil.example/worker".into(),
        });
        assert!(!worker_script(RunKind::Build, &cfg).contains("Authorization"));
        let cfg = JobSpecConfig::new(WorkerSource::Url {
            url: "https://huggingface.co/spaces/a/b/resolve/main/w".into(),
        });
        assert!(worker_script(RunKind::Build, &cfg).contains("Bearer $HF_TOKEN"));
        assert!(!is_on_hub(
            "https://huggingface.co",
            "https://huggingface.co"
        ));
    }

    #[test]
    fn the_token_goes_only_to_hugging_faces_own_model_endpoints() {
        let hub = "https://huggingface.co";
        for ok in [
            "https://router.huggingface.co/v1",
            "https://router.huggingface.co/v1/",
            "https://router.huggingface.co/novita/v3/openai",
            "https://huggingface.co/api/inference-proxy/v1",
        ] {
            assert!(inference_gets_token(ok, hub), "{ok}");
        }
        for no in [
            "http://127.0.0.1:11434/v1",
            "https://router.huggingface.co.evil.example/v1",
            "https://evil.example/router.huggingface.co/v1",
            "https://api.openai.com/v1",
        ] {
            assert!(!inference_gets_token(no, hub), "{no}");
        }
        // The local run: the simulator is the Hub and serves the model endpoint.
        assert!(inference_gets_token(
            "http://127.0.0.1:8000/v1",
            "http://127.0.0.1:8000"
        ));
        assert!(!inference_gets_token(
            "http://127.0.0.1:9000/v1",
            "http://127.0.0.1:8000"
        ));
    }

    #[test]
    fn odd_worker_paths_stay_data_not_shell() {
        let cfg = JobSpecConfig::new(WorkerSource::SpaceVolume {
            space: SpaceRef::parse("a/b").unwrap(),
            path: "/it's $(here)".into(),
        });
        let script = worker_script(RunKind::Validate, &cfg);
        assert!(!script.contains("here"), "{script}");
        let body = validate_job(&validate_req(), TOKEN, &cfg);
        assert_eq!(body.environment["SF_WORKER_PATH"], "/factory/it's $(here)");
    }

    #[test]
    fn environment_round_trips_to_the_request() {
        let req = build_req();
        let env = build_job(&req, TOKEN, &space_cfg()).environment;
        let get = |k: &str| env.get(k).cloned();
        assert_eq!(BuildRequest::from_env(&get).unwrap(), req);
        let settings = env::WorkerSettings::from_env(&get).unwrap();
        assert_eq!(settings.output_dir, OUTPUT_MOUNT);
        let vreq = validate_req();
        let env = validate_job(&vreq, TOKEN, &space_cfg()).environment;
        assert_eq!(
            ValidateRequest::from_env(&|k: &str| env.get(k).cloned()).unwrap(),
            vreq
        );
    }

    #[test]
    fn labels_and_filters() {
        let id = RunId::parse("r-1").unwrap();
        assert_eq!(
            to_json(&labels(RunKind::Build, &id)),
            json!({"space-factory": "build", "run-id": "r-1"})
        );
        assert_eq!(run_label_filter(&id), "run-id=r-1");
        let max = ValidateRequest {
            live_timeout_seconds: 21_600,
            ..validate_req()
        };
        assert_eq!(
            validate_job(&max, TOKEN, &space_cfg()).timeout_seconds,
            22_500
        );
    }

    #[test]
    fn a_batch_build_is_labelled_with_its_batch_as_well_as_its_run() {
        let alone = build_job(&build_req(), TOKEN, &space_cfg());
        assert_eq!(alone.label(LABEL_BATCH_ID), None);
        let mut req = build_req();
        req.batch = Some(crate::batch::BatchTag {
            id: crate::batch::BatchId::parse("batch-1").unwrap(),
            row: 2,
        });
        let spec = build_job(&req, TOKEN, &space_cfg());
        assert_eq!(spec.label(LABEL_BATCH_ID), Some("batch-1"));
        assert_eq!(spec.label(LABEL_RUN_ID), Some(req.run_id.as_str()));
        assert_eq!(spec.environment[env::SF_BATCH_ROW], "2");
    }
}
