//! Batch builds: many model cards launched at once with the same settings, each row its own run.
//!
//! A batch has no record of its own in the bucket (the app cannot write the bucket): each run's
//! `request.json` and `state.json` carry the batch id and the run's row ([`BatchTag`]), each job
//! is labelled `batch-id=<id>` as well as `run-id=<id>`, and the batch page assembles the batch
//! from its runs. This module holds the pure rules: reading pasted lines, the rows' checks
//! (duplicates within the batch), the launch plan (which rows go next, a few at a time), and
//! the batch page's figures (counts per status, total cost, whether anything is still live).

use serde::{Deserialize, Serialize};

use crate::estimate::cents;
use crate::form::{BuildForm, BuildRequest, Field, FieldError, LaunchContext, next_space_name};
use crate::ids::{RunId, UtcDateTime};
use crate::record::{CostRecord, RunStatus};
use crate::refs::{ModelRef, SpaceName};

/// The most rows one batch launches (each is a job billed to the person).
pub const MAX_ROWS: usize = 50;
/// How many launches are under way at once.
pub const CONCURRENCY: usize = 3;
/// The job label that finds a batch's jobs.
pub const LABEL_BATCH_ID: &str = "batch-id";

/// A batch id: `batch-<YYYYMMDD>-<HHMMSS>-<6 hex>`, with a run id's characters (it is a job
/// label value and part of the batch page's URL).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BatchId(String);

impl BatchId {
    /// Checks a batch id by the run-id rules (letters, digits, `-`, `_`; at most 96).
    pub fn parse(s: &str) -> Result<BatchId, String> {
        RunId::parse(s)
            .map(|_| BatchId(s.to_string()))
            .map_err(|e| e.to_string().replace("run id", "batch id"))
    }

    /// A fresh batch id from the clock and a random number (low 24 bits used).
    pub fn generate(unix_seconds: u64, random: u32) -> BatchId {
        BatchId(crate::ids::stamped_id("batch", unix_seconds, random))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_newtype!(BatchId, String);

/// Which batch a run belongs to, and its row there (1-based): `batch` in `request.json` and
/// `state.json` (absent for a run launched alone).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct BatchTag {
    pub id: BatchId,
    pub row: u32,
}

/// One row of the Batch view, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRow {
    /// A model id or model card URL.
    pub model: String,
    /// The Space to create under the person's account (derived from the model, editable).
    pub space_name: String,
}

impl BatchRow {
    /// A row for `model` as pasted, its Space name derived from the model when it reads.
    pub fn for_model(model: &str) -> BatchRow {
        let model = model.trim();
        BatchRow {
            model: model.to_string(),
            space_name: ModelRef::parse(model)
                .map(|m| SpaceName::suggest_for(&m).to_string())
                .unwrap_or_default(),
        }
    }
}

/// The Batch view's rows as the page holds them (kept across reloads as a draft). The shared
/// settings are a [`BuildForm`] of their own (its run id, model and Space name unused), passed
/// to the methods that need them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchForm {
    /// The paste box: lines not added yet stay here.
    #[serde(default)]
    pub paste: String,
    #[serde(default)]
    pub rows: Vec<BatchRow>,
}

/// What adding pasted lines did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    pub added: usize,
    /// The lines that did not fit under [`MAX_ROWS`], to keep in the paste box.
    pub left: String,
}

impl Added {
    /// "Only 50 rows fit in a batch; 3 lines were left in the box." when some did not fit.
    pub fn message(&self) -> Option<String> {
        let n = self.left.lines().filter(|l| !l.trim().is_empty()).count();
        (n > 0).then(|| {
            format!(
                "A batch holds at most {MAX_ROWS} rows; {n} line{} left in the box. Launch this batch first, or remove rows.",
                if n == 1 { " was" } else { "s were" }
            )
        })
    }
}

