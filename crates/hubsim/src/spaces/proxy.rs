//! The local stand-in for `https://{subdomain}.hf.space`: one loopback port per running Space
//! that forwards to its Gradio app. Like the Hub's proxy it lets only the owner into a private
//! Space (`Authorization: Bearer <token>` or `X-HF-Authorization: Bearer <token>`) and strips
//! both headers, so the app never sees the token.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::{READ_SCOPES, Sim, lock};

const X_HF_AUTHORIZATION: &str = "x-hf-authorization";

/// Headers that belong to one connection and are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

#[derive(Clone)]
struct Proxy {
    sim: Arc<Sim>,
    id: String,
    client: reqwest::Client,
}

/// Binds a loopback port for the Space `id` and serves the proxy on it until the simulator
/// stops. Returns the port.
pub(crate) fn start(sim: &Arc<Sim>, id: &str) -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let port = listener.local_addr()?.port();
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(std::io::Error::other)?;
    let state = Proxy {
        sim: sim.clone(),
        id: id.to_string(),
        client,
    };
    let app = Router::new().fallback(forward).with_state(state);
    let mut shutdown = sim.shutdown.subscribe();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!("Space proxy stopped: {e}");
        }
    });
    Ok(port)
}

/// Whether one of the request's bearer tokens belongs to `owner` and may read repositories.
fn owner_signed_in(sim: &Sim, headers: &HeaderMap, owner: &str) -> bool {
    [header::AUTHORIZATION.as_str(), X_HF_AUTHORIZATION]
        .iter()
        .filter_map(|h| headers.get(*h)?.to_str().ok())
        .filter_map(|v| sim.caller_from_bearer(v).ok())
        .any(|c| c.user == owner && c.has_any(READ_SCOPES))
}

async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let owner = proxy.id.split('/').next().unwrap_or("");
    let target = {
        let spaces = lock(&proxy.sim.spaces.spaces);
        spaces
            .get(&proxy.id)
            .map(|s| (s.meta.private, s.stage, s.app.as_ref().map(|a| a.port)))
    };
    let Some((private, stage, port)) = target else {
        return ApiError::repo_not_found("Repository", &proxy.id).into_response();
    };
    if private && !owner_signed_in(&proxy.sim, request.headers(), owner) {
        return ApiError::not_found(format!(
            "The Space '{}' is private: send `Authorization: Bearer <token>` or `X-HF-Authorization: Bearer <token>` with a token of its owner.",
            proxy.id
        ))
        .into_response();
    }
    let Some(port) = port.filter(|_| stage == super::Stage::Running) else {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "The Space '{}' is not running (stage {stage}): wait for RUNNING, see its runtime and logs.",
                proxy.id
            ),
        )
        .into_response();
    };

    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let mut headers = HeaderMap::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n)
            || n == header::HOST.as_str()
            || n == header::AUTHORIZATION.as_str()
            || n == X_HF_AUTHORIZATION
        {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    // Gradio builds file URLs from these, so they point at this proxy as on `*.hf.space`.
    if let Some(host) = parts.headers.get(header::HOST) {
        headers.insert(HeaderName::from_static("x-forwarded-host"), host.clone());
    }
    headers.insert(
        HeaderName::from_static("x-forwarded-proto"),
        HeaderValue::from_static("http"),
    );
    let upstream = proxy
        .client
        .request(parts.method, format!("http://127.0.0.1:{port}{path}"))
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send()
        .await;
    let upstream = match upstream {
        Ok(r) => r,
        Err(e) => {
            return ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("The Space '{}' did not answer: {e}", proxy.id),
            )
            .into_response();
        }
    };
    let mut response = Response::builder().status(upstream.status());
    for (name, value) in upstream.headers() {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from_stream(upstream.bytes_stream()))
        .unwrap_or_else(|_| StatusCode::BAD_GATEWAY.into_response())
}
