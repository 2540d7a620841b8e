//! Build and Validate from the browser, the run view and the runs list, in a real Chromium
//! against the local Hub simulator.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub, build_state, event_line, generation_works, scenario, tiny_png};
use sf_hubsim::TEST_TOKEN;

const BUCKET: &str = "sf-tester/space-factory-runs";

#[tokio::test]
async fn build_launch_sends_the_exact_job_and_opens_the_run() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        let run_id = b.value("#run-id").await?;
        if !run_id.starts_with("build-") {
            return Err(format!("no run id was proposed: {run_id:?}"));
        }
        if b.value("#model").await? != "Tongyi-MAI/Z-Image-Turbo"
            || b.value("#pi-model").await? != "Qwen/Qwen3-Coder-Next"
        {
            return Err("the seed's defaults are not there".into());
        }
        // Both hardware selectors and the cost estimate are named and priced from one request
        // for each of the Hub's lists (Spaces, jobs).
        b.wait_for_text("1x Nvidia L40S — $1.80/h").await?;
        b.wait_for_text("Estimated cost").await?;
        for list in HARDWARE_LISTS {
            let requests = b.requests_to(list).await?;
            if requests != 1 {
                return Err(format!("{list} was requested {requests} times, not once"));
            }
        }
        b.fill("#target-space", "z-image-demo").await?;
        b.screenshot_at("#launch-build", "build-form").await;
        b.click("#launch-build").await?;
        b.wait_for_url(&format!("?run={run_id}")).await?;
        b.wait_for_text(&run_id).await?;

        let requests = hub.job_requests().await;
        if requests.len() != 1 {
            return Err(format!("expected one job creation, got {}", requests.len()));
        }
        let r = &requests[0];
        let body = &r["body"];
        let env = &body["environment"];
        let checks = [
            (r["namespace"] == "sf-tester", "namespace"),
            (body["dockerImage"] == "node:22-bookworm", "image"),
            (
                body["command"][0] == "sh" && body["command"][1] == "-c",
                "command",
            ),
            (
                body["command"][2]
                    .as_str()
                    .unwrap_or("")
                    .contains("exec \"$bin\" build"),
                "worker script",
            ),
            (body["flavor"] == "cpu-basic", "flavor"),
            (body["timeoutSeconds"] == 10800, "timeout"),
            (body["secrets"] == json!({"HF_TOKEN": TEST_TOKEN}), "secret"),
            (
                body["labels"] == json!({"space-factory": "build", "run-id": run_id}),
                "labels",
            ),
            (env["SF_RUN_ID"] == run_id.as_str(), "SF_RUN_ID"),
            (
                env["SF_MODEL_ID"] == "Tongyi-MAI/Z-Image-Turbo",
                "SF_MODEL_ID",
            ),
            (
                env["SF_TARGET_SPACE"] == "sf-tester/z-image-demo",
                "SF_TARGET_SPACE",
            ),
            (env["SF_PI_MODEL"] == "Qwen/Qwen3-Coder-Next", "SF_PI_MODEL"),
            (
                env["SF_IMPLEMENTATION_MODE"] == "full-inference-gated",
                "mode",
            ),
            (env["SF_PREFERRED_HARDWARE"] == "zero-a10g", "preferred"),
            (
                env["SF_ALLOW_FIXED_GPU_FALLBACK"] == "true",
                "fallback allowed",
            ),
            (env["SF_FALLBACK_HARDWARE"] == "l40sx1", "fallback"),
            (env["SF_HUB_URL"] == hub.url.as_str(), "hub url"),
            (env["SF_OUTPUT_DIR"] == "/output", "output dir"),
            (
                env["SF_WORKER_PATH"] == "/factory/worker/space-factory-worker",
                "worker path",
            ),
            (
                body["volumes"]
                    == json!([
                        {"type": "bucket", "source": BUCKET, "mountPath": "/output", "readOnly": false},
                        {"type": "space", "source": "sf-tester/space-factory", "mountPath": "/factory", "readOnly": true}
                    ]),
                "volumes",
            ),
        ];
        for (ok, what) in checks {
            if !ok {
                return Err(format!("job body: wrong {what}: {body:#}"));
            }
        }
        // The token is in the secret and nowhere else.
        if body.to_string().matches(TEST_TOKEN).count() != 1 {
            return Err("the token appears outside the job's secrets".into());
        }
        // The page moved to the run view; the launch result is there, redacted.
        b.wait_for_text("Launch result").await?;
        if b.html().await.contains(TEST_TOKEN) || b.url().await.contains(TEST_TOKEN) {
            return Err("the token reached the page or the address".into());
        }
        b.screenshot("run-after-launch").await;
        Ok(())
    });
}