impl BatchForm {
    /// Adds one row per non-empty pasted line (an id or a card URL; blank lines and `#` comments
    /// skipped), up to [`MAX_ROWS`] rows in all; what does not fit is returned, not dropped.
    pub fn add_lines(&mut self, text: &str) -> Added {
        let mut left = Vec::new();
        let mut added = 0;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if self.rows.len() >= MAX_ROWS {
                left.push(line);
                continue;
            }
            self.rows.push(BatchRow::for_model(line));
            added += 1;
        }
        Added {
            added,
            left: left.join("\n"),
        }
    }

    /// Adds a model found by the Hub search, unless the batch already has it or is full.
    pub fn add_model(&mut self, id: &str) -> bool {
        let wanted = ModelRef::parse(id).ok();
        let present = self
            .rows
            .iter()
            .any(|r| ModelRef::parse(&r.model).ok() == wanted && wanted.is_some());
        if present || self.rows.len() >= MAX_ROWS {
            return false;
        }
        self.rows.push(BatchRow::for_model(id));
        true
    }

    /// The Build form of one row: the shared settings with the row's model and Space name.
    pub fn row_form(settings: &BuildForm, row: &BatchRow, run_id: &str) -> BuildForm {
        BuildForm {
            run_id: run_id.to_string(),
            model: row.model.clone(),
            target_space_name: row.space_name.clone(),
            ..settings.clone()
        }
    }

    /// The problems of each row (its model and Space name, by the Build form's rules, and
    /// duplicates within the batch), one list per row. Settings' problems are in
    /// [`BatchForm::settings_problems`].
    pub fn row_problems(
        &self,
        settings: &BuildForm,
        ctx: &LaunchContext<'_>,
    ) -> Vec<Vec<FieldError>> {
        let mut out = Vec::with_capacity(self.rows.len());
        let mut models: Vec<Option<ModelRef>> = Vec::new();
        let mut spaces: Vec<Option<String>> = Vec::new();
        for row in &self.rows {
            let mut errs: Vec<FieldError> = match Self::row_form(settings, row, "r").validate(ctx) {
                Ok(_) => Vec::new(),
                Err(errs) => errs
                    .into_iter()
                    .filter(|e| matches!(e.field, Field::Model | Field::TargetSpaceName))
                    .collect(),
            };
            let model = ModelRef::parse(&row.model).ok();
            let space = SpaceName::parse(&row.space_name)
                .ok()
                .map(|s| s.as_str().to_ascii_lowercase());
            if let Some(m) = &model
                && let Some(j) = models.iter().position(|o| o.as_ref() == Some(m))
            {
                errs.push(FieldError {
                    field: Field::Model,
                    message: format!(
                        "Row {} already builds `{m}`; remove this row (the settings are the same for every row).",
                        j + 1
                    ),
                });
            }
            if let Some(s) = &space
                && let Some(j) = spaces.iter().position(|o| o.as_ref() == Some(s))
            {
                errs.push(FieldError {
                    field: Field::TargetSpaceName,
                    message: format!(
                        "Row {} already creates the Space `{}`; give this row another name, e.g. `{}`.",
                        j + 1,
                        row.space_name.trim(),
                        next_space_name(row.space_name.trim())
                    ),
                });
            }
            models.push(model);
            spaces.push(space);
            out.push(errs);
        }
        out
    }

    /// The problems of the shared settings (as the Build form words them).
    pub fn settings_problems(settings: &BuildForm, ctx: &LaunchContext<'_>) -> Vec<FieldError> {
        let probe = BatchRow {
            model: "space-factory/probe".into(),
            space_name: "probe".into(),
        };
        match Self::row_form(settings, &probe, "r").validate(ctx) {
            Ok(_) => Vec::new(),
            Err(errs) => errs
                .into_iter()
                .filter(|e| !matches!(e.field, Field::Model | Field::TargetSpaceName))
                .collect(),
        }
    }

    /// The checked requests of every row, tagged with the batch and its row, with the given
    /// run ids (one per row); `None` if any row or setting has a problem.
    pub fn requests(
        &self,
        settings: &BuildForm,
        batch: &BatchId,
        run_ids: &[RunId],
        ctx: &LaunchContext<'_>,
    ) -> Option<Vec<BuildRequest>> {
        if self.rows.is_empty()
            || run_ids.len() != self.rows.len()
            || !Self::settings_problems(settings, ctx).is_empty()
            || self
                .row_problems(settings, ctx)
                .iter()
                .any(|p| !p.is_empty())
        {
            return None;
        }
        self.rows
            .iter()
            .zip(run_ids)
            .enumerate()
            .map(|(i, (row, id))| {
                let mut req = Self::row_form(settings, row, id.as_str())
                    .validate(ctx)
                    .ok()?;
                req.batch = Some(BatchTag {
                    id: batch.clone(),
                    row: i as u32 + 1,
                });
                Some(req)
            })
            .collect()
    }
}

