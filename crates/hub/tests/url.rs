//! The URL pieces the Hub client stands on (src/url.rs): origins (the token is only ever sent to
//! the Hub's), `Link` targets, redaction of errors and logs, form bodies. One case list, run on
//! both targets: natively against the `url` crate, and on wasm32 in headless Chromium against the
//! browser's own `URL` (what the page uses; `cargo xtask test` runs both, README "How the tests
//! run"). A case that passes on one and not the other is a behaviour the two builds do not share.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use sf_hub::url::{Origin, form_decode, form_encode, redact_url, resolve};

/// URL → its origin's serialization; `None` when the token must never go there as to the Hub.
const ORIGINS: &[(&str, Option<&str>)] = &[
    ("https://huggingface.co", Some("https://huggingface.co")),
    (
        "https://HuggingFace.co:443/api/x?y",
        Some("https://huggingface.co"),
    ),
    ("http://huggingface.co/api", Some("http://huggingface.co")),
    (
        "https://huggingface.co:8443/api",
        Some("https://huggingface.co:8443"),
    ),
    (
        "https://huggingface.co.evil.com/api",
        Some("https://huggingface.co.evil.com"),
    ),
    (
        "https://huggingface.co@evil.com/api",
        Some("https://evil.com"),
    ),
    (
        "https://huggingface.co:x@evil.com:443/",
        Some("https://evil.com"),
    ),
    (
        "https://huggingface.co\\@evil.com/",
        Some("https://huggingface.co"),
    ),
    ("http://127.0.0.1:8080/x", Some("http://127.0.0.1:8080")),
    ("http://LOCALHOST:80/", Some("http://localhost")),
    ("http://[::1]:9/", Some("http://[::1]:9")),
    ("http://[0:0::1]/", Some("http://[::1]")),
    ("http://0x7f.1/", Some("http://127.0.0.1")),
    ("  https://hf.co/  ", Some("https://hf.co")),
    ("https://h\tf.co/", Some("https://hf.co")),
    ("HTTPS://hf.co./", Some("https://hf.co.")),
    ("wss://hf.co:443/x", Some("wss://hf.co")),
    ("ws://hf.co:80/x", Some("ws://hf.co")),
    ("blob:https://hf.co/uuid", Some("https://hf.co")),
    ("data:text/plain,hi", None),
    ("file:///etc/passwd", None),
    ("file://host/x", None),
    ("about:blank", None),
    ("javascript:alert(1)", None),
    ("foo://hf.co/x", None),
    ("blob:foo://hf.co/x", None),
    ("not a url", None),
    ("", None),
    ("/relative", None),
    ("//hf.co/x", None),
    ("https://", None),
    ("https://hf.co:99999/", None),
    ("https://hf co/", None),
    ("http://[::1/", None),
    ("https://a%41b/", Some("https://aab")),
    ("https://a%2eb/", Some("https://a.b")),
    ("https://a..b/", Some("https://a..b")),
    (
        "https://a\"b{}`'!$&(;=+,~/",
        Some("https://a\"b{}`'!$&(;=+,~"),
    ),
    ("https://xn--a.com/", Some("https://xn--a.com")),
    (
        "https://xn--bcher-kva.de/",
        Some("https://xn--bcher-kva.de"),
    ),
    ("https://a%20b/", None),
    ("https://a%25b/", None),
    ("https://a|b/", None),
    ("https://a^b/", None),
    ("https://a%00b/", None),
    ("https://1.2.3.256/", None),
    ("https://1.2.3.4.5/", None),
    ("blob:file:///x", None),
    ("blob:ftp://a/x", Some("ftp://a")),
    ("ftp://a:21/x", Some("ftp://a")),
    ("https://%2e/", Some("https://.")),
];

/// Where the two builds knowingly differ: hosts no Hub, Space or simulator address has, and
/// never the Hub's origin on either. (URL, native, browser.)
const ORIGINS_BY_TARGET: &[(&str, Option<&str>, Option<&str>)] = &[
    // International domain names: the workspace pins `idna_adapter` 1.0 (root Cargo.toml), which
    // leaves them out of the `url` crate; the browser converts them as the standard says.
    ("https://bücher.de/", None, Some("https://xn--bcher-kva.de")),
    ("https://xn--/", None, Some("https://xn--")),
    // The standard keeps a `*` in a host; Chromium escapes it, so the browser build refuses it.
    ("https://a*b/", Some("https://a*b"), None),
];

