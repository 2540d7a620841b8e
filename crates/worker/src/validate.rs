//! `space-factory-worker validate`: wait for an existing Space to run, check its Gradio API,
//! call the endpoint twice (first and warm), check and store the output, recommend a ZeroGPU
//! duration, and write the verdict.

use serde_json::json;
use sf_core::record::{
    ObservedOutput, Phase, REPORT_FILE, TESTS_DIR, TRACES_DIR, ValidationRecord,
};
use sf_core::rules::{
    CallOutcome, RuntimeOutcome, ValidateEvidence, decide_validate_status,
    recommend_zerogpu_duration,
};
use sf_core::{SpaceRef, ValidateRequest};
use sf_hub::SpaceLogKind;

use crate::config::WorkerConfig;
use crate::gradio::SpaceApp;
use crate::record::Recorder;
use crate::report::{self, Check, LinkContext, Report};
use crate::smoke::{self, CallSpec};
use crate::space::{WaitOptions, collect_logs, wait_for_running};
use crate::{Hub, WorkerError, space_host};

/// Runs a validation to its verdict (the final state and `report.md` are written).
pub async fn run(
    req: &ValidateRequest,
    cfg: &WorkerConfig,
    rec: &Recorder,
) -> Result<(), WorkerError> {
    let hub = crate::hub_client(cfg)?;
    let space_id = req.target_space.id();
    rec.update(|s| {
        s.target_space = Some(space_id.clone());
        s.job_id = cfg.job_id.clone();
        s.validation = Some(ValidationRecord {
            api_name: req.api_name.to_string(),
            expected_output_type: req.expected_output,
            output_type: None,
            first_call_seconds: None,
            warm_call_seconds: None,
            recommended_zerogpu_duration_seconds: None,
            artifact_path: None,
        });
    });
    let links = LinkContext {
        links: sf_core::Links::new(&cfg.settings.hub_url),
        run_id: req.run_id.clone(),
        bucket: req.bucket.clone(),
        space: Some(req.target_space.clone()),
        job: cfg
            .job_id
            .clone()
            .map(|j| (req.bucket.owner().to_string(), j)),
    };
    let mut checks = Vec::new();
    let spec = CallSpec {
        api_name: req.api_name.to_string(),
        args: req.test_args.clone(),
        kwargs: req.test_kwargs.clone(),
        expected: req.expected_output,
    };

    let wait_limit = cfg
        .space_wait
        .unwrap_or(std::time::Duration::from_secs(u64::from(
            req.live_timeout_seconds,
        )));
    rec.phase(
        Phase::WaitingForSpace,
        &format!(
            "Waiting up to {} for {space_id} to run",
            crate::guard::describe_duration(wait_limit)
        ),
    );
    let info = match hub.space_info(&req.target_space).await {
        Ok(info) => info,
        Err(e) if e.is_not_found() => {
            checks.push(Check::fail(
                "Space exists",
                format!("{space_id} was not found"),
            ));
            let reason = format!(
                "The Space {space_id} was not found, or your token cannot read it; check the name and that you own it."
            );
            return finish(
                rec,
                &checks,
                &links,
                None,
                sf_core::RunStatus::Failed,
                &reason,
            );
        }
        Err(e) => return Err(e.into()),
    };
    checks.push(Check::pass(
        "Space exists",
        format!(
            "{space_id} (sdk {})",
            info.sdk.as_deref().unwrap_or("unknown")
        ),
    ));
    let host = space_host(&info, &req.target_space, &links.links);
    let app = SpaceApp::new(&host, Some(&cfg.token))?;
    let wait = wait_for_running(
        &hub,
        &req.target_space,
        &WaitOptions {
            timeout: wait_limit,
            poll: cfg.poll_interval,
            stale: None,
            stale_grace: std::time::Duration::ZERO,
        },
        rec,
        Some(&app),
    )
    .await?;
    if let Some(rt) = &wait.runtime {
        rec.update(|s| s.hardware.assigned = rt.hardware.current.clone());
    }
    let running = wait.outcome == RuntimeOutcome::Running;
    if running {
        checks.push(Check::pass(
            "Space running",
            format!("after {:.0} s", wait.waited.as_secs_f64()),
        ));
    } else {
        checks.push(Check::fail(
            "Space running",
            wait.detail.clone().unwrap_or_default(),
        ));
        if matches!(
            wait.outcome,
            RuntimeOutcome::BuildError | RuntimeOutcome::RuntimeError
        ) {
            save_logs(&hub, &req.target_space, rec).await;
        }
        let evidence = ValidateEvidence {
            space_running: false,
            api_found: false,
            api_name: spec.api_name.clone(),
            expected: spec.expected,
            call: None,
        };
        let verdict = decide_validate_status(&evidence);
        let reason = match &wait.detail {
            Some(d) => format!("{} {d}", verdict.reason),
            None => verdict.reason,
        };
        return finish(rec, &checks, &links, None, verdict.status, &reason);
    }

    rec.phase(
        Phase::CheckingLive,
        &format!("Checking the Gradio API of {host}"),
    );
    let live = smoke::live_checks(&app, rec).await;
    checks.extend(live.checks.iter().cloned());
    if let Some(info) = &live.info {
        rec.write_json(&format!("{TESTS_DIR}/api_schema.json"), info);
    }
    let eps = live.endpoints();
    let ep = smoke::find_endpoint(&eps, &spec.api_name).cloned();
    match &ep {
        Some(ep) => checks.push(Check::pass(
            "Endpoint exists",
            format!(
                "`{}` returns {}",
                ep.name,
                if ep.returns.is_empty() {
                    "nothing listed".to_string()
                } else {
                    ep.returns.join(", ")
                }
            ),
        )),
        None => checks.push(Check::fail(
            "Endpoint exists",
            format!(
                "`{}` is not among {}",
                spec.api_name,
                if eps.is_empty() {
                    "the (unreadable) endpoints".to_string()
                } else {
                    eps.iter()
                        .map(|e| format!("`{}`", e.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )),
    }
    let Some(ep) = ep else {
        let verdict = decide_validate_status(&ValidateEvidence {
            space_running: true,
            api_found: false,
            api_name: spec.api_name.clone(),
            expected: spec.expected,
            call: None,
        });
        return finish(rec, &checks, &links, None, verdict.status, &verdict.reason);
    };

    rec.phase(
        Phase::SmokeTest,
        &format!("Calling {} (first call)", spec.api_name),
    );
    let first = smoke::measured_call(&app, &ep, &spec, cfg.call_timeout, rec, Some("output")).await;
    rec.info(&format!("First call {}.", smoke::describe(&first)));
    checks.push(match &first.outcome {
        CallOutcome::Returned { output } if spec.expected.accepts(*output) => {
            Check::pass("First call", smoke::describe(&first))
        }
        _ => Check::fail("First call", smoke::describe(&first)),
    });
    let mut warm = None;
    if matches!(first.outcome, CallOutcome::Returned { .. }) {
        rec.info(&format!("Calling {} again (warm call)", spec.api_name));
        let w = smoke::measured_call(&app, &ep, &spec, cfg.call_timeout, rec, None).await;
        rec.info(&format!("Warm call {}.", smoke::describe(&w)));
        checks.push(match &w.outcome {
            CallOutcome::Returned { .. } => Check::pass("Warm call", smoke::describe(&w)),
            CallOutcome::Failed { .. } => Check::fail("Warm call", smoke::describe(&w)),
        });
        warm = Some(w);
    }
    let observed = match &first.outcome {
        CallOutcome::Returned { output } => Some(*output),
        CallOutcome::Failed { .. } => None,
    };
    let warm_ok_s = warm
        .as_ref()
        .filter(|w| matches!(w.outcome, CallOutcome::Returned { .. }))
        .map(|w| w.seconds);
    let recommended = observed
        .filter(|o| *o != ObservedOutput::Empty)
        .map(|_| recommend_zerogpu_duration(first.seconds, warm_ok_s.unwrap_or(first.seconds)));
    rec.update(|s| {
        if let Some(v) = s.validation.as_mut() {
            v.output_type = observed;
            v.first_call_seconds = observed.map(|_| round2(first.seconds));
            v.warm_call_seconds = warm_ok_s.map(round2);
            v.recommended_zerogpu_duration_seconds = recommended;
            v.artifact_path = first.artifact.clone();
        }
    });
    rec.write_json(
        &format!("{TESTS_DIR}/validation_result.json"),
        &json!({
            "api_name": spec.api_name,
            "args": spec.args,
            "kwargs": spec.kwargs,
            "expected_output": spec.expected,
            "first_call": {"seconds": first.seconds, "outcome": first.outcome, "outputs": first.outputs, "artifact": first.artifact},
            "warm_call": warm.as_ref().map(|w| json!({"seconds": w.seconds, "outcome": w.outcome, "outputs": w.outputs})),
            "recommended_zerogpu_duration_seconds": recommended,
        }),
    );
    let verdict = decide_validate_status(&ValidateEvidence {
        space_running: true,
        api_found: true,
        api_name: spec.api_name.clone(),
        expected: spec.expected,
        call: Some(first.outcome.clone()),
    });
    finish(
        rec,
        &checks,
        &links,
        recommended,
        verdict.status,
        &verdict.reason,
    )
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

async fn save_logs(hub: &Hub, space_id: &SpaceRef, rec: &Recorder) {
    for (kind, name) in [
        (SpaceLogKind::Build, "space-build.log"),
        (SpaceLogKind::Run, "space-run.log"),
    ] {
        let lines = collect_logs(
            hub,
            space_id,
            kind,
            std::time::Duration::from_secs(3),
            std::time::Duration::from_secs(15),
        )
        .await;
        if !lines.is_empty() {
            rec.write_text(&format!("{TRACES_DIR}/{name}"), &(lines.join("\n") + "\n"));
        }
    }
}

fn finish(
    rec: &Recorder,
    checks: &[Check],
    links: &LinkContext,
    recommended: Option<u32>,
    status: sf_core::RunStatus,
    reason: &str,
) -> Result<(), WorkerError> {
    rec.phase(Phase::Reporting, "");
    let success = (status == sf_core::RunStatus::FullInferenceSuccess)
        .then(|| report::success_message(&rec.state()))
        .flatten();
    let reason = success.as_deref().unwrap_or(reason);
    rec.write_json(
        &format!("{TESTS_DIR}/checks.json"),
        &serde_json::to_value(checks).unwrap_or_default(),
    );
    // The report shows the final state, so render it from the state as it will be.
    let mut state = rec.state();
    state.finish(status, reason, &crate::record::now_rfc3339());
    let text = report::render(&Report {
        state: &state,
        checks,
        sections: Vec::new(),
        next_steps: report::next_steps(state.status, links, recommended),
        links,
    });
    rec.write_text(REPORT_FILE, &text);
    rec.finish(status, reason);
    Ok(())
}
