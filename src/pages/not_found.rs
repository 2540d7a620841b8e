//! The page for an address the app does not know.

use leptos::prelude::*;

/// Shown for an unknown `view` or an unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"Page not found"</h1>
        <p class="lede">
            "This address does not name a page of Space Factory. "
            <a href="?">"Go to the start page"</a>
            "."
        </p>
    }
}
