//! The explicit rules that decide a run's status, and the ZeroGPU duration advice.
//!
//! # Build rules ([`decide_build_status`]), first match wins
//!
//! 1. Gated mode and Space Factory's own checks (before any agent ran) or the agent found
//!    technical blockers → `technical_blocker`; the reason says who found them.
//! 2. The agent did not finish → `failed`.
//! 3. The generated files failed the checks → `failed`.
//! 4. Gated mode and the app is a placeholder → `failed` (a placeholder app is never a success).
//! 5. The Space could not be created → `failed`.
//! 6. Other modes and the app is a placeholder → `health_only` if the Space runs and answers its
//!    health check, otherwise `failed` (a placeholder is capped at `health_only`).
//! 7. The model needs a GPU and none (nor the requested hardware) could be assigned →
//!    `manual_hardware_required` (whatever the Space did on the wrong hardware proves nothing).
//!
//!    7b. The Hub accepted a hardware request but never filled it: the Space was still waiting
//!    for that hardware when the wait ended (current ≠ requested) → `manual_hardware_required`,
//!    not `failed` by time-out: the app may be fine, the hardware is what is missing.
//!
//!    7c. The model is gated or private ([`model_needs_token`]) and the Space has no `HF_TOKEN`
//!    secret ([`space_token`]) → `technical_blocker`: the Space cannot download the weights, and
//!    no repair round can fix that. The next step is the person's: add a read token as the
//!    secret `HF_TOKEN` in the Space settings, then Validate the Space. Space Factory never puts
//!    the person's sign-in token (OAuth, hours long, with write and job scopes) into a Space.
//! 8. The Space never reached running (build error, runtime error, time-out, not started) → `failed`.
//! 9. The Space runs but its health check failed, and no generation returned the expected
//!    output → `failed` (the reason adds the failed generation, when there was one).
//!
//!    9b. The health check failed but the smoke test returned the expected output type (after
//!    the repair rounds, which are given the missing route first) → `full_inference_success`;
//!    the reason says the route did not answer. See [A missing health route](#a-missing-health-route).
//! 10. The smoke test returned the expected output type → `full_inference_success`.
//! 11. The smoke test returned another type, or failed → `failed`.
//! 12. Not smoke-tested, but the app has a real inference path → `full_inference_candidate_health_passed`.
//! 13. Otherwise (runs and answers) → `health_only`.
//!
//! In non-gated modes blockers do not decide the status; they are named, with who found them, in
//! the reason of a `failed` verdict.
//!
//! # A missing health route
//!
//! `/health` is Space Factory's own liveness route, asked of the agent in its task; neither the
//! Hub nor Gradio needs it (the Hub watches the app's port). A Space whose live generation
//! returned the expected output has proven more than any health route can: it starts, answers,
//! loads the model and generates. So when the repair rounds (which get the failed route first)
//! run out and only `/health` is missing, the build ends `full_inference_success` — the status
//! `decide_validate_status` gives the same Space, which never asks for `/health` — and the
//! reason says the route did not answer; the report's next steps say how to add it. Not
//! `failed`: that would tell the person to throw away a working Space. Not `health_only` or
//! `full_inference_candidate_health_passed`: those say less than what was proven (that the app
//! boots but its generation is untested or fake). Without a passing generation a failed health
//! check stays `failed` (rule 9).
//!
//! # Validate rules ([`decide_validate_status`]), first match wins
//!
//! 1. The Space was not running within the live timeout → `failed`.
//! 2. The API name is not among the Space's endpoints → `failed`.
//! 3. The call failed → `failed`.
//! 4. The call returned another output type than expected → `failed`.
//! 5. The call returned the expected output type → `full_inference_success`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::{ObservedOutput, OutputType, RunStatus};

/// How strict the build is (the seed's "Implementation mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImplementationMode {
    #[serde(rename = "full-inference-gated")]
    FullInferenceGated,
    #[serde(rename = "full-inference-attempt")]
    FullInferenceAttempt,
    #[serde(rename = "safe-scaffold")]
    SafeScaffold,
}

