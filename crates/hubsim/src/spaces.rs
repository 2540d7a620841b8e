//! Spaces: creation (`POST /api/repos/create`), info, files, commits, runtime stages (on a timer,
//! or a real Gradio process, see `runtime` and `proxy`),
//! hardware requests with a refusal policy, secrets, variables and build/run logs.
//!
//! Files live in `data_dir/spaces/{ns}/{name}/`, settings in `data_dir/space-meta/{ns}/{name}.json`.
//! Secrets are kept in memory only, never written to disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use crate::error::{ApiError, ApiResult};
use crate::state::{Caller, LogLine, READ_SCOPES, Sim, WRITE_SCOPES, lock};
use crate::util::{
    MetaDir, now_iso, random_hex, safe_relative_path, space_subdomain, valid_repo_name,
};

mod proxy;
mod runtime;

pub(crate) use runtime::{kill_all, wait_for_apps};

const SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];
/// Stages during which the runtime is still moving (as `huggingface_hub` counts them).
const TRANSITIONAL: &[&str] = &[
    "BUILDING",
    "RUNNING_BUILDING",
    "APP_STARTING",
    "RUNNING_APP_STARTING",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpaceMeta {
    object_id: String,
    sdk: String,
    private: bool,
    created_at: String,
    hardware_requested: Option<String>,
    sleep_time: Option<u64>,
    variables: BTreeMap<String, KeyValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyValue {
    value: String,
    description: Option<String>,
    updated_at: String,
}

struct SpaceRecord {
    meta: SpaceMeta,
    sha: String,
    last_modified: String,
    stage: String,
    hardware_current: Option<String>,
    error_message: Option<String>,
    secrets: BTreeMap<String, KeyValue>,
    build_logs: Vec<LogLine>,
    run_logs: Vec<LogLine>,
    /// Bumped at every lifecycle start, so a stale timer does nothing.
    generation: u64,
    changed: Arc<watch::Sender<u64>>,
    /// The app process while one runs (only with `SimConfig::run_spaces_with`).
    app: Option<AppProcess>,
    /// The Space's local proxy port, bound at its first start and kept for its lifetime, so its
    /// `host` stays the same across restarts (only with `SimConfig::run_spaces_with`).
    proxy_port: Option<u16>,
}

/// A Space app running as a local process.
#[derive(Debug, Clone, Copy)]
struct AppProcess {
    /// Its process group (the app is the group leader).
    pgid: i32,
    pid: u32,
    /// The port Gradio listens on (`GRADIO_SERVER_PORT`).
    port: u16,
}

impl SpaceRecord {
    fn touch(&self) {
        self.changed.send_modify(|v| *v += 1);
    }
}

pub(crate) struct SpaceStore {
    files_root: PathBuf,
    meta_root: MetaDir,
    spaces: Mutex<BTreeMap<String, SpaceRecord>>,
    /// How many Space app processes are running or not yet reaped.
    live_apps: Arc<watch::Sender<usize>>,
}

impl SpaceStore {
    /// Reads the Spaces a previous run left in `data_dir`; they start again from BUILDING.
    pub fn load(data_dir: &Path) -> std::io::Result<SpaceStore> {
        let files_root = data_dir.join("spaces");
        let meta_root = MetaDir::open(data_dir.join("space-meta"))?;
        std::fs::create_dir_all(&files_root)?;
        let spaces = meta_root
            .load::<SpaceMeta>()?
            .into_iter()
            .map(|(id, meta)| (id, new_record(meta)))
            .collect();
        Ok(SpaceStore {
            files_root,
            meta_root,
            spaces: Mutex::new(spaces),
            live_apps: Arc::new(watch::channel(0).0),
        })
    }

    pub fn folder(&self, ns: &str, name: &str) -> PathBuf {
        self.files_root.join(ns).join(name)
    }

    /// Whether the Space exists and `user` may read it.
    pub fn readable_by(&self, id: &str, user: Option<&str>) -> bool {
        let owner = id.split('/').next().unwrap_or("");
        lock(&self.spaces)
            .get(id)
            .is_some_and(|s| !s.meta.private || user == Some(owner))
    }

    fn save_meta(&self, id: &str, meta: &SpaceMeta) -> std::io::Result<()> {
        self.meta_root.save(id, meta)
    }
}

fn new_record(meta: SpaceMeta) -> SpaceRecord {
    SpaceRecord {
        meta,
        sha: random_hex(40),
        last_modified: now_iso(),
        stage: "BUILDING".to_string(),
        hardware_current: None,
        error_message: None,
        secrets: BTreeMap::new(),
        build_logs: Vec::new(),
        run_logs: Vec::new(),
        generation: 0,
        changed: Arc::new(watch::channel(0).0),
        app: None,
        proxy_port: None,
    }
}

/// What [`crate::HubSim::space_app`] reports about a running Space app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceApp {
    /// Process id of `python app.py` (also its process group id).
    pub pid: u32,
    /// The port Gradio listens on, behind the proxy.
    pub app_port: u16,
    /// `http://127.0.0.1:<proxy port>`, as `host` in the Space info.
    pub host: String,
}

pub(crate) fn space_app(sim: &Sim, id: &str) -> Option<SpaceApp> {
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces.get(id)?;
    let app = s.app?;
    Some(SpaceApp {
        pid: app.pid,
        app_port: app.port,
        host: local_host(s)?,
    })
}

/// The Space's local address, once it has a proxy.
fn local_host(s: &SpaceRecord) -> Option<String> {
    s.proxy_port.map(|p| format!("http://127.0.0.1:{p}"))
}

/// Whether this Space runs as a local process: a Gradio Space, with a Space Python configured.
fn runs_locally(sim: &Sim, s: &SpaceRecord) -> bool {
    sim.cfg.run_spaces_with.is_some() && s.meta.sdk == "gradio"
}

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/repos/create", post(create))
        .route("/api/validate-yaml", post(validate_yaml))
        .route("/api/spaces/hardware", get(hardware))
        .route("/api/spaces/{ns}/{name}", get(info))
        .route("/api/spaces/{ns}/{name}/runtime", get(runtime))
        .route("/api/spaces/{ns}/{name}/hardware", post(request_hardware))
        .route("/api/spaces/{ns}/{name}/restart", post(restart))
        // A commit carries its files inline (base64): allow a release folder with its worker.
        .route(
            "/api/spaces/{ns}/{name}/commit/{rev}",
            post(commit).layer(axum::extract::DefaultBodyLimit::max(256 << 20)),
        )
        .route("/api/spaces/{ns}/{name}/preupload/{rev}", post(preupload))
        .route("/api/spaces/{ns}/{name}/logs/{kind}", get(logs))
        .route(
            "/api/spaces/{ns}/{name}/secrets",
            get(list_secrets).post(upsert_secret).delete(delete_secret),
        )
        .route(
            "/api/spaces/{ns}/{name}/variables",
            get(list_variables)
                .post(upsert_variable)
                .delete(delete_variable),
        )
        .route("/spaces/{ns}/{name}/resolve/{rev}/{*path}", get(resolve))
}

