use leptos::prelude::*;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;

/// What checking or creating the run bucket found.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Ready {
        bucket: String,
        uri: String,
        created: bool,
        existed: bool,
    },
    NotFound {
        bucket: String,
    },
    NoPermission {
        bucket: String,
        detail: String,
    },
    CouldNotCheck {
        bucket: String,
        detail: String,
    },
}

/// "Run storage" as in the seed: the bucket name, "Check run bucket", "Create private run bucket".
#[component]
pub fn BucketPanel() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let outcome = RwSignal::new(None::<Outcome>);
    let busy = RwSignal::new(false);
    // A new name or another account makes an earlier outcome meaningless.
    Effect::new(move |_| {
        run_bucket.name.track();
        auth.session.track();
        outcome.set(None);
    });

    let act = move |create: bool| {
        let Some(bucket) = run_bucket.bucket(&auth) else {
            return;
        };
        let Some(hub) = auth.hub() else { return };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let id = bucket.id();
            let ready = |created: bool, existed: bool| Outcome::Ready {
                bucket: id.clone(),
                uri: bucket.uri(),
                created,
                existed,
            };
            let classify = |e: &sf_hub::HubError| {
                let detail = auth.explain(e);
                if e.is_forbidden() {
                    Outcome::NoPermission {
                        bucket: id.clone(),
                        detail,
                    }
                } else {
                    Outcome::CouldNotCheck {
                        bucket: id.clone(),
                        detail,
                    }
                }
            };
            let result = if create {
                match hub.create_private_bucket(&bucket).await {
                    Ok(_) => ready(true, false),
                    Err(e) if e.is_conflict() => ready(false, true),
                    Err(e) => classify(&e),
                }
            } else {
                match hub.bucket_info(&bucket).await {
                    Ok(_) => ready(false, false),
                    Err(e) if e.is_not_found() => Outcome::NotFound { bucket: id.clone() },
                    Err(e) => classify(&e),
                }
            };
            outcome.set(Some(result));
            busy.set(false);
        });
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
                <button type="button" disabled=move || !can_act() on:click=move |_| act(false)>
                    "Check run bucket"
                </button>
                <button class="primary" type="button" disabled=move || !can_act() on:click=move |_| act(true)>
                    "Create private run bucket"
                </button>
                {move || busy.get().then(|| view! { <span class="muted">"Asking Hugging Face…"</span> })}
            </div>
            <div data-testid="bucket-status" aria-live="polite">
                {move || render(outcome.get(), auth.session.with(Option::is_some))}
            </div>
        </section>
    }
}

fn render(outcome: Option<Outcome>, signed_in: bool) -> AnyView {
    match outcome {
        None if !signed_in => view! {
            <p class="muted">"Sign in first; then check or create your private run bucket before launching jobs."</p>
        }
        .into_any(),
        None => view! { <p class="muted">"Check your run bucket, or create it, before launching jobs."</p> }.into_any(),
        Some(Outcome::Ready { bucket, uri, created, existed }) => {
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
        Some(Outcome::NotFound { bucket }) => view! {
            <div class="notice warn">
                <p><strong>"Run bucket not found: "</strong><code>{bucket}</code></p>
                <p>"Click “Create private run bucket” before launching a job, or check the name."</p>
            </div>
        }
        .into_any(),
        Some(Outcome::NoPermission { bucket, detail }) => view! {
            <div class="notice bad">
                <p><strong>"No permission for the run bucket "</strong><code>{bucket}</code></p>
                <p>{detail}</p>
            </div>
        }
        .into_any(),
        Some(Outcome::CouldNotCheck { bucket, detail }) => view! {
            <div class="notice bad">
                <p><strong>"Could not check the run bucket "</strong><code>{bucket}</code></p>
                <p>{detail}</p>
                <p class="small">"Nothing was changed."</p>
            </div>
        }
        .into_any(),
    }
}