impl ImplementationMode {
    /// The seed's choices, in its order.
    pub const ALL: [ImplementationMode; 3] = [
        ImplementationMode::FullInferenceGated,
        ImplementationMode::FullInferenceAttempt,
        ImplementationMode::SafeScaffold,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImplementationMode::FullInferenceGated => "full-inference-gated",
            ImplementationMode::FullInferenceAttempt => "full-inference-attempt",
            ImplementationMode::SafeScaffold => "safe-scaffold",
        }
    }

    pub fn from_wire(s: &str) -> Option<ImplementationMode> {
        let s = s.trim();
        ImplementationMode::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    /// Short human words.
    pub fn label(self) -> &'static str {
        match self {
            ImplementationMode::FullInferenceGated => "Real inference, or say why not",
            ImplementationMode::FullInferenceAttempt => "Try real inference anyway",
            ImplementationMode::SafeScaffold => "Safe scaffold",
        }
    }

    /// One sentence on what the mode does.
    pub fn explanation(self) -> &'static str {
        match self {
            ImplementationMode::FullInferenceGated => {
                "The app must run the real model; if the agent finds a concrete obstacle the run stops as a technical blocker, and a placeholder app counts as a failure."
            }
            ImplementationMode::FullInferenceAttempt => {
                "The agent tries a real inference app even when it sees obstacles; the outcome is decided by what the live Space does."
            }
            ImplementationMode::SafeScaffold => {
                "The agent may build a simpler app that starts reliably; a placeholder can at best reach health_only."
            }
        }
    }

    pub fn is_gated(self) -> bool {
        self == ImplementationMode::FullInferenceGated
    }
}

impl fmt::Display for ImplementationMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far the Space got in starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeOutcome {
    /// Never started (not created, or the run stopped before).
    NotStarted,
    Running,
    BuildError,
    RuntimeError,
    /// Still not running when the wait ended.
    TimedOut,
}

/// The outcome of the build's smoke test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum SmokeOutcome {
    NotRun,
    Passed { output_type_matches: bool },
    Failed { reason: String },
}

/// The name of the Space secret the generated app reads its Hub token from (the name
/// `huggingface_hub` itself reads).
pub const SPACE_TOKEN_SECRET: &str = "HF_TOKEN";

/// Whether the generated Space can download the model's files (rule 7c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "token")]
pub enum SpaceToken {
    /// A public, ungated model (or no model loading to speak of): no token needed.
    NotNeeded,
    /// The model needs a token and the Space has the secret `HF_TOKEN`.
    Present,
    /// The model needs a token (it is gated, or private when `private`) and the Space has no
    /// secret `HF_TOKEN`, or its secrets could not be listed.
    Missing { private: bool },
}

/// A model whose files need a token to download: gated (`auto` or `manual`) or private.
pub fn model_needs_token(gated: bool, private: bool) -> bool {
    gated || private
}

/// Rule 7c's evidence: whether a Space with these secret names can download a model that is
/// gated or private as given. A secret is a name only: its value is never readable.
pub fn space_token(gated: bool, private: bool, secret_keys: &[String]) -> SpaceToken {
    if !model_needs_token(gated, private) {
        SpaceToken::NotNeeded
    } else if secret_keys.iter().any(|k| k == SPACE_TOKEN_SECRET) {
        SpaceToken::Present
    } else {
        SpaceToken::Missing { private }
    }
}

/// The next step of rule 7c, with the Space's settings link.
pub fn space_token_next_step(settings_url: &str) -> String {
    format!(
        "Add a read token as the secret `{SPACE_TOKEN_SECRET}` in the Space settings ({settings_url}), then Validate this Space."
    )
}

/// What the build worker found out, fed to [`decide_build_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildEvidence {
    pub mode: ImplementationMode,
    /// Obstacles Space Factory's own checks found before any agent ran (the model is missing,
    /// gated without access, too large for any single GPU …).
    pub early_blockers: Vec<String>,
    /// Obstacles the agent reported (`BLOCKERS.md`).
    pub blockers: Vec<String>,
    pub agent_ok: bool,
    pub files_ok: bool,
    pub placeholder_detected: bool,
    pub space_created: bool,
    /// A GPU, or the requested hardware, is actually assigned to the Space.
    pub hardware_assigned: bool,
    /// The flavor the Space had requested and the Hub had not assigned when the wait ended
    /// (`hardware.requested` ≠ `hardware.current` in its runtime).
    pub hardware_unfilled: Option<String>,
    pub needs_gpu: bool,
    /// Whether the Space can download a gated or private model's files (rule 7c).
    pub space_token: SpaceToken,
    pub runtime: RuntimeOutcome,
    pub health_ok: bool,
    pub inference_path_present: bool,
    pub smoke: SmokeOutcome,
}

/// A decided status and the sentence that explains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub status: RunStatus,
    pub reason: String,
}

impl Verdict {
    fn new(status: RunStatus, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            reason: reason.into(),
        }
    }
}

