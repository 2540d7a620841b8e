//! URL building and reading: repo and job paths, file paths, origins, `Link` headers, redaction.
//! Path segments and query parts are encoded by `sf_core::links` (the project's one encoder).

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
