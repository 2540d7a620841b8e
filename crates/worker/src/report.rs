//! `report.md`: the human report of a run — what was built or checked, every check and its
//! result, the verdict and why, and next steps with links.

use sf_core::RunKind;
use sf_core::RunLinks;
use sf_core::record::{Phase, RunState, RunStatus};
use sf_core::rules::{ZEROGPU_DURATION_MAX_S, ZEROGPU_DURATION_MIN_S, ZEROGPU_MARGIN_S};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not run, with the reason in the detail.
    Skip,
    /// A fact or a warning, neither pass nor fail.
    Note,
}

impl Outcome {
    fn mark(self) -> &'static str {
        match self {
            Outcome::Pass => "✅ pass",
            Outcome::Fail => "❌ fail",
            Outcome::Skip => "⏭️ skipped",
            Outcome::Note => "ℹ️ note",
        }
    }
}

/// One line of the checks table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: String,
    pub outcome: Outcome,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, outcome: Outcome, detail: impl Into<String>) -> Check {
        Check {
            name: name.to_string(),
            outcome,
            detail: detail.into(),
        }
    }
    pub fn pass(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Outcome::Pass, detail)
    }
    pub fn fail(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Outcome::Fail, detail)
    }
    pub fn skip(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Outcome::Skip, detail)
    }
    pub fn note(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Outcome::Note, detail)
    }
}

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub state: &'a RunState,
    pub checks: &'a [Check],
    /// Extra sections, in order: `(title, markdown body)`.
    pub sections: Vec<(String, String)>,
    pub next_steps: Vec<String>,
    pub links: &'a RunLinks,
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders `report.md`.
/// The message of a `full_inference_success` run: what was called, what came back, how fast and
/// on which hardware (the status already says that generation works). `None` without figures.
pub fn success_message(state: &RunState) -> Option<String> {
    let v = state.validation.as_ref()?;
    let output = v.output_type?;
    let time = v
        .first_call_seconds
        .map(|s| format!(" in {s:.1} s"))
        .unwrap_or_default();
    let hardware = state
        .hardware
        .assigned
        .as_ref()
        .map(|h| format!(" on {h}"))
        .unwrap_or_default();
    Some(format!(
        "Called {} on the live Space: {} output{time}{hardware}.",
        v.api_name,
        output.as_str()
    ))
}

