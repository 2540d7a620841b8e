//! The scenario corpus of outcomes: for each row a model, an implementation mode and the Hub's
//! hardware answer, the status `sf_core::rules` must give, and what the record must say — why
//! (the state's message, which is the report's **Why:**) and what to do next (the report's
//! *Next steps*). The real worker runs each row against hubsim, with the simulator's demo agent
//! or a scripted one, and the generated Space runs for real with the model stand-ins, which
//! simulate the weights (download with the Space's token, memory of its hardware).
//!
//! The same table is in the README's limits. Rows share one hubsim per hardware policy and run
//! a few at a time.

use std::time::Duration;

use futures_util::StreamExt;
use sf_core::record::RunStatus;
use sf_hubsim::agent::DemoMistake;
use sf_hubsim::{SimConfig, TEST_TOKEN, TEST_USER};

use crate::support::llm::{Reply, ScriptedLlm};
use crate::support::{
    IMAGE_REQUIREMENTS, Outcome, World, app_source, build_env, run_worker, set, writes_app,
};

const LIMIT: Duration = Duration::from_secs(300);
/// Builds running at once in one world.
const AT_ONCE: usize = 3;

/// Who writes the app.
enum Agent {
    /// The simulator's demo agent (what `cargo xtask serve` runs).
    Demo,
    /// The scripted model server with these replies.
    Scripted(Vec<Reply>),
}

struct Row {
    /// Run id and Space name.
    name: &'static str,
    model: &'static str,
    mode: &'static str,
    preferred: &'static str,
    /// `None`: no fixed-GPU fallback allowed.
    fallback: Option<&'static str>,
    agent: Agent,
    /// Create the target Space before the run.
    space_exists: bool,
    /// The person adds a read token as the Space's secret `HF_TOKEN` once the Space exists
    /// (while the build waits for it).
    space_secret: bool,
    status: RunStatus,
    /// Each must be in the state's message (the report's **Why:**).
    why: &'static [&'static str],
    /// Each must be in the report (its next steps, or a section saying why).
    report: &'static [&'static str],
    /// None of these may be in the message.
    not_why: &'static [&'static str],
    /// Each must be in the Space's run logs (what the app printed, tracebacks included).
    space_logs: &'static [&'static str],
    /// Repair rounds allowed (`SF_REPAIR_ROUNDS`); 0 shows what the first app gives.
    repair_rounds: u32,
}

impl Row {
    fn new(name: &'static str, model: &'static str, mode: &'static str) -> Row {
        Row {
            name,
            model,
            mode,
            preferred: "zero-a10g",
            fallback: Some("l40sx1"),
            agent: Agent::Demo,
            space_exists: false,
            space_secret: false,
            status: RunStatus::Failed,
            why: &[],
            report: &[],
            not_why: &[],
            space_logs: &[],
            repair_rounds: 0,
        }
    }
}

const ZIMAGE: &str = "Tongyi-MAI/Z-Image-Turbo";
const GPT2: &str = "openai-community/gpt2";
const LLAMA: &str = "meta-llama/Llama-3.1-8B-Instruct";
const DEEPSEEK: &str = "deepseek-ai/DeepSeek-V3";
const NO_CARD: &str = "sim-fixtures/model-without-card";
const PRIVATE: &str = "sf-tester/private-gpt2";
const GATED: &str = "full-inference-gated";
const ATTEMPT: &str = "full-inference-attempt";
const SCAFFOLD: &str = "safe-scaffold";

/// What to do next for a failed run, and the Space's logs when it exists.
const FAILED_NEXT: &str = "Fix what the reason above names";
const READ_LOGS: &str = "Read the Space's logs:";
const BLOCKER_NEXT: &str = "Read the blockers above: they name what prevents a working Space.";

/// The test image app, loading Z-Image-Turbo with these arguments and moving it to the GPU
/// unconditionally (`.to("cuda")`).
fn gpu_app(arguments: &str) -> String {
    let app = app_source("image_app.py");
    let load = "pipe = DiffusionPipeline.from_pretrained(MODEL_ID, torch_dtype=torch.bfloat16)";
    assert!(app.contains(load));
    app.replace(
        load,
        &format!("pipe = DiffusionPipeline.from_pretrained({arguments}).to(\"cuda\")"),
    )
}