/// The Hub's two hardware lists: Space hardware (the selectors) and job hardware (prices).
const HARDWARE_LISTS: [&str; 2] = ["/api/jobs/hardware", "/api/spaces/hardware"];

/// Runs, Validate, Build, Validate, Build, Runs, Validate in one page load (the menu's links, no
/// reload): every page reads the hardware lists the app's root provides, so none reads a list
/// that another page's owner disposed (the app panicked "already disposed" when Validate did),
/// each list is requested once per page load, and none before a page shows it.
#[tokio::test]
async fn switching_pages_requests_each_hardware_list_once_per_page_load() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.js("performance.setResourceTimingBufferSize(100000); window.__sfSameLoad = true")
            .await?;
        // (menu link, the page's heading, the requests of [jobs, Spaces] lists after it)
        let steps = [
            ("?view=runs", "Runs", [0, 0]),
            ("?view=validate", "Validate an existing Space", [1, 0]),
            ("?view=build", "Build a Space from a model card", [1, 1]),
            ("?view=validate", "Validate an existing Space", [1, 1]),
            ("?view=build", "Build a Space from a model card", [1, 1]),
            ("?view=runs", "Runs", [1, 1]),
            ("?view=validate", "Validate an existing Space", [1, 1]),
        ];
        for (link, heading, expected) in steps {
            b.click(&format!("nav a[href='{link}']")).await?;
            let mut seen = [0, 0];
            for wait in 0..60 {
                let shown = b
                    .js("return document.querySelector('main h1')?.textContent")
                    .await?;
                for (n, list) in seen.iter_mut().zip(HARDWARE_LISTS) {
                    *n = b.requests_to(list).await?;
                }
                // Past the expected counts, a second request has half a second to show itself.
                if shown == json!(heading) && seen == expected && wait >= 5 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            if seen != expected {
                return Err(format!(
                    "after {link}: [jobs, Spaces] hardware lists requested {seen:?} times, not {expected:?}"
                ));
            }
        }
        // The menu switched the pages in place: one page load all along.
        let same = b.js("return window.__sfSameLoad === true").await?;
        if same != json!(true) {
            return Err("a menu link reloaded the page".into());
        }
        b.no_errors().await
    });
}

#[tokio::test]
async fn validate_launch_sends_the_exact_job() {
    let hub = Hub::with_factory().await;
    // Validate checks before launch that the Space exists.
    hub.create_space("sf-tester/z-image-demo", "gradio").await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=validate", hub.url)).await;
        b.wait_for_text("Validate an existing Space").await?;
        let run_id = b.value("#run-id").await?;
        b.fill(
            "#target-space",
            "https://huggingface.co/spaces/sf-tester/z-image-demo",
        )
        .await?;
        b.fill("#test-args", r#"["a red fox", 3]"#).await?;
        b.fill("#test-kwargs", r#"{"seed": 42}"#).await?;
        b.fill("#live-timeout", "600").await?;
        b.screenshot_at("#launch-validate", "validate-form").await;
        b.click("#launch-validate").await?;
        b.wait_for_url(&format!("?run={run_id}")).await?;
        let requests = hub.job_requests().await;
        let body = &requests.first().ok_or("no job was created")?["body"];
        let env = &body["environment"];
        let checks = [
            (
                body["labels"] == json!({"space-factory": "validate", "run-id": run_id}),
                "labels",
            ),
            (body["timeoutSeconds"] == 600 + 900, "timeout"),
            (
                body["command"][2]
                    .as_str()
                    .unwrap_or("")
                    .contains("exec \"$bin\" validate"),
                "worker script",
            ),
            (env["SF_TARGET_SPACE"] == "sf-tester/z-image-demo", "space"),
            (env["SF_API_NAME"] == "/generate", "api name"),
            (env["SF_EXPECTED_OUTPUT"] == "image", "expected output"),
            (env["SF_LIVE_TIMEOUT_S"] == "600", "live timeout"),
            (
                serde_json::from_str::<Value>(env["SF_TEST_ARGS_JSON"].as_str().unwrap_or("")).ok()
                    == Some(json!(["a red fox", 3])),
                "args",
            ),
            (
                serde_json::from_str::<Value>(env["SF_TEST_KWARGS_JSON"].as_str().unwrap_or(""))
                    .ok()
                    == Some(json!({"seed": 42})),
                "kwargs",
            ),
            (body["secrets"] == json!({"HF_TOKEN": TEST_TOKEN}), "secret"),
        ];
        for (ok, what) in checks {
            if !ok {
                return Err(format!("job body: wrong {what}: {body:#}"));
            }
        }
        Ok(())
    });
}

