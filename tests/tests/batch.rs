//! Batch builds in a real Chromium against the simulator: the Batch view checks every row before
//! anything launches (duplicates, a Space that exists, a line that is not a model) and adds rows
//! from a Hub search; a reload during the launch launches no row twice; and a batch of three
//! models is launched, followed to its end on its page, counted, and its failed row run again.

use std::time::Duration;

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub, LocalFactory, scenario};

/// Each row's check sentences, in row order.
const ROW_CHECKS: &str = "return [...document.querySelectorAll('.batch-row')].map(r => r.querySelector('.row-check').innerText.trim())";

/// Waits until no row is still being checked with the Hub.
async fn rows_checked(b: &Browser, rows: usize) -> Result<Vec<String>, String> {
    let v = b
        .wait_js(ROW_CHECKS, Duration::from_secs(20), |v| {
            v.as_array().is_some_and(|a| {
                a.len() == rows
                    && a.iter()
                        .all(|s| !s.as_str().unwrap_or("").contains("Checking"))
            })
        })
        .await?;
    Ok(v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap_or_default().to_string())
        .collect())
}

async fn paste_rows(b: &Browser, lines: &str) -> Result<(), String> {
    b.fill("#batch-paste", lines).await?;
    b.click("#batch-add").await
}

/// The page's counts per status: `{status: n}`.
const COUNTS: &str = "return Object.fromEntries([...document.querySelectorAll('[data-testid=batch-counts] li')].map(li => [li.dataset.status, Number(li.querySelector('strong').textContent)]))";

