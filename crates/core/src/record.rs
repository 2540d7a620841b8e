//! The run record in the bucket, shared by the app (reader) and the worker (writer).
//!
//! Under `runs/<run_id>/`:
//! * `state.json` — one [`RunState`], `"schema": 1`, rewritten atomically at every phase change;
//! * `events.jsonl` — one [`Event`] per line, append-only.
//!
//! Reading is tolerant: unknown fields are ignored, missing optional fields take their default,
//! and a missing, empty or half-written file reads as [`StateRead::NotWrittenYet`] — never a panic.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{RunId, RunKind};

/// The `state.json` schema this crate writes and reads.
pub const SCHEMA_VERSION: u32 = 1;
/// File names inside `runs/<run_id>/`.
pub const STATE_FILE: &str = "state.json";
pub const EVENTS_FILE: &str = "events.jsonl";
pub const REPORT_FILE: &str = "report.md";
pub const REQUEST_FILE: &str = "request.json";
/// Folders inside `runs/<run_id>/`.
pub const GENERATED_DIR: &str = "generated";
pub const TESTS_DIR: &str = "tests";
pub const ARTIFACTS_DIR: &str = "artifacts";
pub const TRACES_DIR: &str = "traces";

/// `runs/<run_id>` — the run's folder inside the bucket.
pub fn run_folder(run_id: &RunId) -> String {
    format!("runs/{run_id}")
}

/// `runs/<run_id>/<file>` — a file of the run inside the bucket.
pub fn run_file(run_id: &RunId, file: &str) -> String {
    format!("runs/{run_id}/{file}")
}

/// Where a run stands: in progress, or one of the six outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    FullInferenceSuccess,
    ManualHardwareRequired,
    FullInferenceCandidateHealthPassed,
    HealthOnly,
    TechnicalBlocker,
    Failed,
}

impl RunStatus {
    /// The six outcomes, best first.
    pub const OUTCOMES: [RunStatus; 6] = [
        RunStatus::FullInferenceSuccess,
        RunStatus::FullInferenceCandidateHealthPassed,
        RunStatus::ManualHardwareRequired,
        RunStatus::HealthOnly,
        RunStatus::TechnicalBlocker,
        RunStatus::Failed,
    ];

    /// The wire name, e.g. `full_inference_success`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::FullInferenceSuccess => "full_inference_success",
            RunStatus::ManualHardwareRequired => "manual_hardware_required",
            RunStatus::FullInferenceCandidateHealthPassed => {
                "full_inference_candidate_health_passed"
            }
            RunStatus::HealthOnly => "health_only",
            RunStatus::TechnicalBlocker => "technical_blocker",
            RunStatus::Failed => "failed",
        }
    }

    /// Reads a wire name.
    pub fn from_wire(s: &str) -> Option<RunStatus> {
        [RunStatus::Running]
            .into_iter()
            .chain(RunStatus::OUTCOMES)
            .find(|st| st.as_str() == s)
    }

    /// Short human words.
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::Running => "Running",
            RunStatus::FullInferenceSuccess => "Generation works",
            RunStatus::ManualHardwareRequired => "Set hardware by hand",
            RunStatus::FullInferenceCandidateHealthPassed => "Boots, generation not yet tested",
            RunStatus::HealthOnly => "Boots only",
            RunStatus::TechnicalBlocker => "Technical blocker",
            RunStatus::Failed => "Failed",
        }
    }

    /// One sentence on what the status means.
    pub fn explanation(self) -> &'static str {
        match self {
            RunStatus::Running => "The job is still working; this page follows it as it goes.",
            RunStatus::FullInferenceSuccess => {
                "A live call to the deployed Space generated an output of the expected type."
            }
            RunStatus::ManualHardwareRequired => {
                "The Space was generated, but neither ZeroGPU nor the fixed-GPU fallback could be assigned automatically; choose its hardware in the Space settings, then validate it."
            }
            RunStatus::FullInferenceCandidateHealthPassed => {
                "The Space starts and its code has a real inference path, but no generation has been tested live yet."
            }
            RunStatus::HealthOnly => {
                "The Space starts and answers, but no real generation was shown to work."
            }
            RunStatus::TechnicalBlocker => {
                "The model has a concrete obstacle (for example several GPUs, a licence, custom CUDA or unclear usage) that prevents a working Space."
            }
            RunStatus::Failed => "The build, the Space's start-up or the live check failed.",
        }
    }

    /// Whether the run has ended (everything but `running`).
    pub fn is_final(self) -> bool {
        self != RunStatus::Running
    }

    /// Whether the run proved a working generation (only `full_inference_success`).
    pub fn is_success(self) -> bool {
        self == RunStatus::FullInferenceSuccess
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The step a run is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Queued,
    Starting,
    ReadingModel,
    Agent,
    CheckingFiles,
    CreatingSpace,
    AssigningHardware,
    Uploading,
    WaitingForSpace,
    Repairing,
    CheckingLive,
    SmokeTest,
    Reporting,
    Finished,
}

