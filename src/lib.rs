//! Space Factory, the web app: a static Leptos app that signs a person in with Hugging Face,
//! launches Hugging Face Jobs that build and validate Gradio Spaces, and shows each run live.
//!
//! Layers: `sf_core` holds the rules (ids, references, run record, job specs, redaction),
//! `sf_hub` talks to the Hub; this crate only renders and wires events.

mod app;
mod auth;
mod batch;
mod bucket;
mod components;
mod config;
mod drafts;
mod form_state;
mod hardware;
mod hub;
mod launch;
mod markdown;
mod notify;
mod pages;
mod routes;
mod run_data;
mod storage;
mod theme;

pub use app::App;

/// What a person sees when the app stops on a panic (the panic hook of `main.rs` calls it): a
/// sentence at the top of the page saying what happened and to reload, instead of a page that
/// silently no longer answers. The usual cause is a view's or action's code (a wasm chunk, see
/// `pages::on_demand`) that could not be downloaded: the connection dropped, or a new release
/// replaced the files of the one this page was loaded from. What was typed into the forms is
/// kept (`drafts`), so reloading loses nothing.
pub fn show_stopped(panic: &str) {
    let reason = stopped_reason(panic);
    let Some(body) = leptos::prelude::document()
        .query_selector("body")
        .ok()
        .flatten()
    else {
        return;
    };
    if body.query_selector(".stopped").ok().flatten().is_some() {
        return;
    }
    let _ = body.insert_adjacent_html(
        "afterbegin",
        &format!(
            "<div class=\"notice bad stopped\" role=\"alert\"><p><strong>Space Factory stopped.</strong> {reason} \
             <a href=\"\">Reload the page</a> to go on: what you typed in the forms is kept.</p></div>"
        ),
    );
}

/// The sentence for a panic's message (static text: nothing of the message reaches the page).
fn stopped_reason(panic: &str) -> &'static str {
    // wasm_split's loader panics with this when a chunk did not load.
    if panic.contains("load callback should succeed") {
        "Part of the app could not be downloaded: the connection may have dropped, or a new \
         version of Space Factory was published since this page was opened."
    } else {
        "An unexpected error stopped it (your browser's console has the details)."
    }
}

/// Replaces the "Loading…" placeholder of index.html with the app.
pub fn mount() {
    if let Some(boot) = leptos::prelude::document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}

#[cfg(test)]
mod tests {
    use super::stopped_reason;

    #[test]
    fn a_chunk_that_did_not_load_is_named_as_such() {
        assert!(
            stopped_reason("panicked at src/x.rs:1:1:\nload callback should succeed: Failed")
                .starts_with("Part of the app could not be downloaded")
        );
        assert!(stopped_reason("index out of bounds").starts_with("An unexpected error"));
    }
}
