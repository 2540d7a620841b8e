//! The start page: sign in, then check or create the run bucket.

use leptos::prelude::*;

use crate::components::{BucketPanel, SignInPanel};
use crate::routes::Page;

/// The start page: what Space Factory does and how a run goes.
#[component]
pub fn Home() -> impl IntoView {
    view! {
        <h1>"Space Factory"</h1>
        <p class="lede">
            "Paste a Hugging Face model id and Space Factory launches a Hugging Face Job in your "
            "account: a coding agent reads the model card and writes a Gradio demo, the job creates "
            "it as a "<strong>"private"</strong>" Space, asks for ZeroGPU (or a fixed GPU), checks "
            "that the live app really answers, and records every step — state, events, report, "
            "generated files and outputs — in a private Storage Bucket of yours. Nothing is "
            "published for you, and a run only counts as a success when the deployed Space "
            "returned a real result."
        </p>
        <SignInPanel />
        <BucketPanel />
        <div class="grid-2">
            <section class="card">
                <h2>"1. Build from a model card"</h2>
                <p>
                    "Creates a private Space, tries ZeroGPU first, then a fixed GPU if you allow it. "
                    "If no hardware can be assigned automatically, the run ends as "
                    <code>"manual_hardware_required"</code>"."
                </p>
                <a class="button primary" href=Page::Build.href()>"Build a Space"</a>
            </section>
            <section class="card">
                <h2>"2. Validate an existing Space"</h2>
                <p>
                    "After you set the hardware by hand in the Space settings: waits for the Space, "
                    "calls its generation endpoint, checks the output type, measures latency and "
                    "stores the output in your bucket."
                </p>
                <a class="button" href=Page::Validate.href()>"Validate a Space"</a>
            </section>
        </div>
        <p class="muted">
            "Every run can be followed live at its own address, which you can bookmark or share. "
            <a href=Page::About.href()>"Read what the statuses mean and what cannot be guaranteed."</a>
        </p>
    }
}
