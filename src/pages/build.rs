//! The Build form, `?view=build`. The form's state, checks and launch are
//! [`crate::form_state::FormState`]; this file only lays out the fields.

use leptos::prelude::*;
use sf_core::form::{BuildForm, Field};
use sf_core::{ModelRef, SpaceName};

use crate::auth::use_auth;
use crate::components::{BuildSettings, CostEstimate, LaunchGate, LaunchOutcome, TextField};
use crate::form_state::FormState;
use crate::routes::Page;

/// The Build form: every field of the seed, checked as the person types.
#[component]
pub fn Build() -> impl IntoView {
    let auth = use_auth();
    let state = FormState::<BuildForm>::new();
    let form = state.form;
    let prices = crate::hardware::use_price_lists();
    let estimate = Signal::derive(move || {
        prices.with(|(jobs, spaces)| form.with(|f| f.estimate(jobs.as_ref(), spaces.as_ref())))
    });
    // A launch opens its run page: its code, and the launch's own, come once this form's
    // prices are in.
    let lists = (
        crate::hardware::use_job_hardware(),
        crate::hardware::use_space_hardware(),
    );
    for view in ["launch_build", "run"] {
        super::on_demand::prefetch_when(view, move || {
            lists.0.with(Option::is_some) && lists.1.with(Option::is_some)
        });
    }
    let error_of = move |field: Field| state.error_of(field);
    let on_launch = move |_| state.launch();

    let set = move |apply: fn(&mut BuildForm, String)| {
        Callback::new(move |v: String| form.update(|f| apply(f, v)))
    };
    let get = move |read: fn(&BuildForm) -> String| Signal::derive(move || form.with(read));
    let suggest_name = move |_| {
        if let Ok(model) = form.with_untracked(|f| ModelRef::parse(&f.model)) {
            form.update(|f| f.target_space_name = SpaceName::suggest_for(&model).to_string());
        }
    };
    let space_hint = move || {
        let user = auth.username().unwrap_or_else(|| "<your username>".into());
        format!(
            "Use a fresh name: the Space is created as {user}/<name>, private. An existing Space is never touched."
        )
    };

    view! {
        <h1>"Build a Space from a model card"</h1>
        <p class="lede">
            "The job creates a " <strong>"private"</strong> " Space, asks the coding agent for the best Gradio app it "
            "can write for the model, tries ZeroGPU first and then the fixed GPU if you allow it. If no hardware "
            "can be assigned automatically, set it in the Space settings and run " <a href=Page::Validate.href()>"Validate"</a> "."
        </p>
        <form class="card" on:submit=|ev| ev.prevent_default()>
            <TextField id="run-id" label="Run id" value=get(|f| f.run_id.clone()) on_input=set(|f, v| f.run_id = v)
                error=error_of(Field::RunId)
                hint="Names the run's folder in your bucket and its job. Letters, digits, - and _.">
                <button type="button" on:click=move |_| state.new_run_id()>
                    "New run id"
                </button>
            </TextField>
            <TextField id="model" label="Model card URL or model id" value=get(|f| f.model.clone())
                on_input=set(|f, v| f.model = v) error=error_of(Field::Model)
                hint="Examples: owner/model, https://huggingface.co/owner/model" />
            <TextField id="target-space" label="Target Space name" value=get(|f| f.target_space_name.clone())
                on_input=set(|f, v| f.target_space_name = v) error=error_of(Field::TargetSpaceName)
                placeholder="e.g. space-factory-z-image-v1" hint=Signal::derive(space_hint).get_untracked()>
                <button type="button" on:click=suggest_name>"Suggest a name"</button>
            </TextField>
            <BuildSettings form=form errors=state.errors />
            <CostEstimate estimate=estimate />
            <LaunchGate errors=state.error_count() account_error=error_of(Field::Account)
                checking=state.checking() sign_in_short=state.sign_in_too_short() />
            <LaunchOutcome outcome=state.outcome() />
            <div class="row">
                <button class="primary" type="submit" id="launch-build"
                    disabled=move || !state.can_launch()
                    on:click=on_launch>
                    {move || if state.launching() { "Launching…" } else { "Build private Space" }}
                </button>
            </div>
        </form>
    }
}
