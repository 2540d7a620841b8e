//! `space-factory-worker build` against hubsim, with the real Pi CLI driven by the scripted
//! model server and the generated app run for real by hubsim.

use std::time::Duration;

use sf_core::SpaceRef;
use sf_core::record::{ObservedOutput, Phase, RunStatus};
use sf_hubsim::{TEST_TOKEN, TEST_USER};

use crate::support::llm::{Reply, ScriptedLlm, write};
use crate::support::{
    IMAGE_REQUIREMENTS, Outcome, World, app_source, assert_has, assert_nowhere, build_env,
    build_scripted, run_worker, set, spawn_worker, writes_app,
};

const LIMIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_success_with_an_image_output() {
    let world = World::start().await;
    let (out, llm) = build_scripted(
        &world,
        "build-ok",
        "fox-maker",
        writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS),
        LIMIT,
    )
    .await;
    let dir = world.run_dir("build-ok");
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_eq!(out.exit, Some(0));
    assert_eq!(out.state.phase, Phase::Finished);
    // The message says what the success rests on, not the status again.
    assert!(
        out.state
            .message
            .starts_with("Called /generate on the live Space: image output in ")
            && out.state.message.ends_with(" s on zero-a10g."),
        "{}",
        out.state.message
    );
    // The agent ran against the scripted server, which is not Hugging Face's: it never got the
    // person's token, only a stand-in key.
    assert_eq!(llm.remaining(), 0);
    assert!(
        llm.authorizations()
            .iter()
            .all(|a| a == "Bearer space-factory-no-token"),
        "{:?}",
        llm.authorizations()
    );
    assert!(out.has_event("is not Hugging Face's: your token is not sent to it"));
    assert_eq!(llm.requests()[0]["model"], "Qwen/Qwen3-Coder-Next");
    let usage = out.state.agent.clone().unwrap();
    assert_eq!(
        (usage.rounds, usage.input_tokens, usage.output_tokens),
        (1, 200, 40)
    );
    // Hardware, Space, smoke test.
    assert_eq!(out.state.hardware.assigned.as_deref(), Some("zero-a10g"));
    let v = out.state.validation.clone().unwrap();
    assert_eq!(v.output_type, Some(ObservedOutput::Image));
    assert!(v.recommended_zerogpu_duration_seconds.is_some());
    assert!(dir.join(v.artifact_path.unwrap()).is_file());
    for event in [
        "Model facts: task text-to-image",
        "Agent write app.py",
        "Created the private Space",
        "Uploaded 3 files",
        "The Space is running",
        "Smoke test returned image output",
    ] {
        assert!(
            out.has_event(event),
            "no event `{event}`:\n{}",
            out.messages()
        );
    }
    // The record: generated files, traces without per-token lines, report.
    let readme = std::fs::read_to_string(dir.join("generated/README.md")).unwrap();
    assert!(
        readme.starts_with("---\ntitle: Fox Maker\n")
            && readme.contains("sdk: gradio\napp_file: app.py\n"),
        "{readme}"
    );
    assert!(
        dir.join("generated/app.py").is_file() && dir.join("generated/requirements.txt").is_file()
    );
    let trace = std::fs::read_to_string(dir.join("traces/agent-round-1.jsonl")).unwrap();
    assert!(trace.contains("\"tool_execution_end\"") && !trace.contains("\"message_update\""));
    // The trace holds every line Pi printed but the partial messages, each whole: from the
    // first event to `agent_end`, with the four file writes.
    let types: Vec<String> = trace
        .lines()
        .map(|l| {
            let event: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            event["type"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    let count = |t: &str| types.iter().filter(|x| *x == t).count();
    assert_eq!(
        (count("tool_execution_start"), count("tool_execution_end")),
        (4, 4),
        "{types:?}"
    );
    assert_eq!(
        (count("agent_start"), count("agent_end")),
        (1, 1),
        "{types:?}"
    );
    assert_eq!(
        types.last().map(String::as_str),
        Some("agent_end"),
        "{types:?}"
    );
    // Every file is written whole and the writes are debounced: the job log says how many.
    let uploads: u32 = out
        .log
        .lines()
        .find_map(|l| l.strip_prefix("record: ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no `record: N uploads` in the log:\n{}", out.log));
    assert!(uploads <= 50, "{uploads} uploads for one build");
    assert_has(&out.report, &["**Verdict:** `full_inference_success`"]);
    assert_has(&out.report, &["Not a placeholder | ✅ pass"]);
    // The Space is private and holds the completed README.
    let info = world
        .hub()
        .space_info(&space_id("fox-maker"))
        .await
        .unwrap();
    assert_eq!(info.private, Some(true));
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}

fn space_id(name: &str) -> SpaceRef {
    SpaceRef::new(TEST_USER, name).unwrap()
}

async fn space_exists(world: &World, name: &str) -> bool {
    match world.hub().space_info(&space_id(name)).await {
        Ok(_) => true,
        Err(e) if e.is_not_found() => false,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_app_in_gated_mode_is_not_a_success() {
    let world = World::start().await;
    let (out, _llm) = build_scripted(
        &world,
        "build-placeholder",
        "fox-placeholder",
        writes_app(&app_source("placeholder_app.py"), "pillow\n"),
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::Failed);
    assert_has(&out.state.message, &["placeholder"]);
    assert!(
        out.has_event("The app looks like a placeholder"),
        "{}",
        out.messages()
    );
    assert!(out.report.contains("**Verdict:** `failed`"));
    assert_has(&out.report, &["Not a placeholder | ❌ fail"]);
    assert_has(&out.report, &["returns a constant"]);
    assert!(
        !space_exists(&world, "fox-placeholder").await,
        "a placeholder is never deployed in gated mode"
    );
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferred_hardware_refused_falls_back_to_the_fixed_gpu() {
    let world = World::start_with(|c| {
        c.with_hardware_refusal(
            "zero-a10g",
            402,
            "ZeroGPU is only available to PRO accounts.",
        )
    })
    .await;
    let llm = ScriptedLlm::start(writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS)).await;
    let mut env = build_env(&world, "build-fallback", "fox-fallback", &llm);
    set(&mut env, "SF_SPACE_SLEEP_S", "1800");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    let hw = &out.state.hardware;
    assert_eq!(hw.attempts.len(), 2, "{hw:?}");
    assert_eq!(
        (hw.attempts[0].flavor.as_str(), hw.attempts[0].ok),
        ("zero-a10g", false)
    );
    assert!(
        hw.attempts[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("only available to PRO"),
        "{hw:?}"
    );
    assert_eq!(
        (hw.attempts[1].flavor.as_str(), hw.attempts[1].ok),
        ("l40sx1", true)
    );
    assert_eq!(hw.assigned.as_deref(), Some("l40sx1"));
    assert!(
        out.has_event("The Hub refused zero-a10g hardware"),
        "{}",
        out.messages()
    );
    assert!(
        out.events
            .iter()
            .any(|e| e.phase == Phase::AssigningHardware)
    );
    assert_has(&out.report, &["Tried `zero-a10g`: refused"]);
    // The fixed GPU was created with the chosen sleep time (`sleepTimeSeconds` in the create
    // body; hubsim refuses it for ZeroGPU, so the first attempt did not carry it).
    let rt = world
        .hub()
        .space_runtime(&space_id("fox-fallback"))
        .await
        .unwrap();
    assert_eq!(rt.gc_timeout, Some(1800), "{rt:?}");
    // A success is never paused: the Space stays up and sleeps by itself.
    assert_eq!(rt.stage, sf_hub::types::SpaceStage::Running);
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(!cost.paused);
    assert_eq!(cost.standing, "$1.80/h until it sleeps after 30 min idle");
    assert_has(&out.report, &["## Cost"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_hardware_refused_needs_manual_hardware() {
    let world = World::start_with(|c| {
        c.with_hardware_refusal(
            "zero-a10g",
            402,
            "ZeroGPU is only available to PRO accounts.",
        )
        .with_hardware_refusal("l40sx1", 402, "Add a payment method to use paid hardware.")
    })
    .await;
    let (out, _llm) = build_scripted(
        &world,
        "build-manual",
        "fox-manual",
        writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS),
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::ManualHardwareRequired);
    let flavors: Vec<(&str, bool)> = out
        .state
        .hardware
        .attempts
        .iter()
        .map(|a| (a.flavor.as_str(), a.ok))
        .collect();
    assert_eq!(
        flavors,
        vec![("zero-a10g", false), ("l40sx1", false), ("cpu-basic", true)]
    );
    assert!(out.has_event("Add a payment method"), "{}", out.messages());
    assert!(
        out.has_event("Uploaded 3 files"),
        "the app is still uploaded:\n{}",
        out.messages()
    );
    assert!(
        out.report
            .contains("**Verdict:** `manual_hardware_required`")
    );
    assert_has(
        &out.report,
        &[&format!("/spaces/{TEST_USER}/fox-manual/settings")],
    );
    assert!(space_exists(&world, "fox-manual").await);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_error_repaired_by_the_agent() {
    let world = World::start().await;
    let mut script = writes_app(
        &app_source("image_app.py"),
        "diffusers\ntorch\nfox-magic-renderer\n",
    );
    script.extend([
        Reply::Tools {
            text: Some("The build log says fox-magic-renderer does not exist; removing it.".into()),
            calls: vec![write("requirements.txt", IMAGE_REQUIREMENTS)],
        },
        Reply::Text("Removed the requirement that does not exist.".into()),
    ]);
    let (out, llm) = build_scripted(&world, "build-repaired", "fox-repaired", script, LIMIT).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_eq!(out.state.agent.as_ref().unwrap().rounds, 2);
    assert!(
        out.has_event("The Space failed to build"),
        "{}",
        out.messages()
    );
    assert!(out.events.iter().any(|e| e.phase == Phase::Repairing));
    assert!(out.has_event("Uploaded 3 files"), "{}", out.messages());
    // The repair round saw the build log.
    let repair_request = llm
        .requests()
        .into_iter()
        .find(|r| r.to_string().contains("repair round 1"))
        .expect("a repair request");
    assert!(repair_request.to_string().contains("fox-magic-renderer"));
    let dir = world.run_dir("build-repaired");
    let build_log =
        std::fs::read_to_string(dir.join("traces/space-build-log-round-1.txt")).unwrap();
    assert!(build_log.contains("fox-magic-renderer"), "{build_log}");
    assert!(dir.join("traces/agent-round-2.jsonl").is_file());
    assert_eq!(
        std::fs::read_to_string(dir.join("generated/requirements.txt")).unwrap(),
        IMAGE_REQUIREMENTS
    );
    assert_has(&out.report, &["Repair round 1 | ✅ pass"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_error_not_repaired_fails() {
    let world = World::start().await;
    let broken = "diffusers\ntorch\nfox-magic-renderer\n";
    let mut script = writes_app(&app_source("image_app.py"), broken);
    script.extend([
        Reply::Tools {
            text: None,
            calls: vec![write("requirements.txt", broken)],
        },
        Reply::Text("I could not find the problem.".into()),
    ]);
    let (out, _llm) =
        build_scripted(&world, "build-unrepaired", "fox-unrepaired", script, LIMIT).await;
    out.assert_status(RunStatus::Failed);
    assert_has(&out.state.message, &["failed to build"]);
    assert!(
        out.state
            .message
            .contains("No repair rounds left (1 allowed)"),
        "{}",
        out.state.message
    );
    assert_eq!(out.state.agent.as_ref().unwrap().rounds, 2);
    assert!(
        world
            .run_dir("build-unrepaired")
            .join("traces/space-build-log-round-2.txt")
            .is_file()
    );
    assert!(out.report.contains("**Verdict:** `failed`"));
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gated_model_without_access_is_a_technical_blocker() {
    let world = World::start().await;
    let llm = ScriptedLlm::start(writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS)).await;
    let mut env = build_env(&world, "build-gated", "llama-app", &llm);
    set(&mut env, "SF_MODEL_ID", "meta-llama/Llama-3.1-8B-Instruct");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::TechnicalBlocker);
    assert!(
        out.state
            .blockers
            .iter()
            .any(|b| b.contains("gated") && b.contains("request access")),
        "{:?}",
        out.state.blockers
    );
    assert_has(&out.state.message, &["gated"]);
    assert!(llm.requests().is_empty(), "the agent never ran");
    assert!(!space_exists(&world, "llama-app").await);
    assert!(out.report.contains("**Verdict:** `technical_blocker`"));
    assert!(out.report.contains("## Blockers"));
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_target_space_is_never_touched() {
    let world = World::start().await;
    let id = world
        .create_space("taken", &[("app.py", "print('mine')\n")])
        .await;
    let id = SpaceRef::parse(&id).unwrap();
    let before = world.hub().space_info(&id).await.unwrap().sha;
    let (out, llm) = build_scripted(
        &world,
        "build-taken",
        "taken",
        writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS),
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state.message.contains("already exists")
            && out.state.message.contains("nothing was touched"),
        "{}",
        out.state.message
    );
    assert!(llm.requests().is_empty(), "the agent never ran");
    assert_eq!(
        world.hub().space_info(&id).await.unwrap().sha,
        before,
        "no commit was made"
    );
    assert_has(&out.report, &["Target Space is new | ❌ fail"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_build_records_its_batch_and_row_in_request_and_state() {
    // The quickest build to the end (the Space name is taken): what a batch page reads back.
    let world = World::start().await;
    world
        .create_space("taken-in-batch", &[("app.py", "print('mine')\n")])
        .await;
    let llm = ScriptedLlm::start(Vec::new()).await;
    let mut env = build_env(&world, "build-in-batch", "taken-in-batch", &llm);
    set(&mut env, "SF_BATCH_ID", "batch-20261130-080000-abcdef");
    set(&mut env, "SF_BATCH_ROW", "2");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::Failed);
    let tag = out
        .state
        .batch
        .as_ref()
        .expect("state.json names its batch");
    assert_eq!(
        (tag.id.as_str(), tag.row),
        ("batch-20261130-080000-abcdef", 2)
    );
    let request: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(world.run_dir("build-in-batch").join("request.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(request["batch"]["id"], "batch-20261130-080000-abcdef");
    assert_eq!(request["batch"]["row"], 2);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_server_failing_fails_with_the_reason() {
    let world = World::start().await;
    let (out, llm) = build_scripted(
        &world,
        "build-llm-down",
        "fox-llm-down",
        vec![Reply::Fail(500), Reply::Fail(500), Reply::Fail(500)],
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("The coding agent did not finish an app."),
        "{}",
        out.state.message
    );
    assert_has(&out.state.message, &["500"]);
    assert!(!llm.requests().is_empty());
    assert!(!space_exists(&world, "fox-llm-down").await);
    assert_has(&out.report, &["Coding agent | ❌ fail"]);
    world.sim.shutdown().await;
}

/// Starts a build whose agent hangs on the model, checks that the events so far are on the
/// bucket while the agent works, sends `signal` to the worker and reads what the run left.
async fn signal_while_the_agent_works(world: &World, run_id: &str, signal: i32) -> Outcome {
    let llm = ScriptedLlm::start(vec![Reply::Hang]).await;
    let env = build_env(world, run_id, &format!("fox-{run_id}"), &llm);
    let log = world.tmp.path().join(format!("{run_id}.log"));
    let mut child = spawn_worker("build", &env, &log);
    let dir = world.run_dir(run_id);
    // Wait until the agent is waiting on the model.
    let start = std::time::Instant::now();
    while llm.requests().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the agent never called the model:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // While the agent works, the events so far are already on the bucket, whole.
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap_or_default();
        let events = sf_core::parse_events(&text);
        assert_eq!(events.unreadable_lines, 0, "{text}");
        if events.events.iter().any(|e| e.phase == Phase::Agent) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no event of the agent phase while the agent works:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = child.id().unwrap() as i32;
    // SAFETY: kill(2) on the worker this test started.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(pid, signal);
    }
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the worker stops")
        .unwrap();
    Outcome::read(&dir, status.code(), &log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_run_writes_a_final_state() {
    let world = World::start().await;
    let out = signal_while_the_agent_works(&world, "build-cancel", libc::SIGTERM).await;
    let dir = world.run_dir("build-cancel");
    assert_eq!(out.exit, Some(128 + libc::SIGTERM));
    out.assert_status(RunStatus::Failed);
    assert_eq!(out.state.phase, Phase::Finished);
    assert!(
        out.state.message.contains("SIGTERM") && out.state.message.contains("writing the app"),
        "{}",
        out.state.message
    );
    assert_has(&out.report, &["**Verdict:** `failed`"]);
    assert!(dir.join("traces/agent-round-1.jsonl").is_file());
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}

/// SIGKILL gives the worker no chance to write anything: what the run leaves is what was flushed,
/// so `state.json` is no older than the last phase change (the agent's) and whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_job_leaves_the_state_of_its_last_phase() {
    let world = World::start().await;
    let out = signal_while_the_agent_works(&world, "build-killed", libc::SIGKILL).await;
    assert_eq!(out.exit, None, "killed by a signal");
    assert_eq!(
        (out.state.status, out.state.phase),
        (RunStatus::Running, Phase::Agent)
    );
    assert_eq!(
        out.state.model_id.as_deref(),
        Some(crate::support::IMAGE_MODEL)
    );
    assert!(
        out.has_event("Model facts: task text-to-image"),
        "{}",
        out.messages()
    );
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_agent_is_stopped_at_its_time_limit() {
    let world = World::start().await;
    let llm = ScriptedLlm::start(vec![Reply::Hang]).await;
    let mut env = build_env(&world, "build-agent-hangs", "fox-hangs", &llm);
    set(&mut env, "SF_AGENT_TIMEOUT_S", "3");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("did not finish within 3 s and was stopped"),
        "{}",
        out.state.message
    );
    assert!(out.report.contains("**Verdict:** `failed`"));
    assert!(!space_exists(&world, "fox-hangs").await);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_time_limit_ends_the_run_with_a_final_state() {
    let world = World::start().await;
    let llm = ScriptedLlm::start(vec![Reply::Hang]).await;
    let mut env = build_env(&world, "build-run-limit", "fox-run-limit", &llm);
    set(&mut env, "SF_RUN_LIMIT_S", "4");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    assert_eq!(out.exit, Some(1));
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("time limit of 4 s while writing the app"),
        "{}",
        out.state.message
    );
    assert_has(&out.report, &["The run stopped while: Writing the app"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_outage_ends_failed_with_the_hubs_answer() {
    let world = World::start().await;
    let http = reqwest::Client::new();
    let armed = http
        .post(format!("{}/__sim/faults", world.sim.url()))
        .json(&serde_json::json!({"path_prefix": "/api/models/", "count": 20, "status": 503, "body": "The Hub is down for maintenance."}))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success());
    let (out, llm) =
        build_scripted(&world, "build-hub-down", "fox-hub-down", Vec::new(), LIMIT).await;
    assert_eq!(out.exit, Some(1));
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state.message.contains("503") && out.state.message.contains("down for maintenance"),
        "{}",
        out.state.message
    );
    assert_has(
        &out.report,
        &["The run stopped while: Reading the model card"],
    );
    assert!(llm.requests().is_empty());
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blockers_reported_by_the_agent_in_gated_mode() {
    let world = World::start().await;
    let (out, _llm) = build_scripted(&world, "build-agent-blockers", "fox-blocked", vec![
        Reply::Tools {
            text: Some("This model cannot run in one Space.".into()),
            calls: vec![write(
                "BLOCKERS.md",
                "# Blockers\n\n- The text encoder needs custom CUDA kernels that are not published.\n- The licence forbids hosted demos.\n",
            )],
        },
        Reply::Text("I wrote BLOCKERS.md instead of an app.".into()),
    ], LIMIT).await;
    out.assert_status(RunStatus::TechnicalBlocker);
    assert_eq!(out.state.blockers.len(), 2, "{:?}", out.state.blockers);
    assert_has(&out.state.message, &["custom CUDA kernels"]);
    assert!(
        out.has_event("The agent reports a blocker"),
        "{}",
        out.messages()
    );
    assert!(
        world
            .run_dir("build-agent-blockers")
            .join("generated/BLOCKERS.md")
            .is_file()
    );
    assert!(!space_exists(&world, "fox-blocked").await);
    assert!(out.report.contains("**Verdict:** `technical_blocker`"));
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_placeholder_outside_gated_mode_is_at_best_health_only() {
    let world = World::start().await;
    let llm = ScriptedLlm::start(writes_app(&app_source("placeholder_app.py"), "pillow\n")).await;
    let mut env = build_env(&world, "build-scaffold", "fox-scaffold", &llm);
    set(&mut env, "SF_IMPLEMENTATION_MODE", "safe-scaffold");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::HealthOnly);
    assert_has(&out.state.message, &["placeholder"]);
    assert!(out.has_event("The Space is running"), "{}", out.messages());
    assert!(out.report.contains("**Verdict:** `health_only`"));
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_holding_the_token_are_never_uploaded() {
    let world = World::start().await;
    let leaky = app_source("image_app.py").replace(
        "MODEL_ID = ",
        &format!("TOKEN = \"{TEST_TOKEN}\"\nMODEL_ID = "),
    );
    let (out, _llm) = build_scripted(
        &world,
        "build-leaky",
        "fox-leaky",
        writes_app(&leaky, IMAGE_REQUIREMENTS),
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("app.py contains your access token"),
        "{}",
        out.state.message
    );
    assert!(!space_exists(&world, "fox-leaky").await);
    let dir = world.run_dir("build-leaky");
    assert!(
        std::fs::read_to_string(dir.join("generated/app.py"))
            .unwrap()
            .contains("TOKEN = \"[redacted]\"")
    );
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}

/// The local run's path: no scripted server, the simulator's own demo agent behind
/// `<hub>/v1`, for an image model and a text model. Both apps really run and pass the smoke test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_demo_agent_builds_working_apps() {
    let world = World::start_with(|c| c.with_demo_agent()).await;
    let llm_stub = ScriptedLlm::start(Vec::new()).await;
    for (run, model, space, output) in [
        (
            "demo-image",
            "Tongyi-MAI/Z-Image-Turbo",
            "demo-image",
            ObservedOutput::Image,
        ),
        (
            "demo-text",
            "openai-community/gpt2",
            "demo-text",
            ObservedOutput::Text,
        ),
    ] {
        let mut env = build_env(&world, run, space, &llm_stub);
        set(&mut env, "SF_MODEL_ID", model);
        set(
            &mut env,
            "SF_INFERENCE_URL",
            &format!("{}/v1", world.sim.url()),
        );
        let out = run_worker(&world, "build", &env, LIMIT).await;
        assert_eq!(
            out.state.status,
            RunStatus::FullInferenceSuccess,
            "{model}: {}\n{}\n{}",
            out.state.message,
            out.messages(),
            out.log
        );
        assert_eq!(
            out.state.validation.clone().unwrap().output_type,
            Some(output),
            "{model}"
        );
    }
    // The scripted server was never asked: the simulator answered, and it answers only a valid
    // token with the inference scope, so the person's token reached the Hub's own endpoint.
    assert!(llm_stub.requests().is_empty());
}
