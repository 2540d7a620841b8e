//! Why a launch did not happen, shown under the form.

use leptos::prelude::*;

use crate::launch::LaunchError;
use crate::routes::run_href;

/// Why a launch did not happen: the run already has a job (with a link to it), or the Hub's
/// answer as a sentence. Input is never lost.
#[component]
pub fn LaunchOutcome(#[prop(into)] outcome: Signal<Option<LaunchError>>) -> impl IntoView {
    move || {
        outcome.get().map(|o| match o {
            LaunchError::AlreadyLaunched(id) => view! {
                <div class="notice warn" role="alert" data-testid="launch-outcome">
                    <p>
                        "The run " <code>{id.clone()}</code> " already has a job, so it was not launched again. "
                        <a href=run_href(&id)>"Open that run"</a> ", or choose a new run id."
                    </p>
                </div>
            }
            .into_any(),
            LaunchError::Failed(msg) => view! {
                <div class="notice bad" role="alert" data-testid="launch-outcome">
                    <p>{msg}</p>
                    <p class="small">"Nothing was launched; what you typed is kept."</p>
                </div>
            }
            .into_any(),
        })
    }
}