/// Each `(field, bad value, reason)`: the bad value makes the field's message mention the
/// reason and keeps `button` disabled; then the field's value is put back.
async fn each_refused(
    b: &Browser,
    button: &str,
    cases: &[(&str, &str, &str)],
) -> Result<(), String> {
    for &(field, bad, reason) in cases {
        let good = b.value(field).await?;
        b.fill(field, bad).await?;
        let error = b.find(&format!("[data-field='{}']", &field[1..])).await?;
        let text = error.text().await.map_err(|e| e.to_string())?;
        if !text.to_lowercase().contains(&reason.to_lowercase()) {
            return Err(format!(
                "{field} = {bad:?}: the message {text:?} does not mention {reason:?}"
            ));
        }
        if !b.disabled(button).await? {
            return Err(format!("{field} = {bad:?}: the launch button is enabled"));
        }
        b.fill(field, &good).await?;
    }
    Ok(())
}

#[tokio::test]
async fn each_invalid_field_blocks_the_launch_with_its_reason() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        b.fill("#target-space", "fine-name").await?;
        let cases = [
            (
                "#model",
                "https://huggingface.co/datasets/owner/data",
                "dataset",
            ),
            ("#target-space", "bad--name", "--"),
            ("#run-id", "bad id!", "allowed"),
            ("#pi-model", "", "coding model"),
        ];
        each_refused(&b, "#launch-build", &cases).await?;
        b.screenshot_at("#model", "build-invalid").await;

        b.goto(&format!("{}/?view=validate", hub.url)).await;
        b.fill("#target-space", "sf-tester/demo").await?;
        let cases = [
            ("#test-args", "[\"a\",", "line 1"),
            ("#test-kwargs", "[]", "object"),
            ("#live-timeout", "5", "60"),
            ("#target-space", "https://example.com/x", "hugging"),
        ];
        each_refused(&b, "#launch-validate", &cases).await?;
        b.screenshot_at("#test-args", "validate-invalid").await;
        if !hub.job_requests().await.is_empty() {
            return Err("an invalid form launched a job".into());
        }
        Ok(())
    });
}

#[tokio::test]
async fn a_run_id_that_already_has_a_job_is_not_launched_again_and_drafts_survive_reload() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.fill("#run-id", "build-20261128-120000-aaaaaa").await?;
        b.fill("#target-space", "first-demo").await?;
        // A reload keeps everything typed.
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        if b.value("#target-space").await? != "first-demo"
            || b.value("#run-id").await? != "build-20261128-120000-aaaaaa"
        {
            return Err("the draft was lost on reload".into());
        }
        b.click("#launch-build").await?;
        b.wait_for_url("?run=build-20261128-120000-aaaaaa").await?;

        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.fill("#run-id", "build-20261128-120000-aaaaaa").await?;
        b.click("#launch-build").await?;
        b.wait_for_text("already has a job").await?;
        b.find("[data-testid=launch-outcome] a[href='?run=build-20261128-120000-aaaaaa']")
            .await?;
        b.screenshot_at("[data-testid=launch-outcome]", "build-double-launch")
            .await;
        if hub.job_requests().await.len() != 1 {
            return Err("the same run was launched twice".into());
        }
        Ok(())
    });
}

