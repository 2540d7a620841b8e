use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use sf_core::form::{BuildForm, BuildRequest, ValidateForm, ValidateRequest};
use sf_core::record::{self, Level, Phase, StateRead, ValidationRecord};
use sf_core::smoke_test;
use sf_core::{Links, RunId, RunKind, RunStatus, SpaceRef};

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::{Artifacts, LogTail, StatusBadge};
use crate::drafts;
use crate::launch;
use crate::markdown;
use crate::run_data::{self, RunSnapshot};

/// How often an unfinished run is refreshed.
const REFRESH: Duration = Duration::from_secs(3);

/// The run view, `?run=<run id>`: a bookmarkable page that follows a run live until it ends.
#[component]
pub fn Run(run: String) -> impl IntoView {
    let run_id = match RunId::parse(&run) {
        Ok(id) => id,
        Err(e) => {
            return view! {
                <h1>"Run"</h1>
                <div class="notice bad" role="alert"><p>{format!("This address does not name a run: {e}")}</p></div>
                <p><a href="?view=runs">"See all your runs"</a></p>
            }
            .into_any();
        }
    };
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let snapshot = RwSignal::new(None::<Result<RunSnapshot, String>>);
    let refreshing = RwSignal::new(false);
    let tick = RwSignal::new(0u32);

    let load_id = run_id.clone();
    Effect::new(move |_| {
        tick.track();
        let signed_in = auth.session.with(Option::is_some);
        let bucket = run_bucket.bucket(&auth);
        let run_id = load_id.clone();
        let Some(bucket) = bucket.filter(|_| signed_in) else {
            snapshot.set(None);
            return;
        };
        refreshing.set(true);
        leptos::task::spawn_local(async move {
            let loaded = Some(run_data::load(auth, bucket, run_id).await);
            // Most refreshes find nothing new: leave the page alone then (open details, text
            // selection and scroll positions stay as they are).
            if snapshot.with_untracked(|current| current != &loaded) {
                snapshot.set(loaded);
            }
            refreshing.set(false);
        });
    });
    let is_final = Memo::new(move |_| snapshot.with(|s| matches!(s, Some(Ok(s)) if s.is_final())));
    // Follows the run by itself while it is not finished; stops when it is.
    let handle = set_interval_with_handle(
        move || {
            if !is_final.get_untracked()
                && !refreshing.get_untracked()
                && auth.session.with_untracked(Option::is_some)
            {
                tick.update(|t| *t += 1);
            }
        },
        REFRESH,
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });

    // Logs and artifacts live outside the part redrawn on every refresh, keyed on what they
    // show, so the log stream and the downloads are not restarted every few seconds.
    let job_key = Memo::new(move |_| {
        snapshot.with(|s| match s {
            Some(Ok(s)) => s.job.as_ref().map(|j| {
                let owner = job_owner(j, &auth);
                (owner, j.id.clone())
            }),
            _ => None,
        })
    });
    let artifact_list = Memo::new(move |_| {
        snapshot.with(|s| match s {
            Some(Ok(s)) => s.artifacts.clone(),
            _ => Vec::new(),
        })
    });
    let id_text = run_id.to_string();
    let id_for_details = id_text.clone();
    let launched = launch::record_for(&id_text);
    let kind = run_id.kind_hint();
    view! {
        <p class="muted small"><a href="?view=runs">"← All runs"</a></p>
        <h1 class="run-title">"Run " <code>{id_text.clone()}</code></h1>
        <div class="row run-actions">
            <button type="button" on:click=move |_| tick.update(|t| *t += 1) disabled=move || refreshing.get()>
                {move || if refreshing.get() { "Refreshing…" } else { "Refresh" }}
            </button>
            <span class="muted small" data-testid="follow-state">
                {move || match snapshot.get() {
                    Some(Ok(s)) if s.is_final() => "The run has ended; this page no longer refreshes by itself.",
                    Some(Ok(_)) => "Following the run: refreshes every few seconds.",
                    _ => "",
                }}
            </span>
        </div>
        {move || {
            if auth.session.with(Option::is_none) {
                let has_oauth = auth.config.with_value(|c| c.oauth_client_id.is_some());
                return view! {
                    <div class="notice info" data-testid="run-sign-in"><p>
                        "Runs are kept in your private bucket: sign in to see this one. You come back to this page afterwards."
                    </p></div>
                    {if has_oauth {
                        view! { <button class="primary" type="button" on:click=move |_| auth.sign_in_with_oauth()>"Sign in with Hugging Face"</button> }.into_any()
                    } else {
                        view! { <a class="button primary" href="?view=home#sign-in">"Sign in with an access token"</a> }.into_any()
                    }}
                }.into_any();
            }
            match snapshot.get() {
                None => view! { <p class="muted">"Loading the run…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="notice bad"><p>{e}</p></div> }.into_any(),
                Some(Ok(s)) if s.is_missing() => {
                    let bucket = run_bucket.bucket(&auth).map(|b| b.id()).unwrap_or_default();
                    view! {
                        <div class="notice warn" role="alert" data-testid="run-missing">
                            <p><strong>"No run with this id in your bucket "</strong><code>{bucket}</code>"."</p>
                            <p>"It may belong to another account or another bucket, or the id may be mistyped. "
                            "A run that was just launched appears within seconds of its job starting."</p>
                        </div>
                    }.into_any()
                }
                Some(Ok(s)) => view! { <RunDetails snapshot=s kind=kind run_id_hint=Some(id_for_details.clone()) tick=tick /> }.into_any(),
            }
        }}
        <Artifacts files=artifact_list />
        {move || job_key.get().map(|(owner, job_id)| view! { <LogTail namespace=owner job_id=job_id /> })}
        {launched.map(|l| view! { <LaunchResult record=l /> })}
    }
    .into_any()
}

