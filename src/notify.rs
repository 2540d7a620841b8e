//! A note when something the person watches ends: the tab title that follows a run's status,
//! and an opt-in browser notification (the Notification API).
//!
//! The browser is asked for permission only after a click on [`NotifyButton`]; the choice is
//! kept in this browser (`space-factory:notify`), so a person who said yes once is not asked on
//! every run. [`notify_once`] shows a notification at most once per key in a page (a run id, a
//! batch id), however often a refresh sees the ending, and only when the person opted in and
//! the browser allows it. Pages say what ended and how; this module only shows it.

use std::cell::RefCell;
use std::collections::BTreeSet;

use leptos::prelude::*;
use sf_core::RunStatus;
use wasm_bindgen::JsCast;
use web_sys::{Notification, NotificationOptions, NotificationPermission};

use crate::storage;

/// The app's name, the tail of every tab title.
pub const APP_NAME: &str = "Space Factory";
/// Where the opt-in is kept.
const OPT_IN_KEY: &str = "space-factory:notify";

/// A tab title: the parts, then the app's name, joined by ` — `; empty parts are left out.
/// `["● running"]` → `● running — Space Factory`.
pub fn title_of(parts: &[&str]) -> String {
    parts
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .chain([APP_NAME])
        .collect::<Vec<_>>()
        .join(" — ")
}

/// The mark before a status in a title or a notification: `✓` works, `⚠` needs a hand,
/// `●` running, `◐` partly checked, `○` boots only, `✗` blocked or failed.
pub fn status_mark(status: RunStatus) -> &'static str {
    match status {
        RunStatus::FullInferenceSuccess => "✓",
        RunStatus::ManualHardwareRequired => "⚠",
        RunStatus::Running => "●",
        RunStatus::FullInferenceCandidateHealthPassed => "◐",
        RunStatus::HealthOnly => "○",
        RunStatus::TechnicalBlocker | RunStatus::Failed => "✗",
    }
}

/// `✓ Generation works`, `● running`.
pub fn status_text(status: RunStatus) -> String {
    match status {
        RunStatus::Running => format!("{} running", status_mark(status)),
        s => format!("{} {}", status_mark(s), s.label()),
    }
}

/// Sets the tab's title to [`title_of`] `parts`.
pub fn set_tab_title(parts: &[&str]) {
    document().set_title(&title_of(parts));
}

/// Puts the tab's title back to the app's name (a page that set it calls this on cleanup).
pub fn reset_tab_title() {
    document().set_title(APP_NAME);
}

/// What the browser allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// No Notification API here (an old browser, an insecure origin, some in-app browsers).
    Unsupported,
    /// Not asked yet, or the person dismissed the question.
    Ask,
    Granted,
    Denied,
}

fn supported() -> bool {
    js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false)
}

/// What the browser allows now.
pub fn permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    match Notification::permission() {
        NotificationPermission::Granted => Permission::Granted,
        NotificationPermission::Denied => Permission::Denied,
        _ => Permission::Ask,
    }
}

/// Whether the person asked for notifications in this browser.
pub fn opted_in() -> bool {
    storage::get_string(OPT_IN_KEY).as_deref() == Some("on")
}

fn set_opted_in(on: bool) {
    if on {
        storage::set_string(OPT_IN_KEY, "on");
    } else {
        storage::remove(OPT_IN_KEY);
    }
}

/// Asks the browser for permission (call it from a click: browsers ignore the question
/// otherwise) and says what it answered.
pub async fn request_permission() -> Permission {
    if !supported() {
        return Permission::Unsupported;
    }
    if let Ok(promise) = Notification::request_permission() {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    permission()
}

thread_local! {
    static FIRED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Shows a notification `title` / `body` once per `key` in this page, if the person opted in
/// and the browser allows it; says whether it was shown. A click on it brings the page forward.
pub fn notify_once(key: &str, title: &str, body: &str) -> bool {
    if !opted_in() || permission() != Permission::Granted {
        return false;
    }
    if !FIRED.with(|f| f.borrow_mut().insert(key.to_string())) {
        return false;
    }
    let options = NotificationOptions::new();
    options.set_body(body);
    // The same tag replaces rather than stacks, should another tab notify for the same key.
    options.set_tag(key);
    match Notification::new_with_options(title, &options) {
        Ok(n) => {
            let focus = wasm_bindgen::closure::Closure::once_into_js(|| {
                let _ = window().focus();
            });
            n.set_onclick(Some(focus.unchecked_ref()));
            true
        }
        Err(_) => false,
    }
}

/// "Notify me when it ends": asks for permission on click and keeps the choice; once on, says
/// so and offers to turn it off. `what` names what ends, e.g. `the run`, `the batch`.
#[component]
pub fn NotifyButton(#[prop(default = "it")] what: &'static str) -> impl IntoView {
    let state = RwSignal::new((permission(), opted_in()));
    let asking = RwSignal::new(false);
    let turn_on = move |_| {
        asking.set(true);
        leptos::task::spawn_local(async move {
            let p = request_permission().await;
            set_opted_in(p == Permission::Granted);
            state.set((p, opted_in()));
            asking.set(false);
        });
    };
    let turn_off = move |_| {
        set_opted_in(false);
        state.set((permission(), false));
    };
    view! {
        <span class="notify" data-testid="notify">
            {move || match state.get() {
                (Permission::Unsupported, _) => view! {
                    <span class="muted small">"This browser cannot show notifications; the tab title shows how it goes."</span>
                }.into_any(),
                (Permission::Denied, _) => view! {
                    <span class="muted small">"Notifications are blocked for this site in your browser's settings; the tab title shows how it goes."</span>
                }.into_any(),
                (Permission::Granted, true) => view! {
                    <span class="small">{format!("You will get a notification when {what} ends. ")}</span>
                    <button type="button" class="link" on:click=turn_off>"Turn off"</button>
                }.into_any(),
                _ => view! {
                    <button type="button" on:click=turn_on disabled=move || asking.get()>
                        {format!("Notify me when {what} ends")}
                    </button>
                }.into_any(),
            }}
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_join_parts_and_end_with_the_app() {
        assert_eq!(title_of(&["● running"]), "● running — Space Factory");
        assert_eq!(
            title_of(&["✓ Generation works", "org/model", ""]),
            "✓ Generation works — org/model — Space Factory"
        );
        assert_eq!(title_of(&[]), "Space Factory");
    }

    #[test]
    fn every_status_has_a_mark_and_text() {
        assert_eq!(status_text(RunStatus::Running), "● running");
        assert_eq!(
            status_text(RunStatus::FullInferenceSuccess),
            "✓ Generation works"
        );
        for s in RunStatus::OUTCOMES {
            let t = status_text(s);
            assert!(
                t.starts_with(status_mark(s)) && t.contains(s.label()),
                "{t}"
            );
        }
        assert_eq!(status_mark(RunStatus::Failed), "✗");
    }
}