const BUILD_STEPS: &[Phase] = &[
    Phase::Queued,
    Phase::Starting,
    Phase::ReadingModel,
    Phase::Agent,
    Phase::CheckingFiles,
    Phase::CreatingSpace,
    Phase::AssigningHardware,
    Phase::Uploading,
    Phase::WaitingForSpace,
    Phase::Repairing,
    Phase::CheckingLive,
    Phase::SmokeTest,
    Phase::Reporting,
    Phase::Finished,
];

const VALIDATE_STEPS: &[Phase] = &[
    Phase::Queued,
    Phase::Starting,
    Phase::WaitingForSpace,
    Phase::CheckingLive,
    Phase::SmokeTest,
    Phase::Reporting,
    Phase::Finished,
];

impl Phase {
    /// The phases of a run of `kind`, in order (for a stepper). `repairing` is optional in a build:
    /// it only happens when the first start fails.
    pub fn steps(kind: RunKind) -> &'static [Phase] {
        match kind {
            RunKind::Build => BUILD_STEPS,
            RunKind::Validate => VALIDATE_STEPS,
        }
    }

    /// Position of this phase in the steps of `kind`, if it belongs there.
    pub fn step_index(self, kind: RunKind) -> Option<usize> {
        Phase::steps(kind).iter().position(|p| *p == self)
    }

    /// The wire name, e.g. `waiting_for_space`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Queued => "queued",
            Phase::Starting => "starting",
            Phase::ReadingModel => "reading_model",
            Phase::Agent => "agent",
            Phase::CheckingFiles => "checking_files",
            Phase::CreatingSpace => "creating_space",
            Phase::AssigningHardware => "assigning_hardware",
            Phase::Uploading => "uploading",
            Phase::WaitingForSpace => "waiting_for_space",
            Phase::Repairing => "repairing",
            Phase::CheckingLive => "checking_live",
            Phase::SmokeTest => "smoke_test",
            Phase::Reporting => "reporting",
            Phase::Finished => "finished",
        }
    }

    /// Short human words.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Queued => "Waiting for the job to start",
            Phase::Starting => "Starting",
            Phase::ReadingModel => "Reading the model card",
            Phase::Agent => "Writing the app",
            Phase::CheckingFiles => "Checking the files",
            Phase::CreatingSpace => "Creating the private Space",
            Phase::AssigningHardware => "Assigning hardware",
            Phase::Uploading => "Uploading the app",
            Phase::WaitingForSpace => "Waiting for the Space to start",
            Phase::Repairing => "Repairing after a failed start or call",
            Phase::CheckingLive => "Checking the live Space",
            Phase::SmokeTest => "Test generation",
            Phase::Reporting => "Writing the report",
            Phase::Finished => "Finished",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The output type a validation expects (the seed's "Expected output type").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputType {
    Image,
    Video,
    Audio,
    Text,
    Any,
}

