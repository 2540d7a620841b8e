//! Removing credentials from text and JSON before it is shown, logged or stored.
//!
//! [`Redactor::redact`] replaces with [`REDACTED`]:
//! 1. every registered secret value (registered with [`Redactor::with_secret`]; values shorter
//!    than [`MIN_SECRET_LEN`] characters are ignored because they would erase ordinary words);
//! 2. Hugging Face tokens: `hf_` followed by at least 10 of `[A-Za-z0-9_]` (this covers
//!    `hf_oauth_…`). Snake-case identifiers such as `hf_hub_download` — only lower-case letters
//!    and `_`, with at least one `_` — are kept, because generated code is stored redacted too and
//!    real tokens always contain capitals or digits;
//! 3. the credential after `Bearer` (any case, as a word, followed by spaces): everything up to
//!    whitespace, a quote, a backslash or one of `,;)]}<>`;
//! 4. values of credential keys in JSON (`"access_token": "…"`) and in query strings or forms
//!    (`access_token=…`): `access_token`, `accessToken`, `refresh_token`, `id_token`,
//!    `client_secret`, `code_verifier`, `hf_token`, `password` (keys matched without regard to case).
//!
//! Matches are merged before replacing, so overlapping matches become one marker, and every cut is
//! on a character boundary: any UTF-8 text is safe.
//!
//! [`Redactor::redact_json`] redacts every string in a JSON value and replaces the whole value of
//! keys that name a credential (see [`is_sensitive_key`]).

use std::fmt;

use serde_json::Value;

/// What replaces a credential.
pub const REDACTED: &str = "[redacted]";

/// Registered secrets shorter than this (in characters) are ignored.
pub const MIN_SECRET_LEN: usize = 8;

const HF_TOKEN_MIN_TAIL: usize = 10;

const CREDENTIAL_KEYS: &[&str] = &[
    "access_token",
    "accesstoken",
    "refresh_token",
    "refreshtoken",
    "id_token",
    "client_secret",
    "code_verifier",
    "hf_token",
    "password",
];

/// Replaces credentials in text and JSON. `Debug` never prints the registered secrets.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so that a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Redactor {
    /// A redactor with only the built-in patterns.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Also replaces every occurrence of `secret` (ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn with_secret(mut self, secret: &str) -> Redactor {
        self.add_secret(secret);
        self
    }

    /// Registers `secret` in place (ignored when shorter than [`MIN_SECRET_LEN`]).
    pub fn add_secret(&mut self, secret: &str) {
        if secret.chars().count() >= MIN_SECRET_LEN && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            crate::sort::stable_by(&mut self.secrets, |a, b| b.len().cmp(&a.len()));
        }
    }

    /// How many secrets are registered.
    pub fn secret_count(&self) -> usize {
        self.secrets.len()
    }

    /// `text` with every credential replaced by [`REDACTED`] (rules in the module documentation).
    pub fn redact(&self, text: &str) -> String {
        let mut ranges = Vec::new();
        for secret in &self.secrets {
            ranges.extend(
                text.match_indices(secret.as_str())
                    .map(|(i, s)| (i, i + s.len())),
            );
        }
        hf_token_ranges(text, &mut ranges);
        bearer_ranges(text, &mut ranges);
        key_value_ranges(text, &mut ranges);
        if ranges.is_empty() {
            return text.to_string();
        }
        // Plain integers: the shared stable sort gives the same order (one sort in the wasm).
        crate::sort::stable_by(&mut ranges, Ord::cmp);
        let mut out = String::with_capacity(text.len());
        let mut cursor = 0;
        let mut iter = ranges.into_iter().peekable();
        while let Some((start, mut end)) = iter.next() {
            while let Some(&(s, e)) = iter.peek() {
                if s > end {
                    break;
                }
                end = end.max(e);
                iter.next();
            }
            let start = start.max(cursor);
            if start < end {
                out.push_str(&text[cursor..start]);
                out.push_str(REDACTED);
                cursor = end;
            }
        }
        out.push_str(&text[cursor..]);
        out
    }

    /// A copy of `value` with every string redacted and the values of credential keys
    /// ([`is_sensitive_key`]) replaced by [`REDACTED`] (a `null` stays `null`).
    pub fn redact_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.redact_json(v)).collect())
            }
            Value::Object(map) => {
                // Inserted one by one: `collect` would sort the pairs with a sort of its own
                // (issue 13); a key that redacts to an earlier one keeps the last value either way.
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    let v = if is_sensitive_key(k) && !v.is_null() {
                        Value::String(REDACTED.to_string())
                    } else {
                        self.redact_json(v)
                    };
                    out.insert(self.redact(k), v);
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
}

