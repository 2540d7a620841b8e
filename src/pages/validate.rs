use std::collections::HashMap;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use sf_core::RunKind;
use sf_core::form::{Field, FieldError, LaunchContext, ValidateForm};
use sf_core::record::OutputType;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::{LaunchGate, LaunchOutcome, TextField};
use crate::drafts;
use crate::launch::{self, LaunchError};

/// The Validate form: re-checks an existing Space (typically after its hardware was set by hand).
#[component]
pub fn Validate() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let form = drafts::persisted(drafts::VALIDATE_KEY, || ValidateForm {
        run_id: launch::new_run_id(RunKind::Validate),
        ..ValidateForm::default()
    });
    Effect::new(move |_| {
        let name = run_bucket.name.get();
        if form.with_untracked(|f| f.bucket_name != name) {
            form.update(|f| f.bucket_name = name);
        }
    });
    let errors = Memo::new(move |_| {
        let user = auth.username().unwrap_or_default();
        let ctx = LaunchContext {
            namespace: &user,
            unix_seconds: 0,
            random: 0,
        };
        form.with(|f| match f.validate(&ctx) {
            Ok(_) => HashMap::new(),
            Err(errs) => errs
                .into_iter()
                .map(|FieldError { field, message }| (field, message))
                .collect::<HashMap<_, _>>(),
        })
    });
    let error_of =
        move |field: Field| Signal::derive(move || errors.with(|e| e.get(&field).cloned()));
    let launching = RwSignal::new(false);
    let outcome = RwSignal::new(None::<LaunchError>);
    let navigate = use_navigate();

    let on_launch = move |_| {
        let (Some(user), Some(token)) = (auth.username(), auth.token()) else {
            return;
        };
        let (now, random) = launch::clock();
        let ctx = LaunchContext {
            namespace: &user,
            unix_seconds: now,
            random,
        };
        let Ok(request) = form.with_untracked(|f| f.validate(&ctx)) else {
            return;
        };
        let config = match auth.config.with_value(|c| c.job_spec_config()) {
            Ok(c) => c,
            Err(e) => return outcome.set(Some(LaunchError::Failed(e))),
        };
        let spec = sf_core::jobspec::validate_job(&request, &token, &config);
        launching.set(true);
        outcome.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result =
                launch::launch(auth, &user, &request.run_id, RunKind::Validate, spec).await;
            launching.set(false);
            match result {
                Ok(record) => {
                    form.update(|f| f.run_id = launch::new_run_id(RunKind::Validate));
                    navigate(&format!("?run={}", record.run_id), Default::default());
                }
                Err(e) => outcome.set(Some(e)),
            }
        });
    };

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
                <button type="button" on:click=move |_| form.update(|f| f.run_id = launch::new_run_id(RunKind::Validate))>
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
            <LaunchGate errors=Signal::derive(move || errors.with(|e| e.len())) account_error=error_of(Field::Account) />
            <LaunchOutcome outcome=outcome />
            <div class="row">
                <button class="primary" type="submit" id="launch-validate"
                    disabled=move || launching.get() || !errors.with(|e| e.is_empty()) || auth.session.with(Option::is_none)
                    on:click=on_launch>
                    {move || if launching.get() { "Launching…" } else { "Validate Space + smoke-test generation" }}
                </button>
            </div>
        </form>
    }
}
