//! The two launch forms of the app (Build, Validate) as plain raw values, and their validation
//! into typed requests.
//!
//! Every field is checked and every problem is returned at once as a [`FieldError`], so the page
//! can show each message under its field. The typed [`BuildRequest`] / [`ValidateRequest`] hold
//! no secret: they are also written to the bucket as `request.json`.
//!
//! Decisions:
//! * an empty run id is replaced by a fresh one (as the seed does), from the [`LaunchContext`];
//! * the API name `generate` is accepted and stored as `/generate`;
//! * test args may be left empty (read as `[]`), test kwargs too (read as `{}`);
//! * the live timeout is a whole number of seconds in 60..=21600 (`1800.0` is accepted);
//! * the fallback hardware is only required when the fallback is allowed, and must then be a
//!   fixed GPU (not ZeroGPU, not a CPU).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::env::RunRequest;
use crate::hardware::{self, HardwareFlavor};
use crate::ids::{RunId, RunKind};
use crate::record::{OutputType, ValidationRecord};
use crate::refs::{
    BucketName, BucketRef, DEFAULT_BUCKET_NAME, ModelRef, RefError, SpaceName, SpaceRef, check_name,
};
use crate::rules::ImplementationMode;
use crate::smoke_test::CallSpec;

/// Seed defaults.
pub const DEFAULT_MODEL: &str = "Tongyi-MAI/Z-Image-Turbo";
pub const DEFAULT_PI_MODEL: &str = "Qwen/Qwen3-Coder-Next";
pub const DEFAULT_MODE: ImplementationMode = ImplementationMode::FullInferenceGated;
pub const DEFAULT_API_NAME: &str = "/generate";
pub const DEFAULT_EXPECTED_OUTPUT: OutputType = OutputType::Image;
pub const DEFAULT_TEST_ARGS: &str =
    r#"["a cinematic robot cat astronaut, detailed, studio lighting"]"#;
pub const DEFAULT_TEST_KWARGS: &str = "{}";
pub const DEFAULT_LIVE_TIMEOUT_S: u32 = 1800;
/// Allowed live timeout, in seconds.
pub const LIVE_TIMEOUT_RANGE_S: std::ops::RangeInclusive<u32> = 60..=21_600;

/// A form field, for attaching an error to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The signed-in account (not a form input, but it owns the Space and the bucket).
    Account,
    RunId,
    Model,
    TargetSpaceName,
    PiModel,
    ImplementationMode,
    PreferredHardware,
    FallbackHardware,
    SleepTime,
    BucketName,
    TargetSpace,
    ApiName,
    ExpectedOutput,
    TestArgs,
    TestKwargs,
    LiveTimeout,
}

impl Field {
    /// The label the form shows.
    pub fn label(self) -> &'static str {
        match self {
            Field::Account => "Account",
            Field::RunId => "Run id",
            Field::Model => "Model card URL or model id",
            Field::TargetSpaceName => "Target Space name",
            Field::PiModel => "Coding model",
            Field::ImplementationMode => "Implementation mode",
            Field::PreferredHardware => "Preferred Space hardware",
            Field::FallbackHardware => "Fallback Space hardware",
            Field::SleepTime => "Sleep after … of inactivity",
            Field::BucketName => "Run bucket name",
            Field::TargetSpace => "Existing Space",
            Field::ApiName => "Generation API name",
            Field::ExpectedOutput => "Expected output type",
            Field::TestArgs => "Test args (JSON list)",
            Field::TestKwargs => "Test kwargs (JSON object)",
            Field::LiveTimeout => "Live wait timeout (seconds)",
        }
    }
}

/// A problem with one field, as a sentence a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field.label(), self.message)
    }
}

/// What validation needs besides the form: who launches, and a clock and random number for a
/// fresh run id when the field is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LaunchContext<'a> {
    /// The signed-in user's name; the Space and the bucket live under it.
    pub namespace: &'a str,
    pub unix_seconds: u64,
    pub random: u32,
}

/// The coding model Pi drives, `owner/name` with an optional `:provider`
/// (e.g. `Qwen/Qwen3-Coder-Next:novita`, or a routing policy such as `:fastest`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PiModel {
    model: ModelRef,
    provider: Option<String>,
}

impl PiModel {
    /// Reads `owner/name[:provider]`; the provider is `[a-z0-9_-]`, up to 64 characters.
    pub fn parse(input: &str) -> Result<PiModel, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err(format!(
                "Enter the coding model as `owner/name`, e.g. `{DEFAULT_PI_MODEL}`."
            ));
        }
        let (model_part, provider) = match s.rsplit_once(':') {
            Some((m, p)) if !m.contains("://") && !m.is_empty() => (m, Some(p)),
            _ => (s, None),
        };
        if s.contains("://") || model_part.split('/').count() != 2 {
            return Err(format!(
                "Enter the coding model as `owner/name` (optionally `owner/name:provider`), e.g. `{DEFAULT_PI_MODEL}`."
            ));
        }
        let (owner, name) = model_part.split_once('/').unwrap_or((model_part, ""));
        let model = ModelRef::new(owner, name).map_err(|e| e.to_string())?;
        let provider = match provider {
            None => None,
            Some(p)
                if !p.is_empty()
                    && p.len() <= 64
                    && p.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    }) =>
            {
                Some(p.to_string())
            }
            Some(_) => {
                return Err(
                    "The provider after `:` must be a lower-case provider name such as `novita`, `together` or `fastest`; remove `:…` to let the router choose.".to_string(),
                );
            }
        };
        Ok(PiModel { model, provider })
    }

    pub fn model(&self) -> &ModelRef {
        &self.model
    }

    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }
}