impl OutputType {
    /// The seed's choices, in its order.
    pub const ALL: [OutputType; 5] = [
        OutputType::Image,
        OutputType::Video,
        OutputType::Audio,
        OutputType::Text,
        OutputType::Any,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::Image => "image",
            OutputType::Video => "video",
            OutputType::Audio => "audio",
            OutputType::Text => "text",
            OutputType::Any => "any",
        }
    }

    /// Reads a wire name (case and surrounding whitespace ignored).
    pub fn from_wire(s: &str) -> Option<OutputType> {
        let s = s.trim();
        OutputType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether an observed output satisfies this expectation. `any` accepts every non-empty output.
    pub fn accepts(self, observed: ObservedOutput) -> bool {
        match self {
            OutputType::Any => observed != ObservedOutput::Empty,
            OutputType::Image => observed == ObservedOutput::Image,
            OutputType::Video => observed == ObservedOutput::Video,
            OutputType::Audio => observed == ObservedOutput::Audio,
            OutputType::Text => observed == ObservedOutput::Text,
        }
    }
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a live call actually returned, as classified by the worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObservedOutput {
    Image,
    Video,
    Audio,
    Text,
    /// A file of another kind.
    File,
    /// Structured data (numbers, lists, objects).
    Json,
    /// Nothing usable (null, empty string, empty list).
    Empty,
}

impl ObservedOutput {
    pub fn as_str(self) -> &'static str {
        match self {
            ObservedOutput::Image => "image",
            ObservedOutput::Video => "video",
            ObservedOutput::Audio => "audio",
            ObservedOutput::Text => "text",
            ObservedOutput::File => "file",
            ObservedOutput::Json => "json",
            ObservedOutput::Empty => "empty",
        }
    }
}

impl fmt::Display for ObservedOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attempt to give the Space hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HardwareAttempt {
    pub flavor: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Hardware requested, tried and assigned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HardwareRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
    pub attempts: Vec<HardwareAttempt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned: Option<String>,
}

/// Figures from a live validation or smoke test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationRecord {
    pub api_name: String,
    pub expected_output_type: OutputType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_type: Option<ObservedOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_call_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_call_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommended_zerogpu_duration_seconds: Option<u32>,
    /// Path of the stored output, relative to the run folder (e.g. `artifacts/output.png`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_path: Option<String>,
}

impl ValidationRecord {
    /// The record before any call: which endpoint is called and what it must return.
    pub fn new(api_name: &str, expected: OutputType) -> ValidationRecord {
        ValidationRecord {
            api_name: api_name.to_string(),
            expected_output_type: expected,
            output_type: None,
            first_call_seconds: None,
            warm_call_seconds: None,
            recommended_zerogpu_duration_seconds: None,
            artifact_path: None,
        }
    }

    /// The figures of a first call that returned `output` after `first_s` seconds (and of the
    /// warm call after `warm_s`, when it returned too), with the `@spaces.GPU` duration they
    /// advise ([`crate::rules::recommend_zerogpu_duration`], the first call standing in for a
    /// warm call that failed) and where the output was stored. Seconds are kept to hundredths.
    pub fn with_calls(
        self,
        output: ObservedOutput,
        first_s: f64,
        warm_s: Option<f64>,
        artifact: Option<String>,
    ) -> ValidationRecord {
        let hundredths = |x: f64| (x * 100.0).round() / 100.0;
        ValidationRecord {
            output_type: Some(output),
            first_call_seconds: Some(hundredths(first_s)),
            warm_call_seconds: warm_s.map(hundredths),
            recommended_zerogpu_duration_seconds: Some(crate::rules::recommend_zerogpu_duration(
                first_s,
                warm_s.unwrap_or(first_s),
            )),
            artifact_path: artifact,
            ..self
        }
    }
}

/// What the coding agent consumed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentUsage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub rounds: u32,
}

/// What a run's hardware cost, and what its Space costs while it stays up (`state.json`
/// `cost`; absent in runs written before it existed). Prices are per hour, from the Hub's
/// hardware lists when they answered (`prices_from: "hub"`), else the published prices
/// built into Space Factory (`"built-in"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CostRecord {
    /// The job's flavor, e.g. `cpu-basic`.
    pub job_flavor: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_usd_per_hour: Option<f64>,
    /// How long the job has run (to the verdict).
    pub job_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_usd: Option<f64>,
    /// The Space's hardware, when this run created it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space_flavor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space_usd_per_hour: Option<f64>,
    /// How long the Space was up on billed hardware during the run (creation to verdict).
    pub space_paid_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub space_usd: Option<f64>,
    /// The sleep time the Space was created with, on billed hardware.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sleep_seconds: Option<u32>,
    /// The run paused the Space so that it stops billing.
    pub paused: bool,
    /// What the Space costs from now on, in words ("$1.80/h until it sleeps after 1 h idle").
    pub standing: String,
    /// `hub` or `built-in`.
    pub prices_from: String,
    /// Settings the Hub refused to change, to be set by hand.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_hand: Vec<String>,
}

