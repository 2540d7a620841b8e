//! URL building and reading: path segments, repo ids, origins, `Link` headers, redaction.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::HubError;

/// Everything but RFC 3986 unreserved characters is escaped inside one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Query keys/values: like [`SEGMENT`] (so `=`, `&`, `+`, `#` are escaped).
const QUERY: &AsciiSet = SEGMENT;

/// One path segment, percent-encoded.
pub fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

/// A path of several segments (`a/b c/d` → `a/b%20c/d`); empty segments are dropped.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// `key=value&…`, each part percent-encoded.
pub fn encode_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY),
                utf8_percent_encode(v, QUERY)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn check_name(what: &str, value: &str) -> Result<(), HubError> {
    let valid = !value.is_empty()
        && value != "."
        && value != ".."
        && value.len() <= 96
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(HubError::InvalidInput(format!(
            "\"{value}\" is not a valid {what}; use letters, digits, '-', '_' or '.' (at most 96)."
        )))
    }
}

/// A namespace (user or organisation name), encoded for a path.
pub fn namespace_path(namespace: &str) -> Result<String, HubError> {
    check_name("Hugging Face user or organisation name", namespace)?;
    Ok(encode_segment(namespace))
}

/// An `owner/name` id (model, Space, bucket), encoded for a path as `owner/name`.
pub fn repo_id_path(id: &str) -> Result<String, HubError> {
    let (owner, name) = id.split_once('/').ok_or_else(|| {
        HubError::InvalidInput(format!(
            "\"{id}\" is not a Hugging Face id; write it as owner/name."
        ))
    })?;
    check_name("owner in a Hugging Face id", owner)?;
    check_name("name in a Hugging Face id", name)?;
    Ok(format!(
        "{}/{}",
        encode_segment(owner),
        encode_segment(name)
    ))
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

/// Scheme + host + port, comparable (default ports filled in, host lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin(url::Origin);

impl Origin {
    pub fn of(url: &str) -> Option<Origin> {
        let parsed = url::Url::parse(url).ok()?;
        match parsed.origin() {
            o @ url::Origin::Tuple(..) => Some(Origin(o)),
            url::Origin::Opaque(_) => None,
        }
    }

    /// `https://huggingface.co`, `http://127.0.0.1:8080`.
    pub fn serialize(&self) -> String {
        self.0.ascii_serialization()
    }
}

/// Resolves a possibly relative URL (from a `Link` header) against the request URL.
pub fn resolve(base: &str, reference: &str) -> Option<String> {
    url::Url::parse(base)
        .ok()?
        .join(reference)
        .ok()
        .map(String::from)
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

/// The URL with userinfo dropped and secret-looking query values replaced by `REDACTED`.
pub fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        // Not a URL we can read: keep only what comes before any query.
        return raw.split(['?', '#']).next().unwrap_or("").to_owned();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret =
                    SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s)) || v.starts_with("hf_");
                let v = if secret {
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
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_and_paths_are_percent_encoded() {
        assert_eq!(encode_segment("a b/c?d#e"), "a%20b%2Fc%3Fd%23e");
        assert_eq!(
            encode_path("runs/r 1/état.json"),
            "runs/r%201/%C3%A9tat.json"
        );
        assert_eq!(encode_path("/a//b/"), "a/b");
        assert_eq!(
            encode_query([("label", "run-id=x&y")]),
            "label=run-id%3Dx%26y"
        );
    }

    #[test]
    fn repo_ids_are_checked() {
        assert_eq!(
            repo_id_path("alice/my-model.v2").unwrap(),
            "alice/my-model.v2"
        );
        for bad in ["alice", "alice/", "/x", "a/b/c", "a/..", "a/b c", "a/b?x"] {
            assert!(repo_id_path(bad).is_err(), "{bad} should be refused");
        }
        assert!(namespace_path("alice").is_ok());
        assert!(namespace_path("al/ice").is_err());
        assert!(file_path("runs/../x").is_err());
        assert!(file_path("").is_err());
        assert_eq!(file_path("/runs/a b.json").unwrap(), "runs/a%20b.json");
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let hub = Origin::of("https://huggingface.co").unwrap();
        assert_eq!(
            Origin::of("https://HuggingFace.co:443/api/x?y"),
            Some(hub.clone())
        );
        assert_ne!(Origin::of("http://huggingface.co/api"), Some(hub.clone()));
        assert_ne!(
            Origin::of("https://huggingface.co:8443/api"),
            Some(hub.clone())
        );
        assert_ne!(
            Origin::of("https://huggingface.co.evil.com/api"),
            Some(hub.clone())
        );
        assert_ne!(
            Origin::of("https://huggingface.co@evil.com/api"),
            Some(hub.clone())
        );
        assert_eq!(Origin::of("not a url"), None);
        assert_eq!(hub.serialize(), "https://huggingface.co");
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
        assert_eq!(
            resolve("http://127.0.0.1:9/api/x?p=1", "/api/x?p=2").as_deref(),
            Some("http://127.0.0.1:9/api/x?p=2")
        );
    }

    #[test]
    fn redaction_keeps_useful_parts() {
        assert_eq!(
            redact_url("https://u:p@hf.co/a?label=k%3Dv&token=abc#frag"),
            "https://hf.co/a?label=k%3Dv&token=REDACTED"
        );
        assert_eq!(
            redact_url("https://hf.co/a?x=hf_abc"),
            "https://hf.co/a?x=REDACTED"
        );
        assert_eq!(redact_url("garbage?token=1"), "garbage");
    }
}
