//! What the coding agent is told: the rules (appended to Pi's system prompt) and the task of each
//! round — the first build, and a repair after the Space failed to start, or started but failed
//! its live check (a smoke-test call that raised or returned the wrong output, a missing
//! `/health` route).

use sf_core::rules::{CallOutcome, ImplementationMode};
use sf_core::smoke_test::CallSpec;

use crate::files::{BLOCKERS, INPUT_DIR, MANIFEST};

/// How the app gets its Hub token: from the Space's secret, through the environment, so that a
/// gated or private model loads once the person adds the secret (rule 7c of `sf_core::rules`).
pub const TOKEN_RULE: &str = "Read the Hub token from the environment when loading the model: `import os` and pass `token=os.environ.get(\"HF_TOKEN\")` to every `from_pretrained(...)`/`pipeline(...)` call (a gated or private model downloads only with the Space's secret `HF_TOKEN`; it is None for a public model, which still loads). Never write a token into any file.";

/// The inputs of the first task.
#[derive(Debug, Clone)]
pub struct TaskInput<'a> {
    pub mode: ImplementationMode,
    pub model_id: &'a str,
    pub space_id: &'a str,
    pub hardware: &'a str,
    pub zerogpu: bool,
    /// `ModelFacts::summary()`.
    pub facts: &'a str,
    pub has_card: bool,
    /// Early blockers found by the wrapper (non-gated modes go on anyway).
    pub known_obstacles: &'a [String],
}

/// The rules every round follows, appended to Pi's system prompt.
pub fn rules(mode: ImplementationMode) -> String {
    let mut r = format!(
        "You are writing the files of a private Hugging Face Gradio Space. Rules:\n\
         - Work only in the current directory. Write only these files: app.py, requirements.txt, README.md, {MANIFEST}{}. Do not create other files or folders.\n\
         - Do not create, upload or change anything on the Hugging Face Hub, and do not start servers; the wrapper uploads the files and tests the Space.\n\
         - Never print, log or write the value of HF_TOKEN or any other secret.\n\
         - The folder {INPUT_DIR}/ holds the model card and facts: read it, do not change it.\n",
        if mode == ImplementationMode::SafeScaffold {
            ""
        } else {
            ", and BLOCKERS.md when needed"
        }
    );
    r.push_str(match mode {
        ImplementationMode::FullInferenceGated => {
            "- The app must run the real model and return its real output. Never write a placeholder: no constant outputs, no random noise, no returning the input, no dummy images or canned text.\n\
             - If real inference is impossible in one Space (it needs several GPUs, custom CUDA kernels, a licence that forbids it, weights that are not available, or its usage is unclear), write only BLOCKERS.md with one bullet (`- `) per concrete reason, and no app.\n"
        }
        ImplementationMode::FullInferenceAttempt => {
            "- Try to run the real model even if you see obstacles. Never present a placeholder as the model's output.\n\
             - List every obstacle you see as a bullet (`- `) in BLOCKERS.md, and still write the app.\n"
        }
        ImplementationMode::SafeScaffold => {
            "- Prefer running the real model. If that cannot work, a simpler app that starts reliably is acceptable, but its README must say that it does not run the model, and it must never present made-up output as the model's.\n"
        }
    });
    r
}

