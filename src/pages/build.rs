//! The Build form, `?view=build`. The form's state, checks and launch are
//! [`crate::form_state::FormState`]; this file only lays out the fields.

use leptos::prelude::*;
use sf_core::form::{BuildForm, Field};
use sf_core::hardware::{FALLBACK_CHOICES, PREFERRED_CHOICES, SLEEP_CHOICES_S, duration_label};
use sf_core::rules::ImplementationMode;
use sf_core::{ModelRef, SpaceName};

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::{CostEstimate, LaunchGate, LaunchOutcome, TextField};
use crate::form_state::FormState;
use crate::hardware::HardwareSelect;
use crate::routes::Page;

/// The Build form: every field of the seed, checked as the person types.
#[component]
pub fn Build() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let state = FormState::<BuildForm>::new();
    // Both hardware selectors share one request for the Hub's list.
    crate::hardware::use_space_hardware();
    let form = state.form;
    let prices = crate::hardware::use_price_lists();
    let estimate = Signal::derive(move || {
        prices.with(|(jobs, spaces)| form.with(|f| f.estimate(jobs.as_ref(), spaces.as_ref())))
    });
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
            <TextField id="pi-model" label="Coding model" value=get(|f| f.pi_model.clone())
                on_input=set(|f, v| f.pi_model = v) error=error_of(Field::PiModel)
                hint="The model the Pi agent uses, through Hugging Face Inference Providers (owner/name, optionally :provider)." />
            <fieldset class="field">
                <legend>"Implementation mode"</legend>
                {ImplementationMode::ALL
                    .into_iter()
                    .map(|mode| {
                        view! {
                            <label class="choice">
                                <input
                                    type="radio"
                                    name="mode"
                                    value=mode.as_str()
                                    prop:checked=move || form.with(|f| f.implementation_mode == mode.as_str())
                                    on:change=move |_| form.update(|f| f.implementation_mode = mode.as_str().to_string())
                                />
                                <span>
                                    <strong>{mode.label()}</strong> " " <code>{mode.as_str()}</code>
                                    <span class="hint">{mode.explanation()}</span>
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
                {move || error_of(Field::ImplementationMode).get().map(|e| view! { <p class="error">{e}</p> })}
            </fieldset>
            <div class="grid-2">
                <div class="field">
                    <label for="preferred-hw">"Preferred Space hardware"</label>
                    <HardwareSelect id="preferred-hw" choices=PREFERRED_CHOICES
                        value=get(|f| f.preferred_hardware.clone()) on_change=set(|f, v| f.preferred_hardware = v) />
                    <p class="hint">"ZeroGPU is tried first. It needs a PRO account; if your quota is used up, set the hardware by hand after the build."</p>
                    {move || error_of(Field::PreferredHardware).get().map(|e| view! { <p class="error">{e}</p> })}
                </div>
                <div class="field">
                    <label class="choice">
                        <input type="checkbox" id="allow-fallback"
                            prop:checked=move || form.with(|f| f.allow_fixed_gpu_fallback)
                            on:change=move |ev| form.update(|f| f.allow_fixed_gpu_fallback = event_target_checked(&ev)) />
                        <span>"Allow a fixed-GPU fallback"</span>
                    </label>
                    <HardwareSelect id="fallback-hw" choices=FALLBACK_CHOICES
                        value=get(|f| f.fallback_hardware.clone()) on_change=set(|f, v| f.fallback_hardware = v)
                        disabled=Signal::derive(move || !form.with(|f| f.allow_fixed_gpu_fallback)) />
                    <p class="hint">"Asked for when ZeroGPU is refused. Fixed GPUs are billed by the hour while the Space runs."</p>
                    {move || error_of(Field::FallbackHardware).get().map(|e| view! { <p class="error">{e}</p> })}
                </div>
            </div>
            <div class="field">
                <label for="sleep-time">"Sleep after … of inactivity"</label>
                <select id="sleep-time"
                    prop:value=move || form.with(|f| f.sleep_time_seconds.clone())
                    on:change=move |ev| form.update(|f| f.sleep_time_seconds = event_target_value(&ev))>
                    {SLEEP_CHOICES_S
                        .iter()
                        .map(|s| {
                            let value = s.to_string();
                            let selected = value.clone();
                            view! {
                                <option value=value selected=move || form.with(|f| f.sleep_time_seconds == selected)>
                                    {duration_label(u64::from(*s))}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p class="hint">"Paid hardware bills while the Space is up: it sleeps after this long without visitors, and a failed run pauses it. ZeroGPU and CPU basic take no sleep time."</p>
                {move || error_of(Field::SleepTime).get().map(|e| view! { <p class="error">{e}</p> })}
            </div>
            <TextField id="build-bucket" label="Run bucket name" value=Signal::derive(move || run_bucket.name.get())
                on_input=Callback::new(move |v| run_bucket.name.set(v)) error=error_of(Field::BucketName)
                hint="Shared with Run storage on the start page; create it there once." />
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
