//! The whole product, as a person uses it, from the release folder: the folder `cargo xtask dist`
//! writes is served by a plain static server (exact paths, `window.huggingface.variables` set
//! the way the Hub sets them for a static Space) and the Hub is the simulator, which holds the
//! same folder as the factory Space. In headless Chromium a newcomer signs in with OAuth, creates
//! the run bucket, launches a build and follows it to its end — the job is the release worker
//! binary, the agent the real Pi talking to the simulator's demo agent, the generated Space a
//! real Gradio process — then validates that Space.

use std::time::{Duration, Instant};

use sf_e2e::{Browser, LocalFactory};

/// Waits until the run view shows a final status and returns its wire name.
async fn final_status(b: &Browser, limit: Duration) -> Result<String, String> {
    let deadline = Instant::now() + limit;
    loop {
        let badge = b.js("const el = document.querySelector('[data-testid=run-status] .badge'); return el ? el.textContent : null").await?;
        if let Some(status) = badge.as_str()
            && status != "running"
        {
            return Ok(status.to_string());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "no final status within {limit:?}; the page showed:\n{}",
                b.text().await
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the run view lists at least one event while its status is still "running".
async fn events_while_running(b: &Browser, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        let seen = b.js("const el = document.querySelector('[data-testid=run-status] .badge'); \
                 return [el ? el.textContent : null, document.querySelectorAll('[data-testid=events] li').length]").await?;
        let status = seen[0].as_str().unwrap_or_default();
        let events = seen[1].as_u64().unwrap_or(0);
        if events > 0 && status == "running" {
            return Ok(());
        }
        if (!status.is_empty() && status != "running") || Instant::now() > deadline {
            return Err(format!(
                "no event was shown while the run was running (status {status:?}); the page showed:\n{}",
                b.text().await
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_sign_in_to_a_validated_generated_space() {
    let factory = LocalFactory::start(|c| {
        c.with_oauth_client_id("space-factory-e2e")
            .with_space_start_timeout(Duration::from_secs(90))
    })
    .await;
    let (hub, site, data) = (&factory.hub, &factory.site, &factory.data);
    let scopes = hub.space_variables()["OAUTH_SCOPES"].clone();

    let b = Browser::start(1280, 1300).await;
    let outcome: Result<(), String> = async {
        // The scopes come from the release README's front matter.
        for scope in ["jobs", "inference-api", "manage-repos"] {
            if !scopes.split(' ').any(|s| s == scope) {
                return Err(format!("OAUTH_SCOPES lacks {scope}: {scopes}"));
            }
        }
        b.goto(&format!("{}/", site.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        let raw = b
            .local_storage("space-factory:session")
            .await
            .ok_or("no session after signing in")?;
        let token = serde_json::from_str::<serde_json::Value>(&raw).map_err(|e| e.to_string())?
            ["access_token"]
            .as_str()
            .ok_or("the session has no token")?
            .to_string();
        b.click_button("Create private run bucket").await?;
        b.wait_for_text("Run bucket ready").await?;

        // Build with the seed's model; only the Space name is typed.
        b.goto(&format!("{}/?view=build", site.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        b.fill("#target-space", "z-image-demo").await?;
        b.click("#launch-build").await?;
        let build_run = b.wait_for_query("run").await?;
        // On the strict mount a file is seen only once closed: the run page must show the
        // worker's first events while the job still runs, not at its end.
        events_while_running(&b, Duration::from_secs(120)).await?;
        let status = final_status(&b, Duration::from_secs(300)).await?;
        b.screenshot("flow-build-finished").await;
        if status != "full_inference_success" {
            return Err(format!(
                "the build ended {status}; the page showed:\n{}",
                b.text().await
            ));
        }
        for needle in [
            "Generation works",
            "sf-tester/z-image-demo",
            "Smoke test returned image output",
        ] {
            b.wait_for_text(needle).await?;
        }
        // The smoke test's image is shown from the bucket.
        b.find("[data-testid=artifacts] img").await?;
        // The generated Space is a real Gradio app serving the model through the stand-ins.
        let app = hub
            .space_app("sf-tester/z-image-demo")
            .ok_or("the generated Space is not running")?;
        let config = reqwest::get(format!("http://127.0.0.1:{}/config", app.app_port))
            .await
            .map_err(|e| e.to_string())?;
        if !config.status().is_success() {
            return Err(format!("the Space's /config answered {}", config.status()));
        }

        // Validate the Space the build made, from the run: the form carries the build's own
        // smoke test (generated/smoke_test.json), so nothing needs typing.
        b.click_button("Validate this Space").await?;
        b.wait_for_text("Validate an existing Space").await?;
        let prefilled = (
            b.value("#target-space").await?,
            b.value("#test-args").await?,
            b.value("#expected-output").await?,
        );
        if prefilled
            != (
                "sf-tester/z-image-demo".to_string(),
                r#"["a red fox in the snow",2]"#.to_string(),
                "image".to_string(),
            )
        {
            return Err(format!(
                "the validation was not prefilled from the build: {prefilled:?}"
            ));
        }
        b.click("#launch-validate").await?;
        let validate_run = b.wait_for_query("run").await?;
        if validate_run == build_run {
            return Err("the validation reused the build's run id".into());
        }
        let status = final_status(&b, Duration::from_secs(240)).await?;
        b.screenshot("flow-validate-finished").await;
        if status != "full_inference_success" {
            return Err(format!(
                "the validation ended {status}; the page showed:\n{}",
                b.text().await
            ));
        }

        // Both runs are listed, newest first.
        b.goto(&format!("{}/?view=runs", site.url)).await;
        b.wait_for_text(&validate_run).await?;
        b.wait_for_text(&build_run).await?;
        let text = b.text().await;
        if text.find(&validate_run) > text.find(&build_run) {
            return Err("the runs list is not newest first".into());
        }
        b.screenshot("flow-runs").await;
        // The OAuth token went into the jobs' secrets only: not into the run records, the
        // generated Space, an address or the page.
        for dir in [
            "buckets/sf-tester/space-factory-runs",
            "spaces/sf-tester/z-image-demo",
        ] {
            let dir = data.path().join(dir);
            let files = files_under(&dir);
            if files.is_empty() {
                return Err(format!("nothing under {}", dir.display()));
            }
            for file in files {
                let bytes = std::fs::read(&file).map_err(|e| e.to_string())?;
                if bytes.windows(token.len()).any(|w| w == token.as_bytes()) {
                    return Err(format!("{} contains the token", file.display()));
                }
            }
        }
        if b.url().await.contains(&token) || b.html().await.contains(&token) {
            return Err("the token is in the address or the page".into());
        }
        b.no_errors().await
    }
    .await;
    b.close().await;
    factory.shutdown().await;
    outcome.unwrap();
}
