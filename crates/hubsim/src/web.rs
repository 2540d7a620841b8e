//! Plain web pages at the Hub's page addresses, so the links Space Factory shows (a job, a Space,
//! its settings, a bucket folder) lead somewhere useful in the local run instead of a 404:
//! `GET /jobs/{ns}/{id}`, `/spaces/{ns}/{name}` (also `/settings`), `/buckets/{ns}/{name}` and
//! `/buckets/{ns}/{name}/tree/{path}`.
//!
//! They are minimal and for the person at this machine: like everything the simulator serves on
//! loopback, they show private Spaces, jobs and buckets without asking who you are (the Hub would
//! use your browser session). A Space page links to its running Gradio app directly.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::state::Sim;
use crate::util::{html_escape, safe_relative_path};

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/jobs/{ns}/{id}", get(job))
        .route("/spaces/{ns}/{name}", get(space))
        .route("/spaces/{ns}/{name}/settings", get(space))
        .route("/buckets/{ns}/{name}", get(bucket_root))
        .route("/buckets/{ns}/{name}/tree/{*path}", get(bucket_tree))
}

fn page(title: &str, body: String) -> Response {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · Hub simulator</title><style>\
         body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color-scheme:light dark}}\
         pre{{background:#8881;padding:.75rem;overflow:auto;max-height:32rem}}\
         dt{{font-weight:600}} .note{{color:#888}}</style></head><body>\
         <p class=\"note\">Local Hub simulator — this page stands in for huggingface.co.</p>\
         <h1>{t}</h1>{body}</body></html>",
        t = html_escape(title)
    ))
    .into_response()
}

fn missing(what: &str) -> Response {
    let mut r = page(
        "Not found",
        format!("<p>{} does not exist here.</p>", html_escape(what)),
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r
}

fn logs(lines: &[String], limit: usize) -> String {
    let start = lines.len().saturating_sub(limit);
    format!("<pre>{}</pre>", html_escape(&lines[start..].join("\n")))
}

async fn job(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, id)): UrlPath<(String, String)>,
) -> Response {
    let Some(job) = crate::jobs::summary(&sim, &ns, &id) else {
        return missing(&format!("The job {ns}/{id}"));
    };
    page(
        &format!("Job {id}"),
        format!(
            "<dl><dt>Owner</dt><dd>{ns}</dd><dt>Stage</dt><dd id=\"stage\">{stage}</dd>{message}</dl>\
             <h2>Logs</h2>{logs}",
            ns = html_escape(&ns),
            stage = html_escape(job.stage),
            message = job
                .message
                .map(|m| format!("<dt>Message</dt><dd>{}</dd>", html_escape(&m)))
                .unwrap_or_default(),
            logs = logs(&job.logs, 500),
        ),
    )
}

async fn space(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
) -> Response {
    let id = format!("{ns}/{name}");
    let Some(s) = crate::spaces::summary(&sim, &id) else {
        return missing(&format!("The Space {id}"));
    };
    let app = match s.app_port {
        Some(port) => format!(
            "<p><a id=\"app\" href=\"http://127.0.0.1:{port}/\">Open the running app</a> \
             (served directly on this machine)</p>"
        ),
        None => "<p>The app is not running.</p>".to_string(),
    };
    let opt = |v: &Option<String>| html_escape(v.as_deref().unwrap_or("—"));
    page(
        &format!("Space {id}"),
        format!(
            "{app}<dl><dt>Visibility</dt><dd>{vis}</dd><dt>SDK</dt><dd>{sdk}</dd>\
             <dt>Stage</dt><dd id=\"stage\">{stage}</dd>\
             <dt>Hardware requested</dt><dd>{req}</dd><dt>Hardware assigned</dt><dd>{cur}</dd>{err}</dl>\
             <p class=\"note\">Hardware is set through the API here (the Hub's settings page has a menu).</p>\
             <h2>Container logs</h2>{logs}",
            vis = if s.private { "private" } else { "public" },
            sdk = html_escape(&s.sdk),
            stage = s.stage,
            req = opt(&s.hardware_requested),
            cur = opt(&s.hardware_current),
            err = s
                .error
                .as_ref()
                .map(|e| format!("<dt>Error</dt><dd>{}</dd>", html_escape(e)))
                .unwrap_or_default(),
            logs = logs(&s.run_logs, 200),
        ),
    )
}

async fn bucket_root(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
) -> Response {
    bucket_page(&sim, &ns, &name, "")
}

async fn bucket_tree(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, path)): UrlPath<(String, String, String)>,
) -> Response {
    bucket_page(&sim, &ns, &name, &path)
}

fn bucket_page(sim: &Sim, ns: &str, name: &str, prefix: &str) -> Response {
    let id = format!("{ns}/{name}");
    if sim.buckets.get(&id).is_none() {
        return missing(&format!("The bucket {id}"));
    }
    let prefix = prefix.trim_matches('/');
    let root = sim.buckets.folder(ns, name);
    let folder = if prefix.is_empty() {
        root.clone()
    } else {
        match safe_relative_path(prefix) {
            Some(rel) => root.join(rel),
            None => return missing(&format!("The folder {prefix}")),
        }
    };
    let mut files = Vec::new();
    collect(&folder, &folder, &mut files);
    files.sort();
    let base = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let items = files
        .iter()
        .map(|f| {
            let path = format!("{base}{f}");
            format!(
                "<li><a href=\"/buckets/{ns}/{name}/resolve/{href}\">{text}</a></li>",
                ns = html_escape(ns),
                name = html_escape(name),
                href = html_escape(&path),
                text = html_escape(f),
            )
        })
        .collect::<String>();
    page(
        &format!("Bucket {id}/{prefix}"),
        if files.is_empty() {
            "<p>No files here.</p>".to_string()
        } else {
            format!("<ul id=\"files\">{items}</ul>")
        },
    )
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}
