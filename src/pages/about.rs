//! About & limits, `?view=about`: what each status means and what cannot be guaranteed.

use leptos::prelude::*;
use sf_core::RunStatus;

use crate::components::StatusBadge;

/// About & limits: what each status means, the hardware policy, what cannot be guaranteed.
#[component]
pub fn About() -> impl IntoView {
    view! {
        <h1>"About & limits"</h1>
        <p class="lede">
            "Space Factory attempts to turn a model card into a working demo. It tells you honestly how "
            "far each run got; it does not promise that every model can become a Space."
        </p>

        <section class="card">
            <h2>"What a run's status means"</h2>
            <ul class="status-list">
                {RunStatus::OUTCOMES
                    .into_iter()
                    .map(|status| {
                        view! {
                            <li>
                                <StatusBadge status=status />
                                <span>
                                    <strong>{status.label()}". "</strong>
                                    {status.explanation()}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <p class="muted small">
                "While a job is still working, the run shows its current phase instead. A placeholder "
                "app — one that returns a constant, noise or its input — is never counted as a success."
            </p>
        </section>

        <section class="card">
            <h2>"Hardware policy"</h2>
            <p>
                "When the model needs a GPU, the generated app is written for ZeroGPU and the job asks "
                "for ZeroGPU first. If that is refused and you allowed it, the job asks for the fixed "
                "GPU you chose. Either request can be refused by the Hub for quota, billing (ZeroGPU "
                "needs a PRO account) or permission reasons; then the Space stays on CPU and the run "
                "ends as " <code>"manual_hardware_required"</code> ". Setting the hardware yourself in "
                "the Space settings and running " <em>"Validate existing Space"</em> " is a normal, "
                "supported path."
            </p>
        </section>

        <section class="card">
            <h2>"What Space Factory cannot guarantee"</h2>
            <ul>
                <li>"That every model card becomes a working Space."</li>
                <li>"Access to gated or licensed models you have not been granted."</li>
                <li>"ZeroGPU or GPU quota, billing, or models that need several GPUs."</li>
                <li>"Builds of custom CUDA or FlashAttention stacks, or Docker-only apps."</li>
                <li>"Good results from model cards that do not explain how to run the model."</li>
            </ul>
            <h3>"What it does guarantee"</h3>
            <ul>
                <li>"Generated Spaces are private; nothing is published for you."</li>
                <li>"An existing Space is never overwritten."</li>
                <li>
                    "Your access token goes only to Hugging Face and into your job's secrets — never "
                    "into a URL, a log, the bucket or an error message."
                </li>
                <li>
                    "Every run's state, events, report, generated files and outputs are written to your "
                    "own private bucket."
                </li>
            </ul>
        </section>
    }
}
