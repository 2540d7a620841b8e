//! The runs list, `?view=runs`: every run in the signed-in person's bucket, newest first.
//! Loaded by [`run_data::list_runs`] as a [`LocalResource`] (a newer answer always wins; a
//! reload keeps the list on screen until the new one is there), and an error is a sentence in
//! place. No `Transition`: the explicit states below say the same and keep Suspense's machinery
//! out of the wasm.

use leptos::prelude::*;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::{RunCost, StatusBadge};
use crate::routes::{Page, SIGN_IN_HREF, batch_href, run_href};
use crate::run_data::{self, RunRow};

#[component]
pub fn Runs() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    // `None` when signed out (or the bucket name is not valid): nothing to load.
    let runs = LocalResource::new(move || {
        let signed_in = auth.session.with(Option::is_some);
        let bucket = run_bucket.bucket(&auth).filter(|_| signed_in);
        async move {
            match bucket {
                Some(bucket) => Some(run_data::list_runs(auth, bucket).await),
                None => None,
            }
        }
    });
    view! {
        <h1>"Runs"</h1>
        <p class="lede">
            "Every run recorded in your bucket "
            <code>{move || run_bucket.bucket(&auth).map(|b| b.id()).unwrap_or_else(|| format!("<you>/{}", run_bucket.name.get()))}</code>
            ", newest first."
        </p>
        {move || match runs.get() {
            None => view! { <p class="muted">"Loading your runs…"</p> }.into_any(),
            Some(None) => view! {
                <div class="notice info"><p><a href=SIGN_IN_HREF>"Sign in"</a>" to see the runs in your bucket."</p></div>
            }.into_any(),
            Some(Some(Err(e))) => view! { <div class="notice bad" role="alert"><p>{e}</p></div> }.into_any(),
            Some(Some(Ok(list))) if list.is_empty() => view! {
                <div class="notice info" data-testid="runs-empty"><p>
                    "No runs yet. " <a href=Page::Build.href()>"Build a Space"</a> " or " <a href=Page::Validate.href()>"validate one"</a> "."
                </p></div>
            }.into_any(),
            Some(Some(Ok(list))) => view! { <RunsTable rows=list /> }.into_any(),
        }}
    }
}

#[component]
fn RunsTable(rows: Vec<RunRow>) -> impl IntoView {
    // A heading before the first run of each batch (its runs are listed together).
    let mut previous: Option<String> = None;
    let rows = rows
        .into_iter()
        .map(|r| {
            let href = run_href(&r.run_id);
            let batch = r.batch.as_ref().map(|b| b.id.to_string());
            let heading = (batch.is_some() && batch != previous).then(|| {
                let id = batch.clone().unwrap_or_default();
                view! {
                    <tr class="batch-head" data-batch=id.clone()>
                        <td colspan="6">"Batch " <a href=batch_href(&id)><code>{id.clone()}</code></a></td>
                    </tr>
                }
            });
            previous = batch;
            view! {
                {heading}
                <tr class:in-batch=r.batch.is_some()>
                    <td><a href=href><code>{r.run_id}</code></a></td>
                    <td>{r.kind.map_or("—", |k| k.label())}</td>
                    <td>{r.subject}</td>
                    <td>
                        {r.status.map(|s| view! { <StatusBadge status=s /> })}
                        {r.phase.map(|p| view! { <span class="muted small">" " {p}</span> })}
                    </td>
                    <td class="cost-cell"><RunCost cost=r.cost space=r.space /></td>
                    <td class="muted small">{r.time.replace('T', " ").trim_end_matches('Z').to_string()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="runs" data-testid="runs">
            <thead><tr><th>"Run"</th><th>"Kind"</th><th>"Model or Space"</th><th>"Status"</th><th>"Cost"</th><th>"Started"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
