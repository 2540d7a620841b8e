//! A scripted OpenAI-compatible model server on loopback, for driving the real `pi` CLI.
//!
//! `POST /v1/chat/completions` answers each request with the next [`Reply`] of the script,
//! streamed as `chat.completion.chunk` server-sent events the way providers do (tool-call
//! arguments split into fragments, a usage chunk, `data: [DONE]`). When the script is used up
//! it answers with a final "Done." text. Every request body and `Authorization` header is kept
//! for assertions.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use sf_hubsim::agent::Completion;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Tool calls (`name`, arguments), after an optional text; finish reason `tool_calls`.
    Tools {
        text: Option<String>,
        calls: Vec<(String, Value)>,
    },
    /// A final assistant text; finish reason `stop`.
    Text(String),
    /// An HTTP error status.
    Fail(u16),
    /// Never answers (the request hangs until the client gives up).
    Hang,
}

/// The text of every message of `role` (`user`, `tool` …) in a chat-completions request: a
/// string content, or its text parts joined.
pub fn message_texts(request: &Value, role: &str) -> Vec<String> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == role)
        .map(|m| match &m["content"] {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            other => other.to_string(),
        })
        .collect()
}

/// `write(path, content)`.
pub use sf_hubsim::agent::write_call as write;

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    requests: Vec<Value>,
    authorizations: Vec<String>,
}

/// The running server (stopped when dropped).
pub struct ScriptedLlm {
    /// Base URL for OpenAI clients, ending in `/v1`.
    pub base_url: String,
    script: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedLlm {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl ScriptedLlm {
    pub async fn start(replies: Vec<Reply>) -> ScriptedLlm {
        let script = Arc::new(Mutex::new(Script {
            replies: replies.into(),
            ..Script::default()
        }));
        let app = Router::new()
            .route("/v1/chat/completions", post(completions))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ScriptedLlm {
            base_url: format!("http://{addr}/v1"),
            script,
            server,
        }
    }

    /// The request bodies received, in order.
    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().unwrap().requests.clone()
    }

    /// The `Authorization` headers received, in order.
    pub fn authorizations(&self) -> Vec<String> {
        self.script.lock().unwrap().authorizations.clone()
    }

    /// Replies not used yet.
    pub fn remaining(&self) -> usize {
        self.script.lock().unwrap().replies.len()
    }
}

/// The stream of a scripted answer, in the format of the simulator's model endpoint.
fn stream(model: &str, reply: &Reply) -> String {
    let completion = match reply {
        Reply::Tools { text, calls } => Completion {
            text: text.clone(),
            calls: calls.clone(),
        },
        Reply::Text(t) => Completion::text(t.clone()),
        Reply::Fail(_) | Reply::Hang => unreachable!(),
    };
    sf_hubsim::agent::sse(model, &completion)
}

async fn completions(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("scripted")
        .to_string();
    let reply = {
        let mut s = script.lock().unwrap();
        s.requests.push(request);
        s.authorizations.push(
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        );
        s.replies
            .pop_front()
            .unwrap_or_else(|| Reply::Text("Done.".to_string()))
    };
    match reply {
        Reply::Fail(status) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(json!({"error": {"message": "scripted failure", "type": "server_error"}})),
        )
            .into_response(),
        Reply::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        reply => Response::builder()
            .header("content-type", "text/event-stream")
            .body(Body::from(stream(&model, &reply)))
            .unwrap(),
    }
}
