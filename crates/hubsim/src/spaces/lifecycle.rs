//! How a Space's runtime stage moves: on a timer, or through a real app process
//! ([`runtime::run`]) with its proxy; the runtime, restart and log routes; the control API's
//! forced stages and log lines.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::store::{SpaceRecord, local_host, runs_locally};
use super::{Stage, proxy, readable, runtime, writable};
use crate::error::{ApiError, ApiResult};
use crate::state::{LogLine, Sim, lock};
use crate::util::{now_iso, space_subdomain};

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/spaces/{ns}/{name}/runtime", get(runtime))
        .route("/api/spaces/{ns}/{name}/restart", post(restart))
        .route("/api/spaces/{ns}/{name}/pause", post(pause))
        .route("/api/spaces/{ns}/{name}/logs/{kind}", get(logs))
}

/// Restarts the lifecycle of every Space found on disk at start-up.
pub(crate) fn resume_lifecycles(sim: &Arc<Sim>) {
    let ids: Vec<String> = lock(&sim.spaces.spaces).keys().cloned().collect();
    for id in ids {
        start_lifecycle(sim, &id, Lifecycle::Build);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// New files: BUILDING (or RUNNING_BUILDING while the previous version runs).
    Build,
    /// Hardware change or restart: APP_STARTING.
    Restart,
}

pub(super) fn log_line(data: impl Into<String>) -> LogLine {
    LogLine {
        data: data.into(),
        timestamp: now_iso(),
    }
}

pub(super) fn app_file(folder: &Path, sdk: &str) -> String {
    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
    if let Some(Value::String(f)) = crate::frontmatter::parse(&readme).get("app_file") {
        return f.clone();
    }
    match sdk {
        "static" => "index.html",
        "docker" => "Dockerfile",
        _ => "app.py",
    }
    .to_string()
}

/// Moves a Space to a transitional stage and, after `space_build_ms`, to RUNNING (or
/// NO_APP_FILE when its app file is missing). With a Space Python configured, a Gradio Space is
/// instead built and started for real by [`runtime::run`]: the previous app stops at once.
pub(super) fn start_lifecycle(sim: &Arc<Sim>, id: &str, kind: Lifecycle) {
    let (generation, local) = {
        let mut spaces = lock(&sim.spaces.spaces);
        let Some(s) = spaces.get_mut(id) else {
            return;
        };
        s.generation += 1;
        s.error_message = None;
        let local = runs_locally(sim, s);
        if local {
            runtime::stop_app(s);
            if s.proxy_port.is_none() {
                match proxy::start(sim, id) {
                    Ok(port) => s.proxy_port = Some(port),
                    Err(e) => tracing::error!("could not start the proxy of Space {id}: {e}"),
                }
            }
        }
        let was_running = s.stage == Stage::Running && !local;
        s.stage = match (kind, was_running) {
            (Lifecycle::Build, true) => Stage::RunningBuilding,
            (Lifecycle::Build, false) => Stage::Building,
            (Lifecycle::Restart, _) => Stage::AppStarting,
        };
        if kind == Lifecycle::Build {
            s.build_logs.push(log_line(format!(
                "===== Build Queued at {} / Commit SHA: {} =====",
                now_iso(),
                &s.sha[..7]
            )));
        }
        s.touch();
        (s.generation, local)
    };
    let unfilled = lock(&sim.spaces.spaces)
        .get(id)
        .and_then(|s| s.meta.hardware_requested.clone())
        .is_some_and(|f| sim.cfg.unfilled_hardware.contains(&f));
    if unfilled {
        // Waits for hardware that never comes: the stage stays transitional, nothing runs.
        return;
    }
    let sim = sim.clone();
    let id = id.to_string();
    if local {
        tokio::spawn(runtime::run(sim, id, generation, kind));
        return;
    }
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(sim.cfg.space_build_ms)).await;
        let (ns, name) = id.split_once('/').unwrap_or((&id, ""));
        let folder = sim.spaces.folder(ns, name);
        let mut spaces = lock(&sim.spaces.spaces);
        let Some(s) = spaces.get_mut(&id) else {
            return;
        };
        if s.generation != generation {
            return;
        }
        let app = app_file(&folder, &s.meta.sdk);
        if !folder.join(&app).is_file() {
            s.stage = Stage::NoAppFile;
            s.error_message = Some(format!("The app file '{app}' is missing."));
            s.build_logs.push(log_line(format!(
                "No application file: add '{app}' to the Space."
            )));
            s.touch();
            return;
        }
        if kind == Lifecycle::Build {
            s.build_logs
                .push(log_line("Successfully built the Space image."));
        }
        s.hardware_current = Some(
            s.meta
                .hardware_requested
                .clone()
                .unwrap_or_else(|| "cpu-basic".to_string()),
        );
        s.stage = Stage::Running;
        s.run_logs.push(log_line(format!(
            "===== Application Startup at {} =====",
            now_iso()
        )));
        s.run_logs
            .push(log_line("Running on local URL:  http://0.0.0.0:7860"));
        s.touch();
    });
}

