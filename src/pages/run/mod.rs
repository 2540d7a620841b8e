//! The run view, `?run=<run id>`: a bookmarkable page that follows a run live until it ends.
//!
//! This file loads and refreshes; the pieces it shows are small components, one file each, that
//! only render what they are given (status card and phase stepper, quick links, actions,
//! validation figures, events and report, job panel). They live here rather than in
//! `components/` because only this page uses them. Every Hub read and action is in
//! [`crate::run_data`].
//!
//! The snapshot is a [`LocalResource`] whose input is a refresh tick: a newer load always wins
//! over an older one still on its way, and a memo keeps a refresh that found nothing new from
//! redrawing the page (open details, text selection and scroll positions stay as they are).

mod actions;
mod events;
mod figures;
mod job;
mod links;
mod status;

use std::time::Duration;

use leptos::prelude::*;
use sf_core::{RunId, SpaceRef};

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::{Artifacts, LogTail};
use crate::launch;
use crate::notify::{self, NotifyButton};
use crate::routes::{Page, SIGN_IN_HREF};
use crate::run_data::{self, RunSnapshot};

use actions::{RunActions, RunActionsState};
use events::{Events, Report};
use figures::{CostFigures, ValidationFigures};
use job::{JobPanel, LaunchResult};
use links::QuickLinks;
use status::{PhaseStepper, StatusCard};

/// How often an unfinished run is refreshed.
const REFRESH: Duration = Duration::from_secs(3);

#[component]
pub fn Run(run: String) -> impl IntoView {
    let run_id = match RunId::parse(&run) {
        Ok(id) => id,
        Err(e) => {
            return view! {
                <h1>"Run"</h1>
                <div class="notice bad" role="alert"><p>{format!("This address does not name a run: {e}")}</p></div>
                <p><a href=Page::Runs.href()>"See all your runs"</a></p>
            }
            .into_any();
        }
    };
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    // Every change of the tick (the timer, the Refresh button, a finished action) loads again.
    let tick = RwSignal::new(0u32);
    let load_id = run_id.clone();
    let loaded = LocalResource::new(move || {
        let at = tick.get();
        let signed_in = auth.session.with(Option::is_some);
        let bucket = run_bucket.bucket(&auth).filter(|_| signed_in);
        let run_id = load_id.clone();
        async move {
            let snapshot = match bucket {
                Some(bucket) => Some(run_data::load(auth, bucket, run_id).await),
                None => None,
            };
            (at, snapshot)
        }
    });
    // "Nothing changed" is a memo: an equal snapshot does not redraw anything.
    let snapshot =
        Memo::new(move |_| loaded.with(|l| l.as_ref().and_then(|(_, snapshot)| snapshot.clone())));
    let refreshing =
        Memo::new(move |_| loaded.with(|l| l.as_ref().map(|(at, _)| *at)) != Some(tick.get()));
    let is_final = Memo::new(move |_| snapshot.with(|s| matches!(s, Some(Ok(s)) if s.is_final())));
    let live = Memo::new(move |_| {
        snapshot.with(|s| matches!(s, Some(Ok(s)) if !s.is_missing() && !s.is_final()))
    });
    // The tab title follows the run; a run this page saw live notifies once when it ends
    // (a run already over when the page opened is not news).
    let seen_live = StoredValue::new(false);
    let watched = run_id.to_string();
    Effect::new(move |_| {
        snapshot.with(|s| {
            let Some(Ok(s)) = s else { return };
            if s.is_missing() {
                return;
            }
            let head = s.headline();
            let state = s.state.state();
            let subject = state
                .and_then(|st| st.model_id.as_deref().or(st.target_space.as_deref()))
                .unwrap_or("");
            let ended = s.is_finished() || s.is_final();
            if !ended {
                notify::set_tab_title(&[&head]);
                seen_live.set_value(true);
                return;
            }
            notify::set_tab_title(&[&head, subject]);
            if seen_live.get_value() {
                let message = state.map_or("", |st| st.message.as_str());
                let body = format!("Run {watched}. {message}");
                let title = [head.as_str(), subject]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" — ");
                notify::notify_once(&watched, &title, body.trim());
            }
        })
    });
    on_cleanup(notify::reset_tab_title);
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
            Some(Ok(s)) => s
                .job
                .as_ref()
                .map(|j| (run_data::job_owner(j, &auth), j.id.clone())),
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
    let launched = launch::record_for(&id_text);
    // Before the worker writes the state, the launch made in this browser knows the Space.
    let launched_space = launched
        .as_ref()
        .and_then(|l| l.target_space.as_deref())
        .and_then(|t| SpaceRef::parse(t).ok());
    let actions = RunActionsState::new(tick);
    let details = move |s: RunSnapshot| {
        let bucket = run_bucket.bucket(&auth);
        view! { <RunDetails snapshot=s run_id=run_id.clone() launched_space=launched_space.clone() bucket=bucket actions=actions /> }
    };
    view! {
        <p class="muted small"><a href=Page::Runs.href()>"← All runs"</a></p>
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
            {move || live.get().then(|| view! { <NotifyButton what="the run" /> })}
        </div>
        {move || {
            if auth.session.with(Option::is_none) {
                return view! { <SignInToSee /> }.into_any();
            }
            match snapshot.get() {
                None => view! { <p class="muted">"Loading the run…"</p> }.into_any(),
                Some(Err(e)) => view! { <div class="notice bad" role="alert"><p>{e}</p></div> }.into_any(),
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
                Some(Ok(s)) => details(s).into_any(),
            }
        }}
        <Artifacts files=artifact_list />
        {move || job_key.get().map(|(owner, job_id)| view! { <LogTail namespace=owner job_id=job_id /> })}
        {launched.map(|l| view! { <LaunchResult record=l /> })}
    }
    .into_any()
}

