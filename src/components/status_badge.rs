//! A run status as a coloured badge (its wire name, e.g. `full_inference_success`).

use leptos::prelude::*;
use sf_core::RunStatus;

/// The colour family of a status: success, needs attention, informative, neutral, bad.
pub fn tone(status: RunStatus) -> &'static str {
    match status {
        RunStatus::FullInferenceSuccess => "ok",
        RunStatus::ManualHardwareRequired => "warn",
        RunStatus::FullInferenceCandidateHealthPassed | RunStatus::Running => "info",
        RunStatus::HealthOnly => "neutral",
        RunStatus::TechnicalBlocker | RunStatus::Failed => "bad",
    }
}

/// A run status as a coloured badge with its wire name; the label and explanation are its title.
#[component]
pub fn StatusBadge(status: RunStatus) -> impl IntoView {
    view! {
        <span
            class=format!("badge {}", tone(status))
            title=format!("{}: {}", status.label(), status.explanation())
        >
            {status.as_str()}
        </span>
    }
}