pub fn render(r: &Report<'_>) -> String {
    let st = r.state;
    let mut out = format!(
        "# {} run `{}`: {}\n\n",
        st.kind.label(),
        st.run_id,
        st.status.label()
    );
    out.push_str(&format!(
        "**Verdict:** `{}` — {}\n\n",
        st.status,
        st.status.explanation()
    ));
    out.push_str(&format!("**Why:** {}\n\n", st.message));
    let l = r.links;
    out.push_str("## Run\n\n");
    if let Some(model) = &st.model_id {
        match sf_core::ModelRef::parse(model) {
            Ok(m) => out.push_str(&format!("- Model: [`{model}`]({})\n", l.links.model(&m))),
            Err(_) => out.push_str(&format!("- Model: `{model}`\n")),
        }
    }
    if let Some(space) = &l.space {
        out.push_str(&format!(
            "- Space: [`{space}`]({}) (private)\n",
            l.links.space(space)
        ));
    }
    if let Some((ns, job)) = &l.job {
        out.push_str(&format!("- Job: [`{job}`]({})\n", l.links.job(ns, job)));
    }
    out.push_str(&format!(
        "- Run folder: [`runs/{}`]({})\n",
        l.run_id,
        l.links.bucket_run_folder(&l.bucket, &l.run_id)
    ));
    out.push_str(&format!("- Started: {}\n", st.created_at));
    if let Some(end) = &st.finished_at {
        out.push_str(&format!("- Finished: {end}\n"));
    }
    if !st.hardware.attempts.is_empty()
        || st.hardware.requested.is_some()
        || st.hardware.assigned.is_some()
    {
        out.push_str("\n## Hardware\n\n");
        if let Some(req) = &st.hardware.requested {
            out.push_str(&format!("- Requested: `{req}`\n"));
        }
        for a in &st.hardware.attempts {
            out.push_str(&format!(
                "- Tried `{}`: {}{}\n",
                a.flavor,
                if a.ok { "granted" } else { "refused" },
                a.reason
                    .as_deref()
                    .map(|r| format!(" — {r}"))
                    .unwrap_or_default()
            ));
        }
        out.push_str(&format!(
            "- Assigned: {}\n",
            st.hardware
                .assigned
                .as_deref()
                .map(|h| format!("`{h}`"))
                .unwrap_or_else(|| "none".to_string())
        ));
    }
    if !st.blockers.is_empty() {
        out.push_str("\n## Blockers\n\n");
        for b in &st.blockers {
            out.push_str(&format!("- {b}\n"));
        }
    }
    out.push_str("\n## Checks\n\n| Check | Result | Detail |\n|---|---|---|\n");
    for c in r.checks {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&c.name),
            c.outcome.mark(),
            cell(&c.detail)
        ));
    }
    if let Some(v) = &st.validation {
        out.push_str("\n## Generation\n\n");
        out.push_str(&format!("- Endpoint: `{}`\n", v.api_name));
        out.push_str(&format!(
            "- Expected output: `{}`\n",
            v.expected_output_type
        ));
        if let Some(t) = v.output_type {
            out.push_str(&format!("- Returned output: `{t}`\n"));
        }
        if let Some(a) = &v.artifact_path {
            out.push_str(&format!("- Stored output: [`{a}`]({a})\n"));
        }
        if let Some(s) = v.first_call_seconds {
            out.push_str(&format!("- First call: {s:.2} s\n"));
        }
        if let Some(s) = v.warm_call_seconds {
            out.push_str(&format!("- Warm call: {s:.2} s\n"));
        }
        if let Some(d) = v.recommended_zerogpu_duration_seconds {
            out.push_str(&format!(
                "- Recommended ZeroGPU duration: **{d} s**, i.e. `@spaces.GPU(duration={d})`. Formula: max(2 × warm call, 1.25 × first call) + {ZEROGPU_MARGIN_S} s margin, rounded up to a multiple of 10 s, kept within {ZEROGPU_DURATION_MIN_S}–{ZEROGPU_DURATION_MAX_S} s. The first call includes loading the model, so the margin is generous; lower it once you have seen real traffic.\n"
            ));
        }
    }
    if let Some(a) = &st.agent {
        out.push_str(&format!(
            "\n## Coding agent\n\n- Rounds: {}\n- Tokens: {} in, {} out, {} total{}\n",
            a.rounds,
            a.input_tokens,
            a.output_tokens,
            a.total_tokens,
            a.cost_usd
                .map(|c| format!(" (about ${c:.4})"))
                .unwrap_or_default()
        ));
    }
    for (title, body) in &r.sections {
        out.push_str(&format!("\n## {title}\n\n{}\n", body.trim_end()));
    }
    out.push_str("\n## Next steps\n\n");
    for step in &r.next_steps {
        out.push_str(&format!("- {step}\n"));
    }
    out
}

/// What the worker adds to a status's next steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Advice {
    /// The recommended `@spaces.GPU(duration=…)`, in seconds.
    pub zerogpu_duration: Option<u32>,
    /// Rule 7c decided: the model is gated or private and the Space has no `HF_TOKEN` secret.
    pub space_token_missing: bool,
    /// The run paused the Space (paid hardware, no success); filled by [`write_verdict`] from
    /// the state's cost record.
    pub space_paused: bool,
}

/// Ends a run with its verdict: the report phase, `tests/checks.json`, `report.md` (rendered from
/// the state as it will be) and the final state. A success's reason says what it rests on
/// ([`success_message`]) rather than repeating the status.
pub fn write_verdict(
    rec: &crate::record::Recorder,
    checks: &[Check],
    sections: Vec<(String, String)>,
    links: &RunLinks,
    advice: Advice,
    status: RunStatus,
    reason: &str,
) {
    rec.phase(Phase::Reporting, "");
    let success = (status == RunStatus::FullInferenceSuccess)
        .then(|| success_message(&rec.state()))
        .flatten();
    let health = health_caveat(status, checks);
    let reason = match (success, &health) {
        (Some(s), Some((why, _))) => format!("{s} {why}"),
        (Some(s), None) => s,
        (None, _) => reason.to_string(),
    };
    let reason = reason.as_str();
    rec.write_json(
        &format!("{}/checks.json", sf_core::record::TESTS_DIR),
        &serde_json::to_value(checks).unwrap_or_default(),
    );
    let mut state = rec.state();
    state.finish(status, reason, &crate::record::now_rfc3339());
    let advice = Advice {
        space_paused: state.cost.as_ref().is_some_and(|c| c.paused),
        ..advice
    };
    let text = render(&Report {
        state: &state,
        checks,
        sections,
        next_steps: health
            .map(|(_, step)| step)
            .into_iter()
            .chain(next_steps(state.status, links, advice))
            .collect(),
        links,
    });
    rec.write_text(sf_core::record::REPORT_FILE, &text);
    rec.finish(status, reason);
}