/// Without a `torch_dtype` diffusers loads float32: about 24.6 GB for Z-Image-Turbo.
fn float32_gpu_app() -> String {
    gpu_app("MODEL_ID")
}

fn scripted(app: &str, requirements: &str) -> Agent {
    Agent::Scripted(writes_app(app, requirements))
}

/// Rows in a world where every hardware request is granted (a PRO account with billing).
fn rows_granted() -> Vec<Row> {
    vec![
        Row {
            status: RunStatus::FullInferenceSuccess,
            why: &[
                "Called /generate on the live Space: image output in",
                "on zero-a10g",
            ],
            report: &["Open the Space:", "@spaces.GPU(duration="],
            ..Row::new("success-image", ZIMAGE, GATED)
        },
        Row {
            preferred: "cpu-basic",
            fallback: None,
            status: RunStatus::FullInferenceSuccess,
            why: &["text output in", "on cpu-basic"],
            report: &["Open the Space:", "Run Validate again"],
            ..Row::new("cpu-only-text", GPT2, GATED)
        },
        Row {
            status: RunStatus::TechnicalBlocker,
            why: &[
                "Space Factory's own checks found",
                "gated and your account has no access",
                "request access on the model page http://",
                "/meta-llama/Llama-3.1-8B-Instruct, then build again",
            ],
            report: &[
                "## Blockers",
                BLOCKER_NEXT,
                "request access if the model is gated",
            ],
            not_why: &["The agent found"],
            ..Row::new("gated-no-access", LLAMA, GATED)
        },
        Row {
            // The worker goes on; the Space has no token and cannot download the weights.
            status: RunStatus::Failed,
            why: &[
                "crashed while starting",
                "Cannot access gated repo",
                "Space Factory's own checks had found: The model is gated",
            ],
            report: &[READ_LOGS, FAILED_NEXT],
            ..Row::new("gated-no-access-attempt", LLAMA, ATTEMPT)
        },
        Row {
            status: RunStatus::TechnicalBlocker,
            why: &[
                "Space Factory's own checks found",
                "beyond the memory of the largest single GPU",
            ],
            report: &[BLOCKER_NEXT, "Pick a smaller or better documented model"],
            ..Row::new("too-large-gated", DEEPSEEK, GATED)
        },
        Row {
            // ZeroGPU defers the move to the GPU: the Space starts, its first call runs out of
            // memory.
            status: RunStatus::Failed,
            why: &[
                "The test generation failed",
                "Space Factory's own checks had found: The weights are about 689 GB, beyond the memory of the largest single GPU a Space can have (141 GB); it needs several GPUs.",
            ],
            report: &["Smoke test | ❌ fail", READ_LOGS, FAILED_NEXT],
            space_logs: &[
                "Running on local URL",
                "does not fit in 1 GPU(s) of 70 GB on zero-a10g",
                "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate",
            ],
            ..Row::new("too-large-attempt", DEEPSEEK, ATTEMPT)
        },
        Row {
            status: RunStatus::Failed,
            why: &[
                "The test generation failed",
                "beyond the memory of the largest single GPU",
            ],
            report: &[READ_LOGS, FAILED_NEXT],
            ..Row::new("too-large-scaffold", DEEPSEEK, SCAFFOLD)
        },
        Row {
            // An app that needs a GPU, on CPU hardware chosen on purpose.
            preferred: "cpu-basic",
            fallback: None,
            agent: scripted(
                &gpu_app("MODEL_ID, torch_dtype=torch.bfloat16"),
                IMAGE_REQUIREMENTS,
            ),
            status: RunStatus::Failed,
            why: &["crashed while starting", "Found no NVIDIA driver"],
            report: &[READ_LOGS, FAILED_NEXT],
            ..Row::new("gpu-call-on-cpu", ZIMAGE, GATED)
        },
        Row {
            // 24.6 GB of float32 weights do not fit the 16 GB of RAM of CPU basic.
            preferred: "cpu-basic",
            fallback: None,
            agent: scripted(&float32_gpu_app(), IMAGE_REQUIREMENTS),
            status: RunStatus::Failed,
            why: &[
                "crashed while starting",
                "DefaultCPUAllocator: not enough memory",
            ],
            report: &[READ_LOGS, FAILED_NEXT],
            ..Row::new("ram-too-small", ZIMAGE, GATED)
        },
        Row {
            agent: scripted(&app_source("placeholder_app.py"), "pillow\n"),
            status: RunStatus::Failed,
            why: &["placeholder"],
            report: &["Not a placeholder | ❌ fail", FAILED_NEXT],
            ..Row::new("placeholder-gated", ZIMAGE, GATED)
        },
        Row {
            agent: scripted(&app_source("placeholder_app.py"), "pillow\n"),
            status: RunStatus::HealthOnly,
            why: &["placeholder that does not run the model"],
            report: &["The app does not run the model yet"],
            ..Row::new("placeholder-attempt", ZIMAGE, ATTEMPT)
        },
        Row {
            agent: scripted(&app_source("placeholder_app.py"), "pillow\n"),
            status: RunStatus::HealthOnly,
            why: &["placeholder that does not run the model"],
            report: &["The app does not run the model yet"],
            ..Row::new("placeholder-scaffold", ZIMAGE, SCAFFOLD)
        },
        Row {
            // The demo agent's first app reads the pipeline's output wrongly: the Space starts,
            // its first call raises; the repair round is given the exception from the run log
            // and fixes it (the demo agent fixes only what the task shows it).
            agent: Agent::Demo,
            repair_rounds: 1,
            status: RunStatus::FullInferenceSuccess,
            why: &["Called /generate on the live Space: image output in"],
            report: &[
                "Error in the Space's run log | ℹ️ note | AttributeError:",
                "has no attribute 'image'",
                "Repair round 1 | ✅ pass",
                "Smoke test | ✅ pass",
            ],
            ..Row::new(REPAIRED_CALL, ZIMAGE, GATED)
        },
        Row {
            // Generation works, `/health` is missing, no repair round: rule 9b.
            agent: Agent::Demo,
            status: RunStatus::FullInferenceSuccess,
            why: &[
                "image output in",
                "Its `/health` route did not answer (HTTP 404",
            ],
            report: &[
                "Health (`/health`) | ❌ fail",
                "- Add the `/health` route to `app.py`",
            ],
            ..Row::new(NO_HEALTH, ZIMAGE, GATED)
        },
        Row {
            space_exists: true,
            status: RunStatus::Failed,
            why: &[
                "already exists",
                "nothing was touched",
                "Choose another Space name",
            ],
            report: &["Target Space is new | ❌ fail", FAILED_NEXT],
            ..Row::new("existing-space", ZIMAGE, GATED)
        },
        Row {
            // No card, no task: the agent declines and says why.
            status: RunStatus::TechnicalBlocker,
            why: &[
                "The agent found what prevents a working Space",
                "text-to-image and text-generation models only",
            ],
            report: &["## Blockers", BLOCKER_NEXT],
            ..Row::new("no-card", NO_CARD, GATED)
        },
        Row {
            // Outside gated mode a declined task is a failure, with the agent's reason.
            status: RunStatus::Failed,
            why: &[
                "The coding agent did not finish an app.",
                "The agent had reported:",
                "text-to-image and text-generation models only",
            ],
            report: &[FAILED_NEXT],
            ..Row::new("declined-task", NO_CARD, ATTEMPT)
        },
    ]
}

