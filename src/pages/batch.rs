//! The Batch view, `?view=batch`: many model cards built with the same settings, one run per
//! row. Rows come from pasted lines or from a Hub search; each row is checked as the Build form
//! checks its model and Space name (the local rules, duplicates within the batch, then the
//! Hub); the shared settings are Build's own component. Launching saves a plan (the run ids)
//! and opens the batch's page, which launches the rows a few at a time.

use std::collections::HashMap;

use leptos::prelude::*;
use sf_core::batch::{BatchForm, BatchId, BatchRow, LaunchPlan, MAX_ROWS};
use sf_core::form::{BuildForm, Field, LaunchContext};
use sf_core::jobspec::{self, JOB_FLAVOR};
use sf_core::{RunId, RunKind};
use sf_hub::{ModelSearch, ModelSort};

use crate::auth::use_auth;
use crate::batch;
use crate::bucket::use_run_bucket;
use crate::components::{BuildSettings, CostEstimate, LaunchGate};
use crate::drafts;
use crate::form_state::{HubAnswers, HubCheck, LaunchForm};
use crate::launch;
use crate::routes::batch_href;

/// Tasks offered by the search (the demo agent knows the first two; any other may be declined).
const TASKS: [&str; 8] = [
    "text-to-image",
    "text-generation",
    "image-to-image",
    "text-to-speech",
    "automatic-speech-recognition",
    "image-text-to-text",
    "text-to-video",
    "image-classification",
];

