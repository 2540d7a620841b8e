//! Repair after a failed live check, not only after a failed start: a Space that starts but
//! whose smoke-test call raises, or that has no `/health` route, gets the same bounded repair
//! rounds; the agent is given the failed call and the Space's run log (redacted), and the
//! verdict comes from the last version (`sf_core::rules`, rule 9b for a missing health route).

use std::time::Duration;

use sf_core::record::{Phase, RunStatus};
use sf_hubsim::TEST_TOKEN;

use crate::support::llm::{Reply, ScriptedLlm, message_texts, write};
use crate::support::{
    IMAGE_REQUIREMENTS, World, app_source, assert_has, assert_nowhere, build_scripted, writes_app,
};

const LIMIT: Duration = Duration::from_secs(300);

const GENERATE: &str = "    return pipe(prompt, num_inference_steps=int(steps)).images[0]\n";

/// The test image app whose generation raises an exception Gradio does not show the caller,
/// after printing the person's token to the Space's log (assembled at run time: a file holding
/// the token is never uploaded).
fn raising_app() -> String {
    let app = app_source("image_app.py");
    assert!(app.contains(GENERATE));
    let (head, tail) = TEST_TOKEN.split_at(8);
    app.replace(
        GENERATE,
        &format!(
            "    image = pipe(prompt, num_inference_steps=int(steps)).images[0]\n    print(\"calling with \" + \"{head}\" + \"{tail}\", flush=True)\n    raise ValueError(f\"the fox pipeline needs at least 3 steps, got {{int(steps)}}\")\n"
        ),
    )
}

/// The test image app without its `/health` route.
fn app_without_health() -> String {
    let app = app_source("image_app.py");
    let launch = "demo.launch(app_kwargs={\"routes\": [Route(\"/health\", health)]})";
    assert!(app.contains(launch));
    app.replace(launch, "demo.launch()")
}

/// A repair round rewriting app.py, then its summary.
fn rewrites_app(app: &str, summary: &str) -> Vec<Reply> {
    vec![
        Reply::Tools {
            text: Some("I read the failed call and the run log.".into()),
            calls: vec![write("app.py", app)],
        },
        Reply::Text(summary.into()),
    ]
}