/// What rule 7c's next step says, with the row's Space settings link.
const TOKEN_NEXT: &str = "Add a read token as the secret `HF_TOKEN` in the Space settings (<http";

/// Rows in a world where the person has access to the gated Llama: the Space still needs its
/// own token (the person's sign-in token is never put into a Space).
fn rows_gated_access() -> Vec<Row> {
    vec![
        Row {
            // The build asks for the secret, waits a little, and stops before the Space can
            // only crash; on ZeroGPU it bills nothing meanwhile.
            status: RunStatus::TechnicalBlocker,
            why: &[
                "The model is gated, and the Space has no `HF_TOKEN` secret",
                "never puts your sign-in token into a Space",
                "then Validate this Space",
            ],
            report: &[
                TOKEN_NEXT,
                "/spaces/sf-tester/gated-access-no-secret/settings>), then Validate this Space.",
                "Model access | ✅ pass | the card and `model.safetensors.index.json` can be downloaded",
                "Space token | ❌ fail",
                "ZeroGPU: free hosting",
            ],
            not_why: &["crashed", "request access"],
            ..Row::new("gated-access-no-secret", LLAMA, GATED)
        },
        Row {
            space_secret: true,
            status: RunStatus::FullInferenceSuccess,
            why: &["Called /generate on the live Space: text output in"],
            report: &["Space token | ✅ pass", "Open the Space:"],
            ..Row::new("gated-secret-present", LLAMA, GATED)
        },
        Row {
            preferred: "cpu-basic",
            fallback: None,
            status: RunStatus::TechnicalBlocker,
            why: &["The model is private, and the Space has no `HF_TOKEN` secret"],
            report: &[
                TOKEN_NEXT,
                "/spaces/sf-tester/private-no-secret/settings>), then Validate this Space.",
            ],
            ..Row::new("private-no-secret", PRIVATE, ATTEMPT)
        },
    ]
}