impl fmt::Display for PiModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.provider {
            Some(p) => write!(f, "{}:{p}", self.model),
            None => write!(f, "{}", self.model),
        }
    }
}

impl TryFrom<String> for PiModel {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PiModel::parse(&value)
    }
}

impl From<PiModel> for String {
    fn from(value: PiModel) -> String {
        value.to_string()
    }
}

/// A Gradio endpoint name such as `/generate`. Serialized with its leading `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiName(String);

impl ApiName {
    /// Reads `/name` or `name` (stored as `/name`); the name is `[A-Za-z0-9_-]`, up to 100 characters.
    pub fn parse(input: &str) -> Result<ApiName, String> {
        let s = input.trim();
        let name = s.strip_prefix('/').unwrap_or(s);
        if name.is_empty() {
            return Err(format!(
                "Enter the endpoint to call, e.g. `{DEFAULT_API_NAME}`, as listed on the Space's \"Use via API\" page."
            ));
        }
        if name.contains('/') {
            return Err(format!(
                "Enter only the endpoint name, e.g. `/{}`, as listed on the Space's \"Use via API\" page.",
                name.rsplit('/')
                    .find(|p| !p.is_empty())
                    .unwrap_or("generate")
            ));
        }
        if let Some((i, ch)) = name
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(format!(
                "The endpoint name contains {} at position {}; Gradio endpoint names use letters, digits, `_` and `-`.",
                crate::ids::describe_char(ch),
                i + 2
            ));
        }
        if name.len() > 100 {
            return Err("The endpoint name is longer than 100 characters; check it on the Space's \"Use via API\" page.".to_string());
        }
        Ok(ApiName(format!("/{name}")))
    }

    /// With its leading `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(ApiName, String);

/// "Line 1, column 9: expected `,` or `]`" from a serde_json error.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let msg = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => text.as_str(),
    };
    let msg = msg.replace("EOF while parsing", "the text ends in the middle of");
    format!("Line {}, column {}: {msg}", e.line(), e.column())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// (`from_slice` on the same text, as everywhere the browser app reads JSON: see `record.rs`.)
/// Reads the test args field: a JSON list (empty text reads as `[]`).
pub fn parse_test_args(text: &str) -> Result<Vec<Value>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_slice::<Value>(text.as_bytes()).map_err(|e| describe_json_error(&e))? {
        Value::Array(items) => Ok(items),
        other => Err(format!(
            "The test args must be a JSON list such as [\"a prompt\"]; this is {}. Wrap the values in [ ].",
            json_kind(&other)
        )),
    }
}

/// Reads the test kwargs field: a JSON object (empty text reads as `{}`).
pub fn parse_test_kwargs(text: &str) -> Result<Map<String, Value>, String> {
    if text.trim().is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(text.as_bytes()).map_err(|e| describe_json_error(&e))? {
        Value::Object(map) => Ok(map),
        other => Err(format!(
            "The test kwargs must be a JSON object such as {{\"seed\": 42}}; this is {}. Use {{}} for none.",
            json_kind(&other)
        )),
    }
}

/// Reads the live timeout: whole seconds within [`LIVE_TIMEOUT_RANGE_S`].
pub fn parse_live_timeout(text: &str) -> Result<u32, String> {
    let s = text.trim();
    let whole = match s.split_once('.') {
        Some((w, frac)) if frac.chars().all(|c| c == '0') => w,
        Some(_) => return Err("Enter a whole number of seconds, e.g. 1800.".to_string()),
        None => s,
    };
    let (lo, hi) = (*LIVE_TIMEOUT_RANGE_S.start(), *LIVE_TIMEOUT_RANGE_S.end());
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "Enter a whole number of seconds between {lo} and {hi}, e.g. 1800."
        ));
    }
    match whole.parse::<u64>() {
        Ok(n) if n >= u64::from(lo) && n <= u64::from(hi) => Ok(n as u32),
        _ => Err(format!(
            "The timeout must be between {lo} seconds (1 minute) and {hi} seconds (6 hours)."
        )),
    }
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn check<T, E: ToString>(&mut self, field: Field, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(FieldError {
                    field,
                    message: e.to_string(),
                });
                None
            }
        }
    }
}

fn run_id_or_fresh(raw: &str, kind: RunKind, ctx: &LaunchContext<'_>) -> Result<RunId, String> {
    let s = raw.trim();
    if s.is_empty() {
        Ok(RunId::generate(kind, ctx.unix_seconds, ctx.random))
    } else {
        RunId::parse(s).map_err(|e| e.to_string())
    }
}

fn check_namespace(ns: &str) -> Result<&str, String> {
    if ns.trim().is_empty() {
        return Err("Sign in with Hugging Face first; the Space and the run bucket are created under your account.".into());
    }
    check_name(ns)
        .map(|_| ns)
        .map_err(|p| format!("The account name `{ns}` {p}; sign in again."))
}

fn bucket_ref(raw: &str, ns: Option<&str>) -> Result<Option<BucketRef>, RefError> {
    let name = BucketName::parse(raw)?;
    ns.map(|ns| BucketRef::in_namespace(ns, &name)).transpose()
}

