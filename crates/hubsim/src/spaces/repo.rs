//! A Space as a repository: creation (`POST /api/repos/create`), info, files (`resolve`),
//! commits (NDJSON with inline files), preupload and the README metadata check.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::lifecycle::{Lifecycle, log_line, runtime_json, start_lifecycle};
use super::settings::{KeyBody, check_flavor};
use super::store::{KeyValue, SpaceMeta, local_host, new_record};
use super::{readable, writable};
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::state::{Sim, lock};
use crate::util::{now_iso, random_hex, safe_relative_path, space_subdomain, valid_repo_name};

const SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];

pub(super) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/repos/create", post(create))
        .route("/api/validate-yaml", post(validate_yaml))
        .route("/api/spaces/{ns}/{name}", get(info))
        // A commit carries its files inline (base64): allow a release folder with its worker.
        .route(
            "/api/spaces/{ns}/{name}/commit/{rev}",
            post(commit).layer(axum::extract::DefaultBodyLimit::max(256 << 20)),
        )
        .route("/api/spaces/{ns}/{name}/preupload/{rev}", post(preupload))
        .route("/spaces/{ns}/{name}/resolve/{rev}/{*path}", get(resolve))
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

fn revision_not_found(rev: &str) -> ApiError {
    ApiError::not_found(format!("Revision not found: {rev}")).with_code("RevisionNotFound")
}

/// A file sent inline: `{path, content, encoding}` (in a creation's `files` and a commit's
/// `file` lines).
#[derive(Deserialize)]
struct InlineFile {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    content: String,
    #[serde(default)]
    encoding: Option<String>,
}

impl InlineFile {
    /// The file's checked relative path and decoded bytes.
    fn decode(self) -> ApiResult<(String, Vec<u8>)> {
        let path = self
            .path
            .as_deref()
            .and_then(safe_relative_path)
            .ok_or_else(|| ApiError::bad_request("Each file needs a valid relative 'path'."))?;
        let bytes = match self.encoding.as_deref().unwrap_or("utf-8") {
            "base64" => STANDARD.decode(&self.content).map_err(|e| {
                ApiError::bad_request(format!("The content of '{path}' is not valid base64: {e}"))
            })?,
            "utf-8" | "utf8" => self.content.into_bytes(),
            other => {
                return Err(ApiError::bad_request(format!(
                    "Unknown encoding '{other}' for '{path}': use base64 or utf-8."
                )));
            }
        };
        Ok((path, bytes))
    }
}

/// `POST /api/repos/create`, as `huggingface_hub.create_repo` sends it for a Space.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRepo {
    #[serde(rename = "type", default)]
    repo_type: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    sdk: String,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    private: Option<bool>,
    #[serde(default)]
    hardware: Option<String>,
    #[serde(default)]
    sleep_time_seconds: Option<u64>,
    #[serde(default)]
    files: Vec<InlineFile>,
    #[serde(default)]
    secrets: Vec<KeyBody>,
    #[serde(default)]
    variables: Vec<KeyBody>,
}

fn key_values(items: Vec<KeyBody>) -> BTreeMap<String, KeyValue> {
    items.into_iter().map(KeyBody::into_entry).collect()
}

/// A sleep time is a setting of paid hardware: the Hub refuses it for ZeroGPU (its message:
/// "Cannot change the sleep time for zero-a10g Spaces.") and for the free `cpu-basic`, which
/// sleeps after 48 h by itself.
pub(super) fn check_sleep_time(flavor: Option<&str>, seconds: Option<u64>) -> ApiResult<()> {
    let flavor = flavor.unwrap_or("cpu-basic");
    match seconds {
        Some(_) if flavor.starts_with("zero-") || flavor == "cpu-basic" => Err(
            ApiError::bad_request(format!("Cannot change the sleep time for {flavor} Spaces.")),
        ),
        Some(0) => Err(ApiError::bad_request(
            "Invalid sleep time: give a number of seconds above 0, or -1 for never.",
        )),
        _ => Ok(()),
    }
}

async fn create(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(body): Json<CreateRepo>,
) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    let repo_type = body.repo_type.as_deref().unwrap_or("model");
    if repo_type != "space" {
        return Err(ApiError::bad_request(format!(
            "The Hub simulator creates Spaces only (type 'space'), not '{repo_type}' repositories."
        )));
    }
    let name = body.name;
    let ns = body.organization.unwrap_or_else(|| caller.user.clone());
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
    let sdk = body.sdk;
    if !SDKS.contains(&sdk.as_str()) {
        return Err(ApiError::bad_request(format!(
            "Invalid sdk '{sdk}': use one of gradio, streamlit, docker, static."
        )));
    }
    let private = match body.visibility.as_deref() {
        Some("private") | Some("protected") => true,
        Some("public") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "Invalid visibility '{other}'."
            )));
        }
        None => body.private.unwrap_or(false),
    };
    if let Some(h) = &body.hardware {
        check_flavor(&sim, h)?;
    }
    check_sleep_time(body.hardware.as_deref(), body.sleep_time_seconds)?;
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
        .files
        .into_iter()
        .map(InlineFile::decode)
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
        hardware_requested: body.hardware,
        sleep_time: body.sleep_time_seconds,
        variables: key_values(body.variables),
    };
    let mut record = new_record(meta.clone());
    record.secrets = key_values(body.secrets);
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