/// Rows in a world where ZeroGPU is refused (an account without PRO): the fixed fallback GPU
/// decides.
fn rows_zerogpu_refused() -> Vec<Row> {
    vec![
        Row {
            // 24.6 GB of float32 weights fit the L40S's 48 GB.
            agent: scripted(&float32_gpu_app(), IMAGE_REQUIREMENTS),
            status: RunStatus::FullInferenceSuccess,
            why: &["image output in", "on l40sx1"],
            report: &["Tried `zero-a10g`: refused", "Open the Space:"],
            ..Row::new("fallback-fits", ZIMAGE, GATED)
        },
        Row {
            // …but not a T4's 16 GB: the Space fails at load.
            fallback: Some("t4-medium"),
            agent: scripted(&float32_gpu_app(), IMAGE_REQUIREMENTS),
            status: RunStatus::Failed,
            why: &["crashed while starting", "CUDA out of memory"],
            report: &["Tried `zero-a10g`: refused", READ_LOGS, FAILED_NEXT],
            ..Row::new("fallback-too-small", ZIMAGE, GATED)
        },
    ]
}

/// Rows whose Space the demo agent gets wrong on purpose the first time.
const REPAIRED_CALL: &str = "repaired-after-a-failed-call";
const NO_HEALTH: &str = "no-health-route";

async fn world(adjust: impl FnOnce(SimConfig) -> SimConfig) -> World {
    World::start_with(|c| {
        adjust(
            c.with_demo_agent()
                .with_demo_agent_mistake(
                    format!("{TEST_USER}/{REPAIRED_CALL}"),
                    DemoMistake::RaisesOnCall,
                )
                .with_demo_agent_mistake(
                    format!("{TEST_USER}/{NO_HEALTH}"),
                    DemoMistake::NoHealthRoute,
                ),
        )
    })
    .await
}

/// Runs one row and checks it; `Err` with what differs.
async fn run_row(world: &World, row: Row) -> Result<(), String> {
    let llm = match &row.agent {
        Agent::Scripted(replies) => ScriptedLlm::start(replies.clone()).await,
        Agent::Demo => ScriptedLlm::start(Vec::new()).await,
    };
    let mut env = build_env(world, row.name, row.name, &llm);
    set(&mut env, "SF_MODEL_ID", row.model);
    set(&mut env, "SF_IMPLEMENTATION_MODE", row.mode);
    set(&mut env, "SF_PREFERRED_HARDWARE", row.preferred);
    set(&mut env, "SF_REPAIR_ROUNDS", &row.repair_rounds.to_string());
    match row.fallback {
        Some(f) => set(&mut env, "SF_FALLBACK_HARDWARE", f),
        None => set(&mut env, "SF_ALLOW_FIXED_GPU_FALLBACK", "false"),
    }
    if matches!(row.agent, Agent::Demo) {
        set(
            &mut env,
            "SF_INFERENCE_URL",
            &format!("{}/v1", world.sim.url()),
        );
    }
    // Long enough for the person to add the secret; short when nobody will.
    set(
        &mut env,
        "SF_SECRET_WAIT_S",
        if row.space_secret { "120" } else { "2" },
    );
    let secret = row
        .space_secret
        .then(|| tokio::spawn(add_token_secret_when_created(world.sim.url(), row.name)));
    if row.space_exists {
        world
            .create_space(row.name, &[("app.py", "print('mine')\n")])
            .await;
    }
    let out: Outcome = run_worker(world, "build", &env, LIMIT).await;
    let mut wrong = Vec::new();
    if let Some(task) = secret {
        task.abort();
    }
    if out.state.status != row.status {
        wrong.push(format!(
            "status {} (expected {})",
            out.state.status, row.status
        ));
    }
    for w in row.why {
        if !out.state.message.contains(w) {
            wrong.push(format!("the message lacks `{w}`"));
        }
    }
    for w in row.not_why {
        if out.state.message.contains(w) {
            wrong.push(format!("the message says `{w}`"));
        }
    }
    if !out
        .report
        .contains(&format!("**Why:** {}", out.state.message))
    {
        wrong.push("the report does not say why".to_string());
    }
    if !out.report.contains("## Next steps\n\n- ") {
        wrong.push("the report has no next steps".to_string());
    }
    for r in row.report {
        if !out.report.contains(r) {
            wrong.push(format!("the report lacks `{r}`"));
        }
    }
    if !row.space_logs.is_empty() {
        let logs = run_logs(world, row.name).await;
        for l in row.space_logs {
            if !logs.contains(l) {
                wrong.push(format!("the Space's run logs lack `{l}`:\n{logs}"));
            }
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "row {} ({} {} on {}): {}\nmessage: {}\nevents:\n{}\nreport:\n{}",
            row.name,
            row.model,
            row.mode,
            row.preferred,
            wrong.join("; "),
            out.state.message,
            out.messages(),
            out.report
        ))
    }
}

