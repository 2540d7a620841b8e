//! Gated and private weights: the worker checks the person's access to the weights themselves,
//! says early (before any agent runs) when there is none, and never lets a Space that cannot
//! download its model run on unnoticed — it asks for the Space's own `HF_TOKEN` secret, and
//! without it ends `technical_blocker` with that next step, the Space paused on paid hardware.
//! The rows of the corpus (`corpus.rs`, `corpus_with_gated_access`) cover the outcomes; these
//! tests look at what else must hold.

use std::time::Duration;

use sf_core::SpaceRef;
use sf_core::record::RunStatus;
use sf_hub::types::SpaceStage;
use sf_hubsim::{SimConfig, TEST_USER};

use crate::support::llm::ScriptedLlm;
use crate::support::{World, assert_has, build_env, run_worker, set};

const LIMIT: Duration = Duration::from_secs(240);
const LLAMA: &str = "meta-llama/Llama-3.1-8B-Instruct";

/// A build of `model` written by the simulator's demo agent.
async fn demo_build(
    world: &World,
    run_id: &str,
    space: &str,
    model: &str,
) -> (Vec<(String, String)>, ScriptedLlm) {
    let llm = ScriptedLlm::start(Vec::new()).await;
    let mut env = build_env(world, run_id, space, &llm);
    set(&mut env, "SF_MODEL_ID", model);
    set(
        &mut env,
        "SF_INFERENCE_URL",
        &format!("{}/v1", world.sim.url()),
    );
    set(&mut env, "SF_REPAIR_ROUNDS", "0");
    set(&mut env, "SF_SECRET_WAIT_S", "2");
    (env, llm)
}

/// With access to a gated model, on a fixed GPU (ZeroGPU refused): the Space is created, the
/// build asks for the token, and without it stops as a technical blocker with the next step —
/// and pauses the Space, which would otherwise bill by the hour while it cannot load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_secret_a_gated_build_stops_blocked_and_the_paid_space_is_paused() {
    let world = World::start_with(|c: SimConfig| {
        c.with_demo_agent()
            .with_gated_access(TEST_USER, LLAMA)
            .with_hardware_refusal(
                "zero-a10g",
                402,
                "ZeroGPU is only available to PRO accounts.",
            )
    })
    .await;
    let (env, _llm) = demo_build(&world, "build-gated-paid", "gated-paid", LLAMA).await;
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::TechnicalBlocker);
    assert_has(&out.state.message, &["no `HF_TOKEN` secret"]);
    let settings = format!("{}/spaces/{TEST_USER}/gated-paid/settings", world.sim.url());
    // Asked for while the run went on (the run page shows events live), with the link.
    assert!(
        out.has_event(&format!(
            "the Space cannot download its weights without a token. Add a read token as the secret `HF_TOKEN` in the Space settings ({settings}), then Validate this Space."
        )),
        "{}",
        out.messages()
    );
    assert_has(
        &out.report,
        &[&format!(
            "## Next steps\n\n- Add a read token as the secret `HF_TOKEN` in the Space settings (<{settings}>), then Validate this Space.\n"
        )],
    );
    // The worker never adds a secret itself: the person's token stays out of the Space.
    let space = SpaceRef::new(TEST_USER, "gated-paid").unwrap();
    let hub = world.hub();
    assert!(hub.space_secret_keys(&space).await.unwrap().is_empty());
    // Part 1's rule: not a success on paid hardware, so paused.
    assert_eq!(
        hub.space_runtime(&space).await.unwrap().stage,
        SpaceStage::Paused
    );
    let cost = out.state.cost.clone().expect("a cost record");
    assert!(
        cost.paused && cost.space_flavor.as_deref() == Some("l40sx1"),
        "{cost:?}"
    );
    // …and the next steps say to restart it once the secret is there, or Validate would wait
    // for a paused Space.
    assert_has(
        &out.report,
        &[
            "The Space was paused so that its hardware does not bill while it cannot load the model: restart it",
        ],
    );
    // The access was checked on a weight file, not only the card.
    let facts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            world
                .run_dir("build-gated-paid")
                .join("tests/model_facts.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(facts["access"]["access"], "granted");
    assert_eq!(facts["access_checked_on"], "model.safetensors.index.json");
    world.sim.shutdown().await;
}

/// No access at all: one clear sentence with the model page, before any agent runs or any Space
/// is created — nothing is spent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_access_the_person_is_told_before_anything_is_spent() {
    let world = World::start().await;
    let (mut env, llm) = demo_build(&world, "build-gated-denied", "gated-denied", LLAMA).await;
    // The coding model is the scripted server, which records every request it gets.
    set(&mut env, "SF_INFERENCE_URL", &llm.base_url);
    let out = run_worker(&world, "build", &env, LIMIT).await;
    out.assert_status(RunStatus::TechnicalBlocker);
    let page = format!("{}/{LLAMA}", world.sim.url());
    assert_has(
        &out.state.message,
        &[&format!(
            "request access on the model page {page}, then build again once it is granted"
        )],
    );
    assert!(
        out.has_event("Blocker: The model is gated and your account has no access to its files"),
        "{}",
        out.messages()
    );
    assert!(
        out.state.agent.is_none(),
        "the agent ran: {:?}",
        out.state.agent
    );
    assert!(llm.requests().is_empty());
    let missing = world
        .hub()
        .space_info(&SpaceRef::new(TEST_USER, "gated-denied").unwrap())
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    world.sim.shutdown().await;
}