#[tokio::test]
async fn the_batch_view_checks_every_row_and_adds_rows_from_a_hub_search() {
    let hub = Hub::with_factory().await;
    hub.create_space("sf-tester/space-factory-deepseek-v3", "gradio")
        .await;
    scenario!(1280, 1100, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=batch", hub.url)).await;
        b.wait_for_text("Build many Spaces at once").await?;
        paste_rows(
            &b,
            "deepseek-ai/DeepSeek-V3\nopenai-community/gpt2\nhttps://huggingface.co/openai-community/gpt2\nnot a model",
        )
        .await?;
        let checks = rows_checked(&b, 4).await?;
        let expect = [
            "The Space `sf-tester/space-factory-deepseek-v3` already exists",
            "✓ Ready",
            "Row 2 already builds `openai-community/gpt2`",
            "model",
        ];
        for (i, needle) in expect.iter().enumerate() {
            if !checks[i].contains(needle) {
                return Err(format!(
                    "row {} says {:?}, not {needle:?}",
                    i + 1,
                    checks[i]
                ));
            }
        }
        // Row 3 is also the second row naming the Space `space-factory-gpt2`.
        if !checks[2].contains("Row 2 already creates the Space `space-factory-gpt2`") {
            return Err(format!("row 3: {:?}", checks[2]));
        }
        if !b.disabled("#launch-batch").await? {
            return Err("the launch is enabled with rows to fix".into());
        }
        b.wait_for_text("Fix the 3 fields marked above to launch.")
            .await?;
        b.screenshot_at("[data-testid=batch-rows]", "batch-view-checks")
            .await;

        // The Hub search: text-to-image models, by likes; one is added as a row.
        b.js("const s = document.querySelector('#search-sort'); s.value = 'likes'; s.dispatchEvent(new Event('change', {bubbles: true}));",
        )
        .await?;
        b.click("#search-run").await?;
        b.wait_js("const t = document.querySelector('[data-testid=search-results]'); return t ? t.innerText : ''",
            Duration::from_secs(10),
            |v| v.as_str().unwrap_or("").contains("Tongyi-MAI/Z-Image-Turbo"),
        )
        .await?;
        let results = b.find("[data-testid=search-results]").await?;
        let text = results.text().await.map_err(|e| e.to_string())?;
        for needle in ["text-to-image", "♥ 2874"] {
            if !text.contains(needle) {
                return Err(format!("the results lack {needle:?}: {text}"));
            }
        }
        if text.contains("gpt2") {
            return Err(format!(
                "a text-generation model in a text-to-image search: {text}"
            ));
        }
        b.click("[data-testid=search-results] .add-model").await?;
        let checks = rows_checked(&b, 5).await?;
        if !checks[4].contains("✓ Ready") {
            return Err(format!("the added row: {:?}", checks[4]));
        }
        if b.value(".batch-row[data-row='5'] .row-space").await? != "space-factory-z-image-turbo" {
            return Err("the added row's Space name is not derived from the model".into());
        }
        // The gated mark of the search, on a text-generation search.
        b.js("const s = document.querySelector('#search-task'); s.value = 'text-generation'; s.dispatchEvent(new Event('change', {bubbles: true}));",
        )
        .await?;
        b.click("#search-run").await?;
        b.wait_js("const t = document.querySelector('[data-testid=search-results]'); return t ? t.innerText : ''",
            Duration::from_secs(10),
            |v| {
                let t = v.as_str().unwrap_or("");
                t.contains("meta-llama/Llama-3.1-8B-Instruct") && t.contains("gated")
            },
        )
        .await?;

        // Nothing typed is lost on reload.
        b.goto(&format!("{}/?view=batch", hub.url)).await;
        let checks = rows_checked(&b, 5).await?;
        if !checks[0].contains("already exists") {
            return Err(format!("after reload, row 1: {:?}", checks[0]));
        }
        // Rows fixed by hand: the taken name edited, the duplicate and the bad line removed.
        b.fill(".batch-row[data-row='1'] .row-space", "deepseek-v3-demo")
            .await?;
        b.click("[aria-label='Remove row 4']").await?;
        b.click("[aria-label='Remove row 3']").await?;
        let checks = rows_checked(&b, 3).await?;
        if checks.iter().any(|c| !c.contains("✓ Ready")) {
            return Err(format!("rows not ready: {checks:?}"));
        }
        b.wait_js(
            "return document.querySelector('#launch-batch').disabled",
            Duration::from_secs(5),
            |v| v == &json!(false),
        )
        .await?;
        b.click("#launch-batch").await?;
        let confirm = b.find("[data-testid=batch-confirm]").await?;
        let text = confirm.text().await.map_err(|e| e.to_string())?;
        if !text.contains("Launch 3 jobs?")
            || !text.contains("Worst case for the 3 (an estimate): at most $")
        {
            return Err(format!("the confirmation says: {text}"));
        }
        b.screenshot_at("[data-testid=batch-confirm]", "batch-view-confirm")
            .await;
        b.click_button("Not now").await?;
        if !hub.job_requests().await.is_empty() {
            return Err("a job was created before the confirmation".into());
        }
        // "Remove every row" can be undone: the rows come back as they were.
        b.click("#batch-clear").await?;
        b.wait_for_text("No rows yet").await?;
        b.wait_for_text("Removed 3 rows.").await?;
        b.click("#batch-undo").await?;
        let checks = rows_checked(&b, 3).await?;
        if checks.iter().any(|c| !c.contains("✓ Ready")) {
            return Err(format!("rows after Undo: {checks:?}"));
        }
        let space = b
            .client
            .execute(
                "return document.querySelector(\".batch-row[data-row='1'] .row-space\").value",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if space != json!("deepseek-v3-demo") {
            return Err(format!("row 1's Space name after Undo: {space}"));
        }
        let undo_line = fantoccini::Locator::Css("[data-testid=batch-removed]");
        if b.client.find(undo_line).await.is_ok() {
            return Err("the Undo line stayed after Undo".into());
        }
        Ok(())
    });
    scenario!(390, 844, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=batch", hub.url)).await;
        paste_rows(&b, "openai-community/gpt2\nnot a model").await?;
        rows_checked(&b, 2).await?;
        b.screenshot_at("[data-testid=batch-rows]", "batch-view-phone")
            .await;
        Ok(())
    });
}