/// A generation that works on a Space whose `/health` check failed last (see
/// `sf_core::rules`, "A missing health route"): the sentence added to the reason and the next
/// step that says how to add the route.
pub fn health_caveat(status: RunStatus, checks: &[Check]) -> Option<(String, String)> {
    let last = checks
        .iter()
        .rev()
        .find(|c| c.name == crate::smoke::HEALTH_CHECK)?;
    (status == RunStatus::FullInferenceSuccess && last.outcome == Outcome::Fail).then(|| {
        (
            format!(
                "Its `/health` route did not answer ({}); generation works, so that alone is not a failure.",
                last.detail.trim_end_matches('.')
            ),
            "Add the `/health` route to `app.py` so that liveness checks can reach the Space: `async def health(request): return JSONResponse({\"status\": \"ok\"})` and `demo.launch(app_kwargs={\"routes\": [Route(\"/health\", health)]})` (from `starlette.responses` and `starlette.routing`), then run Validate again.".to_string(),
        )
    })
}

/// Next steps for a status, with links.
pub fn next_steps(status: RunStatus, l: &RunLinks, advice: Advice) -> Vec<String> {
    let recommended_duration = advice.zerogpu_duration;
    let space = l.space.as_ref();
    let open_space = space
        .map(|s| format!("Open the Space: {}", l.links.space(s)))
        .unwrap_or_default();
    let settings = space.map(|s| l.links.space_settings(s)).unwrap_or_default();
    let logs = space.map(|s| l.links.space_logs(s)).unwrap_or_default();
    let folder = l.links.bucket_run_folder(&l.bucket, &l.run_id);
    let mut steps = Vec::new();
    match status {
        RunStatus::FullInferenceSuccess => {
            steps.push(open_space);
            if let Some(d) = recommended_duration {
                steps.push(format!(
                    "On ZeroGPU, set `@spaces.GPU(duration={d})` on the generation function (see the formula above)."
                ));
            }
            steps.push("Run Validate again after you change the app or its hardware.".to_string());
        }
        RunStatus::ManualHardwareRequired => {
            steps.push(format!(
                "Choose the Space's hardware by hand in its settings: {settings} (ZeroGPU needs a PRO account; a fixed GPU needs billing)."
            ));
            steps.push("Then run Validate on the Space to test a generation.".to_string());
        }
        RunStatus::FullInferenceCandidateHealthPassed => {
            steps.push(open_space);
            steps.push("Run Validate with the generation endpoint and test inputs to prove a generation works.".to_string());
        }
        RunStatus::HealthOnly => {
            steps.push(open_space);
            steps.push("The app does not run the model yet: rebuild with `full-inference-attempt`, or edit `app.py` in the Space to load the model, then run Validate.".to_string());
        }
        RunStatus::TechnicalBlocker if advice.space_token_missing && space.is_some() => {
            // `<url>`: a Markdown autolink, so the run page's report links the settings.
            steps.push(sf_core::rules::space_token_next_step(&format!(
                "<{settings}>"
            )));
            if advice.space_paused {
                steps.push("The Space was paused so that its hardware does not bill while it cannot load the model: restart it on the same settings page once the secret is there, before Validate.".to_string());
            }
            steps.push(format!(
                "Create the read token at {}/settings/tokens with an account that can download the model (fine-grained: read access to it, and to gated repos when it is gated). Never use a token that can write or run jobs.",
                l.links.hub()
            ));
        }
        RunStatus::TechnicalBlocker => {
            steps.push(
                "Read the blockers above: they name what prevents a working Space.".to_string(),
            );
            steps.push("Pick a smaller or better documented model, request access if the model is gated, or rebuild with `full-inference-attempt` to try anyway.".to_string());
        }
        RunStatus::Failed | RunStatus::Running => {
            if space.is_some() {
                steps.push(format!("Read the Space's logs: {logs}"));
            }
            steps.push(format!(
                "Read this run's `events.jsonl` and `traces/`: {folder}"
            ));
            steps.push("Fix what the reason above names, then start a new run (a new build needs a Space name that does not exist yet).".to_string());
        }
    }
    steps.retain(|s| !s.is_empty());
    steps
}