async fn hardware() -> Response {
    axum::Json(crate::hardware::space_flavors()).into_response()
}

/// Restarts the lifecycle of every Space found on disk at start-up.
pub(crate) fn resume_lifecycles(sim: &Arc<Sim>) {
    let ids: Vec<String> = lock(&sim.spaces.spaces).keys().cloned().collect();
    for id in ids {
        start_lifecycle(sim, &id, Lifecycle::Build);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifecycle {
    /// New files: BUILDING (or RUNNING_BUILDING while the previous version runs).
    Build,
    /// Hardware change or restart: APP_STARTING.
    Restart,
}

fn log_line(data: impl Into<String>) -> LogLine {
    LogLine {
        data: data.into(),
        timestamp: now_iso(),
    }
}

fn app_file(folder: &Path, sdk: &str) -> String {
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
fn start_lifecycle(sim: &Arc<Sim>, id: &str, kind: Lifecycle) {
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
        let was_running = s.stage == "RUNNING" && !local;
        s.stage = match (kind, was_running) {
            (Lifecycle::Build, true) => "RUNNING_BUILDING",
            (Lifecycle::Build, false) => "BUILDING",
            (Lifecycle::Restart, _) => "APP_STARTING",
        }
        .to_string();
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
            s.stage = "NO_APP_FILE".to_string();
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
        s.stage = "RUNNING".to_string();
        s.run_logs.push(log_line(format!(
            "===== Application Startup at {} =====",
            now_iso()
        )));
        s.run_logs
            .push(log_line("Running on local URL:  http://0.0.0.0:7860"));
        s.touch();
    });
}

/// The Space if the caller may read it; 404 `RepoNotFound` otherwise.
fn readable(sim: &Sim, caller: Option<&Caller>, ns: &str, name: &str) -> ApiResult<String> {
    let id = format!("{ns}/{name}");
    let private = lock(&sim.spaces.spaces)
        .get(&id)
        .map(|s| s.meta.private)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    if private && !caller.is_some_and(|c| c.user == ns && c.has_any(READ_SCOPES)) {
        return Err(ApiError::repo_not_found("Repository", &id));
    }
    Ok(id)
}

/// The Space if the caller may change it.
fn writable(sim: &Sim, headers: &HeaderMap, ns: &str, name: &str) -> ApiResult<String> {
    let caller = sim.require_caller(headers)?;
    let id = readable(sim, Some(&caller), ns, name)?;
    if caller.user != ns {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to change the Space '{id}'."
        )));
    }
    caller.require_any(WRITE_SCOPES, "change Spaces")?;
    Ok(id)
}

