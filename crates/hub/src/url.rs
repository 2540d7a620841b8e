//! URL building and reading: repo and job paths, file paths, origins, `Link` headers, redaction.
//! Path segments and query parts are encoded by `sf_core::links` (the project's one encoder).
//! Parsing follows the WHATWG URL standard: natively with the `url` crate, in the browser with the
//! browser's own `URL` (module `whatwg`), so the page's wasm carries no second URL parser.

use sf_core::links::{encode_path, encode_segment};

use crate::error::HubError;

/// `key=value&…`, each part encoded by the project's one encoder ([`encode_segment`], so `=`,
/// `&`, `+` and `#` are escaped).
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode_segment(k), encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `owner/name` of a reference `sf-core` has already checked, encoded for a path.
pub fn repo_path(owner: &str, name: &str) -> String {
    format!("{}/{}", encode_segment(owner), encode_segment(name))
}

/// A job id as the Hub gives it (24 hex digits), encoded for a path. Refused when empty or when
/// it holds anything but letters, digits, `-` and `_` (so never `..` or a `/`).
pub fn job_id_segment(job_id: &str) -> Result<String, HubError> {
    let valid = !job_id.is_empty()
        && job_id.len() <= 96
        && job_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    if valid {
        Ok(encode_segment(job_id))
    } else {
        Err(HubError::InvalidInput(format!(
            "\"{job_id}\" is not a job id; a job id is the letters and digits the Hub gave when the job was created."
        )))
    }
}

/// A path inside a bucket or repo (`runs/x/state.json`), refusing `..` and empty input.
pub fn file_path(path: &str) -> Result<String, HubError> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() || trimmed.split('/').any(|s| s == ".." || s == ".") {
        return Err(HubError::InvalidInput(format!(
            "\"{path}\" is not a usable file path; give a relative path without '.' or '..' parts."
        )));
    }
    Ok(encode_path(trimmed))
}

/// Scheme + host + port, comparable (default ports dropped, host lower-cased): the WHATWG URL
/// standard's ASCII serialization of a tuple origin. The token is only ever sent to the Hub's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(String);

impl Origin {
    /// `None` for what is not an absolute URL and for opaque origins (`data:`, `file:`, …).
    pub fn of(url: &str) -> Option<Origin> {
        whatwg::origin(url).map(Origin)
    }

    /// `https://huggingface.co`, `http://127.0.0.1:8080`.
    pub fn serialize(&self) -> String {
        self.0.clone()
    }
}

/// Resolves a possibly relative URL (from a `Link` header) against the request URL.
pub fn resolve(base: &str, reference: &str) -> Option<String> {
    whatwg::join(base, reference)
}

/// The `rel="next"` target of a `Link` header, if any.
pub fn link_next(link: &str) -> Option<String> {
    split_links(link).into_iter().find_map(|(target, params)| {
        params
            .split(';')
            .filter_map(|p| p.split_once('='))
            .any(|(k, v)| {
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            })
            .then(|| target.to_owned())
    })
}

/// `<a>; rel="next", <b>; rel="x"` → `[(a, "; rel=\"next\""), (b, "; rel=\"x\"")]`. Commas
/// inside `<…>` belong to the URL.
fn split_links(link: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|i| open + i) else {
            break;
        };
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let end = after.find(",").filter(|&c| !after[..c].contains('<'));
        let params = match end {
            Some(c) => &after[..c],
            None => after.split('<').next().unwrap_or(""),
        };
        out.push((target, params));
        rest = &after[params.len()..];
    }
    out
}

/// Query parameter names whose values are secrets in any URL we might report.
const SECRET_KEYS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "state",
    "password",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
];

/// The URL with userinfo and fragment dropped and secret-looking query values replaced by
/// `REDACTED`.
pub fn redact_url(raw: &str) -> String {
    whatwg::redact(raw, |key, value| {
        SECRET_KEYS.iter().any(|s| key.eq_ignore_ascii_case(s)) || value.starts_with("hf_")
    })
    .unwrap_or_else(|| {
        // Not a URL we can read: keep only what comes before any query.
        raw.split(['?', '#']).next().unwrap_or("").to_owned()
    })
}

/// `application/x-www-form-urlencoded` (a form body: spaces as `+`, as browsers send forms).
pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    whatwg::form_encode(pairs)
}

/// The pairs of an `application/x-www-form-urlencoded` text, such as a query string (one leading
/// `?` is skipped, as `URLSearchParams` does): `+` is a space, escapes are decoded (invalid UTF-8
/// as U+FFFD), empty pieces between `&`s are skipped, a piece without `=` has an empty value.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    whatwg::form_decode(text.strip_prefix('?').unwrap_or(text))
}

/// The WHATWG URL standard's parser, natively from the `url` crate. The same behaviour is pinned
/// on both targets by `tests/url.rs`.
#[cfg(not(target_arch = "wasm32"))]
mod whatwg {
    pub fn origin(url: &str) -> Option<String> {
        match url::Url::parse(url).ok()?.origin() {
            o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
            url::Origin::Opaque(_) => None,
        }
    }

    pub fn join(base: &str, reference: &str) -> Option<String> {
        url::Url::parse(base)
            .ok()?
            .join(reference)
            .ok()
            .map(String::from)
    }