/// Job id, job URL, Space, quick links and the Hub's answer, for a run launched in this browser.
#[component]
fn LaunchResult(record: launch::LaunchRecord) -> impl IntoView {
    let pretty = serde_json::to_string_pretty(&record.job).unwrap_or_default();
    view! {
        <details class="card">
            <summary>"Launch result (job " <code>{record.job_id.clone()}</code> ")"</summary>
            <pre data-testid="launch-result"><code>{pretty}</code></pre>
        </details>
    }
}

#[component]
fn RunDetails(
    snapshot: RunSnapshot,
    kind: Option<RunKind>,
    run_id_hint: Option<String>,
    tick: RwSignal<u32>,
) -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let links = Links::new(&auth.config.with_value(|c| c.hub_url.clone()));
    let state = match &snapshot.state {
        StateRead::State(s) => Some((**s).clone()),
        _ => None,
    };
    let kind = state
        .as_ref()
        .map(|s| s.kind)
        .or(kind)
        .unwrap_or(RunKind::Build);
    let state_note = match &snapshot.state {
        StateRead::State(_) => None,
        StateRead::NotWrittenYet => Some("The job has not written the run's state yet; it appears within seconds of the job starting.".to_string()),
        StateRead::Unsupported { schema } => Some(format!("This run was written by a newer Space Factory (record version {schema}); reload the page to get the newest app.")),
        StateRead::Unreadable { reason } => Some(format!("The run's state file could not be read: {reason}")),
    };
    // Before the worker writes the state, the launch made in this browser knows the Space.
    let target_space = state
        .as_ref()
        .and_then(|s| s.target_space.clone())
        .or_else(|| {
            run_id_hint
                .as_deref()
                .and_then(launch::record_for)
                .and_then(|r| r.target_space)
        })
        .and_then(|t| SpaceRef::parse(&t).ok());
    let job = snapshot.job.clone();
    let bucket = run_bucket.bucket(&auth);
    let run_id = state
        .as_ref()
        .map(|s| s.run_id.clone())
        .or_else(|| run_id_hint.as_deref().and_then(|r| RunId::parse(r).ok()));

    let header = match &state {
        Some(s) if s.status.is_final() => view! {
            <section class="card status-card" data-testid="run-status">
                <div class="row"><StatusBadge status=s.status /> <strong>{s.status.label()}</strong></div>
                <p>{s.status.explanation()}</p>
                {(!s.message.is_empty()).then(|| view! { <p class="muted">{s.message.clone()}</p> })}
            </section>
        }
        .into_any(),
        Some(s) => view! {
            <section class="card status-card" data-testid="run-status">
                <div class="row"><StatusBadge status=RunStatus::Running /> <strong>{s.phase.label()}</strong></div>
                <p class="muted">{s.message.clone()}</p>
            </section>
        }
        .into_any(),
        None => view! {
            <section class="card status-card" data-testid="run-status">
                <div class="row"><StatusBadge status=RunStatus::Running /> <strong>"Waiting for the job"</strong></div>
                <p class="muted">{state_note.clone()}</p>
            </section>
        }
        .into_any(),
    };

    let current = state.as_ref().map(|s| s.phase);
    let finished = state.as_ref().is_some_and(|s| s.status.is_final());
    let stepper = Phase::steps(kind)
        .iter()
        .enumerate()
        .map(|(i, phase)| {
            let at = current.and_then(|c| c.step_index(kind));
            let class = match at {
                _ if finished => "done",
                Some(a) if i < a => "done",
                Some(a) if i == a => "current",
                _ => "todo",
            };
            view! { <li class=class>{phase.label()}</li> }
        })
        .collect_view();

    let quick_links = {
        let mut items = Vec::new();
        if let Some(j) = &job {
            let owner = job_owner(j, &auth);
            items.push(("Open HF Job ↗", links.job(&owner, &j.id)));
        }
        if let Some(space) = &target_space {
            items.push(("Open target Space ↗", links.space(space)));
            items.push(("Open Space settings ↗", links.space_settings(space)));
        }
        if let (Some(b), Some(r)) = (&bucket, &run_id) {
            items.push(("Open run artifacts ↗", links.bucket_run_folder(b, r)));
        }
        items
            .into_iter()
            .map(|(label, href)| view! { <a class="button" href=href target="_blank" rel="noopener noreferrer">{label}</a> })
            .collect_view()
    };

    let job_panel = job.clone().map(|j| {
        let stage = j.status.stage.to_string();
        let message = j.status.message.clone();
        view! {
            <section class="card" data-testid="job-panel">
                <h2>"Job"</h2>
                <dl class="facts">
                    <dt>"Job id"</dt><dd><code>{j.id.clone()}</code></dd>
                    <dt>"Stage"</dt><dd data-testid="job-stage">{stage}</dd>
                    {message.map(|m| view! { <dt>"Message"</dt><dd>{m}</dd> })}
                    <dt>"Created"</dt><dd>{j.created_at.clone().unwrap_or_default()}</dd>
                    <dt>"Started"</dt><dd>{j.started_at.clone().unwrap_or_else(|| "not yet".into())}</dd>
                    <dt>"Finished"</dt><dd>{j.finished_at.clone().unwrap_or_else(|| "not yet".into())}</dd>
                    <dt>"Hardware"</dt><dd>{j.flavor.clone().unwrap_or_default()}</dd>
                </dl>
            </section>
        }
    });

    let events = snapshot.events.events.clone();
    let events_view = if events.is_empty() {
        let text = if snapshot.is_final() {
            "No events were recorded for this run."
        } else {
            "No events yet. The job may still be scheduling."
        };
        view! { <p class="muted">{text}</p> }.into_any()
    } else {
        view! {
            <ol class="timeline" data-testid="events">
                {events.into_iter().map(|e| {
                    let level = match e.level { Level::Info => "info", Level::Warn => "warn", Level::Error => "bad" };
                    view! {
                        <li class=level>
                            <time>{short_time(&e.ts)}</time>
                            <span class="phase">{e.phase.label()}</span>
                            <span class="msg">{e.message}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
        .into_any()
    };

    let report = match snapshot.report.clone() {
        Some(md) => view! { <div class="report" data-testid="report" inner_html=markdown::to_safe_html(&md)></div> }.into_any(),
        None => view! { <p class="muted">"No report yet: the job writes it when the run ends."</p> }.into_any(),
    };

    let job_active = job.as_ref().is_some_and(|j| !j.status.stage.is_final());
    let cancel = {
        let job = job.clone();
        move |_| {
            let Some(j) = job.clone() else { return };
            let ok = window()
                .confirm_with_message("Cancel this job? The run stops and is recorded as failed.")
                .unwrap_or(false);
            if !ok {
                return;
            }
            let Some(hub) = auth.hub() else { return };
            let owner = job_owner(&j, &auth);
            leptos::task::spawn_local(async move {
                let cancelled = match sf_core::Namespace::parse(&owner) {
                    Ok(owner) => hub
                        .cancel_job(&owner, &j.id)
                        .await
                        .map_err(|e| auth.explain(&e)),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = cancelled {
                    let _ = window().alert_with_message(&e);
                }
                tick.update(|t| *t += 1);
            });
        }
    };

    let navigate = use_navigate();
    let request = snapshot.request.clone();
    let run_again = {
        let navigate = navigate.clone();
        let request = request.clone();
        move |_| {
            let Some(req) = request.clone() else { return };
            match kind {
                RunKind::Build => {
                    if let Ok(r) = serde_json::from_value::<BuildRequest>(req) {
                        drafts::store(drafts::BUILD_KEY, &build_form_from(&r));
                        navigate("?view=build", Default::default());
                    }
                }
                RunKind::Validate => {
                    if let Ok(r) = serde_json::from_value::<ValidateRequest>(req) {
                        drafts::store(
                            drafts::VALIDATE_KEY,
                            &validate_form_from(&r, launch::new_run_id(RunKind::Validate)),
                        );
                        navigate("?view=validate", Default::default());
                    }
                }
            }
        }
    };
    // Validate this Space (offered on finished builds): the build's own smoke test (its generated
    // `smoke_test.json`), else what the state recorded, else the seed's defaults. Reading the
    // manifest takes a request, so the button says so meanwhile and cannot be pressed twice.
    let opening_validate = RwSignal::new(false);
    let validate_space = {
        let navigate = navigate.clone();
        let target = target_space.clone();
        let validation = state.as_ref().and_then(|s| s.validation.clone());
        let run_id = run_id.clone();
        move |_| {
            let Some(space) = target.clone() else { return };
            if opening_validate.get_untracked() {
                return;
            }
            opening_validate.set(true);
            let bucket_name = run_bucket.name.get_untracked();
            let (validation, run_id, auth, navigate) =
                (validation.clone(), run_id.clone(), auth, navigate.clone());
            let bucket = run_bucket.bucket(&auth);
            leptos::task::spawn_local(async move {
                let manifest = match (auth.hub(), bucket, run_id) {
                    (Some(hub), Some(bucket), Some(id)) => hub
                        .read_bucket_text(
                            &bucket,
                            &record::run_file(&id, &smoke_test::manifest_in_run()),
                        )
                        .await
                        .ok()
                        .flatten()
                        .and_then(|text| smoke_test::parse_manifest(&text).ok()),
                    _ => None,
                };
                let form = validate_form_for(
                    launch::new_run_id(RunKind::Validate),
                    &space,
                    &bucket_name,
                    manifest.as_ref(),
                    validation.as_ref(),
                );
                drafts::store(drafts::VALIDATE_KEY, &form);
                navigate("?view=validate", Default::default());
            });
        }
    };

    let figures = state.as_ref().and_then(|s| s.validation.clone()).map(|v| {
        view! {
            <section class="card">
                <h2>"Validation figures"</h2>
                <dl class="facts">
                    <dt>"Endpoint"</dt><dd><code>{v.api_name.clone()}</code></dd>
                    <dt>"Expected output"</dt><dd>{v.expected_output_type.as_str()}</dd>
                    <dt>"Output"</dt><dd>{v.output_type.map(|o| o.as_str().to_string()).unwrap_or_else(|| "none".into())}</dd>
                    <dt>"First call"</dt><dd>{v.first_call_seconds.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Warm call"</dt><dd>{v.warm_call_seconds.map(|s| format!("{s:.1} s")).unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Recommended ZeroGPU duration"</dt><dd>{v.recommended_zerogpu_duration_seconds.map(|s| format!("{s} s")).unwrap_or_else(|| "—".into())}</dd>
                </dl>
            </section>
        }
    });

    let problems = snapshot.problems.clone();
    view! {
        {problems.into_iter().map(|p| view! { <div class="notice bad"><p>{p}</p></div> }).collect_view()}
        {header}
        // The phases matter while the run goes on; at the end the outcome says it all.
        {(!finished).then(|| view! { <ol class="stepper" aria-label="Phases">{stepper}</ol> })}
        <div class="row quick-links" data-testid="quick-links">{quick_links}</div>
        <div class="row">
            {job_active.then(|| view! { <button type="button" class="danger" on:click=cancel>"Cancel job"</button> })}
            {(finished && request.is_some()).then(|| view! { <button type="button" on:click=run_again>"Run again"</button> })}
            {(finished && kind == RunKind::Build && target_space.is_some()).then(|| view! {
                <button type="button" class="primary" on:click=validate_space disabled=move || opening_validate.get()>
                    {move || if opening_validate.get() { "Reading its smoke test…" } else { "Validate this Space" }}
                </button>
            })}
        </div>
        {figures}
        {
            // While the run goes on the events say most; at the end, the report does.
            let report = view! { <section class="card"><h2>"Report"</h2>{report}</section> };
            let events = view! { <section class="card"><h2>"Events"</h2>{events_view}</section> };
            if finished { view! { {report} {events} }.into_any() } else { view! { {events} {report} }.into_any() }
        }
        {job_panel}
    }
}

/// The namespace a job belongs to (its owner, else the signed-in user who launched it).
fn job_owner(job: &sf_hub::types::JobInfo, auth: &crate::auth::Auth) -> String {
    job.owner
        .as_ref()
        .map(|o| o.name.clone())
        .or_else(|| auth.username())
        .unwrap_or_default()
}

/// `2026-11-28T14:25:01Z` → `14:25:01`.
fn short_time(ts: &str) -> String {
    ts.split('T')
        .nth(1)
        .map(|t| t.trim_end_matches('Z').chars().take(8).collect())
        .unwrap_or_else(|| ts.to_string())
}

fn build_form_from(r: &BuildRequest) -> BuildForm {
    BuildForm {
        run_id: launch::new_run_id(RunKind::Build),
        model: r.model.id(),
        // The first Space exists now and is never overwritten: propose a fresh name.
        target_space_name: next_space_name(r.target_space.name()),
        pi_model: r.pi_model.to_string(),
        implementation_mode: r.implementation_mode.as_str().to_string(),
        preferred_hardware: r.preferred_hardware.as_str().to_string(),
        allow_fixed_gpu_fallback: r.allow_fixed_gpu_fallback,
        fallback_hardware: r
            .fallback_hardware
            .as_ref()
            .map(|f| f.as_str().to_string())
            .unwrap_or_else(|| sf_core::hardware::DEFAULT_FALLBACK.to_string()),
        bucket_name: r.bucket.name().to_string(),
    }
}

/// `demo` → `demo-2`, `demo-2` → `demo-3`: the previous Space exists and is never overwritten.
pub fn next_space_name(name: &str) -> String {
    match name.rsplit_once('-') {
        Some((base, n))
            if !base.is_empty()
                && !n.is_empty()
                && n.len() <= 4
                && n.chars().all(|c| c.is_ascii_digit()) =>
        {
            format!("{base}-{}", n.parse::<u32>().unwrap_or(1) + 1)
        }
        _ => format!("{name}-2"),
    }
}

/// The Validate form for "Validate this Space" after a build: the build's smoke test, else the
/// endpoint and output type the state recorded (with the seed's test inputs), else the seed's
/// defaults. Always a new run id and this Space.
fn validate_form_for(
    run_id: String,
    space: &SpaceRef,
    bucket_name: &str,
    manifest: Option<&smoke_test::CallSpec>,
    validation: Option<&ValidationRecord>,
) -> ValidateForm {
    let seed = ValidateForm::default();
    let tested = match (manifest, validation) {
        (Some(m), _) => ValidateForm {
            api_name: m.api_name.clone(),
            expected_output: m.expected.as_str().to_string(),
            test_args_json: serde_json::to_string(&m.args).unwrap_or(seed.test_args_json),
            test_kwargs_json: serde_json::to_string(&m.kwargs).unwrap_or(seed.test_kwargs_json),
            ..seed
        },
        (None, Some(v)) => ValidateForm {
            api_name: v.api_name.clone(),
            expected_output: v.expected_output_type.as_str().to_string(),
            ..seed
        },
        (None, None) => seed,
    };
    ValidateForm {
        run_id,
        target_space: space.id(),
        bucket_name: bucket_name.to_string(),
        ..tested
    }
}

fn validate_form_from(r: &ValidateRequest, run_id: String) -> ValidateForm {
    ValidateForm {
        run_id,
        target_space: r.target_space.id(),
        api_name: r.api_name.as_str().to_string(),
        expected_output: r.expected_output.as_str().to_string(),
        test_args_json: serde_json::to_string(&r.test_args).unwrap_or_else(|_| "[]".into()),
        test_kwargs_json: serde_json::to_string(&r.test_kwargs).unwrap_or_else(|_| "{}".into()),
        live_timeout_seconds: r.live_timeout_seconds.to_string(),
        bucket_name: r.bucket.name().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_again_proposes_the_next_free_looking_name() {
        assert_eq!(next_space_name("demo"), "demo-2");
        assert_eq!(next_space_name("demo-2"), "demo-3");
        assert_eq!(
            next_space_name("space-factory-z-image-v1"),
            "space-factory-z-image-v1-2"
        );
        assert_eq!(next_space_name("model-20261128"), "model-20261128-2");
    }

    #[test]
    fn event_times_are_shortened() {
        assert_eq!(short_time("2026-11-28T14:25:01Z"), "14:25:01");
        assert_eq!(short_time("2026-11-28T14:25:01.123Z"), "14:25:01");
        assert_eq!(short_time("garbage"), "garbage");
    }

    #[test]
    fn validate_this_space_reuses_the_runs_own_smoke_test() {
        use sf_core::record::OutputType;
        let space = SpaceRef::parse("me/gpt2-demo").unwrap();
        let manifest = smoke_test::parse_manifest(
            r#"{"api_name": "/generate", "args": ["Once upon a time", 16], "kwargs": {"t": 1}, "expected_output": "text"}"#,
        )
        .unwrap();
        let recorded = ValidationRecord {
            api_name: "/predict".into(),
            expected_output_type: OutputType::Audio,
            output_type: None,
            first_call_seconds: None,
            warm_call_seconds: None,
            recommended_zerogpu_duration_seconds: None,
            artifact_path: None,
        };
        // A build: its generated smoke test wins over the state's summary.
        let f = validate_form_for(
            "validate-x".into(),
            &space,
            "runs",
            Some(&manifest),
            Some(&recorded),
        );
        assert_eq!(
            (
                f.target_space.as_str(),
                f.api_name.as_str(),
                f.expected_output.as_str(),
                f.test_args_json.as_str(),
                f.test_kwargs_json.as_str(),
                f.bucket_name.as_str()
            ),
            (
                "me/gpt2-demo",
                "/generate",
                "text",
                r#"["Once upon a time",16]"#,
                r#"{"t":1}"#,
                "runs"
            )
        );
        assert_eq!(f.run_id, "validate-x");
        // Without the manifest: what the state recorded, with the seed's inputs.
        let f = validate_form_for("validate-x".into(), &space, "runs", None, Some(&recorded));
        assert_eq!(
            (f.api_name.as_str(), f.expected_output.as_str()),
            ("/predict", "audio")
        );
        assert_eq!(f.test_args_json, ValidateForm::default().test_args_json);
        // Nothing known: the seed's defaults for this Space.
        let f = validate_form_for("validate-x".into(), &space, "runs", None, None);
        assert_eq!(f.api_name, ValidateForm::default().api_name);
        assert_eq!(f.target_space, "me/gpt2-demo");
    }
}
