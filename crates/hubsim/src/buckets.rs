//! Storage Buckets backed by folders: `data_dir/buckets/{ns}/{name}/` holds the files and
//! `data_dir/bucket-meta/{ns}/{name}.json` the settings. Files arrive through job volumes and
//! the control API, as the real design writes them through a mount.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::json::{Json, OptionalJson};
use crate::state::{Caller, READ_SCOPES, Sim, WRITE_SCOPES, lock};
use crate::util::{MetaDir, iso, now_iso, safe_relative_path, sha256_hex, valid_repo_name};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BucketMeta {
    pub private: bool,
    pub created_at: String,
}

pub(crate) struct BucketStore {
    files_root: PathBuf,
    meta_root: MetaDir,
    meta: Mutex<BTreeMap<String, BucketMeta>>,
}

impl BucketStore {
    /// Reads the buckets a previous run left in `data_dir`.
    pub fn load(data_dir: &Path) -> std::io::Result<BucketStore> {
        let files_root = data_dir.join("buckets");
        let meta_root = MetaDir::open(data_dir.join("bucket-meta"))?;
        std::fs::create_dir_all(&files_root)?;
        let meta = meta_root.load::<BucketMeta>()?.into_iter().collect();
        Ok(BucketStore {
            files_root,
            meta_root,
            meta: Mutex::new(meta),
        })
    }

    pub fn folder(&self, ns: &str, name: &str) -> PathBuf {
        self.files_root.join(ns).join(name)
    }

    pub fn get(&self, id: &str) -> Option<BucketMeta> {
        lock(&self.meta).get(id).cloned()
    }

    fn save_meta(&self, ns: &str, name: &str, meta: &BucketMeta) -> std::io::Result<()> {
        self.meta_root.save(&format!("{ns}/{name}"), meta)
    }

    /// Creates the bucket; `Ok(false)` when it already exists.
    pub fn create(&self, ns: &str, name: &str, private: bool) -> std::io::Result<bool> {
        let id = format!("{ns}/{name}");
        let mut all = lock(&self.meta);
        if all.contains_key(&id) {
            return Ok(false);
        }
        let meta = BucketMeta {
            private,
            created_at: now_iso(),
        };
        std::fs::create_dir_all(self.folder(ns, name))?;
        self.save_meta(ns, name, &meta)?;
        all.insert(id, meta);
        Ok(true)
    }

    fn delete(&self, ns: &str, name: &str) -> std::io::Result<bool> {
        let removed = lock(&self.meta).remove(&format!("{ns}/{name}")).is_some();
        if removed {
            self.meta_root.remove(&format!("{ns}/{name}"));
            let folder = self.folder(ns, name);
            if folder.exists() {
                std::fs::remove_dir_all(folder)?;
            }
        }
        Ok(removed)
    }

    fn set_private(&self, ns: &str, name: &str, private: bool) -> std::io::Result<()> {
        let meta = {
            let mut all = lock(&self.meta);
            let Some(m) = all.get_mut(&format!("{ns}/{name}")) else {
                return Ok(());
            };
            m.private = private;
            m.clone()
        };
        self.save_meta(ns, name, &meta)
    }

    /// Writes a file into a bucket at once (see [`publish`]).
    pub fn write_file(&self, ns: &str, name: &str, path: &str, bytes: &[u8]) -> ApiResult<()> {
        if self.get(&format!("{ns}/{name}")).is_none() {
            return Err(ApiError::repo_not_found("Bucket", &format!("{ns}/{name}")));
        }
        let rel = safe_relative_path(path)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid file path '{path}'.")))?;
        let target = self.folder(ns, name).join(&rel);
        let io = |e: std::io::Error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Could not write {rel}: {e}"),
            )
        };
        publish(&target, bytes).map_err(io)
    }

    pub fn delete_file(&self, ns: &str, name: &str, path: &str) -> ApiResult<()> {
        let rel = safe_relative_path(path)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid file path '{path}'.")))?;
        std::fs::remove_file(self.folder(ns, name).join(&rel))
            .map_err(|_| ApiError::entry_not_found(&rel))
    }
}

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/buckets/{ns}", get(list))
        .route(
            "/api/buckets/{ns}/{name}",
            get(info).post(create).delete(delete),
        )
        .route("/api/buckets/{ns}/{name}/tree", get(tree_root))
        .route("/api/buckets/{ns}/{name}/tree/{*prefix}", get(tree_prefix))
        .route("/api/buckets/{ns}/{name}/paths-info", post(paths_info))
        .route("/api/buckets/{ns}/{name}/settings", put(settings))
        .route("/buckets/{ns}/{name}/resolve/{*path}", get(resolve))
}

