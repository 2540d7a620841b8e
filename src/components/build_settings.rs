//! The Build settings every build shares: coding model, implementation mode, preferred and
//! fallback hardware, sleep time and run bucket. Written once for the Build form and the Batch
//! view (whose rows all take the same settings).

use std::collections::HashMap;

use leptos::prelude::*;
use sf_core::form::{BuildForm, Field};
use sf_core::hardware::{FALLBACK_CHOICES, PREFERRED_CHOICES, SLEEP_CHOICES_S, duration_label};
use sf_core::rules::ImplementationMode;

use crate::bucket::use_run_bucket;
use crate::components::TextField;
use crate::hardware::HardwareSelect;

/// The shared settings of a build, with each field's error from `errors`.
#[component]
pub fn BuildSettings(
    form: RwSignal<BuildForm>,
    #[prop(into)] errors: Signal<HashMap<Field, String>>,
) -> impl IntoView {
    let run_bucket = use_run_bucket();
    let error_of =
        move |field: Field| Signal::derive(move || errors.with(|e| e.get(&field).cloned()));
    let set = move |apply: fn(&mut BuildForm, String)| {
        Callback::new(move |v: String| form.update(|f| apply(f, v)))
    };
    let get = move |read: fn(&BuildForm) -> String| Signal::derive(move || form.with(read));
    view! {
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
    }
}