impl CostRecord {
    /// What the run cost: the job plus the Space's paid time during the run (`None` when the
    /// job's price was unknown).
    pub fn total_usd(&self) -> Option<f64> {
        Some(self.job_usd? + self.space_usd.unwrap_or(0.0))
    }

    /// The Space was left running on hardware billed by the hour (not paused, not ZeroGPU or
    /// the free CPU): it costs [`CostRecord::standing`] until it sleeps.
    pub fn bills_on(&self) -> bool {
        !self.paused
            && self
                .space_flavor
                .as_deref()
                .and_then(|f| crate::hardware::HardwareFlavor::parse(f).ok())
                .is_some_and(|f| f.is_billed_hourly())
    }
}

/// `state.json`: where a run stands. Timestamps are RFC 3339 strings (see [`crate::ids::rfc3339`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub schema: u32,
    pub run_id: RunId,
    pub kind: RunKind,
    pub status: RunStatus,
    pub phase: Phase,
    /// What is happening now, or the verdict's reason once finished, in human words.
    #[serde(default)]
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// `owner/name` of the Space built or validated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_space: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    #[serde(default)]
    pub hardware: HardwareRecord,
    #[serde(default)]
    pub blockers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentUsage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostRecord>,
    /// The batch the run belongs to and its row (absent for a run launched alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<crate::batch::BatchTag>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl RunState {
    /// A fresh record: status `running`, phase `starting`, `created_at = updated_at = now`.
    pub fn new(run_id: RunId, kind: RunKind, now: &str) -> RunState {
        RunState {
            schema: SCHEMA_VERSION,
            run_id,
            kind,
            status: RunStatus::Running,
            phase: Phase::Starting,
            message: Phase::Starting.label().to_string(),
            model_id: None,
            target_space: None,
            job_id: None,
            hardware: HardwareRecord::default(),
            blockers: Vec::new(),
            validation: None,
            agent: None,
            cost: None,
            batch: None,
            created_at: now.to_string(),
            updated_at: now.to_string(),
            finished_at: None,
        }
    }

    /// Moves to `phase` with a message (the phase's label when `message` is empty).
    pub fn enter_phase(&mut self, phase: Phase, message: &str, now: &str) {
        self.phase = phase;
        self.message = if message.is_empty() {
            phase.label().to_string()
        } else {
            message.to_string()
        };
        self.updated_at = now.to_string();
    }

    /// Records the outcome: status, reason as message, phase `finished`, `finished_at`.
    /// A `running` status is turned into `failed`: a finished run always has an outcome.
    pub fn finish(&mut self, status: RunStatus, reason: &str, now: &str) {
        self.status = if status == RunStatus::Running {
            RunStatus::Failed
        } else {
            status
        };
        self.phase = Phase::Finished;
        self.message = reason.to_string();
        self.updated_at = now.to_string();
        self.finished_at = Some(now.to_string());
    }

    /// Pretty JSON for `state.json` (ends with a newline).
    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The result of reading `state.json`.
#[derive(Debug, Clone, PartialEq)]
pub enum StateRead {
    /// Missing, empty, whitespace or cut off mid-way: the worker has not written it (fully) yet.
    NotWrittenYet,
    /// Written by a newer Space Factory; this version cannot read it.
    Unsupported {
        schema: u64,
    },
    /// Complete JSON that is not a run state; `reason` says what is wrong.
    Unreadable {
        reason: String,
    },
    State(Box<RunState>),
}

