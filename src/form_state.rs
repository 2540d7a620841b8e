//! The state behind the Build and Validate forms, written once for both: the draft kept in
//! localStorage, the shared run bucket name, the per-field errors from `sf_core`'s rules and
//! from the Hub's answers to the pre-launch checks (the model exists, the Space is new or
//! exists), whether the sign-in outlives the run, and the launch (with the double-launch guard
//! in [`crate::launch`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sf_core::form::{
    BuildForm, BuildRequest, Field, FieldError, LaunchContext, ValidateForm, ValidateRequest,
};
use sf_core::jobspec;
use sf_core::{ModelRef, RunKind, SpaceName, SpaceRef};

use crate::auth::{Auth, use_auth};
use crate::bucket::use_run_bucket;
use crate::drafts;
use crate::launch::{self, Job, JobRequest, LaunchError, LaunchRecord};
use crate::pages::on_demand;
use crate::routes::run_href;

/// What differs between the two forms.
pub trait LaunchForm: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    /// What [`LaunchForm::check`] makes of the form, and its kind of run.
    type Request: JobRequest;
    const DRAFT_KEY: &'static str;
    fn fresh() -> Self;
    fn run_id_mut(&mut self) -> &mut String;
    fn bucket_name(&self) -> &str;
    fn bucket_name_mut(&mut self) -> &mut String;
    fn check(&self, ctx: &LaunchContext<'_>) -> Result<Self::Request, Vec<FieldError>>;
    /// Builds the job for a checked request and creates it ([`Job::launch`]).
    fn launch(auth: Auth, job: Job<Self::Request>) -> LaunchFuture;
    /// What the Hub is asked about the fields as typed (for `namespace`), before launch.
    fn hub_checks(&self, namespace: &str) -> Vec<(Field, HubCheck)>;
    /// The job's time limit for the form as typed, when it can be known.
    fn time_limit_s(&self) -> Option<u32>;
}

/// One question to the Hub about a field, asked as the person types (debounced) so that no job
/// is launched that can only fail. The worker keeps its own checks: the Hub can change between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubCheck {
    /// The model exists and this token can read it — for a gated model, its weights too.
    ModelReadable(ModelRef),
    /// A Build's target Space does not exist yet.
    SpaceIsNew(SpaceRef),
    /// A Validate's Space exists and this token can read it.
    SpaceExists(SpaceRef),
}

/// The Hub's answer to a [`HubCheck`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckAnswer {
    /// The Hub no longer accepts the sign-in (a 401 that is not a model's gate).
    SignInExpired,
    /// The sentence refusing the field, or `None` (fine, or nothing sure).
    Refusal(Option<String>),
}

/// How long typing must pause before the Hub is asked.
const CHECK_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(400);

impl HubCheck {
    /// The sentence that refuses the field, from the Hub's answer (`Ok` = the thing exists);
    /// `None` when the field is fine or the answer says nothing sure (an outage, a network
    /// error: the launch and the worker will say more). `hub_url` makes the model page link.
    pub fn refusal(&self, hub_url: &str, found: Result<(), &sf_hub::HubError>) -> Option<String> {
        let missing = matches!(found, Err(e) if e.is_not_found() || e.is_forbidden());
        let gated = matches!(found, Err(e) if e.error_code() == Some("GatedRepo"));
        let exists = found.is_ok();
        match self {
            HubCheck::ModelReadable(m) if gated => Some(format!(
                "The model `{m}` is gated and your account has no access to its files yet; request access on the model page {}, then launch once it is granted.",
                sf_core::links::Links::new(hub_url).model(m)
            )),
            HubCheck::ModelReadable(m) if missing => Some(format!(
                "No model `{m}` on Hugging Face that your account can read; check the id (owner/name), or request access on the model's page."
            )),
            HubCheck::SpaceIsNew(s) if exists => Some(format!(
                "The Space `{s}` already exists, and Space Factory never changes an existing Space; choose another name, or run Validate on it."
            )),
            HubCheck::SpaceExists(s) if missing => Some(format!(
                "No Space `{s}` on Hugging Face that your account can read; check the owner/name."
            )),
            _ => None,
        }
    }