/// Acts as the person who follows the run: once the Space exists, mints a read token (read and
/// gated-repo scopes only) and adds it as the Space's secret `HF_TOKEN` in its settings.
pub async fn add_token_secret_when_created(hub: String, space: &'static str) {
    let http = reqwest::Client::new();
    let info = format!("{hub}/api/spaces/{TEST_USER}/{space}");
    loop {
        let found = http.get(&info).bearer_auth(TEST_TOKEN).send().await;
        if found.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let minted: serde_json::Value = http
        .post(format!("{hub}/__sim/tokens"))
        .json(&serde_json::json!({"user": TEST_USER, "scopes": ["read-repos", "gated-repos"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["token"].as_str().expect("a minted token");
    let added = http
        .post(format!("{info}/secrets"))
        .bearer_auth(TEST_TOKEN)
        .json(&serde_json::json!({"key": "HF_TOKEN", "value": token, "description": "read token"}))
        .send()
        .await
        .unwrap();
    assert!(added.status().is_success(), "{}", added.status());
}

/// The Space's run logs so far (the stream is read for at most 3 s).
async fn run_logs(world: &World, name: &str) -> String {
    let url = format!("{}/api/spaces/{TEST_USER}/{name}/logs/run", world.sim.url());
    let Ok(mut r) = reqwest::Client::new()
        .get(url)
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
    else {
        return String::new();
    };
    let mut body = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, r.chunk()).await {
        body.extend_from_slice(&chunk);
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// Runs the rows a few at a time in one world; fails with every row that went wrong.
async fn run_rows(world: &World, rows: Vec<Row>) {
    let count = rows.len();
    let failures: Vec<String> = futures_util::stream::iter(rows)
        .map(|row| run_row(world, row))
        .buffer_unordered(AT_ONCE)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    assert!(
        failures.is_empty(),
        "{} of {count} rows went wrong:\n\n{}",
        failures.len(),
        failures.join("\n\n----------\n\n")
    );
}

/// A row name filter for iterating: `SF_CORPUS_ROWS=too-large,gated` runs the rows whose name
/// contains one of the words.
fn selected(rows: Vec<Row>) -> Vec<Row> {
    match std::env::var("SF_CORPUS_ROWS") {
        Ok(words) if !words.trim().is_empty() => rows
            .into_iter()
            .filter(|r| words.split(',').any(|w| r.name.contains(w.trim())))
            .collect(),
        _ => rows,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_with_every_hardware_granted() {
    let world = world(|c| c).await;
    run_rows(&world, selected(rows_granted())).await;
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_with_gated_access() {
    let world = world(|c| c.with_gated_access(TEST_USER, LLAMA)).await;
    run_rows(&world, selected(rows_gated_access())).await;
    world.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_with_zerogpu_refused() {
    let world = world(|c| {
        c.with_hardware_refusal(
            "zero-a10g",
            402,
            "ZeroGPU is only available to PRO accounts.",
        )
    })
    .await;
    run_rows(&world, selected(rows_zerogpu_refused())).await;
    world.sim.shutdown().await;
}