fn runtime_failure(runtime: RuntimeOutcome) -> Option<&'static str> {
    match runtime {
        RuntimeOutcome::Running => None,
        RuntimeOutcome::NotStarted => Some("The Space never started."),
        RuntimeOutcome::BuildError => {
            Some("The Space failed to build; see the build log in the run's traces.")
        }
        RuntimeOutcome::RuntimeError => {
            Some("The Space crashed while starting; see the run log in the run's traces.")
        }
        RuntimeOutcome::TimedOut => Some("The Space was still not running when the wait ended."),
    }
}

/// Blockers as one clause, without doubled full stops: `a; b`.
fn clause(blockers: &[String]) -> String {
    blockers
        .iter()
        .map(|b| b.trim().trim_end_matches('.'))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The reason of rule 9b: the generation works, the health route does not.
pub const HEALTH_ROUTE_MISSING: &str = "A live generation on the Space returned the expected output type, but the Space did not answer its `/health` check; a missing health route alone does not fail a Space whose generation works.";

/// Decides a build's status by the numbered rules in the module documentation.
pub fn decide_build_status(e: &BuildEvidence) -> Verdict {
    use RunStatus::*;
    let failed = |reason: &str| {
        let mut text = reason.to_string();
        if !e.early_blockers.is_empty() {
            text.push_str(&format!(
                " Space Factory's own checks had found: {}.",
                clause(&e.early_blockers)
            ));
        }
        if !e.blockers.is_empty() {
            text.push_str(&format!(
                " The agent had reported: {}.",
                clause(&e.blockers)
            ));
        }
        Verdict::new(Failed, text)
    };
    // 1
    if e.mode.is_gated() && !e.early_blockers.is_empty() {
        let mut reason = format!(
            "Space Factory's own checks found what prevents a working Space, before any agent ran: {}.",
            clause(&e.early_blockers)
        );
        if !e.blockers.is_empty() {
            reason.push_str(&format!(
                " The agent also reported: {}.",
                clause(&e.blockers)
            ));
        }
        return Verdict::new(TechnicalBlocker, reason);
    }
    if e.mode.is_gated() && !e.blockers.is_empty() {
        return Verdict::new(
            TechnicalBlocker,
            format!(
                "The agent found what prevents a working Space: {}.",
                clause(&e.blockers)
            ),
        );
    }
    // 2
    if !e.agent_ok {
        return failed("The coding agent did not finish an app.");
    }
    // 3
    if !e.files_ok {
        return failed(
            "The generated files did not pass the checks (missing app.py, requirements or README, or invalid code).",
        );
    }
    // 4
    if e.mode.is_gated() && e.placeholder_detected {
        return Verdict::new(
            Failed,
            "The app is a placeholder that does not run the model; a placeholder app is never a success.",
        );
    }
    // 5
    if !e.space_created {
        return failed("The private Space could not be created.");
    }
    // 6
    if e.placeholder_detected {
        return match (e.runtime, e.health_ok) {
            (RuntimeOutcome::Running, true) => Verdict::new(
                HealthOnly,
                "The Space starts, but the app is a placeholder that does not run the model.",
            ),
            (runtime, _) => failed(
                runtime_failure(runtime)
                    .unwrap_or("The placeholder Space did not answer its health check."),
            ),
        };
    }
    // 7
    if e.needs_gpu && !e.hardware_assigned {
        return Verdict::new(
            ManualHardwareRequired,
            "The Space was created, but no GPU could be assigned automatically; choose its hardware in the Space settings, then run Validate.",
        );
    }
    // 7b
    if let (RuntimeOutcome::TimedOut, Some(flavor)) = (e.runtime, &e.hardware_unfilled) {
        return Verdict::new(
            ManualHardwareRequired,
            format!(
                "The Hub accepted the Space on {flavor} but never assigned that hardware while Space Factory waited; choose available hardware in the Space settings (or wait for it), then run Validate."
            ),
        );
    }
    // 7c
    if let SpaceToken::Missing { private } = e.space_token {
        return Verdict::new(
            TechnicalBlocker,
            format!(
                "The model is {}, and the Space has no `{SPACE_TOKEN_SECRET}` secret, so it cannot download the weights; Space Factory never puts your sign-in token into a Space. Add a read token as the secret `{SPACE_TOKEN_SECRET}` in the Space settings, then Validate this Space.",
                if private { "private" } else { "gated" }
            ),
        );
    }
    // 8
    if let Some(reason) = runtime_failure(e.runtime) {
        return failed(reason);
    }
    // 9, 9b
    if !e.health_ok {
        return match &e.smoke {
            SmokeOutcome::Passed {
                output_type_matches: true,
            } => Verdict::new(FullInferenceSuccess, HEALTH_ROUTE_MISSING),
            SmokeOutcome::Passed {
                output_type_matches: false,
            } => failed(
                "The Space is running but did not answer its health check, and the test generation returned a different output type than expected.",
            ),
            SmokeOutcome::Failed { reason } => failed(&format!(
                "The Space is running but did not answer its health check, and the test generation failed: {reason}."
            )),
            SmokeOutcome::NotRun => {
                failed("The Space is running but did not answer its health check.")
            }
        };
    }
    match &e.smoke {
        // 10
        SmokeOutcome::Passed {
            output_type_matches: true,
        } => Verdict::new(
            FullInferenceSuccess,
            "A live generation on the Space returned the expected output type.",
        ),
        // 11
        SmokeOutcome::Passed {
            output_type_matches: false,
        } => failed("The test generation returned a different output type than expected."),
        SmokeOutcome::Failed { reason } => {
            failed(&format!("The test generation failed: {reason}."))
        }
        // 12
        SmokeOutcome::NotRun if e.inference_path_present => Verdict::new(
            FullInferenceCandidateHealthPassed,
            "The Space starts and has a real inference path; run Validate to test a generation.",
        ),
        // 13
        SmokeOutcome::NotRun => Verdict::new(
            HealthOnly,
            "The Space starts and answers, but no real inference path was found.",
        ),
    }
}

/// The outcome of the validation call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum CallOutcome {
    Failed { reason: String },
    Returned { output: ObservedOutput },
}