    /// Asks the Hub and reads its answer.
    pub async fn answer(&self, hub: &crate::hub::Hub) -> CheckAnswer {
        let found = self.ask(hub).await;
        // A 401 `GatedRepo` is the model's gate, not an expired sign-in.
        if matches!(&found, Err(e) if e.status() == Some(401) && e.error_code() != Some("GatedRepo"))
        {
            return CheckAnswer::SignInExpired;
        }
        CheckAnswer::Refusal(self.refusal(hub.hub_url(), found.as_ref().map(|_| ())))
    }

    async fn ask(&self, hub: &crate::hub::Hub) -> Result<(), sf_hub::HubError> {
        match self {
            HubCheck::ModelReadable(m) => {
                let info = hub.model_files(m).await?;
                // A gated model's info and page are public; its files are not. A build can only
                // fail without them, so the file a library downloads first is asked for too.
                match info.first_download() {
                    Some(file) if info.gated != sf_hub::types::Gated::No => {
                        hub.model_file_access(m, file).await
                    }
                    _ => Ok(()),
                }
            }
            HubCheck::SpaceIsNew(s) | HubCheck::SpaceExists(s) => {
                hub.space_info(s).await.map(|_| ())
            }
        }
    }
}

impl LaunchForm for BuildForm {
    type Request = BuildRequest;
    const DRAFT_KEY: &'static str = drafts::BUILD_KEY;
    fn fresh() -> Self {
        BuildForm {
            run_id: launch::new_run_id(RunKind::Build),
            ..BuildForm::default()
        }
    }
    fn run_id_mut(&mut self) -> &mut String {
        &mut self.run_id
    }
    fn bucket_name(&self) -> &str {
        &self.bucket_name
    }
    fn bucket_name_mut(&mut self) -> &mut String {
        &mut self.bucket_name
    }
    fn check(&self, ctx: &LaunchContext<'_>) -> Result<BuildRequest, Vec<FieldError>> {
        self.validate(ctx)
    }
    fn launch(auth: Auth, job: Job<BuildRequest>) -> LaunchFuture {
        // The job spec's code loads with the launch's, on the click (pages::on_demand).
        Box::pin(on_demand::launch_build(auth, job))
    }
    fn hub_checks(&self, namespace: &str) -> Vec<(Field, HubCheck)> {
        let mut checks = Vec::new();
        if let Ok(m) = ModelRef::parse(&self.model) {
            checks.push((Field::Model, HubCheck::ModelReadable(m)));
        }
        if let Ok(s) = SpaceName::parse(&self.target_space_name)
            .and_then(|name| SpaceRef::in_namespace(namespace, &name))
        {
            checks.push((Field::TargetSpaceName, HubCheck::SpaceIsNew(s)));
        }
        checks
    }
    fn time_limit_s(&self) -> Option<u32> {
        Some(jobspec::time_limit_s(RunKind::Build, 0))
    }
}

impl LaunchForm for ValidateForm {
    type Request = ValidateRequest;
    const DRAFT_KEY: &'static str = drafts::VALIDATE_KEY;
    fn fresh() -> Self {
        ValidateForm {
            run_id: launch::new_run_id(RunKind::Validate),
            ..ValidateForm::default()
        }
    }
    fn run_id_mut(&mut self) -> &mut String {
        &mut self.run_id
    }
    fn bucket_name(&self) -> &str {
        &self.bucket_name
    }
    fn bucket_name_mut(&mut self) -> &mut String {
        &mut self.bucket_name
    }
    fn check(&self, ctx: &LaunchContext<'_>) -> Result<ValidateRequest, Vec<FieldError>> {
        self.validate(ctx)
    }
    fn launch(auth: Auth, job: Job<ValidateRequest>) -> LaunchFuture {
        Box::pin(job.launch(auth))
    }
    fn hub_checks(&self, _namespace: &str) -> Vec<(Field, HubCheck)> {
        SpaceRef::parse(&self.target_space)
            .map(|s| vec![(Field::TargetSpace, HubCheck::SpaceExists(s))])
            .unwrap_or_default()
    }
    fn time_limit_s(&self) -> Option<u32> {
        let live = self.live_timeout_seconds.trim().parse().ok()?;
        Some(jobspec::time_limit_s(RunKind::Validate, live))
    }
}

/// The Hub's answers to pre-launch checks, shared by the forms and the Batch view: each check
/// is asked once (400 ms after the checks stop changing, while signed in) and its answer kept
/// for the page's life.
#[derive(Clone, Copy)]
pub struct HubAnswers {
    /// Answers by check (`None`: fine or unsure).
    answers: RwSignal<Vec<(HubCheck, Option<String>)>>,
}

