//! A Space's Gradio app over plain HTTP: `/config`, `/gradio_api/info`, `/health`,
//! `/gradio_api/call/<name>` and its event stream, and file downloads.
//!
//! The user's token travels as `X-HF-Authorization: Bearer …` (the header the Space proxy accepts
//! and strips) and only to the Space's own origin: never to another host, not even after a
//! redirect (redirects are followed by hand, at most five, the header kept only while the origin
//! stays the same).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use sf_hub::sse::SseParser;
use url::Url;

/// The header that carries the token to a Space.
pub const AUTH_HEADER: &str = "X-HF-Authorization";
const MAX_REDIRECTS: usize = 5;

/// Why talking to the Space's app failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradioError {
    #[error("The Space's address `{0}` is not a usable http(s) URL.")]
    BadAddress(String),
    #[error("Could not reach the Space at {url} ({detail}).")]
    Network { url: String, detail: String },
    #[error("The Space answered HTTP {status} to {what}{}.", excerpt(.body))]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    #[error("The Space's answer to {what} could not be read ({detail}).")]
    Decode { what: String, detail: String },
    #[error("The call to {api} gave no result within {seconds} s.")]
    TimedOut { api: String, seconds: u64 },
    #[error("The event stream of {api} ended without a result.")]
    StreamEnded { api: String },
    #[error("The output file is larger than {limit_mb} MB and was not downloaded.")]
    TooLarge { limit_mb: usize },
}

fn excerpt(body: &str) -> String {
    let t = body.trim();
    if t.is_empty() {
        String::new()
    } else {
        let cut: String = t.chars().take(300).collect();
        format!(": {cut}")
    }
}

/// The end of a call's event stream.
#[derive(Debug, Clone, PartialEq)]
pub enum CallResult {
    /// `event: complete` — the outputs.
    Complete(Vec<Value>),
    /// `event: error` — Gradio's message when it sent one (`gr.Error`), `None` otherwise.
    Error(Option<String>),
}

/// One parameter of an endpoint, from `/gradio_api/info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiParam {
    pub name: Option<String>,
    pub has_default: bool,
    pub default: Value,
    pub component: Option<String>,
}

/// A named endpoint, from `/gradio_api/info`.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiEndpoint {
    /// With its leading `/`.
    pub name: String,
    pub parameters: Vec<ApiParam>,
    /// The components of its outputs (e.g. `Image`).
    pub returns: Vec<String>,
}