/// Whether a JSON key names a credential: after lower-casing and dropping `_` and `-`, it ends
/// with `token`, `secret`, `password` or `apikey`, or is `authorization`, `proxyauthorization`,
/// `cookie` or `setcookie`. Plurals such as `input_tokens` or `secrets` are not credentials.
pub fn is_sensitive_key(key: &str) -> bool {
    let norm: String = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    ["token", "secret", "password", "apikey"]
        .iter()
        .any(|s| norm.ends_with(s))
        || ["authorization", "proxyauthorization", "cookie", "setcookie"].contains(&norm.as_str())
}

fn hf_token_ranges(text: &str, ranges: &mut Vec<(usize, usize)>) {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find("hf_") {
        let start = from + pos;
        let tail_start = start + 3;
        let mut end = tail_start;
        while end < bytes.len() && is_word_byte(bytes[end]) {
            end += 1;
        }
        let tail = &bytes[tail_start..end];
        let identifier =
            tail.contains(&b'_') && tail.iter().all(|b| b.is_ascii_lowercase() || *b == b'_');
        if tail.len() >= HF_TOKEN_MIN_TAIL && !identifier {
            ranges.push((start, end));
            from = end;
        } else {
            from = tail_start;
        }
    }
}

fn bearer_ranges(text: &str, ranges: &mut Vec<(usize, usize)>) {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    for (pos, _) in lower.match_indices("bearer") {
        if pos > 0 && is_word_byte(bytes[pos - 1]) {
            continue;
        }
        let mut i = pos + "bearer".len();
        let spaces_start = i;
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i == spaces_start {
            continue;
        }
        let value_start = i;
        let end = text[value_start..]
            .char_indices()
            .find(|(_, c)| c.is_whitespace() || "\"'`\\,;)]}<>".contains(*c))
            .map_or(text.len(), |(j, _)| value_start + j);
        if end > value_start && &text[value_start..end] != REDACTED {
            ranges.push((value_start, end));
        }
    }
}

