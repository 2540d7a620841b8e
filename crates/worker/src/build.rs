//! `space-factory-worker build`: model card → Pi → checked files → private Space with hardware →
//! running (with repair rounds) → live checks and smoke test → a verdict by `sf_core::rules`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;
use sf_core::record::{
    AgentUsage, GENERATED_DIR, Level, Phase, RunStatus, TESTS_DIR, TRACES_DIR, ValidationRecord,
};
use sf_core::rules::{
    BuildEvidence, CallOutcome, RuntimeOutcome, SmokeOutcome, SpaceToken, decide_build_status,
};
use sf_core::{BuildRequest, HardwareFlavor, RunLinks};
use sf_hub::types::SpaceStage;
use sf_hub::{CommitFile, NewCommit};

use crate::config::WorkerConfig;
use crate::files::{self, BLOCKERS, INPUT_DIR, MANIFEST, REQUIRED};
use crate::gradio::SpaceApp;
use crate::hardware::{self, Created};
use crate::model::{self, ModelFacts};
use crate::pi::{self, Agent};
use crate::placeholder::{self, AppReading};
use crate::record::Recorder;
use crate::report::{self, Check};
use crate::smoke::{self, CallSpec, Purpose};
use crate::space::{self, WaitOptions};
use crate::task::{self, TaskInput};
use crate::{Hub, Step, WorkerError, space_host};

mod repair;

/// How long a build waits for its Space by default.
pub const DEFAULT_SPACE_WAIT: Duration = Duration::from_secs(1800);
/// Log lines given to the agent in a repair round.
const REPAIR_LOG_LINES: usize = 80;

struct Build<'a> {
    req: &'a BuildRequest,
    cfg: &'a WorkerConfig,
    rec: &'a Recorder,
    hub: Hub,
    links: RunLinks,
    model_id: String,
    space_id: String,
    evidence: BuildEvidence,
    /// The first concrete failure, added to a generic verdict reason.
    detail: Option<String>,
    checks: Vec<Check>,
    facts: Option<ModelFacts>,
    card: Option<String>,
    workspace: PathBuf,
    agent: Option<Agent>,
    reading: Option<AppReading>,
    spec: Option<CallSpec>,
    upload: Vec<CommitFile>,
    extras: Vec<String>,
    agent_notes: Vec<String>,
    recommended: Option<u32>,
    /// When the run started, for the job's cost.
    started: std::time::Instant,
    /// The hardware of the Space this run created, and when.
    created: Option<(HardwareFlavor, std::time::Instant)>,
    /// The report's Cost section, once known.
    cost_section: Option<String>,
    /// The paid Space this run created, for the end of the job until the verdict settles it.
    unsettled: crate::cost::Unsettled,
    /// Where the repair rounds stand (`build/repair.rs`).
    repair: repair::RepairState,
}

/// Runs a build to its verdict (the final state and `report.md` are written).
pub async fn run(
    req: &BuildRequest,
    cfg: &WorkerConfig,
    rec: &Recorder,
    links: RunLinks,
    unsettled: crate::cost::Unsettled,
) -> Result<(), WorkerError> {
    let hub = crate::hub_client(cfg)?;
    let model_id = req.model.id();
    let space_id = req.target_space.id();
    rec.update(|s| {
        s.model_id = Some(model_id.clone());
        s.target_space = Some(space_id.clone());
        s.hardware.requested = Some(req.preferred_hardware.to_string());
        s.batch = req.batch.clone();
    });
    let mut b = Build {
        req,
        cfg,
        rec,
        hub,
        links,
        model_id,
        space_id,
        evidence: BuildEvidence {
            mode: req.implementation_mode,
            early_blockers: Vec::new(),
            blockers: Vec::new(),
            agent_ok: false,
            files_ok: false,
            placeholder_detected: false,
            space_created: false,
            hardware_assigned: false,
            hardware_unfilled: None,
            needs_gpu: false,
            space_token: SpaceToken::NotNeeded,
            runtime: RuntimeOutcome::NotStarted,
            health_ok: false,
            inference_path_present: false,
            smoke: SmokeOutcome::NotRun,
        },
        detail: None,
        checks: Vec::new(),
        facts: None,
        card: None,
        workspace: cfg.work_dir.join("workspace"),
        agent: None,
        reading: None,
        spec: None,
        upload: Vec::new(),
        extras: Vec::new(),
        agent_notes: Vec::new(),
        recommended: None,
        started: std::time::Instant::now(),
        created: None,
        cost_section: None,
        unsettled,
        repair: repair::RepairState::default(),
    };
    b.run().await
}

