use leptos::prelude::*;

use crate::auth::use_auth;

/// The top-bar account area: avatar, name and "Sign out", or a way to sign in.
#[component]
pub fn Account() -> impl IntoView {
    let auth = use_auth();
    move || {
        match auth.session.get() {
        Some(s) => view! {
            <span class="account" data-testid="account">
                {s.avatar_url.clone().map(|src| view! { <img src=src alt="" /> })}
                <span title=format!("Signed in as {}", s.username)>{s.display_name().to_string()}</span>
                <button class="link" type="button" on:click=move |_| auth.sign_out()>
                    "Sign out"
                </button>
            </span>
        }
        .into_any(),
        None => view! {
            <span class="account">
                <a class="button" href="?view=home#sign-in">"Sign in"</a>
            </span>
        }
        .into_any(),
    }
    }
}
