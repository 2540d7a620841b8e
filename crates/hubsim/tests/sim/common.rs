//! Shared helpers for the in-process simulator tests.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sf_hubsim::{HubSim, SimConfig};

pub struct Env {
    pub sim: HubSim,
    pub url: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start() -> Env {
    start_with(|c| c).await
}

pub async fn start_with(adjust: impl FnOnce(SimConfig) -> SimConfig) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = adjust(SimConfig::for_tests(dir.path().join("data")));
    let sim = HubSim::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("simulator starts");
    let url = sim.url();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env {
        sim,
        url,
        http,
        _dir: dir,
    }
}

impl Env {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.get(self.at(path)).bearer_auth(token)
    }

    pub fn post(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.http.post(self.at(path)).bearer_auth(token)
    }

    /// Calls the control API and insists it succeeded.
    pub async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method, self.at(&format!("/__sim{path}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "control {path} failed: {status} {v}");
        v
    }

    pub async fn mint(&self, user: &str, scopes: &[&str], expires_in: Option<i64>) -> String {
        let v = self
            .control(
                reqwest::Method::POST,
                "/tokens",
                json!({ "user": user, "scopes": scopes, "expires_in": expires_in }),
            )
            .await;
        v["token"].as_str().unwrap().to_string()
    }

    pub async fn write_bucket_file(&self, bucket: &str, path: &str, body: &str) {
        let r = self
            .http
            .put(self.at(&format!("/__sim/buckets/{bucket}/files/{path}")))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "write {path}: {}", r.status());
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// Polls `f` until it returns `Some`, failing after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every `data:` payload of an SSE body.
pub fn sse_events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str(d).expect("SSE data is JSON"))
        .collect()
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(r: &reqwest::Response) -> Option<String> {
    let link = r.headers().get("link")?.to_str().ok()?;
    let (url, rel) = link.split_once(';')?;
    rel.contains("rel=\"next\"").then(|| {
        url.trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string()
    })
}

/// Follows `Link` pagination and returns all items.
pub async fn all_pages(env: &Env, first: String, token: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(first);
    while let Some(url) = next {
        let r = env.http.get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        next = next_link(&r);
        let page: Vec<Value> = r.json().await.unwrap();
        items.extend(page);
        pages += 1;
    }
    (items, pages)
}
