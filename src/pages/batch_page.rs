//! A batch's page, `?batch=<batch id>` (bookmarkable): it launches the rows of a plan saved in
//! this browser a few at a time (a reload resumes; the run-id lookup keeps any row from being
//! launched twice), then follows the batch's runs live: counts per status, total cost so far, a
//! table of runs, and actions on many rows. It refreshes while any run is live and stops when
//! every run has ended.

use leptos::prelude::*;
use sf_core::RunStatus;
use sf_core::batch::{self as rules, BatchId, BatchRun, LaunchPlan, RowLaunch};
use sf_hub::types::JobInfo;

use crate::auth::use_auth;
use crate::batch;
use crate::bucket::use_run_bucket;
use crate::components::StatusBadge;
use crate::notify::{self, NotifyButton};
use crate::routes::{Page, SIGN_IN_HREF, run_href};
use crate::run_data;

/// How often a live batch is read again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(4);

#[component]
pub fn BatchPage(batch: String) -> impl IntoView {
    match BatchId::parse(&batch) {
        Ok(id) => view! { <BatchView id=id /> }.into_any(),
        Err(e) => view! {
            <h1>"Batch"</h1>
            <div class="notice bad" role="alert"><p>{e}</p><p><a href=Page::Batch.href()>"Start a batch"</a></p></div>
        }
        .into_any(),
    }
}

type Loaded = Result<(Vec<BatchRun>, Vec<JobInfo>), String>;

