//! What can be done with a run: cancel its job, run it again, validate the Space it built.
//!
//! Cancel and "Validate this Space" ask the Hub, so they are [`Action`]s owned by the page (they
//! outlive the redraw of the details on a refresh): the button knows while one is under way and
//! cannot start a second. "Run again" needs nothing from the Hub: `request.json` was read with
//! the snapshot.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use sf_core::env::RunRequest;
use sf_core::record::ValidationRecord;
use sf_core::{BucketRef, BuildForm, RunId, RunKind, SpaceRef, ValidateForm};
use sf_hub::types::JobInfo;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::drafts;
use crate::launch;
use crate::routes::Page;
use crate::run_data::{self, RunSnapshot};

/// What "Validate this Space" needs to know about the build.
#[derive(Clone)]
pub struct ValidateThis {
    space: SpaceRef,
    bucket: BucketRef,
    run_id: RunId,
    validation: Option<ValidationRecord>,
}

/// The page's actions, made once per page.
#[derive(Clone, Copy)]
pub struct RunActionsState {
    cancel: Action<JobInfo, ()>,
    validate: Action<ValidateThis, ()>,
}

impl RunActionsState {
    /// `tick` is bumped after a cancel so the page shows the job's new stage at once.
    pub fn new(tick: RwSignal<u32>) -> Self {
        let auth = use_auth();
        let run_bucket = use_run_bucket();
        let navigate = use_navigate();
        let cancel = Action::new_local(move |job: &JobInfo| {
            let job = job.clone();
            async move {
                if let Err(e) = run_data::cancel_job(auth, job).await {
                    let _ = window().alert_with_message(&e);
                }
                tick.update(|t| *t += 1);
            }
        });
        // The build's own smoke test (its generated `smoke_test.json`), else what the state
        // recorded, else the seed's defaults; then the Validate form opens with it.
        let validate = Action::new_local(move |this: &ValidateThis| {
            let this = this.clone();
            let navigate = navigate.clone();
            async move {
                let manifest = run_data::read_smoke_test(auth, this.bucket, this.run_id).await;
                let form = ValidateForm::for_space(
                    launch::new_run_id(RunKind::Validate),
                    &this.space,
                    &run_bucket.name.get_untracked(),
                    manifest.as_ref(),
                    this.validation.as_ref(),
                );
                drafts::store(drafts::VALIDATE_KEY, &form);
                navigate(Page::Validate.href(), Default::default());
            }
        });
        RunActionsState { cancel, validate }
    }
}

#[component]
pub fn RunActions(
    snapshot: RunSnapshot,
    kind: RunKind,
    target_space: Option<SpaceRef>,
    bucket: Option<BucketRef>,
    run_id: RunId,
    actions: RunActionsState,
) -> impl IntoView {
    let finished = snapshot.is_finished();
    let active_job = snapshot.job.filter(|j| !j.status.stage.is_final());
    let cancel = active_job.map(|job| {
        let on_click = move |_| {
            let sure = window()
                .confirm_with_message("Cancel this job? The run stops and is recorded as failed.")
                .unwrap_or(false);
            if sure {
                actions.cancel.dispatch_local(job.clone());
            }
        };
        let pending = actions.cancel.pending();
        view! {
            <button type="button" class="danger" on:click=on_click disabled=move || pending.get()>
                {move || if pending.get() { "Cancelling…" } else { "Cancel job" }}
            </button>
        }
    });
    let run_again = snapshot.request.filter(|_| finished).map(|request| {
        let navigate = use_navigate();
        let on_click = move |_| match &request {
            RunRequest::Build(r) => {
                let form = BuildForm::run_again(r, launch::new_run_id(RunKind::Build));
                drafts::store(drafts::BUILD_KEY, &form);
                navigate(Page::Build.href(), Default::default());
            }
            RunRequest::Validate(r) => {
                let form = ValidateForm::run_again(r, launch::new_run_id(RunKind::Validate));
                drafts::store(drafts::VALIDATE_KEY, &form);
                navigate(Page::Validate.href(), Default::default());
            }
        };
        view! { <button type="button" on:click=on_click>"Run again"</button> }
    });
    let validation = snapshot.state.state().and_then(|s| s.validation.clone());
    let validate = (finished && kind == RunKind::Build)
        .then_some(())
        .and(target_space.zip(bucket))
        .map(|(space, bucket)| {
            let this = ValidateThis {
                space,
                bucket,
                run_id,
                validation,
            };
            let pending = actions.validate.pending();
            view! {
                <button type="button" class="primary" disabled=move || pending.get()
                    on:click=move |_| { actions.validate.dispatch_local(this.clone()); }>
                    {move || if pending.get() { "Reading its smoke test…" } else { "Validate this Space" }}
                </button>
            }
        });
    view! { <div class="row">{cancel} {run_again} {validate}</div> }
}
