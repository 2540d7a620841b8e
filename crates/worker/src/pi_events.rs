//! Reading Pi's `--mode json` event stream: which lines to keep in the trace, the token usage,
//! the files it wrote, and whether the run succeeded. Pi exits 0 in json mode even when every
//! model call failed, so success is judged from the events: the last assistant message ended
//! with `stopReason: "stop"`, no automatic retry gave up, and the expected files exist.

use serde_json::Value;

/// One tool call of the agent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ToolCall {
    pub tool: String,
    /// The `path` argument of file tools, or the `command` of bash (shortened).
    pub target: Option<String>,
    pub failed: bool,
}

/// What an agent round did, summed from its events.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AgentSummary {
    pub assistant_messages: u32,
    pub last_stop_reason: Option<String>,
    pub last_error: Option<String>,
    /// `finalError` of an `auto_retry_end` with `success: false`.
    pub gave_up_retrying: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub total_tokens: u64,
    pub cost_usd: f64,
    pub tool_calls: Vec<ToolCall>,
    /// The last assistant text (its closing words).
    pub last_text: String,
    pub lines: u64,
    #[serde(skip)]
    pending: Vec<(String, ToolCall)>,
}

/// Whether a line belongs in the kept trace: everything but `message_update` (each of which
/// repeats the whole partial message).
pub fn keep_in_trace(event: &Value) -> bool {
    event.get("type").and_then(Value::as_str) != Some("message_update")
}