pub(super) fn runtime_json(id: &str, s: &SpaceRecord) -> Value {
    let (ns, name) = id.split_once('/').unwrap_or((id, ""));
    let requested = s
        .meta
        .hardware_requested
        .clone()
        .or_else(|| Some("cpu-basic".to_string()));
    let mut v = json!({
        "stage": s.stage,
        "hardware": {
            "current": s.hardware_current,
            "requested": requested,
            "currentPrettyName": s.hardware_current.as_deref().and_then(crate::hardware::pretty_name),
            "requestedPrettyName": requested.as_deref().and_then(crate::hardware::pretty_name),
        },
        "errorMessage": s.error_message,
        "gcTimeout": s.meta.sleep_time.unwrap_or(172_800),
        "replicas": { "current": 1, "requested": 1 },
        "devMode": false,
        "domains": [{ "domain": format!("{}.hf.space", space_subdomain(ns, name)), "stage": "READY" }],
        "sdk": s.meta.sdk,
        "storage": null,
    });
    if s.meta.sdk == "static" {
        v["hardware"]["current"] = Value::Null;
    }
    if let Some(host) = local_host(s) {
        // Not in the Hub's runtime: where the locally running app answers.
        v["host"] = json!(host);
    }
    v
}

async fn runtime(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let id = readable(&sim, caller.as_ref(), &ns, &name)?;
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

/// The refusal configured for a settings call, as the Hub words a 401/403.
fn settings_refusal(sim: &Sim, action: &str) -> ApiResult<()> {
    match sim.cfg.settings_refusals.get(action) {
        Some(401) => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            format!("Invalid credentials: this token cannot {action} Spaces."),
        )),
        Some(status) => Err(ApiError::new(
            axum::http::StatusCode::from_u16(*status).unwrap_or(axum::http::StatusCode::FORBIDDEN),
            format!("You don't have the rights to {action} this Space."),
        )),
        None => Ok(()),
    }
}

/// `POST /api/spaces/{id}/pause`: the app stops (its process is killed), the stage is PAUSED
/// and no hardware runs until a restart.
async fn pause(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    settings_refusal(&sim, "pause")?;
    let mut spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get_mut(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    // A new generation: a build or start still under way for the old one gives up.
    s.generation += 1;
    runtime::stop_app(s);
    s.stage = Stage::Paused;
    s.hardware_current = None;
    s.touch();
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

async fn restart(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    settings_refusal(&sim, "restart")?;
    start_lifecycle(&sim, &id, Lifecycle::Restart);
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

async fn logs(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, kind)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let id = readable(&sim, caller.as_ref(), &ns, &name)?;
    let build = match kind.as_str() {
        "build" => true,
        "run" => false,
        _ => return Err(ApiError::not_found("Logs are 'build' or 'run'.")),
    };
    let changes = lock(&sim.spaces.spaces)
        .get(&id)
        .map(|s| s.changed.subscribe())
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    let store = sim.clone();
    Ok(crate::sse::stream_log(
        &sim,
        changes,
        None,
        Box::new(move |from| {
            let spaces = lock(&store.spaces.spaces);
            let s = spaces.get(&id)?;
            let lines = if build { &s.build_logs } else { &s.run_logs };
            Some((
                lines.get(from..).unwrap_or_default().to_vec(),
                !s.stage.is_transitional(),
            ))
        }),
    ))
}

/// Forces a Space's runtime stage (control API), stopping any pending transition.
pub(crate) fn force_stage(sim: &Sim, id: &str, stage: Stage, error: Option<String>) -> bool {
    let mut spaces = lock(&sim.spaces.spaces);
    let Some(s) = spaces.get_mut(id) else {
        return false;
    };
    s.generation += 1;
    if stage != Stage::Running {
        runtime::stop_app(s);
    }
    s.stage = stage;
    s.error_message = error;
    s.touch();
    true
}

/// Lines of a Space's logs (control API), e.g. to simulate a runtime error message.
pub(crate) fn append_log(sim: &Sim, id: &str, build: bool, line: &str) -> bool {
    let mut spaces = lock(&sim.spaces.spaces);
    let Some(s) = spaces.get_mut(id) else {
        return false;
    };
    if build {
        s.build_logs.push(log_line(line));
    } else {
        s.run_logs.push(log_line(line));
    }
    s.touch();
    true
}
