//! The release wasm is split (issue 13, `xtask/src/wasm.rs`, `src/pages/on_demand.rs`): a first
//! load of Build fetches only the main module and one script, then the run page's code (which a
//! launch opens), and a view opened afterwards in the running app fetches its own chunk and
//! renders.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub};

const BUCKET: &str = "sf-tester/space-factory-runs";
const RUN: &str = "build-20261128-142501-a3f9c2";

/// The wasm files the page fetched so far (file names, without the folder).
async fn wasm_fetched(b: &Browser) -> Result<Vec<String>, String> {
    fetched(b, ".wasm").await
}

/// The files whose name contains `kind` the page fetched so far (names without the folder).
async fn fetched(b: &Browser, kind: &str) -> Result<Vec<String>, String> {
    let names = b
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(r => r.name).filter(n => n.includes(arguments[0]))",
            vec![json!(kind)],
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
        // A first load of Build: the main module only, as its gzip copy; then, once the
        // form's hardware lists are in, the run page's code (a launch opens it), after the main
        // module has arrived.
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !wasm_fetched(&b).await?.iter().any(|n| n.starts_with("split_run_")) {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "the Build view never prefetched the run page's code: it fetched {:?}",
                    wasm_fetched(&b).await?
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let first = wasm_fetched(&b).await?;
        let main: Vec<&String> = first.iter().filter(|n| n.ends_with("_bg.wasm.gz")).collect();
        if main.len() != 1 {
            return Err(format!(
                "a first load of Build fetched {first:?}, not the main module's .wasm.gz once"
            ));
        }
        only_chunk_of(
            &first
                .iter()
                .filter(|n| !n.ends_with("_bg.wasm.gz"))
                .cloned()
                .collect::<Vec<_>>(),
            "run",
        )?;
        let after_main = b
            .client
            .execute(
                "const e = performance.getEntriesByType('resource').filter(r => r.name.includes('.wasm'));
                 const main = e.find(r => r.name.includes('_bg.wasm.gz'));
                 return e.filter(r => r !== main).every(r => r.startTime >= main.responseEnd);",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if after_main != Value::Bool(true) {
            return Err("the run page's code was fetched before the main module arrived".into());
        }
        // One script: wasm-bindgen's glue and the chunks' loader are one bundle (esbuild).
        let scripts = fetched(&b, ".js").await?;
        if scripts.len() != 1 {
            return Err(format!(
                "a first load of Build fetched the scripts {scripts:?}, not one bundle"
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
        // The run page's code came with Build: opening it fetches nothing.
        let run = open(
            &b,
            &format!("a[href='?run={RUN}']"),
            "The live Space generated an image.",
        )
        .await?;
        if !run.is_empty() {
            return Err(format!(
                "opening a run page fetched {run:?}, though Build had prefetched its code"
            ));
        }
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

/// A chunk that cannot be downloaded (the connection dropped, or a new release replaced the
/// files) stops the app: the page says so and how to go on, instead of "Loading…" forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_whose_code_cannot_be_downloaded_says_so() {
    let dist = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(sf_e2e::dist_dir()).expect("the release app") {
        let path = entry.expect("a file of the release app").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_file() && !name.starts_with("split_about_") {
            std::fs::copy(&path, dist.path().join(&name)).expect("copy the release app");
        }
    }
    let hub = Hub::start_with(false, |c| c.with_app_dir(dist.path())).await;
    sf_e2e::scenario!(1280, 900, |b| {
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        b.click("nav a[href='?view=about']").await?;
        b.wait_for_text("Space Factory stopped. Part of the app could not be downloaded")
            .await?;
        b.find(".stopped a[href='']").await?;
        b.screenshot("split-chunk-missing").await;
        Ok(())
    });
}
