//! `space-factory-worker validate`: wait for an existing Space to run → its live checks → a live
//! generation (first and warm call, the output checked and stored, a ZeroGPU duration advised) →
//! a verdict by `sf_core::rules`. The same steps as a build's end, through the same
//! [`smoke::live_generation`].

use std::time::Duration;

use sf_core::record::{Phase, ValidationRecord};
use sf_core::rules::{RuntimeOutcome, ValidateEvidence, decide_validate_status};
use sf_core::{RunLinks, RunStatus, ValidateRequest};

use crate::config::WorkerConfig;
use crate::gradio::{ApiEndpoint, SpaceApp};
use crate::record::Recorder;
use crate::report::{self, Check};
use crate::smoke::{self, CallSpec, Purpose};
use crate::space::{self, WaitOptions, wait_for_running};
use crate::{Hub, Step, WorkerError, space_host};

struct Validate<'a> {
    req: &'a ValidateRequest,
    cfg: &'a WorkerConfig,
    rec: &'a Recorder,
    hub: Hub,
    links: RunLinks,
    space_id: String,
    spec: CallSpec,
    evidence: ValidateEvidence,
    /// Why the Space did not run, added to the verdict's reason.
    detail: Option<String>,
    checks: Vec<Check>,
    /// The running Space's app and where it answers (once it runs).
    app: Option<(SpaceApp, String)>,
    /// The endpoint to call (once the live checks found it).
    endpoint: Option<ApiEndpoint>,
    advice: Option<u32>,
}

/// Runs a validation to its verdict (the final state and `report.md` are written).
pub async fn run(
    req: &ValidateRequest,
    cfg: &WorkerConfig,
    rec: &Recorder,
    links: RunLinks,
) -> Result<(), WorkerError> {
    let hub = crate::hub_client(cfg)?;
    let space_id = req.target_space.id();
    let spec = CallSpec {
        api_name: req.api_name.to_string(),
        args: req.test_args.clone(),
        kwargs: req.test_kwargs.clone(),
        expected: req.expected_output,
    };
    rec.update(|s| {
        s.target_space = Some(space_id.clone());
        s.job_id = cfg.job_id.clone();
        s.validation = Some(ValidationRecord::new(&spec.api_name, spec.expected));
    });
    let evidence = ValidateEvidence {
        space_running: false,
        api_found: false,
        api_name: spec.api_name.clone(),
        expected: spec.expected,
        call: None,
    };
    let mut v = Validate {
        space_id,
        spec,
        evidence,
        req,
        cfg,
        rec,
        hub,
        links,
        detail: None,
        checks: Vec::new(),
        app: None,
        endpoint: None,
        advice: None,
    };
    v.run().await
}

