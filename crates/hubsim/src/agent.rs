//! A stand-in for the Inference Providers router's `POST /v1/chat/completions`, answered by a
//! scripted **demo coding agent**, so the whole build flow runs offline with the real Pi CLI.
//!
//! Enabled with [`crate::SimConfig::with_demo_agent`] (`hubsim --demo-agent`). Like the router it
//! needs `Authorization: Bearer <token>` with the `inference-api` scope (401 / 403 otherwise),
//! and answers in the OpenAI chat-completions format, streamed as `chat.completion.chunk`
//! server-sent events when the request says `"stream": true` (tool-call arguments split in
//! fragments, a usage chunk, `data: [DONE]`), else as one `chat.completion` object.
//!
//! What the demo agent does ([`demo_reply`]) — deterministic, no model behind it:
//! - When the last message is a tool result, it ends its turn with a one-paragraph summary.
//! - Otherwise it reads the task Space Factory's worker gives (the model id after
//!   "Build a Gradio app for the model `…`" and the "Task (pipeline tag): …" fact) and, in one
//!   turn, calls Pi's `write` tool for `app.py`, `requirements.txt`, `README.md` and
//!   `smoke_test.json`: a Gradio app that loads the model with `diffusers` (text-to-image) or
//!   `transformers` (text-generation). For any other task it writes `BLOCKERS.md` saying it only
//!   knows those two, and how to use a real model instead. It never writes a placeholder.
//!
//! - A **repair task** (the worker's "… repair round N of M"; each round is a new session) names
//!   the model and the Space and gives the facts again: it writes the app again, which fixes a
//!   first app that failed for a reason outside the app (a missing requirement, say).
//! - **Mistakes on purpose** ([`crate::SimConfig::with_demo_agent_mistake`], per Space): the first
//!   app for that Space has the [`DemoMistake`]; a repair round writes the correct app only when
//!   its task shows the mistake's evidence ([`DemoMistake::evidence`]: the exception from the
//!   Space's run log, the failed `/health` check), else the same faulty app again — so a test
//!   proves what the worker gave the agent, not only that a second round ran.
//!
//! The generated apps really start in the simulator's Space runtime with the model-library
//! stand-ins of [`crate::model_stand_ins`].

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::state::Sim;

/// A mistake the demo agent makes in its first app for a Space (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoMistake {
    /// The generation function reads the model's output wrongly (`.image` for `.images[0]`,
    /// `["text"]` for `["generated_text"]`): the app starts, every call raises, and Gradio hides
    /// the message from the caller (the run log has the traceback).
    RaisesOnCall,
    /// The app has no `/health` route; its generation works.
    NoHealthRoute,
}

impl DemoMistake {
    /// The name on `hubsim`'s command line: `raises-on-call`, `no-health-route`.
    pub fn from_wire(s: &str) -> Option<DemoMistake> {
        match s.trim() {
            "raises-on-call" => Some(DemoMistake::RaisesOnCall),
            "no-health-route" => Some(DemoMistake::NoHealthRoute),
            _ => None,
        }
    }

    /// What a repair task must contain for the demo agent to find the mistake, by app kind
    /// (`images` or `text`).
    pub fn evidence(self, kind: &str) -> &'static str {
        match (self, kind) {
            (DemoMistake::RaisesOnCall, "images") => "has no attribute 'image'",
            (DemoMistake::RaisesOnCall, _) => "KeyError: 'text'",
            (DemoMistake::NoHealthRoute, _) => "/health",
        }
    }

    /// The app with the mistake made.
    fn make(self, app: &str) -> String {
        match self {
            DemoMistake::RaisesOnCall => app
                .replace(".images[0]", ".image")
                .replace("[0][\"generated_text\"]", "[0][\"text\"]"),
            DemoMistake::NoHealthRoute => app
                .replace("from starlette.responses import JSONResponse\n", "")
                .replace("from starlette.routing import Route\n", "")
                .replace(
                    "async def health(request):\n    return JSONResponse({\"status\": \"ok\"})\n\n\n",
                    "",
                )
                .replace(
                    "demo.launch(app_kwargs={\"routes\": [Route(\"/health\", health)]})",
                    "demo.launch()",
                ),
        }
    }
}