/// What the validate worker found out, fed to [`decide_validate_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidateEvidence {
    /// The Space reached running within the live timeout.
    pub space_running: bool,
    /// The API name exists among the Space's endpoints.
    pub api_found: bool,
    pub api_name: String,
    pub expected: OutputType,
    /// `None` when no call was made.
    pub call: Option<CallOutcome>,
}

/// Decides a validation's status by the numbered rules in the module documentation.
pub fn decide_validate_status(e: &ValidateEvidence) -> Verdict {
    use RunStatus::*;
    if !e.space_running {
        return Verdict::new(
            Failed,
            "The Space was not running before the live timeout; check its logs and hardware, then validate again.",
        );
    }
    if !e.api_found {
        return Verdict::new(
            Failed,
            format!(
                "The Space has no endpoint `{}`; check the API name on the Space's \"Use via API\" page.",
                e.api_name
            ),
        );
    }
    match &e.call {
        None => Verdict::new(Failed, "No generation call was made."),
        Some(CallOutcome::Failed { reason }) => {
            Verdict::new(Failed, format!("The generation call failed: {reason}."))
        }
        Some(CallOutcome::Returned { output }) if !e.expected.accepts(*output) => Verdict::new(
            Failed,
            format!(
                "The generation returned {output} output, but {} was expected.",
                e.expected
            ),
        ),
        Some(CallOutcome::Returned { output }) => Verdict::new(
            FullInferenceSuccess,
            format!("A live generation returned {output} output as expected."),
        ),
    }
}

/// Lower and upper bounds of [`recommend_zerogpu_duration`], in seconds.
pub const ZEROGPU_DURATION_MIN_S: u32 = 30;
pub const ZEROGPU_DURATION_MAX_S: u32 = 300;
/// Safety margin added to the measured time.
pub const ZEROGPU_MARGIN_S: f64 = 15.0;

