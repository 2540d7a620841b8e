//! `space-factory-worker validate` against hubsim running a real Gradio app.

use std::time::Duration;

use sf_core::record::{ObservedOutput, Phase, RunStatus};
use sf_hubsim::TEST_TOKEN;

use crate::support::{World, app_source, assert_has, assert_nowhere, run_worker, set};

const REQUIREMENTS: &str = "gradio\nspaces\ndiffusers\ntorch\n";

fn validate_env(world: &World, run_id: &str, space: &str, expected: &str) -> Vec<(String, String)> {
    let mut env = world.job_env(run_id, "validate");
    for (k, v) in [
        ("SF_TARGET_SPACE", space),
        ("SF_API_NAME", "/generate"),
        ("SF_TEST_ARGS_JSON", r#"["a red fox in the snow"]"#),
        ("SF_TEST_KWARGS_JSON", r#"{"steps": 2}"#),
        ("SF_EXPECTED_OUTPUT", expected),
        ("SF_LIVE_TIMEOUT_S", "120"),
    ] {
        set(&mut env, k, v);
    }
    env
}

/// A Space running the test image app.
async fn image_space(world: &World, name: &str) -> String {
    world
        .create_space(
            name,
            &[
                ("app.py", &app_source("image_app.py")),
                ("requirements.txt", REQUIREMENTS),
            ],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_success_with_an_image() {
    let world = World::start().await;
    let space = image_space(&world, "fox-app").await;
    let env = validate_env(&world, "validate-ok", &space, "image");
    let out = run_worker(&world, "validate", &env, Duration::from_secs(120)).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_eq!(out.exit, Some(0));
    assert_eq!(out.state.phase, Phase::Finished);
    assert_eq!(out.state.job_id.as_deref(), Some("job-validate-ok"));
    assert!(
        out.state
            .message
            .starts_with("Called /generate on the live Space: image output in "),
        "{}",
        out.state.message
    );
    let v = out.state.validation.clone().unwrap();
    assert_eq!(v.output_type, Some(ObservedOutput::Image));
    assert!(v.first_call_seconds.unwrap() > 0.0 && v.warm_call_seconds.is_some());
    let d = v.recommended_zerogpu_duration_seconds.unwrap();
    assert!((30..=300).contains(&d) && d % 10 == 0, "{d}");
    let artifact = world.run_dir("validate-ok").join(v.artifact_path.unwrap());
    assert_eq!(
        sf_worker::output::sniff(&std::fs::read(&artifact).unwrap())
            .unwrap()
            .output,
        ObservedOutput::Image
    );
    assert!(out.has_event("The Space is running"), "{}", out.messages());
    assert!(
        out.has_event("Live checks: config ok, API list ok, health ok"),
        "{}",
        out.messages()
    );
    assert_has(&out.report, &["**Verdict:** `full_inference_success`"]);
    assert!(out.report.contains(&format!("duration={d}")));
    assert!(world.run_dir("validate-ok").join("request.json").is_file());
    assert!(
        world
            .run_dir("validate-ok")
            .join("tests/api_schema.json")
            .is_file()
    );
    assert_nowhere(&world.run_dir("validate-ok"), TEST_TOKEN);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_with_the_wrong_output_type() {
    let world = World::start().await;
    let space = image_space(&world, "fox-video").await;
    let env = validate_env(&world, "validate-wrong-type", &space, "video");
    let out = run_worker(&world, "validate", &env, Duration::from_secs(120)).await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("returned image output, but video was expected"),
        "{}",
        out.state.message
    );
    assert_eq!(
        out.state.validation.unwrap().output_type,
        Some(ObservedOutput::Image)
    );
    assert!(out.report.contains("**Verdict:** `failed`"));
    assert!(out.report.contains("but video was expected"));
    world.sim.shutdown().await;
}

/// An app that answers with nothing still held the GPU for the call: validate advises a ZeroGPU
/// duration as the build's smoke test does (it used to give none).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_an_empty_output_still_gets_the_zerogpu_advice() {
    let world = World::start().await;
    let space = world
        .create_space(
            "empty-app",
            &[
                ("app.py", &app_source("empty_app.py")),
                ("requirements.txt", "gradio\n"),
            ],
        )
        .await;
    let env = validate_env(&world, "validate-empty", &space, "image");
    let out = run_worker(&world, "validate", &env, Duration::from_secs(120)).await;
    out.assert_status(RunStatus::Failed);
    let v = out.state.validation.clone().unwrap();
    assert_eq!(
        v.output_type,
        Some(ObservedOutput::Empty),
        "{}",
        out.messages()
    );
    let d = v
        .recommended_zerogpu_duration_seconds
        .expect("a ZeroGPU duration");
    assert!((30..=300).contains(&d) && d % 10 == 0, "{d}");
    let result: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            world
                .run_dir("validate-empty")
                .join("tests/validation_result.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(result["recommended_zerogpu_duration_seconds"], d);
    assert!(
        out.has_event("Warm call returned empty output"),
        "{}",
        out.messages()
    );
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_times_out_waiting_for_the_space() {
    let world = World::start().await;
    let space = image_space(&world, "stuck-app").await;
    // The Space stays BUILDING: the simulator is told so after the commit.
    let (ns, name) = space.split_once('/').unwrap();
    let http = reqwest::Client::new();
    let forced = http
        .post(format!(
            "{}/__sim/spaces/{ns}/{name}/stage",
            world.sim.url()
        ))
        .json(&serde_json::json!({"stage": "BUILDING"}))
        .send()
        .await
        .unwrap();
    assert!(forced.status().is_success());
    let mut env = validate_env(&world, "validate-timeout", &space, "image");
    set(&mut env, "SF_SPACE_WAIT_S", "2");
    let out = run_worker(&world, "validate", &env, Duration::from_secs(60)).await;
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state
            .message
            .contains("not running before the live timeout"),
        "{}",
        out.state.message
    );
    assert_has(&out.state.message, &["still BUILDING"]);
    assert!(out.has_event("The Space is building"), "{}", out.messages());
    assert!(out.report.contains("**Verdict:** `failed`"));
    assert_has(&out.report, &["Space running | ❌ fail"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_a_space_that_crashes_fails_fast_with_its_logs() {
    let world = World::start().await;
    let space = world
        .create_space(
            "crashing-app",
            &[(
                "app.py",
                "import sys\nprint('loading the model')\nsys.exit('CUDA out of memory')\n",
            )],
        )
        .await;
    let env = validate_env(&world, "validate-crash", &space, "image");
    let started = std::time::Instant::now();
    let out = run_worker(&world, "validate", &env, Duration::from_secs(60)).await;
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "no need to wait for the live timeout"
    );
    out.assert_status(RunStatus::Failed);
    assert_has(&out.state.message, &["crashed while starting"]);
    let run_log =
        std::fs::read_to_string(world.run_dir("validate-crash").join("traces/space-run.log"))
            .unwrap();
    assert!(run_log.contains("CUDA out of memory"), "{run_log}");
    assert_has(&out.report, &["Space running | ❌ fail"]);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_a_space_that_does_not_exist() {
    let world = World::start().await;
    let env = validate_env(
        &world,
        "validate-missing",
        "sf-tester/no-such-space",
        "image",
    );
    let out = run_worker(&world, "validate", &env, Duration::from_secs(60)).await;
    assert_eq!(out.exit, Some(0));
    out.assert_status(RunStatus::Failed);
    assert_has(&out.state.message, &["was not found"]);
    assert_has(&out.report, &["Space exists | ❌ fail"]);
    world.sim.shutdown().await;
}
