//! The state behind the Build and Validate forms, written once for both: the draft kept in
//! localStorage, the shared run bucket name, the per-field errors from `sf_core`'s rules, and
//! the launch (with the double-launch guard in [`crate::launch`]).

use std::collections::HashMap;

use leptos::prelude::*;
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
    pub launching: RwSignal<bool>,
    pub outcome: RwSignal<Option<LaunchError>>,
    auth: Auth,
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
        FormState {
            form,
            errors,
            launching: RwSignal::new(false),
            outcome: RwSignal::new(None),
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
        !self.launching.get()
            && self.errors.with(HashMap::is_empty)
            && self.auth.session.with(Option::is_some)
    }

    /// Launches the run, then opens its page; on failure the reason is shown and input kept.
    pub fn launch(&self, navigate: impl Fn(&str) + 'static) {
        let this = *self;
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
        let Ok(request) = this.form.with_untracked(|f| f.check(&ctx)) else {
            return;
        };
        let config = match auth.config.with_value(|c| c.job_spec_config()) {
            Ok(c) => c,
            Err(e) => return this.outcome.set(Some(LaunchError::Failed(e))),
        };
        let spec = F::job(&request, &token, &config);
        let run_id = F::run_id(&request).clone();
        let target_space = F::target_space(&request);
        this.launching.set(true);
        this.outcome.set(None);
        leptos::task::spawn_local(async move {
            let result = launch::launch(auth, &user, &run_id, F::KIND, target_space, spec).await;
            this.launching.set(false);
            match result {
                Ok(record) => {
                    // The next launch gets a new run id; everything else stays as typed.
                    this.new_run_id();
                    navigate(&format!("?run={}", record.run_id));
                }
                Err(e) => this.outcome.set(Some(e)),
            }
        });
    }
}
