//! The run record's liveness (issue 11): one local build as in `tests/tests/flow.rs` — the Hub
//! is the simulator with its strict FUSE bucket mount, the job the release worker binary, the
//! agent Pi with the simulator's demo agent — followed on the run page in headless Chromium.
//!
//! Every 100 ms the bench reads the run's `events.jsonl` in the bucket's folder (what the mount
//! has published) and the run page's event list, and notes when each event was first there. An
//! event's delay is the time it was first on screen minus its `ts` (whole seconds, so the delay
//! is overstated by 0–1 s, 0.5 s on average); it is split at the moment the bucket had it. The
//! uploads are the closes that published, counted in the simulator's FUSE layer.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use sf_core::ids::UtcDateTime;
use sf_e2e::{Browser, StaticServer, release_dir};
use sf_hubsim::{HubSim, SimConfig};

const FACTORY: &str = "sf-tester/space-factory";
const BUCKET: &str = "sf-tester/space-factory-runs";

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

fn worst(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::NAN, f64::max)
}

/// What one build measured.
pub struct Liveness {
    pub status: String,
    /// Per event: (message, ts in unix seconds, published at, first on screen at).
    pub events: Vec<(String, f64, Option<f64>, Option<f64>)>,
    /// Uploads per file of the run's folder.
    pub uploads: std::collections::BTreeMap<String, u64>,
    /// The worker's own count from its job log (`record: N uploads`), when found.
    pub worker_says: Option<String>,
    pub run_seconds: f64,
}

/// The events in the file: (message, ts).
fn read_events(path: &std::path::Path) -> Vec<(String, f64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            let ts = v["ts"]
                .as_str()
                .and_then(UtcDateTime::parse_rfc3339)
                .map(|t| t.to_unix() as f64)
                .unwrap_or(f64::NAN);
            (v["message"].as_str().unwrap_or("").to_string(), ts)
        })
        .collect()
}

pub async fn measure(python: &std::path::Path) -> Result<Liveness, String> {
    let release = release_dir();
    let data = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cfg = SimConfig::for_tests(data.path())
        .with_app_dir(&release)
        .with_oauth_client_id("space-factory-bench")
        .with_seed_space(FACTORY, &release)
        .with_space_runtime(python)
        .with_space_pythonpath(sf_hubsim::model_stand_ins())
        .with_space_start_timeout(Duration::from_secs(90))
        .with_demo_agent()
        .with_variable("SF_FACTORY_SPACE", FACTORY);
    let hub = HubSim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .map_err(|e| e.to_string())?;
    hub.mount_support()?;
    let mut variables = hub.space_variables();
    variables.insert("SF_INFERENCE_URL".into(), format!("{}/v1", hub.url()));
    let site = StaticServer::start_as_space(&release, variables).await;
    let b = Browser::start(1280, 1300).await;
    let out = follow_a_build(&b, &hub, &site.url, data.path()).await;
    b.close().await;
    hub.shutdown().await;
    out
}

