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

/// Replaces the "Loading…" placeholder of index.html with the app.
pub fn mount() {
    if let Some(boot) = leptos::prelude::document().get_element_by_id("boot") {
        boot.remove();
    }
    leptos::mount::mount_to_body(App);
}