/// The first task.
pub fn build_task(t: &TaskInput<'_>) -> String {
    let card = if t.has_card {
        format!(
            "The model card is in {INPUT_DIR}/MODEL_CARD.md; the facts are in {INPUT_DIR}/facts.json."
        )
    } else {
        format!("The model has no card; its facts are in {INPUT_DIR}/facts.json.")
    };
    let gpu = if t.zerogpu {
        "The Space will run on ZeroGPU: `import spaces` at the very top of app.py (before torch), and decorate the function that uses the GPU with `@spaces.GPU(duration=N)`, N a conservative number of seconds for one call (at most 120). Load the model at start-up (outside the decorated function) and move it to \"cuda\" there.".to_string()
    } else {
        format!(
            "The Space will run on `{}` hardware. If it has a GPU use \"cuda\" when `torch.cuda.is_available()`, else the CPU; keep `import spaces` and `@spaces.GPU(duration=N)` on the GPU function so the app also runs on ZeroGPU.",
            t.hardware
        )
    };
    let obstacles = if t.known_obstacles.is_empty() {
        String::new()
    } else {
        format!(
            "\nThe wrapper already noticed these obstacles:\n{}\n",
            t.known_obstacles
                .iter()
                .map(|o| format!("- {o}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    };
    format!(
        "Build a Gradio app for the model `{model}`, to be deployed as the private Space `{space}`.\n\n\
         {card}\n\nFacts:\n{facts}\n{obstacles}\n\
         Write:\n\
         1. app.py — a Gradio Blocks app (gradio 6) that loads `{model}` from the Hub by its id and runs it. {token} One main generation function wired to the UI with `api_name=\"generate\"` (so it is the endpoint `/generate`). A health route: `from starlette.routing import Route`, `from starlette.responses import JSONResponse`, `async def health(request): return JSONResponse({{\"status\": \"ok\"}})`, and start with `demo.launch(app_kwargs={{\"routes\": [Route(\"/health\", health)]}})`. Do not set a host or port. For image output use `gr.Image(format=\"png\")`.\n\
         2. requirements.txt — the packages app.py imports, one per line (not gradio or spaces: the Space provides them).\n\
         3. README.md — a short description of the app and the model (title, what it does, the licence). The wrapper completes its front matter.\n\
         4. {MANIFEST} — the smoke test the wrapper runs on the live Space: {{\"api_name\": \"/generate\", \"args\": [<inputs in order>], \"kwargs\": {{}}, \"expected_output\": \"image\" | \"video\" | \"audio\" | \"text\" | \"any\"}}, with cheap, fast inputs.\n\n\
         {gpu}\n\n\
         Check that app.py compiles with `python -m py_compile app.py`. When the files are written, reply with a one-paragraph summary and stop.",
        model = t.model_id,
        space = t.space_id,
        facts = t.facts,
        token = TOKEN_RULE,
    ) + &match t.mode {
        ImplementationMode::FullInferenceGated => format!(
            "\n\nIf the model cannot really run in one Space, write {BLOCKERS} instead (see the rules) and stop."
        ),
        ImplementationMode::FullInferenceAttempt => {
            format!("\n\nWrite the obstacles you see in {BLOCKERS}, and write the app anyway.")
        }
        ImplementationMode::SafeScaffold => String::new(),
    }
}

/// What went wrong with the version a repair round fixes.
#[derive(Debug, Clone)]
pub enum Failure<'a> {
    /// The Space did not start: its stage and the Hub's error message.
    Start {
        stage: &'a str,
        error: Option<&'a str>,
    },
    /// The Space runs, but its live check failed: the smoke-test call (when it failed or
    /// returned another output type) and the live checks that failed (`/health` …).
    Live {
        call: Option<FailedCall<'a>>,
        /// Each failed live check, as `name: detail`.
        checks: &'a [String],
    },
}

/// The smoke-test call that failed, as the wrapper made it.
#[derive(Debug, Clone)]
pub struct FailedCall<'a> {
    pub spec: &'a CallSpec,
    pub outcome: &'a CallOutcome,
}

/// The inputs of a repair round's task. Each round is a new agent session (`--no-session`): the
/// task says which model and Space it is about.
#[derive(Debug, Clone)]
pub struct RepairInput<'a> {
    pub failure: Failure<'a>,
    pub model_id: &'a str,
    pub space_id: &'a str,
    /// `ModelFacts::summary()`.
    pub facts: &'a str,
    pub build_log: &'a str,
    pub run_log: &'a str,
    /// This round, and how many are allowed.
    pub round: u32,
    pub rounds: u32,
}

/// The task of a repair round: what failed (a start, a call, a live check), the end of the
/// Space's logs, and what to fix. The caller redacts it before the agent sees it.
pub fn repair_task(r: &RepairInput<'_>) -> String {
    let head = format!(
        "The app for the model `{model}` in the private Space `{space}`, built from the files in this directory",
        model = r.model_id,
        space = r.space_id,
    );
    let round = format!("repair round {} of {}", r.round, r.rounds);
    let mut t = match &r.failure {
        Failure::Start { stage, error } => {
            let mut t = format!("{head}, failed to start (stage {stage}; {round}).\n");
            if let Some(e) = error.filter(|e| !e.trim().is_empty()) {
                t.push_str(&format!("The Hub says: {e}\n"));
            }
            t
        }
        Failure::Live { call, checks } => {
            let mut t = format!("{head}, starts, but the wrapper's live check failed ({round}).\n");
            if let Some(c) = call {
                let args = serde_json::to_string(&c.spec.args).unwrap_or_default();
                let kwargs = serde_json::to_string(&c.spec.kwargs).unwrap_or_default();
                t.push_str(&format!(
                    "\nThe smoke test ({MANIFEST}) called the endpoint `{}` with args {args} and kwargs {kwargs}, expecting {} output.\n",
                    c.spec.api_name, c.spec.expected
                ));
                t.push_str(&match c.outcome {
                    CallOutcome::Failed { reason } => format!("The call failed: {reason}.\n"),
                    CallOutcome::Returned { output } => format!(
                        "The call returned {output} output, but {} output was expected.\n",
                        c.spec.expected
                    ),
                });
            }
            for check in checks.iter() {
                t.push_str(&format!("Failed live check: {check}.\n"));
            }
            if call.is_none() && checks.iter().any(|c| c.contains("/health")) {
                t.push_str(
                    "The generation itself works: keep it as it is, and add the health route exactly as the first task said: `from starlette.routing import Route`, `from starlette.responses import JSONResponse`, `async def health(request): return JSONResponse({\"status\": \"ok\"})`, and `demo.launch(app_kwargs={\"routes\": [Route(\"/health\", health)]})`.\n",
                );
            }
            t
        }
    };
    if !r.facts.trim().is_empty() {
        t.push_str(&format!(
            "\nFacts about the model:\n{}\n",
            r.facts.trim_end()
        ));
    }
    if !r.build_log.trim().is_empty() {
        t.push_str(&format!(
            "\nThe end of the build log:\n```\n{}\n```\n",
            r.build_log
        ));
    }
    if !r.run_log.trim().is_empty() {
        t.push_str(&format!(
            "\nThe end of the run log (what the app printed, tracebacks included):\n```\n{}\n```\n",
            r.run_log
        ));
    }
    t.push_str(&format!(
        "\nFind the cause and fix app.py and/or requirements.txt (keep README.md and {MANIFEST} consistent). \
         Do not remove the real model inference to make the app start or answer. When done, reply with a one-paragraph summary of the fix and stop.",
    ));
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(mode: ImplementationMode) -> TaskInput<'static> {
        TaskInput {
            mode,
            model_id: "org/model",
            space_id: "alice/space",
            hardware: "zero-a10g",
            zerogpu: true,
            facts: "- Model: org/model",
            has_card: true,
            known_obstacles: &[],
        }
    }

    #[test]
    fn the_mode_changes_the_rules_and_task() {
        let gated = rules(ImplementationMode::FullInferenceGated);
        assert!(gated.contains("Never write a placeholder") && gated.contains("BLOCKERS.md"));
        let scaffold = rules(ImplementationMode::SafeScaffold);
        assert!(scaffold.contains("simpler app") && !scaffold.contains("BLOCKERS.md"));
        let t = build_task(&input(ImplementationMode::FullInferenceGated));
        assert!(
            t.contains("`org/model`")
                && t.contains("api_name=\"generate\"")
                && t.contains("/health")
        );
        assert!(t.contains("@spaces.GPU(duration=N)") && t.contains("smoke_test.json"));
        assert!(t.contains("write BLOCKERS.md instead"));
        assert!(
            t.contains("token=os.environ.get(\"HF_TOKEN\")") && t.contains(TOKEN_RULE),
            "{t}"
        );
        assert!(
            build_task(&input(ImplementationMode::FullInferenceAttempt))
                .contains("write the app anyway")
        );
        let mut cpu = input(ImplementationMode::SafeScaffold);
        cpu.zerogpu = false;
        cpu.hardware = "cpu-basic";
        assert!(build_task(&cpu).contains("`cpu-basic` hardware"));
    }

    fn repair(failure: Failure<'_>) -> String {
        repair_task(&RepairInput {
            failure,
            model_id: "org/model",
            space_id: "alice/space",
            facts: "- Task (pipeline tag): text-to-image",
            build_log: "ERROR: No matching distribution found for foo",
            run_log: "",
            round: 1,
            rounds: 2,
        })
    }

    #[test]
    fn repair_gives_the_logs() {
        let t = repair(Failure::Start {
            stage: "BUILD_ERROR",
            error: Some("Build failed"),
        });
        assert!(
            t.contains("stage BUILD_ERROR; repair round 1 of 2")
                && t.contains("Build failed")
                && t.contains("No matching distribution")
        );
        // A new session each round: the task names the model, the Space and the facts.
        assert!(
            t.contains("for the model `org/model` in the private Space `alice/space`")
                && t.contains("Task (pipeline tag): text-to-image"),
            "{t}"
        );
        assert!(!t.contains("run log"));
    }

    fn spec() -> CallSpec {
        sf_core::smoke_test::parse_manifest(
            r#"{"api_name": "/generate", "args": ["a fox", 2], "kwargs": {"seed": 1}, "expected_output": "image"}"#,
        )
        .unwrap()
    }

    /// A failed call is given whole: endpoint, inputs, expected output, error or observed output.
    #[test]
    fn repair_after_a_failed_call_gives_the_call() {
        let spec = spec();
        let raised = CallOutcome::Failed {
            reason: "the app raised an error: CUDA out of memory".into(),
        };
        let t = repair(Failure::Live {
            call: Some(FailedCall {
                spec: &spec,
                outcome: &raised,
            }),
            checks: &[],
        });
        assert!(
            t.contains("starts, but the wrapper's live check failed (repair round 1 of 2)")
                && t.contains("called the endpoint `/generate` with args [\"a fox\",2] and kwargs {\"seed\":1}, expecting image output")
                && t.contains("The call failed: the app raised an error: CUDA out of memory."),
            "{t}"
        );
        assert!(!t.contains("The generation itself works"), "{t}");
        let wrong = CallOutcome::Returned {
            output: sf_core::record::ObservedOutput::Text,
        };
        let t = repair(Failure::Live {
            call: Some(FailedCall {
                spec: &spec,
                outcome: &wrong,
            }),
            checks: &[],
        });
        assert!(
            t.contains("The call returned text output, but image output was expected."),
            "{t}"
        );
    }

    #[test]
    fn repair_of_a_missing_health_route_keeps_the_generation() {
        let t = repair(Failure::Live {
            call: None,
            checks: &["Health (`/health`): HTTP 404 Not Found".into()],
        });
        assert!(
            t.contains("Failed live check: Health (`/health`): HTTP 404 Not Found.")
                && t.contains("The generation itself works")
                && t.contains("Route(\"/health\", health)"),
            "{t}"
        );
    }
}
