//! "Run storage" on the start page: the bucket name, "Check run bucket", "Create private run
//! bucket" ([`crate::bucket::check_or_create`] as an [`Action`]).

use leptos::prelude::*;
use sf_core::BucketRef;

use crate::auth::use_auth;
use crate::bucket::{BucketOutcome, use_run_bucket};
use crate::pages::on_demand::check_or_create_bucket;

/// "Run storage" as in the seed: the bucket name, "Check run bucket", "Create private run bucket".
#[component]
pub fn BucketPanel() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    // Check and create are one action: its value is the last outcome, `pending` while asking.
    let act = Action::new_local(move |(bucket, create): &(BucketRef, bool)| {
        check_or_create_bucket(auth, bucket.clone(), *create)
    });
    let busy = act.pending();
    // A new name or another account makes an earlier outcome meaningless.
    Effect::new(move |_| {
        run_bucket.name.track();
        auth.session.track();
        act.clear();
    });
    let dispatch = move |create: bool| {
        if let Some(bucket) = run_bucket.bucket(&auth) {
            act.dispatch_local((bucket, create));
        }
    };

    let can_act = move || {
        auth.session.with(Option::is_some) && run_bucket.name_error().is_none() && !busy.get()
    };

    view! {
        <section class="card" id="run-storage">
            <h2>"Run storage"</h2>
            <p class="muted">
                "Every run is recorded in a private Storage Bucket in your account. Create it once here; "
                "Build and Validate then use the same bucket."
            </p>
            <div class="field">
                <label for="bucket-name">"Run bucket name"</label>
                <input
                    id="bucket-name"
                    type="text"
                    spellcheck="false"
                    prop:value=move || run_bucket.name.get()
                    on:input=move |ev| run_bucket.name.set(event_target_value(&ev))
                    aria-invalid=move || run_bucket.name_error().is_some().to_string()
                />
                {move || match run_bucket.name_error() {
                    Some(e) => view! { <p class="error" data-testid="bucket-name-error">{e}</p> }.into_any(),
                    None => view! {
                        <p class="hint">
                            "The bucket is "
                            <code>{move || format!("{}/{}", auth.username().unwrap_or_else(|| "<your username>".into()), run_bucket.name.get())}</code>
                            ". Default: space-factory-runs."
                        </p>
                    }.into_any(),
                }}
            </div>
            <div class="row">
                <button type="button" disabled=move || !can_act() on:click=move |_| dispatch(false)>
                    "Check run bucket"
                </button>
                <button class="primary" type="button" disabled=move || !can_act() on:click=move |_| dispatch(true)>
                    "Create private run bucket"
                </button>
                {move || busy.get().then(|| view! { <span class="muted">"Asking Hugging Face…"</span> })}
            </div>
            <div data-testid="bucket-status" aria-live="polite">
                {move || render(act.value().get(), auth.session.with(Option::is_some))}
            </div>
        </section>
    }
}

fn render(outcome: Option<BucketOutcome>, signed_in: bool) -> AnyView {
    match outcome {
        None if !signed_in => view! {
            <p class="muted">"Sign in first; then check or create your private run bucket before launching jobs."</p>
        }
        .into_any(),
        None => view! { <p class="muted">"Check your run bucket, or create it, before launching jobs."</p> }.into_any(),
        Some(BucketOutcome::Ready { bucket, uri, created, existed }) => {
            let how = if created {
                "Created. "
            } else if existed {
                "It already existed, so nothing was changed. "
            } else {
                ""
            };
            view! {
                <div class="notice ok">
                    <p><strong>"Run bucket ready: "</strong><code>{bucket}</code></p>
                    <p>{how}"Bucket URI: "<code>{uri}</code></p>
                    <p>"New jobs mount this private bucket and write each run under "<code>"runs/<run id>/"</code>"."</p>
                </div>
            }
            .into_any()
        }
        Some(BucketOutcome::NotFound { bucket }) => view! {
            <div class="notice warn">
                <p><strong>"Run bucket not found: "</strong><code>{bucket}</code></p>
                <p>"Click “Create private run bucket” before launching a job, or check the name."</p>
            </div>
        }
        .into_any(),
        Some(BucketOutcome::NoPermission { bucket, detail }) => view! {
            <div class="notice bad">
                <p><strong>"No permission for the run bucket "</strong><code>{bucket}</code></p>
                <p>{detail}</p>
            </div>
        }
        .into_any(),
        Some(BucketOutcome::CouldNotCheck { bucket, detail }) => view! {
            <div class="notice bad">
                <p><strong>"Could not check the run bucket "</strong><code>{bucket}</code></p>
                <p>{detail}</p>
                <p class="small">"Nothing was changed."</p>
            </div>
        }
        .into_any(),
    }
}