fn runtime_json(id: &str, s: &SpaceRecord) -> Value {
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

fn list_files(folder: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(folder.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let Some(name) = e.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let child = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if e.path().is_dir() {
                stack.push((e.path(), child));
            } else {
                out.push(child);
            }
        }
    }
    out.sort();
    out
}

async fn info(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let id = readable(&sim, caller.as_ref(), &ns, &name)?;
    let folder = sim.spaces.folder(&ns, &name);
    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
    let card = crate::frontmatter::parse(&readme);
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    let subdomain = space_subdomain(&ns, &name);
    let host = local_host(s).unwrap_or_else(|| format!("https://{subdomain}.hf.space"));
    Ok(axum::Json(json!({
        "_id": s.meta.object_id,
        "id": id,
        "author": ns,
        "sha": s.sha,
        "lastModified": s.last_modified,
        "createdAt": s.meta.created_at,
        "private": s.meta.private,
        "gated": false,
        "disabled": false,
        "likes": 0,
        "sdk": s.meta.sdk,
        "tags": [s.meta.sdk.clone(), "region:us".to_string()],
        "subdomain": subdomain,
        "host": host,
        "runtime": runtime_json(&id, s),
        "cardData": Value::Object(card),
        "siblings": list_files(&folder).into_iter().map(|f| json!({ "rfilename": f })).collect::<Vec<_>>(),
        "models": [],
        "datasets": [],
    }))
    .into_response())
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

fn refusal(sim: &Sim, flavor: &str) -> Option<ApiError> {
    lock(&sim.hardware_refusals).get(flavor).map(|r| {
        ApiError::new(
            StatusCode::from_u16(r.status).unwrap_or(StatusCode::FORBIDDEN),
            r.message.clone(),
        )
    })
}

/// The Hub's 409 for an existing repository carries its URL; `huggingface_hub` reads it with
/// `exist_ok=True`.
fn space_exists(sim: &Sim, id: &str) -> ApiError {
    let message = "You already created this space repo";
    ApiError::conflict(message).with_body(json!({
        "error": message,
        "url": format!("{}/spaces/{id}", sim.public_url),
    }))
}

fn default_readme(name: &str, sdk: &str) -> String {
    format!(
        "---\ntitle: {name}\nemoji: 🚀\ncolorFrom: blue\ncolorTo: gray\nsdk: {sdk}\npinned: false\n---\n\nCheck out the configuration reference at https://huggingface.co/docs/hub/spaces-config-reference\n"
    )
}

fn write_files(folder: &Path, files: &[(String, Vec<u8>)]) -> ApiResult<()> {
    for (path, bytes) in files {
        let target = folder.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Could not write {path}: {e}"),
                )
            })?;
        }
        std::fs::write(&target, bytes).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Could not write {path}: {e}"),
            )
        })?;
    }
    Ok(())
}