#[component]
pub fn Batch() -> impl IntoView {
    let auth = use_auth();
    let run_bucket = use_run_bucket();
    let form = drafts::persisted(batch::ROWS_KEY, BatchForm::default);
    let settings = drafts::persisted(batch::SETTINGS_KEY, BuildForm::default);
    // The bucket name is shared with the Run storage panel.
    Effect::new(move |_| {
        let name = run_bucket.name.get();
        if settings.with_untracked(|f| f.bucket_name != name) {
            settings.update(|f| f.bucket_name = name);
        }
    });
    let prices = crate::hardware::use_price_lists();
    // Starting a batch opens its batch page: its code comes once the prices are in.
    let lists = (
        crate::hardware::use_job_hardware(),
        crate::hardware::use_space_hardware(),
    );
    super::on_demand::prefetch_when("batch_page", move || {
        lists.0.with(Option::is_some) && lists.1.with(Option::is_some)
    });
    let estimate = Signal::derive(move || {
        prices.with(|(jobs, spaces)| settings.with(|f| f.estimate(jobs.as_ref(), spaces.as_ref())))
    });
    let user = move || auth.username().unwrap_or_default();
    let settings_errors = Memo::new(move |_| {
        let user = user();
        let ctx = context(&user);
        settings
            .with(|s| BatchForm::settings_problems(s, &ctx))
            .into_iter()
            .map(|e| (e.field, e.message))
            .collect::<HashMap<_, _>>()
    });
    let local = Memo::new(move |_| {
        let user = user();
        let ctx = context(&user);
        settings.with(|s| form.with(|f| f.row_problems(s, &ctx)))
    });
    // The Hub checks of the rows the local rules accept (as Build asks them), while signed in.
    let checks = Memo::new(move |_| {
        let Some(user) = auth.username() else {
            return Vec::new();
        };
        let local = local.get();
        settings.with(|s| {
            form.with(|f| {
                f.rows
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| local.get(*i).is_none_or(Vec::is_empty))
                    .flat_map(|(i, row)| {
                        BatchForm::row_form(s, row, "")
                            .hub_checks(&user)
                            .into_iter()
                            .map(move |(_, c)| (i, c))
                    })
                    .collect::<Vec<(usize, HubCheck)>>()
            })
        })
    });
    let answers = HubAnswers::new(
        auth,
        Signal::derive(move || checks.get().into_iter().map(|(_, c)| c).collect()),
    );
    // Each row's sentences: the local rules', then the Hub's refusals.
    let row_errors = Memo::new(move |_| {
        let mut out: Vec<Vec<String>> = local.with(|l| {
            l.iter()
                .map(|errs| errs.iter().map(|e| e.message.clone()).collect())
                .collect()
        });
        checks.with(|list| {
            for (i, check) in list {
                if let (Some(refusal), Some(row)) = (answers.refusal(check), out.get_mut(*i)) {
                    row.push(refusal);
                }
            }
        });
        out
    });
    let pending = Memo::new(move |_| {
        checks.with(|list| {
            list.iter()
                .filter(|(_, c)| answers.pending(c))
                .map(|(i, _)| *i)
                .collect::<Vec<_>>()
        })
    });
    let problem_count = Signal::derive(move || {
        row_errors.with(|r| r.iter().filter(|e| !e.is_empty()).count())
            + settings_errors.with(|e| e.keys().filter(|f| **f != Field::Account).count())
    });
    let row_count = move || form.with(|f| f.rows.len());
    // What "Remove every row" took, for its Undo: until it is put back or rows are added.
    let removed = RwSignal::new(None::<Vec<BatchRow>>);
    Effect::new(move |_| {
        if row_count() > 0 {
            removed.set(None);
        }
    });
    let can_launch = move || {
        row_count() > 0
            && problem_count.get() == 0
            && pending.with(Vec::is_empty)
            && auth.session.with(Option::is_some)
            && auth.config.with_value(|c| c.job_spec_config().is_ok())
    };
    let confirming = RwSignal::new(false);
    let launch_error = RwSignal::new(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    let confirm = move |_| {
        let (Some(user), true) = (auth.username(), can_launch()) else {
            return;
        };
        let (now, random) = launch::clock();
        let ctx = LaunchContext {
            namespace: &user,
            unix_seconds: now,
            random,
        };
        let id = BatchId::generate(now, random);
        let mut run_ids: Vec<RunId> = Vec::new();
        while run_ids.len() < row_count() {
            let Ok(id) = RunId::parse(&launch::new_run_id(RunKind::Build)) else {
                continue;
            };
            if !run_ids.contains(&id) {
                run_ids.push(id);
            }
        }
        let requests = settings
            .with_untracked(|s| form.with_untracked(|f| f.requests(s, &id, &run_ids, &ctx)));
        let Some(requests) = requests else {
            launch_error.set(Some(
                "A row changed while confirming; check the rows and launch again.".into(),
            ));
            return;
        };
        // The plan (the run ids) is saved before anything is launched; the rows leave the view.
        batch::save_plan(&LaunchPlan::new(id.clone(), requests));
        form.update(|f| f.rows.clear());
        confirming.set(false);
        navigate(&batch_href(id.as_str()), Default::default());
    };

    let add_pasted = move |_| {
        form.update(|f| {
            let text = std::mem::take(&mut f.paste);
            let added = f.add_lines(&text);
            f.paste = added.left.clone();
            launch_error.set(added.message());
        });
    };

    view! {
        <h1>"Build many Spaces at once"</h1>
        <p class="lede">
            "One build per model, all with the same settings: each row is its own run and its own Hugging Face Job, "
            "launched a few at a time. Every row is checked before anything launches."
        </p>
        <div class="card">
            <h2>"Models"</h2>
            <div class="field">
                <label for="batch-paste">{format!("Model ids or model card URLs, one per line (up to {MAX_ROWS})")}</label>
                <textarea id="batch-paste" spellcheck="false" rows="4"
                    placeholder="Tongyi-MAI/Z-Image-Turbo\nhttps://huggingface.co/openai-community/gpt2"
                    prop:value=move || form.with(|f| f.paste.clone())
                    on:input=move |ev| form.update(|f| f.paste = event_target_value(&ev))></textarea>
                <div class="row">
                    <button type="button" id="batch-add" on:click=add_pasted>"Add these rows"</button>
                    {move || launch_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                </div>
            </div>
            <ModelSearchPanel form=form />
        </div>
        <div class="card">
            <h2>{move || match row_count() {
                0 => "Rows".to_string(),
                1 => "1 row".to_string(),
                n => format!("{n} rows"),
            }}</h2>
            {move || (row_count() == 0).then(|| view! {
                <p class="muted" data-testid="batch-empty">"No rows yet: paste model ids above, or add them from the search."</p>
            })}
            {move || (row_count() > 0).then(|| view! {
                <p class="muted small">"Each row: the model, then the name of the private Space it creates under your account."</p>
            })}
            <ol class="batch-rows" data-testid="batch-rows">
                <For each=move || 0..row_count() key=|i| *i let:i>
                    <RowEditor i=i form=form errors=row_errors pending=pending />
                </For>
            </ol>
            {move || (row_count() > 0).then(|| view! {
                <button type="button" class="link" id="batch-clear" on:click=move |_| {
                    let rows = form.try_update(|f| std::mem::take(&mut f.rows)).unwrap_or_default();
                    removed.set(Some(rows));
                }>"Remove every row"</button>
            })}
            {move || removed.with(|r| r.as_ref().map(Vec::len)).map(|n| view! {
                <p class="notice info" role="status" data-testid="batch-removed">
                    {format!("Removed {n} row{}. ", if n == 1 { "" } else { "s" })}
                    <button type="button" class="link" id="batch-undo" on:click=move |_| {
                        if let Some(rows) = removed.try_update(Option::take).flatten() {
                            form.update(|f| f.rows = rows);
                        }
                    }>"Undo"</button>
                </p>
            })}
        </div>
        <form class="card" on:submit=|ev| ev.prevent_default()>
            <h2>"Settings for every row"</h2>
            <BuildSettings form=settings errors=settings_errors />
            <CostEstimate estimate=estimate />
            <LaunchGate errors=problem_count
                account_error=Signal::derive(move || settings_errors.with(|e| e.get(&Field::Account).cloned()))
                checking=Signal::derive(move || !pending.with(Vec::is_empty)) />
            {move || { let confirm = confirm.clone(); confirming.get().then(move || {
                let n = row_count();
                let limit = jobspec::describe_seconds(u64::from(jobspec::time_limit_s(RunKind::Build, 0)));
                let worst = estimate.get().map(|e| format!(
                    "Worst case for the {n} (an estimate): {}, if every job ran its whole {limit} and every Space stayed on its dearest hardware until it slept.",
                    e.for_runs(n as u32)
                ));
                view! {
                    <div class="notice warn" role="alertdialog" data-testid="batch-confirm">
                        <p><strong>{format!("Launch {n} job{}?", if n == 1 { "" } else { "s" })}</strong></p>
                        <p>{format!(
                            "Each is a build on {JOB_FLAVOR} for at most {limit}, billed to your account; a Space left on a fixed GPU costs by the hour until it sleeps. They start {} at a time.",
                            sf_core::batch::CONCURRENCY
                        )}</p>
                        {worst.map(|w| view! { <p data-testid="batch-worst-case"><strong>{w}</strong></p> })}
                        <div class="row">
                            <button type="button" class="primary" id="batch-confirm" on:click=confirm>
                                {format!("Launch {n} build{}", if n == 1 { "" } else { "s" })}
                            </button>
                            <button type="button" on:click=move |_| confirming.set(false)>"Not now"</button>
                        </div>
                    </div>
                }
            })}}
            <div class="row">
                <button class="primary" type="submit" id="launch-batch"
                    disabled=move || !can_launch() || confirming.get()
                    on:click=move |_| confirming.set(true)>
                    {move || match row_count() {
                        0 => "Launch the batch".to_string(),
                        n => format!("Launch {n} build{}…", if n == 1 { "" } else { "s" }),
                    }}
                </button>
            </div>
        </form>
    }
}

fn context(user: &str) -> LaunchContext<'_> {
    LaunchContext {
        namespace: user,
        unix_seconds: 0,
        random: 0,
    }
}

