//! The coding agent cannot read the token: the real Pi, driven by the scripted model, runs a bash
//! tool call that looks for it everywhere an agent could (its environment, the worker's
//! `/proc/<pid>/environ`, its home, workspace and the worker's folder), and the build still
//! succeeds. What the command printed is read from the tool result Pi sends back to the model.

use std::os::unix::fs::MetadataExt;
use std::time::Duration;

use serde_json::{Value, json};
use sf_core::record::RunStatus;
use sf_hubsim::TEST_TOKEN;

use crate::support::llm::{Reply, ScriptedLlm};
use crate::support::{
    IMAGE_REQUIREMENTS, Outcome, World, app_source, assert_nowhere, build_env, spawn_worker,
    writes_app,
};

/// The agent's search. The token is put together from two halves in the shell, so the command
/// itself never carries it; `control=1` proves the search would find it.
fn search_command(work: &str) -> String {
    let (a, b) = TEST_TOKEN.split_at(TEST_TOKEN.len() / 2);
    format!(
        r#"echo "uid=$(id -u) gid=$(id -g) groups=$(id -G)"
echo "--- env"; env; echo "--- end env"
p=$$
while [ "$p" -gt 1 ]; do p=$(cut -d' ' -f4 /proc/$p/stat); case "$(cat /proc/$p/comm)" in space-factory*) break;; esac; done
echo "worker=$p"
tr '\0' '\n' < /proc/$p/environ; echo "environ-exit=$?"
T="{a}""{b}"
echo "control=$(printf '%s' "$T" | grep -cF "$T")"
grep -rlsF --exclude-dir=pi-stage "$T" "$HOME" "$PWD" "$PI_CODING_AGENT_DIR" {work}; echo "grep-exit=$?"
"#
    )
}

/// The text of every `tool` message of a request.
fn tool_results(request: &Value) -> Vec<String> {
    crate::support::llm::message_texts(request, "tool")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_cannot_read_the_token_and_the_build_succeeds() {
    let world = World::start().await;
    let run_id = "build-sandboxed";
    let work = world.work.path().join(run_id);
    let mut replies = vec![Reply::Tools {
        text: Some("First I look at what this machine gives me.".into()),
        calls: vec![(
            "bash".to_string(),
            json!({"command": search_command(&work.display().to_string())}),
        )],
    }];
    replies.extend(writes_app(&app_source("image_app.py"), IMAGE_REQUIREMENTS));
    let llm = ScriptedLlm::start(replies).await;
    let env = build_env(&world, run_id, "fox-sandboxed", &llm);
    let log = world.tmp.path().join(format!("{run_id}.log"));
    let mut child = spawn_worker("build", &env, &log);
    let worker_pid = child.id().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(240), child.wait())
        .await
        .expect("the worker finishes")
        .unwrap();
    let out = Outcome::read(&world.run_dir(run_id), status.code(), &log);
    out.assert_status(RunStatus::FullInferenceSuccess);

    // What the agent's command found, as Pi sent it back to the model.
    let requests = llm.requests();
    assert!(requests.len() >= 2, "{requests:?}");
    let results = tool_results(&requests[1]);
    assert_eq!(results.len(), 1, "{results:?}");
    let found = &results[0];
    for expected in [
        "uid=65534 gid=65534 groups=65534\n",
        &format!("worker={worker_pid}\n"),
        "Permission denied",
        "environ-exit=1\n",
        "control=1\n",
        "grep-exit=1\n",
    ] {
        assert!(found.contains(expected), "no `{expected}` in:\n{found}");
    }
    let env_lines: Vec<&str> = found
        .split("--- env\n")
        .nth(1)
        .and_then(|s| s.split("--- end env").next())
        .unwrap()
        .lines()
        .collect();
    let names: Vec<&str> = env_lines
        .iter()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k))
        .collect();
    for name in ["PATH", "HOME", "PI_CODING_AGENT_DIR"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for name in names {
        assert!(
            !name.contains("TOKEN") && !name.starts_with("SF_"),
            "the agent sees {name}: {env_lines:?}"
        );
    }
    // Nothing Pi sent the model holds the token, and the model's endpoint never got it either.
    for request in &requests {
        assert!(!request.to_string().contains(TEST_TOKEN));
    }
    assert!(
        llm.authorizations()
            .iter()
            .all(|a| a == "Bearer space-factory-no-token"),
        "{:?}",
        llm.authorizations()
    );
    // The files Pi wrote are the agent user's; the worker read them and the Space works.
    let app = std::fs::metadata(work.join("workspace/app.py")).unwrap();
    assert_eq!((app.uid(), app.gid()), (65534, 65534));
    assert!(out.has_event("as the unprivileged user 65534:65534 without your token"));
    // Pi lives in root's closed home here: the agent ran a copy, removed at the end of the run.
    assert!(
        out.has_event("pi-stage/node_modules/"),
        "{}",
        out.messages()
    );
    assert!(!work.join("pi-stage").exists());
    assert_nowhere(&world.run_dir(run_id), TEST_TOKEN);
    world.sim.shutdown().await;
}