#[component]
fn BatchView(id: BatchId) -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let plan = RwSignal::new(batch::load_plan(id.as_str()));
    let id = StoredValue::new(id);

    // The launcher: whenever the plan changes, the next planned rows are launched, at most
    // `CONCURRENCY` at once. Each row is marked and saved before its launch starts.
    Effect::new(move |_| {
        if auth.session.with(Option::is_none) {
            return;
        }
        let next = plan.with(|p| {
            p.as_ref()
                .map(LaunchPlan::next_to_launch)
                .unwrap_or_default()
        });
        if next.is_empty() {
            return;
        }
        let mut started = Vec::new();
        plan.update(|p| {
            if let Some(p) = p {
                for i in next {
                    let interrupted = p.runs[i].launch == RowLaunch::Interrupted;
                    p.runs[i].launch = RowLaunch::Launching;
                    started.push((i, p.runs[i].request.clone(), interrupted));
                }
                batch::save_plan(p);
            }
        });
        for (i, request, interrupted) in started {
            leptos::task::spawn_local(async move {
                let result = batch::launch_row(auth, request, interrupted).await;
                plan.update(|p| {
                    if let Some(p) = p {
                        p.runs[i].launch = result;
                        batch::save_plan(p);
                    }
                });
            });
        }
    });

    // The runs, read again while anything is live.
    let tick = RwSignal::new(0u32);
    let launched = Memo::new(move |_| plan.with(|p| p.as_ref().map_or(0, |p| p.progress().0)));
    let runs: LocalResource<Option<Loaded>> = LocalResource::new(move || {
        tick.track();
        launched.track();
        let signed_in = auth.session.with(Option::is_some);
        let bucket = run_bucket.bucket(&auth).filter(|_| signed_in);
        let plan = plan.get_untracked();
        let id = id.get_value();
        async move {
            match bucket {
                Some(bucket) => Some(batch::load_batch(auth, bucket, id, plan).await),
                None => None,
            }
        }
    });
    let last = RwSignal::new(None::<(Vec<BatchRun>, Vec<JobInfo>)>);
    let scheduled = StoredValue::new(false);
    let load_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        let Some(Some(result)) = runs.get() else {
            return;
        };
        match result {
            Ok(data) => {
                last.set(Some(data));
                load_error.set(None);
            }
            Err(e) => load_error.set(Some(e)),
        }
        let live = last.with_untracked(|l| l.as_ref().is_some_and(|(r, _)| rules::any_live(r)))
            || plan.with_untracked(|p| p.as_ref().is_some_and(|p| !p.settled()));
        // One refresh pending at a time, however many loads ended meanwhile.
        if live && !scheduled.get_value() {
            scheduled.set_value(true);
            set_timeout(
                move || {
                    scheduled.set_value(false);
                    tick.try_update(|t| *t += 1);
                },
                REFRESH,
            );
        }
    });

    // The tab title follows the batch; a batch seen live here notifies once when it ends.
    let seen_live = StoredValue::new(false);
    Effect::new(move |_| {
        let Some((list, _)) = last.get() else { return };
        let launching = plan.with(|p| p.as_ref().is_some_and(|p| !p.settled()));
        let running = list.iter().filter(|r| !r.has_ended()).count();
        if running > 0 || launching {
            seen_live.set_value(true);
            notify::set_tab_title(&[
                &format!(
                    "{} {running} running",
                    notify::status_mark(RunStatus::Running)
                ),
                "Batch",
            ]);
            return;
        }
        let counts = rules::status_counts(&list)
            .into_iter()
            // The labels are ASCII: no Unicode case tables in the wasm (issue 13).
            .map(|(s, n)| format!("{n} {}", s.label().to_ascii_lowercase()))
            .collect::<Vec<_>>()
            .join(", ");
        notify::set_tab_title(&["Batch ended", &counts]);
        if seen_live.get_value() {
            let id = id.get_value();
            notify::notify_once(
                id.as_str(),
                &format!("Batch ended — {counts}"),
                &format!("Batch {id}: every run has ended."),
            );
        }
    });
    on_cleanup(notify::reset_tab_title);

    let action_note = RwSignal::new(None::<String>);
    let cancel_running = move |_| {
        let jobs: Vec<JobInfo> = last.with_untracked(|l| {
            l.as_ref()
                .map(|(_, jobs)| {
                    jobs.iter()
                        .filter(|j| !j.status.stage.is_final())
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        });
        let n = jobs.len();
        leptos::task::spawn_local(async move {
            let results =
                futures::future::join_all(jobs.into_iter().map(|j| run_data::cancel_job(auth, j)))
                    .await;
            let failed: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            action_note.set(Some(match failed.first() {
                None => format!(
                    "Asked Hugging Face to cancel {n} job{}; each run records its end.",
                    plural(n)
                ),
                Some(e) => format!("{} of {n} jobs could not be cancelled: {e}", failed.len()),
            }));
            tick.update(|t| *t += 1);
        });
    };
    // The failed rows that have no newer run on its way (planned or being launched here).
    let failed_now = move || -> Vec<sf_core::RunId> {
        let waiting: Vec<u32> = plan.with(|p| {
            p.iter()
                .flat_map(|p| &p.runs)
                .filter(|r| {
                    matches!(
                        r.launch,
                        RowLaunch::Planned | RowLaunch::Launching | RowLaunch::Interrupted
                    )
                })
                .filter_map(|r| r.request.batch.as_ref().map(|b| b.row))
                .collect()
        });
        last.with(|l| {
            l.as_ref()
                .map(|(r, _)| {
                    rules::failed_rows(r)
                        .into_iter()
                        .filter(|r| !waiting.contains(&r.row))
                        .map(|r| r.run_id.clone())
                        .collect()
                })
                .unwrap_or_default()
        })
    };
    let rerunning = RwSignal::new(false);
    let run_again_failed = move |_| {
        let Some(bucket) = run_bucket.bucket(&auth) else {
            return;
        };
        let failed = failed_now();
        if rerunning.get_untracked() || failed.is_empty() {
            return;
        }
        rerunning.set(true);
        leptos::task::spawn_local(async move {
            let mut problems = Vec::new();
            for run_id in failed {
                match batch::run_again_request(auth, bucket.clone(), run_id).await {
                    Ok(request) => plan.update(|p| {
                        let p =
                            p.get_or_insert_with(|| LaunchPlan::new(id.get_value(), Vec::new()));
                        p.add(request);
                        batch::save_plan(p);
                    }),
                    Err(e) => problems.push(e),
                }
            }
            action_note.set(problems.first().cloned());
            rerunning.set(false);
        });
    };

    let progress = move || {
        let (launched, failed, all) =
            plan.with(|p| p.as_ref().map_or((0, 0, 0), LaunchPlan::progress));
        let settled = plan.with(|p| p.as_ref().is_none_or(LaunchPlan::settled));
        let failures = plan.with(|p| {
            p.as_ref()
                .map(|p| {
                    p.runs
                        .iter()
                        .enumerate()
                        .filter_map(|(i, r)| match &r.launch {
                            RowLaunch::Failed { reason } => Some((
                                i,
                                r.request.batch.as_ref().map_or(0, |b| b.row),
                                r.request.model.id(),
                                reason.clone(),
                            )),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        });
        (all > 0 && (!settled || failed > 0)).then(|| view! {
            <div class="card" data-testid="batch-launch">
                <label for="launch-progress">
                    {if settled {
                        format!("Launched {launched} of {all}; {failed} not launched.")
                    } else {
                        format!("Launching: {launched} of {all} launched{}…", if failed > 0 { format!(", {failed} refused") } else { String::new() })
                    }}
                </label>
                <progress id="launch-progress" max=all value=launched + failed></progress>
                {failures.into_iter().map(|(i, row, model, reason)| view! {
                    <div class="notice bad" data-testid="launch-failed">
                        <p>{format!("Row {row} ({model}) was not launched: {reason}")}</p>
                        <button type="button" on:click=move |_| plan.update(|p| {
                            if let Some(p) = p {
                                p.runs[i].launch = RowLaunch::Planned;
                                batch::save_plan(p);
                            }
                        })>"Retry"</button>
                    </div>
                }).collect_view()}
            </div>
        })
    };

    let body = move || {
        if auth.session.with(Option::is_none) {
            return view! {
                <div class="notice info"><p><a href=SIGN_IN_HREF>"Sign in"</a>" to see this batch."</p></div>
            }
            .into_any();
        }
        let error = load_error
            .get()
            .map(|e| view! { <div class="notice bad" role="alert"><p>{e}</p></div> });
        let Some((list, jobs)) = last.get() else {
            return view! { {error} <p class="muted">"Loading the batch…"</p> }.into_any();
        };
        let counts = rules::status_counts(&list);
        let total = rules::total_cost_text(&list);
        let phase = rules::Phase::of(
            &list,
            plan.with(|p| p.as_ref().is_none_or(LaunchPlan::settled)),
        );
        let live = phase.is_live();
        let running_jobs = jobs.iter().filter(|j| !j.status.stage.is_final()).count();
        let failed = failed_now().len();
        let rows_n = rules::latest_per_row(&list).len();
        let mut sorted = list.clone();
        sf_core::sort::stable_by(&mut sorted, |a, b| {
            (a.row, &a.created_at).cmp(&(b.row, &b.created_at))
        });
        let latest: Vec<sf_core::RunId> = rules::latest_per_row(&list)
            .into_iter()
            .map(|r| r.run_id.clone())
            .collect();
        let now = (js_sys::Date::now() / 1000.0) as i64;
        view! {
            {error}
            <div class="card" data-testid="batch-summary">
                {live.then(|| view! { <NotifyButton what="the batch" /> })}
                <p>
                    <strong data-testid="batch-phase">{phase.label()}</strong>
                    {format!(" · {rows_n} row{} · total cost so far ", plural(rows_n))}
                    <strong data-testid="batch-cost">{total}</strong>
                    <span class="muted small">" (jobs and billed Space time, as each run recorded it)"</span>
                </p>
                <ul class="counts" data-testid="batch-counts">
                    {counts.into_iter().map(|(s, n)| view! {
                        <li data-status=s.as_str()><StatusBadge status=s /> " " <strong>{n}</strong></li>
                    }).collect_view()}
                </ul>
                // Only the actions that have something to act on.
                <div class="row">
                    {(running_jobs > 0).then(|| view! {
                        <button type="button" id="cancel-running" on:click=cancel_running>
                            {format!("Cancel the {running_jobs} running")}
                        </button>
                    })}
                    {(failed > 0).then(|| view! {
                        <button type="button" id="rerun-failed" disabled=move || rerunning.get() on:click=run_again_failed>
                            {format!("Run again the {failed} failed")}
                        </button>
                    })}
                </div>
                {move || action_note.get().map(|n| view! { <p class="small" role="status">{n}</p> })}
            </div>
            <table class="runs" data-testid="batch-runs">
                <thead><tr><th>"Row"</th><th>"Model"</th><th>"Status"</th><th>"Duration"</th><th>"Cost"</th><th>"Run"</th></tr></thead>
                <tbody>
                    {sorted.into_iter().map(|r| {
                        let status = r.outcome().unwrap_or(RunStatus::Running);
                        let superseded = !latest.contains(&r.run_id);
                        view! {
                            <tr class:superseded=superseded data-run=r.run_id.to_string()>
                                <td class="row-n">{r.row}</td>
                                <td><code>{r.model.clone()}</code><div class="muted small">{r.target_space.clone()}</div></td>
                                <td>
                                    <StatusBadge status=status />
                                    {r.phase.clone().map(|p| view! { <span class="muted small">" " {p}</span> })}
                                    {superseded.then(|| view! { <span class="muted small">" (replaced by the run below)"</span> })}
                                </td>
                                <td>{r.duration(now).unwrap_or_else(|| "—".into())}</td>
                                <td>{r.cost_text()}</td>
                                <td><a href=run_href(r.run_id.as_str())>"Open run"</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };

    view! {
        <h1>"Batch " <code>{id.get_value().to_string()}</code></h1>
        <p class="lede">
            "Every build of this batch, live. Bookmark this page to come back to it; "
            <a href=Page::Runs.href()>"Runs"</a> " lists them too."
        </p>
        {progress}
        {body}
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