impl StateRead {
    /// Reads the text of `state.json` (`None` when the file does not exist). Never panics.
    pub fn parse(text: Option<&str>) -> StateRead {
        let Some(text) = text else {
            return StateRead::NotWrittenYet;
        };
        if text.trim().is_empty() {
            return StateRead::NotWrittenYet;
        }
        // `from_slice` (the same text): the Hub client reads with it, so the browser app carries one
        // JSON reader instead of two (issue 13). Likewise for every record file below.
        let value: Value = match serde_json::from_slice(text.as_bytes()) {
            Ok(v) => v,
            Err(e) if e.is_eof() => return StateRead::NotWrittenYet,
            Err(e) => {
                return StateRead::Unreadable {
                    reason: format!("state.json is not valid JSON ({e})"),
                };
            }
        };
        let Some(obj) = value.as_object() else {
            return StateRead::Unreadable {
                reason: "state.json does not hold a JSON object".to_string(),
            };
        };
        match obj.get("schema").and_then(Value::as_u64) {
            None => {
                return StateRead::Unreadable {
                    reason: "state.json has no schema number".to_string(),
                };
            }
            Some(schema) if schema > u64::from(SCHEMA_VERSION) => {
                return StateRead::Unsupported { schema };
            }
            Some(_) => {}
        }
        match serde_json::from_value::<RunState>(value) {
            Ok(state) => StateRead::State(Box::new(state)),
            Err(e) => StateRead::Unreadable {
                reason: format!("state.json does not match the run record ({e})"),
            },
        }
    }

    /// The state, if one was read.
    pub fn state(&self) -> Option<&RunState> {
        match self {
            StateRead::State(s) => Some(s),
            _ => None,
        }
    }
}

/// How serious an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
    Error,
}

/// One line of `events.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// RFC 3339 timestamp.
    pub ts: String,
    pub level: Level,
    pub phase: Phase,
    pub message: String,
    #[serde(default)]
    pub data: Value,
}

impl Event {
    /// The event as one JSONL line, newline included.
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// The result of reading `events.jsonl`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventsRead {
    /// The readable events, in file order.
    pub events: Vec<Event>,
    /// Complete lines that could not be read as an event.
    pub unreadable_lines: usize,
    /// Whether the last line was cut off mid-write and skipped.
    pub partial_last_line: bool,
}