/// The Build form as the page holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildForm {
    pub run_id: String,
    pub model: String,
    pub target_space_name: String,
    pub pi_model: String,
    pub implementation_mode: String,
    pub preferred_hardware: String,
    pub allow_fixed_gpu_fallback: bool,
    pub fallback_hardware: String,
    /// Seconds, one of [`hardware::SLEEP_CHOICES_S`] (absent in drafts saved before it existed).
    #[serde(default = "default_sleep_text")]
    pub sleep_time_seconds: String,
    pub bucket_name: String,
}

fn default_sleep_text() -> String {
    hardware::DEFAULT_SLEEP_S.to_string()
}

fn default_sleep() -> u32 {
    hardware::DEFAULT_SLEEP_S
}

/// Reads the sleep time: a whole number of seconds among [`hardware::SLEEP_CHOICES_S`].
pub fn parse_sleep_time(raw: &str) -> Result<u32, String> {
    let choices = || {
        hardware::SLEEP_CHOICES_S
            .iter()
            .map(|s| hardware::duration_label(u64::from(*s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match raw.trim().parse::<u32>() {
        Ok(s) if hardware::SLEEP_CHOICES_S.contains(&s) => Ok(s),
        _ => Err(format!(
            "Choose how long an idle Space on paid hardware runs before it sleeps: one of {}.",
            choices()
        )),
    }
}

impl Default for BuildForm {
    /// The seed's defaults (run id and target Space name start empty).
    fn default() -> Self {
        BuildForm {
            run_id: String::new(),
            model: DEFAULT_MODEL.to_string(),
            target_space_name: String::new(),
            pi_model: DEFAULT_PI_MODEL.to_string(),
            implementation_mode: DEFAULT_MODE.as_str().to_string(),
            preferred_hardware: hardware::DEFAULT_PREFERRED.to_string(),
            allow_fixed_gpu_fallback: true,
            fallback_hardware: hardware::DEFAULT_FALLBACK.to_string(),
            sleep_time_seconds: default_sleep_text(),
            bucket_name: DEFAULT_BUCKET_NAME.to_string(),
        }
    }
}

/// A checked Build launch; also `request.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRequest {
    pub run_id: RunId,
    pub model: ModelRef,
    pub target_space: SpaceRef,
    pub pi_model: PiModel,
    pub implementation_mode: ImplementationMode,
    pub preferred_hardware: HardwareFlavor,
    pub allow_fixed_gpu_fallback: bool,
    /// Present exactly when the fallback is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_hardware: Option<HardwareFlavor>,
    /// How long a Space on paid hardware runs idle before the Hub puts it to sleep (seconds).
    /// Not sent for ZeroGPU or `cpu-basic`. Requests written before it existed read as 1 h.
    #[serde(default = "default_sleep")]
    pub space_sleep_seconds: u32,
    pub bucket: BucketRef,
    /// The batch this run belongs to and its row (absent for a run launched alone, and in
    /// requests written before batches existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::batch::BatchTag>,
}

impl BuildForm {
    /// Checks every field; all problems are returned together.
    pub fn validate(&self, ctx: &LaunchContext<'_>) -> Result<BuildRequest, Vec<FieldError>> {
        let mut errs = Errors(Vec::new());
        let ns = errs.check(Field::Account, check_namespace(ctx.namespace));
        let run_id = errs.check(
            Field::RunId,
            run_id_or_fresh(&self.run_id, RunKind::Build, ctx),
        );
        let model = errs.check(Field::Model, ModelRef::parse(&self.model));
        let space_name = match SpaceName::parse(&self.target_space_name) {
            Err(RefError::Empty { .. }) => {
                let example = model.as_ref().map_or_else(
                    || "space-factory-my-model".to_string(),
                    |m| SpaceName::suggest_for(m).to_string(),
                );
                errs.check::<SpaceName, _>(
                    Field::TargetSpaceName,
                    Err(format!("Enter a name for the new Space, e.g. `{example}`; use a name you have not used yet.")),
                )
            }
            other => errs.check(Field::TargetSpaceName, other),
        };
        let target_space = match (ns, &space_name) {
            (Some(ns), Some(name)) => {
                errs.check(Field::TargetSpaceName, SpaceRef::in_namespace(ns, name))
            }
            _ => None,
        };
        let pi_model = errs.check(Field::PiModel, PiModel::parse(&self.pi_model));
        let mode = errs.check(
            Field::ImplementationMode,
            ImplementationMode::from_wire(&self.implementation_mode).ok_or_else(|| {
                format!(
                    "Choose one of {}.",
                    ImplementationMode::ALL
                        .map(|m| format!("`{}`", m.as_str()))
                        .join(", ")
                )
            }),
        );
        let preferred = errs.check(
            Field::PreferredHardware,
            HardwareFlavor::parse(&self.preferred_hardware),
        );
        let fallback = if self.allow_fixed_gpu_fallback {
            let f = errs.check(
                Field::FallbackHardware,
                HardwareFlavor::parse(&self.fallback_hardware),
            );
            match f {
                Some(f) if f.is_zerogpu() || f.is_cpu_only() => errs.check::<Option<HardwareFlavor>, _>(
                    Field::FallbackHardware,
                    Err(format!(
                        "`{f}` is not a fixed GPU; choose one such as `{}`, or turn the fallback off.",
                        hardware::DEFAULT_FALLBACK
                    )),
                ),
                Some(f) => Some(Some(f)),
                None => None,
            }
        } else {
            Some(None)
        };
        let sleep = errs.check(Field::SleepTime, parse_sleep_time(&self.sleep_time_seconds));
        let bucket = errs
            .check(Field::BucketName, bucket_ref(&self.bucket_name, ns))
            .flatten();
        match (
            (run_id, sleep),
            model,
            target_space,
            pi_model,
            mode,
            preferred,
            fallback,
            bucket,
        ) {
            (
                (Some(run_id), Some(space_sleep_seconds)),
                Some(model),
                Some(target_space),
                Some(pi_model),
                Some(implementation_mode),
                Some(preferred_hardware),
                Some(fallback_hardware),
                Some(bucket),
            ) if errs.0.is_empty() => Ok(BuildRequest {
                run_id,
                model,
                target_space,
                pi_model,
                implementation_mode,
                preferred_hardware,
                allow_fixed_gpu_fallback: self.allow_fixed_gpu_fallback,
                fallback_hardware,
                space_sleep_seconds,
                bucket,
                batch: None,
            }),
            _ => Err(errs.0),
        }
    }
}

/// The Validate form as the page holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateForm {
    pub run_id: String,
    pub target_space: String,
    pub api_name: String,
    pub expected_output: String,
    pub test_args_json: String,
    pub test_kwargs_json: String,
    pub live_timeout_seconds: String,
    pub bucket_name: String,
}

impl Default for ValidateForm {
    /// The seed's defaults (run id and Space start empty).
    fn default() -> Self {
        ValidateForm {
            run_id: String::new(),
            target_space: String::new(),
            api_name: DEFAULT_API_NAME.to_string(),
            expected_output: DEFAULT_EXPECTED_OUTPUT.as_str().to_string(),
            test_args_json: DEFAULT_TEST_ARGS.to_string(),
            test_kwargs_json: DEFAULT_TEST_KWARGS.to_string(),
            live_timeout_seconds: DEFAULT_LIVE_TIMEOUT_S.to_string(),
            bucket_name: DEFAULT_BUCKET_NAME.to_string(),
        }
    }
}

/// A checked Validate launch; also `request.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateRequest {
    pub run_id: RunId,
    pub target_space: SpaceRef,
    pub api_name: ApiName,
    pub expected_output: OutputType,
    pub test_args: Vec<Value>,
    pub test_kwargs: Map<String, Value>,
    pub live_timeout_seconds: u32,
    pub bucket: BucketRef,
}

impl ValidateForm {
    /// Checks every field; all problems are returned together.
    pub fn validate(&self, ctx: &LaunchContext<'_>) -> Result<ValidateRequest, Vec<FieldError>> {
        let mut errs = Errors(Vec::new());
        let ns = errs.check(Field::Account, check_namespace(ctx.namespace));
        let run_id = errs.check(
            Field::RunId,
            run_id_or_fresh(&self.run_id, RunKind::Validate, ctx),
        );
        let target_space = errs.check(Field::TargetSpace, SpaceRef::parse(&self.target_space));
        let api_name = errs.check(Field::ApiName, ApiName::parse(&self.api_name));
        let expected = errs.check(
            Field::ExpectedOutput,
            OutputType::from_wire(&self.expected_output).ok_or_else(|| {
                format!(
                    "Choose one of {}.",
                    OutputType::ALL.map(|t| format!("`{t}`")).join(", ")
                )
            }),
        );
        let args = errs.check(Field::TestArgs, parse_test_args(&self.test_args_json));
        let kwargs = errs.check(Field::TestKwargs, parse_test_kwargs(&self.test_kwargs_json));
        let timeout = errs.check(
            Field::LiveTimeout,
            parse_live_timeout(&self.live_timeout_seconds),
        );
        let bucket = errs
            .check(Field::BucketName, bucket_ref(&self.bucket_name, ns))
            .flatten();
        match (
            run_id,
            target_space,
            api_name,
            expected,
            args,
            kwargs,
            timeout,
            bucket,
        ) {
            (
                Some(run_id),
                Some(target_space),
                Some(api_name),
                Some(expected_output),
                Some(test_args),
                Some(test_kwargs),
                Some(live_timeout_seconds),
                Some(bucket),
            ) if errs.0.is_empty() => Ok(ValidateRequest {
                run_id,
                target_space,
                api_name,
                expected_output,
                test_args,
                test_kwargs,
                live_timeout_seconds,
                bucket,
            }),
            _ => Err(errs.0),
        }
    }
}

/// `demo` → `demo-2`, `demo-2` → `demo-3`: the name proposed when a build is run again (the
/// previous Space exists and is never overwritten).
pub fn next_space_name(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((base, n))
            if !base.is_empty()
                && !n.is_empty()
                && n.len() <= 4
                && n.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{base}-{}", n.parse::<u32>().unwrap_or(1) + 1)
        }
        _ => format!("{name}-2"),
    }
}

