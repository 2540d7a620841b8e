//! The release wasm is split (issue 13, `xtask/src/wasm.rs`, `src/pages/on_demand.rs`): a first
//! load of Build fetches only the main module, a view opened afterwards in the running app
//! fetches its own chunk and renders, and the sign-in's code (a pasted token's check, the OAuth
//! start and the redirect's code exchange) is fetched when it is used.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub};

const BUCKET: &str = "sf-tester/space-factory-runs";
const RUN: &str = "build-20261128-142501-a3f9c2";

/// The wasm files the page fetched so far (file names, without the folder).
async fn wasm_fetched(b: &Browser) -> Result<Vec<String>, String> {
    let names = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(r => r.name).filter(n => n.includes('.wasm'))",
            vec![],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(names
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|n| n.rsplit('/').next().unwrap_or(n).to_string())
        .collect())
}

/// Opens the view of nav link `href` inside the running app (the router, no page load), waits
/// for `text`, and returns the wasm files it fetched for that.
async fn open(b: &Browser, css: &str, text: &str) -> Result<Vec<String>, String> {
    let before = wasm_fetched(b).await?;
    b.client
        .execute("window.__sfSameDocument = true", vec![])
        .await
        .map_err(|e| e.to_string())?;
    b.click(css).await?;
    b.wait_for_text(text).await?;
    let same = b
        .client
        .execute("return window.__sfSameDocument === true", vec![])
        .await
        .map_err(|e| e.to_string())?;
    if same != Value::Bool(true) {
        return Err(format!("{css} loaded a new page instead of the view"));
    }
    let after = wasm_fetched(b).await?;
    Ok(after.into_iter().filter(|n| !before.contains(n)).collect())
}

/// The main module's gzip copy and, besides it, only `split`'s chunks (see [`only_chunk_of`]).
fn main_and_chunk_of(fetched: &[String], split: &str) -> Result<(), String> {
    let (main, rest): (Vec<String>, Vec<String>) = fetched
        .iter()
        .cloned()
        .partition(|n| n.ends_with("_bg.wasm.gz"));
    if main.len() != 1 {
        return Err(format!(
            "expected the main module's .wasm.gz once among {fetched:?}"
        ));
    }
    only_chunk_of(&rest, split)
}

fn only_chunk_of(fetched: &[String], split: &str) -> Result<(), String> {
    let prefix = format!("split_{split}_");
    let ok = fetched.iter().any(|n| n.starts_with(&prefix))
        && fetched.iter().all(|n| {
            n.ends_with(".wasm.gz") && (n.starts_with(&prefix) || n.starts_with("chunk_"))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "opening {split} fetched {fetched:?}: expected its own split_{split}_… chunk (and shared chunk_… ones), compressed"
        ))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_loads_only_the_main_module_and_other_views_fetch_their_chunk() {
    let hub = Hub::start(false).await;
    hub.control("POST", &format!("/buckets/{BUCKET}"), json!({}))
        .await;
    let state = json!({
        "schema": 1, "run_id": RUN, "kind": "build", "status": "full_inference_success",
        "phase": "finished", "message": "Generation works.",
        "model_id": "Tongyi-MAI/Z-Image-Turbo", "target_space": "sf-tester/z-image-demo",
        "hardware": {"attempts": []}, "blockers": [],
        "created_at": "2026-11-28T14:25:01Z", "updated_at": "2026-11-28T14:26:00Z"
    });
    let dir = format!("runs/{RUN}");
    hub.put_file(BUCKET, &format!("{dir}/state.json"), state.to_string())
        .await;
    hub.put_file(
        BUCKET,
        &format!("{dir}/report.md"),
        "# Verdict\n\nThe live Space generated an image.",
    )
    .await;

    let b = Browser::start(1280, 900).await;
    let outcome: Result<(), String> = async {
        b.sign_in_with_token(&hub).await?;
        // Home's first load is the main module; checking the pasted token fetched its code.
        main_and_chunk_of(&wasm_fetched(&b).await?, "token_session")?;
        // A first load of Build: the main module only, as its gzip copy.
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let first = wasm_fetched(&b).await?;
        if first.len() != 1 || !first[0].ends_with("_bg.wasm.gz") {
            return Err(format!(
                "a first load of Build fetched {first:?}, not only the main module's .wasm.gz"
            ));
        }

        only_chunk_of(
            &open(
                &b,
                "nav a[href='?view=validate']",
                "Validate an existing Space",
            )
            .await?,
            "validate",
        )?;
        only_chunk_of(
            &open(&b, "nav a[href='?view=about']", "What a run's status means").await?,
            "about",
        )?;
        only_chunk_of(&open(&b, "nav a[href='?view=runs']", RUN).await?, "runs")?;
        only_chunk_of(
            &open(
                &b,
                &format!("a[href='?run={RUN}']"),
                "The live Space generated an image.",
            )
            .await?,
            "run",
        )?;
        // Back to a view whose code is there: nothing more is fetched.
        let again = open(
            &b,
            "nav a[href='?view=validate']",
            "Validate an existing Space",
        )
        .await?;
        if !again.is_empty() {
            return Err(format!("opening Validate again fetched {again:?}"));
        }
        b.no_errors().await
    }
    .await;
    if outcome.is_err() {
        b.screenshot("split-failure").await;
    }
    b.close().await;
    outcome.unwrap();
}

/// With an OAuth app: a first load of Build, signed out, fetches only the main module; the page
/// the Hub sends the person back to fetches the code exchange's chunk with it and signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_redirect_fetches_its_own_chunk() {
    let hub = Hub::start(true).await;
    let b = Browser::start(1280, 900).await;
    let outcome: Result<(), String> = async {
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let first = wasm_fetched(&b).await?;
        if first.len() != 1 || !first[0].ends_with("_bg.wasm.gz") {
            return Err(format!(
                "a first load of Build (signed out) fetched {first:?}, not only the main module's .wasm.gz"
            ));
        }
        b.goto(&format!("{}/?view=home", hub.url)).await;
        // The click fetches the OAuth start's chunk, which sends the page to the Hub.
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        // The page the Hub sent back to is a new document: these are its fetches.
        main_and_chunk_of(&wasm_fetched(&b).await?, "oauth_complete")?;
        b.no_errors().await
    }
    .await;
    if outcome.is_err() {
        b.screenshot("split-sign-in-failure").await;
    }
    b.close().await;
    outcome.unwrap();
}
