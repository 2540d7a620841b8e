//! Spaces that really run: a Gradio app committed to the simulator is built (requirements
//! checked), started with the Python from `SF_PYTHON`, reached through its `host`, restarted on
//! commits, restarts and hardware changes, and never outlives the simulator.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use sf_hubsim::{OTHER_TOKEN, SimConfig, TEST_TOKEN, TEST_USER};

use crate::common::{Env, eventually, sse_events, start_with};

fn python() -> String {
    std::env::var("SF_PYTHON").unwrap_or_else(|_| {
        panic!(
            "SF_PYTHON is not set. Run `cargo xtask setup`: it creates a Python venv with gradio \
             and spaces and tells you the SF_PYTHON to export."
        )
    })
}

/// A small real Gradio app: `/generate` returns a PIL image, `/health` is a plain route. It
/// prints what it sees of its environment (never a secret's value).
const APP_V1: &str = r#"
import os
import gradio as gr
import spaces
from PIL import Image
from starlette.responses import JSONResponse
from starlette.routing import Route

print("env:", os.environ.get("SPACE_ID"), os.environ.get("SYSTEM"), os.environ.get("GREETING"),
      "token" if "HF_TOKEN" in os.environ else "no-token", flush=True)
print("machine:", *(os.environ.get("HUBSIM_" + k) for k in
      ("SPACE_HARDWARE", "GPU_COUNT", "GPU_MEMORY_GB", "RAM_GB")), flush=True)

@spaces.GPU(duration=10)
def generate(prompt: str):
    return Image.new("RGB", (16, 16), (len(prompt) * 20 % 256, 90, 160))

async def health(request):
    return JSONResponse({"status": "ok"})

with gr.Blocks() as demo:
    prompt = gr.Textbox(label="prompt")
    image = gr.Image(label="image", type="pil")
    gr.Button("Generate").click(generate, inputs=prompt, outputs=image, api_name="generate")

demo.launch(app_kwargs={"routes": [Route("/health", health)]})
"#;

/// The second version adds `/echo`.
const APP_V2: &str = r#"
import gradio as gr

with gr.Blocks() as demo:
    text = gr.Textbox(label="text")
    out = gr.Textbox(label="out")
    gr.Button("Echo").click(lambda t: t.upper(), inputs=text, outputs=out, api_name="echo")

demo.launch()
"#;

fn file(path: &str, content: &str) -> Value {
    json!({"path": path, "content": STANDARD.encode(content), "encoding": "base64"})
}