impl BuildForm {
    /// "Run again": the Build form filled from a finished build's request, with a new run id and
    /// the next Space name (the first Space exists now and is never overwritten).
    pub fn run_again(request: &BuildRequest, run_id: String) -> BuildForm {
        BuildForm {
            run_id,
            model: request.model.id(),
            target_space_name: next_space_name(request.target_space.name()),
            pi_model: request.pi_model.to_string(),
            implementation_mode: request.implementation_mode.as_str().to_string(),
            preferred_hardware: request.preferred_hardware.as_str().to_string(),
            allow_fixed_gpu_fallback: request.allow_fixed_gpu_fallback,
            fallback_hardware: request
                .fallback_hardware
                .as_ref()
                .map(|f| f.as_str().to_string())
                .unwrap_or_else(|| hardware::DEFAULT_FALLBACK.to_string()),
            sleep_time_seconds: request.space_sleep_seconds.to_string(),
            bucket_name: request.bucket.name().to_string(),
        }
    }
}

impl ValidateForm {
    /// "Run again": the Validate form filled from a finished validation's request, with a new
    /// run id.
    pub fn run_again(request: &ValidateRequest, run_id: String) -> ValidateForm {
        ValidateForm {
            run_id,
            target_space: request.target_space.id(),
            api_name: request.api_name.as_str().to_string(),
            expected_output: request.expected_output.as_str().to_string(),
            test_args_json: serde_json::to_string(&request.test_args)
                .unwrap_or_else(|_| "[]".into()),
            test_kwargs_json: serde_json::to_string(&request.test_kwargs)
                .unwrap_or_else(|_| "{}".into()),
            live_timeout_seconds: request.live_timeout_seconds.to_string(),
            bucket_name: request.bucket.name().to_string(),
        }
    }

