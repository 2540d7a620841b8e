//! A live generation on a Space: the live checks (`/config`, `/gradio_api/info`, `/health`),
//! then calls to an endpoint (a first and a warm one), each output classified and the first one
//! stored in `artifacts/`. Shared by `validate` and the build's smoke test.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sf_core::record::ObservedOutput;
use sf_core::rules::CallOutcome;

use crate::gradio::{ApiEndpoint, CallResult, SpaceApp, call_data, endpoints};
use crate::output::{OutputValue, classify_file, read_output};
use crate::record::Recorder;
use crate::report::Check;

/// Largest output file downloaded.
pub const MAX_OUTPUT_BYTES: usize = 200 * 1024 * 1024;

pub use sf_core::smoke_test::CallSpec;

/// The live checks of a running Space.
#[derive(Debug, Clone)]
pub struct LiveChecks {
    pub config_ok: bool,
    pub info: Option<Value>,
    pub health_ok: bool,
    pub checks: Vec<Check>,
}

impl LiveChecks {
    pub fn endpoints(&self) -> Vec<ApiEndpoint> {
        self.info.as_ref().map(endpoints).unwrap_or_default()
    }
}

/// `/config`, `/gradio_api/info` and `/health`, each recorded as a check and an event.
pub async fn live_checks(app: &SpaceApp, rec: &Recorder) -> LiveChecks {
    let mut checks = Vec::new();
    let config = app.config().await;
    let config_ok = match &config {
        Ok(c) => {
            let version = c
                .get("version")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            checks.push(Check::pass(
                "Gradio config (`/config`)",
                format!("Gradio {version}"),
            ));
            true
        }
        Err(e) => {
            checks.push(Check::fail("Gradio config (`/config`)", e.to_string()));
            false
        }
    };
    let info = match app.api_info().await {
        Ok(info) => {
            let names: Vec<String> = endpoints(&info).into_iter().map(|e| e.name).collect();
            checks.push(Check::pass(
                "API list (`/gradio_api/info`)",
                if names.is_empty() {
                    "no named endpoints".to_string()
                } else {
                    names.join(", ")
                },
            ));
            Some(info)
        }
        Err(e) => {
            checks.push(Check::fail("API list (`/gradio_api/info`)", e.to_string()));
            None
        }
    };
    let health_ok = match app.health().await {
        Ok((status, _)) if (200..300).contains(&status) => {
            checks.push(Check::pass("Health (`/health`)", format!("HTTP {status}")));
            true
        }
        Ok((status, body)) => {
            let body: String = body.chars().take(120).collect();
            checks.push(Check::fail(
                "Health (`/health`)",
                format!("HTTP {status} {body}").trim().to_string(),
            ));
            false
        }
        Err(e) => {
            checks.push(Check::fail("Health (`/health`)", e.to_string()));
            false
        }
    };
    rec.event(
        if config_ok && info.is_some() {
            sf_core::Level::Info
        } else {
            sf_core::Level::Warn
        },
        &format!(
            "Live checks: config {}, API list {}, health {}.",
            ok_word(config_ok),
            ok_word(info.is_some()),
            ok_word(health_ok)
        ),
        json!({"config": config_ok, "api_info": info.is_some(), "health": health_ok}),
    );
    LiveChecks {
        config_ok,
        info,
        health_ok,
        checks,
    }
}

fn ok_word(ok: bool) -> &'static str {
    if ok { "ok" } else { "failed" }
}

/// Bytes to store and their file extension.
type Stored = (Vec<u8>, &'static str);

/// One measured call.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub seconds: f64,
    pub outcome: CallOutcome,
    /// Where the output was stored, relative to the run folder.
    pub artifact: Option<String>,
    /// The raw outputs (for `tests/`).
    pub outputs: Value,
}

/// The endpoint named `api_name`, if the Space lists it.
pub fn find_endpoint<'a>(eps: &'a [ApiEndpoint], api_name: &str) -> Option<&'a ApiEndpoint> {
    let want = format!("/{}", api_name.trim_start_matches('/'));
    eps.iter().find(|e| e.name == want)
}