fn key_value_ranges(text: &str, ranges: &mut Vec<(usize, usize)>) {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let skip_spaces = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    for key in CREDENTIAL_KEYS {
        for (pos, _) in lower.match_indices(key) {
            let mut i = pos + key.len();
            if i < bytes.len() && (bytes[i] == b'"' || bytes[i] == b'\'') {
                i += 1;
            }
            i = skip_spaces(i);
            if i >= bytes.len() || !(bytes[i] == b':' || bytes[i] == b'=') {
                continue;
            }
            i = skip_spaces(i + 1);
            if i >= bytes.len() {
                continue;
            }
            let (start, end) = if bytes[i] == b'"' || bytes[i] == b'\'' {
                let quote = bytes[i];
                let start = i + 1;
                let mut j = start;
                while j < bytes.len() && bytes[j] != quote {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                (start, j.min(bytes.len()))
            } else {
                let end = text[i..]
                    .char_indices()
                    .find(|(_, c)| c.is_whitespace() || "&\"'`\\,;)]}<>#".contains(*c))
                    .map_or(text.len(), |(j, _)| i + j);
                (i, end)
            };
            let value = &text[start..end];
            if end > start && value != "null" && value != REDACTED {
                ranges.push((start, end));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const TOKEN: &str = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

    fn r(text: &str) -> String {
        Redactor::default().redact(text)
    }

    #[test]
    fn hugging_face_tokens() {
        assert_eq!(r(&format!("token {TOKEN} here")), "token [redacted] here");
        assert_eq!(r("hf_oauth_AbCdEf0123456789xyz"), "[redacted]");
        assert_eq!(r("HF_TOKEN=hf_abcdefghij1"), "HF_TOKEN=[redacted]");
        assert_eq!(r("xhf_abcdefghijK."), "x[redacted].");
        // Short tails and snake_case identifiers are not tokens.
        assert_eq!(r("hf_short1"), "hf_short1");
        assert_eq!(
            r("from huggingface_hub import hf_hub_download"),
            "from huggingface_hub import hf_hub_download"
        );
        assert_eq!(r("hf_testtokenforalice"), "[redacted]");
        assert_eq!(r("hf_"), "hf_");
    }

    #[test]
    fn bearer_values() {
        assert_eq!(
            r("Authorization: Bearer abc.def-ghi\r\nX: 1"),
            "Authorization: Bearer [redacted]\r\nX: 1"
        );
        assert_eq!(
            r(r#"{"Authorization": "Bearer eyJhbGciOi"}"#),
            r#"{"Authorization": "Bearer [redacted]"}"#
        );
        assert_eq!(
            r("curl -H 'authorization: bearer xyz'"),
            "curl -H 'authorization: bearer [redacted]'"
        );
        assert_eq!(r("BEARER\tq1w2e3"), "BEARER\t[redacted]");
        assert_eq!(r("the forebearer walked"), "the forebearer walked");
        assert_eq!(r("Bearer"), "Bearer");
        assert_eq!(r("Bearer  "), "Bearer  ");
        assert_eq!(r("Bearer ünïcödé-token next"), "Bearer [redacted] next");
    }

    #[test]
    fn credential_keys() {
        assert_eq!(
            r(r#"{"access_token": "abc", "x": 1}"#),
            r#"{"access_token": "[redacted]", "x": 1}"#
        );
        assert_eq!(
            r(r#"{"accessToken":"a\"b","exp":1}"#),
            r#"{"accessToken":"[redacted]","exp":1}"#
        );
        assert_eq!(
            r("https://x/cb?code=1&access_token=abc123&state=s#f"),
            "https://x/cb?code=1&access_token=[redacted]&state=s#f"
        );
        assert_eq!(
            r("#access_token=abc&token_type=bearer"),
            "#access_token=[redacted]&token_type=bearer"
        );
        assert_eq!(r("refresh_token = 'zzz'"), "refresh_token = '[redacted]'");
        assert_eq!(
            r("code_verifier=v1v2v3 client_secret=s3"),
            "code_verifier=[redacted] client_secret=[redacted]"
        );
        assert_eq!(r(r#"{"access_token": null}"#), r#"{"access_token": null}"#);
        assert_eq!(r("the access_token field"), "the access_token field");
        assert_eq!(
            r("access_token=\"unterminated"),
            "access_token=\"[redacted]"
        );
    }

    #[test]
    fn registered_secrets() {
        let red = Redactor::default()
            .with_secret("s3cr3t-value!")
            .with_secret("short");
        assert_eq!(red.secret_count(), 1);
        assert_eq!(
            red.redact("a s3cr3t-value! b short"),
            "a [redacted] b short"
        );
        let nested = Redactor::default()
            .with_secret("abcdefgh")
            .with_secret("abcdefghijkl");
        assert_eq!(
            nested.redact("xabcdefghijkly abcdefgh"),
            "x[redacted]y [redacted]"
        );
        assert!(!format!("{red:?}").contains("s3cr3t"));
        assert_eq!(Redactor::default().with_secret("").secret_count(), 0);
    }

    #[test]
    fn overlapping_matches_become_one_marker() {
        let red = Redactor::default().with_secret(TOKEN);
        assert_eq!(red.redact(&format!("Bearer {TOKEN}")), "Bearer [redacted]");
        assert_eq!(red.redact(&format!("{TOKEN}{TOKEN}")), "[redacted]");
    }

    #[test]
    fn json_values_and_keys() {
        let red = Redactor::default().with_secret("my-long-secret");
        let v = json!({
            "secrets": {"HF_TOKEN": "anything"},
            "headers": {"Authorization": "Bearer q", "Cookie": "a=b"},
            "note": format!("uses {TOKEN} and my-long-secret"),
            "usage": {"input_tokens": 10, "total_tokens": 12, "token_type": "bearer"},
            "list": ["ok", "hf_Zz0123456789"],
            "api_key": 1234,
            "id_token": null,
        });
        let out = red.redact_json(&v);
        assert_eq!(
            out,
            json!({
                "secrets": {"HF_TOKEN": "[redacted]"},
                "headers": {"Authorization": "[redacted]", "Cookie": "[redacted]"},
                "note": "uses [redacted] and [redacted]",
                "usage": {"input_tokens": 10, "total_tokens": 12, "token_type": "bearer"},
                "list": ["ok", "[redacted]"],
                "api_key": "[redacted]",
                "id_token": null,
            })
        );
    }

    #[test]
    fn sensitive_keys() {
        for k in [
            "token",
            "HF_TOKEN",
            "accessToken",
            "client-secret",
            "Authorization",
            "password",
            "x-api-key",
            "Set-Cookie",
        ] {
            assert!(is_sensitive_key(k), "{k}");
        }
        for k in [
            "tokens",
            "input_tokens",
            "secrets",
            "token_type",
            "author",
            "name",
        ] {
            assert!(!is_sensitive_key(k), "{k}");
        }
    }

    fn planted() -> impl Strategy<Value = (String, String)> {
        // (text to plant, the credential inside it that must not survive)
        prop_oneof![
            "[A-Za-z0-9]{34}".prop_map(|t| (format!("hf_{t}"), format!("hf_{t}"))),
            "[A-Za-z0-9]{20,40}".prop_map(|t| (format!("hf_oauth_{t}"), t)),
            "[A-Za-z0-9._~+/=-]{8,40}".prop_map(|t| (format!("Authorization: Bearer {t}"), t)),
            "[A-Za-z0-9._~+/=-]{8,40}".prop_map(|t| (format!("bearer {t}"), t)),
            "[A-Za-z0-9._~+/=-]{8,40}".prop_map(|t| (format!("{{\"access_token\": \"{t}\"}}"), t)),
            "[A-Za-z0-9._~+/=-]{8,40}".prop_map(|t| (format!("?access_token={t}&x=1"), t)),
        ]
    }

    proptest! {
        #[test]
        fn planted_tokens_never_survive(a in "\\PC{0,40}", b in "\\PC{0,40}", (plant, secret) in planted()) {
            let text = format!("{a} {plant} {b}");
            let out = Redactor::default().redact(&text);
            prop_assert!(!out.contains(&secret), "{} survived in {}", secret, out);
            let (prefix, suffix) = (format!("{a} "), format!(" {b}"));
            prop_assert!(out.starts_with(&prefix), "prefix lost: {}", out);
            prop_assert!(out.ends_with(&suffix), "suffix lost: {}", out);
            prop_assert!(out.contains(REDACTED));
        }

        #[test]
        fn registered_secrets_never_survive(a in "\\PC{0,40}", b in "\\PC{0,40}", secret in "[!-~]{8,30}") {
            let lower = secret.to_ascii_lowercase();
            prop_assume!(!lower.contains("bearer") && !lower.contains("hf_") && !CREDENTIAL_KEYS.iter().any(|k| lower.contains(k)));
            let text = format!("{a} {secret} {b}{secret}");
            let out = Redactor::default().with_secret(&secret).redact(&text);
            prop_assert!(!out.contains(&secret));
            let prefix = format!("{a} ");
            prop_assert!(out.starts_with(&prefix), "prefix lost: {}", out);
        }

        #[test]
        fn redaction_never_panics_and_is_stable(s in "\\PC{0,200}", secret in "\\PC{0,12}") {
            let red = Redactor::default().with_secret(&secret);
            let once = red.redact(&s);
            prop_assert_eq!(red.redact(&once), once.clone());
        }

        #[test]
        fn redaction_never_panics_on_token_like_text(s in "(hf_|Bearer |access_token=|\"accessToken\":\"|[a-z]| |é|\\\\|\")*") {
            let _ = Redactor::default().redact(&s);
        }

        #[test]
        fn text_without_credentials_is_unchanged(s in "[a-zA-Z0-9 .,:éü漢]{0,80}") {
            let lower = s.to_ascii_lowercase();
            prop_assume!(!lower.contains("bearer") && !s.contains("hf_"));
            prop_assert_eq!(Redactor::default().redact(&s), s);
        }
    }
}
