//! Serves the built app the way a static Space does: exact paths only (no rewrite of unknown
//! paths to `index.html`), and `index.html` with `window.huggingface.variables` injected at the
//! start of `<head>`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::Sim;
use crate::util::{content_type_for, safe_relative_path};

/// Everything no route claimed: model file URLs, then the app's files, then 404.
pub(crate) async fn fallback(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") || path.starts_with("/__sim/") {
        return ApiError::not_found(format!("Not found: {method} {path}")).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    if let Some(response) = crate::models::resolve(&sim, path, &headers) {
        return response;
    }
    match &sim.cfg.app_dir {
        Some(dir) => serve_app(&sim, dir, path),
        None => not_found(),
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "404 Not Found",
    )
        .into_response()
}

fn serve_app(sim: &Sim, dir: &std::path::Path, path: &str) -> Response {
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let rel = if decoded == "/" {
        "index.html".to_string()
    } else {
        match safe_relative_path(&decoded) {
            Some(rel) if !decoded.ends_with('/') => rel,
            _ => return not_found(),
        }
    };
    let full = dir.join(&rel);
    if !full.is_file() {
        return not_found();
    }
    let Ok(bytes) = std::fs::read(&full) else {
        return not_found();
    };
    let body = if rel == "index.html" {
        inject(&String::from_utf8_lossy(&bytes), &variables(sim)).into_bytes()
    } else {
        bytes
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type_for(&rel)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// The variables a static Space with `hf_oauth: true` sees, plus our own.
pub(crate) fn variables(sim: &Sim) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    if let Some(id) = &sim.cfg.oauth_client_id {
        vars.insert("OAUTH_CLIENT_ID".to_string(), id.clone());
    }
    vars.insert("OAUTH_SCOPES".to_string(), oauth_scopes(sim));
    vars.insert("OPENID_PROVIDER_URL".to_string(), sim.public_url.clone());
    vars.insert("SF_HUB_URL".to_string(), sim.public_url.clone());
    for (k, v) in &sim.cfg.extra_variables {
        vars.insert(k.clone(), v.clone());
    }
    vars
}

/// `OAUTH_SCOPES` as the Hub derives it for a Space: `openid profile` and the README's
/// `hf_oauth_scopes` when the served app has a README.md that lists them (a release folder), else
/// [`crate::SimConfig::oauth_scopes`].
fn oauth_scopes(sim: &Sim) -> String {
    let listed = app_readme_field(sim, "hf_oauth_scopes").and_then(|value| match value {
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>(),
        ),
        _ => None,
    });
    match listed {
        Some(scopes) => {
            let mut all = vec!["openid".to_string(), "profile".to_string()];
            all.extend(
                scopes
                    .into_iter()
                    .filter(|s| s != "openid" && s != "profile"),
            );
            all.join(" ")
        }
        None => sim.cfg.oauth_scopes.clone(),
    }
}

/// A field of the front matter of the served app's README.md (a release folder has one).
fn app_readme_field(sim: &Sim, key: &str) -> Option<serde_json::Value> {
    let dir = sim.cfg.app_dir.as_ref()?;
    let readme = std::fs::read_to_string(dir.join("README.md")).ok()?;
    crate::frontmatter::parse(&readme).remove(key)
}

/// The longest OAuth token lifetime a Space may ask for: 30 days.
const MAX_OAUTH_EXPIRATION_MINUTES: u64 = 43_200;

/// How long tokens issued by `/oauth/token` last, as the Hub decides it for a Space: the
/// README's `hf_oauth_expiration_minutes` (at most 30 days) when the served app has one, else
/// [`crate::SimConfig::oauth_token_ttl_secs`] (the Hub's default, 8 hours).
pub(crate) fn oauth_token_ttl_secs(sim: &Sim) -> u64 {
    let minutes = app_readme_field(sim, "hf_oauth_expiration_minutes").and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    match minutes {
        Some(m) if m > 0 => m.min(MAX_OAUTH_EXPIRATION_MINUTES) * 60,
        _ => sim.cfg.oauth_token_ttl_secs,
    }
}

/// Inserts the `window.huggingface` script right after the opening `<head>` tag (or at the top
/// when there is none), as the Hub does for a static Space's `index.html`.
pub fn inject(html: &str, vars: &BTreeMap<String, String>) -> String {
    let json = serde_json::json!({ "variables": vars })
        .to_string()
        .replace("</", "<\\/");
    let script = format!("<script>window.huggingface = {json};</script>");
    let lower = html.to_ascii_lowercase();
    let head = lower.match_indices("<head").find(|(i, _)| {
        matches!(
            lower.as_bytes().get(i + 5),
            Some(b'>') | Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r')
        )
    });
    match head.and_then(|(i, _)| lower[i..].find('>').map(|j| i + j + 1)) {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{script}{html}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([("A".to_string(), "x</script>".to_string())])
    }

    #[test]
    fn injects_after_head() {
        let out = inject(
            "<!doctype html><html><HEAD lang=\"en\"><title>t</title></HEAD></html>",
            &vars(),
        );
        assert!(out.starts_with(
            "<!doctype html><html><HEAD lang=\"en\"><script>window.huggingface = {\"variables\":{\"A\":\"x<\\/script>\"}};</script><title>"
        ));
    }

    #[test]
    fn does_not_mistake_header_for_head() {
        let out = inject("<header>h</header>", &vars());
        assert!(out.starts_with("<script>"));
    }
}
