//! What the local run (`cargo xtask serve`) relies on: a release folder served with the scopes of
//! its README and seeded as the factory Space, the demo agent behind the router's path and its
//! token rules, and web pages at the addresses the app links to.

use serde_json::{Value, json};
use sf_hubsim::{OTHER_USER, TEST_TOKEN};

use crate::common::start_with;

fn release(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("worker")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dir.join("worker/space-factory-worker"), b"\x7fELF-worker").unwrap();
    std::fs::write(
        dir.join("README.md"),
        "---\ntitle: Space Factory\nsdk: static\nhf_oauth: true\nhf_oauth_scopes:\n  # why\n  - read-repos\n  - inference-api\n  - jobs\n---\n# Space Factory\n",
    )
    .unwrap();
}

#[tokio::test]
async fn the_release_folder_is_the_app_and_the_factory_space() {
    let app = tempfile::tempdir().unwrap();
    release(app.path());
    let dir = app.path().to_path_buf();
    let env = start_with(move |c| {
        c.with_app_dir(dir.clone())
            .with_seed_space("sf-tester/space-factory", dir)
    })
    .await;
    let vars = env.sim.space_variables();
    assert_eq!(
        vars["OAUTH_SCOPES"],
        "openid profile read-repos inference-api jobs"
    );
    // The worker is a file of the public factory Space, as on the Hub.
    let r = env
        .http
        .get(env.at("/spaces/sf-tester/space-factory/resolve/main/worker/space-factory-worker"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\x7fELF-worker");
    let info: Value = env
        .get("/api/spaces/sf-tester/space-factory", TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sdk"], "static");
    assert_eq!(info["private"], false);
}

#[tokio::test]
async fn the_demo_agent_answers_only_a_token_with_inference_access() {
    let env = start_with(|c| c.with_demo_agent()).await;
    let body = json!({"model": "m", "stream": false, "messages": [
        {"role": "user", "content": "Build a Gradio app for the model `openai-community/gpt2`, ...\nFacts:\n- Task (pipeline tag): text-generation\n"}
    ]});
    let r = env
        .http
        .post(env.at("/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let limited = env
        .control(
            reqwest::Method::POST,
            "/tokens",
            json!({"user": OTHER_USER, "scopes": ["read-repos"]}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = env
        .post("/v1/chat/completions", &limited)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r: Value = env
        .post("/v1/chat/completions", TEST_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let calls = r["choices"][0]["message"]["tool_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 4);
    assert_eq!(r["choices"][0]["finish_reason"], "tool_calls");
    // Streaming, as Pi asks.
    let mut streamed = body.clone();
    streamed["stream"] = json!(true);
    let r = env
        .post("/v1/chat/completions", TEST_TOKEN)
        .json(&streamed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    assert!(r.text().await.unwrap().ends_with("data: [DONE]\n\n"));
}

#[tokio::test]
async fn without_the_demo_agent_there_is_no_model_endpoint() {
    let env = start_with(|c| c).await;
    let r = env
        .post("/v1/chat/completions", TEST_TOKEN)
        .json(&json!({"messages": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_links_of_the_app_lead_to_pages() {
    let env = start_with(|c| c).await;
    env.control(reqwest::Method::POST, "/buckets/sf-tester/runs", json!({}))
        .await;
    let r = env
        .http
        .put(env.at("/__sim/buckets/sf-tester/runs/files/runs/r1/report.md"))
        .body("# <b>report</b>")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let page = env
        .http
        .get(env.at("/buckets/sf-tester/runs/tree/runs/r1"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("href=\"/buckets/sf-tester/runs/resolve/runs/r1/report.md\""),
        "{html}"
    );
    // A file name is text, never markup.
    assert!(!html.contains("<b>"));

    env.post("/api/repos/create", TEST_TOKEN)
        .json(&json!({"type": "space", "name": "demo", "sdk": "static", "private": true}))
        .send()
        .await
        .unwrap();
    for path in ["/spaces/sf-tester/demo", "/spaces/sf-tester/demo/settings"] {
        let r = env.http.get(env.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.text().await.unwrap().contains("id=\"stage\""));
    }
    let job: Value = env
        .post("/api/jobs/sf-tester", TEST_TOKEN)
        .json(&json!({"dockerImage": "x", "command": ["sh", "-c", "echo 'hello <world>'"], "flavor": "cpu-basic"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = job["id"].as_str().unwrap();
    let mut html = String::new();
    for _ in 0..100 {
        html = env
            .http
            .get(env.at(&format!("/jobs/sf-tester/{id}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains("COMPLETED") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("hello &lt;world&gt;"), "{html}");
    for missing in [
        "/jobs/sf-tester/nope",
        "/spaces/sf-tester/nope",
        "/buckets/sf-tester/nope",
    ] {
        assert_eq!(
            env.http.get(env.at(missing)).send().await.unwrap().status(),
            404,
            "{missing}"
        );
    }
}

#[tokio::test]
async fn readme_metadata_is_validated_like_the_hub_before_an_upload() {
    let env = start_with(|c| c).await;
    let check = |content: &str| {
        env.http
            .post(env.at("/api/validate-yaml"))
            .json(&json!({"content": content, "repoType": "space"}))
            .send()
    };
    let ok = check("---\nsdk: static\nhf_oauth: true\nhf_oauth_scopes:\n  - jobs\n  - inference-api\n---\n# x\n")
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let bad_sdk = check("---\nsdk: flask\n---\n").await.unwrap();
    assert_eq!(bad_sdk.status(), 400);
    let v: Value = bad_sdk.json().await.unwrap();
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("flask")
    );
    let bad_scope = check("---\nsdk: static\nhf_oauth_scopes:\n  - run-jobs\n---\n")
        .await
        .unwrap();
    assert_eq!(bad_scope.status(), 400);
    let empty: Value = check("# no metadata\n")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(empty["warnings"].as_array().unwrap().len(), 1);
}