/// Decodes a `{path, content, encoding}` file entry.
fn decode_file(v: &Value) -> ApiResult<(String, Vec<u8>)> {
    let path = v
        .get("path")
        .and_then(Value::as_str)
        .and_then(safe_relative_path)
        .ok_or_else(|| ApiError::bad_request("Each file needs a valid relative 'path'."))?;
    let content = v.get("content").and_then(Value::as_str).unwrap_or("");
    let bytes = match v.get("encoding").and_then(Value::as_str).unwrap_or("utf-8") {
        "base64" => STANDARD.decode(content).map_err(|e| {
            ApiError::bad_request(format!("The content of '{path}' is not valid base64: {e}"))
        })?,
        "utf-8" | "utf8" => content.as_bytes().to_vec(),
        other => {
            return Err(ApiError::bad_request(format!(
                "Unknown encoding '{other}' for '{path}': use base64 or utf-8."
            )));
        }
    };
    Ok((path, bytes))
}

fn key_values(v: Option<&Value>) -> ApiResult<BTreeMap<String, KeyValue>> {
    let mut out = BTreeMap::new();
    for item in v.and_then(Value::as_array).cloned().unwrap_or_default() {
        let key = item
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("Each secret and variable needs a 'key'."))?;
        out.insert(
            key.to_string(),
            KeyValue {
                value: item
                    .get("value")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                description: item
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                updated_at: now_iso(),
            },
        );
    }
    Ok(out)
}

