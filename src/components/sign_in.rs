//! The sign-in panel of the start page: OAuth, or a pasted access token where there is none.

use leptos::prelude::*;

use crate::auth::use_auth;

/// Signed-in status (as in the seed), or the ways to sign in: the OAuth button when the Space has
/// an OAuth app, and pasting an access token otherwise.
#[component]
pub fn SignInPanel() -> impl IntoView {
    let auth = use_auth();
    let has_oauth = auth.config.with_value(|c| c.oauth_client_id.is_some());
    let hub_url = auth.config.with_value(|c| c.hub_url.clone());
    let warnings = auth.config.with_value(|c| c.warnings.clone());
    let token = RwSignal::new(String::new());

    let notice = move || {
        auth.notice.get().map(|n| {
            view! {
                <div class=format!("notice {}", n.tone) role="alert" data-testid="auth-notice">
                    <p>{n.text}</p>
                </div>
            }
        })
    };

    let signed_out = move || {
        let tokens_url = format!("{hub_url}/settings/tokens");
        view! {
            <p data-testid="sign-in-status">
                "Not signed in. Sign in with Hugging Face before launching a job: jobs, Spaces and the run bucket are created in your account."
            </p>
            {has_oauth.then(|| view! {
                <button
                    class="primary"
                    type="button"
                    disabled=move || auth.busy.get()
                    on:click=move |_| auth.sign_in_with_oauth()
                >
                    {move || if auth.busy.get() { "Signing in…" } else { "Sign in with Hugging Face" }}
                </button>
            })}
            {(!has_oauth).then(|| view! {
                <form
                    class="field"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        auth.sign_in_with_token(token.get_untracked());
                    }
                >
                    <label for="token">"Hugging Face access token"</label>
                    <div class="row">
                        <input
                            id="token"
                            class="grow"
                            type="password"
                            autocomplete="off"
                            spellcheck="false"
                            placeholder="hf_…"
                            prop:value=move || token.get()
                            on:input=move |ev| token.set(event_target_value(&ev))
                        />
                        <button class="primary" type="submit" disabled=move || auth.busy.get()>
                            {move || if auth.busy.get() { "Checking…" } else { "Use this token" }}
                        </button>
                    </div>
                    <p class="hint">
                        "This app has no OAuth sign-in here, so paste a token that can write your repositories, "
                        "run Jobs and call Inference Providers ("<a href=tokens_url.clone() target="_blank" rel="noopener">"create one"</a>"). "
                        "It is kept in this browser only and sent only to " {hub_url.clone()}
                        " (and, as a secret of your jobs, to Hugging Face's Inference Providers for the coding agent)."
                    </p>
                </form>
            })}
        }
    };

    let signed_in = move || {
        auth.session.get().map(|s| {
            view! {
                <p data-testid="sign-in-status">
                    "Signed in as "<strong>{s.username.clone()}</strong>". Generated Spaces are created under "
                    <code>{format!("{}/…", s.username)}</code>" and stay private."
                </p>
                {(!s.has_scope("jobs")).then(|| view! {
                    <div class="notice warn">
                        <p>"This sign-in did not grant permission to run jobs (the `jobs` scope), so launching a build or a validation will be refused. Sign out and sign in again, and accept all the permissions asked."</p>
                    </div>
                })}
            }
        })
    };

    view! {
        <section class="card" id="sign-in">
            <h2>"Sign-in"</h2>
            {warnings.into_iter().map(|w| view! { <div class="notice warn"><p>{w}</p></div> }).collect_view()}
            {notice}
            {move || if auth.session.with(Option::is_some) { signed_in().into_any() } else { signed_out().into_any() }}
        </section>
    }
}