fn u64_of(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

impl AgentSummary {
    /// Takes one event into account.
    pub fn observe(&mut self, event: &Value) {
        self.lines += 1;
        match event.get("type").and_then(Value::as_str) {
            Some("message_end") => {
                let Some(msg) = event.get("message") else {
                    return;
                };
                if msg.get("role").and_then(Value::as_str) != Some("assistant") {
                    return;
                }
                self.assistant_messages += 1;
                self.last_stop_reason = msg
                    .get("stopReason")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                self.last_error = msg
                    .get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if let Some(u) = msg.get("usage") {
                    self.input_tokens += u64_of(u, "input");
                    self.output_tokens += u64_of(u, "output");
                    self.total_tokens += u64_of(u, "totalTokens");
                    self.cost_usd += u
                        .get("cost")
                        .and_then(|c| c.get("total"))
                        .and_then(Value::as_f64)
                        .unwrap_or(0.0);
                }
                let text: Vec<&str> = msg
                    .get("content")
                    .and_then(Value::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter(|i| i.get("type").and_then(Value::as_str) == Some("text"))
                            .filter_map(|i| i.get("text").and_then(Value::as_str))
                            .collect()
                    })
                    .unwrap_or_default();
                if !text.is_empty() {
                    self.last_text = text.join("\n");
                }
            }
            Some("auto_retry_end")
                if event.get("success").and_then(Value::as_bool) == Some(false) =>
            {
                self.gave_up_retrying = Some(
                    event
                        .get("finalError")
                        .and_then(Value::as_str)
                        .unwrap_or("the model provider kept failing")
                        .to_string(),
                );
            }
            Some("tool_execution_start") => {
                let id = event
                    .get("toolCallId")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let tool = event
                    .get("toolName")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                let args = event.get("args");
                let target = args
                    .and_then(|a| a.get("path"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| {
                        args.and_then(|a| a.get("command"))
                            .and_then(Value::as_str)
                            .map(|c| c.chars().take(120).collect())
                    });
                self.pending.push((
                    id,
                    ToolCall {
                        tool,
                        target,
                        failed: false,
                    },
                ));
            }
            Some("tool_execution_end") => {
                let id = event
                    .get("toolCallId")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let failed = event
                    .get("isError")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if let Some(pos) = self.pending.iter().position(|(p, _)| p == id) {
                    let (_, mut call) = self.pending.remove(pos);
                    call.failed = failed;
                    self.tool_calls.push(call);
                }
            }
            _ => {}
        }
    }

    /// The verdict on the round: `Err` with a sentence when it did not succeed.
    pub fn judge(&self, missing_files: &[String]) -> Result<(), String> {
        if let Some(e) = &self.gave_up_retrying {
            return Err(format!(
                "The coding model kept failing and the agent gave up: {e}"
            ));
        }
        match self.last_stop_reason.as_deref() {
            None => {
                return Err("The coding agent produced no answer at all.".to_string());
            }
            Some("stop") => {}
            Some(other) => {
                let detail = self
                    .last_error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(format!(
                    "The coding agent's last message ended with `{other}`{detail}."
                ));
            }
        }
        if !missing_files.is_empty() {
            return Err(format!(
                "The coding agent finished without writing {}.",
                missing_files.join(", ")
            ));
        }
        Ok(())
    }

    /// Files the agent wrote or edited (successful `write`/`edit` calls).
    pub fn written_files(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .tool_calls
            .iter()
            .filter(|c| !c.failed && matches!(c.tool.as_str(), "write" | "edit"))
            .filter_map(|c| c.target.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assistant(stop: &str, usage: (u64, u64), text: &str, error: Option<&str>) -> Value {
        let mut m = json!({"type": "message_end", "message": {"role": "assistant", "stopReason": stop,
            "content": [{"type": "text", "text": text}],
            "usage": {"input": usage.0, "output": usage.1, "totalTokens": usage.0 + usage.1, "cost": {"total": 0.001}}}});
        if let Some(e) = error {
            m["message"]["errorMessage"] = json!(e);
        }
        m
    }

    #[test]
    fn a_successful_round() {
        let mut s = AgentSummary::default();
        for e in [
            json!({"type": "session", "version": 3}),
            json!({"type": "message_end", "message": {"role": "user", "content": []}}),
            json!({"type": "message_update", "assistantMessageEvent": {"type": "text_delta"}}),
            assistant("toolUse", (623, 130), "I'll write app.py now.", None),
            json!({"type": "tool_execution_start", "toolCallId": "c1", "toolName": "write", "args": {"path": "app.py", "content": "x"}}),
            json!({"type": "tool_execution_end", "toolCallId": "c1", "toolName": "write", "isError": false}),
            json!({"type": "tool_execution_start", "toolCallId": "c2", "toolName": "bash", "args": {"command": "python -m py_compile app.py"}}),
            json!({"type": "tool_execution_end", "toolCallId": "c2", "toolName": "bash", "isError": true}),
            assistant("stop", (835, 17), "Done.", None),
            json!({"type": "agent_end"}),
        ] {
            s.observe(&e);
        }
        assert_eq!(s.assistant_messages, 2);
        assert_eq!(
            (s.input_tokens, s.output_tokens, s.total_tokens),
            (1458, 147, 1605)
        );
        assert!((s.cost_usd - 0.002).abs() < 1e-9);
        assert_eq!(s.last_text, "Done.");
        assert_eq!(s.written_files(), vec!["app.py"]);
        assert!(s.tool_calls[1].failed);
        assert_eq!(s.judge(&[]), Ok(()));
        assert!(
            s.judge(&["README.md".into()])
                .unwrap_err()
                .contains("README.md")
        );
        assert!(!keep_in_trace(&json!({"type": "message_update"})));
        assert!(keep_in_trace(&json!({"type": "message_end"})));
    }

    #[test]
    fn failures_are_read_from_events() {
        let mut s = AgentSummary::default();
        s.observe(&assistant(
            "error",
            (0, 0),
            "",
            Some("500 Internal Server Error"),
        ));
        let e = s.judge(&[]).unwrap_err();
        assert!(
            e.contains("`error`") && e.contains("500 Internal Server Error"),
            "{e}"
        );
        s.observe(&json!({"type": "auto_retry_end", "success": false, "attempt": 3, "finalError": "500 status code (no body)"}));
        assert!(
            s.judge(&[])
                .unwrap_err()
                .contains("gave up: 500 status code")
        );
        assert!(
            AgentSummary::default()
                .judge(&[])
                .unwrap_err()
                .contains("no answer")
        );
        let mut len = AgentSummary::default();
        len.observe(&assistant("length", (1, 1), "", None));
        assert!(len.judge(&[]).unwrap_err().contains("`length`"));
    }
}
