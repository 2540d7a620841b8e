//! What a run can cost, before it launches: [`sf_core::estimate::Estimate`] as labelled rows,
//! headed as an estimate. Build, Validate and the batch confirmation show it.

use leptos::prelude::*;
use sf_core::estimate::Estimate;

/// The estimate of the run as set up now; nothing while the form cannot say (a hardware name
/// or a timeout that does not read).
#[component]
pub fn CostEstimate(#[prop(into)] estimate: Signal<Option<Estimate>>) -> impl IntoView {
    move || {
        estimate.get().map(|e| {
            let rows = e
                .rows()
                .into_iter()
                .map(|(label, text)| view! { <dt>{label}</dt><dd>{text}</dd> })
                .collect_view();
            view! {
                <section class="estimate" data-testid="cost-estimate" aria-label="Estimated cost">
                    <h3>"Estimated cost"</h3>
                    <dl class="facts">{rows}</dl>
                    <p class="hint">"An estimate, not a bill: the Hub bills by the minute, most runs end well before their time limit, and a failed run pauses its Space."</p>
                </section>
            }
        })
    }
}
