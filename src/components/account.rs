//! The account control of the top bar: who is signed in, sign out, or a link to sign in.

use leptos::prelude::*;

use crate::auth::use_auth;
use crate::routes::SIGN_IN_HREF;

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
                <a class="button" href=SIGN_IN_HREF>"Sign in"</a>
            </span>
        }
        .into_any(),
    }
    }
}
