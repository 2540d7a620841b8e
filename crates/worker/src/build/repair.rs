//! Repair rounds. After a failed start (`start_space`) and after a failed live check — a
//! smoke-test call that raised or returned another output type than expected, or a Space that
//! does not answer `/health` — the agent is given what failed and the end of the Space's logs
//! (redacted), rewrites the files; they are checked, committed, and the Space is waited for and
//! checked again. Both kinds share one budget, `cfg.repair_rounds`; when it is spent the verdict
//! comes from what the last version did (`sf_core::rules`) — except that a working generation is
//! never traded for a health route: when a repair round meant to add `/health` breaks the
//! generation and no round is left, the version whose generation worked is committed again.

use serde_json::json;
use sf_core::record::{GENERATED_DIR, Level, Phase, TRACES_DIR};
use sf_core::rules::{BuildEvidence, CallOutcome, SmokeOutcome};
use sf_core::smoke_test::CallSpec;
use sf_hub::CommitFile;
use sf_hub::types::SpaceStage;

use super::{Build, REPAIR_LOG_LINES};
use crate::placeholder::AppReading;
use crate::report::Check;
use crate::space::{self, SpaceLogs};
use crate::task::{self, FailedCall, Failure, RepairInput};
use crate::{Step, WorkerError};

/// Where the repair rounds of a build stand.
#[derive(Debug, Default)]
pub(super) struct RepairState {
    /// Rounds used so far (after a failed start or a failed live check), at most
    /// `cfg.repair_rounds` in all.
    pub repairs: u32,
    /// The stage the Space showed when a new version was committed: left over until the Space
    /// shows another.
    pub stale_stage: Option<SpaceStage>,
    /// The last live check: the smoke-test call's outcome (when it was made) and the live
    /// checks that failed (`name: detail`).
    pub last_call: Option<CallOutcome>,
    pub failed_live: Vec<String>,
    /// The last version whose generation worked (while a repair round tries to add what it
    /// lacked), and whether it was already committed again.
    working: Option<WorkingVersion>,
    restored: bool,
}

/// A version whose live generation returned the expected output: what was uploaded and what the
/// wrapper's checks read from it.
#[derive(Debug, Clone)]
struct WorkingVersion {
    upload: Vec<CommitFile>,
    spec: Option<CallSpec>,
    reading: Option<AppReading>,
    evidence: BuildEvidence,
}