impl HubAnswers {
    /// Asks the Hub about every check in `checks` not answered yet, whenever they change.
    pub fn new(auth: Auth, checks: Signal<Vec<HubCheck>>) -> HubAnswers {
        let answers: RwSignal<Vec<(HubCheck, Option<String>)>> = RwSignal::new(Vec::new());
        let timer = StoredValue::new(None::<TimeoutHandle>);
        Effect::new(move |_| {
            let asked: Vec<HubCheck> = checks
                .get()
                .into_iter()
                .filter(|c| answers.with_untracked(|a| a.iter().all(|(k, _)| k != c)))
                .collect();
            if let Some(t) = timer.get_value() {
                t.clear();
            }
            if asked.is_empty() {
                return;
            }
            let handle = set_timeout_with_handle(
                move || {
                    let Some(hub) = auth.hub() else { return };
                    for check in asked.clone() {
                        let hub = hub.clone();
                        leptos::task::spawn_local(async move {
                            let CheckAnswer::Refusal(refusal) = check.answer(&hub).await else {
                                auth.expire();
                                return;
                            };
                            answers.update(|a| {
                                if a.iter().all(|(k, _)| k != &check) {
                                    a.push((check, refusal));
                                }
                            });
                        });
                    }
                },
                CHECK_DEBOUNCE,
            );
            timer.set_value(handle.ok());
        });
        HubAnswers { answers }
    }

    /// The Hub has not answered `check` yet (tracked).
    pub fn pending(&self, check: &HubCheck) -> bool {
        self.answers.with(|a| a.iter().all(|(k, _)| k != check))
    }

    /// The sentence refusing `check`, once the Hub's answer is sure (tracked).
    pub fn refusal(&self, check: &HubCheck) -> Option<String> {
        self.answers.with(|a| {
            a.iter()
                .find(|(k, _)| k == check)
                .and_then(|(_, r)| r.clone())
        })
    }
}

/// A launch's future ([`LaunchForm::launch`]).
pub type LaunchFuture = Pin<Box<dyn Future<Output = Result<LaunchRecord, LaunchError>>>>;

pub struct FormState<F: LaunchForm> {
    pub form: RwSignal<F>,
    pub errors: Memo<HashMap<Field, String>>,
    /// The Hub checks of the fields that pass the local rules, and whether each is answered.
    pending_checks: Memo<usize>,
    /// The launch: `pending` while it runs, its value the last refusal (a success opens the run).
    launch: Action<Job<F::Request>, Option<LaunchError>>,
    /// A deployment that cannot launch at all says so here, without asking the Hub.
    config_error: RwSignal<Option<LaunchError>>,
    auth: Auth,
}

/// The launch action, the same for both forms: refuse a run id that already has a job, create
/// the job, then `on_launched` (a new run id for the next launch) and open the run's page.
fn launch_action<F: LaunchForm>(
    on_launched: Callback<()>,
) -> Action<Job<F::Request>, Option<LaunchError>> {
    let auth = use_auth();
    let navigate = use_navigate();
    Action::new_local(move |job: &Job<F::Request>| {
        let launched = F::launch(auth, job.clone());
        let navigate = navigate.clone();
        async move {
            match launched.await {
                Ok(record) => {
                    on_launched.run(());
                    navigate(&run_href(&record.run_id), Default::default());
                    None
                }
                Err(e) => Some(e),
            }
        }
    })
}

impl<F: LaunchForm> Clone for FormState<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F: LaunchForm> Copy for FormState<F> {}