#[tokio::test]
async fn a_reload_during_the_launch_launches_no_row_twice() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 1000, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=batch", hub.url)).await;
        b.wait_for_text("Build many Spaces at once").await?;
        paste_rows(
            &b,
            "Tongyi-MAI/Z-Image-Turbo\nopenai-community/gpt2\ndeepseek-ai/DeepSeek-V3\nsf-tester/private-gpt2\nsim-fixtures/model-without-card",
        )
        .await?;
        rows_checked(&b, 5).await?;
        b.wait_js(
            "return document.querySelector('#launch-batch').disabled",
            Duration::from_secs(5),
            |v| v == &json!(false),
        )
        .await?;
        // The Hub takes its time creating the first three jobs (the reload comes while they are
        // on their way), and refuses the fourth creation once.
        hub.control(
            "POST",
            "/faults",
            json!({"method": "POST", "path_prefix": "/api/jobs/sf-tester", "count": 3, "delay_ms": 1500}),
        )
        .await;
        hub.control(
            "POST",
            "/faults",
            json!({"method": "POST", "path_prefix": "/api/jobs/sf-tester", "count": 1, "status": 503, "body": "The Jobs service is busy; try again in a minute."}),
        )
        .await;
        b.click("#launch-batch").await?;
        b.click("#batch-confirm").await?;
        let batch = b.wait_for_query("batch").await?;
        let page = format!("{}/?batch={batch}", hub.url);
        b.wait_js("const l = document.querySelector('[data-testid=batch-launch] label'); return l ? l.innerText : ''",
            Duration::from_secs(10),
            |v| v.as_str().unwrap_or("").contains("Launching: 0 of 5"),
        )
        .await?;
        b.goto(&page).await;
        // The refused row says why it was not launched, and can be retried.
        if let Err(e) = b
            .wait_js(
                "return document.querySelectorAll('[data-testid=launch-failed]').length",
                Duration::from_secs(60),
                |v| v.as_u64() == Some(1),
            )
            .await
        {
            let faults = hub.control("GET", "/faults", json!(null)).await;
            let asked: Vec<Value> = hub
                .job_requests()
                .await
                .iter()
                .map(|j| json!([j["status"], j["body"]["labels"]["run-id"]]))
                .collect();
            return Err(format!(
                "{e}\nfaults left: {faults}\njob requests: {asked:?}"
            ));
        }
        b.screenshot_at("[data-testid=batch-launch]", "batch-page-launch-refused")
            .await;
        let refused = b
            .find("[data-testid=launch-failed]")
            .await?
            .text()
            .await
            .map_err(|e| e.to_string())?;
        if !refused.contains("was not launched") {
            return Err(format!("the refused row says: {refused}"));
        }
        b.click("[data-testid=launch-failed] button").await?;
        b.wait_js("const p = document.querySelector('#launch-progress'); return p ? -1 : document.querySelectorAll('[data-testid=batch-runs] tbody tr').length",
            Duration::from_secs(60),
            |v| v.as_u64() == Some(5),
        )
        .await?;
        // Reloaded again, and the (now empty) Batch view: nothing more is launched.
        b.goto(&page).await;
        b.goto(&format!("{}/?view=batch", hub.url)).await;
        b.wait_for_text("No rows yet").await?;
        b.goto(&page).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let jobs = hub.job_requests().await;
        let mut run_ids: Vec<String> = jobs
            .iter()
            .map(|j| {
                j["body"]["labels"]["run-id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        run_ids.sort();
        run_ids.dedup();
        if run_ids.len() != 5 || jobs.len() != 5 {
            return Err(format!(
                "{} job requests for {} run ids (5 rows): {run_ids:?}",
                jobs.len(),
                run_ids.len()
            ));
        }
        for j in &jobs {
            if j["body"]["labels"]["batch-id"] != json!(batch) {
                return Err(format!(
                    "a job without the batch label: {}",
                    j["body"]["labels"]
                ));
            }
        }
        Ok(())
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_three_is_followed_to_its_end_counted_and_its_failed_row_run_again() {
    let factory =
        LocalFactory::start(|c| c.with_space_start_timeout(Duration::from_secs(120))).await;
    let (hub, site) = (&factory.hub, &factory.site);
    let http = reqwest::Client::new();
    http.post(format!(
        "{}/__sim/buckets/sf-tester/space-factory-runs",
        hub.url()
    ))
    .json(&json!({}))
    .send()
    .await
    .unwrap();

    let b = Browser::start(1280, 1100).await;
    let mut batch = String::new();
    let outcome: Result<(), String> = async {
        b.sign_in_with_token_at(&site.url).await?;
        b.goto(&format!("{}/?view=batch", site.url)).await;
        paste_rows(
            &b,
            "Tongyi-MAI/Z-Image-Turbo\nsim-fixtures/model-without-card\nopenai-community/gpt2",
        )
        .await?;
        let checks = rows_checked(&b, 3).await?;
        if checks.iter().any(|c| !c.contains("✓ Ready")) {
            return Err(format!("rows not ready: {checks:?}"));
        }
        // Between the check and the launch, someone creates the Space of row 3: its job must
        // refuse to touch it.
        let created = http
            .post(format!("{}/api/repos/create", hub.url()))
            .bearer_auth(sf_hubsim::TEST_TOKEN)
            .json(&json!({"type": "space", "name": "space-factory-gpt2", "sdk": "gradio", "private": true}))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !created.status().is_success() {
            return Err(format!("create the Space: {}", created.status()));
        }
        b.click("#launch-batch").await?;
        b.click("#batch-confirm").await?;
        batch = b.wait_for_query("batch").await?;
        b.screenshot("batch-page-launching").await;
        // The batch page's code is fetched when it opens: meanwhile the Batch view it replaces
        // is gone, not left on screen (and clickable) under the loading line.
        let shown = b.text().await;
        if shown.contains("Build many Spaces at once") {
            return Err(format!("the Batch view stayed on screen after the switch to its page:\n{shown}"));
        }
        // While launches are still on their way the page lists fewer runs, none of them live
        // yet: it must say "Launching", never "All runs have ended" before its three rows are in.
        let premature = std::cell::RefCell::new(None::<String>);
        b.wait_js("const s = document.querySelector('[data-testid=batch-summary]'); return s ? s.innerText : ''",
            Duration::from_secs(600),
            |v| {
                let text = v.as_str().unwrap_or("");
                let ended = text.contains("All runs have ended");
                if ended && !text.contains(" 3 rows ") {
                    premature.borrow_mut().get_or_insert_with(|| text.to_string());
                }
                ended && text.contains(" 3 rows ")
            },
        )
        .await?;
        if let Some(text) = premature.into_inner() {
            return Err(format!("the batch said it had ended before its rows were launched: {text}"));
        }
        let counts = b.js(COUNTS).await?;
        if counts
            != json!({"full_inference_success": 1, "technical_blocker": 1, "failed": 1})
        {
            return Err(format!("counts {counts}; the page showed:\n{}", b.text().await));
        }
        let rows = b.js("return [...document.querySelectorAll('[data-testid=batch-runs] tbody tr')].map(r => r.innerText)").await?;
        let text = rows.to_string();
        for needle in ["Tongyi-MAI/Z-Image-Turbo", "sim-fixtures/model-without-card", "openai-community/gpt2", "Open run"] {
            if !text.contains(needle) {
                return Err(format!("the runs table lacks {needle}: {text}"));
            }
        }
        // Short jobs on cpu-basic and Spaces on free hardware: each run costs a fraction of a
        // cent (row 3 stopped before anything cost: its Space was taken), and the total is
        // rounded as the rows are (it once said "$0.0001" next to rows of "$0.00").
        let cells = b.js("return [...document.querySelectorAll('[data-testid=batch-runs] tbody tr')].map(r => r.cells[4].innerText)").await?;
        if cells != json!(["under $0.01", "under $0.01", "—"]) {
            return Err(format!("the rows' costs: {cells}"));
        }
        let cost = b.find("[data-testid=batch-cost]").await?.text().await.map_err(|e| e.to_string())?;
        if cost != "under $0.01" {
            return Err(format!("total cost {cost:?} for rows of {cells}"));
        }
        b.screenshot("batch-page-ended").await;

        // Run again the failed row: a new run in the same row, under the next Space name.
        b.click("#rerun-failed").await?;
        b.wait_js("return document.querySelectorAll('[data-testid=batch-runs] tbody tr').length",
            Duration::from_secs(60),
            |v| v.as_u64() == Some(4),
        )
        .await?;
        b.wait_js(COUNTS,
            Duration::from_secs(600),
            |v| v == &json!({"full_inference_success": 2, "technical_blocker": 1}),
        )
        .await?;
        b.wait_for_text("sf-tester/space-factory-gpt2-2").await?;
        if b.js("return document.querySelector('#rerun-failed') === null").await? != json!(true) {
            return Err("a failed run is still offered for a re-run".into());
        }
        b.screenshot("batch-page-rerun").await;

        // The Runs list groups the batch's runs under its heading.
        b.goto(&format!("{}/?view=runs", site.url)).await;
        b.wait_js(&format!("const h = document.querySelector(\"tr.batch-head[data-batch='{batch}']\"); return h ? document.querySelectorAll('tr.in-batch').length : 0"),
            Duration::from_secs(20),
            |v| v.as_u64() == Some(4),
        )
        .await?;
        Ok(())
    }
    .await;
    b.close().await;
    // The page at phone size, from another browser: the batch is assembled from its runs.
    let phone = Browser::start(390, 844).await;
    let phone_outcome: Result<(), String> = async {
        if batch.is_empty() {
            return Ok(());
        }
        phone.sign_in_with_token_at(&site.url).await?;
        phone.goto(&format!("{}/?batch={batch}", site.url)).await;
        phone.wait_for_text("All runs have ended").await?;
        phone.screenshot("batch-page-phone").await;
        Ok(())
    }
    .await;
    phone.close().await;
    factory.shutdown().await;
    outcome.unwrap();
    phone_outcome.unwrap();
}
