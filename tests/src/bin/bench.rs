//! `cargo xtask bench` runs this: the one side-by-side comparison with the Gradio app the project
//! replaces, measured in one real headless Chromium and never asserted in tests.
//!
//! Three pages are loaded cold (cache disabled and emptied, storage cleared), alternating, `N`
//! times each (`SF_BENCH_RUNS`, default 7), on loopback and on two emulated networks (CDP
//! `Network.emulateNetworkConditions`), optionally with a phone's slower CPU
//! (`SF_BENCH_CPU_SLOWDOWN=4`):
//! - the Gradio peer (`SF_PEER_DIR`: a folder with the seed's `app.py`, the peer's `src/` and
//!   `run_peer.py`; Gradio compresses its own responses), when `SF_PYTHON` has `gradio[oauth]`;
//! - ours as the Hub simulator serves a static Space: no compression;
//! - ours from a small gzip static server, as a host that compresses would.
//!
//! A load is done when the Build button is on screen and usable: for the peer the button
//! `Build private Space`; for ours `#launch-build` rendered by the running app (the static
//! first screen in `index.html` does not count: the app removes `#boot` when it mounts). For each
//! it reports that time (median, min–max, ratio to the peer), the bytes on the wire and the
//! requests made until then. Then the refresh latency of one Hub round trip (Check run bucket).
//!
//! Second part ([`liveness`]): one local build on the simulator's strict bucket mount, followed
//! on the run page: how long an event takes from the worker to the screen (median, worst) and
//! how many uploads the run record costs. Needs the release folder (`SF_RELEASE_DIR`).

// Under bench/: a file directly in src/bin/ would be taken for another binary.
#[path = "bench/liveness.rs"]
mod liveness;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub};
use sf_hubsim::TEST_TOKEN;

/// Installed before the page's scripts: records when the Build button is visible in the running
/// app (ours: `#boot` gone, i.e. the wasm app mounted).
const READY_HOOK: &str = r#"
(() => {
  const ready = () => {
    if (document.getElementById('boot')) return false;
    for (const b of document.querySelectorAll('button')) {
      const t = b.textContent || '';
      if ((b.id === 'launch-build' || t.includes('Build private Space')) && b.getBoundingClientRect().width > 0) return true;
    }
    return false;
  };
  const obs = new MutationObserver(() => {
    if (window.__sfReadyAt === undefined && ready()) { window.__sfReadyAt = performance.now(); obs.disconnect(); }
  });
  obs.observe(document, {childList: true, subtree: true, attributes: true});
})();
"#;

/// What a first load fetched until the Build button was usable.
const FIRST_LOAD: &str = r#"
const until = window.__sfReadyAt;
const nav = performance.getEntriesByType('navigation')[0];
// Everything requested before the button was usable (it may have ended later).
const res = performance.getEntriesByType('resource').filter(r => r.startTime <= until);
return {ready: until,
        nav: {name: 'index.html (navigation)', size: nav.transferSize, body: nav.decodedBodySize},
        res: res.map(r => ({name: r.name.split('?')[0].split('/').pop() || r.name, size: r.transferSize, body: r.decodedBodySize}))};
"#;

struct Net {
    name: &'static str,
    /// (latency ms, download bit/s, upload bit/s); `None`: loopback, no emulation.
    shape: Option<(f64, f64, f64)>,
}

const NETS: [Net; 3] = [
    Net {
        name: "loopback",
        shape: None,
    },
    Net {
        name: "Fast 4G (9 Mbit/s, 150 ms)",
        shape: Some((150.0, 9_000_000.0, 1_500_000.0)),
    },
    Net {
        name: "slow (1.6 Mbit/s, 150 ms)",
        shape: Some((150.0, 1_600_000.0, 750_000.0)),
    },
];

struct Target {
    name: &'static str,
    url: String,
    origin: String,
}

#[derive(Default, Clone)]
struct Sample {
    ms: f64,
    bytes: f64,
    requests: usize,
    files: Vec<(String, f64, f64)>,
}

