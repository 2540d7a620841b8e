use leptos::prelude::*;
use sf_core::record::{self, StateRead};
use sf_core::{RunId, RunKind, RunStatus};
use sf_hub::types::BucketEntry;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::components::StatusBadge;

/// One line of the runs list.
#[derive(Clone, Debug, PartialEq)]
struct RunRow {
    run_id: String,
    kind: Option<RunKind>,
    subject: String,
    status: Option<RunStatus>,
    phase: Option<String>,
    time: String,
}

/// Every run in the signed-in user's bucket, newest first.
#[component]
pub fn Runs() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let rows = RwSignal::new(None::<Result<Vec<RunRow>, String>>);
    Effect::new(move |_| {
        let (Some(hub), Some(bucket)) = (
            auth.hub().filter(|_| auth.session.with(Option::is_some)),
            run_bucket.bucket(&auth),
        ) else {
            rows.set(None);
            return;
        };
        leptos::task::spawn_local(async move {
            let listed = match hub.bucket_tree(&bucket, "runs", false).await {
                Ok(entries) => entries,
                Err(e) if e.is_not_found() => Vec::new(),
                Err(e) => return rows.set(Some(Err(auth.explain(&e)))),
            };
            let run_ids: Vec<RunId> = listed
                .into_iter()
                .filter_map(|e| match e {
                    BucketEntry::Directory { path, .. } => {
                        path.rsplit('/').next().and_then(|n| RunId::parse(n).ok())
                    }
                    _ => None,
                })
                .collect();
            let states = futures::future::join_all(run_ids.iter().map(|r| {
                let hub = hub.clone();
                let bucket = bucket.clone();
                let path = record::run_file(r, record::STATE_FILE);
                async move { hub.read_bucket_text(&bucket, &path).await }
            }))
            .await;
            let mut out: Vec<RunRow> = run_ids
                .iter()
                .zip(states)
                .map(|(run_id, text)| {
                    let state = StateRead::parse(text.ok().flatten().as_deref());
                    match state {
                        StateRead::State(s) => RunRow {
                            run_id: run_id.to_string(),
                            kind: Some(s.kind),
                            subject: s
                                .model_id
                                .clone()
                                .or(s.target_space.clone())
                                .unwrap_or_default(),
                            status: Some(s.status),
                            phase: (!s.status.is_final()).then(|| s.phase.label().to_string()),
                            time: s.created_at.clone(),
                        },
                        _ => RunRow {
                            run_id: run_id.to_string(),
                            kind: run_id.kind_hint(),
                            subject: String::new(),
                            status: None,
                            phase: Some("No state written yet".into()),
                            time: time_from_run_id(run_id.as_str()).unwrap_or_default(),
                        },
                    }
                })
                .collect();
            // Newest first: by creation time, then by run id (which starts with its date).
            out.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.run_id.cmp(&a.run_id)));
            rows.set(Some(Ok(out)));
        });
    });

    view! {
        <h1>"Runs"</h1>
        <p class="lede">
            "Every run recorded in your bucket "
            <code>{move || run_bucket.bucket(&auth).map(|b| b.id()).unwrap_or_else(|| format!("<you>/{}", run_bucket.name.get()))}</code>
            ", newest first."
        </p>
        {move || match rows.get() {
            None if auth.session.with(Option::is_none) => view! {
                <div class="notice info"><p><a href="?view=home#sign-in">"Sign in"</a>" to see the runs in your bucket."</p></div>
            }.into_any(),
            None => view! { <p class="muted">"Loading your runs…"</p> }.into_any(),
            Some(Err(e)) => view! { <div class="notice bad"><p>{e}</p></div> }.into_any(),
            Some(Ok(list)) if list.is_empty() => view! {
                <div class="notice info" data-testid="runs-empty"><p>
                    "No runs yet. " <a href="?view=build">"Build a Space"</a> " or " <a href="?view=validate">"validate one"</a> "."
                </p></div>
            }.into_any(),
            Some(Ok(list)) => view! {
                <table class="runs" data-testid="runs">
                    <thead><tr><th>"Run"</th><th>"Kind"</th><th>"Model or Space"</th><th>"Status"</th><th>"Started"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|r| view! {
                            <tr>
                                <td><a href=format!("?run={}", r.run_id)><code>{r.run_id.clone()}</code></a></td>
                                <td>{r.kind.map(|k| k.label()).unwrap_or("—")}</td>
                                <td>{r.subject.clone()}</td>
                                <td>
                                    {r.status.map(|s| view! { <StatusBadge status=s /> })}
                                    {r.phase.clone().map(|p| view! { <span class="muted small">" " {p}</span> })}
                                </td>
                                <td class="muted small">{r.time.replace('T', " ").trim_end_matches('Z').to_string()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any(),
        }}
    }
}

/// `build-20261128-142501-a3f9c2` → `2026-11-28T14:25:01Z` (the time generated run ids carry).
fn time_from_run_id(run_id: &str) -> Option<String> {
    let mut parts = run_id.split('-').skip(1);
    let (d, t) = (parts.next()?, parts.next()?);
    let ok = d.len() == 8 && t.len() == 6 && d.chars().chain(t.chars()).all(|c| c.is_ascii_digit());
    ok.then(|| {
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &d[..4],
            &d[4..6],
            &d[6..],
            &t[..2],
            &t[2..4],
            &t[4..]
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn run_ids_carry_their_time() {
        assert_eq!(
            super::time_from_run_id("build-20261128-142501-a3f9c2").as_deref(),
            Some("2026-11-28T14:25:01Z")
        );
        assert_eq!(super::time_from_run_id("my-run"), None);
    }
}
