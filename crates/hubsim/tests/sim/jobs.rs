//! Jobs: validation, scopes, the lifecycle of a real local process, logs over SSE, cancel,
//! timeout, filters, volumes and the recorded requests.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use sf_hubsim::{OTHER_USER, TEST_TOKEN, TEST_USER};

use crate::common::{Env, all_pages, eventually, sse_events, start, start_with};

fn spec(script: &str) -> Value {
    json!({
        "dockerImage": "python:3.12",
        "command": ["sh", "-c", script],
        "arguments": [],
        "environment": {},
        "flavor": "cpu-basic",
    })
}

async fn run(env: &Env, body: &Value) -> Value {
    let r = env
        .post(&format!("/api/jobs/{TEST_USER}"), TEST_TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

async fn inspect(env: &Env, id: &str) -> Value {
    env.get(&format!("/api/jobs/{TEST_USER}/{id}"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_stage(env: &Env, id: &str, stages: &[&str]) -> Value {
    eventually(15, &format!("job {id} to reach {stages:?}"), || async {
        let job = inspect(env, id).await;
        stages
            .contains(&job["status"]["stage"].as_str().unwrap())
            .then_some(job)
    })
    .await
}

async fn logs(env: &Env, id: &str, query: &str) -> Vec<String> {
    let body = env
        .get(
            &format!("/api/jobs/{TEST_USER}/{id}/logs{query}"),
            TEST_TOKEN,
        )
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    sse_events(&body)
        .iter()
        .map(|e| {
            assert!(e["timestamp"].as_str().unwrap().ends_with('Z'));
            e["data"].as_str().unwrap().to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_job_runs_completes_and_replays_its_logs() {
    let env = start().await;
    let job = run(
        &env,
        &spec("echo hello; echo oops >&2; sleep 0.3; echo bye"),
    )
    .await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(job["status"]["stage"], "SCHEDULING");
    assert_eq!(job["owner"]["name"], TEST_USER);
    assert_eq!(job["owner"]["type"], "user");
    assert_eq!(job["flavor"], "cpu-basic");
    assert_eq!(job["dockerImage"], "python:3.12");
    assert!(job["createdAt"].is_string());
    assert!(job["durations"]["totalSecs"].is_number());

    let running = wait_stage(&env, &id, &["RUNNING", "COMPLETED"]).await;
    assert!(running["startedAt"].is_string());
    let done = wait_stage(&env, &id, &["COMPLETED"]).await;
    assert!(done["finishedAt"].is_string());
    assert_eq!(done["status"]["message"], Value::Null);
    assert!(done["durations"]["runningSecs"].is_number());

    let first = logs(&env, &id, "").await;
    assert!(first[0].starts_with("===== Job started at "), "{first:?}");
    let mut rest: Vec<&str> = first[1..].iter().map(String::as_str).collect();
    rest.sort();
    assert_eq!(rest, ["bye", "hello", "oops"]);
    assert_eq!(
        logs(&env, &id, "").await,
        first,
        "every connect replays everything"
    );
    assert_eq!(logs(&env, &id, "?tail=1").await, ["bye"]);
    env.shutdown().await;
}

#[tokio::test]
async fn live_logs_follow_with_keepalives_and_end_with_the_job() {
    let env = start().await;
    let job = run(&env, &spec("echo one; sleep 0.8; echo two")).await;
    let id = job["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let body = env
        .get(&format!("/api/jobs/{TEST_USER}/{id}/logs"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "the stream followed the running job"
    );
    assert!(body.contains(": keep-alive\n\n"), "{body}");
    let data: Vec<String> = sse_events(&body)
        .iter()
        .map(|e| e["data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(&data[1..], ["one", "two"]);
    assert_eq!(inspect(&env, &id).await["status"]["stage"], "COMPLETED");
    env.shutdown().await;
}

#[tokio::test]
async fn a_failing_command_ends_in_error_with_a_message() {
    let env = start().await;
    let id = run(&env, &spec("echo boom; exit 3")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = wait_stage(&env, &id, &["ERROR"]).await;
    assert_eq!(job["status"]["message"], "Job failed with exit code: 3");
    assert!(logs(&env, &id, "").await.contains(&"boom".to_string()));

    let missing = run(
        &env,
        &json!({"dockerImage": "x", "command": ["/definitely/not/here"], "flavor": "cpu-basic"}),
    )
    .await;
    let job = wait_stage(&env, missing["id"].as_str().unwrap(), &["ERROR"]).await;
    assert!(
        job["status"]["message"]
            .as_str()
            .unwrap()
            .contains("Could not start")
    );
    env.shutdown().await;
}

#[tokio::test]
async fn cancel_stops_a_running_job_even_when_it_ignores_sigterm() {
    let env = start().await;
    let polite = run(&env, &spec("echo started; sleep 30")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let stubborn = run(
        &env,
        &spec("trap '' TERM; echo started; sleep 30 & wait; sleep 30"),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for id in [&polite, &stubborn] {
        wait_stage(&env, id, &["RUNNING"]).await;
        eventually(5, "the job to print", || async {
            logs_now(&env, id).await.then_some(())
        })
        .await;
    }
    let t0 = Instant::now();
    for id in [&polite, &stubborn] {
        let r = env
            .post(&format!("/api/jobs/{TEST_USER}/{id}/cancel"), TEST_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    for id in [&polite, &stubborn] {
        let job = wait_stage(&env, id, &["CANCELED"]).await;
        assert!(job["finishedAt"].is_string());
    }
    assert!(t0.elapsed() < Duration::from_secs(5));
    env.shutdown().await;
}

/// Whether the job printed "started" yet (the shell has set its traps by then).
async fn logs_now(env: &Env, id: &str) -> bool {
    // A short read: the stream stays open while the job runs, so read with a timeout.
    let resp = env
        .get(&format!("/api/jobs/{TEST_USER}/{id}/logs"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    let mut stream = Box::pin(resp.bytes_stream());
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_millis(300);
    use futures_util::StreamExt;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(100), stream.next()).await {
            Ok(Some(Ok(chunk))) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(_) => break,
            Err(_) => {}
        }
        if seen.contains("started") {
            return true;
        }
    }
    false
}

#[tokio::test]
async fn cancel_while_scheduling_is_immediate() {
    let env = start_with(|mut c| {
        c.job_step_ms = 5_000;
        c
    })
    .await;
    let id = run(&env, &spec("echo never")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r: Value = env
        .post(&format!("/api/jobs/{TEST_USER}/{id}/cancel"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["status"]["stage"], "CANCELED");
    assert!(logs(&env, &id, "").await.is_empty());
    env.shutdown().await;
}

#[tokio::test]
async fn timeout_ends_the_job_in_error() {
    let env = start().await;
    let mut body = spec("sleep 30");
    body["timeoutSeconds"] = json!(1);
    let id = run(&env, &body).await["id"].as_str().unwrap().to_string();
    let job = wait_stage(&env, &id, &["ERROR"]).await;
    assert_eq!(job["status"]["message"], "Job timed out after 1 seconds");
    assert_eq!(job["timeoutSeconds"], 1);
    env.shutdown().await;
}

#[tokio::test]
async fn list_filters_by_stage_and_label_and_paginates() {
    let env = start().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let mut body = spec("true");
        body["labels"] = json!({"space-factory": "build", "run-id": format!("build-2026-{i}")});
        ids.push(run(&env, &body).await["id"].as_str().unwrap().to_string());
    }
    let mut other = spec("sleep 30");
    other["labels"] = json!({"space-factory": "validate", "run-id": "validate-1"});
    let long = run(&env, &other).await["id"].as_str().unwrap().to_string();
    for id in &ids {
        wait_stage(&env, id, &["COMPLETED"]).await;
    }
    wait_stage(&env, &long, &["RUNNING"]).await;

    let list = |q: &str| env.at(&format!("/api/jobs/{TEST_USER}{q}"));
    let (all, pages) = all_pages(&env, list(""), TEST_TOKEN).await;
    assert_eq!(all.len(), 5);
    assert_eq!(pages, 2, "page size 3");
    assert_eq!(all[0]["id"], long, "newest first");

    let (builds, _) = all_pages(&env, list("?label=space-factory=build"), TEST_TOKEN).await;
    assert_eq!(builds.len(), 4);
    let (one, _) = all_pages(
        &env,
        list("?label=space-factory=build&label=run-id=build-2026-2"),
        TEST_TOKEN,
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], ids[2]);
    assert_eq!(one[0]["labels"]["run-id"], "build-2026-2");
    let (running, _) = all_pages(&env, list("?stage=RUNNING"), TEST_TOKEN).await;
    assert_eq!(running.len(), 1);
    assert_eq!(running[0]["id"], long);
    let (both, _) = all_pages(&env, list("?stage=RUNNING&stage=COMPLETED"), TEST_TOKEN).await;
    assert_eq!(both.len(), 5);
    env.shutdown().await;
}

#[tokio::test]
async fn job_creation_needs_the_jobs_scope_and_the_own_namespace() {
    let env = start().await;
    let no_jobs = env
        .mint(TEST_USER, &["openid", "profile", "read-repos"], None)
        .await;
    let r = env
        .post(&format!("/api/jobs/{TEST_USER}"), &no_jobs)
        .json(&spec("true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["x-error-message"]
            .to_str()
            .unwrap()
            .contains("jobs")
    );

    let r = env
        .post(&format!("/api/jobs/{OTHER_USER}"), TEST_TOKEN)
        .json(&spec("true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let expired = env.mint(TEST_USER, &["jobs"], Some(3600)).await;
    env.control(Method::POST, "/tokens/expire", json!({"token": expired}))
        .await;
    let r = env
        .post(&format!("/api/jobs/{TEST_USER}"), &expired)
        .json(&spec("true"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    let r = env
        .http
        .get(env.at(&format!("/api/jobs/{TEST_USER}/000000000000000000000000")))
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Hardware is public.
    let hw: Vec<Value> = env
        .http
        .get(env.at("/api/jobs/hardware"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        hw.iter()
            .any(|h| h["name"] == "cpu-basic" && h["unitLabel"] == "minute")
    );
    env.shutdown().await;
}

#[tokio::test]
async fn invalid_specs_are_refused_and_all_bodies_are_recorded() {
    let env = start().await;
    let bad = [
        json!({"command": ["true"], "flavor": "cpu-basic"}),
        json!({"dockerImage": "a", "spaceId": "u/s", "command": ["true"], "flavor": "cpu-basic"}),
        json!({"dockerImage": "a", "command": ["true"]}),
        json!({"dockerImage": "a", "command": ["true"], "flavor": "quantum-xl"}),
        json!({"dockerImage": "a", "command": ["true"], "flavor": "cpu-basic", "labels": {"run-id": "has space"}}),
        json!({"dockerImage": "a", "command": ["true"], "flavor": "cpu-basic", "environment": {"N": 1}}),
        json!({"dockerImage": "a", "command": [], "flavor": "cpu-basic"}),
        json!({"dockerImage": "a", "command": ["true"], "flavor": "cpu-basic", "volumes": [{"type": "bucket", "source": "sf-tester/missing", "mountPath": "/output"}]}),
        json!({"dockerImage": "a", "command": ["true"], "flavor": "cpu-basic", "volumes": [{"type": "model", "source": "openai-community/gpt2", "mountPath": "/m"}]}),
    ];
    for body in &bad {
        let r = env
            .post(&format!("/api/jobs/{TEST_USER}"), TEST_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let mut good = spec("true");
    good["secrets"] = json!({"HF_TOKEN": "hf_secretvalue"});
    let job = run(&env, &good).await;
    assert_eq!(
        job["secrets"],
        json!(["HF_TOKEN"]),
        "secret values are never echoed"
    );

    let recorded: Vec<Value> = env
        .http
        .get(env.at("/__sim/jobs/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(recorded.len(), bad.len() + 1);
    assert_eq!(recorded[0]["body"], bad[0]);
    assert_eq!(recorded[0]["status"], 400);
    let last = recorded.last().unwrap();
    assert_eq!(last["body"], good, "the exact body, secrets included");
    assert_eq!(last["jobId"], job["id"]);
    assert_eq!(last["namespace"], TEST_USER);
    env.control(Method::DELETE, "/jobs/requests", json!({}))
        .await;
    env.shutdown().await;
}

#[tokio::test]
async fn volumes_environment_and_secrets_reach_the_process() {
    let env = start().await;
    let r = env
        .post(&format!("/api/buckets/{TEST_USER}/runs"), TEST_TOKEN)
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A Space holding a "worker" script, mounted read-only like the real design.
    let script = "#!/bin/sh\nmkdir -p \"$1/runs/$SF_RUN_ID\"\nprintf '%s' \"$JOB_ID\" > \"$1/runs/$SF_RUN_ID/state.json\"\n[ \"$HF_TOKEN\" = hf_secretvalue ] && echo token-ok\necho \"home=$HOME cores=$CPU_CORES\"\n";
    let files =
        json!([{"path": "worker.sh", "content": base64_encode(script), "encoding": "base64"}]);
    let r = env
        .post("/api/repos/create", TEST_TOKEN)
        .json(&json!({"name": "factory", "organization": TEST_USER, "type": "space", "sdk": "static", "visibility": "private", "files": files}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let body = json!({
        "dockerImage": "debian:bookworm-slim",
        "command": ["sh", "/app/worker.sh"],
        "arguments": ["/output"],
        "environment": {"SF_RUN_ID": "build-1", "SF_OUTPUT": "/output/runs"},
        "secrets": {"HF_TOKEN": "hf_secretvalue"},
        "flavor": "cpu-basic",
        "labels": {"space-factory": "build", "run-id": "build-1"},
        "volumes": [
            {"type": "bucket", "source": format!("{TEST_USER}/runs"), "mountPath": "/output", "readOnly": false},
            {"type": "space", "source": format!("{TEST_USER}/factory"), "mountPath": "/app", "readOnly": true}
        ]
    });
    let job = run(&env, &body).await;
    let id = job["id"].as_str().unwrap().to_string();
    assert_eq!(job["volumes"], body["volumes"]);
    let done = wait_stage(&env, &id, &["COMPLETED", "ERROR"]).await;
    let lines = logs(&env, &id, "").await;
    assert_eq!(done["status"]["stage"], "COMPLETED", "{lines:?}");
    assert!(lines.contains(&"token-ok".to_string()), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("home=/") && l.ends_with("cores=2")),
        "{lines:?}"
    );

    let state = env
        .get(
            &format!("/buckets/{TEST_USER}/runs/resolve/runs/build-1/state.json"),
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(state.status(), 200);
    assert_eq!(
        state.text().await.unwrap(),
        id,
        "JOB_ID is set and the bucket mount is writable"
    );
    env.shutdown().await;
}

fn base64_encode(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