/// Where one planned row of a launching batch stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RowLaunch {
    /// Run id chosen and saved; not launched yet (or the launch's answer was lost).
    Planned,
    /// Being launched now.
    Launching,
    /// Was being launched when the page went away: its job may exist, or be on its way at the
    /// Hub. It is launched again only after the run-id lookup has waited for it.
    Interrupted,
    /// The job exists.
    Launched { job_id: String },
    /// The Hub refused; the sentence says why. Can be retried.
    Failed { reason: String },
}

/// One row of a launch plan: the checked request (no secret) and where its launch stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRun {
    pub request: BuildRequest,
    pub launch: RowLaunch,
}

/// A batch's launch plan, saved in the browser before anything is launched, so that a reload
/// resumes it and the run-id lookup keeps any row from being launched twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPlan {
    pub batch: BatchId,
    pub runs: Vec<PlannedRun>,
}

impl LaunchPlan {
    pub fn new(batch: BatchId, requests: Vec<BuildRequest>) -> LaunchPlan {
        LaunchPlan {
            batch,
            runs: requests
                .into_iter()
                .map(|request| PlannedRun {
                    request,
                    launch: RowLaunch::Planned,
                })
                .collect(),
        }
    }

    /// After a reload nothing is under way: a row left `Launching` is `Interrupted` (its
    /// launch waits for the Hub to show a job with its run id before creating one).
    pub fn resumed(mut self) -> LaunchPlan {
        for r in &mut self.runs {
            if r.launch == RowLaunch::Launching {
                r.launch = RowLaunch::Interrupted;
            }
        }
        self
    }

    /// The indexes of the rows to launch now: planned or interrupted ones, so that at most
    /// [`CONCURRENCY`] are under way.
    pub fn next_to_launch(&self) -> Vec<usize> {
        let busy = self
            .runs
            .iter()
            .filter(|r| r.launch == RowLaunch::Launching)
            .count();
        self.runs
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.launch, RowLaunch::Planned | RowLaunch::Interrupted))
            .map(|(i, _)| i)
            .take(CONCURRENCY.saturating_sub(busy))
            .collect()
    }

    /// (launched, failed, all): the progress bar's figures.
    pub fn progress(&self) -> (usize, usize, usize) {
        let launched = self
            .runs
            .iter()
            .filter(|r| matches!(r.launch, RowLaunch::Launched { .. }))
            .count();
        let failed = self
            .runs
            .iter()
            .filter(|r| matches!(r.launch, RowLaunch::Failed { .. }))
            .count();
        (launched, failed, self.runs.len())
    }

    /// Every row has a job or a refusal: nothing is under way or waiting.
    pub fn settled(&self) -> bool {
        self.runs.iter().all(|r| {
            matches!(
                r.launch,
                RowLaunch::Launched { .. } | RowLaunch::Failed { .. }
            )
        })
    }

    /// Adds a run (a "run again") for an existing row, planned.
    pub fn add(&mut self, request: BuildRequest) {
        self.runs.push(PlannedRun {
            request,
            launch: RowLaunch::Planned,
        });
    }
}

/// One run of a batch as its page shows it, read from the run's `state.json` and its job.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRun {
    pub row: u32,
    pub run_id: RunId,
    pub model: String,
    pub target_space: String,
    /// `None` until the worker wrote `state.json`.
    pub status: Option<RunStatus>,
    /// The current phase's words while running.
    pub phase: Option<String>,
    /// The job has ended (with or without a record).
    pub job_ended: bool,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub cost: Option<CostRecord>,
}

impl BatchRun {
    /// Will not change any more: its outcome is written, or its job ended without one.
    pub fn has_ended(&self) -> bool {
        match self.status {
            Some(s) => s.is_final(),
            None => self.job_ended,
        }
    }

