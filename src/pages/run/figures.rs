//! The live check's figures: endpoint, expected and observed output, call times, the
//! recommended ZeroGPU duration; and what the run cost.

use leptos::prelude::*;
use sf_core::record::{CostRecord, ValidationRecord};

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

/// What the run cost and what its Space costs from now on (`state.json` `cost`).
#[component]
pub fn CostFigures(cost: Option<CostRecord>) -> impl IntoView {
    let usd = |x: Option<f64>| {
        x.map_or_else(
            || "—".to_string(),
            |x| {
                if x >= 1.0 {
                    format!("${x:.2}")
                } else {
                    format!("${x:.4}")
                }
            },
        )
    };
    let minutes = |s: u64| format!("{}:{:02} min", s / 60, s % 60);
    cost.map(|c| {
        let space = c.space_flavor.clone().map(|f| {
            view! {
                <dt>"Space"</dt>
                <dd><code>{f}</code> " at " {usd(c.space_usd_per_hour)} "/h: " {minutes(c.space_paid_seconds)} " on paid hardware → " {usd(c.space_usd)}</dd>
            }
        });
        let by_hand = c
            .by_hand
            .iter()
            .map(|t| view! { <dt>"Set by hand"</dt><dd>{t.clone()}</dd> })
            .collect_view();
        view! {
            <section class="card" id="cost">
                <h2>"Cost"</h2>
                <dl class="facts">
                    <dt>"Job"</dt>
                    <dd><code>{c.job_flavor.clone()}</code> " at " {usd(c.job_usd_per_hour)} "/h: " {minutes(c.job_seconds)} " → " {usd(c.job_usd)}</dd>
                    {space}
                    <dt>"From now on"</dt><dd>{c.standing.clone()}</dd>
                    {by_hand}
                    <dt>"Prices"</dt><dd>{if c.prices_from == "hub" { "the Hub's hardware lists" } else { "built-in published prices" }}</dd>
                </dl>
            </section>
        }
    })
}