/// One row: its model and Space name (editable), and what its checks say.
#[component]
fn RowEditor(
    i: usize,
    form: RwSignal<BatchForm>,
    errors: Memo<Vec<Vec<String>>>,
    pending: Memo<Vec<usize>>,
) -> impl IntoView {
    let read = move |f: fn(&BatchRow) -> String| {
        move || form.with(|b| b.rows.get(i).map(f).unwrap_or_default())
    };
    let write = move |f: fn(&mut BatchRow, String)| {
        move |ev: leptos::ev::Event| {
            let v = event_target_value(&ev);
            form.update(|b| {
                if let Some(r) = b.rows.get_mut(i) {
                    f(r, v);
                }
            });
        }
    };
    let check = move || {
        let errs = errors.with(|e| e.get(i).cloned().unwrap_or_default());
        if !errs.is_empty() {
            return errs
                .into_iter()
                .map(|e| view! { <p class="error" data-testid="row-error">{e}</p> })
                .collect_view()
                .into_any();
        }
        if pending.with(|p| p.contains(&i)) {
            view! { <p class="muted small">"Checking with Hugging Face…"</p> }.into_any()
        } else {
            view! { <p class="ok-text small" data-testid="row-ready">"✓ Ready"</p> }.into_any()
        }
    };
    let n = i + 1;
    view! {
        <li class="batch-row" data-row=n>
            <span class="row-number">{n}</span>
            <input type="text" class="row-model" spellcheck="false" autocomplete="off" placeholder="owner/model or card URL"
                aria-label=format!("Model of row {n}")
                prop:value=read(|r| r.model.clone())
                on:input=write(|r, v| r.model = v) />
            <input type="text" class="row-space" spellcheck="false" autocomplete="off" placeholder="Space name"
                aria-label=format!("Space name of row {n}")
                prop:value=read(|r| r.space_name.clone())
                on:input=write(|r, v| r.space_name = v) />
            <button type="button" class="row-remove" aria-label=format!("Remove row {n}")
                on:click=move |_| form.update(|b| { if i < b.rows.len() { b.rows.remove(i); } })>"Remove"</button>
            <div class="row-check">{check}</div>
        </li>
    }
}

