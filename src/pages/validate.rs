//! The Validate form, `?view=validate`. The form's state, checks and launch are
//! [`crate::form_state::FormState`]; this file only lays out the fields.

use leptos::prelude::*;
use sf_core::form::{Field, ValidateForm};
use sf_core::record::OutputType;
use sf_hub::types::price_list;

use crate::bucket::use_run_bucket;
use crate::components::{CostEstimate, LaunchGate, LaunchOutcome, TextField};
use crate::form_state::FormState;

/// The Validate form: re-checks an existing Space (typically after its hardware was set by hand).
#[component]
pub fn Validate() -> impl IntoView {
    let run_bucket = use_run_bucket();
    let state = FormState::<ValidateForm>::new();
    let form = state.form;
    // A validation creates no Space: only the job list's price matters.
    let jobs = crate::hardware::use_job_hardware();
    // A validation opens its run page: its code comes once the job price list is in.
    super::on_demand::prefetch_when("run", move || jobs.with(Option::is_some));
    let estimate = Signal::derive(move || {
        let prices = jobs.with(|l| l.as_ref().and_then(|l| l.as_deref().map(price_list)));
        form.with(|f| f.estimate(prices.as_ref()))
    });
    let error_of = move |field: Field| state.error_of(field);
    let on_launch = move |_| state.launch();

    let set = move |apply: fn(&mut ValidateForm, String)| {
        Callback::new(move |v: String| form.update(|f| apply(f, v)))
    };
    let get = move |read: fn(&ValidateForm) -> String| Signal::derive(move || form.with(read));

    view! {
        <h1>"Validate an existing Space"</h1>
        <p class="lede">
            "Use this after a build, especially when you had to set the Space's hardware by hand. The job does not "
            "run the coding agent again: it waits for the Space to run, calls its generation endpoint, checks the "
            "output type, stores the output in your bucket, measures latency and recommends a ZeroGPU duration."
        </p>
        <form class="card" on:submit=|ev| ev.prevent_default()>
            <TextField id="run-id" label="Run id" value=get(|f| f.run_id.clone()) on_input=set(|f, v| f.run_id = v)
                error=error_of(Field::RunId) hint="Names the run's folder in your bucket and its job.">
                <button type="button" on:click=move |_| state.new_run_id()>
                    "New run id"
                </button>
            </TextField>
            <TextField id="target-space" label="Existing Space" value=get(|f| f.target_space.clone())
                on_input=set(|f, v| f.target_space = v) error=error_of(Field::TargetSpace)
                placeholder="owner/space-name or https://huggingface.co/spaces/owner/space-name" />
            <div class="grid-2">
                <TextField id="api-name" label="Generation API name" value=get(|f| f.api_name.clone())
                    on_input=set(|f, v| f.api_name = v) error=error_of(Field::ApiName)
                    hint="The Gradio endpoint to call, e.g. /generate." />
                <div class="field">
                    <label for="expected-output">"Expected output type"</label>
                    <select id="expected-output" prop:value=move || form.with(|f| f.expected_output.clone())
                        on:change=move |ev| form.update(|f| f.expected_output = event_target_value(&ev))>
                        {OutputType::ALL.into_iter().map(|t| view! {
                            <option value=t.as_str() selected=move || form.with(|f| f.expected_output == t.as_str())>{t.as_str()}</option>
                        }).collect_view()}
                    </select>
                    {move || error_of(Field::ExpectedOutput).get().map(|e| view! { <p class="error">{e}</p> })}
                </div>
            </div>
            <TextField id="test-args" label="Test args (JSON list)" multiline=true value=get(|f| f.test_args_json.clone())
                on_input=set(|f, v| f.test_args_json = v) error=error_of(Field::TestArgs)
                hint="Positional inputs of the endpoint, e.g. [\"a prompt\"]." />
            <TextField id="test-kwargs" label="Test kwargs (JSON object)" multiline=true value=get(|f| f.test_kwargs_json.clone())
                on_input=set(|f, v| f.test_kwargs_json = v) error=error_of(Field::TestKwargs)
                hint="Named inputs, e.g. {\"seed\": 42}; {} for none." />
            <TextField id="live-timeout" label="Live wait timeout (seconds)" value=get(|f| f.live_timeout_seconds.clone())
                on_input=set(|f, v| f.live_timeout_seconds = v) error=error_of(Field::LiveTimeout)
                hint="How long to wait for the Space to be running (60 to 21600)." />
            <TextField id="validate-bucket" label="Run bucket name" value=Signal::derive(move || run_bucket.name.get())
                on_input=Callback::new(move |v| run_bucket.name.set(v)) error=error_of(Field::BucketName)
                hint="Shared with Run storage on the start page." />
            <CostEstimate estimate=estimate />
            <LaunchGate errors=state.error_count() account_error=error_of(Field::Account)
                checking=state.checking() sign_in_short=state.sign_in_too_short() />
            <LaunchOutcome outcome=state.outcome() />
            <div class="row">
                <button class="primary" type="submit" id="launch-validate"
                    disabled=move || !state.can_launch()
                    on:click=on_launch>
                    {move || if state.launching() { "Launching…" } else { "Validate Space + smoke-test generation" }}
                </button>
            </div>
        </form>
    }
}