/// One assistant turn: an optional text, then tool calls (`name`, arguments).
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub text: Option<String>,
    pub calls: Vec<(String, Value)>,
}

impl Completion {
    /// A final text (finish reason `stop`).
    pub fn text(text: impl Into<String>) -> Completion {
        Completion {
            text: Some(text.into()),
            calls: Vec::new(),
        }
    }

    fn finish_reason(&self) -> &'static str {
        if self.calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        }
    }
}

/// A call of Pi's `write` tool.
pub fn write_call(path: &str, content: &str) -> (String, Value) {
    (
        "write".to_string(),
        json!({"path": path, "content": content}),
    )
}

fn chunk(model: &str, delta: Value, finish: Option<&str>) -> String {
    let v = json!({
        "id": "chatcmpl-hubsim",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    });
    format!("data: {v}\n\n")
}

/// The server-sent event stream of one turn, as providers stream it.
pub fn sse(model: &str, c: &Completion) -> String {
    let mut out = chunk(model, json!({"role": "assistant", "content": ""}), None);
    if let Some(t) = &c.text {
        let chars: Vec<char> = t.chars().collect();
        for piece in chars.chunks(40) {
            let piece: String = piece.iter().collect();
            out.push_str(&chunk(model, json!({"content": piece}), None));
        }
    }
    for (i, (name, args)) in c.calls.iter().enumerate() {
        out.push_str(&chunk(
            model,
            json!({"tool_calls": [{"index": i, "id": format!("call_{i}"), "type": "function",
                                   "function": {"name": name, "arguments": ""}}]}),
            None,
        ));
        let chars: Vec<char> = args.to_string().chars().collect();
        for piece in chars.chunks(200) {
            let piece: String = piece.iter().collect();
            out.push_str(&chunk(
                model,
                json!({"tool_calls": [{"index": i, "function": {"arguments": piece}}]}),
                None,
            ));
        }
    }
    out.push_str(&chunk(model, json!({}), Some(c.finish_reason())));
    let usage = json!({
        "id": "chatcmpl-hubsim", "object": "chat.completion.chunk", "created": 0, "model": model,
        "choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
    });
    out.push_str(&format!("data: {usage}\n\ndata: [DONE]\n\n"));
    out
}

/// The same turn as one `chat.completion` object (`"stream": false`).
pub fn completion_json(model: &str, c: &Completion) -> Value {
    let calls: Vec<Value> = c
        .calls
        .iter()
        .enumerate()
        .map(|(i, (name, args))| {
            json!({"id": format!("call_{i}"), "type": "function",
                   "function": {"name": name, "arguments": args.to_string()}})
        })
        .collect();
    let mut message = json!({"role": "assistant", "content": c.text.clone().unwrap_or_default()});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    json!({
        "id": "chatcmpl-hubsim", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": c.finish_reason()}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    })
}

/// The answer to a chat-completions request: SSE when it asks for a stream.
pub fn respond(request: &Value, c: &Completion) -> Response {
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("hubsim-demo-agent");
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        (
            [
                (header::CONTENT_TYPE, "text/event-stream"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            sse(model, c),
        )
            .into_response()
    } else {
        axum::Json(completion_json(model, c)).into_response()
    }
}

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new().route("/v1/chat/completions", post(completions))
}

async fn completions(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    Json(request): Json<Value>,
) -> ApiResult<Response> {
    if !sim.cfg.demo_agent {
        return Err(ApiError::not_found(
            "No model endpoint here: start hubsim with --demo-agent.",
        ));
    }
    let caller = sim.require_caller(&headers)?;
    caller.require_any(&["inference-api"], "call Inference Providers")?;
    if !request.get("messages").is_some_and(Value::is_array) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "'messages' must be a list.",
        ));
    }
    Ok(respond(
        &request,
        &demo_reply_with(&request, &sim.cfg.demo_agent_mistakes),
    ))
}

