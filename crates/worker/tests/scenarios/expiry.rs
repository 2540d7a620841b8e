//! The person's sign-in expires in the middle of a build: hubsim's tokens expire as the Hub's
//! do, and the run ends naming the expired sign-in and the fix, not a generic Hub error.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sf_core::record::{Phase, RunStatus};
use sf_hubsim::TEST_USER;

use crate::support::llm::ScriptedLlm;
use crate::support::{
    IMAGE_REQUIREMENTS, Outcome, World, app_source, assert_has, assert_nowhere, build_env, set,
    spawn_worker, writes_app,
};

const LIMIT: Duration = Duration::from_secs(240);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_expires_mid_build_ends_naming_it_and_the_fix() {
    let world = World::start().await;
    let sim = world.sim.url();
    let http = reqwest::Client::new();
    // The person's sign-in: a token valid for an hour, as the job gets it.
    let minted: Value = http
        .post(format!("{sim}/__sim/tokens"))
        .json(&json!({"user": TEST_USER, "scopes": "all", "expires_in": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["token"].as_str().unwrap().to_string();
    // The Space creation, after the model was read and the agent wrote the app, is held for a
    // moment; the sign-in expires while it is held, so the Hub answers it 401.
    let armed = http
        .post(format!("{sim}/__sim/faults"))
        .json(&json!({"method": "POST", "path_prefix": "/api/repos/create", "count": 1, "delay_ms": 1500}))
        .send()
        .await
        .unwrap();
    assert!(armed.status().is_success());
    let llm = ScriptedLlm::start(writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS)).await;
    let mut env = build_env(&world, "build-expired", "fox-expired", &llm);
    set(&mut env, "HF_TOKEN", &token);
    let log = world.tmp.path().join("build-expired.log");
    let mut child = spawn_worker("build", &env, &log);
    let started = Instant::now();
    loop {
        let armed: Value = http
            .get(format!("{sim}/__sim/faults"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if armed.as_array().is_some_and(|a| a.is_empty()) {
            break;
        }
        assert!(
            started.elapsed() < LIMIT,
            "the worker never created the Space; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expired = http
        .post(format!("{sim}/__sim/tokens/expire"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert!(expired.status().is_success());
    let status = tokio::time::timeout(LIMIT, child.wait())
        .await
        .expect("the worker ends")
        .unwrap();
    let out = Outcome::read(&world.run_dir("build-expired"), status.code(), &log);

    // The start of the run worked with the token: the model was read, the agent wrote the app.
    assert!(out.has_event("Model facts:"), "{}", out.messages());
    assert!(out.has_event("Agent write app.py"), "{}", out.messages());
    assert_eq!(llm.remaining(), 0);
    // Then the run ends failed, with the sentence that names the expired sign-in and the fix.
    assert_eq!(out.exit, Some(1), "{}", out.log);
    out.assert_status(RunStatus::Failed);
    assert_eq!(out.state.phase, Phase::Finished);
    assert!(
        out.state.message.starts_with(
            "Your Hugging Face sign-in expired during the run (sign-ins last 8 hours); sign in again and press Run again."
        ),
        "{}",
        out.state.message
    );
    assert!(
        !out.state.message.contains("HTTP 401"),
        "{}",
        out.state.message
    );
    // The report says so, and its next step is to sign in again and run again.
    assert_has(
        &out.report,
        &["**Why:** Your Hugging Face sign-in expired during the run"],
    );
    assert_has(
        &out.report,
        &[
            "## Next steps\n\n- Sign in again in Space Factory, then press Run again: what you typed in the form is kept.",
        ],
    );
    assert_has(
        &out.report,
        &["The run stopped while: Creating the private Space"],
    );
    // Nothing was created with the expired token.
    let space = sf_core::SpaceRef::new(TEST_USER, "fox-expired").unwrap();
    assert!(
        world
            .hub()
            .space_info(&space)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert_nowhere(&world.run_dir("build-expired"), &token);
    world.sim.shutdown().await;
}
