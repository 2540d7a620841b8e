//! Fault injection, CORS and the headers every response carries.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sf_hubsim::{TEST_TOKEN, TEST_USER};

use crate::common::{eventually, start};

#[tokio::test]
async fn injected_status_answers_the_next_n_calls_then_stops() {
    let env = start().await;
    env.control(
        Method::POST,
        "/faults",
        json!({"method": "GET", "path_prefix": "/api/whoami-v2", "count": 2, "status": 503, "body": "Service temporarily unavailable", "retry_after": 1}),
    )
    .await;
    for _ in 0..2 {
        let r = env.get("/api/whoami-v2", TEST_TOKEN).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(
            r.headers()["x-error-message"],
            "Service temporarily unavailable"
        );
        assert_eq!(r.headers()["retry-after"], "1");
        assert!(r.headers().contains_key("x-request-id"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "Service temporarily unavailable");
    }
    assert_eq!(
        env.get("/api/whoami-v2", TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A method filter: a POST fault does not touch GETs.
    env.control(
        Method::POST,
        "/faults",
        json!({"method": "POST", "path_prefix": "/api/buckets/", "status": 500}),
    )
    .await;
    let r = env
        .get(&format!("/api/buckets/{TEST_USER}/nothing"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = env
        .post(&format!("/api/buckets/{TEST_USER}/b"), TEST_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    // Then the POST goes through.
    let r = env
        .post(&format!("/api/buckets/{TEST_USER}/b"), TEST_TOKEN)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Listing and clearing.
    env.control(
        Method::POST,
        "/faults",
        json!({"path_prefix": "/api/", "count": 5, "status": 500}),
    )
    .await;
    let armed: Vec<Value> = env
        .http
        .get(env.at("/__sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(armed.len(), 1);
    env.control(Method::DELETE, "/faults", json!({})).await;
    assert_eq!(
        env.get("/api/whoami-v2", TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    env.shutdown().await;
}

#[tokio::test]
async fn injected_delay_makes_the_call_late() {
    let env = start().await;
    env.control(
        Method::POST,
        "/faults",
        json!({"path_prefix": "/api/whoami-v2", "delay_ms": 600}),
    )
    .await;
    let t0 = Instant::now();
    let r = env.get("/api/whoami-v2", TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(600));
    let t1 = Instant::now();
    env.get("/api/whoami-v2", TEST_TOKEN).send().await.unwrap();
    assert!(t1.elapsed() < Duration::from_millis(600));
    env.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_fail_the_request() {
    let env = start().await;
    env.control(
        Method::POST,
        "/faults",
        json!({"path_prefix": "/api/whoami-v2", "drop_connection": true}),
    )
    .await;
    let failed = match env.get("/api/whoami-v2", TEST_TOKEN).send().await {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "the call must fail like a network error");
    assert_eq!(
        env.get("/api/whoami-v2", TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    env.shutdown().await;
}

#[tokio::test]
async fn a_dropped_log_stream_delivers_a_first_chunk_then_breaks() {
    let env = start().await;
    let job: Value = env
        .post(&format!("/api/jobs/{TEST_USER}"), TEST_TOKEN)
        .json(&json!({"dockerImage": "a", "command": ["sh", "-c", "echo a; echo b; echo c"], "flavor": "cpu-basic"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap().to_string();
    eventually(10, "the job to complete", || async {
        let j: Value = env
            .get(&format!("/api/jobs/{TEST_USER}/{id}"), TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (j["status"]["stage"] == "COMPLETED").then_some(())
    })
    .await;
    let logs = format!("/api/jobs/{TEST_USER}/{id}/logs");
    env.control(
        Method::POST,
        "/faults",
        json!({"path_prefix": logs, "drop_connection": true}),
    )
    .await;
    let r = env.get(&logs, TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut stream = Box::pin(r.bytes_stream());
    use futures_util::StreamExt;
    let first = stream
        .next()
        .await
        .expect("a first chunk")
        .expect("delivered");
    assert!(String::from_utf8_lossy(&first).starts_with("data: "));
    let mut broke = false;
    while let Some(chunk) = stream.next().await {
        if chunk.is_err() {
            broke = true;
            break;
        }
    }
    assert!(broke, "the stream must end with an error, not cleanly");
    // Reconnecting replays everything.
    let body = env
        .get(&logs, TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(crate::common::sse_events(&body).len(), 4);
    env.shutdown().await;
}

#[tokio::test]
async fn cors_preflight_and_exposed_headers() {
    let env = start().await;
    let r = env
        .http
        .request(Method::OPTIONS, env.at(&format!("/api/jobs/{TEST_USER}")))
        .header("origin", "http://localhost:8080")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:8080");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for needed in ["authorization", "content-type", "range", "x-xet-session-id"] {
        assert!(allowed.contains(needed), "{allowed}");
    }
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert!(h.contains_key("x-request-id"));

    // Errors carry CORS headers too, so the browser can read them.
    let r = env
        .http
        .get(env.at("/api/whoami-v2"))
        .header("origin", "https://someone.hf.space")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://someone.hf.space");
    let exposed = h["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for needed in [
        "link",
        "x-request-id",
        "x-error-code",
        "x-error-message",
        "x-linked-size",
        "etag",
        "content-range",
    ] {
        assert!(exposed.contains(needed), "{exposed}");
    }
    assert!(h["x-request-id"].to_str().unwrap().starts_with("Root=1-"));

    // Unknown API paths are Hub-shaped 404s.
    let r = env
        .get("/api/nothing/here", TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("x-request-id"));
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].is_string());
    env.shutdown().await;
}