impl<F: LaunchForm> FormState<F> {
    pub fn new() -> Self {
        let auth = use_auth();
        let run_bucket = use_run_bucket();
        let form = drafts::persisted(F::DRAFT_KEY, F::fresh);
        // The bucket name is shared with the Run storage panel.
        Effect::new(move |_| {
            let name = run_bucket.name.get();
            if form.with_untracked(|f| f.bucket_name() != name) {
                form.update(|f| *f.bucket_name_mut() = name);
            }
        });
        let local = Memo::new(move |_| {
            let user = auth.username().unwrap_or_default();
            let ctx = LaunchContext {
                namespace: &user,
                unix_seconds: 0,
                random: 0,
            };
            form.with(|f| match f.check(&ctx) {
                Ok(_) => HashMap::new(),
                Err(errs) => errs
                    .into_iter()
                    .map(|FieldError { field, message }| (field, message))
                    .collect::<HashMap<_, _>>(),
            })
        });
        // The Hub checks of the fields the local rules accept, while signed in.
        let checks = Memo::new(move |_| {
            let Some(user) = auth.username() else {
                return Vec::new();
            };
            let local = local.get();
            form.with(|f| f.hub_checks(&user))
                .into_iter()
                .filter(|(field, _)| !local.contains_key(field))
                .collect::<Vec<_>>()
        });
        let answers = HubAnswers::new(
            auth,
            Signal::derive(move || checks.get().into_iter().map(|(_, c)| c).collect()),
        );
        let pending_checks = Memo::new(move |_| {
            checks.with(|list| list.iter().filter(|(_, c)| answers.pending(c)).count())
        });
        let errors = Memo::new(move |_| {
            let mut errors = local.get();
            checks.with(|list| {
                for (field, check) in list {
                    if let Some(refusal) = answers.refusal(check) {
                        errors.insert(*field, refusal);
                    }
                }
            });
            errors
        });
        let launch = launch_action::<F>(Callback::new(move |()| {
            form.update(|f| *f.run_id_mut() = launch::new_run_id(F::Request::KIND));
        }));
        FormState {
            form,
            errors,
            pending_checks,
            launch,
            config_error: RwSignal::new(None),
            auth,
        }
    }

    /// The error of one field, as a sentence, or `None`.
    pub fn error_of(&self, field: Field) -> Signal<Option<String>> {
        let errors = self.errors;
        Signal::derive(move || errors.with(|e| e.get(&field).cloned()))
    }

    pub fn error_count(&self) -> Signal<usize> {
        let errors = self.errors;
        Signal::derive(move || errors.with(HashMap::len))
    }

    pub fn new_run_id(&self) {
        self.form
            .update(|f| *f.run_id_mut() = launch::new_run_id(F::Request::KIND));
    }

    /// The launch button is usable: signed in, every field valid and checked with the Hub, not
    /// already launching.
    pub fn can_launch(&self) -> bool {
        !self.launching()
            && self.errors.with(HashMap::is_empty)
            && self.pending_checks.get() == 0
            && self.auth.session.with(Option::is_some)
    }

    /// Whether the Hub has yet to answer a check of the fields as typed.
    pub fn checking(&self) -> Signal<bool> {
        let pending = self.pending_checks;
        Signal::derive(move || pending.get() > 0)
    }

    /// "Your sign-in ends in 25 min; a build can take up to 3 h." when the sign-in may end
    /// before the run's time limit (a pasted token has no end of its own).
    pub fn sign_in_too_short(&self) -> Signal<Option<String>> {
        let (auth, form) = (self.auth, self.form);
        Signal::derive(move || {
            let ends_ms = auth.session.with(|s| s.as_ref()?.expires_at_ms)?;
            let limit = form.with(F::time_limit_s)?;
            let left_s = ((ends_ms - js_now_ms()) / 1000.0).max(0.0) as u64;
            jobspec::sign_in_outlives_run(F::Request::KIND, left_s, limit).err()
        })
    }

    pub fn launching(&self) -> bool {
        self.launch.pending().get()
    }

    /// Why the last launch did not happen (hidden while a new one is under way).
    pub fn outcome(&self) -> Signal<Option<LaunchError>> {
        let (launch, config_error) = (self.launch, self.config_error);
        Signal::derive(move || {
            if launch.pending().get() {
                return None;
            }
            config_error
                .get()
                .or_else(|| launch.value().get().flatten())
        })
    }

    /// Launches the run, then opens its page; on failure the reason is shown and input kept.
    pub fn launch(&self) {
        let auth = self.auth;
        let (Some(user), Some(token)) = (auth.username(), auth.token()) else {
            return;
        };
        let (now, random) = launch::clock();
        let ctx = LaunchContext {
            namespace: &user,
            unix_seconds: now,
            random,
        };
        let Ok(request) = self.form.with_untracked(|f| f.check(&ctx)) else {
            return;
        };
        let config = match auth.config.with_value(|c| c.job_spec_config()) {
            Ok(c) => c,
            Err(e) => return self.config_error.set(Some(LaunchError::Failed(e))),
        };
        self.config_error.set(None);
        self.launch.dispatch_local(Job {
            namespace: user,
            request,
            token,
            config,
        });
    }
}

