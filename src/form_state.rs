//! The state behind the Build and Validate forms, written once for both: the draft kept in
//! localStorage, the shared run bucket name, the per-field errors from `sf_core`'s rules, and
//! the launch (with the double-launch guard in [`crate::launch`]).

use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sf_core::form::{
    BuildForm, BuildRequest, Field, FieldError, LaunchContext, ValidateForm, ValidateRequest,
};
use sf_core::jobspec::{self, JobSpec, JobSpecConfig};
use sf_core::{RunId, RunKind};

use crate::auth::{Auth, use_auth};
use crate::bucket::use_run_bucket;
use crate::drafts;
use crate::launch::{self, LaunchError};
use crate::routes::run_href;

/// What differs between the two forms.
pub trait LaunchForm: Clone + Serialize + DeserializeOwned + Send + Sync + 'static {
    type Request: 'static;
    const KIND: RunKind;
    const DRAFT_KEY: &'static str;
    fn fresh() -> Self;
    fn run_id_mut(&mut self) -> &mut String;
    fn bucket_name(&self) -> &str;
    fn bucket_name_mut(&mut self) -> &mut String;
    fn check(&self, ctx: &LaunchContext<'_>) -> Result<Self::Request, Vec<FieldError>>;
    fn run_id(request: &Self::Request) -> &RunId;
    fn target_space(request: &Self::Request) -> String;
    fn job(request: &Self::Request, token: &str, config: &JobSpecConfig) -> JobSpec;
}

impl LaunchForm for BuildForm {
    type Request = BuildRequest;
    const KIND: RunKind = RunKind::Build;
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
    fn run_id(request: &BuildRequest) -> &RunId {
        &request.run_id
    }
    fn target_space(request: &BuildRequest) -> String {
        request.target_space.id()
    }
    fn job(request: &BuildRequest, token: &str, config: &JobSpecConfig) -> JobSpec {
        jobspec::build_job(request, token, config)
    }
}

impl LaunchForm for ValidateForm {
    type Request = ValidateRequest;
    const KIND: RunKind = RunKind::Validate;
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
    fn run_id(request: &ValidateRequest) -> &RunId {
        &request.run_id
    }
    fn target_space(request: &ValidateRequest) -> String {
        request.target_space.id()
    }
    fn job(request: &ValidateRequest, token: &str, config: &JobSpecConfig) -> JobSpec {
        jobspec::validate_job(request, token, config)
    }
}

pub struct FormState<F: LaunchForm> {
    pub form: RwSignal<F>,
    pub errors: Memo<HashMap<Field, String>>,
    /// The launch: `pending` while it runs, its value the last refusal (a success opens the run).
    launch: Action<Launch, Option<LaunchError>>,
    /// A deployment that cannot launch at all says so here, without asking the Hub.
    config_error: RwSignal<Option<LaunchError>>,
    auth: Auth,
}

/// Everything one launch needs, checked and prepared before it is dispatched.
struct Launch {
    namespace: String,
    run_id: RunId,
    kind: RunKind,
    target_space: String,
    spec: JobSpec,
}

/// The launch action, the same for both forms: refuse a run id that already has a job, create
/// the job, then `on_launched` (a new run id for the next launch) and open the run's page.
fn launch_action(on_launched: Callback<()>) -> Action<Launch, Option<LaunchError>> {
    let auth = use_auth();
    let navigate = use_navigate();
    Action::new_local(move |l: &Launch| {
        let (namespace, run_id, kind) = (l.namespace.clone(), l.run_id.clone(), l.kind);
        let (target_space, spec) = (l.target_space.clone(), l.spec.clone());
        let navigate = navigate.clone();
        async move {
            match launch::launch(auth, &namespace, &run_id, kind, target_space, spec).await {
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
        let errors = Memo::new(move |_| {
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
                    .collect(),
            })
        });
        let launch = launch_action(Callback::new(move |()| {
            form.update(|f| *f.run_id_mut() = launch::new_run_id(F::KIND));
        }));
        FormState {
            form,
            errors,
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
            .update(|f| *f.run_id_mut() = launch::new_run_id(F::KIND));
    }

    /// The launch button is usable: signed in, every field valid, not already launching.
    pub fn can_launch(&self) -> bool {
        !self.launching()
            && self.errors.with(HashMap::is_empty)
            && self.auth.session.with(Option::is_some)
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
        self.launch.dispatch_local(Launch {
            spec: F::job(&request, &token, &config),
            run_id: F::run_id(&request).clone(),
            target_space: F::target_space(&request),
            kind: F::KIND,
            namespace: user,
        });
    }
}