async fn create(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    let body: Map<String, Value> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    let repo_type = text("type").unwrap_or_else(|| "model".to_string());
    if repo_type != "space" {
        return Err(ApiError::bad_request(format!(
            "The Hub simulator creates Spaces only (type 'space'), not '{repo_type}' repositories."
        )));
    }
    let name = text("name").unwrap_or_default();
    let ns = text("organization").unwrap_or_else(|| caller.user.clone());
    if ns != caller.user {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to create a Space under the namespace '{ns}'."
        )));
    }
    caller.require_any(
        &["manage-repos", "contribute-repos", "write-repos"],
        "create repositories",
    )?;
    if !valid_repo_name(&name) {
        return Err(ApiError::bad_request(format!(
            "Invalid Space name '{name}': use letters, digits, '-', '_' and '.', at most 96 characters."
        )));
    }
    let sdk = text("sdk").unwrap_or_default();
    if !SDKS.contains(&sdk.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Invalid sdk '{sdk}': use one of gradio, streamlit, docker, static."
        )));
    }
    let private = match text("visibility").as_deref() {
        Some("private") | Some("protected") => true,
        Some("public") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid visibility '{other}'."
            )));
        }
        None => body
            .get("private")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    let hardware = text("hardware");
    if let Some(h) = &hardware {
        if !crate::hardware::is_space_flavor(h) {
            return Err(ApiError::bad_request(format!(
                "Unknown hardware '{h}': see GET /api/spaces/hardware."
            )));
        }
        if let Some(refused) = refusal(&sim, h) {
            return Err(refused);
        }
    }
    let id = format!("{ns}/{name}");
    if lock(&sim.spaces.spaces).contains_key(&id) {
        return Err(space_exists(&sim, &id));
    }
    let is_pro = sim.user(&caller.user).is_some_and(|u| u.is_pro);
    if !is_pro && (sdk == "gradio" || sdk == "docker") {
        return Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            "Gradio and Docker Spaces need a PRO, Team or Enterprise plan: upgrade your account or create a static Space.",
        ));
    }
    let mut files = body
        .get("files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(decode_file)
        .collect::<ApiResult<Vec<_>>>()?;
    if !files.iter().any(|(p, _)| p == "README.md") {
        files.push((
            "README.md".to_string(),
            default_readme(&name, &sdk).into_bytes(),
        ));
    }
    if !files.iter().any(|(p, _)| p == ".gitattributes") {
        files.push((
            ".gitattributes".to_string(),
            b"*.bin filter=lfs diff=lfs merge=lfs -text\n".to_vec(),
        ));
    }
    let folder = sim.spaces.folder(&ns, &name);
    write_files(&folder, &files)?;
    let meta = SpaceMeta {
        object_id: random_hex(24),
        sdk,
        private,
        created_at: now_iso(),
        hardware_requested: hardware,
        sleep_time: body.get("sleepTimeSeconds").and_then(Value::as_u64),
        variables: key_values(body.get("variables"))?,
    };
    let mut record = new_record(meta.clone());
    record.secrets = key_values(body.get("secrets"))?;
    {
        let mut spaces = lock(&sim.spaces.spaces);
        if spaces.contains_key(&id) {
            return Err(space_exists(&sim, &id));
        }
        spaces.insert(id.clone(), record);
    }
    sim.spaces.save_meta(&id, &meta).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not save the Space settings: {e}"),
        )
    })?;
    start_lifecycle(&sim, &id, Lifecycle::Build);
    Ok(axum::Json(json!({
        "url": format!("{}/spaces/{id}", sim.public_url),
        "name": id,
        "id": meta.object_id,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HardwareBody {
    flavor: String,
    sleep_time_seconds: Option<u64>,
}

async fn request_hardware(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let body: HardwareBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid hardware request: {e}")))?;
    if !crate::hardware::is_space_flavor(&body.flavor) {
        return Err(ApiError::bad_request(format!(
            "Unknown hardware '{}': see GET /api/spaces/hardware.",
            body.flavor
        )));
    }
    if let Some(refused) = refusal(&sim, &body.flavor) {
        return Err(refused);
    }
    let meta = {
        let mut spaces = lock(&sim.spaces.spaces);
        let s = spaces
            .get_mut(&id)
            .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
        s.meta.hardware_requested = Some(body.flavor.clone());
        if let Some(t) = body.sleep_time_seconds {
            s.meta.sleep_time = Some(t);
        }
        s.meta.clone()
    };
    let _ = sim.spaces.save_meta(&id, &meta);
    start_lifecycle(&sim, &id, Lifecycle::Restart);
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

async fn restart(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    start_lifecycle(&sim, &id, Lifecycle::Restart);
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
    Ok(axum::Json(runtime_json(&id, s)).into_response())
}

enum Operation {
    Write(String, Vec<u8>),
    DeleteFile(String),
    DeleteFolder(String),
}

fn parse_commit(body: &[u8]) -> ApiResult<(String, Vec<Operation>)> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The commit body must be UTF-8 NDJSON."))?;
    let mut summary = None;
    let mut ops = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: Value = serde_json::from_str(line).map_err(|e| {
            ApiError::bad_request(format!("Line {} of the commit is not JSON: {e}", i + 1))
        })?;
        let key = v.get("key").and_then(Value::as_str).unwrap_or("");
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        let path = || {
            value
                .get("path")
                .and_then(Value::as_str)
                .and_then(safe_relative_path)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Line {} needs a valid 'path'.", i + 1))
                })
        };
        match key {
            "header" => {
                summary = Some(
                    value
                        .get("summary")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                );
            }
            "file" => {
                let (p, bytes) = decode_file(&value)?;
                ops.push(Operation::Write(p, bytes));
            }
            "deletedFile" => ops.push(Operation::DeleteFile(path()?)),
            "deletedFolder" => ops.push(Operation::DeleteFolder(path()?)),
            "lfsFile" => {
                return Err(ApiError::bad_request(
                    "LFS files are not supported by the Hub simulator: send the file inline (base64) instead.",
                ));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Line {}: unknown commit operation '{other}'.",
                    i + 1
                )));
            }
        }
    }
    let summary = summary.ok_or_else(|| {
        ApiError::bad_request(
            "The commit must start with a header line ({\"key\":\"header\",...}).",
        )
    })?;
    Ok((summary, ops))
}

