//! `space-factory-worker build` against hubsim, with the real Pi CLI driven by the scripted
//! model server and the generated app run for real by hubsim.

use std::time::Duration;

use sf_core::record::{ObservedOutput, Phase, RunStatus};
use sf_hubsim::{TEST_TOKEN, TEST_USER};

use crate::support::llm::ScriptedLlm;
use crate::support::{
    IMAGE_REQUIREMENTS, World, app_source, assert_nowhere, build_env, run_worker, writes_app,
};

const LIMIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_success_with_an_image_output() {
    let world = World::start().await;
    let llm = ScriptedLlm::start(writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS)).await;
    let env = build_env(&world, "build-ok", "fox-maker", &llm);
    let out = run_worker(&world, "build", &env, LIMIT).await;
    let dir = world.run_dir("build-ok");
    assert_eq!(
        out.state.status,
        RunStatus::FullInferenceSuccess,
        "{}\n{}\n{}",
        out.state.message,
        out.messages(),
        out.log
    );
    assert_eq!(out.exit, Some(0));
    assert_eq!(out.state.phase, Phase::Finished);
    // The agent ran against the scripted server with the user's token.
    assert_eq!(llm.remaining(), 0);
    assert!(
        llm.authorizations()
            .iter()
            .all(|a| a == &format!("Bearer {TEST_TOKEN}"))
    );
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
    assert!(
        out.report.contains("**Verdict:** `full_inference_success`"),
        "{}",
        out.report
    );
    assert!(
        out.report.contains("Not a placeholder | ✅ pass"),
        "{}",
        out.report
    );
    // The Space is private and holds the completed README.
    let info = world
        .hub()
        .space_info(&format!("{TEST_USER}/fox-maker"))
        .await
        .unwrap();
    assert_eq!(info.private, Some(true));
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}