/// The bucket if the caller may read it; 404 `RepoNotFound` when it is missing or private to
/// someone else (the Hub does not reveal private buckets).
fn readable(sim: &Sim, caller: Option<&Caller>, ns: &str, name: &str) -> ApiResult<BucketMeta> {
    let id = format!("{ns}/{name}");
    let meta = sim
        .buckets
        .get(&id)
        .ok_or_else(|| ApiError::repo_not_found("Bucket", &id))?;
    if meta.private && !caller.is_some_and(|c| c.user == ns && c.has_any(READ_SCOPES)) {
        return Err(ApiError::repo_not_found("Bucket", &id));
    }
    Ok(meta)
}

/// `me` stands for the caller's own namespace.
fn resolve_ns(ns: &str, caller: Option<&Caller>) -> ApiResult<String> {
    if ns == "me" {
        caller
            .map(|c| c.user.clone())
            .ok_or_else(ApiError::login_required)
    } else {
        Ok(ns.to_string())
    }
}

struct FileStat {
    path: String,
    size: u64,
    modified: DateTime<Utc>,
    is_dir: bool,
    full: PathBuf,
}

fn stat(full: PathBuf, rel: String) -> Option<FileStat> {
    let md = std::fs::metadata(&full).ok()?;
    let modified = md
        .modified()
        .map(DateTime::<Utc>::from)
        .unwrap_or_else(|_| Utc::now());
    Some(FileStat {
        path: rel,
        size: md.len(),
        modified,
        is_dir: md.is_dir(),
        full,
    })
}

/// Replaces a bucket file with `bytes` in one step (a temporary file renamed over it, creating
/// folders), so a reader of the bucket API sees the old content or the new, never a part: what
/// the Hub shows once an upload is committed. The temporary file is never listed ([`is_temp`]).
pub(crate) fn publish(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = target.with_file_name(format!(
        ".{}.hubsim-tmp-{}",
        target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("file"),
        crate::util::random_hex(8)
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, target).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A file [`publish`] is writing, not a bucket file.
pub(crate) fn is_temp(name: &str) -> bool {
    name.contains(".hubsim-tmp-")
}

/// Direct children of `dir` (relative paths prefixed by `rel`), sorted by path.
fn children(dir: &Path, rel: &str) -> Vec<FileStat> {
    let mut out: Vec<FileStat> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    if is_temp(&name) {
                        return None;
                    }
                    let child_rel = if rel.is_empty() {
                        name
                    } else {
                        format!("{rel}/{name}")
                    };
                    stat(e.path(), child_rel)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Every file below `dir`, sorted by path.
fn all_files(dir: &Path, rel: &str) -> Vec<FileStat> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), rel.to_string())];
    while let Some((d, r)) = stack.pop() {
        for child in children(&d, &r) {
            if child.is_dir {
                stack.push((child.full.clone(), child.path.clone()));
            } else {
                out.push(child);
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

fn entry_json(f: &FileStat) -> Value {
    if f.is_dir {
        json!({ "type": "directory", "path": f.path, "uploadedAt": iso(f.modified) })
    } else {
        let hash = std::fs::read(&f.full)
            .map(|b| sha256_hex(&b))
            .unwrap_or_default();
        json!({
            "type": "file",
            "path": f.path,
            "size": f.size,
            "xetHash": hash,
            "mtime": iso(f.modified),
            "uploadedAt": iso(f.modified),
        })
    }
}

fn info_json(ns: &str, name: &str, meta: &BucketMeta, folder: &Path) -> Value {
    let files = all_files(folder, "");
    json!({
        "id": format!("{ns}/{name}"),
        "name": name,
        "author": ns,
        "private": meta.private,
        "createdAt": meta.created_at,
        "size": files.iter().map(|f| f.size).sum::<u64>(),
        "totalFiles": files.len(),
    })
}

async fn list(
    State(sim): State<Arc<Sim>>,
    UrlPath(ns): UrlPath<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let ns = resolve_ns(&ns, caller.as_ref())?;
    let search = crate::util::query_value(uri.query(), "search").unwrap_or_default();
    let ids: Vec<String> = lock(&sim.buckets.meta)
        .keys()
        .filter(|id| {
            id.split_once('/')
                .is_some_and(|(n, name)| n == ns && name.contains(&search))
        })
        .cloned()
        .collect();
    let items = ids
        .iter()
        .filter_map(|id| {
            let (n, name) = id.split_once('/')?;
            let meta = readable(&sim, caller.as_ref(), n, name).ok()?;
            Some(info_json(n, name, &meta, &sim.buckets.folder(n, name)))
        })
        .collect();
    Ok(crate::pagination::paged(&sim, &uri, items))
}

async fn info(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    let meta = readable(&sim, caller.as_ref(), &ns, &name)?;
    Ok(axum::Json(info_json(
        &ns,
        &name,
        &meta,
        &sim.buckets.folder(&ns, &name),
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
struct CreateBody {
    visibility: Option<String>,
    private: Option<bool>,
}

async fn create(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    OptionalJson(body): OptionalJson<CreateBody>,
) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    let ns = resolve_ns(&ns, Some(&caller))?;
    if ns != caller.user {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to create buckets under the namespace '{ns}'."
        )));
    }
    caller.require_any(WRITE_SCOPES, "create buckets")?;
    let body = body.unwrap_or_default();
    let private = match (body.visibility.as_deref(), body.private) {
        (Some("private"), _) => true,
        (Some("public"), _) => false,
        (Some(other), _) => {
            return Err(ApiError::bad_request(format!(
                "Invalid visibility '{other}': use 'private' or 'public'."
            )));
        }
        (None, p) => p.unwrap_or(false),
    };
    if !valid_repo_name(&name) {
        return Err(ApiError::bad_request(format!(
            "Invalid bucket name '{name}': use letters, digits, '-', '_' and '.', at most 96 characters, not starting with '-' or '.'."
        )));
    }
    let created = sim.buckets.create(&ns, &name, private).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not create the bucket folder: {e}"),
        )
    })?;
    let url = format!("{}/buckets/{ns}/{name}", sim.public_url);
    if !created {
        // The Hub's 409 carries the URL too; `huggingface_hub` reads it with `exist_ok`.
        let message = "You already created this bucket";
        return Err(ApiError::conflict(message).with_body(json!({ "error": message, "url": url })));
    }
    Ok(axum::Json(json!({
        "url": url,
        "id": format!("{ns}/{name}"),
        "name": format!("{ns}/{name}"),
    }))
    .into_response())
}