async fn commit(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, rev)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    if rev != "main" {
        return Err(
            ApiError::not_found(format!("Revision not found: {rev}")).with_code("RevisionNotFound")
        );
    }
    let (summary, ops) = parse_commit(&body)?;
    let folder = sim.spaces.folder(&ns, &name);
    for op in &ops {
        if let Operation::DeleteFile(p) = op
            && !folder.join(p).is_file()
        {
            return Err(ApiError::entry_not_found(p));
        }
    }
    for op in ops {
        match op {
            Operation::Write(p, bytes) => write_files(&folder, &[(p, bytes)])?,
            Operation::DeleteFile(p) => {
                let _ = std::fs::remove_file(folder.join(p));
            }
            Operation::DeleteFolder(p) => {
                let _ = std::fs::remove_dir_all(folder.join(p));
            }
        }
    }
    let oid = random_hex(40);
    {
        let mut spaces = lock(&sim.spaces.spaces);
        if let Some(s) = spaces.get_mut(&id) {
            s.sha = oid.clone();
            s.last_modified = now_iso();
            s.build_logs
                .push(log_line(format!("Commit {}: {summary}", &oid[..7])));
        }
    }
    start_lifecycle(&sim, &id, Lifecycle::Build);
    Ok(axum::Json(json!({
        "commitOid": oid,
        "commitUrl": format!("{}/spaces/{id}/commit/{oid}", sim.public_url),
        "hookOutput": "",
        "success": true,
    }))
    .into_response())
}

/// `POST /api/validate-yaml` (`{"content": README, "repoType": "space"}`), which
/// `huggingface_hub` calls before uploading a README: for a Space, the front matter needs a
/// known `sdk`, and `hf_oauth_scopes` may only name scopes the Hub knows. 400 with
/// `{"errors": [{"message"}]}` otherwise; `{"errors": [], "warnings": []}` when it is fine.
async fn validate_yaml(body: Bytes) -> ApiResult<Response> {
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let repo_type = body
        .get("repoType")
        .and_then(Value::as_str)
        .unwrap_or("model");
    let meta = crate::frontmatter::parse(content);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if meta.is_empty() {
        warnings.push(json!({"message": "Empty or missing yaml metadata in repo card"}));
    }
    if repo_type == "space" && !meta.is_empty() {
        match meta.get("sdk").and_then(Value::as_str) {
            Some(sdk) if SDKS.contains(&sdk) => {}
            Some(sdk) => errors.push(json!({"message": format!("\"sdk\" must be one of [{}], got \"{sdk}\"", SDKS.join(", "))})),
            None => errors.push(json!({"message": "\"sdk\" is required"})),
        }
        if let Some(Value::Array(scopes)) = meta.get("hf_oauth_scopes") {
            for scope in scopes {
                let known = scope
                    .as_str()
                    .is_some_and(|s| crate::state::ALL_SCOPES.contains(&s));
                if !known {
                    errors.push(json!({"message": format!("\"hf_oauth_scopes\" contains an unknown scope: {scope}")}));
                }
            }
        }
    }
    let answer = json!({"errors": errors, "warnings": warnings});
    if errors.is_empty() {
        Ok(axum::Json(answer).into_response())
    } else {
        Ok((StatusCode::BAD_REQUEST, axum::Json(answer)).into_response())
    }
}

async fn preupload(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, _rev)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))?;
    let files: Vec<Value> = body
        .get("files")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            json!({
                "path": f.get("path").cloned().unwrap_or(Value::Null),
                "uploadMode": "regular",
                "shouldIgnore": false,
            })
        })
        .collect();
    let sha = lock(&sim.spaces.spaces)
        .get(&id)
        .map(|s| s.sha.clone())
        .unwrap_or_default();
    Ok(axum::Json(json!({ "files": files, "commitOid": sha })).into_response())
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
                !TRANSITIONAL.contains(&s.stage.as_str()),
            ))
        }),
    ))
}

