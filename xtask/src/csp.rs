//! The release page's Content-Security-Policy, written by `dist` into `index.html` as a
//! `<meta http-equiv>` (a static Space cannot set response headers).
//!
//! The token lives in the page's storage, so an injected script would be a token theft: scripts
//! come only from the page's own origin, and the inline ones the build writes (trunk's loader, the
//! page's own loader) by their sha256 hash, never `'unsafe-inline'`; WebAssembly is compiled with
//! `'wasm-unsafe-eval'`. The page connects only to itself, the configured Hub and, for
//! huggingface.co, the hosts a file read is redirected to (see [`HF_FILE_HOSTS`]) and the Spaces'
//! app hosts. No objects, no `<base>`, no form posts (the OAuth sign-in is a navigation).
//!
//! The Hub injects its own `<script>window.huggingface = …</script>` at the start of `<head>` of a
//! static Space's page; the policy is placed after it (after `<meta charset>`), and a `<meta>`
//! policy governs only what follows it, so that script keeps running while every later inline
//! script needs a hash.
//!
//! This file is also compiled into the browser tests (`tests/src/lib.rs` includes it), so the
//! tests check the very policy `dist` writes.

use base64::Engine;
use sha2::{Digest, Sha256};

/// The Hub of a deployment that does not say otherwise.
pub const HF_HUB: &str = "https://huggingface.co";

/// Where huggingface.co sends a file read (`/resolve/…` of a bucket or repo) and where its
/// avatars are: Xet files go to the CAS bridge (`cas-bridge.xethub.hf.co`, and region-scoped
/// `*.cdn.hf.co` hosts such as `us.aws.cdn.hf.co`), LFS files to the `cdn-lfs*` hosts.
pub const HF_FILE_HOSTS: &[&str] = &[
    "https://cas-bridge.xethub.hf.co",
    "https://*.xethub.hf.co",
    "https://*.cdn.hf.co",
    "https://cdn-lfs.hf.co",
    "https://cdn-lfs-us-1.hf.co",
    "https://cdn-lfs-eu-1.hf.co",
    "https://cdn-lfs.huggingface.co",
    "https://cdn-lfs-us-1.huggingface.co",
    "https://cdn-lfs-eu-1.huggingface.co",
];

/// Where huggingface.co's `whoami-v2` points `avatarUrl`.
pub const HF_AVATAR_HOST: &str = "https://cdn-avatars.huggingface.co";