#[tokio::test]
async fn run_view_follows_the_record_and_stops_at_the_end_also_from_a_bookmark() {
    let hub = Hub::with_factory().await;
    let run = "build-20261128-142501-a3f9c2";
    let running = build_state(
        run,
        "running",
        "agent",
        "The coding agent is writing the app.",
    );
    let events = event_line("starting", "Run started");
    hub.put_run(BUCKET, run, &running, vec![("events.jsonl", events.into())])
        .await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        b.wait_for_text("Run started").await?;
        b.wait_for_text("The coding agent is writing the app.")
            .await?;
        b.wait_for_text("Following the run").await?;
        b.screenshot("run-running").await;

        // Refreshes that find nothing new leave the page alone (no redraw).
        b.js("document.querySelector('[data-testid=run-status]').dataset.marker = 'kept'")
            .await?;
        tokio::time::sleep(std::time::Duration::from_secs(7)).await;
        let kept = b
            .js("return document.querySelector('[data-testid=run-status]')?.dataset.marker || null")
            .await?;
        if kept != json!("kept") {
            return Err("the run view was redrawn although nothing had changed".into());
        }

        // The worker goes on: the page updates by itself.
        let more = event_line("starting", "Run started")
            + &event_line("agent", "Pi finished: 3 files written");
        hub.put_run_file(BUCKET, run, "events.jsonl", more).await;
        b.wait_for_text("Pi finished: 3 files written").await?;

        hub.put_run_file(BUCKET, run, "artifacts/output.png", tiny_png())
            .await;
        b.find("[data-testid=artifacts] img").await?;
        // A new artifact appears without reloading the ones already shown.
        b.js("document.querySelector('[data-testid=artifacts] img').dataset.marker = 'kept'")
            .await?;
        hub.put_run_file(BUCKET, run, "artifacts/notes.txt", "second output")
            .await;
        b.wait_for_text("second output").await?;
        let kept = b.js("return document.querySelector('[data-testid=artifacts] img')?.dataset.marker || null").await?;
        if kept != json!("kept") {
            return Err(
                "the first artifact was downloaded and drawn again when a second one appeared"
                    .into(),
            );
        }
        let finished = generation_works(run);
        let report = "# Verdict\n\nThe live Space generated an image.";
        hub.put_run(BUCKET, run, &finished, vec![("report.md", report.into())])
            .await;
        b.wait_for_text("full_inference_success").await?;
        b.wait_for_text("The live Space generated an image.")
            .await?;
        b.wait_for_text("no longer refreshes").await?;
        b.find("[data-testid=artifacts] img").await?;
        b.wait_for_text("Validate this Space").await?;
        b.screenshot("run-finished").await;

        // It stopped: a later change is not picked up by itself.
        let late = event_line("finished", "written after the end");
        hub.put_run_file(BUCKET, run, "events.jsonl", late).await;
        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        if b.text().await.contains("written after the end") {
            return Err("the page kept refreshing after the run ended".into());
        }
        Ok(())
    });

    // A bookmarked run URL opened in a fresh browser: sign in, then the run.
    scenario!(390, 844, |b| {
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        b.wait_for_text("sign in to see this one").await?;
        b.goto(&format!("{}/", hub.url)).await;
        b.fill("#token", TEST_TOKEN).await?;
        b.click_button("Use this token").await?;
        b.wait_for_text("Signed in as").await?;
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        b.wait_for_text("full_inference_success").await?;
        b.screenshot("run-finished-phone").await;
        Ok(())
    });
}

