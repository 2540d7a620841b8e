//! Money: a Space on a fixed GPU never bills forever, and every run says what it cost
//! (`state.json` `cost`, the report's Cost section).

use std::time::Duration;

use sf_core::SpaceRef;
use sf_core::record::RunStatus;
use sf_hub::types::SpaceStage;
use sf_hubsim::{SimConfig, TEST_USER};

use crate::support::llm::{Reply, ScriptedLlm, write};
use crate::support::{
    Outcome, World, app_source, assert_has, build_env, build_scripted, run_worker, writes_app,
};

const LIMIT: Duration = Duration::from_secs(240);

fn zerogpu_refused(c: SimConfig) -> SimConfig {
    c.with_hardware_refusal(
        "zero-a10g",
        402,
        "ZeroGPU is only available to PRO accounts.",
    )
}

/// A build whose requirements never install and that the agent does not repair: `failed`.
async fn failed_build(world: &World, run_id: &str, space: &str) -> Outcome {
    let broken = "diffusers\ntorch\nfox-magic-renderer\n";
    let mut script = writes_app(&app_source("image_app.py"), broken);
    script.extend([
        Reply::Tools {
            text: None,
            calls: vec![write("requirements.txt", broken)],
        },
        Reply::Text("I could not find the problem.".into()),
    ]);
    let (out, _llm) = build_scripted(world, run_id, space, script, LIMIT).await;
    out.assert_status(RunStatus::Failed);
    out
}

async fn stage(world: &World, space: &str) -> SpaceStage {
    world
        .hub()
        .space_runtime(&SpaceRef::new(TEST_USER, space).unwrap())
        .await
        .unwrap()
        .stage
}