/// The text of a message's `content` (a string, or a list of `{"type": "text"}` parts).
fn content_text(message: &Value) -> String {
    match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

fn is_model_id(id: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 96
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    matches!(id.split_once('/'), Some((ns, name)) if ok(ns) && ok(name))
}

/// What the worker's task says: the model id, its pipeline tag, the target Space, whether it is
/// a repair round, and its whole text.
#[derive(Debug, Default)]
struct Task {
    model: Option<String>,
    tag: Option<String>,
    space: Option<String>,
    repair: bool,
    text: String,
}

/// The worker's build or repair task, from the user messages.
fn task_of(messages: &[Value]) -> Task {
    let mut t = Task::default();
    for m in messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    {
        let text = content_text(m);
        if t.space.is_none()
            && let Some(rest) = text.split("private Space `").nth(1)
            && let Some(id) = rest.split('`').next()
            && is_model_id(id)
        {
            t.space = Some(id.to_string());
        }
        t.repair |= text.contains("repair round");
        t.text.push_str(&text);
        t.text.push('\n');
    }
    (t.model, t.tag) = model_and_tag(messages);
    t
}

/// The model id and pipeline tag of the worker's task, from any user message.
fn model_and_tag(messages: &[Value]) -> (Option<String>, Option<String>) {
    let mut model = None;
    let mut tag = None;
    for m in messages
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    {
        let text = content_text(m);
        if model.is_none()
            && let Some(rest) = text.split("for the model `").nth(1)
            && let Some(id) = rest.split('`').next()
            && is_model_id(id)
        {
            model = Some(id.to_string());
        }
        if tag.is_none()
            && let Some(rest) = text.split("Task (pipeline tag):").nth(1)
        {
            let t = rest.lines().next().unwrap_or("").trim();
            if !t.is_empty() {
                tag = Some(t.to_string());
            }
        }
    }
    (model, tag)
}

/// A readable title from a model id: `Tongyi-MAI/Z-Image-Turbo` → `Z-Image-Turbo demo`.
fn title(model: &str) -> String {
    format!("{} demo", model.rsplit('/').next().unwrap_or(model))
}

/// What the demo agent answers to this request (see the module documentation).
pub fn demo_reply(request: &Value) -> Completion {
    demo_reply_with(request, &Default::default())
}

/// [`demo_reply`], making the `mistakes` configured for the task's Space.
pub fn demo_reply_with(
    request: &Value,
    mistakes: &std::collections::BTreeMap<String, DemoMistake>,
) -> Completion {
    let messages: &[Value] = request
        .get("messages")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let task = task_of(messages);
    let (model, tag) = (task.model.clone(), task.tag.clone());
    let last_role = messages
        .last()
        .and_then(|m| m.get("role"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(model) = model else {
        return Completion::text(
            "I am the Hub simulator's demo agent: I only answer Space Factory build tasks \
             (\"Build a Gradio app for the model `owner/name` …\").",
        );
    };
    if last_role == "tool" {
        if task.repair {
            return Completion::text(format!(
                "I rewrote app.py for `{model}` after reading what failed and the Space's logs."
            ));
        }
        return Completion::text(format!(
            "The files for `{model}` are written: app.py loads the model from the Hub by its id, \
             exposes /generate and a /health route; requirements.txt, README.md and \
             smoke_test.json are next to it."
        ));
    }
    let tag = tag.unwrap_or_else(|| "unknown".to_string());
    let fill = |template: &str| {
        template
            .replace("{{MODEL_ID}}", &model)
            .replace("{{TITLE}}", &title(&model))
    };
    let (app, requirements, manifest, kind) = match tag.as_str() {
        "text-to-image" => (
            fill(include_str!("../agent/image_app.py")),
            "diffusers\ntorch\n",
            json!({"api_name": "/generate", "args": ["a red fox in the snow", 2], "kwargs": {}, "expected_output": "image"}),
            "images",
        ),
        "text-generation" | "text2text-generation" => (
            fill(include_str!("../agent/text_app.py")),
            "transformers\ntorch\n",
            json!({"api_name": "/generate", "args": ["Once upon a time", 16], "kwargs": {}, "expected_output": "text"}),
            "text",
        ),
        other => {
            return Completion {
                text: Some(format!("`{model}` is a {other} model; I stop here.")),
                calls: vec![write_call(
                    "BLOCKERS.md",
                    &format!(
                        "# Not built\n\nThe Hub simulator's demo agent writes apps for text-to-image and \
                         text-generation models only, and `{model}` has the task `{other}`.\n\n\
                         To build it, point `SF_INFERENCE_URL` at a real OpenAI-compatible endpoint \
                         (for example Hugging Face Inference Providers, the default on the Hub).\n"
                    ),
                )],
            };
        }
    };
    // The configured mistake, unless this is a repair whose task shows its evidence.
    let mistake = task
        .space
        .as_ref()
        .and_then(|s| mistakes.get(s))
        .filter(|m| !(task.repair && task.text.contains(m.evidence(kind))));
    let app = match mistake {
        Some(m) => m.make(&app),
        None => app,
    };
    let readme = format!(
        "---\ntitle: {title}\nshort_description: {kind} from {model}\n---\n# {title}\n\n\
         A Gradio demo of [{model}](https://huggingface.co/{model}): type a prompt, get {kind}. \
         See the model card for its licence and intended use.\n",
        title = title(&model),
    );
    Completion {
        text: Some("I'll write the app, its requirements, the README and the smoke test.".into()),
        calls: vec![
            write_call("app.py", &app),
            write_call("requirements.txt", requirements),
            write_call("README.md", &readme),
            write_call("smoke_test.json", &manifest.to_string()),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(model: &str, tag: &str) -> Value {
        json!({"model": "m", "stream": true, "messages": [
            {"role": "system", "content": "You are a coding agent."},
            {"role": "user", "content": [{"type": "text", "text": format!(
                "Build a Gradio app for the model `{model}`, to be deployed as the private Space `u/s`.\n\nFacts:\n- Task (pipeline tag): {tag}\n- Library: x\n")}]},
        ]})
    }

    fn written(c: &Completion, path: &str) -> String {
        c.calls
            .iter()
            .find(|(n, a)| n == "write" && a["path"] == path)
            .map(|(_, a)| a["content"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{path} not written: {c:?}"))
    }

    #[test]
    fn an_image_model_gets_a_diffusers_app_naming_it() {
        let c = demo_reply(&task("Tongyi-MAI/Z-Image-Turbo", "text-to-image"));
        let app = written(&c, "app.py");
        assert!(app.contains("MODEL_ID = \"Tongyi-MAI/Z-Image-Turbo\""));
        assert!(app.contains("from diffusers import DiffusionPipeline"));
        assert!(app.contains("api_name=\"generate\""));
        assert!(!app.contains("{{"));
        assert_eq!(written(&c, "requirements.txt"), "diffusers\ntorch\n");
        let manifest: Value = serde_json::from_str(&written(&c, "smoke_test.json")).unwrap();
        assert_eq!(manifest["expected_output"], "image");
        assert!(written(&c, "README.md").starts_with("---\ntitle: Z-Image-Turbo demo\n"));
    }

    #[test]
    fn a_text_model_gets_a_transformers_app() {
        let c = demo_reply(&task("openai-community/gpt2", "text-generation"));
        assert!(written(&c, "app.py").contains("pipeline(\"text-generation\", model=MODEL_ID"));
        // As the worker's task says: the token comes from the Space's secret.
        assert!(written(&c, "app.py").contains("token=os.environ.get(\"HF_TOKEN\")"));
        let manifest: Value = serde_json::from_str(&written(&c, "smoke_test.json")).unwrap();
        assert_eq!(manifest["expected_output"], "text");
    }

    #[test]
    fn other_tasks_are_declined_with_blockers_not_a_placeholder() {
        let c = demo_reply(&task("sim-fixtures/model-without-card", "unknown"));
        assert_eq!(c.calls.len(), 1);
        assert!(written(&c, "BLOCKERS.md").contains("SF_INFERENCE_URL"));
    }

    #[test]
    fn after_a_tool_result_the_turn_ends_with_a_summary() {
        let mut req = task("openai-community/gpt2", "text-generation");
        req["messages"]
            .as_array_mut()
            .unwrap()
            .push(json!({"role": "tool", "tool_call_id": "call_0", "content": "ok"}));
        let c = demo_reply(&req);
        assert!(c.calls.is_empty());
        assert!(c.text.unwrap().contains("openai-community/gpt2"));
    }

    fn repair_task(model: &str, tag: &str, space: &str, evidence: &str) -> Value {
        json!({"model": "m", "messages": [
            {"role": "user", "content": format!(
                "The app for the model `{model}` in the private Space `{space}`, built from the files in this directory, starts, but the wrapper's live check failed (repair round 1 of 1).\n{evidence}\n\nFacts about the model:\n- Task (pipeline tag): {tag}\n")},
        ]})
    }

    /// A mistake is made in the first app for its Space only, and repaired only when the repair
    /// task shows its evidence.
    #[test]
    fn a_mistake_on_purpose_is_repaired_only_with_its_evidence() {
        let space = "u/s";
        for (model, tag, kind, broken, fixed) in [
            (
                "Tongyi-MAI/Z-Image-Turbo",
                "text-to-image",
                "images",
                ".image\n",
                ".images[0]",
            ),
            (
                "openai-community/gpt2",
                "text-generation",
                "text",
                "[0][\"text\"]",
                "[0][\"generated_text\"]",
            ),
        ] {
            let mistakes = [(space.to_string(), DemoMistake::RaisesOnCall)]
                .into_iter()
                .collect();
            let first = written(&demo_reply_with(&task(model, tag), &mistakes), "app.py");
            assert!(first.contains(broken) && !first.contains(fixed), "{first}");
            // Another Space gets the correct app.
            let other: std::collections::BTreeMap<_, _> =
                [("u/other".to_string(), DemoMistake::RaisesOnCall)]
                    .into_iter()
                    .collect();
            assert!(written(&demo_reply_with(&task(model, tag), &other), "app.py").contains(fixed));
            let evidence = DemoMistake::RaisesOnCall.evidence(kind);
            let blind = demo_reply_with(
                &repair_task(
                    model,
                    tag,
                    space,
                    "The call failed: the app raised an error.",
                ),
                &mistakes,
            );
            assert!(
                written(&blind, "app.py").contains(broken),
                "no evidence, no fix"
            );
            let seen = demo_reply_with(
                &repair_task(model, tag, space, &format!("run log: {evidence}")),
                &mistakes,
            );
            assert!(written(&seen, "app.py").contains(fixed));
        }
    }

    #[test]
    fn mistakes_by_name() {
        assert_eq!(
            DemoMistake::from_wire("raises-on-call"),
            Some(DemoMistake::RaisesOnCall)
        );
        assert_eq!(
            DemoMistake::from_wire("no-health-route"),
            Some(DemoMistake::NoHealthRoute)
        );
        assert_eq!(DemoMistake::from_wire("typo"), None);
    }

    #[test]
    fn an_app_without_a_health_route_still_generates() {
        let mistakes = [("u/s".to_string(), DemoMistake::NoHealthRoute)]
            .into_iter()
            .collect();
        let model = "Tongyi-MAI/Z-Image-Turbo";
        let app = written(
            &demo_reply_with(&task(model, "text-to-image"), &mistakes),
            "app.py",
        );
        assert!(
            !app.contains("health") && !app.contains("Route") && app.contains("demo.launch()\n"),
            "{app}"
        );
        assert!(app.contains(".images[0]") && app.contains("api_name=\"generate\""));
        let repaired = demo_reply_with(
            &repair_task(
                model,
                "text-to-image",
                "u/s",
                "Failed live check: Health (`/health`): HTTP 404 Not Found.",
            ),
            &mistakes,
        );
        assert!(written(&repaired, "app.py").contains("Route(\"/health\", health)"));
    }

    #[test]
    fn a_model_id_that_is_not_one_is_never_pasted_into_code() {
        let c = demo_reply(&task("evil\"; import os; x=\"/y", "text-to-image"));
        assert!(c.calls.is_empty());
    }

    #[test]
    fn the_stream_carries_the_arguments_whole_and_ends_with_done() {
        let c = demo_reply(&task("openai-community/gpt2", "text-generation"));
        let stream = sse("m", &c);
        assert!(stream.ends_with("data: [DONE]\n\n"));
        let mut args = vec![String::new(); c.calls.len()];
        for line in stream.lines().filter_map(|l| l.strip_prefix("data: ")) {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            for call in v["choices"][0]["delta"]["tool_calls"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let i = call["index"].as_u64().unwrap() as usize;
                args[i].push_str(call["function"]["arguments"].as_str().unwrap_or(""));
            }
        }
        for (i, (_, expected)) in c.calls.iter().enumerate() {
            assert_eq!(&serde_json::from_str::<Value>(&args[i]).unwrap(), expected);
        }
        assert!(stream.contains("\"finish_reason\":\"tool_calls\""));
    }
}
