//! The release wasm is split (issue 13, `xtask/src/wasm.rs`, `src/pages/on_demand.rs`): a first
//! load of Build fetches only the main module and one script, then the code of the launch and
//! of the run page it opens, a view opened afterwards in the running app fetches its own chunk
//! and renders, and the sign-in's code (a pasted token's check, the OAuth start and the
//! redirect's code exchange) is fetched when it is used.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub, generation_works};

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
    only_chunks_of(fetched, &[split])
}

/// Each of `splits`' own `split_<name>_…` chunks, and besides them only shared `chunk_…` ones,
/// all compressed.
fn only_chunks_of(fetched: &[String], splits: &[&str]) -> Result<(), String> {
    let prefixes: Vec<String> = splits.iter().map(|s| format!("split_{s}_")).collect();
    let ok = prefixes
        .iter()
        .all(|p| fetched.iter().any(|n| n.starts_with(p)))
        && fetched.iter().all(|n| {
            n.ends_with(".wasm.gz")
                && (n.starts_with("chunk_") || prefixes.iter().any(|p| n.starts_with(p)))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{splits:?} fetched {fetched:?}: expected their own split_<name>_… chunks (and shared chunk_… ones), compressed"
        ))
    }
}

/// The main module's LZMA copy once and, besides it, only `split`'s chunks.
fn main_and_chunk_of(fetched: &[String], split: &str) -> Result<(), String> {
    let (main, rest): (Vec<String>, Vec<String>) = fetched
        .iter()
        .cloned()
        .partition(|n| n.ends_with("_bg.wasm.lzma"));
    if main.len() != 1 {
        return Err(format!(
            "expected the main module's .wasm.lzma once among {fetched:?}"
        ));
    }
    only_chunk_of(&rest, split)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn build_loads_only_the_main_module_and_other_views_fetch_their_chunk() {
    let hub = Hub::start(false).await;
    hub.control("POST", &format!("/buckets/{BUCKET}"), json!({}))
        .await;
    let state = generation_works(RUN);
    let report = "# Verdict\n\nThe live Space generated an image.";
    hub.put_run(BUCKET, RUN, &state, vec![("report.md", report.into())])
        .await;

    let b = Browser::start(1280, 900).await;
    let outcome: Result<(), String> = async {
        b.sign_in_with_token(&hub).await?;
        // Home's first load is the main module; checking the pasted token fetched its code.
        main_and_chunk_of(&wasm_fetched(&b).await?, "token_session")?;
        // A first load of Build: the main module only, as its LZMA copy; then, once the
        // form's hardware lists are in, the code of the launch and of the run page it opens,
        // after the main module has arrived.
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let prefetched = |names: &[String]| {
            ["split_run_", "split_launch_build_"]
                .iter()
                .all(|p| names.iter().any(|n| n.starts_with(p)))
        };
        while !prefetched(&wasm_fetched(&b).await?) {
            if std::time::Instant::now() > deadline {
                return Err(format!(
                    "the Build view never prefetched the launch's and the run page's code: it fetched {:?}",
                    wasm_fetched(&b).await?
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let first = wasm_fetched(&b).await?;
        let main: Vec<&String> = first.iter().filter(|n| n.ends_with("_bg.wasm.lzma")).collect();
        if main.len() != 1 {
            return Err(format!(
                "a first load of Build fetched {first:?}, not the main module's .wasm.lzma once"
            ));
        }
        only_chunks_of(
            &first
                .iter()
                .filter(|n| !n.ends_with("_bg.wasm.lzma"))
                .cloned()
                .collect::<Vec<_>>(),
            &["run", "launch_build"],
        )?;
        let after_main = b
            .client
            .execute(
                "const e = performance.getEntriesByType('resource').filter(r => r.name.includes('.wasm'));
                 const main = e.find(r => r.name.includes('_bg.wasm.lzma'));
                 return e.filter(r => r !== main).every(r => r.startTime >= main.responseEnd);",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if after_main != Value::Bool(true) {
            return Err("the run page's code was fetched before the main module arrived".into());
        }
        // One script before the button: wasm-bindgen's glue is one bundle (esbuild); the
        // chunks' loader is fetched for the prefetch, after the main module, like the chunks.
        let scripts = fetched(&b, ".js").await?;
        if scripts.len() != 2 || !scripts[1].starts_with("__wasm_split-") {
            return Err(format!(
                "a signed-in first load of Build fetched the scripts {scripts:?}: expected one bundle, then the chunks' loader"
            ));
        }
        let loader_after_main = b
            .client
            .execute(
                "const e = performance.getEntriesByType('resource');
                 const main = e.find(r => r.name.includes('_bg.wasm.lzma'));
                 const link = e.find(r => r.name.includes('__wasm_split-'));
                 return link.startTime >= main.responseEnd;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if loader_after_main != Value::Bool(true) {
            return Err("the chunks' loader was fetched before the main module arrived".into());
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

/// With an OAuth app: a first load of Build, signed out, fetches only the main module (nothing
/// can be launched yet, so nothing is prefetched); the page the Hub sends the person back to
/// fetches the code exchange's chunk with it and signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_redirect_fetches_its_own_chunk() {
    let hub = Hub::start(true).await;
    let b = Browser::start(1280, 900).await;
    let outcome: Result<(), String> = async {
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let first = wasm_fetched(&b).await?;
        if first.len() != 1 || !first[0].ends_with("_bg.wasm.lzma") {
            return Err(format!(
                "a first load of Build (signed out) fetched {first:?}, not only the main module's .wasm.lzma"
            ));
        }
        // Nothing needs a chunk yet: one script, the chunks' loader is not among it.
        let scripts = fetched(&b, ".js").await?;
        if scripts.len() != 1 || scripts[0].starts_with("__wasm_split-") {
            return Err(format!(
                "a first load of Build (signed out) fetched the scripts {scripts:?}, not one bundle"
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

/// The release app without the files whose names start with `missing`, served by hubsim.
async fn app_without(missing: &str) -> (tempfile::TempDir, Hub) {
    let dist = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(sf_e2e::dist_dir()).expect("the release app") {
        let path = entry.expect("a file of the release app").path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if path.is_file() && !name.starts_with(missing) {
            std::fs::copy(&path, dist.path().join(&name)).expect("copy the release app");
        }
    }
    let hub = Hub::start_with(false, |c| c.with_app_dir(dist.path())).await;
    (dist, hub)
}

/// A chunk that cannot be downloaded (the connection dropped, or a new release replaced the
/// files) stops the app: the page says so and how to go on, instead of "Loading…" forever. So
/// does the chunks' loader, which is fetched when a view's code is first needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_whose_code_cannot_be_downloaded_says_so() {
    for (missing, shot) in [
        ("split_about_", "split-chunk-missing"),
        ("__wasm_split-", "split-loader-missing"),
    ] {
        let (_dist, hub) = app_without(missing).await;
        sf_e2e::scenario!(1280, 900, |b| {
            b.goto(&format!("{}/?view=build", hub.url)).await;
            b.wait_for_text("Build a Space from a model card").await?;
            b.click("nav a[href='?view=about']").await?;
            b.wait_for_text("Space Factory stopped. Part of the app could not be downloaded")
                .await?;
            b.find(".stopped a[href='']").await?;
            b.screenshot(shot).await;
            Ok(())
        });
    }
}
