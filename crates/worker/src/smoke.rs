//! A live generation on a Space: the live checks (`/config`, `/gradio_api/info`, `/health`),
//! then [`live_generation`] — a first and a warm call to an endpoint, each output classified and
//! the first one stored in `artifacts/`, the ZeroGPU advice, the state's `validation` figures and
//! the result file. The one routine of `validate` and of the build's smoke test.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sf_core::record::{ObservedOutput, TESTS_DIR, ValidationRecord};
use sf_core::rules::CallOutcome;

use crate::gradio::{ApiEndpoint, CallResult, SpaceApp, call_data, endpoints};
use crate::output::{OutputValue, classify_file, read_output};
use crate::record::Recorder;
use crate::report::Check;

/// Why a call failed when the app raised an error Gradio does not show (any exception but
/// `gr.Error`, unless the app sets `show_error`): the Space's run log has the traceback.
pub const SILENT_ERROR: &str = "the app raised an error without a message (see the Space's logs)";

/// The name of the `/health` check in the report.
pub const HEALTH_CHECK: &str = "Health (`/health`)";

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

/// `/config`, `/gradio_api/info` and `/health`, each recorded as a check and an event; the API
/// list is kept as `tests/api_schema.json`.
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
            rec.write_json(&format!("{TESTS_DIR}/api_schema.json"), &info);
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
            checks.push(Check::pass(HEALTH_CHECK, format!("HTTP {status}")));
            true
        }
        Ok((status, body)) => {
            let body: String = body.chars().take(120).collect();
            checks.push(Check::fail(
                HEALTH_CHECK,
                format!("HTTP {status} {body}").trim().to_string(),
            ));
            false
        }
        Err(e) => {
            checks.push(Check::fail(HEALTH_CHECK, e.to_string()));
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

impl Measured {
    /// A call that failed after `seconds` for `reason`, with nothing to keep.
    fn failed(seconds: f64, reason: String) -> Measured {
        Measured {
            seconds,
            outcome: CallOutcome::Failed { reason },
            artifact: None,
            outputs: Value::Null,
        }
    }
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
        Err(reason) => return Measured::failed(0.0, reason),
    };
    let start = Instant::now();
    let result = app.call(&spec.api_name, data, timeout).await;
    let seconds = start.elapsed().as_secs_f64();
    let outputs = match result {
        Ok(CallResult::Complete(outputs)) => outputs,
        Ok(CallResult::Error(message)) => {
            let reason = match message {
                Some(m) => format!("the app raised an error: {m}"),
                None => SILENT_ERROR.into(),
            };
            return Measured::failed(seconds, reason);
        }
        Err(e) => {
            return Measured::failed(seconds, e.to_string().trim_end_matches('.').to_string());
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
        let reason = format!(
            "the output file could not be downloaded: {}",
            notes.join("; ").trim_end_matches('.')
        );
        return Measured {
            outputs: raw,
            ..Measured::failed(seconds, reason)
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

/// What a live generation is for: the build's smoke test or a validation. It names the first
/// call's check and event, the stored output and the result file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The build's smoke test: `Smoke test`, `artifacts/smoke-output.*`,
    /// `tests/smoke_test_result.json`.
    SmokeTest,
    /// `validate`: `First call`, `artifacts/output.*`, `tests/validation_result.json`.
    Validation,
}

impl Purpose {
    fn first_call(self) -> &'static str {
        match self {
            Purpose::SmokeTest => "Smoke test",
            Purpose::Validation => "First call",
        }
    }

    fn artifact_stem(self) -> &'static str {
        match self {
            Purpose::SmokeTest => "smoke-output",
            Purpose::Validation => "output",
        }
    }

    /// The result file, relative to the run folder.
    pub fn result_file(self) -> String {
        let name = match self {
            Purpose::SmokeTest => "smoke_test_result.json",
            Purpose::Validation => "validation_result.json",
        };
        format!("{TESTS_DIR}/{name}")
    }
}

/// What a live generation found.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    pub first: Measured,
    /// The warm call, made when the first call returned.
    pub warm: Option<Measured>,
    /// The recommended `@spaces.GPU(duration=…)`, whenever the first call returned.
    pub advice: Option<u32>,
    /// The figures as recorded in the state's `validation`.
    pub record: ValidationRecord,
    /// The checks of the two calls, for the report.
    pub checks: Vec<Check>,
}

/// One live generation, the same for a build's smoke test and a validation: a first call (its
/// output stored in `artifacts/`), a warm call when the first returned, the ZeroGPU advice from
/// their times, the figures in the state's `validation`, and the result file in `tests/`.
pub async fn live_generation(
    app: &SpaceApp,
    ep: &ApiEndpoint,
    spec: &CallSpec,
    timeout: Duration,
    rec: &Recorder,
    purpose: Purpose,
) -> Generation {
    let label = purpose.first_call();
    let first = measured_call(app, ep, spec, timeout, rec, Some(purpose.artifact_stem())).await;
    rec.info(&format!("{label} {}.", describe(&first)));
    let mut checks = vec![match &first.outcome {
        CallOutcome::Returned { output } if spec.expected.accepts(*output) => {
            Check::pass(label, describe(&first))
        }
        CallOutcome::Returned { .. } => Check::fail(
            label,
            format!("{}, but {} was expected", describe(&first), spec.expected),
        ),
        CallOutcome::Failed { .. } => Check::fail(label, describe(&first)),
    }];
    let mut record = ValidationRecord::new(&spec.api_name, spec.expected);
    let mut warm = None;
    if let CallOutcome::Returned { output } = first.outcome {
        rec.info(&format!("Calling {} again (warm call)", spec.api_name));
        let w = measured_call(app, ep, spec, timeout, rec, None).await;
        rec.info(&format!("Warm call {}.", describe(&w)));
        let warm_s = match w.outcome {
            CallOutcome::Returned { .. } => {
                checks.push(Check::pass("Warm call", describe(&w)));
                Some(w.seconds)
            }
            CallOutcome::Failed { .. } => {
                checks.push(Check::fail("Warm call", describe(&w)));
                None
            }
        };
        record = record.with_calls(output, first.seconds, warm_s, first.artifact.clone());
        warm = Some(w);
    }
    let advice = record.recommended_zerogpu_duration_seconds;
    let kept = record.clone();
    rec.update(|s| s.validation = Some(kept));
    rec.write_json(
        &purpose.result_file(),
        &json!({
            "api_name": spec.api_name,
            "args": spec.args,
            "kwargs": spec.kwargs,
            "expected_output": spec.expected,
            "first_call": {"seconds": first.seconds, "outcome": first.outcome, "outputs": first.outputs, "artifact": first.artifact},
            "warm_call": warm.as_ref().map(|w| json!({"seconds": w.seconds, "outcome": w.outcome, "outputs": w.outputs})),
            "recommended_zerogpu_duration_seconds": advice,
        }),
    );
    Generation {
        first,
        warm,
        advice,
        record,
        checks,
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