    /// The outcome as counted: an ended job without a record counts as `failed`.
    pub fn outcome(&self) -> Option<RunStatus> {
        match self.status {
            Some(s) => Some(s),
            None if self.job_ended => Some(RunStatus::Failed),
            None => None,
        }
    }

    /// What the run cost so far: its job and the Space's billed time, in dollars.
    pub fn cost_usd(&self) -> Option<f64> {
        let c = self.cost.as_ref()?;
        match (c.job_usd, c.space_usd) {
            (None, None) => None,
            (j, s) => Some(j.unwrap_or(0.0) + s.unwrap_or(0.0)),
        }
    }

    /// Its cost as the batch page shows it: to the cent ([`cents`]), as the total is
    /// ([`total_cost_text`]); "—" while it has recorded none.
    pub fn cost_text(&self) -> String {
        self.cost_usd().map_or_else(|| "—".to_string(), cents)
    }

    /// How long it ran ("4 min"), from its start to its end or `now`.
    pub fn duration(&self, now_unix: i64) -> Option<String> {
        let start = UtcDateTime::parse_rfc3339(&self.created_at)?.to_unix();
        let end = match &self.finished_at {
            Some(f) => UtcDateTime::parse_rfc3339(f)?.to_unix(),
            None => now_unix,
        };
        Some(crate::jobspec::describe_seconds(
            end.saturating_sub(start).max(0) as u64,
        ))
    }
}

/// The latest run of each row (a row run again is counted by its newest run), by row.
pub fn latest_per_row(runs: &[BatchRun]) -> Vec<&BatchRun> {
    let mut latest: Vec<&BatchRun> = Vec::new();
    for r in runs {
        match latest.iter_mut().find(|l| l.row == r.row) {
            Some(l) if (r.created_at.as_str(), &r.run_id) > (l.created_at.as_str(), &l.run_id) => {
                *l = r
            }
            Some(_) => {}
            None => latest.push(r),
        }
    }
    crate::sort::stable_by(&mut latest, |a, b| a.row.cmp(&b.row));
    latest
}