impl Validate<'_> {
    async fn run(&mut self) -> Result<(), WorkerError> {
        steps!(self: wait_for_space, check_live, call)
    }

    // ----- 1. the Space, running -----

    async fn wait_for_space(&mut self) -> Result<Step, WorkerError> {
        let space_id = &self.space_id;
        let wait_limit = self.cfg.space_wait.unwrap_or(Duration::from_secs(u64::from(
            self.req.live_timeout_seconds,
        )));
        self.rec.phase(
            Phase::WaitingForSpace,
            &format!(
                "Waiting up to {} for {space_id} to run",
                crate::guard::describe_duration(wait_limit)
            ),
        );
        let info = match self.hub.space_info(&self.req.target_space).await {
            Ok(info) => info,
            Err(e) if e.is_not_found() => {
                self.checks.push(Check::fail(
                    "Space exists",
                    format!("{space_id} was not found"),
                ));
                let reason = format!(
                    "The Space {space_id} was not found, or your token cannot read it; check the name and that you own it."
                );
                self.verdict(RunStatus::Failed, &reason);
                return Ok(Step::Done);
            }
            Err(e) => return Err(e.into()),
        };
        self.checks.push(Check::pass(
            "Space exists",
            format!(
                "{space_id} (sdk {})",
                info.sdk.as_deref().unwrap_or("unknown")
            ),
        ));
        let host = space_host(&info, &self.req.target_space, &self.links.links);
        let app = SpaceApp::new(&host, Some(&self.cfg.token))?;
        let wait = wait_for_running(
            &self.hub,
            &self.req.target_space,
            &WaitOptions {
                timeout: wait_limit,
                poll: self.cfg.poll_interval,
                stale: None,
                stale_grace: Duration::ZERO,
            },
            self.rec,
            Some(&app),
        )
        .await?;
        if let Some(rt) = &wait.runtime {
            self.rec
                .update(|s| s.hardware.assigned = rt.hardware.current.clone());
        }
        if wait.outcome == RuntimeOutcome::Running {
            self.checks.push(Check::pass(
                "Space running",
                format!("after {:.0} s", wait.waited.as_secs_f64()),
            ));
            self.evidence.space_running = true;
            self.app = Some((app, host));
            return Ok(Step::Next);
        }
        self.checks.push(Check::fail(
            "Space running",
            wait.detail.clone().unwrap_or_default(),
        ));
        if matches!(
            wait.outcome,
            RuntimeOutcome::BuildError | RuntimeOutcome::RuntimeError
        ) {
            space::save_logs(&self.hub, &self.req.target_space, self.rec, |log| {
                format!("space-{log}.log")
            })
            .await;
        }
        self.detail = wait.detail;
        Ok(Step::Conclude)
    }

    // ----- 2. the live checks and the endpoint -----

    async fn check_live(&mut self) -> Result<Step, WorkerError> {
        let Some((app, host)) = &self.app else {
            return Ok(Step::Conclude);
        };
        self.rec.phase(
            Phase::CheckingLive,
            &format!("Checking the Gradio API of {host}"),
        );
        let live = smoke::live_checks(app, self.rec).await;
        self.checks.extend(live.checks.iter().cloned());
        let eps = live.endpoints();
        let api_name = &self.spec.api_name;
        let Some(ep) = smoke::find_endpoint(&eps, api_name).cloned() else {
            let listed = if eps.is_empty() {
                "the (unreadable) endpoints".to_string()
            } else {
                eps.iter()
                    .map(|e| format!("`{}`", e.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            self.checks.push(Check::fail(
                "Endpoint exists",
                format!("`{api_name}` is not among {listed}"),
            ));
            return Ok(Step::Conclude);
        };
        let returns = if ep.returns.is_empty() {
            "nothing listed".to_string()
        } else {
            ep.returns.join(", ")
        };
        self.checks.push(Check::pass(
            "Endpoint exists",
            format!("`{}` returns {returns}", ep.name),
        ));
        self.evidence.api_found = true;
        self.endpoint = Some(ep);
        Ok(Step::Next)
    }

    // ----- 3. the live generation -----

    async fn call(&mut self) -> Result<Step, WorkerError> {
        let (Some((app, _)), Some(ep)) = (&self.app, &self.endpoint) else {
            return Ok(Step::Conclude);
        };
        self.rec.phase(
            Phase::SmokeTest,
            &format!("Calling {} (first call)", self.spec.api_name),
        );
        let generation = smoke::live_generation(
            app,
            ep,
            &self.spec,
            self.cfg.call_timeout,
            self.rec,
            Purpose::Validation,
        )
        .await;
        self.checks.extend(generation.checks);
        self.advice = generation.advice;
        self.evidence.call = Some(generation.first.outcome);
        Ok(Step::Next)
    }

    // ----- 4. the verdict -----

    async fn conclude(&mut self) {
        let verdict = decide_validate_status(&self.evidence);
        let reason = match &self.detail {
            Some(d) => format!("{} {d}", verdict.reason),
            None => verdict.reason,
        };
        self.verdict(verdict.status, &reason);
    }

    fn verdict(&self, status: RunStatus, reason: &str) {
        report::write_verdict(
            self.rec,
            &self.checks,
            Vec::new(),
            &self.links,
            report::Advice {
                zerogpu_duration: self.advice,
                ..report::Advice::default()
            },
            status,
            reason,
        );
    }
}