async fn create(env: &Env, name: &str, files: Vec<Value>, extra: Value) {
    let mut body = json!({
        "name": name,
        "organization": TEST_USER,
        "type": "space",
        "sdk": "gradio",
        "visibility": "private",
        "files": files,
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let r = env
        .post("/api/repos/create", TEST_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn commit(env: &Env, id: &str, files: &[Value]) {
    let mut lines = vec![json!({"key": "header", "value": {"summary": "update"}}).to_string()];
    lines.extend(
        files
            .iter()
            .map(|f| json!({"key": "file", "value": f}).to_string()),
    );
    let r = env
        .post(&format!("/api/spaces/{id}/commit/main"), TEST_TOKEN)
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
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

/// Polls the runtime until it leaves the transitional stages; returns it and every stage seen.
async fn settle(env: &Env, id: &str, secs: u64) -> (Value, Vec<String>) {
    let moving = [
        "BUILDING",
        "RUNNING_BUILDING",
        "APP_STARTING",
        "RUNNING_APP_STARTING",
    ];
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut seen: Vec<String> = Vec::new();
    loop {
        let rt = runtime(env, id).await;
        let stage = rt["stage"].as_str().unwrap_or("").to_string();
        if seen.last() != Some(&stage) {
            seen.push(stage.clone());
        }
        if !moving.contains(&stage.as_str()) {
            return (rt, seen);
        }
        assert!(
            Instant::now() < deadline,
            "{id} still {stage} after {secs} s; run logs:\n{}",
            logs(env, id, "run").await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The log lines so far (the stream stays open while the Space is transitional: read what
/// arrives within 3 s).
async fn logs(env: &Env, id: &str, kind: &str) -> String {
    let mut r = env
        .get(&format!("/api/spaces/{id}/logs/{kind}"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, r.chunk()).await {
        body.extend_from_slice(&chunk);
    }
    sse_events(&String::from_utf8_lossy(&body))
        .iter()
        .map(|e| e["data"].as_str().unwrap_or("").to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a process is gone: ended and reaped (a zombie thread-group leader may still have
/// threads holding its sockets).
fn gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

async fn wait_gone(pid: u32) {
    eventually(10, &format!("process {pid} to end"), || async move {
        gone(pid).then_some(())
    })
    .await;
}

/// Calls a Gradio endpoint over `/gradio_api/call` and returns the `complete` data.
async fn call(env: &Env, host: &str, api: &str, args: Value) -> Value {
    let r = env
        .http
        .post(format!("{host}/gradio_api/call/{api}"))
        .header("x-hf-authorization", format!("Bearer {TEST_TOKEN}"))
        .json(&json!({ "data": args }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let event: Value = r.json().await.unwrap();
    let event_id = event["event_id"].as_str().expect("an event id").to_string();
    let body = tokio::time::timeout(Duration::from_secs(30), async {
        env.http
            .get(format!("{host}/gradio_api/call/{api}/{event_id}"))
            .bearer_auth(TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    })
    .await
    .expect("the call completes");
    let (_, after) = body
        .split_once("event: complete\ndata: ")
        .unwrap_or_else(|| panic!("no complete event in {body}"));
    serde_json::from_str(after.lines().next().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gradio_space_runs_restarts_and_stops_with_the_simulator() {
    let env = start_with(|c| c.with_space_runtime(python())).await;
    let id = format!("{TEST_USER}/live");
    create(
        &env,
        "live",
        vec![
            file("app.py", APP_V1),
            file("requirements.txt", "gradio>=5\nPillow\nspaces\n"),
        ],
        json!({
            "variables": [{"key": "GREETING", "value": "hello"}],
            "secrets": [{"key": "HF_TOKEN", "value": "hf_secret_for_the_app"}],
        }),
    )
    .await;
    assert_eq!(runtime(&env, &id).await["stage"], "BUILDING");
    let (rt, seen) = settle(&env, &id, 90).await;
    assert_eq!(
        rt["stage"],
        "RUNNING",
        "{rt}\n{}",
        logs(&env, &id, "run").await
    );
    assert!(seen.contains(&"APP_STARTING".to_string()), "{seen:?}");
    assert_eq!(rt["hardware"]["current"], "cpu-basic");
    let app = env.sim.space_app(&id).expect("the app runs");
    let host = rt["host"].as_str().unwrap().to_string();
    assert_eq!(host, app.host);
    assert!(host.starts_with("http://127.0.0.1:"));
    let info: Value = env
        .get(&format!("/api/spaces/{id}"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["host"], host.as_str());
    assert_eq!(info["subdomain"], "sf-tester-live");

    // The build checked the requirements; the app saw the Space's environment.
    let build = logs(&env, &id, "build").await;
    assert!(
        build.contains("Requirement already satisfied: Pillow (module 'PIL' is importable)"),
        "{build}"
    );
    let run = logs(&env, &id, "run").await;
    assert!(
        run.contains("env: sf-tester/live spaces hello token"),
        "{run}"
    );
    assert!(run.contains("Running on local URL"), "{run}");
    assert!(run.contains("machine: cpu-basic 0 0 16"), "{run}");
    assert!(!run.contains("hf_secret_for_the_app"));

    // A private Space answers its owner only, whichever header carries the token.
    let get = |path: &str| env.http.get(format!("{host}{path}"));
    assert_eq!(get("/config").send().await.unwrap().status(), 404);
    let r = get("/config")
        .bearer_auth(OTHER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = get("/config").bearer_auth(TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let config: Value = r.json().await.unwrap();
    assert_eq!(config["space_id"], id.as_str());
    let r = get("/health")
        .header("x-hf-authorization", format!("Bearer {TEST_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));
    let api: Value = get("/gradio_api/info")
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        api["named_endpoints"]["/generate"]["returns"][0]["component"],
        "Image"
    );

    // A generation completes and its file is served through the same host.
    let out = call(&env, &host, "generate", json!(["a red fox"])).await;
    let url = out[0]["url"].as_str().expect("a file URL").to_string();
    assert!(
        url.starts_with(&format!("{host}/gradio_api/file=")),
        "{url}"
    );
    let r = env
        .http
        .get(&url)
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/webp");
    assert_eq!(env.http.get(&url).send().await.unwrap().status(), 404);

    // A hardware change restarts the app on the new hardware.
    let r = env
        .post(&format!("/api/spaces/{id}/hardware"), TEST_TOKEN)
        .json(&json!({"flavor": "t4-small"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["stage"], "APP_STARTING");
    wait_gone(app.pid).await;
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNNING", "{rt}");
    assert_eq!(rt["hardware"]["current"], "t4-small");
    let run = logs(&env, &id, "run").await;
    assert!(run.contains("machine: t4-small 1 16 15"), "{run}");
    assert_eq!(rt["host"], host.as_str(), "the host stays across restarts");
    let second = env.sim.space_app(&id).expect("the app runs again");
    assert_ne!(second.pid, app.pid);

    // A commit stops the app, rebuilds and starts the new version.
    commit(&env, &id, &[file("app.py", APP_V2)]).await;
    assert_eq!(runtime(&env, &id).await["stage"], "BUILDING");
    wait_gone(second.pid).await;
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNNING", "{rt}");
    assert_eq!(
        call(&env, &host, "echo", json!(["hi"])).await,
        json!(["HI"])
    );
    let third = env.sim.space_app(&id).expect("the new version runs");

    // So does a restart.
    let r = env
        .post(&format!("/api/spaces/{id}/restart"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["stage"], "APP_STARTING");
    wait_gone(third.pid).await;
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNNING", "{rt}");
    let fourth = env
        .sim
        .space_app(&id)
        .expect("the app runs after the restart");

    // And a changed variable, as on the Hub, so the app sees it.
    let r = env
        .post(&format!("/api/spaces/{id}/variables"), TEST_TOKEN)
        .json(&json!({"key": "GREETING", "value": "bonjour"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(runtime(&env, &id).await["stage"], "APP_STARTING");
    wait_gone(fourth.pid).await;
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNNING", "{rt}");
    let fifth = env
        .sim
        .space_app(&id)
        .expect("the app runs with the new variable");

    // Nothing outlives the simulator.
    env.shutdown().await;
    assert!(gone(fifth.pid), "shutdown waits until the app is reaped");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", fifth.app_port)).is_err(),
        "the app's port is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_spaces_report_build_and_runtime_errors() {
    let env = start_with(|c: SimConfig| {
        c.with_space_runtime(python())
            .with_space_start_timeout(Duration::from_secs(3))
    })
    .await;

    // A requirement that is not installed fails the build and is named.
    create(
        &env,
        "needs-more",
        vec![
            file("app.py", "import gradio\n"),
            file(
                "requirements.txt",
                "gradio\nsurely-not-installed-pkg==1.0\n",
            ),
        ],
        json!({}),
    )
    .await;
    let id = format!("{TEST_USER}/needs-more");
    let (rt, _) = settle(&env, &id, 30).await;
    assert_eq!(rt["stage"], "BUILD_ERROR", "{rt}");
    assert!(
        rt["errorMessage"]
            .as_str()
            .unwrap()
            .contains("'surely-not-installed-pkg'"),
        "{rt}"
    );
    let build = logs(&env, &id, "build").await;
    assert!(
        build.contains("No matching distribution found for surely-not-installed-pkg"),
        "{build}"
    );
    assert!(env.sim.space_app(&id).is_none());

    // An app that raises at import is a runtime error with its traceback in the run logs.
    create(
        &env,
        "crashes",
        vec![file(
            "app.py",
            "import os\nraise ValueError('MODEL_ID is not set')\n",
        )],
        json!({}),
    )
    .await;
    let id = format!("{TEST_USER}/crashes");
    let (rt, _) = settle(&env, &id, 30).await;
    assert_eq!(rt["stage"], "RUNTIME_ERROR", "{rt}");
    let message = rt["errorMessage"].as_str().unwrap();
    assert!(message.starts_with("Exit code: 1."), "{message}");
    assert!(
        message.contains("ValueError: MODEL_ID is not set"),
        "{message}"
    );
    let run = logs(&env, &id, "run").await;
    assert!(run.contains("Traceback (most recent call last):"), "{run}");

    // An app that never answers is stopped after the start timeout.
    let sleeper = file(
        "app.py",
        "import time\nprint('loading', flush=True)\ntime.sleep(600)\n",
    );
    create(&env, "sleepy", vec![sleeper.clone()], json!({})).await;
    let id = format!("{TEST_USER}/sleepy");
    let app = eventually(10, "the sleepy app to start", || async {
        env.sim.space_app(&id)
    })
    .await;
    let (rt, _) = settle(&env, &id, 30).await;
    assert_eq!(rt["stage"], "RUNTIME_ERROR", "{rt}");
    assert!(
        rt["errorMessage"]
            .as_str()
            .unwrap()
            .contains("Launch timed out"),
        "{rt}"
    );
    wait_gone(app.pid).await;

    // Static Spaces keep the timer-driven runtime and the Hub's host.
    let r = env
        .post("/api/repos/create", TEST_TOKEN)
        .json(&json!({"name": "page", "type": "space", "sdk": "static",
                      "files": [file("index.html", "<h1>hi</h1>")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (rt, _) = settle(&env, &format!("{TEST_USER}/page"), 10).await;
    assert_eq!(rt["stage"], "RUNNING");
    assert!(rt.get("host").is_none());

    // Dropping the simulator without shutdown still ends a starting app.
    create(&env, "sleepy-too", vec![sleeper], json!({})).await;
    let id = format!("{TEST_USER}/sleepy-too");
    let app = eventually(10, "the second sleepy app to start", || async {
        env.sim.space_app(&id)
    })
    .await;
    drop(env);
    wait_gone(app.pid).await;
}

/// A generated text app as the demo agent writes it, for the gated Llama model in bf16.
const LLAMA_APP: &str = r#"
import gradio as gr
import torch
from transformers import pipeline

generator = pipeline("text-generation", model="meta-llama/Llama-3.1-8B-Instruct",
                     torch_dtype=torch.bfloat16, device=0 if torch.cuda.is_available() else -1)

def generate(prompt: str):
    return generator(prompt, max_new_tokens=4)[0]["generated_text"]

with gr.Blocks() as demo:
    prompt = gr.Textbox(label="prompt")
    out = gr.Textbox(label="out")
    gr.Button("Generate").click(generate, inputs=prompt, outputs=out, api_name="generate")

demo.launch()
"#;

/// The model stand-ins simulate the weights: they download them with the Space's `HF_TOKEN`
/// secret (a gated model fails without it, as huggingface_hub words it) and need the memory the
/// weights would on the Space's hardware (16.1 GB of bf16 fit an L4, not a T4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn model_stand_ins_load_with_the_spaces_token_on_its_hardware() {
    let env = start_with(|c: SimConfig| {
        c.with_space_runtime(python())
            .with_space_pythonpath(sf_hubsim::model_stand_ins())
    })
    .await;
    let id = format!("{TEST_USER}/llama");
    create(
        &env,
        "llama",
        vec![file("app.py", LLAMA_APP)],
        json!({"hardware": "l4x1"}),
    )
    .await;
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNTIME_ERROR", "{rt}");
    let message = rt["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("You are trying to access a gated repo.")
            && message.contains("401 Client Error.")
            && message.contains("Cannot access gated repo for url"),
        "{message}"
    );

    // Granted access and the owner's token as a secret: the app starts and generates.
    env.control(
        reqwest::Method::POST,
        "/gated-access",
        json!({"user": TEST_USER, "model": "meta-llama/Llama-3.1-8B-Instruct", "granted": true}),
    )
    .await;
    let r = env
        .post(&format!("/api/spaces/{id}/secrets"), TEST_TOKEN)
        .json(&json!({"key": "HF_TOKEN", "value": TEST_TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(
        rt["stage"],
        "RUNNING",
        "{rt}\n{}",
        logs(&env, &id, "run").await
    );
    let host = rt["host"].as_str().unwrap().to_string();
    let out = call(&env, &host, "generate", json!(["Hello"])).await;
    assert!(out[0].as_str().unwrap().starts_with("Hello "), "{out}");
    let run = logs(&env, &id, "run").await;
    assert!(
        run.contains(
            "hubsim: loading meta-llama/Llama-3.1-8B-Instruct (16.1 GB in bfloat16) on l4x1"
        ),
        "{run}"
    );

    // On a T4's 16 GB (with 30 GB of RAM) the same weights run out of GPU memory at load.
    let r = env
        .post(&format!("/api/spaces/{id}/hardware"), TEST_TOKEN)
        .json(&json!({"flavor": "t4-medium"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (rt, _) = settle(&env, &id, 90).await;
    assert_eq!(rt["stage"], "RUNTIME_ERROR", "{rt}");
    let message = rt["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate"),
        "{message}"
    );
    env.sim.shutdown().await;
}