/// Runs are in the person's private bucket: signed out, the page says so and offers the sign-in.
#[component]
fn SignInToSee() -> impl IntoView {
    let auth = use_auth();
    let has_oauth = auth.config.with_value(|c| c.oauth_client_id.is_some());
    view! {
        <div class="notice info" data-testid="run-sign-in"><p>
            "Runs are kept in your private bucket: sign in to see this one. You come back to this page afterwards."
        </p></div>
        {if has_oauth {
            view! { <button class="primary" type="button" on:click=move |_| auth.sign_in_with_oauth()>"Sign in with Hugging Face"</button> }.into_any()
        } else {
            view! { <a class="button primary" href=SIGN_IN_HREF>"Sign in with an access token"</a> }.into_any()
        }}
    }
}

/// Everything a loaded snapshot shows, in order. Rebuilt only when the snapshot changes.
#[component]
fn RunDetails(
    snapshot: RunSnapshot,
    run_id: RunId,
    launched_space: Option<SpaceRef>,
    bucket: Option<sf_core::BucketRef>,
    actions: RunActionsState,
) -> impl IntoView {
    let state = snapshot.state.state();
    let kind = snapshot.kind(run_id.kind_hint());
    let finished = snapshot.is_finished();
    let target_space = state
        .and_then(|s| s.target_space.as_deref())
        .and_then(|t| SpaceRef::parse(t).ok())
        .or(launched_space);
    let problems = snapshot
        .problems
        .iter()
        .map(|p| view! { <div class="notice bad"><p>{p.clone()}</p></div> })
        .collect_view();
    let events = view! { <Events events=snapshot.events.clone() run_ended=snapshot.is_final() /> };
    let report = view! { <Report report=snapshot.report.clone() /> };
    view! {
        {problems}
        <StatusCard snapshot=snapshot.clone() />
        // The phases matter while the run goes on; at the end the outcome says it all.
        {(!finished).then(|| view! { <PhaseStepper kind=kind current=snapshot.progress().map(|p| p.phase) /> })}
        <QuickLinks job=snapshot.job.clone() target_space=target_space.clone() bucket=bucket.clone() run_id=run_id.clone() />
        <RunActions snapshot=snapshot.clone() kind=kind target_space=target_space bucket=bucket run_id=run_id actions=actions />
        <ValidationFigures validation=state.and_then(|s| s.validation.clone()) />
        <CostFigures cost=state.and_then(|s| s.cost.clone()) />
        // While the run goes on the events say most; at the end, the report does.
        {if finished { view! { {report} {events} }.into_any() } else { view! { {events} {report} }.into_any() }}
        {snapshot.job.clone().map(|job| view! { <JobPanel job=job /> })}
    }
}