fn owned(sim: &Sim, caller: &Caller, ns: &str, name: &str) -> ApiResult<()> {
    readable(sim, Some(caller), ns, name)?;
    if caller.user != ns {
        return Err(ApiError::forbidden(format!(
            "You don't have the rights to change the bucket '{ns}/{name}'."
        )));
    }
    caller.require_any(WRITE_SCOPES, "change buckets")
}

async fn delete(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    owned(&sim, &caller, &ns, &name)?;
    sim.buckets.delete(&ns, &name).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Could not delete the bucket: {e}"),
        )
    })?;
    Ok(StatusCode::OK.into_response())
}

#[derive(Deserialize)]
struct SettingsBody {
    private: bool,
}

async fn settings(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<SettingsBody>,
) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    owned(&sim, &caller, &ns, &name)?;
    sim.buckets
        .set_private(&ns, &name, body.private)
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Could not save the settings: {e}"),
            )
        })?;
    Ok(StatusCode::OK.into_response())
}

async fn tree_root(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    tree(&sim, &ns, &name, "", &headers, &uri)
}

async fn tree_prefix(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, prefix)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    tree(&sim, &ns, &name, &prefix, &headers, &uri)
}

/// Lists a folder of the bucket. `recursive=true` lists every file below it (buckets have no
/// real folders, so a recursive listing has files only); otherwise its direct files and folders.
/// A prefix naming a file lists that file; a prefix that does not exist lists nothing.
fn tree(
    sim: &Sim,
    ns: &str,
    name: &str,
    prefix: &str,
    headers: &HeaderMap,
    uri: &Uri,
) -> ApiResult<Response> {
    let caller = sim.caller(headers)?;
    readable(sim, caller.as_ref(), ns, name)?;
    let recursive = crate::util::query_value(uri.query(), "recursive")
        .is_some_and(|v| v == "true" || v == "1" || v == "True");
    let folder = sim.buckets.folder(ns, name);
    let trimmed = prefix.trim_matches('/');
    let (base, rel) = if trimmed.is_empty() {
        (folder, String::new())
    } else {
        let rel = safe_relative_path(trimmed)
            .ok_or_else(|| ApiError::bad_request(format!("Invalid path '{prefix}'.")))?;
        (folder.join(&rel), rel)
    };
    let items: Vec<Value> = if base.is_file() {
        stat(base, rel).iter().map(entry_json).collect()
    } else if !base.is_dir() {
        Vec::new()
    } else if recursive {
        all_files(&base, &rel).iter().map(entry_json).collect()
    } else {
        children(&base, &rel).iter().map(entry_json).collect()
    };
    Ok(crate::pagination::paged(sim, uri, items))
}

#[derive(Deserialize)]
struct PathsInfoBody {
    paths: Vec<String>,
}