fn settings_link(space: &str) -> String {
    format!("/spaces/{TEST_USER}/{space}/settings")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_on_a_fixed_gpu_pauses_the_space() {
    let world = World::start_with(zerogpu_refused).await;
    let out = failed_build(&world, "build-paid-fail", "fox-paid-fail").await;
    assert_eq!(out.state.hardware.assigned.as_deref(), Some("l40sx1"));
    assert_eq!(stage(&world, "fox-paid-fail").await, SpaceStage::Paused);
    assert!(out.has_event("Paused the Space"), "{}", out.messages());
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(cost.paused);
    assert_eq!(cost.space_flavor.as_deref(), Some("l40sx1"));
    assert_eq!(cost.space_usd_per_hour, Some(1.8));
    assert_eq!(cost.prices_from, "hub");
    assert_eq!(cost.sleep_seconds, Some(3600));
    assert_eq!(cost.job_flavor, "cpu-basic");
    assert!(cost.job_seconds > 0 && cost.job_usd.is_some(), "{cost:?}");
    assert!(cost.standing.starts_with("paused: no charge"), "{cost:?}");
    assert!(cost.by_hand.is_empty());
    let section = out.report.split("## Cost").nth(1).expect("a Cost section");
    assert!(section.contains("paused to stop billing"), "{section}");
    assert!(
        section.contains(&settings_link("fox-paid-fail")),
        "{section}"
    );
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_pause_goes_on_and_says_what_to_set_by_hand() {
    // OAuth-issued tokens are refused some settings calls (huggingface_hub#4972).
    let world = World::start_with(|c| zerogpu_refused(c).with_settings_refusal("pause", 401)).await;
    let out = failed_build(&world, "build-no-pause", "fox-no-pause").await;
    assert_ne!(stage(&world, "fox-no-pause").await, SpaceStage::Paused);
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(!cost.paused);
    assert_eq!(cost.by_hand.len(), 1, "{cost:?}");
    assert!(cost.by_hand[0].starts_with("Pause the Space"), "{cost:?}");
    assert_eq!(cost.standing, "$1.80/h until it sleeps after 1 h idle");
    let section = out.report.split("## Cost").nth(1).expect("a Cost section");
    assert!(
        section.contains("**Set by hand:** Pause the Space"),
        "{section}"
    );
    assert!(
        section.contains(&settings_link("fox-no-pause")),
        "{section}"
    );
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_on_zerogpu_is_not_paused_and_costs_no_hosting() {
    let world = World::start().await;
    let out = failed_build(&world, "build-zero-fail", "fox-zero-fail").await;
    assert_eq!(out.state.hardware.assigned.as_deref(), Some("zero-a10g"));
    assert_ne!(stage(&world, "fox-zero-fail").await, SpaceStage::Paused);
    assert!(!out.has_event("Paused the Space"));
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(!cost.paused);
    assert_eq!((cost.space_usd, cost.sleep_seconds), (Some(0.0), None));
    assert!(
        cost.standing.starts_with("ZeroGPU: free hosting"),
        "{cost:?}"
    );
    assert!(out.report.contains("## Cost"));
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hardware_request_never_filled_ends_manual_hardware_required() {
    let world = World::start_with(|c| zerogpu_refused(c).with_unfilled_hardware("l40sx1")).await;
    let llm = ScriptedLlm::start(writes_app(
        &app_source("image_app.py"),
        crate::support::IMAGE_REQUIREMENTS,
    ))
    .await;
    let mut env = build_env(&world, "build-unfilled", "fox-unfilled", &llm);
    crate::support::set(&mut env, "SF_SPACE_WAIT_S", "6");
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::ManualHardwareRequired);
    assert_has(&out.state.message, &["never assigned that hardware"]);
    assert!(
        out.has_event("The Space asked for l40sx1 hardware; the Hub has assigned none yet."),
        "{}",
        out.messages()
    );
    assert!(
        out.report
            .contains("**Verdict:** `manual_hardware_required`")
    );
    assert!(out.report.contains(&settings_link("fox-unfilled")));
    // Not a success on paid hardware: paused, so the request cannot start billing unseen.
    assert_eq!(stage(&world, "fox-unfilled").await, SpaceStage::Paused);
    world.sim.shutdown().await;
}

// ----- a run that stops without a verdict on paid hardware pauses its Space too -----

/// A build on the fixed GPU whose app fails to build and whose repair round hangs on the
/// model: the run is in the middle of its repair round, the Space up on `l40sx1`.
async fn start_hanging_repair(
    world: &World,
    run_id: &str,
    env_more: &[(&str, &str)],
) -> (tokio::process::Child, ScriptedLlm, std::path::PathBuf) {
    let mut script = writes_app(
        &app_source("image_app.py"),
        "diffusers\ntorch\nfox-magic-renderer\n",
    );
    script.push(Reply::Hang);
    let llm = ScriptedLlm::start(script).await;
    let mut env = build_env(world, run_id, run_id, &llm);
    for (k, v) in env_more {
        crate::support::set(&mut env, k, v);
    }
    let log = world.tmp.path().join(format!("{run_id}.log"));
    let child = crate::support::spawn_worker("build", &env, &log);
    let start = std::time::Instant::now();
    while !llm
        .requests()
        .iter()
        .any(|r| r.to_string().contains("repair round 1"))
    {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the repair round never started:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (child, llm, log)
}

/// What a run stopped without a verdict must leave: `failed` with the reason and the pause in
/// its message, the Space paused, the cost record saying so.
async fn assert_paused_at_the_end(world: &World, out: &Outcome, space: &str, reason: &str) {
    out.assert_status(RunStatus::Failed);
    assert!(
        out.state.message.contains(reason)
            && out.state.message.contains(
                "The Space was paused so that its l40sx1 hardware stops billing; restart it from its settings:"
            )
            && out.state.message.contains(&settings_link(space)),
        "{}",
        out.state.message
    );
    assert_eq!(stage(world, space).await, SpaceStage::Paused);
    assert!(out.has_event("Paused the Space"), "{}", out.messages());
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(cost.paused, "{cost:?}");
    assert_eq!(cost.space_flavor.as_deref(), Some("l40sx1"));
    assert!(cost.standing.starts_with("paused: no charge"), "{cost:?}");
    assert_has(&out.report, &[&format!("**Why:** {}", out.state.message)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_on_a_fixed_gpu_pauses_the_space() {
    let world = World::start_with(zerogpu_refused).await;
    let space = "fox-paid-cancel";
    let (mut child, _llm, log) = start_hanging_repair(&world, space, &[]).await;
    // SAFETY: kill(2) on the worker this test started.
    #[allow(unsafe_code)]
    unsafe {
        libc::kill(child.id().unwrap() as i32, libc::SIGTERM);
    }
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the worker stops")
        .unwrap();
    let out = Outcome::read(&world.run_dir(space), status.code(), &log);
    assert_eq!(out.exit, Some(128 + libc::SIGTERM));
    assert_paused_at_the_end(&world, &out, space, "The job was stopped (SIGTERM)").await;
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_at_its_time_limit_on_a_fixed_gpu_pauses_the_space() {
    let world = World::start_with(zerogpu_refused).await;
    let space = "fox-paid-limit";
    let (mut child, _llm, log) =
        start_hanging_repair(&world, space, &[("SF_RUN_LIMIT_S", "50")]).await;
    let status = tokio::time::timeout(Duration::from_secs(90), child.wait())
        .await
        .expect("the worker stops at its time limit")
        .unwrap();
    let out = Outcome::read(&world.run_dir(space), status.code(), &log);
    assert_eq!(out.exit, Some(1));
    assert_paused_at_the_end(
        &world,
        &out,
        space,
        "time limit of 50 s while repairing after a failed start or call",
    )
    .await;
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_ended_by_an_error_on_a_fixed_gpu_pauses_the_space() {
    let world = World::start_with(zerogpu_refused).await;
    let space = "fox-paid-error";
    // The Space's status can no longer be read once it exists: the run ends with the error.
    let armed = reqwest::Client::new()
        .post(format!("{}/__sim/faults", world.sim.url()))
        .json(&serde_json::json!({"path_prefix": format!("/api/spaces/{TEST_USER}/{space}/runtime"), "count": 50, "status": 503, "body": "The Hub is down for maintenance."}))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success());
    let (out, _llm) = build_scripted(
        &world,
        space,
        space,
        writes_app(
            &app_source("image_app.py"),
            crate::support::IMAGE_REQUIREMENTS,
        ),
        LIMIT,
    )
    .await;
    assert_eq!(out.exit, Some(1));
    // The faults left armed are the test's, not the run's: disarmed to read the stage.
    reqwest::Client::new()
        .delete(format!("{}/__sim/faults", world.sim.url()))
        .send()
        .await
        .unwrap();
    assert_paused_at_the_end(&world, &out, space, "down for maintenance").await;
    world.sim.shutdown().await;
}