/// The named endpoints listed by `/gradio_api/info`.
pub fn endpoints(info: &Value) -> Vec<ApiEndpoint> {
    let Some(named) = info.get("named_endpoints").and_then(Value::as_object) else {
        return Vec::new();
    };
    named
        .iter()
        .map(|(name, ep)| ApiEndpoint {
            name: if name.starts_with('/') {
                name.clone()
            } else {
                format!("/{name}")
            },
            parameters: ep
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| ApiParam {
                            name: p
                                .get("parameter_name")
                                .or_else(|| p.get("label"))
                                .and_then(Value::as_str)
                                .map(str::to_string),
                            has_default: p
                                .get("parameter_has_default")
                                .and_then(Value::as_bool)
                                .unwrap_or(false),
                            default: p.get("parameter_default").cloned().unwrap_or(Value::Null),
                            component: p
                                .get("component")
                                .and_then(Value::as_str)
                                .map(str::to_string),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            returns: ep
                .get("returns")
                .and_then(Value::as_array)
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r.get("component").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The positional `data` of a call: `args` in order, then each further parameter from `kwargs`
/// by name, else its default. Fails when a parameter has no value, a keyword names no parameter,
/// or there are more args than parameters.
pub fn call_data(
    ep: &ApiEndpoint,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Vec<Value>, String> {
    if args.len() > ep.parameters.len() {
        return Err(format!(
            "{} takes {} input(s) but {} test args were given",
            ep.name,
            ep.parameters.len(),
            args.len()
        ));
    }
    for key in kwargs.keys() {
        let known = ep
            .parameters
            .iter()
            .skip(args.len())
            .any(|p| p.name.as_deref() == Some(key.as_str()));
        if !known {
            let names: Vec<&str> = ep
                .parameters
                .iter()
                .filter_map(|p| p.name.as_deref())
                .collect();
            return Err(format!(
                "{} has no input named `{key}` left to fill (its inputs: {})",
                ep.name,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    let mut data = args.to_vec();
    for (i, p) in ep.parameters.iter().enumerate().skip(args.len()) {
        match p.name.as_deref().and_then(|n| kwargs.get(n)) {
            Some(v) => data.push(v.clone()),
            None if p.has_default => data.push(p.default.clone()),
            None => {
                return Err(format!(
                    "{} needs a value for input {} (`{}`); add it to the test args or kwargs",
                    ep.name,
                    i + 1,
                    p.name.as_deref().unwrap_or("unnamed")
                ));
            }
        }
    }
    Ok(data)
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// The Gradio app of one Space, at its own origin.
#[derive(Clone)]
pub struct SpaceApp {
    http: reqwest::Client,
    origin: Url,
    token: Option<String>,
}

impl std::fmt::Debug for SpaceApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpaceApp")
            .field("origin", &self.origin.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl SpaceApp {
    /// The app at `host` (e.g. `https://alice-demo.hf.space`); `token` goes only there.
    pub fn new(host: &str, token: Option<&str>) -> Result<SpaceApp, GradioError> {
        let origin = Url::parse(host.trim().trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| GradioError::BadAddress(host.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("space-factory-worker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GradioError::Network {
                url: host.to_string(),
                detail: e.to_string(),
            })?;
        Ok(SpaceApp {
            http,
            origin,
            token: token.map(str::to_string).filter(|t| !t.is_empty()),
        })
    }

    /// The app's origin, e.g. `https://alice-demo.hf.space`.
    pub fn origin(&self) -> String {
        self.origin.as_str().trim_end_matches('/').to_string()
    }

    fn url(&self, path: &str) -> Url {
        self.origin
            .join(path)
            .unwrap_or_else(|_| self.origin.clone())
    }

    fn with_auth(&self, url: &Url, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) if same_origin(url, &self.origin) => {
                req.header(AUTH_HEADER, format!("Bearer {t}"))
            }
            _ => req,
        }
    }

    fn network(url: &Url, e: &reqwest::Error) -> GradioError {
        GradioError::Network {
            url: url.as_str().to_string(),
            detail: if e.is_timeout() {
                "timed out".to_string()
            } else if e.is_connect() {
                "connection failed".to_string()
            } else {
                e.to_string()
            },
        }
    }

    /// GET with redirects followed by hand (the token only on the app's origin).
    async fn get(&self, url: Url, timeout: Duration) -> Result<reqwest::Response, GradioError> {
        let mut url = url;
        for _ in 0..=MAX_REDIRECTS {
            let req = self.with_auth(&url, self.http.get(url.clone()).timeout(timeout));
            let resp = req.send().await.map_err(|e| Self::network(&url, &e))?;
            if resp.status().is_redirection()
                && let Some(next) = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
            {
                url = next;
                continue;
            }
            return Ok(resp);
        }
        Err(GradioError::Network {
            url: url.as_str().to_string(),
            detail: "too many redirects".to_string(),
        })
    }

    async fn get_json(&self, path: &str, what: &str) -> Result<Value, GradioError> {
        let resp = self.get(self.url(path), Duration::from_secs(30)).await?;
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(GradioError::Status {
                what: what.to_string(),
                status,
                body,
            });
        }
        serde_json::from_str(&body).map_err(|e| GradioError::Decode {
            what: what.to_string(),
            detail: e.to_string(),
        })
    }

    /// `GET /config`.
    pub async fn config(&self) -> Result<Value, GradioError> {
        self.get_json("/config", "/config").await
    }

    /// `GET /gradio_api/info`.
    pub async fn api_info(&self) -> Result<Value, GradioError> {
        self.get_json("/gradio_api/info", "/gradio_api/info").await
    }

    /// `GET /health`: the status and (the start of) the body.
    pub async fn health(&self) -> Result<(u16, String), GradioError> {
        let resp = self
            .get(self.url("/health"), Duration::from_secs(30))
            .await?;
        let status = resp.status().as_u16();
        let body: String = resp
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(500)
            .collect();
        Ok((status, body))
    }

    /// Calls `api` (`/name`) with positional `data`, then reads its event stream until the first
    /// `complete` or `error`, everything within `timeout`.
    pub async fn call(
        &self,
        api: &str,
        data: Vec<Value>,
        timeout: Duration,
    ) -> Result<CallResult, GradioError> {
        let started = Instant::now();
        let timed_out = || GradioError::TimedOut {
            api: api.to_string(),
            seconds: timeout.as_secs(),
        };
        let name = api.trim_start_matches('/');
        let url = self.url(&format!("/gradio_api/call/{name}"));
        let post = self.with_auth(
            &url,
            self.http
                .post(url.clone())
                .timeout(timeout)
                .json(&json!({ "data": data })),
        );
        let resp = post.send().await.map_err(|e| {
            if e.is_timeout() {
                timed_out()
            } else {
                Self::network(&url, &e)
            }
        })?;
        let status = resp.status().as_u16();
        // The request's timeout also covers reading this body: a body cut off by it is a timeout,
        // not an unreadable answer.
        let body = match resp.text().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() || started.elapsed() >= timeout => return Err(timed_out()),
            Err(e) => return Err(Self::network(&url, &e)),
        };
        if !(200..300).contains(&status) {
            return Err(GradioError::Status {
                what: format!("the call to {api}"),
                status,
                body,
            });
        }
        let event_id = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("event_id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .ok_or_else(|| GradioError::Decode {
                what: format!("the call to {api}"),
                detail: "no event_id in the answer".to_string(),
            })?;
        let left = timeout.saturating_sub(started.elapsed());
        let stream_url = self.url(&format!("/gradio_api/call/{name}/{event_id}"));
        let read = async {
            let resp = self
                .with_auth(
                    &stream_url,
                    self.http
                        .get(stream_url.clone())
                        .header("Accept", "text/event-stream"),
                )
                .send()
                .await
                .map_err(|e| Self::network(&stream_url, &e))?;
            let status = resp.status().as_u16();
            if !(200..300).contains(&status) {
                return Err(GradioError::Status {
                    what: format!("the result stream of {api}"),
                    status,
                    body: resp.text().await.unwrap_or_default(),
                });
            }
            let mut parser = SseParser::new();
            let mut body = resp.bytes_stream();
            loop {
                let (events, ended) = match body.next().await {
                    Some(Ok(chunk)) => (parser.feed(&chunk), false),
                    Some(Err(e)) => return Err(Self::network(&stream_url, &e)),
                    None => (parser.finish(), true),
                };
                for ev in &events {
                    if let Some(result) = sse_result(ev.event.as_deref(), &ev.data) {
                        return Ok(result);
                    }
                }
                if ended {
                    break;
                }
            }
            Err(GradioError::StreamEnded {
                api: api.to_string(),
            })
        };
        match tokio::time::timeout(left, read).await {
            Ok(r) => r,
            Err(_) => Err(timed_out()),
        }
    }

    /// Downloads an output file (`url`, or the app's `/gradio_api/file=<path>`), at most
    /// `max_bytes`.
    pub async fn download(
        &self,
        url: Option<&str>,
        path: Option<&str>,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<Download, GradioError> {
        let target = match (url, path) {
            (Some(u), _) => self
                .origin
                .join(u)
                .map_err(|_| GradioError::BadAddress(u.to_string()))?,
            (None, Some(p)) => self.url(&format!("/gradio_api/file={p}")),
            (None, None) => {
                return Err(GradioError::Decode {
                    what: "the output".to_string(),
                    detail: "a file output without url or path".to_string(),
                });
            }
        };
        let resp = self.get(target.clone(), timeout).await?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(GradioError::Status {
                what: "the output file download".to_string(),
                status,
                body: String::new(),
            });
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut bytes = Vec::new();
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Self::network(&target, &e))?;
            if bytes.len() + chunk.len() > max_bytes {
                return Err(GradioError::TooLarge {
                    limit_mb: max_bytes / (1024 * 1024),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Download {
            bytes,
            content_type,
        })
    }
}

/// The result carried by one SSE event of `/gradio_api/call/…/<id>`, if it is a final one.
pub fn sse_result(event: Option<&str>, data: &str) -> Option<CallResult> {
    match event {
        Some("complete") => {
            let outputs = match serde_json::from_str::<Value>(data) {
                Ok(Value::Array(items)) => items,
                Ok(Value::Null) | Err(_) => Vec::new(),
                Ok(other) => vec![other],
            };
            Some(CallResult::Complete(outputs))
        }
        Some("error") => {
            let message = serde_json::from_str::<Value>(data)
                .ok()
                .and_then(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Object(o) => o.get("error").and_then(Value::as_str).map(str::to_string),
                    _ => None,
                });
            Some(CallResult::Error(message.filter(|m| !m.trim().is_empty())))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> Value {
        json!({"named_endpoints": {
            "/generate": {"parameters": [
                {"label": "prompt", "parameter_name": "prompt", "parameter_has_default": false, "parameter_default": null, "component": "Textbox"},
                {"label": "steps", "parameter_name": "steps", "parameter_has_default": true, "parameter_default": 4, "component": "Slider"},
                {"label": "seed", "parameter_name": "seed", "parameter_has_default": true, "parameter_default": 0, "component": "Number"}
            ], "returns": [{"label": "image", "component": "Image"}]},
            "echo": {"parameters": [], "returns": []}
        }, "unnamed_endpoints": {}})
    }

    #[test]
    fn reads_endpoints() {
        let eps = endpoints(&info());
        assert_eq!(eps.len(), 2);
        let generate = eps.iter().find(|e| e.name == "/generate").unwrap();
        assert_eq!(generate.returns, vec!["Image"]);
        assert_eq!(generate.parameters[1].default, json!(4));
        assert!(eps.iter().any(|e| e.name == "/echo"));
        assert!(endpoints(&json!({})).is_empty());
    }

    #[test]
    fn builds_positional_data_from_args_kwargs_and_defaults() {
        let eps = endpoints(&info());
        let generate = eps.iter().find(|e| e.name == "/generate").unwrap();
        let kw = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(
            call_data(generate, &[json!("fox")], &Map::new()).unwrap(),
            vec![json!("fox"), json!(4), json!(0)]
        );
        assert_eq!(
            call_data(generate, &[], &kw(json!({"prompt": "fox", "seed": 7}))).unwrap(),
            vec![json!("fox"), json!(4), json!(7)]
        );
        let e = call_data(generate, &[], &Map::new()).unwrap_err();
        assert!(e.contains("`prompt`"), "{e}");
        let e = call_data(generate, &[json!("a")], &kw(json!({"prompt": "b"}))).unwrap_err();
        assert!(e.contains("no input named `prompt`"), "{e}");
        let e = call_data(
            generate,
            &[json!(1), json!(2), json!(3), json!(4)],
            &Map::new(),
        )
        .unwrap_err();
        assert!(e.contains("takes 3 input(s)"), "{e}");
    }

    #[test]
    fn sse_results() {
        assert_eq!(
            sse_result(Some("complete"), r#"["HELLO"]"#),
            Some(CallResult::Complete(vec![json!("HELLO")]))
        );
        assert_eq!(
            sse_result(Some("error"), r#"{"error": "boom: x", "duration": 10}"#),
            Some(CallResult::Error(Some("boom: x".into())))
        );
        assert_eq!(
            sse_result(Some("error"), r#"{"error": null}"#),
            Some(CallResult::Error(None))
        );
        assert_eq!(sse_result(Some("generating"), r#"["step 1"]"#), None);
        assert_eq!(sse_result(Some("heartbeat"), "null"), None);
        assert_eq!(sse_result(None, "x"), None);
    }

    #[test]
    fn the_token_goes_only_to_the_space_origin() {
        let app =
            SpaceApp::new("https://alice-demo.hf.space/", Some("hf_secret_value_123")).unwrap();
        assert_eq!(app.origin(), "https://alice-demo.hf.space");
        let probe = |u: &str| {
            let url = Url::parse(u).unwrap();
            let req = app
                .with_auth(&url, app.http.get(url.clone()))
                .build()
                .unwrap();
            req.headers().get(AUTH_HEADER).is_some()
        };
        assert!(probe("https://alice-demo.hf.space/config"));
        assert!(probe(
            "https://alice-demo.hf.space:443/gradio_api/file=/tmp/x.png"
        ));
        assert!(!probe("http://alice-demo.hf.space/config"));
        assert!(!probe("https://evil.example/config"));
        assert!(!probe("https://alice-demo.hf.space.evil.example/config"));
        assert!(!format!("{app:?}").contains("hf_secret"));
        assert!(SpaceApp::new("ftp://x", None).is_err());
        assert!(SpaceApp::new("not a url", None).is_err());
    }
}