/// The short report left when a run stopped without a verdict (error, cancellation, time limit,
/// crash): what happened, where it stopped, and where to look.
pub fn abort_report(state: &RunState, stopped_in: Phase) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# {} run `{}`: {}\n\n",
        state.kind.label(),
        state.run_id,
        state.status.label()
    ));
    out.push_str(&format!(
        "**Verdict:** `{}` — {}\n\n",
        state.status,
        state.status.explanation()
    ));
    out.push_str(&format!("**Why:** {}\n\n", state.message));
    out.push_str(&format!(
        "The run stopped while: {} (`{stopped_in}`).\n\n",
        stopped_in.label()
    ));
    if let Some(model) = &state.model_id {
        out.push_str(&format!("- Model: `{model}`\n"));
    }
    if let Some(space) = &state.target_space {
        out.push_str(&format!("- Space: `{space}`\n"));
    }
    if let Some(job) = &state.job_id {
        out.push_str(&format!("- Job: `{job}`\n"));
    }
    out.push_str("\n## Next steps\n\n");
    if state.message.starts_with(crate::SIGN_IN_EXPIRED) {
        out.push_str("- Sign in again in Space Factory, then press Run again: what you typed in the form is kept.\n");
        if let (RunKind::Build, Some(space)) = (state.kind, &state.target_space) {
            out.push_str(&format!("- If the Space `{space}` was created before the sign-in expired, build under another Space name, or run Validate on it.\n"));
        }
    }
    out.push_str("- Read `events.jsonl` in this folder for every step the run took, and `traces/` for the logs it kept.\n");
    if !state.message.starts_with(crate::SIGN_IN_EXPIRED) {
        out.push_str("- Fix what the reason above names, then start a new run.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sf_core::record::{HardwareAttempt, ObservedOutput, OutputType, ValidationRecord};
    use sf_core::{BucketRef, RunId, RunKind, SpaceRef};

    fn ctx() -> RunLinks {
        RunLinks::new(
            "https://huggingface.co",
            RunId::parse("validate-1").unwrap(),
            BucketRef::parse("alice/space-factory-runs").unwrap(),
            Some(SpaceRef::parse("alice/demo").unwrap()),
            Some("abc123".into()),
        )
    }

    #[test]
    fn renders_verdict_checks_figures_and_links() {
        let mut st = RunState::new(RunId::parse("validate-1").unwrap(), RunKind::Validate, "t0");
        st.hardware.attempts.push(HardwareAttempt {
            flavor: "zero-a10g".into(),
            ok: false,
            reason: Some("PRO needed".into()),
        });
        st.validation = Some(ValidationRecord {
            api_name: "/generate".into(),
            expected_output_type: OutputType::Image,
            output_type: Some(ObservedOutput::Image),
            first_call_seconds: Some(12.5),
            warm_call_seconds: Some(3.0),
            recommended_zerogpu_duration_seconds: Some(40),
            artifact_path: Some("artifacts/output.png".into()),
        });
        st.finish(
            RunStatus::FullInferenceSuccess,
            "A live generation returned image output as expected.",
            "t1",
        );
        let l = ctx();
        let checks = vec![
            Check::pass("Endpoint", "`/generate` | found"),
            Check::fail("Health", "HTTP 404"),
        ];
        let text = render(&Report {
            state: &st,
            checks: &checks,
            sections: vec![("Extra".into(), "body".into())],
            next_steps: next_steps(
                st.status,
                &l,
                Advice {
                    zerogpu_duration: Some(40),
                    ..Advice::default()
                },
            ),
            links: &l,
        });
        assert!(
            text.contains("**Verdict:** `full_inference_success`"),
            "{text}"
        );
        assert!(text.contains("A live generation returned image output"));
        assert!(
            text.contains("| Endpoint | ✅ pass | `/generate` \\| found |"),
            "{text}"
        );
        assert!(text.contains("❌ fail"));
        assert!(text.contains("Tried `zero-a10g`: refused — PRO needed"));
        assert!(
            text.contains("**40 s**") && text.contains("max(2 × warm call, 1.25 × first call)")
        );
        assert!(text.contains("https://huggingface.co/spaces/alice/demo"));
        assert!(text.contains("https://huggingface.co/jobs/alice/abc123"));
        assert!(text.contains(
            "https://huggingface.co/buckets/alice/space-factory-runs/tree/runs/validate-1"
        ));
        assert!(text.contains("duration=40"));
        assert!(text.contains("## Extra\n\nbody"));
    }

    #[test]
    fn every_status_has_next_steps() {
        let l = ctx();
        for s in RunStatus::OUTCOMES {
            let steps = next_steps(s, &l, Advice::default());
            assert!(!steps.is_empty(), "{s}");
        }
        let manual =
            next_steps(RunStatus::ManualHardwareRequired, &l, Advice::default()).join("\n");
        assert!(manual.contains("https://huggingface.co/spaces/alice/demo/settings"));
        let failed = next_steps(RunStatus::Failed, &l, Advice::default()).join("\n");
        assert!(failed.contains("?logs=container"));
        // Rule 7c: the token the Space lacks, with its settings link, instead of the blockers.
        let token = Advice {
            space_token_missing: true,
            ..Advice::default()
        };
        let steps = next_steps(RunStatus::TechnicalBlocker, &l, token);
        assert_eq!(
            steps[0],
            "Add a read token as the secret `HF_TOKEN` in the Space settings (<https://huggingface.co/spaces/alice/demo/settings>), then Validate this Space."
        );
        assert!(
            steps[1].contains("https://huggingface.co/settings/tokens"),
            "{steps:?}"
        );
        assert!(!steps.join("\n").contains("Read the blockers"));
        assert!(!steps.join("\n").contains("restart it"));
        let paused = next_steps(
            RunStatus::TechnicalBlocker,
            &l,
            Advice {
                space_paused: true,
                ..token
            },
        );
        assert!(
            paused[1].contains("paused") && paused[1].contains("restart it"),
            "{paused:?}"
        );
        let other = next_steps(RunStatus::TechnicalBlocker, &l, Advice::default()).join("\n");
        assert!(other.contains("Read the blockers") && !other.contains("HF_TOKEN"));
    }

    #[test]
    fn a_success_without_health_says_so_and_how_to_add_the_route() {
        let failed = Check::fail(crate::smoke::HEALTH_CHECK, "HTTP 404 Not Found");
        let passed = Check::pass(crate::smoke::HEALTH_CHECK, "HTTP 200");
        let (why, step) = health_caveat(
            RunStatus::FullInferenceSuccess,
            std::slice::from_ref(&failed),
        )
        .unwrap();
        assert!(why.contains("HTTP 404 Not Found") && why.contains("not a failure"));
        assert!(step.contains("Route(\"/health\", health)") && step.contains("Validate"));
        // The last health check counts: repaired, there is nothing to say.
        assert_eq!(
            health_caveat(
                RunStatus::FullInferenceSuccess,
                &[failed.clone(), passed.clone()]
            ),
            None
        );
        assert_eq!(
            health_caveat(RunStatus::FullInferenceSuccess, &[passed]),
            None
        );
        // Another status already says what is wrong.
        assert_eq!(health_caveat(RunStatus::Failed, &[failed]), None);
    }

    #[test]
    fn a_success_message_names_the_call_with_the_figures_rounding() {
        let mut st = RunState::new(RunId::parse("build-1").unwrap(), RunKind::Build, "t0");
        assert_eq!(success_message(&st), None);
        st.validation = Some(ValidationRecord {
            api_name: "/generate".into(),
            expected_output_type: OutputType::Text,
            output_type: Some(ObservedOutput::Text),
            first_call_seconds: Some(0.06),
            warm_call_seconds: None,
            recommended_zerogpu_duration_seconds: None,
            artifact_path: None,
        });
        assert_eq!(
            success_message(&st).unwrap(),
            "Called /generate on the live Space: text output in 0.1 s."
        );
        st.hardware.assigned = Some("l40sx1".into());
        assert!(
            success_message(&st)
                .unwrap()
                .ends_with("in 0.1 s on l40sx1.")
        );
    }
}