fn median(xs: &[f64]) -> f64 {
    let mut xs = xs.to_vec();
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One cold load of `t` on `net`. With `shot`, a screenshot of what the page shows as soon as it
/// has loaded (the wasm may still be on its way), saved under that name.
async fn load(b: &Browser, t: &Target, net: &Net, shot: Option<&str>) -> Result<Sample, String> {
    b.goto("about:blank").await;
    b.cdp("Network.enable", json!({})).await?;
    b.cdp("Network.setCacheDisabled", json!({"cacheDisabled": true}))
        .await?;
    b.cdp("Network.clearBrowserCache", json!({})).await?;
    b.cdp("Network.clearBrowserCookies", json!({})).await?;
    b.cdp(
        "Storage.clearDataForOrigin",
        json!({"origin": t.origin, "storageTypes": "all"}),
    )
    .await?;
    let (latency, down, up) = net.shape.unwrap_or((0.0, -1.0, -1.0));
    let bytes_per_s = |bits: f64| if bits < 0.0 { -1.0 } else { bits / 8.0 };
    b.cdp(
        "Network.emulateNetworkConditions",
        json!({"offline": false, "latency": latency,
               "downloadThroughput": bytes_per_s(down), "uploadThroughput": bytes_per_s(up)}),
    )
    .await?;
    b.goto(&t.url).await;
    if let Some(name) = shot {
        let booting = b
            .client
            .execute("return !!document.getElementById('boot')", vec![])
            .await
            .unwrap_or(Value::Null);
        let path = b.screenshot(name).await;
        println!(
            "screenshot of the first screen on {} ({}): {}",
            net.name,
            if booting == json!(true) {
                "static first screen, the app not yet running"
            } else {
                "the app already running"
            },
            path.display()
        );
    }
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let ready = b
            .client
            .execute("return window.__sfReadyAt ?? null", vec![])
            .await
            .unwrap_or(Value::Null);
        if ready.is_number() {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} on {}: the Build button never became usable; the page showed:\n{}",
                t.name,
                net.name,
                b.text().await
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // Requests still under way when the button appeared are listed once they end: wait until the
    // list stops growing (at most 15 s) so that they count too.
    let mut seen = -1i64;
    let settle = Instant::now() + Duration::from_secs(15);
    while Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = b
            .client
            .execute(
                "return performance.getEntriesByType('resource').length",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_i64())
            .unwrap_or(0);
        if now == seen {
            break;
        }
        seen = now;
    }
    let first = b
        .client
        .execute(FIRST_LOAD, vec![])
        .await
        .map_err(|e| e.to_string())?;
    let mut s = Sample {
        ms: first["ready"].as_f64().unwrap_or(f64::NAN),
        ..Sample::default()
    };
    let entries =
        std::iter::once(&first["nav"]).chain(first["res"].as_array().into_iter().flatten());
    for r in entries {
        let size = r["size"].as_f64().unwrap_or(0.0);
        s.bytes += size;
        s.requests += 1;
        s.files.push((
            r["name"].as_str().unwrap_or("?").to_string(),
            size,
            r["body"].as_f64().unwrap_or(0.0),
        ));
    }
    Ok(s)
}

/// The web app as `cargo xtask dist` deploys it, in a folder of its own: the files of dist/ and
/// the release folder's `index.html`, which carries the policy for huggingface.co. Served by the
/// simulator, the page reaches the Hub on its own origin ('self'), which the policy allows.
fn deployed_app() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = sf_e2e::dist_dir();
    for entry in walk(&dist) {
        let to = dir.path().join(entry.strip_prefix(&dist).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, to).unwrap();
    }
    let page = std::fs::read_to_string(sf_e2e::release_dir().join("index.html")).unwrap();
    assert!(
        page.contains("Content-Security-Policy"),
        "the release folder's page carries its policy"
    );
    std::fs::write(dir.path().join("index.html"), page).unwrap();
    dir
}