impl Build<'_> {
    async fn run(&mut self) -> Result<(), WorkerError> {
        steps!(self: read_model, check_target, write_app, create_and_upload, check_space_token, run_and_check)
    }

    fn fail_detail(&mut self, detail: impl Into<String>) {
        if self.detail.is_none() {
            self.detail = Some(detail.into());
        }
    }

    // ----- 1. the model -----

    async fn read_model(&mut self) -> Result<Step, WorkerError> {
        self.rec
            .phase(Phase::ReadingModel, &format!("Reading {}", self.model_id));
        let facts = match self.hub.model_info(&self.req.model, &[]).await {
            Ok(info) => {
                let card = match self.hub.model_readme(&self.req.model).await {
                    Ok(c) => Ok(c),
                    Err(e) if e.is_forbidden() || e.is_unauthorized() => Err(e
                        .server_message()
                        .map(str::to_string)
                        .unwrap_or_else(|| e.user_message())),
                    Err(e) => return Err(e.into()),
                };
                self.card = card.clone().ok().flatten();
                let mut facts = ModelFacts::from_info(&self.model_id, &info, &card);
                model::check_weights_access(&self.hub, &self.req.model, &mut facts).await;
                facts
            }
            Err(e) if e.is_not_found() || e.is_forbidden() => ModelFacts::not_found(&self.model_id),
            Err(e) => return Err(e.into()),
        };
        self.rec
            .write_json(&format!("{TESTS_DIR}/model_facts.json"), &json!(facts));
        self.rec.event(
            Level::Info,
            &format!(
                "Model facts: task {}, library {}, licence {}, gated {}{}.",
                facts.task.as_deref().unwrap_or("unknown"),
                facts.library.as_deref().unwrap_or("unknown"),
                facts.license.as_deref().unwrap_or("unknown"),
                facts.gated,
                facts
                    .parameters_text()
                    .map(|p| format!(", {p}"))
                    .unwrap_or_default()
            ),
            json!({"task": facts.task, "library": facts.library, "license": facts.license,
                   "gated": facts.gated, "parameters": facts.parameters, "files": facts.files.len()}),
        );
        self.checks.push(if facts.found {
            Check::pass("Model found", format!("{} files", facts.files.len()))
        } else {
            Check::fail(
                "Model found",
                format!("{} is not on the Hub", self.model_id),
            )
        });
        self.checks
            .push(match (&facts.access, &facts.access_checked_on) {
                (model::Access::Granted, Some(file)) => Check::pass(
                    "Model access",
                    format!(
                        "{}`{file}` can be downloaded with your account",
                        if facts.has_card { "the card and " } else { "" }
                    ),
                ),
                (model::Access::Granted, None) => Check::pass("Model card", "read"),
                (model::Access::Unknown, _) => Check::note("Model card", "the model has no card"),
                (model::Access::Denied { reason }, _) => {
                    Check::fail("Model access", reason.clone())
                }
            });
        let blockers = model::early_blockers(&facts, &self.links.links.model(&self.req.model));
        self.facts = Some(facts);
        if blockers.is_empty() {
            self.checks
                .push(Check::pass("Early blockers", "none found"));
            return Ok(Step::Next);
        }
        for b in &blockers {
            self.rec.warn(&format!("Blocker: {b}"));
            self.checks.push(Check::fail("Early blocker", b.clone()));
        }
        self.rec
            .update(|s| s.blockers.extend(blockers.iter().cloned()));
        self.evidence.early_blockers.extend(blockers);
        if self.req.implementation_mode.is_gated() {
            return Ok(Step::Conclude);
        }
        self.rec.warn(&format!(
            "Going on despite the blockers: the mode is {}.",
            self.req.implementation_mode
        ));
        Ok(Step::Next)
    }

    // ----- 2. the target Space -----

    async fn check_target(&mut self) -> Result<Step, WorkerError> {
        match self.hub.space_info(&self.req.target_space).await {
            Err(e) if e.is_not_found() => {
                self.checks.push(Check::pass(
                    "Target Space is new",
                    format!("{} does not exist yet", self.space_id),
                ));
                Ok(Step::Next)
            }
            Err(e) => Err(e.into()),
            Ok(_) => {
                self.space_exists();
                Ok(Step::Done)
            }
        }
    }

    fn space_exists(&mut self) {
        self.checks.push(Check::fail(
            "Target Space is new",
            format!("{} already exists; it was not touched", self.space_id),
        ));
        let reason = format!(
            "The Space {} already exists; Space Factory never changes an existing Space, so nothing was touched. Choose another Space name and build again, or run Validate on that Space.",
            self.space_id
        );
        self.report_and_finish(RunStatus::Failed, &reason);
    }

    // ----- 3. the agent -----

    async fn prepare_agent(&mut self) -> Result<(), String> {
        // Before anything else: without its own unprivileged user the agent does not run.
        let user = crate::sandbox::AgentUser::for_this_process()?;
        let work = &self.cfg.work_dir;
        if self.workspace.exists() {
            std::fs::remove_dir_all(&self.workspace)
                .map_err(|e| format!("Could not clear the agent's workspace: {e}."))?;
        }
        let input = self.workspace.join(INPUT_DIR);
        std::fs::create_dir_all(&input)
            .map_err(|e| format!("Could not create the agent's workspace: {e}."))?;
        let card = self
            .card
            .clone()
            .unwrap_or_else(|| "(The model has no card.)\n".to_string());
        std::fs::write(input.join("MODEL_CARD.md"), card)
            .and_then(|_| {
                std::fs::write(
                    input.join("facts.json"),
                    serde_json::to_vec_pretty(&json!(self.facts)).unwrap_or_default(),
                )
            })
            .map_err(|e| format!("Could not write the model card for the agent: {e}."))?;
        let bin = pi::locate_or_install(
            self.cfg.pi_bin.as_deref(),
            &self.cfg.settings.pi_version,
            work,
            &std::env::var_os("PATH").unwrap_or_default(),
            self.rec,
        )
        .await?;
        // The person's token goes to Hugging Face's model endpoints only (added by the worker's
        // model proxy; Pi itself never has it); a self-hosted one gets a placeholder key.
        let settings = &self.cfg.settings;
        let token = if sf_core::jobspec::inference_gets_token(
            &settings.inference_url,
            &settings.hub_url,
        ) {
            Some(self.cfg.token.as_str())
        } else {
            self.rec.info(&format!(
                "The coding model's endpoint {} is not Hugging Face's: your token is not sent to it.",
                settings.inference_url
            ));
            None
        };
        let agent = pi::prepare(
            user,
            pi::Setup {
                work,
                workspace: &self.workspace,
                bin: &bin,
                model: &self.req.pi_model.to_string(),
                inference_url: &settings.inference_url,
                token,
                settings: self.cfg.pi_settings.as_ref(),
                timeout: self.cfg.agent_timeout,
            },
        )
        .await?;
        self.rec.info(&format!(
            "The agent is Pi ({}) with {} through the huggingface provider, as the unprivileged user {}:{} without your token.",
            agent.bin.display(),
            self.req.pi_model,
            agent.user.uid,
            agent.user.gid
        ));
        self.agent = Some(agent);
        Ok(())
    }

    /// Runs one agent round; `Ok(())` when the agent finished (per its events).
    async fn agent_round(&mut self, round: u32, task_text: &str) -> Result<(), String> {
        let agent = self.agent.clone().ok_or("The agent was not prepared.")?;
        let rules = task::rules(self.req.implementation_mode);
        let trace = format!("{TRACES_DIR}/agent-round-{round}.jsonl");
        let result = pi::run_round(&agent, &rules, task_text, self.rec, &trace).await?;
        let s = &result.summary;
        self.rec.update(|st| {
            let a = st.agent.get_or_insert_with(AgentUsage::default);
            a.input_tokens += s.input_tokens;
            a.output_tokens += s.output_tokens;
            a.total_tokens += s.total_tokens;
            if s.cost_usd > 0.0 {
                a.cost_usd = Some(a.cost_usd.unwrap_or(0.0) + s.cost_usd);
            }
            a.rounds += 1;
        });
        if !s.last_text.trim().is_empty() {
            self.agent_notes
                .push(format!("Round {round}: {}", s.last_text.trim()));
        }
        if result.timed_out {
            return Err(format!(
                "The coding agent did not finish within {} and was stopped.",
                crate::guard::describe_duration(agent.timeout)
            ));
        }
        let ws = files::scan(&self.workspace);
        let gated_blockers = self.req.implementation_mode.is_gated() && ws.get(BLOCKERS).is_some();
        let missing: Vec<String> = if gated_blockers {
            Vec::new()
        } else {
            REQUIRED
                .iter()
                .filter(|f| ws.get(f).is_none())
                .map(|f| f.to_string())
                .collect()
        };
        s.judge(&missing).map_err(|e| {
            if result.stderr_tail.trim().is_empty() {
                e
            } else {
                format!(
                    "{e} Pi said: {}",
                    result.stderr_tail.lines().last().unwrap_or("")
                )
            }
        })
    }

    async fn write_app(&mut self) -> Result<Step, WorkerError> {
        self.rec.phase(Phase::Agent, "");
        if let Err(e) = self.prepare_agent().await {
            self.checks.push(Check::fail("Coding agent", e.clone()));
            self.fail_detail(e);
            return Ok(Step::Conclude);
        }
        let facts = self
            .facts
            .clone()
            .unwrap_or_else(|| ModelFacts::not_found(&self.model_id));
        let summary = facts.summary();
        let obstacles = self.evidence.early_blockers.clone();
        let text = task::build_task(&TaskInput {
            mode: self.req.implementation_mode,
            model_id: &self.model_id,
            space_id: &self.space_id,
            hardware: self.req.preferred_hardware.as_str(),
            zerogpu: self.req.preferred_hardware.is_zerogpu(),
            facts: &summary,
            has_card: self.card.is_some(),
            known_obstacles: &obstacles,
        });
        let judged = self.agent_round(1, &text).await;
        // Blockers the agent reported.
        let ws = files::scan(&self.workspace);
        if let Some(text) = ws.get(BLOCKERS) {
            let found = files::parse_blockers(text);
            if !found.is_empty() {
                for b in &found {
                    self.rec.warn(&format!("The agent reports a blocker: {b}"));
                }
                self.rec
                    .update(|s| s.blockers.extend(found.iter().cloned()));
                self.evidence.blockers.extend(found);
                self.rec
                    .write_text(&format!("{GENERATED_DIR}/{BLOCKERS}"), text);
                if self.req.implementation_mode.is_gated() {
                    self.checks.push(Check::fail(
                        "Coding agent",
                        "reported blockers instead of an app (see Blockers)",
                    ));
                    return Ok(Step::Conclude);
                }
            }
        }
        match judged {
            Ok(()) => {
                self.evidence.agent_ok = true;
                self.checks
                    .push(Check::pass("Coding agent", "finished and wrote the files"));
                self.check_files().await
            }
            Err(e) => {
                self.rec.error(&e);
                self.checks.push(Check::fail("Coding agent", e.clone()));
                self.fail_detail(e);
                Ok(Step::Conclude)
            }
        }
    }

    // ----- 4. the wrapper's checks -----

    async fn check_files(&mut self) -> Result<Step, WorkerError> {
        self.rec.phase(Phase::CheckingFiles, "");
        let ws = files::scan(&self.workspace);
        let mut ok = true;
        for p in &ws.problems {
            ok = false;
            self.checks.push(Check::fail("Files", p.clone()));
        }
        for (name, text) in &ws.files {
            if text.contains(self.cfg.token.as_str()) {
                ok = false;
                let msg = format!(
                    "{name} contains your access token; it is never uploaded to a Space (read it from the environment instead)"
                );
                self.checks
                    .push(Check::fail("No secrets in the files", msg.clone()));
                self.fail_detail(msg);
            }
        }
        self.extras = ws.extras.clone();
        if !ws.extras.is_empty() {
            self.checks.push(Check::note(
                "Other files",
                format!("not uploaded: {}", ws.extras.join(", ")),
            ));
            self.rec.warn(&format!(
                "The agent left other files, which are not uploaded: {}",
                ws.extras.join(", ")
            ));
        }
        if ws.get("app.py").is_some() {
            let cache = self.cfg.work_dir.join("pycache");
            match files::py_compile(&self.cfg.python, &self.workspace, "app.py", &cache).await {
                Ok(None) => self
                    .checks
                    .push(Check::pass("app.py compiles", "python -m py_compile")),
                Ok(Some(err)) => {
                    ok = false;
                    self.checks
                        .push(Check::fail("app.py compiles", err.clone()));
                    self.fail_detail(format!("app.py does not compile: {err}"));
                }
                Err(e) => self.checks.push(Check::skip("app.py compiles", e)),
            }
        }
        self.spec = match ws.get(MANIFEST).map(files::parse_manifest) {
            Some(Ok(spec)) => {
                self.checks.push(Check::pass(
                    "Smoke-test manifest",
                    format!("{} expecting {}", spec.api_name, spec.expected),
                ));
                Some(spec)
            }
            Some(Err(e)) => {
                self.checks.push(Check::fail("Smoke-test manifest", e));
                None
            }
            None => {
                self.checks.push(Check::note(
                    "Smoke-test manifest",
                    "missing: no smoke test will run",
                ));
                None
            }
        };
        if let Some(app) = ws.get("app.py") {
            let reading = placeholder::read_app(app, &self.model_id);
            if reading.is_placeholder() {
                for r in &reading.reasons {
                    self.checks
                        .push(Check::fail("Not a placeholder", r.clone()));
                }
                self.rec.warn(&format!(
                    "The app looks like a placeholder: {}",
                    reading.reasons.join(" ")
                ));
            } else {
                self.checks.push(Check::pass(
                    "Not a placeholder",
                    format!(
                        "imports {}, names the model, endpoints: {}",
                        reading
                            .model_libraries
                            .iter()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", "),
                        if reading.endpoints.is_empty() {
                            "none found".to_string()
                        } else {
                            reading.endpoints.join(", ")
                        }
                    ),
                ));
            }
            self.evidence.placeholder_detected = reading.is_placeholder();
            self.evidence.inference_path_present = reading.has_inference_path();
            self.evidence.needs_gpu = reading.uses_gpu
                || self
                    .facts
                    .as_ref()
                    .is_some_and(ModelFacts::probably_needs_gpu);
            self.reading = Some(reading);
        }
        self.evidence.files_ok = ok;
        // What will be uploaded, and its copy in generated/.
        self.upload.clear();
        for name in REQUIRED {
            if let Some(text) = ws.get(name) {
                let content = if *name == "README.md" {
                    files::complete_readme(
                        text,
                        self.req.target_space.name(),
                        &self.model_id,
                        self.req.preferred_hardware.as_str(),
                    )
                } else {
                    text.to_string()
                };
                self.rec
                    .write_text(&format!("{GENERATED_DIR}/{name}"), &content);
                self.upload.push(CommitFile {
                    path: name.to_string(),
                    content: content.into_bytes(),
                });
            }
        }
        if let Some(m) = ws.get(MANIFEST) {
            self.rec
                .write_text(&sf_core::smoke_test::manifest_in_run(), m);
        }
        if !ok {
            self.fail_detail("The generated files did not pass the wrapper's checks.");
            return Ok(Step::Conclude);
        }
        if self.req.implementation_mode.is_gated() && self.evidence.placeholder_detected {
            return Ok(Step::Conclude);
        }
        Ok(Step::Next)
    }

    // ----- 5. the Space -----

    async fn create_and_upload(&mut self) -> Result<Step, WorkerError> {
        self.rec.phase(
            Phase::CreatingSpace,
            &format!(
                "Creating the private Space {} with {} hardware",
                self.space_id, self.req.preferred_hardware
            ),
        );
        let fallback = if self.req.allow_fixed_gpu_fallback {
            self.req.fallback_hardware.as_ref()
        } else {
            None
        };
        match hardware::create_space(
            &self.hub,
            &self.req.target_space,
            &self.req.preferred_hardware,
            fallback,
            self.req.space_sleep_seconds,
            self.rec,
        )
        .await
        {
            Created::Yes { flavor } => {
                self.evidence.space_created = true;
                self.created = HardwareFlavor::parse(&flavor)
                    .ok()
                    .map(|f| (f, std::time::Instant::now()));
                if let Some((f, at)) = &self.created {
                    self.unsettled.created(crate::cost::PaidSpace {
                        space: self.req.target_space.clone(),
                        flavor: f.clone(),
                        created: *at,
                        job_started: self.started,
                        sleep_seconds: self.req.space_sleep_seconds,
                    });
                }
                let gpu = HardwareFlavor::parse(&flavor).is_ok_and(|f| !f.is_cpu_only());
                self.evidence.hardware_assigned =
                    gpu || flavor == self.req.preferred_hardware.as_str();
                self.checks
                    .push(Check::pass("Space created", format!("private, {flavor}")));
                if flavor != self.req.preferred_hardware.as_str() {
                    self.checks.push(Check::note(
                        "Hardware",
                        format!(
                            "{} was refused; the Space has {flavor}",
                            self.req.preferred_hardware
                        ),
                    ));
                }
            }
            Created::AlreadyExists => {
                self.space_exists();
                return Ok(Step::Done);
            }
            // The sign-in expired: nothing else the run does can succeed.
            Created::No(e) if e.status() == Some(401) => return Err(e.into()),
            Created::No(e) => {
                let msg = e.user_message();
                self.checks.push(Check::fail("Space created", msg.clone()));
                self.fail_detail(msg);
                return Ok(Step::Conclude);
            }
        }
        if !self.commit(1).await {
            return Ok(Step::Conclude);
        }
        if self.evidence.needs_gpu && !self.evidence.hardware_assigned {
            self.rec.warn("No GPU could be assigned automatically; the Space keeps the default CPU hardware until you choose its hardware.");
            return Ok(Step::Conclude);
        }
        Ok(Step::Next)
    }

    async fn commit(&mut self, round: u32) -> bool {
        let summary = if round == 1 {
            format!("Space Factory: app for {}", self.model_id)
        } else {
            format!("Space Factory: repair round {}", round - 1)
        };
        self.commit_as(summary).await
    }

    /// Commits the files to upload with this summary; `false` (with the reason recorded) when
    /// the Hub refused.
    async fn commit_as(&mut self, summary: String) -> bool {
        self.rec.phase(Phase::Uploading, "");
        let commit = NewCommit {
            summary,
            description: format!("Written by the Pi coding agent in run {}.", self.req.run_id),
            files: self.upload.clone(),
        };
        match self
            .hub
            .commit_space_files(&self.req.target_space, &commit)
            .await
        {
            Ok(info) => {
                self.rec.event(
                    Level::Info,
                    &format!("Uploaded {} files to {}.", commit.files.len(), self.space_id),
                    json!({"commit": info.commit_oid, "files": commit.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>()}),
                );
                true
            }
            Err(e) => {
                let why = match e.status() {
                    Some(401) => crate::hub_reason(&e),
                    _ => e.user_message(),
                };
                let msg = format!("Uploading the files failed: {why}");
                self.checks.push(Check::fail("Upload", msg.clone()));
                self.fail_detail(msg);
                false
            }
        }
    }

    // ----- 5b. the token a gated or private model needs in the Space -----

    /// A gated or private model loads in the Space only with the Space's own `HF_TOKEN` secret
    /// (rule 7c): see `crate::secret`. Skipped when the person has no access (the early
    /// blocker says so already) and for a placeholder app, which loads no model.
    async fn check_space_token(&mut self) -> Result<Step, WorkerError> {
        let Some(facts) = self.facts.as_ref().filter(|f| f.needs_token()) else {
            return Ok(Step::Next);
        };
        if matches!(facts.access, model::Access::Denied { .. })
            || self.evidence.placeholder_detected
        {
            return Ok(Step::Next);
        }
        let settings = self.links.links.space_settings(&self.req.target_space);
        let need = crate::secret::Need {
            model_id: &self.model_id,
            gated: facts.is_gated(),
            private: facts.private,
            settings_url: &settings,
            wait: self.cfg.secret_wait,
            poll: self.cfg.poll_interval,
        };
        let (token, check) =
            crate::secret::await_token_secret(&self.hub, &self.req.target_space, &need, self.rec)
                .await;
        self.checks.push(check);
        self.evidence.space_token = token;
        Ok(match token {
            SpaceToken::Missing { .. } => Step::Conclude,
            _ => Step::Next,
        })
    }

    // ----- 6. waiting, with repair rounds -----

    async fn start_space(&mut self) -> Result<Step, WorkerError> {
        let mut stale: Option<SpaceStage> = self.repair.stale_stage.take();
        loop {
            let limit = self.cfg.space_wait.unwrap_or(DEFAULT_SPACE_WAIT);
            self.rec.phase(
                Phase::WaitingForSpace,
                &format!(
                    "Waiting up to {} for the Space to run",
                    crate::guard::describe_duration(limit)
                ),
            );
            let wait = space::wait_for_running(
                &self.hub,
                &self.req.target_space,
                &WaitOptions {
                    timeout: limit,
                    poll: self.cfg.poll_interval,
                    stale: stale.clone(),
                    stale_grace: Duration::from_secs(60).min(limit / 2),
                },
                self.rec,
                None,
            )
            .await?;
            self.evidence.runtime = wait.outcome;
            if let Some(rt) = &wait.runtime
                && let Some(current) = &rt.hardware.current
            {
                let current = current.clone();
                self.rec.update(|s| s.hardware.assigned = Some(current));
            }
            if matches!(
                wait.outcome,
                RuntimeOutcome::Running | RuntimeOutcome::TimedOut
            ) {
                self.note_unfilled_hardware(wait.runtime.as_ref());
            }
            let failed_start = matches!(
                wait.outcome,
                RuntimeOutcome::BuildError | RuntimeOutcome::RuntimeError
            );
            if !failed_start {
                if wait.outcome == RuntimeOutcome::Running {
                    self.checks.push(Check::pass(
                        "Space running",
                        format!("after {:.0} s", wait.waited.as_secs_f64()),
                    ));
                    return Ok(Step::Next);
                }
                let d = wait.detail.unwrap_or_default();
                self.checks.push(Check::fail("Space running", d.clone()));
                self.fail_detail(d);
                return Ok(Step::Conclude);
            }
            let rt = wait.runtime.clone();
            let stage = rt
                .as_ref()
                .map(|r| r.stage.clone())
                .unwrap_or(SpaceStage::BuildError);
            let round = self.repair.repairs + 1;
            let logs = space::save_logs(&self.hub, &self.req.target_space, self.rec, |log| {
                format!("space-{log}-log-round-{round}.txt")
            })
            .await;
            self.checks.push(Check::fail(
                "Space running",
                wait.detail.clone().unwrap_or_else(|| stage.to_string()),
            ));
            if self.repair.repairs >= self.cfg.repair_rounds {
                self.fail_detail(format!(
                    "{} No repair rounds left ({} allowed).",
                    wait.detail.unwrap_or_default(),
                    self.cfg.repair_rounds
                ));
                return Ok(Step::Conclude);
            }
            let failure = task::Failure::Start {
                stage: stage.as_str(),
                error: rt.as_ref().and_then(|r| r.error_message.as_deref()),
            };
            match self.repair_round(failure, &logs, stage.clone()).await? {
                Step::Next => {}
                other => return Ok(other),
            }
            stale = self.repair.stale_stage.take();
        }
    }

    /// The Hub can accept a create yet not fill the hardware request: when the runtime's
    /// `hardware.current` is not the `requested` flavor, that is recorded (an event, a check
    /// note, the evidence for rule 7b). Not read after a build or runtime error, when no
    /// hardware is assigned anyway.
    fn note_unfilled_hardware(&mut self, rt: Option<&sf_hub::types::SpaceRuntime>) {
        let unfilled = rt.and_then(|rt| {
            let requested = rt.hardware.requested.clone()?;
            (rt.hardware.current.as_deref() != Some(requested.as_str()))
                .then(|| (requested, rt.hardware.current.clone()))
        });
        self.evidence.hardware_unfilled = unfilled.as_ref().map(|(r, _)| r.clone());
        if let Some((requested, current)) = unfilled {
            let current = current.unwrap_or_else(|| "none yet".to_string());
            let text = format!(
                "The Space asked for {requested} hardware; the Hub has assigned {current}."
            );
            self.rec.event(
                Level::Warn,
                &text,
                json!({"requested": requested, "current": current}),
            );
            self.checks.push(Check::note("Hardware", text));
        }
    }

    // ----- 7. live checks and the smoke test -----

    async fn check_live(&mut self) -> Result<Step, WorkerError> {
        self.rec.phase(Phase::CheckingLive, "");
        let info = self.hub.space_info(&self.req.target_space).await?;
        let host = space_host(&info, &self.req.target_space, &self.links.links);
        let app = SpaceApp::new(&host, Some(&self.cfg.token))?;
        let live = smoke::live_checks(&app, self.rec).await;
        self.checks.extend(live.checks.iter().cloned());
        self.evidence.health_ok = live.config_ok && live.health_ok;
        self.evidence.smoke = SmokeOutcome::NotRun;
        self.repair.last_call = None;
        self.repair.failed_live = live
            .checks
            .iter()
            .filter(|c| c.outcome == report::Outcome::Fail)
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        if !self.evidence.health_ok {
            self.fail_detail("The live checks failed (see the checks).");
        }
        let Some(spec) = self.spec.clone() else {
            return Ok(Step::Next);
        };
        // Without `/health` the generation is still tried: a working one decides (rule 9b).
        if !live.config_ok || live.info.is_none() {
            return Ok(Step::Next);
        }
        self.rec.phase(
            Phase::SmokeTest,
            &format!("Calling {} on the live Space", spec.api_name),
        );
        self.rec
            .update(|s| s.validation = Some(ValidationRecord::new(&spec.api_name, spec.expected)));
        let eps = live.endpoints();
        let Some(ep) = smoke::find_endpoint(&eps, &spec.api_name).cloned() else {
            let reason = format!("the Space has no endpoint {}", spec.api_name);
            self.checks.push(Check::fail("Smoke test", reason.clone()));
            self.repair.last_call = Some(CallOutcome::Failed {
                reason: reason.clone(),
            });
            self.evidence.smoke = SmokeOutcome::Failed { reason };
            return Ok(Step::Next);
        };
        let generation = smoke::live_generation(
            &app,
            &ep,
            &spec,
            self.cfg.call_timeout,
            self.rec,
            Purpose::SmokeTest,
        )
        .await;
        self.checks.extend(generation.checks);
        self.recommended = generation.advice;
        self.evidence.smoke = match generation.first.outcome.clone() {
            CallOutcome::Returned { output } => SmokeOutcome::Passed {
                output_type_matches: spec.expected.accepts(output),
            },
            CallOutcome::Failed { reason } => SmokeOutcome::Failed { reason },
        };
        self.repair.last_call = Some(generation.first.outcome);
        Ok(Step::Next)
    }

    // ----- 8. the verdict -----

    async fn conclude(&mut self) {
        let verdict = decide_build_status(&self.evidence);
        self.settle_cost(verdict.status).await;
        let reason = match (&self.detail, verdict.status) {
            (Some(d), RunStatus::Failed) if !verdict.reason.contains(d.as_str()) => {
                format!("{} {}", verdict.reason, d)
            }
            _ => verdict.reason.clone(),
        };
        self.rec.write_json(
            &format!("{TESTS_DIR}/evidence.json"),
            &json!({
                "mode": self.evidence.mode, "early_blockers": self.evidence.early_blockers,
                "blockers": self.evidence.blockers,
                "agent_ok": self.evidence.agent_ok, "files_ok": self.evidence.files_ok,
                "placeholder_detected": self.evidence.placeholder_detected,
                "space_created": self.evidence.space_created,
                "hardware_assigned": self.evidence.hardware_assigned,
                "hardware_unfilled": self.evidence.hardware_unfilled,
                "needs_gpu": self.evidence.needs_gpu, "space_token": self.evidence.space_token,
                "runtime": self.evidence.runtime,
                "health_ok": self.evidence.health_ok,
                "inference_path_present": self.evidence.inference_path_present,
                "smoke": self.evidence.smoke, "verdict": verdict,
            }),
        );
        self.report_and_finish(verdict.status, &reason);
    }

    /// Stops a Space on paid hardware from billing when the run did not succeed (pause), and
    /// records what the run cost and what the Space costs from now on.
    async fn settle_cost(&mut self, status: RunStatus) {
        // The verdict settles the cost here; the end of the job has nothing left to pause.
        self.unsettled.settle();
        let mut paused = false;
        let mut by_hand = Vec::new();
        if let Some((flavor, _)) = &self.created
            && flavor.is_billed_hourly()
            && status != RunStatus::FullInferenceSuccess
        {
            match crate::cost::pause(&self.hub, &self.req.target_space, flavor, self.rec).await {
                Ok(()) => paused = true,
                Err(text) => by_hand.push(text),
            }
        }
        let (job_list, space_list) =
            tokio::join!(self.hub.job_hardware(), self.hub.space_hardware());
        let space_flavor = self.created.as_ref().map(|(f, _)| f.as_str().to_string());
        let prices = crate::cost::prices(
            job_list.ok().as_deref(),
            space_list.ok().as_deref(),
            space_flavor.as_deref(),
        );
        let record = crate::cost::record(
            &prices,
            self.started.elapsed().as_secs(),
            self.created
                .as_ref()
                .map(|(f, at)| (f, at.elapsed().as_secs())),
            self.created
                .as_ref()
                .filter(|(f, _)| f.is_billed_hourly())
                .map(|_| self.req.space_sleep_seconds),
            paused,
            by_hand,
        );
        let settings = self
            .created
            .as_ref()
            .map(|_| self.links.links.space_settings(&self.req.target_space));
        self.cost_section = Some(crate::cost::section(&record, settings.as_deref()));
        self.rec.update(|s| s.cost = Some(record));
    }

    fn report_and_finish(&mut self, status: RunStatus, reason: &str) {
        let mut sections = Vec::new();
        if let Some(c) = &self.cost_section {
            sections.push(("Cost".to_string(), c.clone()));
        }
        if let Some(f) = &self.facts {
            sections.push(("Model facts".to_string(), f.summary()));
        }
        if !self.upload.is_empty() {
            let mut body: Vec<String> = self
                .upload
                .iter()
                .map(|f| {
                    format!(
                        "- [`{GENERATED_DIR}/{}`]({GENERATED_DIR}/{}) ({} bytes)",
                        f.path,
                        f.path,
                        f.content.len()
                    )
                })
                .collect();
            if !self.extras.is_empty() {
                body.push(format!(
                    "- Not uploaded (unexpected): {}",
                    self.extras.join(", ")
                ));
            }
            sections.push(("Files".to_string(), body.join("\n")));
        }
        if !self.agent_notes.is_empty() {
            sections.push((
                "What the agent said".to_string(),
                self.agent_notes
                    .iter()
                    .map(|n| format!("> {}", n.replace('\n', "\n> ")))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            ));
        }
        sections.push((
            "How the verdict was decided".to_string(),
            format!(
                "By the numbered rules of `sf_core::rules::decide_build_status` in mode `{}` ({}). The evidence is in [`tests/evidence.json`](tests/evidence.json); the agent's events in `traces/`.",
                self.req.implementation_mode,
                self.req.implementation_mode.explanation()
            ),
        ));
        let token_missing = matches!(self.evidence.space_token, SpaceToken::Missing { .. })
            && status == RunStatus::TechnicalBlocker;
        report::write_verdict(
            self.rec,
            &self.checks,
            sections,
            &self.links,
            report::Advice {
                zerogpu_duration: self.recommended,
                space_token_missing: token_missing,
                ..report::Advice::default()
            },
            status,
            reason,
        );
    }
}
