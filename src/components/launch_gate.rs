//! Why a form's launch button is disabled, in one sentence.

use leptos::prelude::*;

use crate::auth::use_auth;
use crate::routes::SIGN_IN_HREF;

/// Why the launch button is disabled, in one sentence (signed out, invalid fields, the Hub not
/// done checking them, or a deployment that does not know where the worker is); and, when the
/// sign-in may end before the run's time limit, that sentence with "Sign in again".
#[component]
pub fn LaunchGate(
    #[prop(into)] errors: Signal<usize>,
    #[prop(into)] account_error: Signal<Option<String>>,
    #[prop(optional, into)] checking: Signal<bool>,
    #[prop(optional, into)] sign_in_short: Signal<Option<String>>,
) -> impl IntoView {
    let auth = use_auth();
    let config_error = auth.config.with_value(|c| c.job_spec_config().err());
    let short = move || {
        sign_in_short.get().map(|text| {
            view! {
                <div class="notice warn" data-testid="sign-in-short">
                    <p>{text} " Sign in again first: what you typed here is kept."</p>
                    <button type="button" on:click=move |_| auth.sign_in_with_oauth()>"Sign in again"</button>
                </div>
            }
        })
    };
    let gate = move || {
        if auth.session.with(Option::is_none) {
            Some(view! {
                <p class="notice info" data-testid="launch-gate">
                    "Sign in with Hugging Face to launch: " <a href=SIGN_IN_HREF>"sign in"</a> ". What you type here is kept."
                </p>
            }.into_any())
        } else if let Some(e) = account_error.get() {
            Some(view! { <p class="notice bad" data-testid="launch-gate">{e}</p> }.into_any())
        } else if let Some(e) = config_error.clone() {
            Some(view! { <p class="notice bad" data-testid="launch-gate">{e}</p> }.into_any())
        } else {
            match errors.get() {
                0 if checking.get() => Some(view! { <p class="muted" data-testid="launch-gate">"Checking the fields with Hugging Face…"</p> }.into_any()),
                0 => None,
                1 => Some(view! { <p class="muted" data-testid="launch-gate">"Fix the field marked above to launch."</p> }.into_any()),
                n => Some(view! { <p class="muted" data-testid="launch-gate">{format!("Fix the {n} fields marked above to launch.")}</p> }.into_any()),
            }
        }
    };
    view! { {short} {gate} }
}