/// Calls `spec` on `app` once, classifies the output, and stores it as
/// `artifacts/<stem>.<ext>` when `stem` is given.
pub async fn measured_call(
    app: &SpaceApp,
    ep: &ApiEndpoint,
    spec: &CallSpec,
    timeout: Duration,
    rec: &Recorder,
    stem: Option<&str>,
) -> Measured {
    let data = match call_data(ep, &spec.args, &spec.kwargs) {
        Ok(d) => d,
        Err(reason) => {
            return Measured {
                seconds: 0.0,
                outcome: CallOutcome::Failed { reason },
                artifact: None,
                outputs: Value::Null,
            };
        }
    };
    let start = Instant::now();
    let result = app.call(&spec.api_name, data, timeout).await;
    let seconds = start.elapsed().as_secs_f64();
    let outputs = match result {
        Ok(CallResult::Complete(outputs)) => outputs,
        Ok(CallResult::Error(message)) => {
            return Measured {
                seconds,
                outcome: CallOutcome::Failed {
                    reason: match message {
                        Some(m) => format!("the app raised an error: {m}"),
                        None => "the app raised an error without a message (see the Space's logs)"
                            .to_string(),
                    },
                },
                artifact: None,
                outputs: Value::Null,
            };
        }
        Err(e) => {
            return Measured {
                seconds,
                outcome: CallOutcome::Failed {
                    reason: e.to_string().trim_end_matches('.').to_string(),
                },
                artifact: None,
                outputs: Value::Null,
            };
        }
    };
    let raw = Value::Array(outputs.clone());
    let mut chosen: Option<(ObservedOutput, Option<Stored>)> = None;
    let mut notes = Vec::new();
    for value in outputs.iter().take(4) {
        let (observed, stored) = match read_output(value) {
            OutputValue::Empty => (ObservedOutput::Empty, None),
            OutputValue::Text(t) => (ObservedOutput::Text, Some((t.into_bytes(), "txt"))),
            OutputValue::Json(v) => (
                ObservedOutput::Json,
                Some((serde_json::to_vec_pretty(&v).unwrap_or_default(), "json")),
            ),
            OutputValue::File {
                url,
                path,
                mime_type,
                ..
            } => match app
                .download(url.as_deref(), path.as_deref(), MAX_OUTPUT_BYTES, timeout)
                .await
            {
                Ok(d) => {
                    let ct = d.content_type.clone().or(mime_type);
                    let kind = classify_file(&d.bytes, ct.as_deref());
                    (kind.output, Some((d.bytes, kind.extension)))
                }
                Err(e) => {
                    notes.push(e.to_string());
                    (ObservedOutput::File, None)
                }
            },
        };
        let better = match &chosen {
            None => true,
            Some((prev, _)) => !spec.expected.accepts(*prev) && spec.expected.accepts(observed),
        };
        if better {
            chosen = Some((observed, stored));
        }
    }
    let Some((observed, stored)) = chosen else {
        return Measured {
            seconds,
            outcome: CallOutcome::Returned {
                output: ObservedOutput::Empty,
            },
            artifact: None,
            outputs: raw,
        };
    };
    if observed == ObservedOutput::File && stored.is_none() && !notes.is_empty() {
        return Measured {
            seconds,
            outcome: CallOutcome::Failed {
                reason: format!(
                    "the output file could not be downloaded: {}",
                    notes.join("; ").trim_end_matches('.')
                ),
            },
            artifact: None,
            outputs: raw,
        };
    }
    let artifact = match (stem, stored) {
        (Some(stem), Some((bytes, ext))) => {
            let rel = format!("{}/{stem}.{ext}", sf_core::record::ARTIFACTS_DIR);
            rec.write_bytes(&rel, &bytes);
            Some(rel)
        }
        _ => None,
    };
    Measured {
        seconds,
        outcome: CallOutcome::Returned { output: observed },
        artifact,
        outputs: raw,
    }
}

/// A sentence for a call's outcome.
pub fn describe(m: &Measured) -> String {
    match &m.outcome {
        CallOutcome::Returned { output } => {
            format!("returned {output} output in {:.2} s", m.seconds)
        }
        CallOutcome::Failed { reason } => format!("failed after {:.2} s: {reason}", m.seconds),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradio::ApiParam;

    #[test]
    fn finds_endpoints_with_or_without_slash() {
        let eps = vec![ApiEndpoint {
            name: "/generate".into(),
            parameters: vec![ApiParam {
                name: Some("prompt".into()),
                has_default: false,
                default: Value::Null,
                component: None,
            }],
            returns: vec![],
        }];
        assert!(find_endpoint(&eps, "/generate").is_some());
        assert!(find_endpoint(&eps, "generate").is_some());
        assert!(find_endpoint(&eps, "/gen").is_none());
    }
}