#[tokio::test]
async fn a_report_with_html_and_javascript_links_is_rendered_harmlessly() {
    let hub = Hub::with_factory().await;
    let run = "build-20261128-150000-bbbbbb";
    let failed = build_state(run, "failed", "finished", "Build failed.");
    let report = "# Report\n\n<script>window.__pwned = 1</script>\n\n<img src=x onerror=\"window.__pwned = 2\">\n\n[click me](javascript:window.__pwned=3) and [the docs](https://huggingface.co/docs)\n";
    hub.put_run(BUCKET, run, &failed, vec![("report.md", report.into())])
        .await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        b.wait_for_text("click me").await?;
        let report_html = b
            .js("return document.querySelector('[data-testid=report]').innerHTML")
            .await?;
        let html = report_html.as_str().unwrap_or_default().to_string();
        if html.contains("<script")
            || html.contains("<img")
            || html.to_lowercase().contains("javascript:window")
                && html.contains("href=\"javascript")
        {
            return Err(format!("unsafe HTML in the report: {html}"));
        }
        if !html.contains("href=\"https://huggingface.co/docs\"") {
            return Err(format!("the https link was lost: {html}"));
        }
        // Clicking the text of the javascript: link does nothing.
        b.js("[...document.querySelectorAll('[data-testid=report] *')].find(e => e.textContent === 'click me')?.click()").await?;
        let pwned = b.js("return window.__pwned === undefined").await?;
        if pwned != json!(true) {
            return Err("a script from the report ran".into());
        }
        b.screenshot_at("[data-testid=report]", "run-report-unsafe")
            .await;
        Ok(())
    });
}

#[tokio::test]
async fn a_missing_run_and_a_malformed_run_id_say_so() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?run=build-20990101-000000-abcdef", hub.url))
            .await;
        b.wait_for_text("No run with this id in your bucket")
            .await?;
        b.screenshot("run-missing").await;
        b.goto(&format!("{}/?run=../../etc", hub.url)).await;
        b.wait_for_text("does not name a run").await?;
        Ok(())
    });
}

#[tokio::test]
async fn the_run_page_takes_the_newer_file_and_counts_unreadable_event_lines() {
    let hub = Hub::with_factory().await;
    let run = "build-20261128-160000-cccccc";
    // state.json lags behind (a listing lag on the real Hub): events.jsonl is a phase further,
    // and one of its lines cannot be read.
    let lagging = build_state(run, "running", "reading_model", "Reading the model card.");
    let newer = json!({"ts": "2026-11-28T14:27:00Z", "level": "info", "phase": "agent",
        "message": "Pi is writing app.py", "data": null});
    let events = event_line("starting", "Run started")
        + "this line is not an event\n"
        + &format!("{newer}\n");
    hub.put_run(BUCKET, run, &lagging, vec![("events.jsonl", events.into())])
        .await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        b.wait_for_text("1 line of the run's events.jsonl could not be read")
            .await?;
        let current = b.js("return [document.querySelector('[data-testid=run-status] strong')?.textContent, document.querySelector('.stepper li.current')?.textContent]").await?;
        if current != json!(["Writing the app", "Writing the app"]) {
            return Err(format!(
                "the page did not take the newer of state.json and events.jsonl: {current}"
            ));
        }
        if b.text().await.contains("No events yet") {
            return Err("a run with events said it had none".into());
        }
        Ok(())
    });
}

#[tokio::test]
async fn runs_list_shows_every_run_newest_first() {
    let hub = Hub::with_factory().await;
    let older = "build-20261127-090000-111111";
    let newer = "validate-20261128-100000-222222";
    let mut o = build_state(older, "manual_hardware_required", "finished", "");
    o["created_at"] = json!("2026-11-27T09:00:00Z");
    hub.put_run(BUCKET, older, &o, vec![]).await;
    let mut v = build_state(newer, "running", "smoke_test", "");
    v["kind"] = json!("validate");
    v["created_at"] = json!("2026-11-28T10:00:00Z");
    v["model_id"] = Value::Null;
    hub.put_run(BUCKET, newer, &v, vec![]).await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=runs", hub.url)).await;
        b.wait_for_text(older).await?;
        b.wait_for_text(newer).await?;
        b.wait_for_text("manual_hardware_required").await?;
        let text = b.text().await;
        if text.find(newer) > text.find(older) {
            return Err("the newest run is not first".into());
        }
        b.screenshot("runs-list").await;
        b.click(&format!("a[href='?run={older}']")).await?;
        b.wait_for_url(&format!("?run={older}")).await?;
        b.wait_for_text("Set hardware by hand").await?;
        Ok(())
    });
}