    /// "Validate this Space" after a build: the build's own smoke test (`manifest`), else the
    /// endpoint and output type its state recorded (`validation`, with the seed's test inputs),
    /// else the seed's defaults. Always `run_id` (a new one) and this Space.
    pub fn for_space(
        run_id: String,
        space: &SpaceRef,
        bucket_name: &str,
        manifest: Option<&CallSpec>,
        validation: Option<&ValidationRecord>,
    ) -> ValidateForm {
        let seed = ValidateForm::default();
        let tested = match (manifest, validation) {
            (Some(m), _) => ValidateForm {
                api_name: m.api_name.clone(),
                expected_output: m.expected.as_str().to_string(),
                test_args_json: serde_json::to_string(&m.args).unwrap_or(seed.test_args_json),
                test_kwargs_json: serde_json::to_string(&m.kwargs).unwrap_or(seed.test_kwargs_json),
                ..seed
            },
            (None, Some(v)) => ValidateForm {
                api_name: v.api_name.clone(),
                expected_output: v.expected_output_type.as_str().to_string(),
                ..seed
            },
            (None, None) => seed,
        };
        ValidateForm {
            run_id,
            target_space: space.id(),
            bucket_name: bucket_name.to_string(),
            ..tested
        }
    }
}

impl RunRequest {
    /// Reads a run's `request.json` (a [`BuildRequest`] or a [`ValidateRequest`], as the worker
    /// wrote it). The two have different required fields, so the text says which it is.
    pub fn from_json(text: &str) -> Result<RunRequest, String> {
        // Through a `Value`, as `state.json` is read: one JSON parser for every record file.
        let value: Value = serde_json::from_slice(text.as_bytes())
            .map_err(|e| format!("request.json is not valid JSON ({e})"))?;
        if let Ok(build) = serde_json::from_value::<BuildRequest>(value.clone()) {
            return Ok(RunRequest::Build(build));
        }
        serde_json::from_value::<ValidateRequest>(value)
            .map(RunRequest::Validate)
            .map_err(|e| format!("request.json is neither a build nor a validation request ({e})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const CTX: LaunchContext<'static> = LaunchContext {
        namespace: "alice",
        unix_seconds: 1_795_875_901,
        random: 0xa3f9c2,
    };

    fn fields(errs: &[FieldError]) -> Vec<Field> {
        errs.iter().map(|e| e.field).collect()
    }

    fn build_form() -> BuildForm {
        BuildForm {
            target_space_name: "space-factory-z-image-v1".into(),
            ..BuildForm::default()
        }
    }

    #[test]
    fn build_defaults_are_the_seeds() {
        let f = BuildForm::default();
        assert_eq!(f.model, "Tongyi-MAI/Z-Image-Turbo");
        assert_eq!(f.pi_model, "Qwen/Qwen3-Coder-Next");
        assert_eq!(f.implementation_mode, "full-inference-gated");
        assert_eq!(f.preferred_hardware, "zero-a10g");
        assert!(f.allow_fixed_gpu_fallback);
        assert_eq!(f.fallback_hardware, "l40sx1");
        assert_eq!(f.bucket_name, "space-factory-runs");
        let v = ValidateForm::default();
        assert_eq!(v.api_name, "/generate");
        assert_eq!(v.expected_output, "image");
        assert_eq!(
            v.test_args_json,
            r#"["a cinematic robot cat astronaut, detailed, studio lighting"]"#
        );
        assert_eq!(v.test_kwargs_json, "{}");
        assert_eq!(v.live_timeout_seconds, "1800");
    }

    #[test]
    fn valid_build_form() {
        let req = build_form().validate(&CTX).unwrap();
        assert_eq!(req.run_id.as_str(), "build-20261128-142501-a3f9c2");
        assert_eq!(req.model.to_string(), "Tongyi-MAI/Z-Image-Turbo");
        assert_eq!(
            req.target_space.to_string(),
            "alice/space-factory-z-image-v1"
        );
        assert_eq!(req.pi_model.to_string(), "Qwen/Qwen3-Coder-Next");
        assert_eq!(
            req.implementation_mode,
            ImplementationMode::FullInferenceGated
        );
        assert_eq!(req.preferred_hardware.as_str(), "zero-a10g");
        assert_eq!(
            req.fallback_hardware.as_ref().map(|f| f.as_str()),
            Some("l40sx1")
        );
        assert_eq!(req.bucket.to_string(), "alice/space-factory-runs");
        assert_eq!(req.space_sleep_seconds, 3600);
        let f = BuildForm {
            run_id: " my-run ".into(),
            allow_fixed_gpu_fallback: false,
            fallback_hardware: String::new(),
            ..build_form()
        };
        let req = f.validate(&CTX).unwrap();
        assert_eq!(req.run_id.as_str(), "my-run");
        assert_eq!(req.fallback_hardware, None);
    }

    #[test]
    fn sleep_time_is_one_of_the_offered_choices() {
        for (raw, want) in [
            ("900", Some(900)),
            (" 36000 ", Some(36_000)),
            ("172800", Some(172_800)),
        ] {
            assert_eq!(parse_sleep_time(raw).ok(), want, "{raw}");
        }
        for raw in ["", "-1", "0", "60", "1h", "999999"] {
            let e = parse_sleep_time(raw).unwrap_err();
            assert!(e.contains("15 min") && e.contains("48 h"), "{e}");
        }
        // A draft saved before the field existed reads with the one-hour default.
        let mut draft = serde_json::to_value(build_form()).unwrap();
        draft.as_object_mut().unwrap().remove("sleep_time_seconds");
        let f: BuildForm = serde_json::from_value(draft).unwrap();
        assert_eq!(f.sleep_time_seconds, "3600");
        let req = BuildForm {
            sleep_time_seconds: "1800".into(),
            ..build_form()
        }
        .validate(&CTX)
        .unwrap();
        assert_eq!(req.space_sleep_seconds, 1800);
        assert_eq!(
            BuildForm::run_again(&req, "build-2".into()).sleep_time_seconds,
            "1800"
        );
    }

    #[test]
    fn build_form_reports_every_bad_field() {
        let f = BuildForm {
            run_id: "bad id".into(),
            model: "https://huggingface.co/datasets/a/b".into(),
            target_space_name: "".into(),
            pi_model: "qwen".into(),
            implementation_mode: "yolo".into(),
            preferred_hardware: "".into(),
            allow_fixed_gpu_fallback: true,
            fallback_hardware: "zero-a10g".into(),
            sleep_time_seconds: "-1".into(),
            bucket_name: "a..b".into(),
        };
        let errs = f
            .validate(&LaunchContext {
                namespace: "",
                ..CTX
            })
            .unwrap_err();
        assert_eq!(
            fields(&errs),
            vec![
                Field::Account,
                Field::RunId,
                Field::Model,
                Field::TargetSpaceName,
                Field::PiModel,
                Field::ImplementationMode,
                Field::PreferredHardware,
                Field::FallbackHardware,
                Field::SleepTime,
                Field::BucketName,
            ]
        );
        for e in &errs {
            assert!(e.message.ends_with('.') || e.message.ends_with(')'), "{e}");
        }
        let space_msg = &errs
            .iter()
            .find(|e| e.field == Field::TargetSpaceName)
            .unwrap()
            .message;
        assert!(space_msg.contains("space-factory-my-model"), "{space_msg}");
        let errs = BuildForm {
            target_space_name: "".into(),
            ..BuildForm::default()
        }
        .validate(&CTX)
        .unwrap_err();
        assert!(
            errs[0].message.contains("space-factory-z-image-turbo"),
            "{}",
            errs[0]
        );
        let errs = BuildForm {
            fallback_hardware: "cpu-basic".into(),
            ..build_form()
        }
        .validate(&CTX)
        .unwrap_err();
        assert_eq!(fields(&errs), vec![Field::FallbackHardware]);
        let errs = BuildForm {
            target_space_name: "bob/app".into(),
            ..build_form()
        }
        .validate(&CTX)
        .unwrap_err();
        assert!(errs[0].message.contains("`app`"), "{}", errs[0]);
    }

    #[test]
    fn pi_models() {
        let p = PiModel::parse(" Qwen/Qwen3-Coder-Next:novita ").unwrap();
        assert_eq!(
            (p.model().to_string().as_str(), p.provider()),
            ("Qwen/Qwen3-Coder-Next", Some("novita"))
        );
        assert_eq!(p.to_string(), "Qwen/Qwen3-Coder-Next:novita");
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            json!("Qwen/Qwen3-Coder-Next:novita")
        );
        for bad in [
            "",
            "qwen",
            "a/b/c",
            "a/b:",
            "a/b:Nov ita",
            "https://huggingface.co/a/b",
            "a/b--c",
        ] {
            assert!(PiModel::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_names() {
        assert_eq!(ApiName::parse("/generate").unwrap().as_str(), "/generate");
        assert_eq!(
            ApiName::parse(" generate_image ").unwrap().as_str(),
            "/generate_image"
        );
        assert!(ApiName::parse("").is_err());
        assert!(ApiName::parse("/").is_err());
        let e = ApiName::parse("/call/generate").unwrap_err();
        assert!(e.contains("`/generate`"), "{e}");
        let e = ApiName::parse("/gen erate").unwrap_err();
        assert!(e.contains("a space at position 5"), "{e}");
        assert!(ApiName::parse(&"a".repeat(101)).is_err());
    }

    #[test]
    fn json_fields() {
        assert_eq!(
            parse_test_args(DEFAULT_TEST_ARGS).unwrap(),
            vec![json!(
                "a cinematic robot cat astronaut, detailed, studio lighting"
            )]
        );
        assert_eq!(parse_test_args("  ").unwrap(), Vec::<Value>::new());
        assert_eq!(
            parse_test_args(r#"["a" "b"]"#).unwrap_err(),
            "Line 1, column 6: expected `,` or `]`"
        );
        assert_eq!(
            parse_test_args("[1,\n 2").unwrap_err(),
            "Line 2, column 2: the text ends in the middle of a list"
        );
        assert!(
            parse_test_args(r#"{"a":1}"#)
                .unwrap_err()
                .contains("this is an object")
        );
        assert!(
            parse_test_args(r#""prompt""#)
                .unwrap_err()
                .contains("this is a string")
        );
        assert_eq!(
            parse_test_kwargs("{\"seed\": 42}").unwrap().get("seed"),
            Some(&json!(42))
        );
        assert!(parse_test_kwargs("").unwrap().is_empty());
        assert!(
            parse_test_kwargs("[]")
                .unwrap_err()
                .contains("this is a list")
        );
        assert!(
            parse_test_kwargs("{'a': 1}")
                .unwrap_err()
                .starts_with("Line 1, column 2: ")
        );
    }

    #[test]
    fn live_timeouts() {
        assert_eq!(parse_live_timeout("1800"), Ok(1800));
        assert_eq!(parse_live_timeout(" 60 "), Ok(60));
        assert_eq!(parse_live_timeout("21600.0"), Ok(21600));
        for bad in [
            "",
            "59",
            "21601",
            "1e3",
            "-60",
            "12.5",
            "abc",
            "99999999999999999999999",
        ] {
            assert!(parse_live_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn valid_validate_form() {
        let f = ValidateForm {
            target_space: "https://huggingface.co/spaces/alice/app".into(),
            api_name: "generate".into(),
            ..ValidateForm::default()
        };
        let req = f.validate(&CTX).unwrap();
        assert_eq!(req.run_id.as_str(), "validate-20261128-142501-a3f9c2");
        assert_eq!(req.target_space.to_string(), "alice/app");
        assert_eq!(req.api_name.as_str(), "/generate");
        assert_eq!(req.expected_output, OutputType::Image);
        assert_eq!(req.test_args.len(), 1);
        assert_eq!(req.live_timeout_seconds, 1800);
        assert_eq!(req.bucket.uri(), "hf://buckets/alice/space-factory-runs");
    }

    #[test]
    fn validate_form_reports_every_bad_field() {
        let f = ValidateForm {
            run_id: "-x".into(),
            target_space: "https://x-y-z.hf.space".into(),
            api_name: "/a/b".into(),
            expected_output: "picture".into(),
            test_args_json: "[".into(),
            test_kwargs_json: "1".into(),
            live_timeout_seconds: "5".into(),
            bucket_name: "".into(),
        };
        let errs = f.validate(&CTX).unwrap_err();
        assert_eq!(
            fields(&errs),
            vec![
                Field::RunId,
                Field::TargetSpace,
                Field::ApiName,
                Field::ExpectedOutput,
                Field::TestArgs,
                Field::TestKwargs,
                Field::LiveTimeout,
                Field::BucketName,
            ]
        );
        assert!(errs[1].message.contains("ambiguous"));
    }

    #[test]
    fn requests_serialize_without_secrets_and_round_trip() {
        let b = build_form().validate(&CTX).unwrap();
        let v = serde_json::to_value(&b).unwrap();
        assert_eq!(
            v,
            json!({
                "run_id": "build-20261128-142501-a3f9c2",
                "model": "Tongyi-MAI/Z-Image-Turbo",
                "target_space": "alice/space-factory-z-image-v1",
                "pi_model": "Qwen/Qwen3-Coder-Next",
                "implementation_mode": "full-inference-gated",
                "preferred_hardware": "zero-a10g",
                "allow_fixed_gpu_fallback": true,
                "fallback_hardware": "l40sx1",
                "space_sleep_seconds": 3600,
                "bucket": "alice/space-factory-runs",
            })
        );
        assert_eq!(
            serde_json::from_value::<BuildRequest>(v.clone()).unwrap(),
            b
        );
        // A request.json written before the sleep time existed reads as one hour.
        let mut old = v;
        old.as_object_mut().unwrap().remove("space_sleep_seconds");
        assert_eq!(serde_json::from_value::<BuildRequest>(old).unwrap(), b);
        let r = ValidateForm {
            target_space: "alice/app".into(),
            ..ValidateForm::default()
        }
        .validate(&CTX)
        .unwrap();
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ValidateRequest>(&text).unwrap(), r);
    }

    #[test]
    fn run_again_proposes_the_next_free_looking_name() {
        assert_eq!(next_space_name("demo"), "demo-2");
        assert_eq!(next_space_name("demo-2"), "demo-3");
        assert_eq!(
            next_space_name("space-factory-z-image-v1"),
            "space-factory-z-image-v1-2"
        );
        assert_eq!(next_space_name("model-20261128"), "model-20261128-2");
    }

    #[test]
    fn run_again_refills_the_form_from_request_json() {
        // A build: every field as launched, a new run id and the next Space name.
        let request = build_form().validate(&CTX).unwrap();
        let text = serde_json::to_string_pretty(&request).unwrap();
        let Ok(RunRequest::Build(read)) = RunRequest::from_json(&text) else {
            panic!("request.json of a build was not read as a build");
        };
        let again = BuildForm::run_again(&read, "build-new".into());
        assert_eq!(
            again,
            BuildForm {
                run_id: "build-new".into(),
                target_space_name: "space-factory-z-image-v1-2".into(),
                ..build_form()
            }
        );
        assert!(again.validate(&CTX).is_ok());

        // A validation: the same Space and smoke test, a new run id.
        let form = ValidateForm {
            target_space: "alice/demo".into(),
            test_kwargs_json: r#"{"seed": 42}"#.into(),
            live_timeout_seconds: "600".into(),
            ..ValidateForm::default()
        };
        let request = form.validate(&CTX).unwrap();
        let text = serde_json::to_string(&request).unwrap();
        let Ok(RunRequest::Validate(read)) = RunRequest::from_json(&text) else {
            panic!("request.json of a validation was not read as a validation");
        };
        let again = ValidateForm::run_again(&read, "validate-new".into());
        assert_eq!(
            (
                again.run_id.as_str(),
                again.target_space.as_str(),
                again.test_kwargs_json.as_str(),
                again.live_timeout_seconds.as_str()
            ),
            ("validate-new", "alice/demo", r#"{"seed":42}"#, "600")
        );
        assert_eq!(
            again.validate(&CTX).unwrap().test_kwargs,
            request.test_kwargs
        );

        let err = RunRequest::from_json(r#"{"run_id": "x"}"#).unwrap_err();
        assert!(err.starts_with("request.json is neither"), "{err}");
    }

    #[test]
    fn validate_this_space_reuses_the_runs_own_smoke_test() {
        let space = SpaceRef::parse("me/gpt2-demo").unwrap();
        let manifest = crate::smoke_test::parse_manifest(
            r#"{"api_name": "/generate", "args": ["Once upon a time", 16], "kwargs": {"t": 1}, "expected_output": "text"}"#,
        )
        .unwrap();
        let recorded = ValidationRecord {
            api_name: "/predict".into(),
            expected_output_type: OutputType::Audio,
            output_type: None,
            first_call_seconds: None,
            warm_call_seconds: None,
            recommended_zerogpu_duration_seconds: None,
            artifact_path: None,
        };
        // A build: its generated smoke test wins over the state's summary.
        let f = ValidateForm::for_space(
            "validate-x".into(),
            &space,
            "runs",
            Some(&manifest),
            Some(&recorded),
        );
        assert_eq!(
            (
                f.target_space.as_str(),
                f.api_name.as_str(),
                f.expected_output.as_str(),
                f.test_args_json.as_str(),
                f.test_kwargs_json.as_str(),
                f.bucket_name.as_str()
            ),
            (
                "me/gpt2-demo",
                "/generate",
                "text",
                r#"["Once upon a time",16]"#,
                r#"{"t":1}"#,
                "runs"
            )
        );
        assert_eq!(f.run_id, "validate-x");
        // Without the manifest: what the state recorded, with the seed's inputs.
        let f = ValidateForm::for_space("validate-x".into(), &space, "runs", None, Some(&recorded));
        assert_eq!(
            (f.api_name.as_str(), f.expected_output.as_str()),
            ("/predict", "audio")
        );
        assert_eq!(f.test_args_json, ValidateForm::default().test_args_json);
        // Nothing known: the seed's defaults for this Space.
        let f = ValidateForm::for_space("validate-x".into(), &space, "runs", None, None);
        assert_eq!(f.api_name, ValidateForm::default().api_name);
        assert_eq!(f.target_space, "me/gpt2-demo");
    }

    proptest! {
        #[test]
        fn forms_never_panic(a in "\\PC{0,30}", b in "\\PC{0,30}", c in "\\PC{0,30}", d in "\\PC{0,30}", flag in any::<bool>()) {
            let f = BuildForm { run_id: a.clone(), model: b.clone(), target_space_name: c.clone(), pi_model: d.clone(),
                                implementation_mode: a.clone(), preferred_hardware: b.clone(), allow_fixed_gpu_fallback: flag,
                                fallback_hardware: c.clone(), sleep_time_seconds: a.clone(), bucket_name: d.clone() };
            let _ = f.validate(&CTX);
            let v = ValidateForm { run_id: a.clone(), target_space: b.clone(), api_name: c.clone(), expected_output: d.clone(),
                                   test_args_json: a.clone(), test_kwargs_json: b, live_timeout_seconds: c, bucket_name: d };
            let _ = v.validate(&CTX);
        }

        #[test]
        fn json_error_positions_are_reported(s in "[\\[\\]{}\",:a-z0-9 \\n]{1,20}") {
            if let Err(msg) = parse_test_args(&s) {
                prop_assert!(msg.starts_with("Line ") || msg.starts_with("The test args"), "{}", msg);
            }
        }

        #[test]
        fn timeouts_in_range_parse(n in 60u32..=21600) {
            prop_assert_eq!(parse_live_timeout(&n.to_string()), Ok(n));
        }
    }
}