/// (request URL, `Link` target) → the URL fetched next.
const RESOLVED: &[(&str, &str, Option<&str>)] = &[
    (
        "http://127.0.0.1:9/api/x?p=1",
        "/api/x?p=2",
        Some("http://127.0.0.1:9/api/x?p=2"),
    ),
    (
        "https://hf.co/api/x?p=1",
        "https://hf.co/api/x?cursor=a,b",
        Some("https://hf.co/api/x?cursor=a,b"),
    ),
    (
        "https://hf.co/api/models?p=1",
        "?p=2",
        Some("https://hf.co/api/models?p=2"),
    ),
    ("https://hf.co/api/a/b", "../c", Some("https://hf.co/api/c")),
    ("https://hf.co/api/a/b", "c", Some("https://hf.co/api/a/c")),
    (
        "https://hf.co/api/a",
        "//evil.com/x",
        Some("https://evil.com/x"),
    ),
    ("https://hf.co/a?q", "", Some("https://hf.co/a?q")),
    ("https://hf.co/a#f", "#g", Some("https://hf.co/a#g")),
    ("https://hf.co/a", "b c", Some("https://hf.co/b%20c")),
    (
        "https://hf.co/",
        "https://HF.co:443/x?q=a b",
        Some("https://hf.co/x?q=a%20b"),
    ),
    ("https://hf.co/a", "http://[bad", None),
    ("not a base", "/x", None),
    ("not a base", "https://hf.co/x", None),
    ("data:text/plain,x", "y", None),
    ("https://hf.co/a", "https://a b/", None),
    ("https://a b/", "/x", None),
];

/// URL → what an error message or a log may show of it.
const REDACTED: &[(&str, &str)] = &[
    (
        "https://u:p@hf.co/a?label=k%3Dv&token=abc#frag",
        "https://hf.co/a?label=k%3Dv&token=REDACTED",
    ),
    ("https://hf.co/a?x=hf_abc", "https://hf.co/a?x=REDACTED"),
    ("https://u@hf.co/", "https://hf.co/"),
    ("https://:p@hf.co/", "https://hf.co/"),
    ("https://hf.co/a?", "https://hf.co/a"),
    ("https://hf.co/a?&", "https://hf.co/a"),
    ("https://hf.co/a?&&x=1", "https://hf.co/a?x=1"),
    ("https://hf.co/a#", "https://hf.co/a"),
    ("https://hf.co/a?x=1#tok?token=1", "https://hf.co/a?x=1"),
    (
        "https://hf.co/a?Access_Token=x&code=y&state=z&ok=1",
        "https://hf.co/a?Access_Token=REDACTED&code=REDACTED&state=REDACTED&ok=1",
    ),
    (
        "https://hf.co/a?X-Amz-Signature=s&X-Amz-Credential=c&X-Amz-Security-Token=t&X-Amz-Date=d",
        "https://hf.co/a?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Security-Token=REDACTED&X-Amz-Date=d",
    ),
    (
        "https://hf.co/a?refresh_token=1&id_token=2&code_verifier=3&client_secret=4&password=5&signature=6",
        "https://hf.co/a?refresh_token=REDACTED&id_token=REDACTED&code_verifier=REDACTED&client_secret=REDACTED&password=REDACTED&signature=REDACTED",
    ),
    (
        "https://hf.co/a?x=1&x=hf_2&x=3",
        "https://hf.co/a?x=1&x=REDACTED&x=3",
    ),
    (
        "https://hf.co/a?%74oken=abc",
        "https://hf.co/a?token=REDACTED",
    ),
    (
        "https://hf.co/a?token=a%26b&c=d",
        "https://hf.co/a?token=REDACTED&c=d",
    ),
    ("https://hf.co/a?v=hf%5Fabc", "https://hf.co/a?v=REDACTED"),
    ("https://hf.co/a?v=+hf_abc", "https://hf.co/a?v=+hf_abc"),
    (
        "https://hf.co/a?q=a+b%20c&r=%E2%9C%93",
        "https://hf.co/a?q=a+b+c&r=%E2%9C%93",
    ),
    (
        "https://hf.co/a?x=\u{1F600}",
        "https://hf.co/a?x=%F0%9F%98%80",
    ),
    ("https://hf.co/a?x=%zz", "https://hf.co/a?x=%25zz"),
    ("https://hf.co/a?flag&x=", "https://hf.co/a?flag=&x="),
    (
        "https://hf.co/p%20q/r s?x=1",
        "https://hf.co/p%20q/r%20s?x=1",
    ),
    ("HTTPS://HF.CO:443/A?b=1", "https://hf.co/A?b=1"),
    (
        "http://[::1]:8080/?token=1",
        "http://[::1]:8080/?token=REDACTED",
    ),
    (
        "data:text/plain,a?token=x#y",
        "data:text/plain,a?token=REDACTED",
    ),
    ("file:///tmp/x?token=1", "file:///tmp/x?token=REDACTED"),
    // Not a URL: everything from the first `?` or `#` is dropped.
    ("garbage?token=1", "garbage"),
    ("garbage#token=1", "garbage"),
    ("/api/x?token=1", "/api/x"),
    ("https://hf.co:99999/?token=1", "https://hf.co:99999/"),
    ("https://hf co/?token=1", "https://hf co/"),
    ("", ""),
];

