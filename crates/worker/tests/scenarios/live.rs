//! The live checks and calls of `smoke` against a real Gradio 6 app started here.

use serde_json::{Map, json};
use sf_core::record::{ObservedOutput, OutputType, RunState};
use sf_core::rules::CallOutcome;
use sf_core::{RunId, RunKind};
use sf_worker::gradio::SpaceApp;
use sf_worker::record::Recorder;
use sf_worker::smoke::{self, CallSpec};
use std::time::Duration;

use crate::support::{GradioProcess, app_source, assert_nowhere};

const TOKEN: &str = "hf_LiveCheckPlantedToken0123456789XYZ";

fn spec(api: &str, args: serde_json::Value, expected: OutputType) -> CallSpec {
    CallSpec {
        api_name: api.to_string(),
        args: args.as_array().unwrap().clone(),
        kwargs: Map::new(),
        expected,
    }
}

#[tokio::test]
async fn live_checks_calls_outputs_and_the_token_header() {
    let tmp = tempfile::tempdir().unwrap();
    let gradio = GradioProcess::start(&tmp.path().join("space"), &app_source("image_app.py")).await;
    let run_dir = tmp.path().join("runs/validate-live");
    let state = RunState::new(
        RunId::parse("validate-live").unwrap(),
        RunKind::Validate,
        "t",
    );
    let rec = Recorder::start(&run_dir, state, Some(TOKEN))
        .unwrap()
        .quiet();
    let app = SpaceApp::new(&gradio.url, Some(TOKEN)).unwrap();

    let live = smoke::live_checks(&app, &rec).await;
    assert!(live.config_ok && live.health_ok, "{:?}", live.checks);
    let eps = live.endpoints();
    let generate = smoke::find_endpoint(&eps, "/generate").expect("the /generate endpoint");
    assert_eq!(generate.returns, vec!["Image"]);
    assert!(smoke::find_endpoint(&eps, "/nosuch").is_none());

    let timeout = Duration::from_secs(60);
    let image = smoke::measured_call(
        &app,
        generate,
        &spec("/generate", json!(["a red fox"]), OutputType::Image),
        timeout,
        &rec,
        Some("output"),
    )
    .await;
    assert_eq!(
        image.outcome,
        CallOutcome::Returned {
            output: ObservedOutput::Image
        },
        "{image:?}"
    );
    let artifact = image.artifact.clone().unwrap();
    assert!(artifact.starts_with("artifacts/output."), "{artifact}");
    let bytes = std::fs::read(run_dir.join(&artifact)).unwrap();
    assert_eq!(
        sf_worker::output::sniff(&bytes).unwrap().output,
        ObservedOutput::Image
    );
    assert!(image.seconds > 0.0);

    // Keyword arguments and defaults fill the other inputs.
    let mut kw = spec("/generate", json!([]), OutputType::Image);
    kw.kwargs.insert("prompt".into(), json!("kw prompt"));
    let by_kw = smoke::measured_call(&app, generate, &kw, timeout, &rec, None).await;
    assert_eq!(
        by_kw.outcome,
        CallOutcome::Returned {
            output: ObservedOutput::Image
        }
    );

    // The token reaches the Space's own origin as X-HF-Authorization.
    let describe = smoke::find_endpoint(&eps, "/describe").unwrap();
    let text = smoke::measured_call(
        &app,
        describe,
        &spec("/describe", json!(["hi"]), OutputType::Text),
        timeout,
        &rec,
        Some("describe"),
    )
    .await;
    assert_eq!(
        text.outcome,
        CallOutcome::Returned {
            output: ObservedOutput::Text
        }
    );
    assert_eq!(
        std::fs::read_to_string(run_dir.join("artifacts/describe.txt")).unwrap(),
        "hi|auth:yes"
    );

    // A gr.Error comes back with its message.
    let fail = smoke::find_endpoint(&eps, "/fail").unwrap();
    let failed = smoke::measured_call(
        &app,
        fail,
        &spec("/fail", json!(["x"]), OutputType::Text),
        timeout,
        &rec,
        None,
    )
    .await;
    match &failed.outcome {
        CallOutcome::Failed { reason } => assert!(reason.contains("boom: x"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // Missing inputs are refused before calling.
    let missing = smoke::measured_call(
        &app,
        generate,
        &spec("/generate", json!([]), OutputType::Image),
        timeout,
        &rec,
        None,
    )
    .await;
    assert!(
        matches!(missing.outcome, CallOutcome::Failed { ref reason } if reason.contains("prompt"))
    );

    // A call that takes longer than its limit is reported as such.
    let short = smoke::measured_call(
        &app,
        generate,
        &spec("/generate", json!(["slow"]), OutputType::Image),
        Duration::from_millis(1),
        &rec,
        None,
    )
    .await;
    assert!(
        matches!(short.outcome, CallOutcome::Failed { ref reason } if reason.contains("no result within")),
        "{short:?}"
    );

    rec.abort("end of test");
    assert_nowhere(&run_dir, TOKEN);
}