async fn resolve(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, rev, path)): UrlPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    readable(&sim, caller.as_ref(), &ns, &name)?;
    if rev != "main" {
        return Err(
            ApiError::not_found(format!("Revision not found: {rev}")).with_code("RevisionNotFound")
        );
    }
    let rel = safe_relative_path(&path).ok_or_else(|| ApiError::entry_not_found(&path))?;
    let bytes = std::fs::read(sim.spaces.folder(&ns, &name).join(&rel))
        .map_err(|_| ApiError::entry_not_found(&rel))?;
    let commit = lock(&sim.spaces.spaces)
        .get(&format!("{ns}/{name}"))
        .map(|s| s.sha.clone())
        .unwrap_or_default();
    Ok(crate::buckets::serve_file(
        bytes,
        &rel,
        &headers,
        crate::buckets::FileSource::Repo { commit: &commit },
    ))
}

// ----- secrets and variables -----

#[derive(Deserialize)]
struct KeyBody {
    key: String,
    value: Option<String>,
    description: Option<String>,
}

fn parse_key_body(body: &[u8]) -> ApiResult<KeyBody> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("Invalid body: {e}")))
}

async fn list_secrets(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let spaces = lock(&sim.spaces.spaces);
    let out: Map<String, Value> = spaces
        .get(&id)
        .map(|s| {
            s.secrets
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        json!({ "description": v.description, "updatedAt": v.updated_at }),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(axum::Json(out).into_response())
}

async fn upsert_secret(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let b = parse_key_body(&body)?;
    if let Some(s) = lock(&sim.spaces.spaces).get_mut(&id) {
        s.secrets.insert(
            b.key,
            KeyValue {
                value: b.value.unwrap_or_default(),
                description: b.description,
                updated_at: now_iso(),
            },
        );
    }
    restart_after_settings_change(&sim, &id);
    Ok(StatusCode::OK.into_response())
}

async fn delete_secret(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let b = parse_key_body(&body)?;
    if let Some(s) = lock(&sim.spaces.spaces).get_mut(&id) {
        s.secrets.remove(&b.key);
    }
    restart_after_settings_change(&sim, &id);
    Ok(StatusCode::OK.into_response())
}

/// As on the Hub, a running (or starting) app restarts when its secrets or variables change,
/// so it sees them. Only for Spaces that run as local processes; a build in progress reads
/// them when it starts the app anyway.
fn restart_after_settings_change(sim: &Arc<Sim>, id: &str) {
    let restart = lock(&sim.spaces.spaces).get(id).is_some_and(|s| {
        runs_locally(sim, s)
            && matches!(
                s.stage.as_str(),
                "RUNNING" | "APP_STARTING" | "RUNTIME_ERROR"
            )
    });
    if restart {
        start_lifecycle(sim, id, Lifecycle::Restart);
    }
}

fn variables_json(s: &SpaceRecord) -> Value {
    Value::Object(
        s.meta
            .variables
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    json!({ "value": v.value, "description": v.description, "updatedAt": v.updated_at }),
                )
            })
            .collect(),
    )
}

async fn list_variables(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let id = readable(&sim, caller.as_ref(), &ns, &name)?;
    let spaces = lock(&sim.spaces.spaces);
    Ok(axum::Json(spaces.get(&id).map(variables_json).unwrap_or_default()).into_response())
}

async fn upsert_variable(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let b = parse_key_body(&body)?;
    let (meta, vars) = {
        let mut spaces = lock(&sim.spaces.spaces);
        let s = spaces
            .get_mut(&id)
            .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
        s.meta.variables.insert(
            b.key,
            KeyValue {
                value: b.value.unwrap_or_default(),
                description: b.description,
                updated_at: now_iso(),
            },
        );
        (s.meta.clone(), variables_json(s))
    };
    let _ = sim.spaces.save_meta(&id, &meta);
    restart_after_settings_change(&sim, &id);
    Ok(axum::Json(vars).into_response())
}

async fn delete_variable(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let b = parse_key_body(&body)?;
    let (meta, vars) = {
        let mut spaces = lock(&sim.spaces.spaces);
        let s = spaces
            .get_mut(&id)
            .ok_or_else(|| ApiError::repo_not_found("Repository", &id))?;
        s.meta.variables.remove(&b.key);
        (s.meta.clone(), variables_json(s))
    };
    let _ = sim.spaces.save_meta(&id, &meta);
    restart_after_settings_change(&sim, &id);
    Ok(axum::Json(vars).into_response())
}

