//! Repair rounds. After a failed start (`start_space`) and after a failed live check — a
//! smoke-test call that raised or returned another output type than expected, or a Space that
//! does not answer `/health` — the agent is given what failed and the end of the Space's logs
//! (redacted), rewrites the files; they are checked, committed, and the Space is waited for and
//! checked again. Both kinds share one budget, `cfg.repair_rounds`; when it is spent the verdict
//! comes from what the last version did (`sf_core::rules`).

use serde_json::json;
use sf_core::record::{Level, Phase, TRACES_DIR};
use sf_core::rules::{CallOutcome, SmokeOutcome};
use sf_hub::types::SpaceStage;

use super::{Build, REPAIR_LOG_LINES};
use crate::report::Check;
use crate::space::{self, SpaceLogs};
use crate::task::{self, FailedCall, Failure, RepairInput};
use crate::{Step, WorkerError};

impl Build<'_> {
    /// Starts the Space and checks it live; after a failed live check, a repair round while any
    /// is left, then the new version is started and checked again.
    pub(super) async fn run_and_check(&mut self) -> Result<Step, WorkerError> {
        loop {
            match self.start_space().await? {
                Step::Next => {}
                other => return Ok(other),
            }
            match self.check_live().await? {
                Step::Next => {}
                other => return Ok(other),
            }
            if !self.live_check_failed() {
                return Ok(Step::Next);
            }
            let round = self.repairs + 1;
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
            if self.repairs >= self.cfg.repair_rounds {
                if !generation_works && self.cfg.repair_rounds > 0 {
                    self.fail_detail(format!(
                        "No repair rounds left ({} allowed).",
                        self.cfg.repair_rounds
                    ));
                }
                return Ok(Step::Next);
            }
            let spec = self.spec.clone();
            let outcome = self.last_call.clone();
            let checks = self.failed_live.clone();
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
        let Some(CallOutcome::Failed { reason }) = &self.last_call else {
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
        self.last_call = Some(CallOutcome::Failed { reason });
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
        self.repairs += 1;
        let n = self.repairs;
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
        self.stale_stage = Some(stale);
        Ok(Step::Next)
    }
}