/// Runs per status over the latest run of each row: `running` first, then the outcomes best
/// first; statuses with no run are left out.
pub fn status_counts(runs: &[BatchRun]) -> Vec<(RunStatus, usize)> {
    let latest = latest_per_row(runs);
    std::iter::once(RunStatus::Running)
        .chain(RunStatus::OUTCOMES)
        .map(|s| {
            let n = latest
                .iter()
                .filter(|r| r.outcome().unwrap_or(RunStatus::Running) == s)
                .count();
            (s, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// What every run of the batch cost so far (runs run again included).
pub fn total_cost_usd(runs: &[BatchRun]) -> f64 {
    // A fold from +0.0: an empty `sum` of floats is -0.0, shown as "$-0.00".
    runs.iter()
        .filter_map(BatchRun::cost_usd)
        .fold(0.0, |a, b| a + b)
}

/// The total as the batch page shows it, rounded as its rows are ([`BatchRun::cost_text`]): rows
/// of "under $0.01" never add up to a total shown to the hundredth of a cent.
pub fn total_cost_text(runs: &[BatchRun]) -> String {
    cents(total_cost_usd(runs))
}

/// Some run is still live: the page keeps refreshing.
pub fn any_live(runs: &[BatchRun]) -> bool {
    runs.iter().any(|r| !r.has_ended())
}

/// Where a batch stands, as its page's headline says it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Phase {
    /// A row of the plan has no job yet (planned, being launched, or interrupted by a reload).
    Launching,
    /// Every row has its job (or a refusal) and some run is still live.
    Running,
    /// Every row has its job or a refusal, and every run has ended.
    Ended,
}

impl Phase {
    /// `plan_settled`: [`LaunchPlan::settled`] of the plan kept in this browser (true when there
    /// is none here: another browser launched it, so only its runs say where it stands).
    pub fn of(runs: &[BatchRun], plan_settled: bool) -> Phase {
        if !plan_settled {
            Phase::Launching
        } else if any_live(runs) {
            Phase::Running
        } else {
            Phase::Ended
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Launching => "Launching",
            Phase::Running => "Running",
            Phase::Ended => "All runs have ended",
        }
    }

    pub fn is_live(self) -> bool {
        self != Phase::Ended
    }
}

/// The latest runs that ended `failed` (or whose job ended without a record): what "Run again
/// the failed ones" launches again. A `technical_blocker` is not among them: the same settings
/// would meet the same obstacle.
pub fn failed_rows(runs: &[BatchRun]) -> Vec<&BatchRun> {
    latest_per_row(runs)
        .into_iter()
        .filter(|r| r.has_ended() && r.outcome() == Some(RunStatus::Failed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: LaunchContext<'static> = LaunchContext {
        namespace: "alice",
        unix_seconds: 1_795_875_901,
        random: 7,
    };

    #[test]
    fn batch_ids_are_generated_and_read_back() {
        let id = BatchId::generate(1_795_875_901, 0xabcdef);
        assert!(id.as_str().starts_with("batch-2026"), "{id}");
        assert_eq!(BatchId::parse(id.as_str()), Ok(id.clone()));
        let err = BatchId::parse("bad id").unwrap_err();
        assert!(err.contains("batch id"), "{err}");
        let tag = BatchTag { id, row: 2 };
        let json = serde_json::to_string(&tag).unwrap();
        assert_eq!(serde_json::from_str::<BatchTag>(&json).unwrap(), tag);
    }

    #[test]
    fn pasted_lines_become_rows_with_derived_names_up_to_the_cap() {
        let mut form = BatchForm::default();
        let added = form.add_lines(
            "Tongyi-MAI/Z-Image-Turbo\n\n  https://huggingface.co/openai-community/gpt2  \n# a comment\nnot a model\n",
        );
        assert_eq!(added.added, 3);
        assert_eq!(added.message(), None);
        assert_eq!(form.rows[0].space_name, "space-factory-z-image-turbo");
        assert_eq!(
            form.rows[1].model,
            "https://huggingface.co/openai-community/gpt2"
        );
        assert_eq!(form.rows[1].space_name, "space-factory-gpt2");
        // A line that is not a model is kept as typed, with no name: its row says what is wrong.
        assert_eq!(form.rows[2].space_name, "");
        let many: String = (0..60).map(|i| format!("org/m{i}\n")).collect();
        let added = form.add_lines(&many);
        assert_eq!(form.rows.len(), MAX_ROWS);
        assert_eq!(added.added, MAX_ROWS - 3);
        assert_eq!(added.left.lines().count(), 13);
        assert!(added.left.starts_with("org/m47"));
        assert!(added.message().unwrap().contains("13 lines were left"));
        assert!(!form.add_model("org/other"));
    }

    #[test]
    fn each_row_is_checked_and_duplicates_are_flagged_on_the_later_row() {
        let mut form = BatchForm::default();
        form.add_lines("org/a\nhttps://huggingface.co/org/a\norg/b\nnot a model\n");
        form.rows[2].space_name = "space-factory-a".into();
        let settings = BuildForm::default();
        let p = form.row_problems(&settings, &CTX);
        assert!(p[0].is_empty(), "{:?}", p[0]);
        assert_eq!(p[1].len(), 2, "{:?}", p[1]);
        assert!(p[1][0].message.starts_with("Row 1 already builds `org/a`"));
        assert!(
            p[1][1]
                .message
                .starts_with("Row 1 already creates the Space `space-factory-a`")
        );
        assert_eq!(p[2].len(), 1);
        assert_eq!(p[2][0].field, Field::TargetSpaceName);
        assert!(p[2][0].message.contains("space-factory-a-2"));
        assert!(p[3].iter().any(|e| e.field == Field::Model));
        assert!(p[3].iter().any(|e| e.field == Field::TargetSpaceName));
        assert!(BatchForm::settings_problems(&settings, &CTX).is_empty());
        // Adding from the search skips a model the batch already has, however it was typed.
        assert!(!form.add_model("org/b"));
        assert!(form.add_model("org/c"));
    }

    #[test]
    fn requests_carry_the_batch_and_their_row_only_when_everything_passes() {
        let mut form = BatchForm::default();
        form.add_lines("org/a\norg/b\n");
        let batch = BatchId::generate(CTX.unix_seconds, 1);
        let ids = [
            RunId::parse("build-1").unwrap(),
            RunId::parse("build-2").unwrap(),
        ];
        let mut settings = BuildForm::default();
        let reqs = form.requests(&settings, &batch, &ids, &CTX).unwrap();
        assert_eq!(reqs[1].run_id.as_str(), "build-2");
        assert_eq!(reqs[1].target_space.id(), "alice/space-factory-b");
        assert_eq!(
            reqs[1].batch,
            Some(BatchTag {
                id: batch.clone(),
                row: 2
            })
        );
        assert!(form.requests(&settings, &batch, &ids[..1], &CTX).is_none());
        settings.pi_model = "nope".into();
        assert_eq!(
            BatchForm::settings_problems(&settings, &CTX)[0].field,
            Field::PiModel
        );
        assert!(form.requests(&settings, &batch, &ids, &CTX).is_none());
        // The draft reads back (nothing typed is lost on reload).
        let json = serde_json::to_string(&form).unwrap();
        assert_eq!(serde_json::from_str::<BatchForm>(&json).unwrap(), form);
    }

    fn plan(n: usize) -> LaunchPlan {
        let mut form = BatchForm::default();
        let lines: String = (0..n).map(|i| format!("org/m{i}\n")).collect();
        form.add_lines(&lines);
        let ids: Vec<RunId> = (0..n)
            .map(|i| RunId::parse(&format!("build-{i}")).unwrap())
            .collect();
        let batch = BatchId::parse("batch-1").unwrap();
        let reqs = form.requests(&BuildForm::default(), &batch, &ids, &CTX);
        LaunchPlan::new(batch.clone(), reqs.unwrap())
    }

    #[test]
    fn the_plan_launches_a_few_at_a_time_and_a_reload_resumes_it() {
        let mut p = plan(5);
        assert_eq!(p.next_to_launch(), vec![0, 1, 2]);
        p.runs[0].launch = RowLaunch::Launching;
        p.runs[1].launch = RowLaunch::Launched { job_id: "j".into() };
        assert_eq!(p.next_to_launch(), vec![2, 3]);
        p.runs[2].launch = RowLaunch::Failed {
            reason: "402".into(),
        };
        assert_eq!(p.progress(), (1, 1, 5));
        assert!(!p.settled());
        // Saved and read back after a reload: the row under way is planned again.
        let json = serde_json::to_string(&p).unwrap();
        let back: LaunchPlan = serde_json::from_str::<LaunchPlan>(&json).unwrap().resumed();
        assert_eq!(back.runs[0].launch, RowLaunch::Interrupted);
        assert_eq!(back.next_to_launch(), vec![0, 3, 4]);
        for r in &mut p.runs {
            if !matches!(r.launch, RowLaunch::Failed { .. }) {
                r.launch = RowLaunch::Launched { job_id: "j".into() };
            }
        }
        assert!(p.settled());
        assert!(p.next_to_launch().is_empty());
    }

    fn run(row: u32, id: &str, status: Option<RunStatus>, ended: bool) -> BatchRun {
        BatchRun {
            row,
            run_id: RunId::parse(id).unwrap(),
            model: format!("org/m{row}"),
            target_space: String::new(),
            status,
            phase: None,
            job_ended: ended,
            created_at: format!("2026-11-30T08:00:0{}Z", id.len() % 10),
            finished_at: None,
            cost: None,
        }
    }

    #[test]
    fn the_total_is_shown_rounded_as_the_rows_are() {
        let with_cost = |row: u32, usd: f64| {
            let mut r = run(row, &format!("build-{row}"), Some(RunStatus::Failed), true);
            r.cost = Some(CostRecord {
                job_usd: Some(usd),
                ..CostRecord::default()
            });
            r
        };
        // Three short jobs on cpu-basic: a few thousandths of a cent each. The rows showed
        // "$0.00" each and the total "$0.0001".
        let mut runs: Vec<BatchRun> = (1..=3).map(|row| with_cost(row, 0.00004)).collect();
        assert_eq!(runs[0].cost_text(), "under $0.01");
        assert_eq!(total_cost_text(&runs), "under $0.01");
        runs.push(with_cost(4, 1.234));
        assert_eq!(runs[3].cost_text(), "$1.23");
        assert_eq!(total_cost_text(&runs), "$1.23");
        // A run without a cost record yet; a batch that has cost nothing.
        assert_eq!(run(5, "build-5", None, false).cost_text(), "—");
        assert_eq!(total_cost_text(&[]), "$0.00");
    }

    #[test]
    fn counts_total_cost_liveness_and_failed_rows() {
        let mut runs = vec![
            run(1, "build-a", Some(RunStatus::FullInferenceSuccess), true),
            run(2, "build-b", Some(RunStatus::TechnicalBlocker), true),
            run(3, "build-c", Some(RunStatus::Failed), true),
        ];
        runs[0].cost = Some(CostRecord {
            job_usd: Some(0.01),
            space_usd: Some(0.5),
            ..CostRecord::default()
        });
        runs[2].cost = Some(CostRecord {
            job_usd: Some(0.002),
            ..CostRecord::default()
        });
        assert_eq!(
            status_counts(&runs),
            vec![
                (RunStatus::FullInferenceSuccess, 1),
                (RunStatus::TechnicalBlocker, 1),
                (RunStatus::Failed, 1)
            ]
        );
        assert!((total_cost_usd(&runs) - 0.512).abs() < 1e-9);
        assert!(
            total_cost_usd(&[]).is_sign_positive(),
            "no run costs $0.00, not $-0.00"
        );
        assert!(!any_live(&runs));
        let failed: Vec<&str> = failed_rows(&runs)
            .iter()
            .map(|r| r.run_id.as_str())
            .collect();
        assert_eq!(failed, ["build-c"]);
        // Row 3 run again: counted by its newer run, which is live; the old one still costs.
        let mut again = run(3, "build-c-again", None, false);
        again.created_at = "2026-11-30T09:00:00Z".into();
        runs.push(again);
        assert_eq!(
            status_counts(&runs),
            vec![
                (RunStatus::Running, 1),
                (RunStatus::FullInferenceSuccess, 1),
                (RunStatus::TechnicalBlocker, 1)
            ]
        );
        assert!(any_live(&runs));
        assert!(failed_rows(&runs).is_empty());
        assert!((total_cost_usd(&runs) - 0.512).abs() < 1e-9);
        // A job that ended without writing a record counts as failed and can be run again.
        let lost = run(4, "build-d", None, true);
        assert_eq!(lost.outcome(), Some(RunStatus::Failed));
        assert!(lost.has_ended());
    }

    #[test]
    fn duration_runs_to_the_end_or_to_now() {
        let mut r = run(1, "build-a", None, false);
        r.created_at = "2026-11-30T08:00:00Z".into();
        let start = UtcDateTime::parse_rfc3339(&r.created_at).unwrap().to_unix();
        assert_eq!(r.duration(start + 90).as_deref(), Some("90 s"));
        r.finished_at = Some("2026-11-30T08:05:00Z".into());
        assert_eq!(r.duration(start + 9999).as_deref(), Some("5 min"));
    }

    #[test]
    fn a_batch_is_not_ended_while_a_row_of_its_plan_has_no_job() {
        // Before any launch answers the list is empty: that is not "All runs have ended".
        assert_eq!(Phase::of(&[], false), Phase::Launching);
        assert_eq!(Phase::of(&[], false).label(), "Launching");
        assert!(Phase::of(&[], false).is_live());
        // No plan in this browser and no run live: ended.
        assert_eq!(Phase::of(&[], true), Phase::Ended);
        assert!(!Phase::of(&[], true).is_live());
        assert_eq!(Phase::Ended.label(), "All runs have ended");
        // Every row launched, one run still live: running; all ended: ended.
        let live = [
            run(0, "a", None, false),
            run(1, "b", Some(RunStatus::Failed), true),
        ];
        assert_eq!(Phase::of(&live, true), Phase::Running);
        assert_eq!(Phase::of(&live, false), Phase::Launching);
        let ended = [run(0, "a", Some(RunStatus::Failed), true)];
        assert_eq!(Phase::of(&ended, true), Phase::Ended);
    }
}
