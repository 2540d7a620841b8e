//! The Hub gzips its JSON answers for a client that accepts gzip (huggingface_hub#3269 shows
//! `Content-Encoding: gzip` and `Vary: Origin,accept-encoding`); the simulator does the same, so a
//! browser's first load counts the bytes it would really fetch, and a client that could not read a
//! gzipped answer fails here as it would on huggingface.co.

use std::io::Read;

use serde_json::Value;
use sf_hubsim::TEST_TOKEN;

use crate::common::{start, start_with};

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a valid gzip body");
    out
}

#[tokio::test]
async fn json_answers_are_gzipped_for_a_client_that_accepts_gzip() {
    let env = start().await;
    let plain = env
        .http
        .get(env.at("/api/spaces/hardware"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 1024, "the hardware list is worth compressing");

    for accept in ["gzip, deflate, br, zstd", "br;q=1.0, GZIP;q=0.5", "*"] {
        let r = env
            .http
            .get(env.at("/api/spaces/hardware"))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-encoding"], "gzip", "{accept}");
        let vary: Vec<_> = r
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect();
        assert!(vary.iter().any(|v| v == "accept-encoding"), "{vary:?}");
        let body = r.bytes().await.unwrap();
        assert!(
            body.len() * 3 < plain.len(),
            "{} of {}",
            body.len(),
            plain.len()
        );
        assert_eq!(gunzip(&body), plain, "{accept}");
        let _: Value = serde_json::from_slice(&plain).unwrap();
    }
}

#[tokio::test]
async fn what_the_hub_leaves_alone_stays_plain() {
    let env = start().await;
    // (method, path, Accept-Encoding, status): gzip refused outright or not offered; small
    // answers (under Express's 1 KB threshold), errors included; HEAD.
    let cases = [
        ("GET", "/api/spaces/hardware", "gzip;q=0", 200),
        ("GET", "/api/spaces/hardware", "br", 200),
        ("GET", "/api/spaces/hardware", "identity", 200),
        ("GET", "/api/whoami-v2", "gzip", 200),
        ("GET", "/api/spaces/nobody/nothing", "gzip", 404),
        ("HEAD", "/api/spaces/hardware", "gzip", 200),
    ];
    for (method, path, accept, status) in cases {
        let r = env
            .http
            .request(method.parse().unwrap(), env.at(path))
            .bearer_auth(TEST_TOKEN)
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        let case = format!("{method} {path} ({accept})");
        assert_eq!(r.status(), status, "{case}");
        assert!(r.headers().get("content-encoding").is_none(), "{case}");
        if method == "GET" {
            let _: Value = r.json().await.expect(&case);
        }
    }
}

#[tokio::test]
async fn resource_timings_are_shared_only_when_the_bench_asks() {
    let tao = |env: &crate::common::Env| {
        let url = env.at("/api/spaces/hardware");
        let http = env.http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            r.headers().get("timing-allow-origin").cloned()
        }
    };
    // The Hub sends none (its headers in huggingface_hub#3269 have none).
    assert_eq!(tao(&start().await).await, None);
    let env = start_with(|mut c| {
        c.timing_allow_origin = true;
        c
    })
    .await;
    assert_eq!(tao(&env).await.unwrap(), "*");
}