    pub fn redact(raw: &str, secret: impl Fn(&str, &str) -> bool) -> Option<String> {
        let mut url = url::Url::parse(raw).ok()?;
        let _ = url.set_username("");
        let _ = url.set_password(None);
        url.set_fragment(None);
        if url.query().is_some() {
            let pairs: Vec<(String, String)> = url
                .query_pairs()
                .map(|(k, v)| {
                    let v = if secret(&k, &v) {
                        "REDACTED".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if pairs.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(pairs);
            }
        }
        Some(url.into())
    }

    pub fn form_decode(text: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish()
    }
}

/// The WHATWG URL standard's parser, in the browser from the browser itself (`URL`,
/// `URLSearchParams`): the `url` crate stays out of the page's wasm (issue 13).
#[cfg(target_arch = "wasm32")]
mod whatwg {
    use wasm_bindgen::JsCast;
    use web_sys::{Url, UrlSearchParams};

    /// The schemes whose URLs have a tuple origin; every other origin is opaque (the standard's
    /// rule, which Chromium bends for `file:`, whose origin it serializes as `file://`).
    const TUPLE_ORIGINS: [&str; 5] = ["http://", "https://", "ws://", "wss://", "ftp://"];

    /// The browser's parse, refused where Chromium is laxer than the standard and the `url` crate:
    /// it percent-escapes a space (or a `*`) in a special URL's host, where the standard refuses
    /// (or keeps) it; no host the standard accepts holds a `%`.
    fn parse(url: &str, base: Option<&str>) -> Option<Url> {
        let parsed = match base {
            Some(base) => Url::new_with_base(url, base),
            None => Url::new(url),
        }
        .ok()?;
        let special = matches!(
            parsed.protocol().as_str(),
            "http:" | "https:" | "ws:" | "wss:" | "ftp:" | "file:"
        );
        (!(special && parsed.hostname().contains('%'))).then_some(parsed)
    }

    pub fn origin(url: &str) -> Option<String> {
        // An opaque origin serializes as "null", which no tuple origin starts with.
        let origin = parse(url, None)?.origin();
        TUPLE_ORIGINS
            .iter()
            .any(|s| origin.starts_with(s))
            .then_some(origin)
    }

    pub fn join(base: &str, reference: &str) -> Option<String> {
        // As the `url` crate: the base must be an absolute URL itself.
        parse(base, None)?;
        parse(reference, Some(base)).map(|u| u.href())
    }

    pub fn redact(raw: &str, secret: impl Fn(&str, &str) -> bool) -> Option<String> {
        let url = parse(raw, None)?;
        // These setters do nothing where a URL cannot have userinfo (`data:`, `file:`).
        url.set_username("");
        url.set_password("");
        // The empty string sets the fragment (and below, the query) to null: no `#`, no `?`.
        url.set_hash("");
        let out = UrlSearchParams::new().ok()?;
        let mut any = false;
        for entry in url.search_params().entries() {
            let pair: js_sys::Array = entry.ok()?.dyn_into().ok()?;
            let key = pair.get(0).as_string()?;
            let value = pair.get(1).as_string()?;
            let value = if secret(&key, &value) {
                "REDACTED"
            } else {
                value.as_str()
            };
            out.append(&key, value);
            any = true;
        }
        // `search` reads "" both for no query and for an empty one (`…?`); either way, as the
        // `url` crate does, a query without pairs is dropped.
        url.set_search(&if any {
            String::from(out.to_string())
        } else {
            String::new()
        });
        Some(url.href())
    }

    pub fn form_decode(text: &str) -> Vec<(String, String)> {
        // The constructor would skip a leading `?` itself; the caller already has.
        let Ok(params) = UrlSearchParams::new_with_str(&format!("?{text}")) else {
            return Vec::new();
        };
        params
            .entries()
            .into_iter()
            .filter_map(|entry| {
                let pair: js_sys::Array = entry.ok()?.dyn_into().ok()?;
                Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
            })
            .collect()
    }

    pub fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
        let params = UrlSearchParams::new().expect("URLSearchParams is in every browser");
        for (k, v) in pairs {
            params.append(k, v);
        }
        params.to_string().into()
    }
}

// Origins, `resolve`, `redact_url`, `form_encode` and `form_decode` are tested in `tests/url.rs`, on
// both targets.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_paths_and_ids_are_encoded() {
        assert_eq!(
            encode_query([("label", "run-id=x&y")]),
            "label=run-id%3Dx%26y"
        );
        assert_eq!(repo_path("alice", "my-model.v2"), "alice/my-model.v2");
        assert_eq!(job_id_segment("6759a1b2c3d4").unwrap(), "6759a1b2c3d4");
        for bad in ["", "..", "../x", "a/b", "a b", "a?b"] {
            assert!(job_id_segment(bad).is_err(), "{bad} should be refused");
        }
        assert!(file_path("runs/../x").is_err());
        assert!(file_path("").is_err());
        assert!(file_path("/").is_err());
        assert_eq!(file_path("/runs/a b.json").unwrap(), "runs/a%20b.json");
        assert_eq!(file_path("runs//a").unwrap(), "runs/a");
    }

    #[test]
    fn link_next_is_found_among_other_relations() {
        let link = r#"<https://hf.co/api/x?cursor=a,b>; rel="xet-auth", <https://hf.co/api/x?cursor=2>; rel="next""#;
        assert_eq!(
            link_next(link).as_deref(),
            Some("https://hf.co/api/x?cursor=2")
        );
        assert_eq!(
            link_next(r#"</api/x?p=3>; rel=next"#).as_deref(),
            Some("/api/x?p=3")
        );
        assert_eq!(link_next(r#"<https://hf.co/a>; rel="prev""#), None);
        assert_eq!(link_next(""), None);
    }
}
