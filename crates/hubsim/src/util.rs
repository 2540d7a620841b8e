//! Small helpers shared by the route modules: time stamps, ids, content types, names.

use chrono::{DateTime, SecondsFormat, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// A time stamp the way the Hub writes them: `2026-11-28T14:25:01.123Z`.
pub(crate) fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn now_iso() -> String {
    iso(Utc::now())
}

/// `n` random lowercase hex digits (job ids, object ids, commit ids).
pub(crate) fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// `n` random ASCII letters and digits (tokens, codes).
pub(crate) fn random_alnum(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request id shaped like the ones the Hub's load balancer returns.
pub(crate) fn request_id() -> String {
    format!("Root=1-{}-{}", random_hex(8), random_hex(24))
}

/// The content type a static host would send for this file name.
pub(crate) fn content_type_for(path: &str) -> &'static str {
    let ext = path
        .rsplit('/')
        .next()
        .and_then(|name| name.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "jsonl" | "ndjson" => "application/x-ndjson",
        "md" => "text/markdown; charset=utf-8",
        "txt" | "log" | "py" | "toml" | "yaml" | "yml" | "csv" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        _ => "application/octet-stream",
    }
}

/// Repository and bucket names: letters, digits, `-`, `_`, `.`; not starting with `-` or `.`;
/// at most 96 characters.
pub(crate) fn valid_repo_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 96
        && !name.starts_with(['-', '.'])
        && !name.ends_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Label keys and values: letters, digits, `-` and `_`, at most 100 characters.
pub(crate) fn valid_label_part(s: &str, allow_empty: bool) -> bool {
    (allow_empty || !s.is_empty())
        && s.len() <= 100
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// The `*.hf.space` subdomain of a Space: `user/My_App` → `user-my-app`.
pub(crate) fn space_subdomain(ns: &str, name: &str) -> String {
    format!("{ns}-{name}")
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// A relative path inside a repository or bucket, refused when it could leave its folder.
pub(crate) fn safe_relative_path(path: &str) -> Option<String> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() || trimmed.contains('\\') || trimmed.contains('\0') {
        return None;
    }
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return None;
        }
        parts.push(part);
    }
    Some(parts.join("/"))
}

/// Values of a repeated query parameter (`expand=a&expand=b`, also `expand[]=a`).
pub(crate) fn query_values(query: Option<&str>, key: &str) -> Vec<String> {
    let bracketed = format!("{key}[]");
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .filter(|(k, _)| k == key || *k == bracketed)
        .map(|(_, v)| v.into_owned())
        .collect()
}

pub(crate) fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    query_values(query, key).into_iter().next()
}

/// Metadata of repos kept on disk as `<root>/<namespace>/<name>.json`, so a restarted simulator
/// finds what an earlier run created. Shared by the bucket and Space stores.
pub(crate) struct MetaDir {
    root: std::path::PathBuf,
}

impl MetaDir {
    pub fn open(root: std::path::PathBuf) -> std::io::Result<MetaDir> {
        std::fs::create_dir_all(&root)?;
        Ok(MetaDir { root })
    }

    /// Every readable entry as `("ns/name", meta)`; unreadable files are skipped.
    pub fn load<T: serde::de::DeserializeOwned>(&self) -> std::io::Result<Vec<(String, T)>> {
        let mut out = Vec::new();
        for ns in std::fs::read_dir(&self.root)?.flatten() {
            let Some(ns_name) = ns.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(entries) = std::fs::read_dir(ns.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
                    continue;
                };
                if let Some(meta) = std::fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<T>(&b).ok())
                {
                    out.push((format!("{ns_name}/{name}"), meta));
                }
            }
        }
        Ok(out)
    }

    fn file(&self, id: &str) -> std::path::PathBuf {
        let (ns, name) = id.split_once('/').unwrap_or((id, ""));
        self.root.join(ns).join(format!("{name}.json"))
    }

    /// Forgets the metadata of `id` (`ns/name`); a missing file is fine.
    pub fn remove(&self, id: &str) {
        let _ = std::fs::remove_file(self.file(id));
    }

    /// Writes the metadata of `id` (`ns/name`).
    pub fn save<T: serde::Serialize>(&self, id: &str, meta: &T) -> std::io::Result<()> {
        let file = self.file(id);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let json = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
        std::fs::write(file, json)
    }
}

/// The first executable file called `name` in a folder of `PATH`.
pub(crate) fn find_on_path(name: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Text made safe for HTML content and attribute values.
pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_has_millis_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-11-28T14:25:01.5+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(iso(t), "2026-11-28T14:25:01.500Z");
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type_for("pkg/app_bg.wasm"), "application/wasm");
        assert_eq!(content_type_for("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type_for("a/b.JS"), "text/javascript; charset=utf-8");
        assert_eq!(content_type_for("noext"), "application/octet-stream");
        assert_eq!(content_type_for("dir.v1/noext"), "application/octet-stream");
    }

    #[test]
    fn names_and_paths() {
        assert!(valid_repo_name("space-factory-runs"));
        assert!(!valid_repo_name("-x"));
        assert!(!valid_repo_name("a/b"));
        assert!(!valid_repo_name(""));
        assert_eq!(
            safe_relative_path("/runs/a/state.json").as_deref(),
            Some("runs/a/state.json")
        );
        assert_eq!(safe_relative_path("runs/../x"), None);
        assert_eq!(safe_relative_path("a//b"), None);
        assert_eq!(
            space_subdomain("sf-tester", "My_App.v2"),
            "sf-tester-my-app-v2"
        );
    }

    #[test]
    fn repeated_query_values() {
        let q = Some("expand=a&expand%5B%5D=b&x=1&expand=c");
        assert_eq!(query_values(q, "expand"), ["a", "b", "c"]);
        assert_eq!(query_value(q, "x").as_deref(), Some("1"));
        assert!(query_values(None, "x").is_empty());
    }

    #[test]
    fn random_ids_have_the_right_shape() {
        let id = random_hex(24);
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(random_alnum(34).len(), 34);
    }
}