async fn follow_a_build(
    b: &Browser,
    hub: &HubSim,
    site: &str,
    data: &std::path::Path,
) -> Result<Liveness, String> {
    b.goto(&format!("{site}/")).await;
    b.click_button("Sign in with Hugging Face").await?;
    b.wait_for_text("Signed in as sf-tester").await?;
    b.click_button("Create private run bucket").await?;
    b.wait_for_text("Run bucket ready").await?;
    b.goto(&format!("{site}/?view=build")).await;
    b.wait_for_text("Build a Space from a model card").await?;
    b.fill("#target-space", "z-image-demo").await?;
    b.click("#launch-build").await?;
    let started = Instant::now();
    let mut run = None;
    for _ in 0..200 {
        if let Some(id) = b.url().await.split("run=").nth(1) {
            run = Some(id.split('&').next().unwrap_or(id).to_string());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = run.ok_or("the launch never opened its run")?;
    let file = data
        .join("buckets")
        .join(BUCKET)
        .join("runs")
        .join(&run)
        .join("events.jsonl");

    // Each event's first moment in the bucket and on screen, by its index.
    let mut published: Vec<f64> = Vec::new();
    let mut shown: Vec<(f64, String)> = Vec::new();
    let mut status = String::new();
    let mut ended_at: Option<Instant> = None;
    let limit = Duration::from_secs(400);
    loop {
        let tick = Instant::now();
        let in_bucket = read_events(&file).len();
        let t = now();
        while published.len() < in_bucket {
            published.push(t);
        }
        let page = b
            .client
            .execute(
                "const els = document.querySelectorAll('[data-testid=events] li .msg');
                 const badge = document.querySelector('[data-testid=run-status] .badge');
                 return {msgs: Array.from(els, e => e.textContent), status: badge ? badge.textContent : null};",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        let t = now();
        for m in page["msgs"]
            .as_array()
            .into_iter()
            .flatten()
            .skip(shown.len())
        {
            shown.push((t, m.as_str().unwrap_or("").to_string()));
        }
        if let Some(s) = page["status"].as_str()
            && s != "running"
            && ended_at.is_none()
        {
            status = s.to_string();
            ended_at = Some(Instant::now());
        }
        // After the end, until the page shows every event (at most 10 s more).
        if let Some(at) = ended_at
            && (shown.len() >= in_bucket || at.elapsed() > Duration::from_secs(10))
        {
            break;
        }
        if started.elapsed() > limit {
            return Err(format!(
                "the build did not end within {limit:?}; the page showed:\n{}",
                b.text().await
            ));
        }
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(tick.elapsed())).await;
    }
    let run_seconds = started.elapsed().as_secs_f64();
    let events = read_events(&file)
        .into_iter()
        .enumerate()
        .map(|(i, (message, ts))| {
            let on_screen = shown.get(i).filter(|(_, m)| *m == message).map(|(t, _)| *t);
            (message, ts, published.get(i).copied(), on_screen)
        })
        .collect();
    let prefix = format!("runs/{run}/");
    let uploads = hub
        .bucket_uploads(BUCKET)
        .into_iter()
        .filter_map(|(path, n)| Some((path.strip_prefix(&prefix)?.to_string(), n)))
        .collect();
    let job = std::fs::read_to_string(file.with_file_name("state.json"))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|s| s["job_id"].as_str().map(str::to_string));
    let worker_says = match job {
        Some(job) => job_log_line(hub, &job).await,
        None => None,
    };
    Ok(Liveness {
        status,
        events,
        uploads,
        worker_says,
        run_seconds,
    })
}

/// The worker's `record: N uploads` line, from the job's log (the Jobs API's stream, which
/// ends as the job has ended).
async fn job_log_line(hub: &HubSim, job: &str) -> Option<String> {
    let url = format!("{}/api/jobs/sf-tester/{job}/logs", hub.url());
    let get = reqwest::Client::new()
        .get(url)
        .bearer_auth(sf_hubsim::TEST_TOKEN)
        .send();
    let text = tokio::time::timeout(Duration::from_secs(15), async {
        get.await.ok()?.text().await.ok()
    })
    .await
    .ok()??;
    // Each log line is an SSE `data:` line holding `{"data": <line>, "timestamp": …}`.
    text.lines().rev().find_map(|l| {
        let v: serde_json::Value =
            serde_json::from_str(l.trim_start_matches("data:").trim()).ok()?;
        let line = v["data"].as_str()?;
        line.starts_with("record: ").then(|| line.to_string())
    })
}

/// Prints the table.
pub fn report(l: &Liveness) {
    let mut total = Vec::new();
    let mut to_bucket = Vec::new();
    let mut to_screen = Vec::new();
    let mut missed = 0;
    for (_, ts, published, shown) in &l.events {
        match shown {
            Some(s) => {
                total.push(s - ts);
                if let Some(p) = published {
                    to_bucket.push(p - ts);
                    to_screen.push(s - p);
                }
            }
            None => missed += 1,
        }
    }
    let uploads: u64 = l.uploads.values().sum();
    println!(
        "\nrun record liveness: one local build (hubsim, strict FUSE bucket mount, release worker, demo agent), \
         ended {} after {:.0} s, {} events",
        l.status,
        l.run_seconds,
        l.events.len()
    );
    println!("| measure | median | worst |");
    println!("|---|---|---|");
    let row =
        |name: &str, xs: &[f64]| println!("| {name} | {:.1} s | {:.1} s |", median(xs), worst(xs));
    row(
        "event → on the run page (ts is whole seconds: +0–1 s)",
        &total,
    );
    row(
        "  event → published in the bucket (worker debounce, FUSE close)",
        &to_bucket,
    );
    row(
        "  published → on the run page (page polls every 3 s)",
        &to_screen,
    );
    println!("| uploads per run (publishing closes, hubsim FUSE) | {uploads} | |");
    if missed > 0 {
        println!("({missed} events were never seen on the page in order)");
    }
    let files: Vec<String> = l.uploads.iter().map(|(f, n)| format!("{f} {n}")).collect();
    println!("uploads by file: {}", files.join(", "));
    match &l.worker_says {
        Some(line) => println!("the worker's job log says: {line}"),
        None => println!("the worker's `record: N uploads` line was not found in the job log"),
    }
}
