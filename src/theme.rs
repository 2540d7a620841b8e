//! Light / dark theme: follows the system unless the person picks one; the choice is remembered.

use leptos::prelude::*;

const KEY: &str = "space-factory:theme";

fn storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn apply(theme: Option<&str>) {
    if let Some(root) = document().document_element() {
        match theme {
            Some(t) => {
                let _ = root.set_attribute("data-theme", t);
            }
            None => {
                let _ = root.remove_attribute("data-theme");
            }
        }
    }
}

fn system_prefers_dark() -> bool {
    window()
        .match_media("(prefers-color-scheme: dark)")
        .ok()
        .flatten()
        .map(|m| m.matches())
        .unwrap_or(false)
}

/// A button that switches between light and dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let saved = storage().and_then(|s| s.get_item(KEY).ok().flatten());
    apply(saved.as_deref());
    let dark = RwSignal::new(match saved.as_deref() {
        Some("dark") => true,
        Some("light") => false,
        _ => system_prefers_dark(),
    });
    let toggle = move |_| {
        let next = !dark.get_untracked();
        dark.set(next);
        let name = if next { "dark" } else { "light" };
        apply(Some(name));
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, name);
        }
    };
    view! {
        <button
            class="link theme-toggle"
            type="button"
            on:click=toggle
            title=move || if dark.get() { "Switch to the light theme" } else { "Switch to the dark theme" }
        >
            {move || if dark.get() { "☀ Light" } else { "☾ Dark" }}
        </button>
    }
}
