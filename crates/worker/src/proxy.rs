//! The coding agent's model endpoint: a loopback proxy in the worker, so that Pi never holds the
//! person's token. Pi's `huggingface` provider points at `http://127.0.0.1:<port>/v1` with a
//! placeholder key; the proxy forwards `POST /v1/chat/completions` (the only call Pi makes) to the
//! configured inference URL, with the token as the key only when that URL may receive it
//! (`sf_core::jobspec::inference_gets_token`), and streams the answer back chunk by chunk (Pi asks
//! for server-sent events). Every other path is refused. It listens on 127.0.0.1 only and stops
//! when its [`ModelProxy`] is dropped (or the worker ends).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

/// The only path forwarded: the OpenAI-compatible streaming chat completions Pi calls.
pub const COMPLETIONS_PATH: &str = "/v1/chat/completions";
/// The key Pi is given (and an endpoint that may not receive the token gets): never the token.
pub const PLACEHOLDER_KEY: &str = "space-factory-no-token";
/// Largest request body forwarded (Pi's whole conversation; far above a 131k-token context).
const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

type ProxyBody = BoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

struct Upstream {
    /// `<inference url>/chat/completions`.
    url: String,
    /// The `Authorization` value sent upstream.
    authorization: HeaderValue,
    http: reqwest::Client,
}

/// A running proxy; it stops (listener and open connections) when dropped.
pub struct ModelProxy {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for ModelProxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl std::fmt::Debug for ModelProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelProxy")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ModelProxy {
    /// Starts the proxy on an ephemeral loopback port. `token` is sent upstream only when
    /// `inference_url` may receive it (the caller decides with `inference_gets_token`); otherwise
    /// the upstream gets [`PLACEHOLDER_KEY`].
    pub async fn start(inference_url: &str, token: Option<&str>) -> Result<ModelProxy, String> {
        let key = token.unwrap_or(PLACEHOLDER_KEY);
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            "The token contains characters an HTTP header cannot carry.".to_string()
        })?;
        authorization.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            // A redirect could carry the key elsewhere; the endpoint is called where configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("Could not set up the model proxy's HTTP client ({e})."))?;
        let upstream = Arc::new(Upstream {
            url: format!("{}/chat/completions", inference_url.trim_end_matches('/')),
            authorization,
            http,
        });
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| format!("Could not start the model proxy on 127.0.0.1 ({e})."))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("Could not start the model proxy ({e})."))?;
        let server = tokio::spawn(serve(listener, upstream));
        Ok(ModelProxy { addr, server })
    }

    /// The base URL Pi is given: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
}

