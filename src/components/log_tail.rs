//! The job's live log tail.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use leptos::html::Pre;
use leptos::prelude::*;

use crate::auth::use_auth;
use crate::run_data;

/// At most this many lines are kept on screen.
const MAX_LINES: usize = 2000;

/// A live tail of the job's logs over the Hub's SSE stream (redacted). It follows the bottom
/// unless the person scrolls up, and stops when the job has ended.
#[component]
pub fn LogTail(namespace: String, job_id: String) -> impl IntoView {
    let auth = use_auth();
    let lines = RwSignal::new(Vec::<String>::new());
    let ended = RwSignal::new(None::<String>);
    let follow = RwSignal::new(true);
    let alive = Arc::new(AtomicBool::new(true));
    let pre = NodeRef::<Pre>::new();

    {
        let alive = alive.clone();
        let redactor = auth.redactor();
        leptos::task::spawn_local(async move {
            let mut stream = match run_data::job_logs(&auth, &namespace, &job_id) {
                Ok(s) => s,
                Err(e) => return ended.set(Some(e)),
            };
            while let Some(item) = stream.next().await {
                if !alive.load(Ordering::Relaxed) {
                    return;
                }
                match item {
                    Ok(line) => lines.update(|l| {
                        l.push(redactor.redact(&line.text));
                        if l.len() > MAX_LINES {
                            l.drain(..l.len() - MAX_LINES);
                        }
                    }),
                    Err(e) => return ended.set(Some(auth.explain(&e))),
                }
            }
            if alive.load(Ordering::Relaxed) {
                ended.set(Some("The job has ended; these are all its logs.".into()));
            }
        });
    }
    on_cleanup(move || alive.store(false, Ordering::Relaxed));

    // Keep the newest line in view while following.
    Effect::new(move |_| {
        lines.track();
        if follow.get_untracked()
            && let Some(el) = pre.get()
        {
            el.set_scroll_top(el.scroll_height());
        }
    });
    let on_scroll = move |_| {
        if let Some(el) = pre.get() {
            follow.set(el.scroll_top() + el.client_height() >= el.scroll_height() - 24);
        }
    };

    view! {
        <section class="card">
            <h2>"Job logs"</h2>
            <pre class="logs" node_ref=pre on:scroll=on_scroll data-testid="job-logs">
                {move || {
                    if lines.with(Vec::is_empty) {
                        "Waiting for the job's first log line…".to_string()
                    } else {
                        lines.with(|l| l.join("\n"))
                    }
                }}
            </pre>
            <p class="muted small">
                {move || ended.get().unwrap_or_else(|| {
                    if follow.get() { "Live; following the newest lines.".into() } else { "Live; scroll to the bottom to follow again.".into() }
                })}
            </p>
        </section>
    }
}