impl Build<'_> {
    /// Starts the Space and checks it live; after a failed live check, a repair round while any
    /// is left, then the new version is started and checked again.
    pub(super) async fn run_and_check(&mut self) -> Result<Step, WorkerError> {
        loop {
            match self.start_space().await? {
                Step::Next => {}
                Step::Conclude if self.can_restore() => match self.restore_working().await {
                    Step::Next => continue,
                    other => return Ok(other),
                },
                other => return Ok(other),
            }
            match self.check_live().await? {
                Step::Next => {}
                other => return Ok(other),
            }
            if !self.live_check_failed() {
                return Ok(Step::Next);
            }
            let round = self.repair.repairs + 1;
            let logs = space::save_logs(&self.hub, &self.req.target_space, self.rec, |log| {
                format!("space-{log}-log-live-check-{round}.txt")
            })
            .await;
            self.name_the_silent_error(&logs);
            let generation_works = matches!(
                self.evidence.smoke,
                SmokeOutcome::Passed {
                    output_type_matches: true
                }
            );
            if generation_works && !self.repair.restored {
                self.repair.working = Some(WorkingVersion {
                    upload: self.upload.clone(),
                    spec: self.spec.clone(),
                    reading: self.reading.clone(),
                    evidence: self.evidence.clone(),
                });
            }
            if self.repair.repairs >= self.cfg.repair_rounds {
                if !generation_works && self.can_restore() {
                    match self.restore_working().await {
                        Step::Next => continue,
                        other => return Ok(other),
                    }
                }
                if !generation_works && self.cfg.repair_rounds > 0 {
                    self.fail_detail(format!(
                        "No repair rounds left ({} allowed).",
                        self.cfg.repair_rounds
                    ));
                }
                return Ok(Step::Next);
            }
            let spec = self.spec.clone();
            let outcome = self.repair.last_call.clone();
            let checks = self.repair.failed_live.clone();
            let call = match (&spec, &outcome) {
                (Some(spec), Some(outcome)) if !generation_works => {
                    Some(FailedCall { spec, outcome })
                }
                _ => None,
            };
            self.rec.event(
                Level::Warn,
                &format!(
                    "The live check failed{}; the agent gets the failure and the Space's logs.",
                    if generation_works {
                        " (the generation works)"
                    } else {
                        ""
                    }
                ),
                json!({"call": outcome, "failed_checks": checks}),
            );
            let failure = Failure::Live {
                call,
                checks: &checks,
            };
            match self
                .repair_round(failure, &logs, SpaceStage::Running)
                .await?
            {
                Step::Next => {}
                other => return Ok(other),
            }
        }
    }

    fn can_restore(&self) -> bool {
        self.repair.working.is_some() && !self.repair.restored
    }

    /// The repair rounds are spent and the last one broke a generation that worked (it was
    /// meant to add `/health`): the version whose generation worked is committed again, to be
    /// started and checked once more. A working generation is never traded for a health route.
    async fn restore_working(&mut self) -> Step {
        let Some(w) = self.repair.working.take() else {
            return Step::Conclude;
        };
        self.repair.restored = true;
        let stale = match self.hub.space_runtime(&self.req.target_space).await {
            Ok(rt) => Some(rt.stage),
            Err(_) => None,
        };
        self.upload = w.upload;
        self.spec = w.spec;
        self.reading = w.reading;
        self.evidence.files_ok = w.evidence.files_ok;
        self.evidence.placeholder_detected = w.evidence.placeholder_detected;
        self.evidence.inference_path_present = w.evidence.inference_path_present;
        self.evidence.needs_gpu = w.evidence.needs_gpu;
        for f in &self.upload {
            self.rec.write_text(
                &format!("{GENERATED_DIR}/{}", f.path),
                &String::from_utf8_lossy(&f.content),
            );
        }
        self.detail = None;
        let why = "the last repair round broke the generation that worked before it, and no round is left: the version whose generation worked is committed again";
        self.rec.warn(&format!("Going back: {why}."));
        self.checks
            .push(Check::note("Back to the working version", why));
        if !self
            .commit_as("Space Factory: back to the version whose generation worked".into())
            .await
        {
            return Step::Conclude;
        }
        self.repair.stale_stage = stale;
        Step::Next
    }

    /// Whether the last live check calls for a repair: the smoke test did not return the
    /// expected output type (when there is one), or a live check (`/config`, `/health` …)
    /// failed.
    fn live_check_failed(&self) -> bool {
        let call_ok = match &self.evidence.smoke {
            SmokeOutcome::Passed {
                output_type_matches,
            } => *output_type_matches,
            SmokeOutcome::Failed { .. } => false,
            SmokeOutcome::NotRun => self.spec.is_none(),
        };
        !call_ok || !self.evidence.health_ok
    }

    /// A call that failed with an exception Gradio does not show: the exception's last line from
    /// the Space's run log joins the reason (the verdict's and the next repair round's).
    fn name_the_silent_error(&mut self, logs: &SpaceLogs) {
        let Some(CallOutcome::Failed { reason }) = &self.repair.last_call else {
            return;
        };
        if reason != crate::smoke::SILENT_ERROR {
            return;
        }
        let Some(line) = space::last_exception(&logs.run) else {
            return;
        };
        let reason = format!("the app raised an error; the Space's run log ends with `{line}`");
        self.checks
            .push(Check::note("Error in the Space's run log", line.clone()));
        self.evidence.smoke = SmokeOutcome::Failed {
            reason: reason.clone(),
        };
        self.repair.last_call = Some(CallOutcome::Failed { reason });
    }

    /// One repair round: the agent gets the task for `failure` with the end of `logs`
    /// (redacted: nothing a Space printed reaches the agent with a token in it), its files are
    /// checked and committed. `Step::Next` when the new version is committed: the Space is
    /// waited for again, its stage `stale` left over until it shows another.
    pub(super) async fn repair_round(
        &mut self,
        failure: Failure<'_>,
        logs: &SpaceLogs,
        stale: SpaceStage,
    ) -> Result<Step, WorkerError> {
        self.repair.repairs += 1;
        let n = self.repair.repairs;
        // The new version is judged on its own.
        self.detail = None;
        self.rec.phase(
            Phase::Repairing,
            &format!(
                "Repair round {n} of {}: the agent reads what failed and the logs",
                self.cfg.repair_rounds
            ),
        );
        let facts = self.facts.as_ref().map(|f| f.summary()).unwrap_or_default();
        // A failed start's build log explains it; a running app's build log does not.
        let build_log = match failure {
            Failure::Start { .. } => space::tail(&logs.build, REPAIR_LOG_LINES),
            Failure::Live { .. } => String::new(),
        };
        let text = task::repair_task(&RepairInput {
            failure,
            model_id: &self.model_id,
            space_id: &self.space_id,
            facts: &facts,
            build_log: &build_log,
            run_log: &space::tail(&logs.run, REPAIR_LOG_LINES),
            round: n,
            rounds: self.cfg.repair_rounds,
        });
        let text = self.rec.redact(&text);
        self.rec
            .write_text(&format!("{TRACES_DIR}/repair-task-{n}.txt"), &text);
        if let Err(e) = self.agent_round(n + 1, &text).await {
            self.rec.error(&e);
            self.checks
                .push(Check::fail(&format!("Repair round {n}"), e.clone()));
            self.fail_detail(e);
            return Ok(Step::Conclude);
        }
        match self.check_files().await? {
            Step::Next => {}
            other => return Ok(other),
        }
        self.checks.push(Check::pass(
            &format!("Repair round {n}"),
            "the agent rewrote the files",
        ));
        if !self.commit(n + 1).await {
            return Ok(Step::Conclude);
        }
        self.repair.stale_stage = Some(stale);
        Ok(Step::Next)
    }
}