/// Reads `events.jsonl`: blank lines are skipped; a last line without its newline that does not
/// parse is taken as still being written; other bad lines are counted. Never panics.
pub fn parse_events(text: &str) -> EventsRead {
    let mut out = EventsRead::default();
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_slice::<Event>(line.as_bytes()) {
            Ok(event) => out.events.push(event),
            Err(_) if i == last && !ends_with_newline => out.partial_last_line = true,
            Err(_) => out.unreadable_lines += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn full_state() -> RunState {
        let mut s = RunState::new(
            RunId::parse("build-20261128-142501-a3f9c2").unwrap(),
            RunKind::Build,
            "2026-11-28T14:25:01Z",
        );
        s.model_id = Some("Tongyi-MAI/Z-Image-Turbo".into());
        s.target_space = Some("alice/space-factory-z".into());
        s.job_id = Some("6759a1b2c3d4e5f601234567".into());
        s.hardware = HardwareRecord {
            requested: Some("zero-a10g".into()),
            attempts: vec![
                HardwareAttempt {
                    flavor: "zero-a10g".into(),
                    ok: false,
                    reason: Some("quota".into()),
                },
                HardwareAttempt {
                    flavor: "l40sx1".into(),
                    ok: true,
                    reason: None,
                },
            ],
            assigned: Some("l40sx1".into()),
        };
        s.blockers = vec!["needs 2 GPUs".into()];
        s.validation = Some(ValidationRecord {
            api_name: "/generate".into(),
            expected_output_type: OutputType::Image,
            output_type: Some(ObservedOutput::Image),
            first_call_seconds: Some(41.5),
            warm_call_seconds: Some(6.25),
            recommended_zerogpu_duration_seconds: Some(70),
            artifact_path: Some("artifacts/output.png".into()),
        });
        s.agent = Some(AgentUsage {
            input_tokens: 10,
            output_tokens: 5,
            total_tokens: 15,
            cost_usd: Some(0.01),
            rounds: 3,
        });
        s.cost = Some(CostRecord {
            job_flavor: "cpu-basic".into(),
            job_usd_per_hour: Some(0.01),
            job_seconds: 600,
            job_usd: Some(0.0017),
            space_flavor: Some("l40sx1".into()),
            space_usd_per_hour: Some(1.8),
            space_paid_seconds: 300,
            space_usd: Some(0.15),
            sleep_seconds: Some(3600),
            paused: true,
            standing: "paused: no charge".into(),
            prices_from: "built-in".into(),
            by_hand: vec![],
        });
        s.finish(
            RunStatus::FullInferenceSuccess,
            "it works",
            "2026-11-28T15:00:00Z",
        );
        s
    }

    #[test]
    fn a_validation_record_takes_the_figures_of_its_calls() {
        let blank = ValidationRecord::new("/generate", OutputType::Image);
        assert_eq!(blank.output_type, None);
        assert_eq!(blank.recommended_zerogpu_duration_seconds, None);
        let v = blank.clone().with_calls(
            ObservedOutput::Image,
            41.504,
            Some(6.2549),
            Some("artifacts/output.png".into()),
        );
        assert_eq!(v.first_call_seconds, Some(41.5));
        assert_eq!(v.warm_call_seconds, Some(6.25));
        assert_eq!(v.recommended_zerogpu_duration_seconds, Some(70));
        assert_eq!(v.artifact_path.as_deref(), Some("artifacts/output.png"));
        assert_eq!(
            (v.api_name.as_str(), v.expected_output_type),
            ("/generate", OutputType::Image)
        );
        // A warm call that failed: the first call stands in for it.
        let v = blank
            .clone()
            .with_calls(ObservedOutput::Image, 20.0, None, None);
        assert_eq!(
            (v.warm_call_seconds, v.recommended_zerogpu_duration_seconds),
            (None, Some(60)) // max(2 × 20, 1.25 × 20) + 15 = 55 → 60
        );
        // An empty output still took GPU time: the advice is given all the same.
        let v = blank.with_calls(ObservedOutput::Empty, 12.0, Some(3.0), None);
        assert_eq!(v.output_type, Some(ObservedOutput::Empty));
        assert_eq!(v.recommended_zerogpu_duration_seconds, Some(30));
    }

    #[test]
    fn status_wire_names_are_the_seeds() {
        let names: Vec<_> = RunStatus::OUTCOMES
            .iter()
            .map(|s| serde_json::to_value(s).unwrap())
            .collect();
        assert_eq!(
            names,
            vec![
                json!("full_inference_success"),
                json!("full_inference_candidate_health_passed"),
                json!("manual_hardware_required"),
                json!("health_only"),
                json!("technical_blocker"),
                json!("failed"),
            ]
        );
        assert_eq!(
            serde_json::to_value(RunStatus::Running).unwrap(),
            json!("running")
        );
        for s in RunStatus::OUTCOMES.into_iter().chain([RunStatus::Running]) {
            assert_eq!(RunStatus::from_wire(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
            assert!(!s.label().is_empty() && s.explanation().ends_with('.'));
            // ASCII: the batch page lower-cases it with `to_ascii_lowercase` (issue 13).
            assert!(s.label().is_ascii(), "{}", s.label());
            assert_eq!(s.is_final(), s != RunStatus::Running);
            assert_eq!(s.is_success(), s == RunStatus::FullInferenceSuccess);
        }
        assert_eq!(RunStatus::from_wire("success"), None);
    }

    #[test]
    fn phases_and_steps() {
        let build: Vec<_> = Phase::steps(RunKind::Build)
            .iter()
            .map(|p| p.as_str())
            .collect();
        assert_eq!(
            build,
            [
                "queued",
                "starting",
                "reading_model",
                "agent",
                "checking_files",
                "creating_space",
                "assigning_hardware",
                "uploading",
                "waiting_for_space",
                "repairing",
                "checking_live",
                "smoke_test",
                "reporting",
                "finished"
            ]
        );
        let validate: Vec<_> = Phase::steps(RunKind::Validate)
            .iter()
            .map(|p| p.as_str())
            .collect();
        assert_eq!(
            validate,
            [
                "queued",
                "starting",
                "waiting_for_space",
                "checking_live",
                "smoke_test",
                "reporting",
                "finished"
            ]
        );
        for p in BUILD_STEPS {
            assert_eq!(serde_json::to_value(p).unwrap(), json!(p.as_str()));
            assert!(!p.label().is_empty());
        }
        assert_eq!(Phase::Agent.step_index(RunKind::Validate), None);
        assert_eq!(Phase::SmokeTest.step_index(RunKind::Validate), Some(4));
    }

    #[test]
    fn output_types() {
        assert_eq!(OutputType::from_wire(" Image "), Some(OutputType::Image));
        assert_eq!(OutputType::from_wire("picture"), None);
        assert!(OutputType::Image.accepts(ObservedOutput::Image));
        assert!(!OutputType::Image.accepts(ObservedOutput::File));
        assert!(OutputType::Any.accepts(ObservedOutput::Json));
        assert!(!OutputType::Any.accepts(ObservedOutput::Empty));
        assert!(!OutputType::Text.accepts(ObservedOutput::Empty));
    }

    #[test]
    fn state_round_trips() {
        let s = full_state();
        let text = s.to_json_pretty();
        assert_eq!(
            StateRead::parse(Some(&text)),
            StateRead::State(Box::new(s.clone()))
        );
        let minimal = RunState::new(RunId::parse("v1").unwrap(), RunKind::Validate, "t");
        let text = serde_json::to_string(&minimal).unwrap();
        assert!(!text.contains("validation") && !text.contains("finished_at"));
        assert_eq!(StateRead::parse(Some(&text)).state(), Some(&minimal));
    }

    #[test]
    fn state_json_shape() {
        let v = serde_json::to_value(full_state()).unwrap();
        assert_eq!(v["schema"], 1);
        assert_eq!(v["status"], "full_inference_success");
        assert_eq!(v["phase"], "finished");
        assert_eq!(v["kind"], "build");
        assert_eq!(
            v["hardware"]["attempts"][0],
            json!({"flavor": "zero-a10g", "ok": false, "reason": "quota"})
        );
        assert_eq!(v["validation"]["output_type"], "image");
        assert_eq!(v["agent"]["total_tokens"], 15);
        assert_eq!(v["finished_at"], "2026-11-28T15:00:00Z");
    }

    #[test]
    fn tolerant_reading() {
        assert_eq!(StateRead::parse(None), StateRead::NotWrittenYet);
        assert_eq!(StateRead::parse(Some("")), StateRead::NotWrittenYet);
        assert_eq!(StateRead::parse(Some(" \n\t")), StateRead::NotWrittenYet);
        let text = full_state().to_json_pretty();
        for cut in [1, 10, text.len() / 2, text.len() - 3] {
            assert_eq!(
                StateRead::parse(Some(&text[..cut])),
                StateRead::NotWrittenYet,
                "cut at {cut}"
            );
        }
        // Minimal record with unknown fields and missing optional ones.
        let minimal = r#"{"schema":1,"run_id":"r1","kind":"validate","status":"running","phase":"queued","future":{"x":1}}"#;
        let st = StateRead::parse(Some(minimal));
        let st = st.state().unwrap();
        assert_eq!(st.message, "");
        assert!(st.blockers.is_empty() && st.hardware.attempts.is_empty());
        assert_eq!(
            StateRead::parse(Some(r#"{"schema":2,"anything":true}"#)),
            StateRead::Unsupported { schema: 2 }
        );
        assert!(matches!(
            StateRead::parse(Some("[1,2]")),
            StateRead::Unreadable { .. }
        ));
        assert!(matches!(
            StateRead::parse(Some(r#"{"run_id":"x"}"#)),
            StateRead::Unreadable { .. }
        ));
        assert!(matches!(
            StateRead::parse(Some("{\"schema\":1} trailing")),
            StateRead::Unreadable { .. }
        ));
        assert!(matches!(
            StateRead::parse(Some("{,}")),
            StateRead::Unreadable { .. }
        ));
        let bad_id =
            r#"{"schema":1,"run_id":"../x","kind":"build","status":"running","phase":"queued"}"#;
        assert!(matches!(
            StateRead::parse(Some(bad_id)),
            StateRead::Unreadable { .. }
        ));
    }

    #[test]
    fn finishing_always_sets_an_outcome() {
        let mut s = RunState::new(RunId::parse("r").unwrap(), RunKind::Build, "a");
        s.enter_phase(Phase::Agent, "", "b");
        assert_eq!(
            (s.phase, s.message.as_str(), s.updated_at.as_str()),
            (Phase::Agent, "Writing the app", "b")
        );
        s.finish(RunStatus::Running, "crashed", "c");
        assert_eq!(s.status, RunStatus::Failed);
        assert_eq!(s.finished_at.as_deref(), Some("c"));
    }

    fn event(msg: &str) -> Event {
        Event {
            ts: "2026-11-28T14:25:01Z".into(),
            level: Level::Info,
            phase: Phase::Agent,
            message: msg.into(),
            data: Value::Null,
        }
    }

    #[test]
    fn events_round_trip_and_tolerate_damage() {
        let e = Event {
            data: json!({"round": 2}),
            level: Level::Warn,
            ..event("a")
        };
        let line = e.to_line();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let text = format!(
            "{line}{}\n{}",
            event("b").to_line(),
            &event("c").to_line()[..20]
        );
        let read = parse_events(&text);
        assert_eq!(read.events, vec![e, event("b")]);
        assert_eq!(read.unreadable_lines, 0);
        assert!(read.partial_last_line);

        let text = format!(
            "not json\n{}\r\n{{\"ts\":1}}\n",
            event("x").to_line().trim_end()
        );
        let read = parse_events(&text);
        assert_eq!(read.events, vec![event("x")]);
        assert_eq!(read.unreadable_lines, 2);
        assert!(!read.partial_last_line);

        // A complete last line without newline is kept; missing data defaults to null.
        let read = parse_events(r#"{"ts":"t","level":"error","phase":"smoke_test","message":"m"}"#);
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.events[0].data, Value::Null);
        assert_eq!(parse_events(""), EventsRead::default());
    }

    #[test]
    fn run_paths() {
        let id = RunId::parse("r1").unwrap();
        assert_eq!(run_folder(&id), "runs/r1");
        assert_eq!(run_file(&id, STATE_FILE), "runs/r1/state.json");
    }

    proptest! {
        #[test]
        fn state_read_never_panics(s in "\\PC{0,300}") {
            let _ = StateRead::parse(Some(&s));
        }

        #[test]
        fn every_prefix_of_a_state_reads_as_not_written_or_state(cut in 0usize..2000) {
            let text = full_state().to_json_pretty();
            let cut = cut.min(text.len());
            let read = StateRead::parse(Some(&text[..cut]));
            let ok = matches!(read, StateRead::NotWrittenYet | StateRead::State(_));
            prop_assert!(ok, "{:?}", read);
        }

        #[test]
        fn events_never_panic_and_count_lines(s in "\\PC{0,300}") {
            let read = parse_events(&s);
            let non_blank = s.split('\n').filter(|l| !l.trim().is_empty()).count();
            prop_assert_eq!(read.events.len() + read.unreadable_lines + usize::from(read.partial_last_line), non_blank);
        }

        #[test]
        fn event_messages_round_trip(msg in "\\PC{0,60}") {
            let e = event(&msg);
            prop_assert_eq!(parse_events(&e.to_line()).events, vec![e]);
        }
    }

    #[test]
    fn cost_totals_and_spaces_that_bill_on() {
        let mut c = CostRecord {
            job_usd: Some(0.01),
            space_flavor: Some("l40sx1".into()),
            space_usd: Some(0.3),
            standing: "$1.80/h until it sleeps after 1 h idle".into(),
            ..CostRecord::default()
        };
        assert!((c.total_usd().unwrap() - 0.31).abs() < 1e-9);
        assert!(c.bills_on());
        c.paused = true;
        assert!(!c.bills_on());
        c.paused = false;
        for free in ["zero-a10g", "cpu-basic"] {
            c.space_flavor = Some(free.into());
            assert!(!c.bills_on(), "{free}");
        }
        c.space_flavor = None;
        c.space_usd = None;
        assert!(!c.bills_on());
        assert_eq!(c.total_usd(), Some(0.01));
        c.job_usd = None;
        assert_eq!(c.total_usd(), None);
    }
}
