//! `cargo xtask bench` runs this: performance measured in a real headless Chromium, never
//! asserted in tests. It serves the release app with the local Hub simulator (as a static Space
//! is served) and reports:
//! - first load: requests and bytes transferred, per kind of resource;
//! - time to interactive: navigation start → the sign-in panel is rendered and usable (median of
//!   several cold loads, each in a fresh browser profile);
//! - refresh latency: a click on "Check run bucket" → its outcome on screen (median).

use std::time::Duration;

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub};
use sf_hubsim::TEST_TOKEN;

const LOADS: usize = 5;
const REFRESHES: usize = 10;

/// Installed before the page's scripts: records when the sign-in panel first appears.
const READY_HOOK: &str = r#"
new MutationObserver((_, obs) => {
  if (document.querySelector('#sign-in button, #sign-in input')) {
    window.__sfReadyAt = performance.now();
    obs.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"#;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

async fn eval(b: &Browser, script: &str) -> Value {
    b.client
        .execute(script, vec![])
        .await
        .unwrap_or(Value::Null)
}

#[tokio::main]
async fn main() {
    let hub = Hub::start(false).await;
    println!("benchmark: release app served by hubsim at {}", hub.url);

    let mut tti = Vec::new();
    let mut first: Option<Value> = None;
    for _ in 0..LOADS {
        let b = Browser::start(1280, 900).await;
        b.add_init_script(READY_HOOK).await;
        b.goto(&format!("{}/", hub.url)).await;
        b.wait_for_text("Hugging Face access token")
            .await
            .expect("the app renders");
        let mut ready = Value::Null;
        for _ in 0..100 {
            ready = eval(&b, "return window.__sfReadyAt || null").await;
            if !ready.is_null() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tti.push(ready.as_f64().expect("the ready time was recorded"));
        if first.is_none() {
            first = Some(
                eval(
                    &b,
                    "const nav = performance.getEntriesByType('navigation')[0];
                     const res = performance.getEntriesByType('resource');
                     return {nav: {size: nav.transferSize, body: nav.decodedBodySize},
                             res: res.map(r => ({name: r.name.split('/').pop(), type: r.initiatorType,
                                                 size: r.transferSize, body: r.decodedBodySize}))};",
                )
                .await,
            );
        }
        b.close().await;
    }

    let first = first.unwrap();
    let mut requests = 1;
    let mut bytes = first["nav"]["size"].as_f64().unwrap_or(0.0);
    println!("first load:");
    println!("  {:<52} {:>9.0} bytes", "index.html (navigation)", bytes);
    for r in first["res"].as_array().unwrap() {
        requests += 1;
        let size = r["size"].as_f64().unwrap_or(0.0);
        bytes += size;
        println!(
            "  {:<52} {:>9.0} bytes",
            r["name"].as_str().unwrap_or("?"),
            size
        );
    }
    println!(
        "  requests: {requests}, transferred: {bytes:.0} bytes (uncompressed: the simulator does not gzip)"
    );
    println!(
        "time to interactive (sign-in panel usable), median of {LOADS} cold loads: {:.0} ms",
        median(tti.clone())
    );
    println!(
        "  all loads: {:?} ms",
        tti.iter().map(|t| t.round()).collect::<Vec<_>>()
    );

    // Refresh latency: one bucket check round trip, click to outcome.
    hub.control("POST", "/buckets/sf-tester/space-factory-runs", json!({}))
        .await;
    let b = Browser::start(1280, 900).await;
    b.goto(&format!("{}/", hub.url)).await;
    b.fill("#token", TEST_TOKEN).await.unwrap();
    b.click_button("Use this token").await.unwrap();
    b.wait_for_text("Signed in as").await.unwrap();
    let mut lat = Vec::new();
    for _ in 0..REFRESHES {
        let v = b
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const btn = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Check run bucket'));
                 let seenBusy = false;
                 const t0 = performance.now();
                 new MutationObserver((_, obs) => {
                   if (btn.disabled) { seenBusy = true; }
                   else if (seenBusy) { obs.disconnect(); done(performance.now() - t0); }
                 }).observe(btn, {attributes: true});
                 btn.click();",
                vec![],
            )
            .await
            .expect("bucket check completes");
        lat.push(v.as_f64().unwrap_or(f64::NAN));
    }
    b.close().await;
    println!(
        "refresh latency (Check run bucket: click → answer shown), median of {REFRESHES}: {:.1} ms",
        median(lat)
    );
    hub.sim.shutdown().await;
}