/// Form fields → an `application/x-www-form-urlencoded` body (the OAuth code exchange).
const FORMS: &[(&[(&str, &str)], &str)] = &[
    (
        &[
            ("grant_type", "authorization_code"),
            ("code", "a b+c&d=e"),
            ("redirect_uri", "https://app.test/?x=1#f"),
            ("v", "~*-._\u{2713}%"),
        ],
        "grant_type=authorization_code&code=a+b%2Bc%26d%3De&redirect_uri=https%3A%2F%2Fapp.test%2F%3Fx%3D1%23f&v=%7E*-._%E2%9C%93%25",
    ),
    (&[], ""),
    (&[("", "")], "="),
];

/// A query string → its pairs (the OAuth redirect back to the page).
const QUERIES: &[(&str, &[(&str, &str)])] = &[
    (
        "?code=abc&state=x%2By+z&view=build",
        &[("code", "abc"), ("state", "x+y z"), ("view", "build")],
    ),
    ("code=1", &[("code", "1")]),
    ("??a=b", &[("?a", "b")]),
    ("", &[]),
    ("?", &[]),
    ("&&a&=b&c==d&", &[("a", ""), ("", "b"), ("c", "=d")]),
    (
        "error=access_denied&error_description=The+user+said+%22no%22%21",
        &[
            ("error", "access_denied"),
            ("error_description", "The user said \"no\"!"),
        ],
    ),
    (
        "k=%E2%9C%93&bad=%FF%zz&pct=%",
        &[("k", "\u{2713}"), ("bad", "\u{FFFD}%zz"), ("pct", "%")],
    ),
    ("a=1&a=2", &[("a", "1"), ("a", "2")]),
];

/// Every mismatch at once, so one run shows all that differs.
fn check<I: std::fmt::Debug, O: PartialEq + std::fmt::Debug>(
    what: &str,
    cases: impl IntoIterator<Item = (I, O, O)>,
) {
    let wrong: Vec<String> = cases
        .into_iter()
        .filter(|(_, want, got)| want != got)
        .map(|(input, want, got)| format!("{what} {input:?}: want {want:?}, got {got:?}"))
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn origins_are_scheme_host_and_port_and_opaque_ones_are_none() {
    check(
        "Origin::of",
        ORIGINS.iter().map(|&(url, want)| {
            (
                url,
                want.map(str::to_owned),
                Origin::of(url).map(|o| o.serialize()),
            )
        }),
    );
    check(
        "Origin::of",
        ORIGINS_BY_TARGET.iter().map(|&(url, native, browser)| {
            let want = if cfg!(target_arch = "wasm32") {
                browser
            } else {
                native
            };
            (
                url,
                want.map(str::to_owned),
                Origin::of(url).map(|o| o.serialize()),
            )
        }),
    );
    let hub = Origin::of("https://huggingface.co").unwrap();
    assert_eq!(
        Origin::of("https://HUGGINGFACE.CO:443/api"),
        Some(hub.clone())
    );
    assert_ne!(Origin::of("http://huggingface.co/api"), Some(hub.clone()));
    assert_ne!(Origin::of("https://huggingface.co@evil.com/"), Some(hub));
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn link_targets_resolve_against_the_request_url() {
    check(
        "resolve",
        RESOLVED.iter().map(|&(base, reference, want)| {
            (
                (base, reference),
                want.map(str::to_owned),
                resolve(base, reference),
            )
        }),
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn redaction_drops_userinfo_fragment_and_secret_values() {
    check(
        "redact_url",
        REDACTED
            .iter()
            .map(|&(url, want)| (url, want.to_owned(), redact_url(url))),
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn form_bodies_are_encoded_as_browsers_send_forms() {
    check(
        "form_encode",
        FORMS
            .iter()
            .map(|&(pairs, want)| (pairs, want.to_owned(), form_encode(pairs.iter().copied()))),
    );
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn query_strings_are_read_as_browsers_read_them() {
    check(
        "form_decode",
        QUERIES.iter().map(|&(query, want)| {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            (query, want, form_decode(query))
        }),
    );
    // What `form_encode` writes, `form_decode` reads back.
    for &(pairs, _) in FORMS {
        let back = form_decode(&form_encode(pairs.iter().copied()));
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|&(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(back, pairs);
    }
}