/// Accepts connections until aborted; the connections end with it (the set aborts them on drop).
async fn serve(listener: TcpListener, upstream: Arc<Upstream>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let upstream = upstream.clone();
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let upstream = upstream.clone();
                        async move { Ok::<_, Infallible>(handle(req, &upstream).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            // Finished connections leave the set.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An OpenAI-style error answer (Pi shows `error.message`).
fn error(status: StatusCode, message: &str) -> Response<ProxyBody> {
    let body = serde_json::json!({"error": {"message": message, "type": "space_factory_proxy"}});
    let mut resp = Response::new(full(body.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

async fn handle(req: Request<Incoming>, upstream: &Upstream) -> Response<ProxyBody> {
    if req.uri().path() != COMPLETIONS_PATH || req.uri().query().is_some() {
        return error(
            StatusCode::NOT_FOUND,
            "Space Factory's model proxy forwards only POST /v1/chat/completions.",
        );
    }
    if req.method() != Method::POST {
        let mut resp = error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Space Factory's model proxy forwards only POST /v1/chat/completions.",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request to the coding model is larger than Space Factory's model proxy forwards (32 MB), or it was cut off.",
            );
        }
    };
    // Only what a chat completion needs goes upstream; Pi's own key is replaced.
    let mut call = upstream
        .http
        .post(&upstream.url)
        .header(header::AUTHORIZATION, upstream.authorization.clone())
        .body(body);
    for name in [header::CONTENT_TYPE, header::ACCEPT, header::USER_AGENT] {
        if let Some(v) = parts.headers.get(&name) {
            call = call.header(name, v.clone());
        }
    }
    let answer = match call.send().await {
        Ok(a) => a,
        Err(e) => {
            return error(
                StatusCode::BAD_GATEWAY,
                &format!(
                    "Space Factory's model proxy could not reach the coding model's endpoint ({}).",
                    e.without_url()
                ),
            );
        }
    };
    let mut resp = Response::builder().status(answer.status().as_u16());
    for name in [header::CONTENT_TYPE, header::CACHE_CONTROL] {
        if let Some(v) = answer.headers().get(&name) {
            resp = resp.header(name, v.clone());
        }
    }
    // Each chunk goes to Pi as it arrives: the answer is a stream of server-sent events.
    let stream = answer
        .bytes_stream()
        .map_ok(Frame::data)
        .map_err(|e| Box::new(e.without_url()) as Box<dyn std::error::Error + Send + Sync>);
    resp.body(BodyExt::boxed(StreamBody::new(stream)))
        .unwrap_or_else(|_| {
            error(
                StatusCode::BAD_GATEWAY,
                "The coding model's endpoint answered with headers the proxy cannot pass on.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::mpsc;

    /// A stand-in model endpoint: records each request's path and `Authorization`, and answers
    /// with an event stream whose chunks the test releases one at a time.
    struct Upstream {
        url: String,
        seen: Arc<Mutex<Vec<(String, String, String)>>>,
        release: mpsc::UnboundedSender<Bytes>,
        _task: tokio::task::JoinHandle<()>,
    }

    async fn upstream() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (release, rx) = mpsc::unbounded_channel::<Bytes>();
        let rx = Arc::new(tokio::sync::Mutex::new(rx));
        let seen2 = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let seen = seen2.clone();
                let rx = rx.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let seen = seen.clone();
                        let rx = rx.clone();
                        async move {
                            let auth = req
                                .headers()
                                .get(header::AUTHORIZATION)
                                .map(|v| v.to_str().unwrap().to_string())
                                .unwrap_or_default();
                            let path = req.uri().path().to_string();
                            let body = req.into_body().collect().await.unwrap().to_bytes();
                            seen.lock().unwrap().push((
                                path,
                                auth,
                                String::from_utf8_lossy(&body).into_owned(),
                            ));
                            let stream = futures_util::stream::unfold(rx, |rx| async move {
                                let next = rx.lock().await.recv().await?;
                                Some((Ok::<_, Infallible>(Frame::data(next)), rx))
                            });
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header(header::CONTENT_TYPE, "text/event-stream")
                                    .body(StreamBody::new(stream))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Upstream {
            url: format!("http://{addr}/v1"),
            seen,
            release,
            _task: task,
        }
    }

    const TOKEN: &str = "hf_ProxyTestToken0123456789";

    #[tokio::test]
    async fn streams_each_chunk_as_it_comes_with_the_token_when_allowed() {
        let up = upstream().await;
        let proxy = ModelProxy::start(&up.url, Some(TOKEN)).await.unwrap();
        assert!(proxy.base_url().starts_with("http://127.0.0.1:"));
        let http = reqwest::Client::new();
        let mut answer = http
            .post(format!("{}/chat/completions", proxy.base_url()))
            .header("authorization", "Bearer placeholder-from-pi")
            .header("content-type", "application/json")
            .body(r#"{"model":"a/b","stream":true}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.headers()["content-type"], "text/event-stream");
        // The first chunk reaches the client while the upstream has not finished its answer.
        up.release
            .send(Bytes::from_static(b"data: {\"n\":1}\n\n"))
            .unwrap();
        let first = tokio::time::timeout(Duration::from_secs(5), answer.chunk())
            .await
            .expect("the first chunk is passed on before the answer ends")
            .unwrap()
            .unwrap();
        assert_eq!(&first[..], b"data: {\"n\":1}\n\n");
        up.release
            .send(Bytes::from_static(b"data: [DONE]\n\n"))
            .unwrap();
        let second = answer.chunk().await.unwrap().unwrap();
        assert_eq!(&second[..], b"data: [DONE]\n\n");
        drop(up.release);
        assert!(answer.chunk().await.unwrap().is_none());
        let seen = up.seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            vec![(
                "/v1/chat/completions".to_string(),
                format!("Bearer {TOKEN}"),
                r#"{"model":"a/b","stream":true}"#.to_string()
            )]
        );
    }

    #[tokio::test]
    async fn an_endpoint_that_may_not_have_the_token_gets_the_placeholder() {
        let up = upstream().await;
        let proxy = ModelProxy::start(&up.url, None).await.unwrap();
        up.release
            .send(Bytes::from_static(b"data: [DONE]\n\n"))
            .unwrap();
        drop(up.release);
        let text = reqwest::Client::new()
            .post(format!("{}/chat/completions", proxy.base_url()))
            .header("authorization", format!("Bearer {TOKEN}"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(text, "data: [DONE]\n\n");
        // Not even a key the caller sent passes through.
        assert_eq!(
            up.seen.lock().unwrap()[0].1,
            format!("Bearer {PLACEHOLDER_KEY}")
        );
    }

    #[tokio::test]
    async fn other_paths_and_methods_are_refused_and_never_forwarded() {
        let up = upstream().await;
        let proxy = ModelProxy::start(&up.url, Some(TOKEN)).await.unwrap();
        let http = reqwest::Client::new();
        let base = proxy.base_url();
        for (method, url) in [
            ("POST", format!("{base}/completions")),
            ("GET", format!("{base}/models")),
            ("POST", format!("{base}/chat/completions?x=1")),
            (
                "POST",
                format!("{base}/chat/completions/../../api/whoami-v2"),
            ),
            ("POST", base.replace("/v1", "/api/repos/create")),
        ] {
            let r = http
                .request(method.parse().unwrap(), &url)
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 404, "{method} {url}");
            let text = r.text().await.unwrap();
            assert!(text.contains("only POST /v1/chat/completions"), "{text}");
        }
        let r = http
            .get(format!("{base}/chat/completions"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);
        assert!(up.seen.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn it_listens_on_loopback_only_and_stops_when_dropped() {
        let up = upstream().await;
        let proxy = ModelProxy::start(&up.url, None).await.unwrap();
        assert!(proxy.addr.ip().is_loopback());
        let addr = proxy.addr;
        // A connection open when the proxy stops is closed too.
        let mut open = tokio::net::TcpStream::connect(addr).await.unwrap();
        tokio::task::yield_now().await;
        drop(proxy);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
        let _ = open
            .write_all(b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), open.read_to_end(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{buf:?}");
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_a_clear_error_without_the_token() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let proxy = ModelProxy::start(&format!("http://127.0.0.1:{port}/v1"), Some(TOKEN))
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .post(format!("{}/chat/completions", proxy.base_url()))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 502);
        let text = r.text().await.unwrap();
        assert!(text.contains("could not reach the coding model"), "{text}");
        assert!(!text.contains(TOKEN));
    }
}
