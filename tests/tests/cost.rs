//! The cost in sight and a note when a run ends, in a real Chromium against the Hub simulator:
//! the Build form's estimate shows the prices of hubsim's hardware list (and follows a change of
//! them), the Runs list and the run page show a run's recorded cost and what its Space costs
//! until it sleeps, the tab title follows the run's status, and the opt-in notification fires
//! exactly once when a watched run ends.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub, build_state, scenario};

const BUCKET: &str = "sf-tester/space-factory-runs";

/// Waits until the element matching `css` contains `needle`; its text on success.
async fn wait_in(b: &Browser, css: &str, needle: &str) -> Result<String, String> {
    let mut last = String::new();
    for _ in 0..150 {
        if let Ok(el) = b.find(css).await {
            last = el.text().await.unwrap_or_default();
            if last.contains(needle) {
                return Ok(last);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("{css} never said {needle:?}; it said:\n{last}"))
}

async fn eval(b: &Browser, script: &str) -> Value {
    b.client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("{script}: {e}"))
}

async fn wait_for_title(b: &Browser, want: &str) -> Result<(), String> {
    let mut last = Value::Null;
    for _ in 0..150 {
        last = eval(b, "return document.title").await;
        if last == want {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("the tab title never became {want:?}; it is {last}"))
}

#[tokio::test]
async fn the_estimate_shows_the_hubs_prices_and_follows_a_change() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 1000, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        // hubsim lists l40sx1 at 30000 µ$/min ($1.80/h), the job's cpu-basic at 167 µ$/min.
        let text = wait_in(&b, "[data-testid=cost-estimate]", "the Hub's hardware list").await?;
        for want in [
            "Estimated cost",
            "cpu-basic at $0.01/h × 3 h time limit: at most $0.03",
            "ZeroGPU: free hosting",
            "If ZeroGPU is refused",
            "l40sx1: $1.80/h while it runs (up to $5.40 during the run), then until it sleeps after 1 h idle",
            "at most $7.23",
            "An estimate, not a bill",
        ] {
            if !text.contains(want) {
                return Err(format!("the estimate lacks {want:?}:\n{text}"));
            }
        }
        // Row by row, exactly: to the cent, as an estimate should be.
        let rows = eval(
            &b,
            "return [...document.querySelectorAll('[data-testid=cost-estimate] dd')].map(d => d.textContent)",
        )
        .await;
        let want = json!([
            "cpu-basic at $0.01/h × 3 h time limit: at most $0.03",
            "ZeroGPU: free hosting (PRO: up to 10 Spaces); each call uses the daily GPU quota (free 5 min, PRO 40 min), beyond it billed",
            "l40sx1: $1.80/h while it runs (up to $5.40 during the run), then until it sleeps after 1 h idle",
            "at most $7.23 (the job runs its whole 3 h and the Space is on l40sx1 all that time, then idles 1 h before it sleeps)",
            "the Hub's hardware list",
        ]);
        if rows != want {
            return Err(format!("the estimate's rows {rows:#}, want {want:#}"));
        }
        b.screenshot_at("[data-testid=cost-estimate]", "build-estimate")
            .await;

        // The Hub's price changes: the estimate (and the fallback's label) follow on reload.
        hub.control("PUT", "/hardware/prices", json!({"l40sx1": 2.4}))
            .await;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        let text = wait_in(&b, "[data-testid=cost-estimate]", "$2.40/h").await?;
        // 3 h × $0.01002 + (3 h + 1 h) × $2.40.
        if !text.contains("at most $9.63") {
            return Err(format!("the worst case did not follow the price:\n{text}"));
        }
        let fallback = b
            .find("#fallback-hw")
            .await?
            .text()
            .await
            .unwrap_or_default();
        if !fallback.contains("$2.40/h") {
            return Err(format!("the fallback's label did not follow: {fallback}"));
        }

        // Choices change the estimate at once: a shorter sleep, no fallback.
        b.client
            .execute(
                "const s = document.querySelector('#sleep-time'); s.value = '900'; s.dispatchEvent(new Event('change', { bubbles: true }));",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        wait_in(&b, "[data-testid=cost-estimate]", "after 15 min idle").await?;
        b.click("#allow-fallback").await?;
        let text = wait_in(&b, "[data-testid=cost-estimate]", "at most $0.03").await?;
        if text.contains("If ZeroGPU is refused") {
            return Err(format!("no fallback, yet it is priced:\n{text}"));
        }

        // Validate prices the job for its live timeout plus margin.
        b.goto(&format!("{}/?view=validate", hub.url)).await;
        let text = wait_in(&b, "[data-testid=cost-estimate]", "time limit").await?;
        if !text.contains("not created") {
            return Err(format!("Validate's estimate:\n{text}"));
        }
        Ok(())
    });
}

/// A build that ended at 14:40 with `cost` recorded.
fn finished_state(run_id: &str, cost: Value) -> Value {
    let mut state = build_state(
        run_id,
        "full_inference_success",
        "finished",
        "A generation returned an image.",
    );
    state["cost"] = cost;
    state["updated_at"] = json!("2026-11-28T14:40:00Z");
    state["finished_at"] = json!("2026-11-28T14:40:00Z");
    state
}

