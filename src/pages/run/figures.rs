//! The live check's figures: endpoint, expected and observed output, call times, the
//! recommended ZeroGPU duration; and what the run cost.

use leptos::prelude::*;
use sf_core::SpaceRef;
use sf_core::estimate::usd;
use sf_core::record::{CostRecord, ValidationRecord};

use crate::components::settings_href;

#[component]
pub fn ValidationFigures(validation: Option<ValidationRecord>) -> impl IntoView {
    let seconds = |s: Option<f64>| {
        s.map_or_else(
            || "—".to_string(),
            |s| format!("{} s", sf_core::decimal::fixed(s, 1)),
        )
    };
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

/// What the run cost and what its Space costs from now on (`state.json` `cost`); a Space left
/// on paid hardware gets the link to its settings, where it can be paused.
#[component]
pub fn CostFigures(cost: Option<CostRecord>, space: Option<SpaceRef>) -> impl IntoView {
    let money = |x: Option<f64>| x.map_or_else(|| "—".to_string(), usd);
    let minutes = |s: u64| format!("{}:{:02} min", s / 60, s % 60);
    cost.map(|c| {
        let space_row = c.space_flavor.clone().map(|f| {
            view! {
                <dt>"Space"</dt>
                <dd><code>{f}</code> " at " {money(c.space_usd_per_hour)} "/h: " {minutes(c.space_paid_seconds)} " on paid hardware → " {money(c.space_usd)}</dd>
            }
        });
        let by_hand = c
            .by_hand
            .iter()
            .map(|t| view! { <dt>"Set by hand"</dt><dd>{t.clone()}</dd> })
            .collect_view();
        let settings = space.filter(|_| c.bills_on()).map(|s| {
            view! { " · " <a href=settings_href(&s) target="_blank" rel="noopener">"pause it or change its sleep time in its settings ↗"</a> }
        });
        let standing_class = if c.bills_on() { "warn-text" } else { "" };
        view! {
            <section class="card" id="cost" data-testid="cost">
                <h2>"Cost"</h2>
                <dl class="facts">
                    <dt>"Total"</dt><dd class="cost"><strong>{money(c.total_usd())}</strong></dd>
                    <dt>"Job"</dt>
                    <dd><code>{c.job_flavor.clone()}</code> " at " {money(c.job_usd_per_hour)} "/h: " {minutes(c.job_seconds)} " → " {money(c.job_usd)}</dd>
                    {space_row}
                    <dt>"From now on"</dt><dd><span class=standing_class data-testid="standing">{c.standing.clone()}</span>{settings}</dd>
                    {by_hand}
                    <dt>"Prices"</dt><dd>{if c.prices_from == "hub" { "the Hub's hardware lists" } else { "built-in published prices" }}</dd>
                </dl>
            </section>
        }
    })
}