/// One change of a commit (hubsim's own name: the Hub client has an `Operation` of its own).
enum CommitOp {
    Write(String, Vec<u8>),
    DeleteFile(String),
    DeleteFolder(String),
}

/// One NDJSON line of a commit: `{"key": ..., "value": {...}}`.
#[derive(Deserialize)]
struct CommitLine {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize, Default)]
struct CommitHeader {
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
struct CommitPath {
    #[serde(default)]
    path: Option<String>,
}

fn parse_commit(body: &[u8]) -> ApiResult<(String, Vec<CommitOp>)> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("The commit body must be UTF-8 NDJSON."))?;
    let mut summary = None;
    let mut ops = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let n = i + 1;
        let invalid = |e: serde_json::Error| {
            ApiError::bad_request(format!("Line {n} of the commit is not valid: {e}"))
        };
        let CommitLine { key, value } = serde_json::from_str(line).map_err(invalid)?;
        let path = |value: Value| -> ApiResult<String> {
            let p: CommitPath = serde_json::from_value(value).map_err(invalid)?;
            p.path
                .as_deref()
                .and_then(safe_relative_path)
                .ok_or_else(|| ApiError::bad_request(format!("Line {n} needs a valid 'path'.")))
        };
        match key.as_str() {
            "header" => {
                let h: CommitHeader = serde_json::from_value(value).map_err(invalid)?;
                summary = Some(h.summary);
            }
            "file" => {
                let file: InlineFile = serde_json::from_value(value).map_err(invalid)?;
                let (p, bytes) = file.decode()?;
                ops.push(CommitOp::Write(p, bytes));
            }
            "deletedFile" => ops.push(CommitOp::DeleteFile(path(value)?)),
            "deletedFolder" => ops.push(CommitOp::DeleteFolder(path(value)?)),
            "lfsFile" => {
                return Err(ApiError::bad_request(
                    "LFS files are not supported by the Hub simulator: send the file inline (base64) instead.",
                ));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "Line {n}: unknown commit operation '{other}'."
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
        return Err(revision_not_found(&rev));
    }
    let (summary, ops) = parse_commit(&body)?;
    let folder = sim.spaces.folder(&ns, &name);
    for op in &ops {
        if let CommitOp::DeleteFile(p) = op
            && !folder.join(p).is_file()
        {
            return Err(ApiError::entry_not_found(p));
        }
    }
    for op in ops {
        match op {
            CommitOp::Write(p, bytes) => write_files(&folder, &[(p, bytes)])?,
            CommitOp::DeleteFile(p) => {
                let _ = std::fs::remove_file(folder.join(p));
            }
            CommitOp::DeleteFolder(p) => {
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

/// `POST …/preupload/{rev}`: `{"files": [{"path", "size"?, "sample"?}]}`.
#[derive(Deserialize)]
struct Preupload {
    #[serde(default)]
    files: Vec<PreuploadFile>,
}

#[derive(Deserialize)]
struct PreuploadFile {
    #[serde(default)]
    path: Value,
}

async fn preupload(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, _rev)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    Json(body): Json<Preupload>,
) -> ApiResult<Response> {
    let id = writable(&sim, &headers, &ns, &name)?;
    let files: Vec<Value> = body
        .files
        .into_iter()
        .map(|f| json!({ "path": f.path, "uploadMode": "regular", "shouldIgnore": false }))
        .collect();
    let sha = lock(&sim.spaces.spaces)
        .get(&id)
        .map(|s| s.sha.clone())
        .unwrap_or_default();
    Ok(axum::Json(json!({ "files": files, "commitOid": sha })).into_response())
}

/// `POST /api/validate-yaml` (`{"content": README, "repoType": "space"}`), which
/// `huggingface_hub` calls before uploading a README: for a Space, the front matter needs a
/// known `sdk`, and `hf_oauth_scopes` may only name scopes the Hub knows. 400 with
/// `{"errors": [{"message"}]}` otherwise; `{"errors": [], "warnings": []}` when it is fine.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidateYaml {
    #[serde(default)]
    content: String,
    #[serde(default)]
    repo_type: Option<String>,
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

async fn validate_yaml(Json(body): Json<ValidateYaml>) -> ApiResult<Response> {
    let content = body.content.as_str();
    let repo_type = body.repo_type.as_deref().unwrap_or("model");
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

async fn resolve(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, rev, path)): UrlPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    readable(&sim, caller.as_ref(), &ns, &name)?;
    if rev != "main" {
        return Err(revision_not_found(&rev));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_parsing() {
        let body = b"{\"key\":\"header\",\"value\":{\"summary\":\"Add app\"}}\n{\"key\":\"file\",\"value\":{\"path\":\"app.py\",\"content\":\"cHJpbnQoMSk=\",\"encoding\":\"base64\"}}\n{\"key\":\"deletedFile\",\"value\":{\"path\":\"old.py\"}}\n";
        let (summary, ops) = parse_commit(body).unwrap();
        assert_eq!(summary, "Add app");
        assert!(matches!(&ops[0], CommitOp::Write(p, b) if p == "app.py" && b == b"print(1)"));
        assert!(matches!(&ops[1], CommitOp::DeleteFile(p) if p == "old.py"));
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