/// What the simulator's Space web page shows.
pub(crate) struct SpaceSummary {
    pub sdk: String,
    pub private: bool,
    pub stage: String,
    pub hardware_requested: Option<String>,
    pub hardware_current: Option<String>,
    pub error: Option<String>,
    /// The Gradio app's own port while it runs.
    pub app_port: Option<u16>,
    pub run_logs: Vec<String>,
}

pub(crate) fn summary(sim: &Sim, id: &str) -> Option<SpaceSummary> {
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces.get(id)?;
    Some(SpaceSummary {
        sdk: s.meta.sdk.clone(),
        private: s.meta.private,
        stage: s.stage.clone(),
        hardware_requested: s.meta.hardware_requested.clone(),
        hardware_current: s.hardware_current.clone(),
        error: s.error_message.clone(),
        app_port: s.app.map(|a| a.port),
        run_logs: s.run_logs.iter().map(|l| l.data.clone()).collect(),
    })
}

/// Creates the public static Space `id` (or refreshes its files) as a copy of `dir`: how the
/// local run puts the released factory Space, worker binary included, on the simulated Hub.
pub(crate) fn seed(sim: &Arc<Sim>, id: &str, dir: &Path) -> std::io::Result<()> {
    let (ns, name) = id
        .split_once('/')
        .filter(|(ns, name)| valid_repo_name(ns) && valid_repo_name(name))
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("seed Space '{id}' is not 'owner/name'"),
            )
        })?;
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("seed Space folder {} does not exist", dir.display()),
        ));
    }
    let folder = sim.spaces.folder(ns, name);
    if folder.exists() {
        std::fs::remove_dir_all(&folder)?;
    }
    copy_tree(dir, &folder)?;
    let meta = {
        let mut spaces = lock(&sim.spaces.spaces);
        let record = spaces.entry(id.to_string()).or_insert_with(|| {
            new_record(SpaceMeta {
                object_id: random_hex(24),
                sdk: "static".to_string(),
                private: false,
                created_at: now_iso(),
                hardware_requested: None,
                sleep_time: None,
                variables: BTreeMap::new(),
            })
        });
        record.sha = random_hex(40);
        record.last_modified = now_iso();
        record.meta.clone()
    };
    sim.spaces.save_meta(id, &meta)?;
    start_lifecycle(sim, id, Lifecycle::Build);
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Forces a Space's runtime stage (control API), stopping any pending transition.
pub(crate) fn force_stage(sim: &Sim, id: &str, stage: &str, error: Option<String>) -> bool {
    let mut spaces = lock(&sim.spaces.spaces);
    let Some(s) = spaces.get_mut(id) else {
        return false;
    };
    s.generation += 1;
    if stage != "RUNNING" {
        runtime::stop_app(s);
    }
    s.stage = stage.to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_parsing() {
        let body = b"{\"key\":\"header\",\"value\":{\"summary\":\"Add app\"}}\n{\"key\":\"file\",\"value\":{\"path\":\"app.py\",\"content\":\"cHJpbnQoMSk=\",\"encoding\":\"base64\"}}\n{\"key\":\"deletedFile\",\"value\":{\"path\":\"old.py\"}}\n";
        let (summary, ops) = parse_commit(body).unwrap();
        assert_eq!(summary, "Add app");
        assert!(matches!(&ops[0], Operation::Write(p, b) if p == "app.py" && b == b"print(1)"));
        assert!(matches!(&ops[1], Operation::DeleteFile(p) if p == "old.py"));
        assert!(
            parse_commit(b"{\"key\":\"file\",\"value\":{\"path\":\"a\",\"content\":\"\"}}")
                .is_err()
        );
        assert!(
            parse_commit(b"{\"key\":\"header\",\"value\":{}}\n{\"key\":\"lfsFile\",\"value\":{}}")
                .is_err()
        );
        assert!(parse_commit(b"{\"key\":\"header\",\"value\":{}}\n{\"key\":\"file\",\"value\":{\"path\":\"../x\",\"content\":\"\"}}").is_err());
    }
}