/// A Hub search (task and order), each result addable as a row.
#[component]
fn ModelSearchPanel(form: RwSignal<BatchForm>) -> impl IntoView {
    let auth = use_auth();
    let text = RwSignal::new(String::new());
    let task = RwSignal::new(TASKS[0].to_string());
    let sort = RwSignal::new(ModelSort::Trending);
    let search = Action::new_local(move |q: &ModelSearch| batch::search_models(auth, q.clone()));
    let run = move || {
        search.dispatch_local(ModelSearch {
            search: text.get_untracked(),
            pipeline_tag: task.get_untracked(),
            sort: sort.get_untracked(),
            limit: 20,
        });
    };
    let results = move || {
        match search.value().get() {
        None => None,
        Some(Err(e)) => Some(view! { <p class="error" role="alert">{e}</p> }.into_any()),
        Some(Ok(list)) if list.is_empty() => Some(view! { <p class="muted">"No model matches."</p> }.into_any()),
        Some(Ok(list)) => Some(view! {
            <table class="runs" data-testid="search-results">
                <thead><tr><th>"Model"</th><th>"Task"</th><th>"Likes"</th><th></th></tr></thead>
                <tbody>
                    {list.into_iter().filter_map(|m| {
                        let id = m.model_id()?.to_string();
                        let add_id = id.clone();
                        let present = id.clone();
                        let marks = [
                            (m.gated != sf_hub::types::Gated::No).then_some("gated"),
                            (m.private == Some(true)).then_some("private"),
                        ];
                        Some(view! {
                            <tr>
                                <td><code>{id}</code>
                                    {marks.into_iter().flatten().map(|k| view! { <span class="badge neutral">{k}</span> }).collect_view()}
                                </td>
                                <td>{m.pipeline_tag.unwrap_or_else(|| "—".into())}</td>
                                <td>{m.likes.map(|l| format!("♥ {l}")).unwrap_or_default()}</td>
                                <td>
                                    <button type="button" class="add-model"
                                        disabled=move || form.with(|f| f.rows.len() >= MAX_ROWS || f.rows.iter().any(|r| r.model == present))
                                        on:click=move |_| { form.update(|f| { f.add_model(&add_id); }); }>
                                        "Add"
                                    </button>
                                </td>
                            </tr>
                        })
                    }).collect_view()}
                </tbody>
            </table>
        }.into_any()),
    }
    };
    view! {
        <details class="search" open>
            <summary>"…or add from a Hub search"</summary>
            <div class="row">
                <input type="search" id="search-text" placeholder="Name contains (optional)" aria-label="Name contains"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
                <select id="search-task" aria-label="Task" on:change=move |ev| task.set(event_target_value(&ev))>
                    {TASKS.into_iter().map(|t| view! { <option value=t selected=move || task.get() == t>{t}</option> }).collect_view()}
                </select>
                <select id="search-sort" aria-label="Order" on:change=move |ev| {
                    if let Some(s) = ModelSort::from_wire(&event_target_value(&ev)) { sort.set(s) }
                }>
                    {ModelSort::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=move || sort.get() == s>{s.label()}</option> }).collect_view()}
                </select>
                <button type="button" id="search-run" disabled=move || search.pending().get() || auth.session.with(Option::is_none)
                    on:click=move |_| run()>
                    {move || if search.pending().get() { "Searching…" } else { "Search" }}
                </button>
            </div>
            {results}
        </details>
    }
}