/// The text of the user messages of the model request whose task is repair round `n`.
fn repair_task_given(llm: &ScriptedLlm, n: u32) -> String {
    let marker = format!("repair round {n} of");
    llm.requests()
        .iter()
        .flat_map(|r| message_texts(r, "user"))
        .find(|t| t.contains(&marker))
        .unwrap_or_else(|| panic!("no model request with `{marker}`"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_first_call_is_repaired_with_the_call_and_the_run_log() {
    let world = World::start().await;
    let mut script = writes_app(&raising_app(), IMAGE_REQUIREMENTS);
    script.extend(rewrites_app(
        &app_source("image_app.py"),
        "The generation raised on purpose; removed the raise.",
    ));
    let (out, llm) = build_scripted(&world, "repair-call", "repair-call", script, LIMIT).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_eq!(out.state.agent.as_ref().unwrap().rounds, 2);
    assert_eq!(llm.remaining(), 0);
    // What the agent was given: the Space, the call, the error from the run log, the log.
    let task = repair_task_given(&llm, 1);
    assert_has(
        &task,
        &[
            "in the private Space `sf-tester/repair-call`",
            "starts, but the wrapper's live check failed (repair round 1 of 1)",
            "called the endpoint `/generate` with args [\"a red fox in the snow\"] and kwargs {\"steps\":2}, expecting image output",
            "The call failed: the app raised an error; the Space's run log ends with `ValueError: the fox pipeline needs at least 3 steps, got 2`",
            "The end of the run log",
            "Traceback (most recent call last):",
            "calling with [redacted]",
            "Task (pipeline tag): text-to-image",
        ],
    );
    assert!(!task.contains(TEST_TOKEN), "the token reached the agent");
    // Every request the agent made, its whole context, is free of the token.
    assert!(
        llm.requests()
            .iter()
            .all(|r| !r.to_string().contains(TEST_TOKEN))
    );
    assert!(out.has_event("The live check failed"), "{}", out.messages());
    assert!(out.events.iter().any(|e| e.phase == Phase::Repairing));
    let dir = world.run_dir("repair-call");
    let log = std::fs::read_to_string(dir.join("traces/space-run-log-live-check-1.txt")).unwrap();
    assert!(log.contains("ValueError: the fox pipeline needs"), "{log}");
    assert_eq!(
        std::fs::read_to_string(dir.join("traces/repair-task-1.txt")).unwrap(),
        task
    );
    assert_has(
        &out.report,
        &[
            "Smoke test | ❌ fail",
            "Error in the Space's run log | ℹ️ note | ValueError: the fox pipeline needs at least 3 steps, got 2",
            "Repair round 1 | ✅ pass",
            "Smoke test | ✅ pass",
        ],
    );
    assert!(
        !std::fs::read_to_string(dir.join("generated/app.py"))
            .unwrap()
            .contains("raise ValueError")
    );
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_keeps_failing_ends_failed_with_the_error() {
    let world = World::start().await;
    let mut script = writes_app(&raising_app(), IMAGE_REQUIREMENTS);
    script.extend(rewrites_app(
        &raising_app(),
        "I could not find the problem.",
    ));
    let (out, llm) = build_scripted(
        &world,
        "repair-call-fails",
        "repair-call-fails",
        script,
        LIMIT,
    )
    .await;
    out.assert_status(RunStatus::Failed);
    assert_eq!(out.state.agent.as_ref().unwrap().rounds, 2);
    // Round 1 was given the failure; after it no round is left.
    assert_has(
        &repair_task_given(&llm, 1),
        &["ValueError: the fox pipeline needs at least 3 steps, got 2"],
    );
    assert_has(
        &out.state.message,
        &[
            "The test generation failed: the app raised an error; the Space's run log ends with `ValueError: the fox pipeline needs at least 3 steps, got 2`",
            "No repair rounds left (1 allowed).",
        ],
    );
    assert_has(
        &out.report,
        &[
            "**Verdict:** `failed`",
            &format!("**Why:** {}", out.state.message),
            "Repair round 1 | ✅ pass",
            "Read the Space's logs:",
        ],
    );
    let dir = world.run_dir("repair-call-fails");
    // The logs of each failed check are kept: the first one's, and the last one's.
    assert!(dir.join("traces/space-run-log-live-check-1.txt").is_file());
    assert!(dir.join("traces/space-run-log-live-check-2.txt").is_file());
    assert_nowhere(&dir, TEST_TOKEN);
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_health_route_alone_does_not_fail_a_working_generation() {
    let world = World::start().await;
    let mut script = writes_app(&app_without_health(), IMAGE_REQUIREMENTS);
    // The repair round is asked for the route, and does not add it.
    script.extend(rewrites_app(
        &app_without_health(),
        "The app looks fine to me.",
    ));
    let (out, llm) = build_scripted(&world, "repair-health", "repair-health", script, LIMIT).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_eq!(out.state.agent.as_ref().unwrap().rounds, 2);
    let task = repair_task_given(&llm, 1);
    assert_has(
        &task,
        &[
            "Failed live check: Health (`/health`): HTTP 404",
            "The generation itself works: keep it as it is, and add the health route",
        ],
    );
    assert!(!task.contains("The call failed"), "{task}");
    assert_has(
        &out.state.message,
        &[
            "Called /generate on the live Space: image output in",
            "Its `/health` route did not answer (HTTP 404",
            "generation works, so that alone is not a failure",
        ],
    );
    let steps = out.report.split("## Next steps").nth(1).unwrap();
    assert!(
        steps.starts_with("\n\n- Add the `/health` route to `app.py`"),
        "{steps}"
    );
    assert_has(
        &out.report,
        &["Health (`/health`) | ❌ fail", "Smoke test | ✅ pass"],
    );
    world.sim.shutdown().await;
}

/// A repair round asked for `/health` breaks the generation that worked, and no round is left:
/// the version whose generation worked is committed again, and the build ends as rule 9b says,
/// never `failed` for the health route alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_that_breaks_a_working_generation_is_undone() {
    let world = World::start().await;
    let mut script = writes_app(&app_without_health(), IMAGE_REQUIREMENTS);
    script.extend(rewrites_app(
        &raising_app(),
        "Added the health route (and changed the generation).",
    ));
    let (out, _llm) = build_scripted(&world, "repair-undone", "repair-undone", script, LIMIT).await;
    out.assert_status(RunStatus::FullInferenceSuccess);
    assert_has(
        &out.state.message,
        &["image output in", "Its `/health` route did not answer"],
    );
    assert!(out.has_event("Going back: the last repair round broke the generation"));
    assert_has(
        &out.report,
        &[
            "Repair round 1 | ✅ pass",
            "Smoke test | ❌ fail",
            "Back to the working version | ℹ️ note",
            "- Add the `/health` route to `app.py`",
        ],
    );
    // The Space (its files in the simulator) and the record hold the working version again.
    for copy in [
        world
            .tmp
            .path()
            .join("hub/spaces")
            .join(sf_hubsim::TEST_USER)
            .join("repair-undone/app.py"),
        world.run_dir("repair-undone").join("generated/app.py"),
    ] {
        let app = std::fs::read_to_string(&copy).unwrap_or_else(|e| panic!("{copy:?}: {e}"));
        assert_eq!(app, app_without_health(), "{copy:?}");
    }
    world.sim.shutdown().await;
}