fn js_now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    return js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    return std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16) -> sf_hub::HubError {
        let response = sf_hub::HttpResponse {
            status,
            headers: Default::default(),
            body: br#"{"error":"Repository not found"}"#.to_vec(),
        };
        sf_hub::HubError::from_response(
            sf_hub::Operation::SpaceInfo,
            "https://hf.co/api/x",
            &response,
        )
    }

    #[test]
    fn each_form_asks_the_hub_about_the_fields_as_typed() {
        let build = BuildForm {
            model: "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo".into(),
            target_space_name: "fox-maker".into(),
            ..BuildForm::default()
        };
        assert_eq!(
            build.hub_checks("alice"),
            vec![
                (
                    Field::Model,
                    HubCheck::ModelReadable(ModelRef::parse("Tongyi-MAI/Z-Image-Turbo").unwrap())
                ),
                (
                    Field::TargetSpaceName,
                    HubCheck::SpaceIsNew(SpaceRef::new("alice", "fox-maker").unwrap())
                ),
            ]
        );
        // A field the local rules refuse is not asked about.
        let bad = BuildForm {
            model: "not a model".into(),
            target_space_name: "bad--name".into(),
            ..BuildForm::default()
        };
        assert_eq!(bad.hub_checks("alice"), vec![]);
        let validate = ValidateForm {
            target_space: "https://huggingface.co/spaces/bob/demo".into(),
            live_timeout_seconds: "1800".into(),
            ..ValidateForm::default()
        };
        assert_eq!(
            validate.hub_checks("alice"),
            vec![(
                Field::TargetSpace,
                HubCheck::SpaceExists(SpaceRef::new("bob", "demo").unwrap())
            )]
        );
        assert_eq!(validate.time_limit_s(), Some(1800 + 15 * 60));
        assert_eq!(build.time_limit_s(), Some(3 * 3600));
    }

    const HUB: &str = "https://huggingface.co";

    /// A gated model without access: one sentence with the model page, before anything runs.
    #[test]
    fn a_gated_model_without_access_is_refused_with_its_page() {
        let response = sf_hub::HttpResponse {
            status: 403,
            headers: [("X-Error-Code", "GatedRepo")].into_iter().collect(),
            body: br#"{"error":"Access to model meta-llama/Llama-3.1-8B is restricted."}"#.to_vec(),
        };
        let gated = sf_hub::HubError::from_response(
            sf_hub::Operation::ModelFile,
            "https://huggingface.co/x",
            &response,
        );
        let check = HubCheck::ModelReadable(ModelRef::parse("meta-llama/Llama-3.1-8B").unwrap());
        assert_eq!(
            check.refusal(HUB, Err(&gated)).unwrap(),
            "The model `meta-llama/Llama-3.1-8B` is gated and your account has no access to its files yet; request access on the model page https://huggingface.co/meta-llama/Llama-3.1-8B, then launch once it is granted."
        );
    }

    #[test]
    fn the_hubs_answer_refuses_a_field_only_when_it_is_sure() {
        let space = SpaceRef::new("alice", "fox").unwrap();
        let model = ModelRef::parse("alice/model").unwrap();
        let new = HubCheck::SpaceIsNew(space.clone());
        assert!(new.refusal(HUB, Ok(())).unwrap().contains("already exists"));
        assert_eq!(new.refusal(HUB, Err(&answer(404))), None);
        let exists = HubCheck::SpaceExists(space);
        assert_eq!(exists.refusal(HUB, Ok(())), None);
        assert!(
            exists
                .refusal(HUB, Err(&answer(404)))
                .unwrap()
                .starts_with("No Space `alice/fox`")
        );
        let readable = HubCheck::ModelReadable(model);
        assert!(
            readable
                .refusal(HUB, Err(&answer(404)))
                .unwrap()
                .starts_with("No model `alice/model`")
        );
        assert!(readable.refusal(HUB, Err(&answer(403))).is_some());
        assert_eq!(readable.refusal(HUB, Ok(())), None);
        // An outage says nothing sure about the field: the launch is not held back by it.
        for check in [&new, &exists, &readable] {
            assert_eq!(check.refusal(HUB, Err(&answer(503))), None);
        }
    }
}