/// `scheme://host[:port]` of an `http(s)` URL, or why it is not one.
pub fn origin(url: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(s, _)| *s == "http" || *s == "https")
        .ok_or_else(|| format!("the Hub must be an http(s) URL, e.g. {HF_HUB}; got `{url}`"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(format!(
            "the Hub URL `{url}` has no host (or has a user name in it)"
        ));
    }
    Ok(format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// The sha256 source expression of an inline script or style's exact text.
pub fn hash_source(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The text of every inline element `tag` (`script` or `style`) in `html`: those without `src`.
pub fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find(&open).map(|i| i + at) {
        let Some(end_of_tag) = lower[i..].find('>').map(|j| i + j + 1) else {
            break;
        };
        let Some(end) = lower[end_of_tag..].find(&close).map(|j| end_of_tag + j) else {
            break;
        };
        let attrs = &lower[i + open.len()..end_of_tag];
        let is_element = attrs.starts_with(|c: char| c.is_whitespace() || c == '>');
        if is_element && !attrs.contains("src=") {
            out.push(&html[end_of_tag..end]);
        }
        at = end + close.len();
    }
    out
}

/// The policy for a page whose inline scripts and styles are those of `html`, talking to `hub`.
pub fn policy(html: &str, hub: &str) -> Result<String, String> {
    let hub = origin(hub)?;
    let hashes = |tag| {
        inline_blocks(html, tag)
            .into_iter()
            .map(hash_source)
            .collect::<Vec<_>>()
    };
    let mut script = vec!["'self'".to_string(), "'wasm-unsafe-eval'".into()];
    script.extend(hashes("script"));
    let mut style = vec!["'self'".to_string()];
    style.extend(hashes("style"));
    let mut connect = vec!["'self'".to_string(), hub.clone()];
    let mut img = vec![
        "'self'".to_string(),
        "blob:".into(),
        "data:".into(),
        hub.clone(),
    ];
    if hub == HF_HUB {
        connect.push("https://*.hf.space".into());
        connect.extend(HF_FILE_HOSTS.iter().map(|h| h.to_string()));
        img.push(HF_AVATAR_HOST.into());
    }
    let directives = [
        ("default-src", vec!["'none'".to_string()]),
        ("script-src", script),
        ("style-src", style),
        ("connect-src", connect),
        ("img-src", img),
        (
            "media-src",
            vec!["'self'".to_string(), "blob:".into(), "data:".into()],
        ),
        ("manifest-src", vec!["'self'".to_string()]),
        ("object-src", vec!["'none'".to_string()]),
        ("base-uri", vec!["'none'".to_string()]),
        ("form-action", vec!["'none'".to_string()]),
    ];
    Ok(directives
        .iter()
        .map(|(name, values)| format!("{name} {}", values.join(" ")))
        .collect::<Vec<_>>()
        .join("; "))
}

const META_START: &str = "<meta http-equiv=\"Content-Security-Policy\"";

/// `html` with its policy for `hub` (any earlier policy written by this function is replaced),
/// placed right after `<meta charset>` so that it precedes every script and style of the page.
pub fn apply(html: &str, hub: &str) -> Result<String, String> {
    let html = strip(html);
    let meta = format!("{META_START} content=\"{}\" />", policy(&html, hub)?);
    let lower = html.to_ascii_lowercase();
    let after_charset = lower
        .find("<meta charset")
        .and_then(|i| lower[i..].find('>').map(|j| i + j + 1));
    let at =
        after_charset.ok_or("index.html has no <meta charset>: the policy goes right after it")?;
    let first_script = lower.find("<script").unwrap_or(usize::MAX);
    let first_style = lower.find("<style").unwrap_or(usize::MAX);
    if first_script < at || first_style < at {
        return Err("index.html has a script or style before <meta charset>".into());
    }
    Ok(format!("{}\n    {meta}{}", &html[..at], &html[at..]))
}

fn strip(html: &str) -> String {
    match html.find(META_START) {
        Some(i) => {
            let end = html[i..]
                .find("/>")
                .map(|j| i + j + 2)
                .unwrap_or(html.len());
            let start = html[..i].trim_end_matches([' ', '\n']).len();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<!DOCTYPE html><html><head>\n    <meta charset=\"utf-8\" />\n<script type=\"module\">import init from './a.js';</script><script src=\"x.js\"></script><style>p{}</style></head><body></body></html>";

    #[test]
    fn inline_scripts_are_hashed_and_never_unsafe_inline() {
        let p = policy(PAGE, HF_HUB).unwrap();
        assert!(
            p.contains(&hash_source("import init from './a.js';")),
            "{p}"
        );
        assert!(p.contains(&hash_source("p{}")), "{p}");
        assert!(!p.contains("unsafe-inline"), "{p}");
        assert!(
            p.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
            "{p}"
        );
        assert_eq!(inline_blocks(PAGE, "script").len(), 1, "x.js is not inline");
        for d in [
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "default-src 'none'",
        ] {
            assert!(p.contains(d), "{d}: {p}");
        }
    }

    #[test]
    fn known_hash_of_a_script() {
        // The value Chromium reports for `alert(1)` in its CSP error messages.
        assert_eq!(
            hash_source("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
    }

    #[test]
    fn huggingface_gets_its_file_hosts_and_app_hosts_a_local_hub_only_itself() {
        let p = policy(PAGE, "https://huggingface.co/").unwrap();
        let connect = p
            .split("; ")
            .find(|d| d.starts_with("connect-src"))
            .unwrap();
        for host in [
            "https://huggingface.co",
            "https://*.hf.space",
            "https://cas-bridge.xethub.hf.co",
            "https://cdn-lfs.hf.co",
        ] {
            assert!(connect.split(' ').any(|h| h == host), "{host}: {connect}");
        }
        let local = policy(PAGE, "http://127.0.0.1:8000").unwrap();
        let connect = local
            .split("; ")
            .find(|d| d.starts_with("connect-src"))
            .unwrap();
        assert_eq!(connect, "connect-src 'self' http://127.0.0.1:8000");
        assert!(!local.contains("hf.co") && !local.contains("hf.space"));
    }

    #[test]
    fn apply_places_the_policy_after_charset_and_replaces_an_old_one() {
        let once = apply(PAGE, "http://127.0.0.1:1").unwrap();
        let at = once.find(META_START).unwrap();
        assert!(at > once.find("<meta charset").unwrap());
        assert!(at < once.find("<script").unwrap());
        let twice = apply(&once, "http://127.0.0.1:2").unwrap();
        assert_eq!(twice.matches(META_START).count(), 1);
        assert!(twice.contains("http://127.0.0.1:2") && !twice.contains("http://127.0.0.1:1"));
        assert_eq!(twice, apply(PAGE, "http://127.0.0.1:2").unwrap());
    }

    #[test]
    fn a_hub_that_is_not_an_http_url_is_refused() {
        assert!(origin("ftp://x").is_err());
        assert!(origin("https://").is_err());
        assert!(origin("https://u:p@evil.example").is_err());
        assert_eq!(
            origin("https://HuggingFace.co/x?y").unwrap(),
            "https://huggingface.co"
        );
    }
}