/// A conservative `@spaces.GPU(duration=…)` in seconds from measured call times:
/// `max(2 × warm, 1.25 × first) + 15 s`, rounded up to a multiple of 10, clamped to 30..=300.
/// Negative or NaN times count as 0; infinite ones give the maximum.
pub fn recommend_zerogpu_duration(first_call_s: f64, warm_call_s: f64) -> u32 {
    let clean = |x: f64| if x.is_nan() || x < 0.0 { 0.0 } else { x };
    let needed = (clean(warm_call_s) * 2.0).max(clean(first_call_s) * 1.25) + ZEROGPU_MARGIN_S;
    if needed >= f64::from(ZEROGPU_DURATION_MAX_S) {
        return ZEROGPU_DURATION_MAX_S;
    }
    let rounded = ((needed / 10.0).ceil() * 10.0) as u32;
    rounded.clamp(ZEROGPU_DURATION_MIN_S, ZEROGPU_DURATION_MAX_S)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RunStatus::*;
    use proptest::prelude::*;

    /// Evidence of a perfect build; each test breaks one thing.
    fn good() -> BuildEvidence {
        BuildEvidence {
            mode: ImplementationMode::FullInferenceGated,
            early_blockers: vec![],
            blockers: vec![],
            agent_ok: true,
            files_ok: true,
            placeholder_detected: false,
            space_created: true,
            hardware_assigned: true,
            hardware_unfilled: None,
            needs_gpu: true,
            space_token: SpaceToken::NotNeeded,
            runtime: RuntimeOutcome::Running,
            health_ok: true,
            inference_path_present: true,
            smoke: SmokeOutcome::Passed {
                output_type_matches: true,
            },
        }
    }

    fn status(e: BuildEvidence) -> RunStatus {
        decide_build_status(&e).status
    }

    #[test]
    fn rule_7b_a_hardware_request_never_filled_is_manual_not_a_time_out() {
        let waiting = BuildEvidence {
            runtime: RuntimeOutcome::TimedOut,
            hardware_unfilled: Some("l40sx1".into()),
            health_ok: false,
            smoke: SmokeOutcome::NotRun,
            ..good()
        };
        let v = decide_build_status(&waiting);
        assert_eq!(v.status, ManualHardwareRequired);
        assert!(
            v.reason.contains("l40sx1") && v.reason.contains("Validate"),
            "{}",
            v.reason
        );
        // A time-out with the hardware assigned is the app's fault: failed.
        assert_eq!(
            status(BuildEvidence {
                hardware_unfilled: None,
                ..waiting.clone()
            }),
            Failed
        );
        // A build error while the hardware is pending is still a build error.
        assert_eq!(
            status(BuildEvidence {
                runtime: RuntimeOutcome::BuildError,
                ..waiting.clone()
            }),
            Failed
        );
        // Earlier rules still win: a placeholder in gated mode fails.
        assert_eq!(
            status(BuildEvidence {
                placeholder_detected: true,
                ..waiting
            }),
            Failed
        );
    }

    #[test]
    fn rule_1_blockers_in_gated_mode() {
        let v = decide_build_status(&BuildEvidence {
            blockers: vec!["needs 8 GPUs".into()],
            agent_ok: false,
            ..good()
        });
        assert_eq!(v.status, TechnicalBlocker);
        assert!(v.reason.contains("needs 8 GPUs"));
        // Other modes: blockers do not decide, but are named when the run fails.
        let attempt = BuildEvidence {
            mode: ImplementationMode::FullInferenceAttempt,
            blockers: vec!["licence".into()],
            ..good()
        };
        assert_eq!(status(attempt.clone()), FullInferenceSuccess);
        let v = decide_build_status(&BuildEvidence {
            agent_ok: false,
            ..attempt
        });
        assert_eq!(v.status, Failed);
        assert!(v.reason.contains("licence"), "{}", v.reason);
    }

    /// Who found the obstacle is said: Space Factory's own checks, the agent, or both.
    #[test]
    fn rule_1_says_who_found_the_blockers() {
        let gated_model = "The model is gated and your account has no access to its files";
        let v = decide_build_status(&BuildEvidence {
            early_blockers: vec![gated_model.into()],
            agent_ok: false,
            ..good()
        });
        assert_eq!(v.status, TechnicalBlocker);
        assert!(
            v.reason.starts_with("Space Factory's own checks found")
                && v.reason.contains(gated_model)
                && !v.reason.contains("agent found"),
            "{}",
            v.reason
        );
        let v = decide_build_status(&BuildEvidence {
            early_blockers: vec!["too large.".into()],
            blockers: vec!["custom kernels".into()],
            ..good()
        });
        assert!(!v.reason.contains(".."), "{}", v.reason);
        assert!(
            v.reason.contains("checks found")
                && v.reason
                    .contains("The agent also reported: custom kernels."),
            "{}",
            v.reason
        );
        // Other modes go on; a failure names both sources.
        let v = decide_build_status(&BuildEvidence {
            mode: ImplementationMode::FullInferenceAttempt,
            early_blockers: vec!["too large".into()],
            blockers: vec!["custom kernels".into()],
            smoke: SmokeOutcome::Failed {
                reason: "CUDA out of memory".into(),
            },
            ..good()
        });
        assert_eq!(v.status, Failed);
        assert!(
            v.reason.contains("CUDA out of memory")
                && v.reason
                    .contains("Space Factory's own checks had found: too large.")
                && v.reason.contains("The agent had reported: custom kernels."),
            "{}",
            v.reason
        );
    }

    #[test]
    fn rule_2_agent_failure() {
        assert_eq!(
            status(BuildEvidence {
                agent_ok: false,
                ..good()
            }),
            Failed
        );
    }

    #[test]
    fn rule_3_file_failure() {
        assert_eq!(
            status(BuildEvidence {
                files_ok: false,
                ..good()
            }),
            Failed
        );
    }

    #[test]
    fn rule_4_placeholder_in_gated_mode() {
        let v = decide_build_status(&BuildEvidence {
            placeholder_detected: true,
            ..good()
        });
        assert_eq!(v.status, Failed);
        assert!(v.reason.contains("never a success"));
    }

    #[test]
    fn rule_5_space_not_created() {
        assert_eq!(
            status(BuildEvidence {
                space_created: false,
                ..good()
            }),
            Failed
        );
    }

    #[test]
    fn rule_6_placeholder_in_other_modes_is_capped() {
        for mode in [
            ImplementationMode::FullInferenceAttempt,
            ImplementationMode::SafeScaffold,
        ] {
            let e = BuildEvidence {
                mode,
                placeholder_detected: true,
                ..good()
            };
            assert_eq!(status(e.clone()), HealthOnly);
            assert_eq!(
                status(BuildEvidence {
                    hardware_assigned: false,
                    ..e.clone()
                }),
                HealthOnly
            );
            assert_eq!(
                status(BuildEvidence {
                    health_ok: false,
                    ..e.clone()
                }),
                Failed
            );
            assert_eq!(
                status(BuildEvidence {
                    runtime: RuntimeOutcome::BuildError,
                    ..e
                }),
                Failed
            );
        }
    }

    #[test]
    fn rule_7_gpu_needed_but_not_assigned() {
        let e = BuildEvidence {
            hardware_assigned: false,
            runtime: RuntimeOutcome::RuntimeError,
            health_ok: false,
            ..good()
        };
        assert_eq!(status(e), ManualHardwareRequired);
        // Without a GPU need, missing hardware does not matter.
        assert_eq!(
            status(BuildEvidence {
                hardware_assigned: false,
                needs_gpu: false,
                ..good()
            }),
            FullInferenceSuccess
        );
    }

    #[test]
    fn rule_7c_a_gated_or_private_model_needs_the_space_secret() {
        let none: Vec<String> = vec![];
        let keys = vec!["OTHER".to_string(), "HF_TOKEN".to_string()];
        assert!(!model_needs_token(false, false));
        assert!(model_needs_token(true, false) && model_needs_token(false, true));
        assert_eq!(space_token(false, false, &none), SpaceToken::NotNeeded);
        assert_eq!(space_token(true, false, &keys), SpaceToken::Present);
        assert_eq!(
            space_token(true, false, &none),
            SpaceToken::Missing { private: false }
        );
        assert_eq!(
            space_token(false, true, &["hf_token".to_string()]),
            SpaceToken::Missing { private: true },
            "secret names are case-sensitive"
        );
        // The Space never started: without the rule this would be `failed` by rule 8.
        let missing = BuildEvidence {
            space_token: space_token(true, false, &none),
            runtime: RuntimeOutcome::NotStarted,
            health_ok: false,
            smoke: SmokeOutcome::NotRun,
            ..good()
        };
        let v = decide_build_status(&missing);
        assert_eq!(v.status, TechnicalBlocker);
        assert!(
            v.reason.starts_with("The model is gated")
                && v.reason.contains("secret `HF_TOKEN`")
                && v.reason.contains("Validate this Space")
                && v.reason.contains("never puts your sign-in token"),
            "{}",
            v.reason
        );
        let v = decide_build_status(&BuildEvidence {
            space_token: SpaceToken::Missing { private: true },
            ..missing.clone()
        });
        assert!(v.reason.starts_with("The model is private"), "{}", v.reason);
        // With the secret the run goes on to the live checks.
        assert_eq!(
            status(BuildEvidence {
                space_token: SpaceToken::Present,
                ..good()
            }),
            FullInferenceSuccess
        );
        // Earlier rules win: the Space was never created, or no GPU could be assigned.
        assert_eq!(
            status(BuildEvidence {
                space_created: false,
                ..missing.clone()
            }),
            Failed
        );
        assert_eq!(
            status(BuildEvidence {
                hardware_assigned: false,
                ..missing.clone()
            }),
            ManualHardwareRequired
        );
        assert_eq!(
            status(BuildEvidence {
                mode: ImplementationMode::FullInferenceAttempt,
                ..missing
            }),
            TechnicalBlocker
        );
        let step = space_token_next_step("https://huggingface.co/spaces/a/b/settings");
        assert_eq!(
            step,
            "Add a read token as the secret `HF_TOKEN` in the Space settings (https://huggingface.co/spaces/a/b/settings), then Validate this Space."
        );
    }

    #[test]
    fn rule_8_space_not_running() {
        for runtime in [
            RuntimeOutcome::NotStarted,
            RuntimeOutcome::BuildError,
            RuntimeOutcome::RuntimeError,
            RuntimeOutcome::TimedOut,
        ] {
            assert_eq!(
                status(BuildEvidence { runtime, ..good() }),
                Failed,
                "{runtime:?}"
            );
        }
    }

    #[test]
    fn rule_9_health_failed() {
        let v = decide_build_status(&BuildEvidence {
            health_ok: false,
            smoke: SmokeOutcome::NotRun,
            ..good()
        });
        assert_eq!(v.status, Failed);
        assert!(
            v.reason.contains("did not answer its health check"),
            "{}",
            v.reason
        );
    }

    /// A working generation is never `failed` for a missing health route alone; without one a
    /// failed health check stays `failed`, naming what else failed.
    #[test]
    fn rule_9b_a_missing_health_route_alone_does_not_fail_a_working_generation() {
        let v = decide_build_status(&BuildEvidence {
            health_ok: false,
            ..good()
        });
        assert_eq!(v.status, FullInferenceSuccess);
        assert_eq!(v.reason, HEALTH_ROUTE_MISSING);
        assert!(v.reason.contains("`/health`"), "{}", v.reason);
        // The same in every mode, and with blockers reported outside gated mode.
        for mode in [
            ImplementationMode::FullInferenceAttempt,
            ImplementationMode::SafeScaffold,
        ] {
            assert_eq!(
                status(BuildEvidence {
                    mode,
                    health_ok: false,
                    blockers: vec!["licence".into()],
                    ..good()
                }),
                FullInferenceSuccess
            );
        }
        // Without a passing generation, a failed health check fails, with the call's failure.
        let v = decide_build_status(&BuildEvidence {
            health_ok: false,
            smoke: SmokeOutcome::Failed {
                reason: "the app raised an error: boom".into(),
            },
            ..good()
        });
        assert_eq!(v.status, Failed);
        assert!(
            v.reason.contains("health check") && v.reason.contains("boom"),
            "{}",
            v.reason
        );
        for smoke in [
            SmokeOutcome::NotRun,
            SmokeOutcome::Passed {
                output_type_matches: false,
            },
        ] {
            assert_eq!(
                status(BuildEvidence {
                    health_ok: false,
                    smoke,
                    ..good()
                }),
                Failed
            );
        }
        // Earlier rules still win: a placeholder without health fails, a crashed Space fails.
        assert_eq!(
            status(BuildEvidence {
                health_ok: false,
                placeholder_detected: true,
                mode: ImplementationMode::SafeScaffold,
                ..good()
            }),
            Failed
        );
        assert_eq!(
            status(BuildEvidence {
                health_ok: false,
                runtime: RuntimeOutcome::RuntimeError,
                ..good()
            }),
            Failed
        );
    }

    #[test]
    fn rule_10_smoke_passed() {
        let v = decide_build_status(&good());
        assert_eq!(v.status, FullInferenceSuccess);
        assert!(v.status.is_success());
    }

    #[test]
    fn rule_11_smoke_wrong_type_or_failed() {
        assert_eq!(
            status(BuildEvidence {
                smoke: SmokeOutcome::Passed {
                    output_type_matches: false
                },
                ..good()
            }),
            Failed
        );
        let v = decide_build_status(&BuildEvidence {
            smoke: SmokeOutcome::Failed {
                reason: "HTTP 500".into(),
            },
            ..good()
        });
        assert_eq!(v.status, Failed);
        assert!(v.reason.contains("HTTP 500"));
    }

    #[test]
    fn rule_12_candidate() {
        assert_eq!(
            status(BuildEvidence {
                smoke: SmokeOutcome::NotRun,
                ..good()
            }),
            FullInferenceCandidateHealthPassed
        );
    }

    #[test]
    fn rule_13_health_only() {
        assert_eq!(
            status(BuildEvidence {
                smoke: SmokeOutcome::NotRun,
                inference_path_present: false,
                ..good()
            }),
            HealthOnly
        );
    }

    #[test]
    fn modes() {
        for m in ImplementationMode::ALL {
            assert_eq!(ImplementationMode::from_wire(m.as_str()), Some(m));
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.as_str())
            );
            assert!(m.explanation().ends_with('.'));
        }
        assert_eq!(ImplementationMode::from_wire("gated"), None);
    }

    fn valid() -> ValidateEvidence {
        ValidateEvidence {
            space_running: true,
            api_found: true,
            api_name: "/generate".into(),
            expected: OutputType::Image,
            call: Some(CallOutcome::Returned {
                output: ObservedOutput::Image,
            }),
        }
    }

    #[test]
    fn validate_rules() {
        assert_eq!(
            decide_validate_status(&valid()).status,
            FullInferenceSuccess
        );
        assert_eq!(
            decide_validate_status(&ValidateEvidence {
                space_running: false,
                ..valid()
            })
            .status,
            Failed
        );
        let v = decide_validate_status(&ValidateEvidence {
            api_found: false,
            ..valid()
        });
        assert_eq!(v.status, Failed);
        assert!(v.reason.contains("/generate"));
        let v = decide_validate_status(&ValidateEvidence {
            call: Some(CallOutcome::Failed {
                reason: "queue full".into(),
            }),
            ..valid()
        });
        assert!(v.status == Failed && v.reason.contains("queue full"));
        let v = decide_validate_status(&ValidateEvidence {
            call: Some(CallOutcome::Returned {
                output: ObservedOutput::Text,
            }),
            ..valid()
        });
        assert_eq!(v.status, Failed);
        assert!(
            v.reason.contains("text") && v.reason.contains("image"),
            "{}",
            v.reason
        );
        assert_eq!(
            decide_validate_status(&ValidateEvidence {
                call: None,
                ..valid()
            })
            .status,
            Failed
        );
        let any = ValidateEvidence {
            expected: OutputType::Any,
            call: Some(CallOutcome::Returned {
                output: ObservedOutput::Json,
            }),
            ..valid()
        };
        assert_eq!(decide_validate_status(&any).status, FullInferenceSuccess);
        let empty = ValidateEvidence {
            call: Some(CallOutcome::Returned {
                output: ObservedOutput::Empty,
            }),
            ..any
        };
        assert_eq!(decide_validate_status(&empty).status, Failed);
    }

    #[test]
    fn zerogpu_duration() {
        assert_eq!(recommend_zerogpu_duration(0.0, 0.0), 30);
        assert_eq!(recommend_zerogpu_duration(10.0, 4.0), 30); // 12.5 + 15 = 27.5 → 30
        assert_eq!(recommend_zerogpu_duration(41.5, 6.25), 70); // 51.875 + 15 → 70
        assert_eq!(recommend_zerogpu_duration(20.0, 20.0), 60); // 40 + 15 = 55 → 60
        assert_eq!(recommend_zerogpu_duration(36.0, 0.0), 60); // 45 + 15 = 60 exactly
        assert_eq!(recommend_zerogpu_duration(400.0, 1.0), 300);
        assert_eq!(recommend_zerogpu_duration(f64::INFINITY, 1.0), 300);
        assert_eq!(recommend_zerogpu_duration(f64::NAN, -5.0), 30);
    }

    proptest! {
        #[test]
        fn zerogpu_duration_is_bounded_rounded_and_sufficient(first in 0.0f64..1000.0, warm in 0.0f64..1000.0) {
            let d = recommend_zerogpu_duration(first, warm);
            prop_assert!((30..=300).contains(&d) && d.is_multiple_of(10));
            let needed = (warm * 2.0).max(first * 1.25) + 15.0;
            prop_assert!(f64::from(d) >= needed || d == 300);
        }

        #[test]
        fn placeholder_never_succeeds(mode in prop_oneof![Just(ImplementationMode::FullInferenceGated), Just(ImplementationMode::FullInferenceAttempt), Just(ImplementationMode::SafeScaffold)],
                                      needs_gpu in any::<bool>(), hw in any::<bool>(), health in any::<bool>(), inference in any::<bool>(), matches in any::<bool>()) {
            let e = BuildEvidence { mode, placeholder_detected: true, needs_gpu, hardware_assigned: hw, health_ok: health,
                                    inference_path_present: inference, smoke: SmokeOutcome::Passed { output_type_matches: matches }, ..good() };
            let s = decide_build_status(&e).status;
            prop_assert!(matches!(s, Failed | HealthOnly));
        }
    }
}
