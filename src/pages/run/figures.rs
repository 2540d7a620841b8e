//! The live check's figures: endpoint, expected and observed output, call times, the
//! recommended ZeroGPU duration.

use leptos::prelude::*;
use sf_core::record::ValidationRecord;

#[component]
pub fn ValidationFigures(validation: Option<ValidationRecord>) -> impl IntoView {
    let seconds = |s: Option<f64>| s.map_or_else(|| "—".to_string(), |s| format!("{s:.1} s"));
    validation.map(|v| {
        view! {
            <section class="card">
                <h2>"Validation figures"</h2>
                <dl class="facts">
                    <dt>"Endpoint"</dt><dd><code>{v.api_name}</code></dd>
                    <dt>"Expected output"</dt><dd>{v.expected_output_type.as_str()}</dd>
                    <dt>"Output"</dt><dd>{v.output_type.map_or("none", |o| o.as_str())}</dd>
                    <dt>"First call"</dt><dd>{seconds(v.first_call_seconds)}</dd>
                    <dt>"Warm call"</dt><dd>{seconds(v.warm_call_seconds)}</dd>
                    <dt>"Recommended ZeroGPU duration"</dt><dd>{v.recommended_zerogpu_duration_seconds.map_or_else(|| "—".to_string(), |s| format!("{s} s"))}</dd>
                </dl>
            </section>
        }
    })
}
