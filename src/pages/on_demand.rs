//! The code a first load does not need, each in a wasm chunk of its own that the page fetches
//! when it is first called (issue 13: a first load of Home or Build fetches only their code):
//! the views other than Home and Build, fetched when the view is opened, and what those two run
//! only after a click or a sign-in redirect (signing in, the launch, checking the run bucket).
//! Not the Build form's questions to the Hub: with its default model and Space name they are
//! asked as soon as a signed-in person opens Build, so their code is part of a first load.
//!
//! Each function is a split point (Leptos's `#[lazy]`, which is `wasm_split`): in the release
//! build `cargo xtask build-app` cuts everything only it reaches out of the main module into
//! `split_<name>.wasm` (code two of them share goes into a `chunk_*.wasm` both load), and calling
//! it fetches and instantiates that file first (once; later calls are immediate). Off wasm32
//! (native tests, clippy) it is a plain call. Home, Build and the layout stay in the main module.
//!
//! `#[lazy]` expands to the `extern "C"` import/export pair that `wasm-split` links, hence the
//! `allow(unsafe_code)` below: no `unsafe` is written here, it is the macro's generated FFI.
#![allow(unsafe_code)]

use std::future::Future;
use std::pin::Pin;

use leptos::lazy;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

use sf_core::BucketRef;
use sf_core::form::BuildRequest;

use super::{About, Batch, BatchPage, Run, Runs, Validate};
use crate::auth::oauth::{self, OAuthState, SignInError};
use crate::auth::{Auth, Session};
use crate::bucket::BucketOutcome;
use crate::config::AppConfig;
use crate::launch::{Job, LaunchError, LaunchRecord};

#[lazy]
pub fn run(run: String) -> AnyView {
    view! { <Run run=run /> }.into_any()
}

#[lazy]
pub fn batch_page(batch: String) -> AnyView {
    view! { <BatchPage batch=batch /> }.into_any()
}

#[lazy]
pub fn batch() -> AnyView {
    Batch().into_any()
}

#[lazy]
pub fn validate() -> AnyView {
    Validate().into_any()
}

#[lazy]
pub fn runs() -> AnyView {
    Runs().into_any()
}

#[lazy]
pub fn about() -> AnyView {
    About().into_any()
}

// What Home and Build run only after a click, typing or a sign-in redirect. Each is a thin
// wrapper: the code is where it belongs, only its call is here.

/// "Sign in with Hugging Face" ([`oauth::begin`]).
#[lazy]
pub async fn oauth_begin(config: AppConfig, return_to: Option<String>) -> Result<(), SignInError> {
    oauth::begin(&config, return_to).await
}

/// The sign-in redirect's code traded for a session ([`oauth::complete`]).
#[lazy]
pub async fn oauth_complete(
    config: AppConfig,
    code: String,
    state: OAuthState,
    verifier: String,
) -> Result<Session, SignInError> {
    oauth::complete(&config, &code, &state, verifier).await
}

/// A pasted access token checked with the Hub ([`crate::auth::token_session`]).
#[lazy]
pub async fn token_session(hub_url: String, token: String) -> Result<Session, String> {
    crate::auth::token_session(hub_url, token).await
}

/// The launch of a Build ([`Job::launch`]): the job spec built, the job created.
#[lazy]
pub async fn launch_build(auth: Auth, job: Job<BuildRequest>) -> Result<LaunchRecord, LaunchError> {
    job.launch(auth).await
}

/// "Check run bucket" and "Create private run bucket" ([`crate::bucket::check_or_create`]).
#[lazy]
pub async fn check_or_create_bucket(auth: Auth, bucket: BucketRef, create: bool) -> BucketOutcome {
    crate::bucket::check_or_create(auth, bucket, create).await
}

/// The view `load` gives once its code is there, and the page's loading line until then.
///
/// The previous page goes at once: a view switch replaces it with the loading line rather than
/// leaving it on screen (and clickable) under "Loading…" until the new view's code arrives.
/// (A `Suspend` in its place would keep the old view while the new one loads: tachys rebuilds a
/// `Suspend` in place.) A view whose page was left before its code arrived is dropped.
pub fn render(load: impl Future<Output = AnyView> + 'static) -> AnyView {
    // One copy of the code below for every view, not one per view's future type.
    render_boxed(Box::pin(load))
}

fn render_boxed(load: Pin<Box<dyn Future<Output = AnyView>>>) -> AnyView {
    let slot = RwSignal::new(None::<SendWrapper<AnyView>>);
    // Scoped: the page is built under this view's owner, with the contexts it reads.
    leptos::task::spawn_local_scoped(async move {
        let view = load.await;
        // The page may have been left meanwhile: its signal is gone then.
        let _ = slot.try_set(Some(SendWrapper::new(view)));
    });
    (move || {
        slot.track();
        match slot.try_update_untracked(Option::take).flatten() {
            Some(view) => view.take(),
            None => view! { <p class="boot">"Loading…"</p> }.into_any(),
        }
    })
    .into_any()
}

/// Fetches and compiles the code of `view` (a function above: `"run"`, `"launch_build"`) once
/// `ready` says so and the person is signed in, in the browser's next idle moment: the page a
/// launch opens is then drawn at once, where it would otherwise show "Loading…" for its code's
/// round trip (the run page's is about 170 KB with the chunks it shares, seconds on a slow
/// phone network). `ready` is for what the current view still fetches (its hardware lists):
/// the prefetch never competes with it. Not signed in, nothing can be launched from here yet,
/// so nothing is fetched.
///
/// The chunks' loader (`xtask/src/wasm.rs`) exports `sfPrefetch(view)`, which runs the same
/// loader a call of the view would (once: the call later finds it loaded). A failed prefetch
/// leaves nothing behind; opening the view then tries again.
pub fn prefetch_when(view: &'static str, ready: impl Fn() -> bool + 'static) {
    let auth = crate::auth::use_auth();
    // Again when `ready` changes: the loader starts a view's code once, whatever it is asked.
    Effect::new(move |_| {
        if ready() && auth.session.with(Option::is_some) {
            prefetch(view);
        }
    });
}

#[cfg(target_arch = "wasm32")]
fn prefetch(view: &'static str) {
    use wasm_bindgen::JsCast;
    let start = move || {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(bindings) = js_sys::Reflect::get(&window, &"wasmBindings".into()) else {
            return;
        };
        if let Ok(f) = js_sys::Reflect::get(&bindings, &"sfPrefetch".into())
            && let Some(f) = f.dyn_ref::<js_sys::Function>()
        {
            let _ = f.call1(&bindings, &view.into());
        }
    };
    // Safari has no requestIdleCallback: a second later there.
    if request_idle_callback_with_handle(start).is_err() {
        set_timeout(start, std::time::Duration::from_secs(1));
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn prefetch(_view: &'static str) {}
