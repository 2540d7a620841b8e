//! Spaces: create, info, runtime stages, hardware policy, commits, files, logs, secrets.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use sf_hubsim::{OTHER_TOKEN, OTHER_USER, TEST_TOKEN, TEST_USER};

use crate::common::{Env, eventually, sse_events, start_with};

/// `POST /api/spaces/{id}/hardware` with `flavor`, as `token`'s owner.
async fn request_hardware(env: &Env, id: &str, token: &str, flavor: &str) -> reqwest::Response {
    env.post(&format!("/api/spaces/{id}/hardware"), token)
        .json(&json!({ "flavor": flavor }))
        .send()
        .await
        .unwrap()
}

async fn env() -> Env {
    start_with(|c| {
        c.with_hardware_refusal(
            "zero-a10g",
            402,
            "ZeroGPU is only available to PRO users: subscribe to PRO to use it.",
        )
    })
    .await
}

async fn create(env: &Env, token: &str, body: Value) -> reqwest::Response {
    env.post("/api/repos/create", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn gradio_space(name: &str) -> Value {
    json!({
        "name": name,
        "organization": TEST_USER,
        "type": "space",
        "sdk": "gradio",
        "visibility": "private",
        "hardware": "cpu-basic",
        "files": [{"path": "app.py", "content": STANDARD.encode("import gradio as gr\n"), "encoding": "base64"}],
    })
}

async fn runtime(env: &Env, id: &str) -> Value {
    env.get(&format!("/api/spaces/{id}/runtime"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_stage(env: &Env, id: &str, stage: &str) -> Value {
    eventually(10, &format!("{id} to be {stage}"), || async {
        let rt = runtime(env, id).await;
        (rt["stage"] == stage).then_some(rt)
    })
    .await
}

#[tokio::test]
async fn create_a_space_and_watch_it_build_then_run() {
    let env = env().await;
    let r = create(&env, TEST_TOKEN, gradio_space("demo")).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], env.at(&format!("/spaces/{TEST_USER}/demo")));
    assert_eq!(
        create(&env, TEST_TOKEN, gradio_space("demo"))
            .await
            .status(),
        409
    );

    let id = format!("{TEST_USER}/demo");
    let rt = runtime(&env, &id).await;
    assert_eq!(rt["stage"], "BUILDING");
    assert_eq!(rt["hardware"]["requested"], "cpu-basic");
    assert_eq!(rt["hardware"]["current"], Value::Null);
    let rt = wait_stage(&env, &id, "RUNNING").await;
    assert_eq!(rt["hardware"]["current"], "cpu-basic");
    assert_eq!(rt["sdk"], "gradio");

    let info: Value = env
        .get(&format!("/api/spaces/{id}"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["id"], id);
    assert_eq!(info["sdk"], "gradio");
    assert_eq!(info["private"], true);
    assert_eq!(info["subdomain"], "sf-tester-demo");
    assert_eq!(info["host"], "https://sf-tester-demo.hf.space");
    assert_eq!(info["runtime"]["stage"], "RUNNING");
    assert_eq!(info["cardData"]["sdk"], "gradio");
    let files: Vec<&str> = info["siblings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["rfilename"].as_str().unwrap())
        .collect();
    assert_eq!(files, [".gitattributes", "README.md", "app.py"]);

    // Private: someone else gets RepoNotFound.
    let r = env
        .get(&format!("/api/spaces/{id}"), OTHER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");

    // Files can be read back.
    let r = env
        .get(&format!("/spaces/{id}/resolve/main/app.py"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "import gradio as gr\n");
    let r = env
        .get(&format!("/spaces/{id}/resolve/main/missing.py"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-error-code"], "EntryNotFound");

    // Build logs replay and end once the Space is no longer building.
    let body = env
        .get(&format!("/api/spaces/{id}/logs/build"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = sse_events(&body);
    assert!(events.len() >= 2, "{body}");
    let body = env
        .get(&format!("/api/spaces/{id}/logs/run"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        sse_events(&body)
            .iter()
            .any(|e| e["data"].as_str().unwrap().contains("Running on"))
    );
    env.shutdown().await;
}

#[tokio::test]
async fn hardware_requests_follow_the_policy() {
    let env = env().await;
    create(&env, TEST_TOKEN, gradio_space("gpu")).await;
    let id = format!("{TEST_USER}/gpu");
    wait_stage(&env, &id, "RUNNING").await;

    let r = request_hardware(&env, &id, TEST_TOKEN, "zero-a10g").await;
    assert_eq!(r.status(), 402);
    assert_eq!(
        r.headers()["x-error-message"],
        "ZeroGPU is only available to PRO users: subscribe to PRO to use it."
    );
    let v: Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("ZeroGPU"));

    let r = request_hardware(&env, &id, TEST_TOKEN, "t4-small").await;
    assert_eq!(r.status(), 200);
    let rt: Value = r.json().await.unwrap();
    assert_eq!(rt["hardware"]["requested"], "t4-small");
    assert_eq!(rt["stage"], "APP_STARTING");
    let rt = wait_stage(&env, &id, "RUNNING").await;
    assert_eq!(rt["hardware"]["current"], "t4-small");
    assert_eq!(rt["hardware"]["currentPrettyName"], "Nvidia T4 - small");

    // The policy can change at run time.
    env.control(
        Method::PUT,
        "/spaces/hardware-policy",
        json!({"refusals": {"t4-medium": {"status": 403, "message": "Your organization does not allow this hardware."}}}),
    )
    .await;
    let r = request_hardware(&env, &id, TEST_TOKEN, "t4-medium").await;
    assert_eq!(r.status(), 403);
    let r = request_hardware(&env, &id, TEST_TOKEN, "zero-a10g").await;
    assert_eq!(r.status(), 200, "the old refusal was replaced");
    let r = request_hardware(&env, &id, TEST_TOKEN, "warp-drive").await;
    assert_eq!(r.status(), 400);
    let r = request_hardware(&env, &id, OTHER_TOKEN, "t4-small").await;
    assert_eq!(r.status(), 404, "a private Space is not visible to others");

    let hw: Vec<Value> = env
        .http
        .get(env.at("/api/spaces/hardware"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(hw.iter().any(|h| h["name"] == "zero-a10g"));
    env.shutdown().await;
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

#[tokio::test]
async fn commits_change_files_and_rebuild() {
    let env = env().await;
    create(&env, TEST_TOKEN, gradio_space("app")).await;
    let id = format!("{TEST_USER}/app");
    wait_stage(&env, &id, "RUNNING").await;

    let body = ndjson(&[
        json!({"key": "header", "value": {"summary": "Generated app", "description": ""}}),
        json!({"key": "file", "value": {"path": "app.py", "content": STANDARD.encode("print('v2')\n"), "encoding": "base64"}}),
        json!({"key": "file", "value": {"path": "requirements.txt", "content": STANDARD.encode("gradio\n"), "encoding": "base64"}}),
    ]);
    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .header("content-type", "application/x-ndjson")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["commitOid"].as_str().unwrap().len(), 40);
    assert!(v["commitUrl"].as_str().unwrap().contains(&id));
    assert_eq!(runtime(&env, &id).await["stage"], "RUNNING_BUILDING");
    wait_stage(&env, &id, "RUNNING").await;
    let r = env
        .get(&format!("/spaces/{id}/resolve/main/app.py"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "print('v2')\n");

    let del = ndjson(&[
        json!({"key": "header", "value": {"summary": "Remove requirements"}}),
        json!({"key": "deletedFile", "value": {"path": "requirements.txt"}}),
    ]);
    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .body(del.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .body(del)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "deleting a missing file");

    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .body("{\"key\":\"file\"}\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a commit starts with a header");

    // Removing the app file: NO_APP_FILE after the build.
    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .body(ndjson(&[
            json!({"key": "header", "value": {"summary": "x"}}),
            json!({"key": "deletedFile", "value": {"path": "app.py"}}),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rt = wait_stage(&env, &id, "NO_APP_FILE").await;
    assert!(rt["errorMessage"].as_str().unwrap().contains("app.py"));
    env.shutdown().await;
}

#[tokio::test]
async fn creation_rules_plans_and_control_stages() {
    let env = env().await;
    // A free account cannot create Gradio Spaces; static ones are fine.
    let mut free = gradio_space("free");
    free["organization"] = json!(OTHER_USER);
    assert_eq!(create(&env, OTHER_TOKEN, free.clone()).await.status(), 402);
    free["sdk"] = json!("static");
    free["files"] = json!([{"path": "index.html", "content": STANDARD.encode("<h1>hi</h1>"), "encoding": "base64"}]);
    assert_eq!(create(&env, OTHER_TOKEN, free).await.status(), 200);
    // Someone else's namespace, bad sdk, missing write scope.
    assert_eq!(
        create(&env, OTHER_TOKEN, gradio_space("x")).await.status(),
        403
    );
    let mut bad = gradio_space("y");
    bad["sdk"] = json!("flash");
    assert_eq!(create(&env, TEST_TOKEN, bad).await.status(), 400);
    let read_only = env.mint(TEST_USER, &["read-repos"], None).await;
    assert_eq!(
        create(&env, &read_only, gradio_space("z")).await.status(),
        403
    );
    // ZeroGPU requested at creation follows the policy too.
    let mut zero = gradio_space("zero");
    zero["hardware"] = json!("zero-a10g");
    assert_eq!(create(&env, TEST_TOKEN, zero).await.status(), 402);

    // Forced stages for error paths.
    create(&env, TEST_TOKEN, gradio_space("broken")).await;
    let id = format!("{TEST_USER}/broken");
    env.control(
        Method::POST,
        &format!("/spaces/{id}/stage"),
        json!({"stage": "RUNTIME_ERROR", "errorMessage": "CUDA out of memory"}),
    )
    .await;
    env.control(
        Method::POST,
        &format!("/spaces/{id}/logs"),
        json!({"kind": "run", "line": "torch.OutOfMemoryError"}),
    )
    .await;
    let rt = runtime(&env, &id).await;
    assert_eq!(rt["stage"], "RUNTIME_ERROR");
    assert_eq!(rt["errorMessage"], "CUDA out of memory");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(
        runtime(&env, &id).await["stage"],
        "RUNTIME_ERROR",
        "the pending build timer does not override it"
    );
    let body = env
        .get(&format!("/api/spaces/{id}/logs/run"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("OutOfMemoryError"));
    env.shutdown().await;
}

#[tokio::test]
async fn secrets_are_write_only_and_variables_readable() {
    let env = env().await;
    create(&env, TEST_TOKEN, gradio_space("cfg")).await;
    let id = format!("{TEST_USER}/cfg");
    let r = env
        .post(&format!("/api/spaces/{id}/secrets"), TEST_TOKEN)
        .json(&json!({"key": "HF_TOKEN", "value": "hf_abc", "description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let secrets: Value = env
        .get(&format!("/api/spaces/{id}/secrets"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(secrets["HF_TOKEN"]["description"], "d");
    assert!(!secrets.to_string().contains("hf_abc"));
    let r = env
        .post(&format!("/api/spaces/{id}/variables"), TEST_TOKEN)
        .json(&json!({"key": "MODEL_ID", "value": "openai-community/gpt2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let vars: Value = env
        .get(&format!("/api/spaces/{id}/variables"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vars["MODEL_ID"]["value"], "openai-community/gpt2");
    let r = env
        .http
        .delete(env.at(&format!("/api/spaces/{id}/variables")))
        .bearer_auth(TEST_TOKEN)
        .json(&json!({"key": "MODEL_ID"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let vars: Value = env
        .get(&format!("/api/spaces/{id}/variables"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(vars, json!({}));
    env.shutdown().await;
}

#[tokio::test]
async fn sleep_time_on_paid_hardware_pause_and_refused_settings() {
    let env = start_with(|c| c.with_settings_refusal("restart", 401)).await;
    // A sleep time is refused for ZeroGPU (the Hub's words) and the free CPU.
    for (name, flavor) in [("z", "zero-a10g"), ("c", "cpu-basic")] {
        let mut body = gradio_space(name);
        body["hardware"] = json!(flavor);
        body["sleepTimeSeconds"] = json!(3600);
        let r = create(&env, TEST_TOKEN, body).await;
        assert_eq!(r.status(), 400, "{flavor}");
        let text = r.text().await.unwrap();
        assert!(
            text.contains(&format!("Cannot change the sleep time for {flavor} Spaces")),
            "{text}"
        );
    }
    // On paid hardware it becomes the runtime's gcTimeout.
    let mut body = gradio_space("paid");
    body["hardware"] = json!("t4-small");
    body["sleepTimeSeconds"] = json!(1800);
    assert_eq!(create(&env, TEST_TOKEN, body).await.status(), 200);
    let id = format!("{TEST_USER}/paid");
    let rt = wait_stage(&env, &id, "RUNNING").await;
    assert_eq!(rt["gcTimeout"], 1800);
    assert_eq!(rt["hardware"]["current"], "t4-small");
    // Someone else cannot pause it; its owner can, and then nothing runs on its hardware.
    let pause = |token: &'static str| env.post(&format!("/api/spaces/{id}/pause"), token).send();
    assert!(pause(OTHER_TOKEN).await.unwrap().status().is_client_error());
    let r = pause(TEST_TOKEN).await.unwrap();
    assert_eq!(r.status(), 200);
    let rt: Value = r.json().await.unwrap();
    assert_eq!(rt["stage"], "PAUSED");
    assert!(rt["hardware"]["current"].is_null(), "{rt}");
    assert_eq!(runtime(&env, &id).await["stage"], "PAUSED");
    // A settings call the Hub refuses to this token (as OAuth tokens on /restart).
    let r = env
        .post(&format!("/api/spaces/{id}/restart"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(runtime(&env, &id).await["stage"], "PAUSED");
}
