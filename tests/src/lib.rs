//! Helpers for the end-to-end tests: a plain static file server (no rewrites, like a static
//! Space) and a headless Chromium driven over WebDriver that records every console error.
//!
//! The tests need the release app in `SF_DIST_DIR` and Chromium; `cargo xtask test` provides both.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};

/// The release page's Content-Security-Policy, the very code `cargo xtask dist` writes it with.
#[path = "../../xtask/src/csp.rs"]
pub mod csp;

/// Runs `$body` (an async block giving `Result<(), String>`) in a fresh browser of the given
/// size, closes the browser whatever happens, then fails the test on `Err`.
#[macro_export]
macro_rules! scenario {
    ($width:expr, $height:expr, |$b:ident| $body:block) => {{
        let $b = $crate::Browser::start($width, $height).await;
        let outcome: Result<(), String> = async { $body }.await;
        $b.close().await;
        outcome.unwrap();
    }};
}

/// The built release app. Panics with the fix when it is missing.
pub fn dist_dir() -> PathBuf {
    let dir = std::env::var_os("SF_DIST_DIR").map(PathBuf::from).unwrap_or_else(|| {
        panic!("SF_DIST_DIR is not set: run the browser tests with `cargo xtask test`, which builds the app first")
    });
    assert!(
        dir.join("index.html").exists(),
        "{} has no index.html: run `cargo xtask build-app`",
        dir.display()
    );
    dir
}

/// The release folder (`cargo xtask dist`: app, static worker, Space README), from
/// `SF_RELEASE_DIR`. Panics with the fix when it is missing.
pub fn release_dir() -> PathBuf {
    let dir = std::env::var_os("SF_RELEASE_DIR").map(PathBuf::from).unwrap_or_else(|| {
        panic!("SF_RELEASE_DIR is not set: run the browser tests with `cargo xtask test`, which builds the release folder first")
    });
    for file in ["index.html", "README.md", "worker/space-factory-worker"] {
        assert!(
            dir.join(file).is_file(),
            "{} has no {file}: run `cargo xtask dist`",
            dir.display()
        );
    }
    dir
}

/// The project's Python (`SF_PYTHON`, the set-up's venv with Gradio): the simulator runs the
/// generated Spaces with it.
pub fn python() -> PathBuf {
    std::env::var_os("SF_PYTHON")
        .map(Into::into)
        .expect("SF_PYTHON is not set: run the tests with `cargo xtask test`")
}

/// The factory Space the release folder is uploaded to: jobs mount it to find the worker.
pub const FACTORY_SPACE: &str = "sf-tester/space-factory";

/// The whole product on this machine, from the release folder (`SF_RELEASE_DIR`): the simulator
/// holds that folder as the factory Space (its worker runs as the jobs), runs the generated
/// Gradio Spaces with the model stand-ins, and codes with its demo agent; the app is served on
/// its own origin as a static Space, with the Hub's variables set the way the Hub injects them.
pub struct LocalFactory {
    pub hub: sf_hubsim::HubSim,
    /// The app, as on `*.hf.space`.
    pub site: StaticServer,
    /// The simulator's data (buckets and Spaces as folders).
    pub data: tempfile::TempDir,
}

impl LocalFactory {
    /// `tune` adds to the simulator's configuration (OAuth, how long a Space may take to start).
    pub async fn start(
        tune: impl FnOnce(sf_hubsim::SimConfig) -> sf_hubsim::SimConfig,
    ) -> LocalFactory {
        let release = release_dir();
        let data = tempfile::tempdir().expect("temp dir");
        let cfg = tune(
            sf_hubsim::SimConfig::for_tests(data.path())
                .with_app_dir(&release)
                .with_seed_space(FACTORY_SPACE, &release)
                .with_space_runtime(python())
                .with_space_pythonpath(sf_hubsim::model_stand_ins())
                .with_demo_agent()
                .with_variable("SF_FACTORY_SPACE", FACTORY_SPACE),
        );
        let hub = sf_hubsim::HubSim::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start hubsim");
        let mut variables = hub.space_variables();
        variables.insert("SF_INFERENCE_URL".into(), format!("{}/v1", hub.url()));
        let site = StaticServer::start_as_space(&release, variables).await;
        LocalFactory { hub, site, data }
    }

    /// Stops the simulator's jobs and Spaces.
    pub async fn shutdown(self) {
        self.hub.shutdown().await;
    }
}

/// Where screenshots go so a person can look at them: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).expect("create target/screenshots");
    dir
}