/// The Gradio peer on a free port, from `SF_PEER_DIR` with `SF_PYTHON`.
async fn start_peer() -> Option<(tokio::process::Child, Target, tempfile::TempDir)> {
    let dir = PathBuf::from(std::env::var_os("SF_PEER_DIR")?);
    let python = PathBuf::from(std::env::var_os("SF_PYTHON")?);
    let app = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        std::process::Command::new("cp")
            .arg("-r")
            .arg(from)
            .arg(to)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let seed = std::env::var_os("SF_PEER_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("../seed/app.py"));
    if !copy(&dir.join("src"), app.path()) || !copy(&seed, app.path()) {
        eprintln!(
            "bench: cannot copy the peer from {} and {}: measuring ours only",
            dir.display(),
            seed.display()
        );
        return None;
    }
    // run_peer.py with its fixed port replaced by a free one.
    let port = free_port();
    let runner = std::fs::read_to_string(dir.join("run_peer.py")).ok()?;
    let runner = runner.replace("server_port=7861", &format!("server_port={port}"));
    std::fs::write(app.path().join("run_peer.py"), runner).ok()?;
    let child = tokio::process::Command::new(&python)
        .arg("run_peer.py")
        .current_dir(app.path())
        .env("GRADIO_ANALYTICS_ENABLED", "False")
        .env("HF_HUB_OFFLINE", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .ok()?;
    let origin = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{origin}/")).await
            && r.status().is_success()
        {
            let target = Target {
                name: "Gradio peer (Gradio compresses)",
                url: format!("{origin}/"),
                origin,
            };
            return Some((child, target, app));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eprintln!("bench: the Gradio peer did not start within 2 minutes: measuring ours only");
    None
}

/// A static host that gzips what it sends (level 6, as common hosts do), files already
/// compressed (`.gz`, `.br`) excepted; `index.html` gets the Space variables like on the Hub.
async fn gzip_server(dir: &Path, variables: BTreeMap<String, String>) -> String {
    let mut files: BTreeMap<String, (Vec<u8>, Vec<u8>, &'static str)> = BTreeMap::new();
    for entry in walk(dir) {
        let rel = entry
            .strip_prefix(dir)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let mut bytes = std::fs::read(&entry).unwrap();
        if rel == "index.html" {
            let html = String::from_utf8_lossy(&bytes).to_string();
            // The deployed policy lets the page reach huggingface.co; here the Hub is the
            // simulator on another origin, added to it (the page grows by that origin's length:
            // what is measured is never less than what is deployed).
            let hub = &variables["SF_HUB_URL"];
            let html = html.replacen(
                "connect-src 'self'",
                &format!("connect-src 'self' {hub}"),
                1,
            );
            bytes = sf_hubsim::inject_space_variables(&html, &variables).into_bytes();
        }
        let already = rel.ends_with(".gz") || rel.ends_with(".br");
        let gz = if already {
            Vec::new()
        } else {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            e.write_all(&bytes).unwrap();
            e.finish().unwrap()
        };
        let mime = match rel.rsplit('.').next().unwrap_or("") {
            "html" => "text/html; charset=utf-8",
            "js" => "text/javascript",
            "css" => "text/css",
            "wasm" => "application/wasm",
            "svg" => "image/svg+xml",
            _ => "application/octet-stream",
        };
        files.insert(rel, (bytes, gz, mime));
    }
    let files = std::sync::Arc::new(files);
    let app = axum::Router::new().fallback(move |uri: http::Uri, headers: http::HeaderMap| {
        let files = files.clone();
        async move {
            use axum::http::{StatusCode, header};
            use axum::response::IntoResponse;
            let path = uri.path().trim_start_matches('/');
            let path = if path.is_empty() { "index.html" } else { path };
            let Some((raw, gz, mime)) = files.get(path) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let accepts = headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("gzip"));
            if accepts && !gz.is_empty() {
                (
                    [
                        (header::CONTENT_TYPE, *mime),
                        (header::CONTENT_ENCODING, "gzip"),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    gz.clone(),
                )
                    .into_response()
            } else {
                (
                    [
                        (header::CONTENT_TYPE, *mime),
                        (header::CACHE_CONTROL, "no-cache"),
                    ],
                    raw.clone(),
                )
                    .into_response()
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn kb(bytes: f64) -> String {
    format!("{:.0} KB", bytes / 1000.0)
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::var("SF_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7)
        .max(1);
    // The page as deployed: the release folder's index.html, with its Content-Security-Policy
    // (about 750 bytes that dist/'s page has not), and the web app's files. The gzip host's page
    // reads the Hub from another origin: without `Timing-Allow-Origin` its resource timings would
    // show 0 bytes for the Hub's answers (the hardware lists).
    let app = deployed_app();
    let app_dir = app.path().to_path_buf();
    let hub = Hub::start_with(false, move |mut c| {
        c.app_dir = Some(app_dir);
        c.timing_allow_origin = true;
        c
    })
    .await;
    let gz_url = gzip_server(app.path(), hub.sim.space_variables()).await;
    let peer = start_peer().await;

    let mut targets = Vec::new();
    if let Some((_, t, _)) = &peer {
        targets.push(Target {
            name: t.name,
            url: t.url.clone(),
            origin: t.origin.clone(),
        });
    }
    targets.push(Target {
        name: "Space Factory, host does not compress (hubsim)",
        url: format!("{}/?view=build", hub.url),
        origin: hub.url.clone(),
    });
    targets.push(Target {
        name: "Space Factory, host gzips",
        url: format!("{gz_url}/?view=build"),
        origin: gz_url.clone(),
    });
    println!(
        "benchmark: {runs} cold loads of each page per network, alternating, one headless Chromium"
    );

    let b = Browser::start(1280, 900).await;
    b.add_init_script(READY_HOOK).await;
    // A phone's CPU: `SF_BENCH_CPU_SLOWDOWN=4` runs every page's scripts 4 times slower (CDP
    // `Emulation.setCPUThrottlingRate`), which counts what the page does with its bytes (the
    // wasm's decoding and compiling) as a phone would feel it.
    if let Some(rate) = std::env::var("SF_BENCH_CPU_SLOWDOWN")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|r| *r > 1.0)
    {
        b.cdp("Emulation.setCPUThrottlingRate", json!({"rate": rate}))
            .await
            .expect("CPU throttling");
        println!("CPU slowed down {rate}× (SF_BENCH_CPU_SLOWDOWN)");
    }
    // samples[net][target]
    let mut samples: Vec<Vec<Vec<Sample>>> = vec![vec![Vec::new(); targets.len()]; NETS.len()];
    for run in 0..runs {
        for (n, net) in NETS.iter().enumerate() {
            for (i, t) in targets.iter().enumerate() {
                let shot = (run == 0 && n == NETS.len() - 1 && t.name.contains("hubsim"))
                    .then_some("bench-first-screen-slow");
                match load(&b, t, net, shot).await {
                    Ok(s) => samples[n][i].push(s),
                    Err(e) => eprintln!("bench: run {run}: {e}"),
                }
            }
        }
        eprint!(".");
    }
    eprintln!();
    let _ = b
        .cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
        )
        .await;

    // What each page fetched on its first load (loopback, first run).
    for (i, t) in targets.iter().enumerate() {
        let Some(s) = samples[0][i].first() else {
            continue;
        };
        println!(
            "\nfirst load of {} (until the Build button is usable):",
            t.name
        );
        if s.files.len() <= 12 {
            for (name, size, body) in &s.files {
                println!("  {name:<52} {size:>9.0} bytes on the wire {body:>9.0} bytes decoded");
            }
        }
        println!(
            "  {} requests, {:.0} bytes on the wire",
            s.requests, s.bytes
        );
    }

    println!(
        "\n| page | network | Build button usable: median (min–max) | ratio to the peer | on the wire | requests |"
    );
    println!("|---|---|---|---|---|---|");
    for (n, net) in NETS.iter().enumerate() {
        let peer_median = peer
            .as_ref()
            .and_then(|_| samples[n].first())
            .filter(|s| !s.is_empty())
            .map(|s| median(&s.iter().map(|x| x.ms).collect::<Vec<_>>()));
        for (i, t) in targets.iter().enumerate() {
            let s = &samples[n][i];
            if s.is_empty() {
                println!("| {} | {} | no successful load | | | |", t.name, net.name);
                continue;
            }
            let ms: Vec<f64> = s.iter().map(|x| x.ms).collect();
            let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ms.iter().copied().fold(0.0, f64::max);
            let m = median(&ms);
            let ratio = match peer_median {
                Some(p) if !(peer.is_some() && i == 0) => format!("{:.2}×", m / p),
                Some(_) => "1".into(),
                None => "no peer".into(),
            };
            let bytes = median(&s.iter().map(|x| x.bytes).collect::<Vec<_>>());
            let reqs = median(&s.iter().map(|x| x.requests as f64).collect::<Vec<_>>());
            println!(
                "| {} | {} | {m:.0} ms ({min:.0}–{max:.0}) | {ratio} | {} | {reqs:.0} |",
                t.name,
                net.name,
                kb(bytes)
            );
        }
    }
    b.close().await;
    drop(peer);

    // Refresh latency: one bucket check round trip, click to outcome.
    hub.control("POST", "/buckets/sf-tester/space-factory-runs", json!({}))
        .await;
    let b = Browser::start(1280, 900).await;
    b.goto(&format!("{}/", hub.url)).await;
    b.fill("#token", TEST_TOKEN).await.unwrap();
    b.click_button("Use this token").await.unwrap();
    b.wait_for_text("Signed in as").await.unwrap();
    let mut lat = Vec::new();
    for _ in 0..10 {
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
        "\nrefresh latency (Check run bucket: click → answer shown, loopback), median of 10: {:.1} ms",
        median(&lat)
    );
    hub.sim.shutdown().await;

    // Second part: the run record's liveness on a local build.
    let python = std::env::var_os("SF_PYTHON").map(PathBuf::from);
    match (python, std::env::var_os("SF_RELEASE_DIR")) {
        (Some(python), Some(_)) => match liveness::measure(&python).await {
            Ok(l) => liveness::report(&l),
            Err(e) => println!("\nrun record liveness: not measured: {e}"),
        },
        _ => println!(
            "\nrun record liveness: not measured: SF_PYTHON and SF_RELEASE_DIR are needed (run `cargo xtask bench`)"
        ),
    }
}