#[tokio::test]
async fn runs_list_and_run_page_show_the_recorded_cost_and_the_standing_one() {
    let hub = Hub::with_factory().await;
    let paid = "build-20261128-142501-c0c0c0";
    let zero = "build-20261127-100000-d0d0d0";
    hub.put_run(
        BUCKET,
        paid,
        &finished_state(
            paid,
            json!({
                "job_flavor": "cpu-basic", "job_usd_per_hour": 0.01002, "job_seconds": 900,
                "job_usd": 0.002505, "space_flavor": "l40sx1", "space_usd_per_hour": 1.8,
                "space_paid_seconds": 600, "space_usd": 0.3, "sleep_seconds": 3600,
                "paused": false, "standing": "$1.80/h until it sleeps after 1 h idle",
                "prices_from": "hub"
            }),
        ),
        vec![],
    )
    .await;
    hub.put_run(
        BUCKET,
        zero,
        &finished_state(
            zero,
            json!({
                "job_flavor": "cpu-basic", "job_usd_per_hour": 0.01002, "job_seconds": 600,
                "job_usd": 0.00167, "space_flavor": "zero-a10g", "space_usd_per_hour": 0.0,
                "space_paid_seconds": 0, "space_usd": 0.0, "paused": false,
                "standing": "ZeroGPU: free hosting", "prices_from": "hub"
            }),
        ),
        vec![],
    )
    .await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=runs", hub.url)).await;
        let table = wait_in(&b, "[data-testid=runs]", paid).await?;
        for want in [
            "Cost",
            "$0.3025 then $1.80/h until it sleeps after 1 h idle · settings ↗",
            "$0.0017",
        ] {
            if !table.contains(want) {
                return Err(format!("the runs list lacks {want:?}:\n{table}"));
            }
        }
        b.screenshot("runs-cost").await;
        // Only the Space left on paid hardware gets the warning and the settings link.
        let links = eval(
            &b,
            "return [...document.querySelectorAll('[data-testid=bills-on] a')].map(a => a.href)",
        )
        .await;
        let want = json!([format!(
            "{}/spaces/sf-tester/z-image-demo/settings",
            hub.url
        )]);
        if links != want {
            return Err(format!("settings links {links}, want {want}"));
        }

        b.goto(&format!("{}/?run={paid}", hub.url)).await;
        let card = wait_in(&b, "[data-testid=cost]", "Total").await?;
        for want in [
            "$0.3025",
            "$1.80/h until it sleeps after 1 h idle",
            "pause it or change its sleep time in its settings",
        ] {
            if !card.contains(want) {
                return Err(format!("the Cost card lacks {want:?}:\n{card}"));
            }
        }
        b.screenshot_at("[data-testid=cost]", "run-finished-cost")
            .await;
        Ok(())
    });
}

/// Counts the notifications the page creates, keeping the real API underneath.
const COUNT_NOTIFICATIONS: &str = r#"
(() => {
  const Real = window.Notification;
  if (!Real) return;
  window.__sfNotes = [];
  class Counted extends Real {
    constructor(title, options) {
      window.__sfNotes.push({ title, body: options && options.body, tag: options && options.tag });
      super(title, options);
    }
  }
  Object.defineProperty(Counted, 'permission', { get: () => Real.permission });
  Counted.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Counted;
})();
"#;

#[tokio::test]
async fn the_tab_title_follows_the_run_and_the_notification_fires_once_when_it_ends() {
    let hub = Hub::with_factory().await;
    let run = "build-20261128-142501-e0e0e0";
    let running = build_state(
        run,
        "running",
        "agent",
        "The coding agent is writing the app.",
    );
    hub.put_run(BUCKET, run, &running, vec![]).await;
    scenario!(1280, 900, |b| {
        b.cdp(
            "Browser.grantPermissions",
            json!({"origin": hub.url, "permissions": ["notifications"]}),
        )
        .await?;
        b.add_init_script(COUNT_NOTIFICATIONS).await;
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        wait_for_title(&b, "● running — Space Factory").await?;
        b.click_button("Notify me when the run ends").await?;
        wait_in(
            &b,
            "[data-testid=notify]",
            "You will get a notification when the run ends",
        )
        .await?;
        let notes = eval(&b, "return window.__sfNotes").await;
        if notes != json!([]) {
            return Err(format!("a notification before the end: {notes}"));
        }

        let cost = json!({"job_flavor": "cpu-basic", "job_usd": 0.002});
        hub.put_run(BUCKET, run, &finished_state(run, cost), vec![])
            .await;
        wait_for_title(
            &b,
            "✓ Generation works — Tongyi-MAI/Z-Image-Turbo — Space Factory",
        )
        .await?;
        // More refreshes see the same ending: still one notification.
        for _ in 0..3 {
            b.click_button("Refresh").await?;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let notes = eval(&b, "return window.__sfNotes").await;
        let want = json!([{
            "title": "✓ Generation works — Tongyi-MAI/Z-Image-Turbo",
            "body": format!("Run {run}. A generation returned an image."),
            "tag": run,
        }]);
        if notes != want {
            return Err(format!("notifications {notes}, want {want}"));
        }
        // The button is gone once the run has ended.
        if eval(
            &b,
            "return !!document.querySelector('[data-testid=notify]')",
        )
        .await
            != json!(false)
        {
            return Err("the notify button stays after the end".into());
        }

        // A run that had already ended when the page opened is not news.
        b.goto(&format!("{}/?run={run}", hub.url)).await;
        wait_for_title(
            &b,
            "✓ Generation works — Tongyi-MAI/Z-Image-Turbo — Space Factory",
        )
        .await?;
        tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
        let notes = eval(&b, "return window.__sfNotes").await;
        if notes != json!([]) {
            return Err(format!("a notification for a run already over: {notes}"));
        }
        // Leaving the run (in the app, no reload) puts the title back.
        b.click("a[href$='?view=runs']").await?;
        wait_for_title(&b, "Space Factory").await?;
        Ok(())
    });
}