/// A plain static server for a folder: exact paths only, 404 for anything else.
pub struct StaticServer {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl StaticServer {
    pub async fn start(dir: &Path) -> StaticServer {
        StaticServer::serve(
            axum::Router::new().fallback_service(tower_http::services::ServeDir::new(dir)),
        )
        .await
    }

    /// Serves `dir` as the Hub hosts a static Space: exact paths only, and `index.html` (also
    /// at `/`) with `window.huggingface.variables` set to `variables`. A page that carries a
    /// Content-Security-Policy (a release folder) gets the policy for the Hub it is pointed at
    /// (`SF_HUB_URL`), as `cargo xtask dist` would write it for that Hub.
    pub async fn start_as_space(
        dir: &Path,
        variables: std::collections::BTreeMap<String, String>,
    ) -> StaticServer {
        let mut html = std::fs::read_to_string(dir.join("index.html")).expect("read index.html");
        if html.contains("Content-Security-Policy") {
            let hub = variables
                .get("SF_HUB_URL")
                .map(String::as_str)
                .unwrap_or(csp::HF_HUB);
            html = csp::apply(&html, hub).expect("the policy for the page's Hub");
        }
        let page = sf_hubsim::inject_space_variables(&html, &variables);
        let index = move || {
            let page = page.clone();
            async move {
                (
                    [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                    page,
                )
            }
        };
        StaticServer::serve(
            axum::Router::new()
                .route("/", axum::routing::get(index.clone()))
                .route("/index.html", axum::routing::get(index))
                .fallback_service(tower_http::services::ServeDir::new(dir)),
        )
        .await
    }

    async fn serve(app: axum::Router) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a free port");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("static server");
        });
        StaticServer {
            url: format!("http://{addr}"),
            task,
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Headless Chromium with a fresh profile, driven through chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// The JavaScript installed before any page script runs: it keeps console errors, uncaught
/// exceptions and unhandled rejections in `window.__sfErrors` for the test to read.
const ERROR_HOOK: &str = r#"
window.__sfErrors = [];
window.__sfConsole = [];
(function () {
  const keep = (kind, args) => window.__sfErrors.push(kind + ': ' + Array.from(args).map(String).join(' '));
  for (const level of ['log', 'info', 'warn', 'debug']) {
    const orig = console[level];
    console[level] = function () { window.__sfConsole.push(level + ': ' + Array.from(arguments).map(String).join(' ')); return orig.apply(console, arguments); };
  }
  const origError = console.error;
  console.error = function () { keep('console.error', arguments); window.__sfConsole.push('error: ' + Array.from(arguments).map(String).join(' ')); return origError.apply(console, arguments); };
  window.addEventListener('error', e => keep('uncaught', [e.message]));
  window.addEventListener('unhandledrejection', e => keep('unhandled rejection', [e.reason]));
})();
"#;

#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"cmd": self.cmd, "params": self.params}).to_string()),
        )
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium window of the given size.
    pub async fn start(width: u32, height: u32) -> Browser {
        let chromedriver =
            std::env::var("SF_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("SF_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver}: {e}; run `cargo xtask setup`")
            });
        let profile = tempfile::tempdir().expect("temp profile dir");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => {
                    panic!("cannot open Chromium through chromedriver: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        client
            .issue_cmd(Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({"source": ERROR_HOOK}),
            })
            .await
            .expect("install the console-error hook");
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Sends a Chrome DevTools Protocol command to the page (network emulation, cache, storage).
    pub async fn cdp(&self, cmd: &'static str, params: Value) -> Result<Value, String> {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .map_err(|e| format!("{cmd}: {e}"))
    }

    /// Makes the page see `prefers-color-scheme: dark` (or light).
    pub async fn emulate_dark_scheme(&self, dark: bool) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Emulation.setEmulatedMedia",
                params: json!({"features": [{"name": "prefers-color-scheme", "value": if dark { "dark" } else { "light" }}]}),
            })
            .await
            .expect("emulate the colour scheme");
    }

    /// Adds a script that runs before the page's own scripts on every new document.
    pub async fn add_init_script(&self, source: &str) {
        self.client
            .issue_cmd(Cdp {
                cmd: "Page.addScriptToEvaluateOnNewDocument",
                params: json!({"source": source}),
            })
            .await
            .expect("install an init script");
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The visible text of the page body.
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page shows `needle`, or fails with what the page showed instead.
    pub async fn wait_for_text(&self, needle: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text().await;
            if text.contains(needle) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the page never showed {needle:?}; it showed:\n{text}\nerrors: {:?}",
                    self.errors().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Console errors, uncaught exceptions and unhandled rejections seen so far on this page.
    pub async fn errors(&self) -> Vec<String> {
        match self
            .client
            .execute("return window.__sfErrors || []", vec![])
            .await
        {
            Ok(Value::Array(items)) => items
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            other => vec![format!("could not read the error log: {other:?}")],
        }
    }

    /// `Err` naming every console error, uncaught exception and rejection the page has logged.
    pub async fn no_errors(&self) -> Result<(), String> {
        let errors = self.errors().await;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("console errors: {errors:?}"))
        }
    }

    /// Every console message (all levels) seen so far on this page.
    pub async fn console(&self) -> Vec<String> {
        match self
            .client
            .execute("return window.__sfConsole || []", vec![])
            .await
        {
            Ok(Value::Array(items)) => items
                .into_iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
            other => vec![format!("could not read the console log: {other:?}")],
        }
    }

    /// Clicks the first element matching a CSS selector (waiting for it to appear and to be
    /// enabled: a form's launch button waits for the Hub's checks of the fields).
    pub async fn click(&self, css: &str) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let el = self.find(css).await?;
            if el.attr("disabled").await.ok().flatten().is_none() {
                self.to_center(&el).await;
                return el.click().await.map_err(|e| format!("click {css}: {e}"));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{css} stayed disabled; the page showed:\n{}",
                    self.text().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Scrolls `el` to the middle of the window, as a person does before clicking: WebDriver
    /// scrolls it only just into view, where the sticky top bar can cover it.
    async fn to_center(&self, el: &fantoccini::elements::Element) {
        if let Ok(arg) = serde_json::to_value(el) {
            let _ = self
                .client
                .execute("arguments[0].scrollIntoView({block: 'center'})", vec![arg])
                .await;
        }
    }

    /// Clicks the button whose text contains `label` (waiting for it to be there and enabled).
    pub async fn click_button(&self, label: &str) -> Result<(), String> {
        let xpath = format!("//button[contains(normalize-space(.), {label:?}) and not(@disabled)]");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(el) = self.client.find(Locator::XPath(&xpath)).await {
                self.to_center(&el).await;
                return el
                    .click()
                    .await
                    .map_err(|e| format!("click {label:?}: {e}"));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no enabled button {label:?}; the page showed:\n{}",
                    self.text().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for an element matching a CSS selector.
    pub async fn find(&self, css: &str) -> Result<fantoccini::elements::Element, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                return Ok(el);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no element {css}; the page showed:\n{}",
                    self.text().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the first element matching `css` (waited for) is disabled.
    pub async fn disabled(&self, css: &str) -> Result<bool, String> {
        Ok(self
            .find(css)
            .await?
            .attr("disabled")
            .await
            .map_err(|e| e.to_string())?
            .is_some())
    }

    /// Replaces the text of an input with `text`.
    pub async fn fill(&self, css: &str, text: &str) -> Result<(), String> {
        let el = self.find(css).await?;
        // WebDriver's clear() fires no input event; empty the field the way a person would.
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); e.value = ''; e.dispatchEvent(new Event('input', {bubbles: true}));",
                vec![json!(css)],
            )
            .await
            .map_err(|e| format!("clear {css}: {e}"))?;
        if text.is_empty() {
            return Ok(());
        }
        el.send_keys(text)
            .await
            .map_err(|e| format!("type into {css}: {e}"))
    }

    /// The current value of an input.
    pub async fn value(&self, css: &str) -> Result<String, String> {
        let el = self.find(css).await?;
        el.prop("value")
            .await
            .map_err(|e| e.to_string())
            .map(Option::unwrap_or_default)
    }

    /// A localStorage entry of the page's origin.
    pub async fn local_storage(&self, key: &str) -> Option<String> {
        match self
            .client
            .execute(
                "return localStorage.getItem(arguments[0])",
                vec![json!(key)],
            )
            .await
        {
            Ok(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> Result<Value, String> {
        self.client
            .execute(script, vec![])
            .await
            .map_err(|e| e.to_string())
    }

    /// Polls `script` (returning a value) until `ok` accepts it, or fails showing the page.
    pub async fn wait_js(
        &self,
        script: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Result<Value, String> {
        let deadline = Instant::now() + limit;
        loop {
            let v = self.js(script).await?;
            if ok(&v) {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "waited {limit:?} for {script}: last {v}; the page showed:\n{}",
                    self.text().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Waits until the address contains `part`, and returns the address.
    pub async fn wait_for_url(&self, part: &str) -> Result<String, String> {
        self.wait_for_address(&format!("contained {part:?}"), |url| {
            url.contains(part).then(|| url.to_string())
        })
        .await
    }

    /// Waits until the address has the query parameter `name` (`run`, `batch`), and returns its
    /// value.
    pub async fn wait_for_query(&self, name: &str) -> Result<String, String> {
        self.wait_for_address(&format!("had ?{name}="), |url| {
            let url = url::Url::parse(url).ok()?;
            url.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
        .await
    }

    async fn wait_for_address(
        &self,
        what: &str,
        found: impl Fn(&str) -> Option<String>,
    ) -> Result<String, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let url = self.url().await;
            if let Some(v) = found(&url) {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the address never {what}: {url}\nthe page showed:\n{}",
                    self.text().await
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many requests this page load has made to an address containing `part` (the page's
    /// resource timing entries: each finished fetch, image or script).
    pub async fn requests_to(&self, part: &str) -> Result<u64, String> {
        self.client
            .execute(
                "return performance.getEntriesByType('resource').filter(r => r.name.includes(arguments[0])).length",
                vec![json!(part)],
            )
            .await
            .map_err(|e| e.to_string())?
            .as_u64()
            .ok_or_else(|| format!("no request count for {part}"))
    }

    /// The address bar.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The page's HTML as it is now.
    pub async fn html(&self) -> String {
        self.client.source().await.unwrap_or_default()
    }

    /// Scrolls the first element matching `css` to the middle of the window, then takes a screenshot.
    pub async fn screenshot_at(&self, css: &str, name: &str) -> PathBuf {
        let _ = self
            .client
            .execute(
                "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView({block: 'center'});",
                vec![json!(css)],
            )
            .await;
        self.screenshot(name).await
    }

    /// Saves a PNG screenshot under target/screenshots/ and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// Ends the session and the browser. Always call it, also when a scenario failed.
    pub async fn close(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

/// A build run's `state.json` as the worker writes it (model `Tongyi-MAI/Z-Image-Turbo`, Space
/// `sf-tester/z-image-demo`, created 2026-11-28 14:25:01, updated a minute later): a test sets
/// the fields it is about on top.
pub fn build_state(run_id: &str, status: &str, phase: &str, message: &str) -> Value {
    json!({
        "schema": 1, "run_id": run_id, "kind": "build", "status": status, "phase": phase,
        "message": message, "model_id": "Tongyi-MAI/Z-Image-Turbo", "target_space": "sf-tester/z-image-demo",
        "hardware": {"attempts": []}, "blockers": [],
        "created_at": "2026-11-28T14:25:01Z", "updated_at": "2026-11-28T14:26:00Z"
    })
}

/// The `state.json` of a build that ended well: its Space's generation works.
pub fn generation_works(run_id: &str) -> Value {
    build_state(
        run_id,
        "full_inference_success",
        "finished",
        "Generation works.",
    )
}

/// One line of a run's `events.jsonl` (info, at 2026-11-28 14:25:02), its newline included.
pub fn event_line(phase: &str, message: &str) -> String {
    format!(
        "{}\n",
        json!({"ts": "2026-11-28T14:25:02Z", "level": "info", "phase": phase, "message": message, "data": null})
    )
}

/// A 1×1 PNG: an output artifact of a run.
pub fn tiny_png() -> Vec<u8> {
    vec![
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ]
}

/// The local Hub simulator serving the release app the way a static Space does.
pub struct Hub {
    pub sim: sf_hubsim::HubSim,
    pub url: String,
    _data: tempfile::TempDir,
}

impl Hub {
    /// With an OAuth app (`OAUTH_CLIENT_ID` injected) or without (token paste).
    pub async fn start(oauth: bool) -> Hub {
        Hub::start_with(oauth, |c| c).await
    }

    pub async fn start_with(
        oauth: bool,
        tune: impl FnOnce(sf_hubsim::SimConfig) -> sf_hubsim::SimConfig,
    ) -> Hub {
        let data = tempfile::tempdir().expect("temp dir");
        let mut cfg = sf_hubsim::SimConfig::for_tests(data.path()).with_app_dir(dist_dir());
        if oauth {
            cfg = cfg.with_oauth_client_id("space-factory-test");
        }
        let sim = sf_hubsim::HubSim::start(tune(cfg), "127.0.0.1:0".parse().unwrap())
            .await
            .expect("start hubsim");
        let url = sim.url();
        Hub {
            sim,
            url,
            _data: data,
        }
    }

    /// Without OAuth (token paste), with what a deployed factory has: the signed-in person's run
    /// bucket and the factory Space the jobs mount to find the worker.
    pub async fn with_factory() -> Hub {
        let hub = Hub::start_with(false, |c| {
            c.with_variable("SF_FACTORY_SPACE", "sf-tester/space-factory")
        })
        .await;
        hub.control("POST", "/buckets/sf-tester/space-factory-runs", json!({}))
            .await;
        hub.create_space("sf-tester/space-factory", "static").await;
        hub
    }

    /// The job-creation requests the simulator received, oldest first.
    pub async fn job_requests(&self) -> Vec<Value> {
        self.control("GET", "/jobs/requests", json!(null))
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Creates a Space through the simulated Hub API, as its owner would.
    pub async fn create_space(&self, id: &str, sdk: &str) {
        let (owner, name) = id.split_once('/').expect("owner/name");
        let resp = reqwest::Client::new()
            .post(format!("{}/api/repos/create", self.url))
            .bearer_auth(sf_hubsim::TEST_TOKEN)
            .json(&json!({"type": "space", "name": name, "organization": owner, "sdk": sdk, "private": false}))
            .send()
            .await
            .expect("create a Space");
        assert!(
            resp.status().is_success() || resp.status().as_u16() == 409,
            "create Space {id}: {}",
            resp.status()
        );
    }

    /// Writes a file into a bucket, as a job's worker does through its mount.
    pub async fn put_file(&self, bucket: &str, path: &str, bytes: impl Into<Vec<u8>>) {
        let url = format!("{}/__sim/buckets/{bucket}/files/{path}", self.url);
        let resp = reqwest::Client::new()
            .put(&url)
            .body(bytes.into())
            .send()
            .await
            .expect("write a bucket file");
        assert!(resp.status().is_success(), "PUT {url}: {}", resp.status());
    }

    /// Writes run `run_id` into `bucket` as its worker does: each of `files` (a path inside the
    /// run's folder, and its bytes), then `state` as its `state.json` (last, so that a page
    /// that sees the new state also finds the files).
    pub async fn put_run(
        &self,
        bucket: &str,
        run_id: &str,
        state: &Value,
        files: Vec<(&str, Vec<u8>)>,
    ) {
        for (name, bytes) in files {
            self.put_run_file(bucket, run_id, name, bytes).await;
        }
        self.put_run_file(
            bucket,
            run_id,
            sf_core::record::STATE_FILE,
            state.to_string(),
        )
        .await;
    }

    /// Writes one file of run `run_id`'s folder (`runs/<run id>/<name>`) into `bucket`, as its
    /// worker does through the mount.
    pub async fn put_run_file(
        &self,
        bucket: &str,
        run_id: &str,
        name: &str,
        bytes: impl Into<Vec<u8>>,
    ) {
        let id = sf_core::ids::RunId::parse(run_id)
            .unwrap_or_else(|e| panic!("{run_id:?} is not a run id: {e}"));
        self.put_file(bucket, &sf_core::record::run_file(&id, name), bytes)
            .await;
    }

    /// Calls the simulator's test-only control API (`/__sim/...`).
    pub async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let client = reqwest::Client::new();
        let url = format!("{}/__sim{path}", self.url);
        let req = match method {
            "POST" => client.post(&url).json(&body),
            "PUT" => client.put(&url).json(&body),
            "DELETE" => client.delete(&url),
            _ => client.get(&url),
        };
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        assert!(
            resp.status().is_success(),
            "{method} {url}: {}",
            resp.status()
        );
        resp.json().await.unwrap_or(Value::Null)
    }
}

impl Browser {
    /// Signs in on the start page by pasting the simulator's test token.
    pub async fn sign_in_with_token(&self, hub: &Hub) -> Result<(), String> {
        self.sign_in_with_token_at(&hub.url).await
    }

    /// The same on the app served at `site` (a [`LocalFactory`]'s own origin).
    pub async fn sign_in_with_token_at(&self, site: &str) -> Result<(), String> {
        self.goto(&format!("{site}/")).await;
        self.fill("#token", sf_hubsim::TEST_TOKEN).await?;
        self.click_button("Use this token").await?;
        self.wait_for_text("Signed in as sf-tester").await
    }
}