async fn paths_info(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name)): UrlPath<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<PathsInfoBody>,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    readable(&sim, caller.as_ref(), &ns, &name)?;
    if body.paths.len() > 1000 {
        return Err(ApiError::bad_request(
            "At most 1000 paths can be asked for in one paths-info call.",
        ));
    }
    let folder = sim.buckets.folder(&ns, &name);
    let items: Vec<Value> = body
        .paths
        .iter()
        .filter_map(|p| {
            let rel = safe_relative_path(p)?;
            let s = stat(folder.join(&rel), rel)?;
            (!s.is_dir).then(|| entry_json(&s))
        })
        .collect();
    Ok(axum::Json(items).into_response())
}

/// Parses a single `bytes=` range against a length: `Some(Ok((start, end_inclusive)))`,
/// `Some(Err(()))` when unsatisfiable, `None` when absent or not understood.
fn parse_range(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let range = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            if n == 0 || len == 0 {
                return Some(Err(()));
            }
            (len.saturating_sub(n), len - 1)
        }
        (s, "") => (s.parse().ok()?, len.saturating_sub(1)),
        (s, e) => {
            let (s, e): (u64, u64) = (s.parse().ok()?, e.parse().ok()?);
            (s, e.min(len.saturating_sub(1)))
        }
    };
    if range.0 >= len || range.0 > range.1 {
        return Some(Err(()));
    }
    Some(Ok(range))
}

/// Where a served file lives, which decides the download headers the Hub sends with it.
pub(crate) enum FileSource<'a> {
    /// A bucket file (Xet-backed): `X-Xet-Hash` and `X-Linked-Size`.
    Bucket,
    /// A small file of a git repository at a commit: `X-Repo-Commit`.
    Repo { commit: &'a str },
}

/// Serves a file with the Hub's download headers (`ETag`, plus those of [`FileSource`]) and
/// single-range support. Shared by bucket, Space and model file routes.
pub(crate) fn serve_file(
    bytes: Vec<u8>,
    path: &str,
    headers: &HeaderMap,
    source: FileSource<'_>,
) -> Response {
    let len = bytes.len() as u64;
    let hash = sha256_hex(&bytes);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let (status, body, content_range) = match range {
        None => (StatusCode::OK, bytes, None),
        Some(Err(())) => (
            StatusCode::RANGE_NOT_SATISFIABLE,
            Vec::new(),
            Some(format!("bytes */{len}")),
        ),
        Some(Ok((start, end))) => (
            StatusCode::PARTIAL_CONTENT,
            bytes[start as usize..=end as usize].to_vec(),
            Some(format!("bytes {start}-{end}/{len}")),
        ),
    };
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(crate::util::content_type_for(path)),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("\"{hash}\"")) {
        h.insert(header::ETAG, v);
    }
    match source {
        FileSource::Bucket => {
            if let Ok(v) = HeaderValue::from_str(&hash) {
                h.insert("x-xet-hash", v);
            }
            h.insert("x-linked-size", HeaderValue::from(len));
        }
        FileSource::Repo { commit } => {
            if let Ok(v) = HeaderValue::from_str(commit) {
                h.insert("x-repo-commit", v);
            }
        }
    }
    let body_len = if status == StatusCode::RANGE_NOT_SATISFIABLE {
        0
    } else {
        content_range
            .as_deref()
            .and_then(|cr| cr.strip_prefix("bytes "))
            .and_then(|cr| cr.split_once('/'))
            .and_then(|(r, _)| r.split_once('-'))
            .and_then(|(a, b)| Some(b.parse::<u64>().ok()? - a.parse::<u64>().ok()? + 1))
            .unwrap_or(len)
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body_len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(cr) = content_range.and_then(|cr| HeaderValue::from_str(&cr).ok()) {
        h.insert(header::CONTENT_RANGE, cr);
    }
    response
}

async fn resolve(
    State(sim): State<Arc<Sim>>,
    UrlPath((ns, name, path)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let caller = sim.caller(&headers)?;
    readable(&sim, caller.as_ref(), &ns, &name)?;
    let rel = safe_relative_path(&path).ok_or_else(|| ApiError::entry_not_found(&path))?;
    let full = sim.buckets.folder(&ns, &name).join(&rel);
    if !full.is_file() {
        return Err(ApiError::entry_not_found(&rel));
    }
    let bytes = std::fs::read(&full).map_err(|_| ApiError::entry_not_found(&rel))?;
    Ok(serve_file(bytes, &rel, &headers, FileSource::Bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-0", 10), Some(Ok((0, 0))));
        assert_eq!(parse_range("bytes=2-", 10), Some(Ok((2, 9))));
        assert_eq!(parse_range("bytes=-3", 10), Some(Ok((7, 9))));
        assert_eq!(parse_range("bytes=5-100", 10), Some(Ok((5, 9))));
        assert_eq!(parse_range("bytes=10-12", 10), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,3-4", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
    }
}
