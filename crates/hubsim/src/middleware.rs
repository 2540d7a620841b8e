//! Layers around every route: request ids, CORS, compression and fault injection.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::{Fault, Sim, lock};

/// Headers a browser may send cross-origin.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, Range, X-Xet-Session-Id";
/// Response headers a browser script may read.
const EXPOSE_HEADERS: &str = "Link, X-Request-Id, X-Error-Code, X-Error-Message, X-Linked-Size, X-Xet-Hash, ETag, Content-Range";
const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// Adds `X-Request-Id` to every response, errors and preflights included.
pub(crate) async fn request_id(req: Request, next: Next) -> Response {
    let id = crate::util::request_id();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut response = next.run(req).await;
    tracing::debug!(%method, %path, status = %response.status(), request_id = %id, "request");
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// CORS for any origin: preflights answer 204, other responses echo the origin and expose the
/// headers the Hub clients read.
pub(crate) async fn cors(req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let is_preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if is_preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(600));
        r
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    match origin {
        Some(origin) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    response
}

/// The smallest JSON answer the Hub compresses: Express's `compression`, which the Hub's server
/// (`X-Powered-By: huggingface-moon`) runs behind CloudFront, leaves bodies under 1 KB alone.
const COMPRESS_FROM: usize = 1024;

/// Gzips the Hub API's JSON answers for a client that accepts gzip, as huggingface.co does:
/// its responses carry `Content-Encoding: gzip` and `Vary: Origin,accept-encoding`
/// (huggingface/huggingface_hub#3269 shows the headers). Only `/api/` JSON is compressed here:
/// event streams, file downloads and the static app keep their bytes (a static Space's host is
/// not known to compress, so the simulator serves the app as it is; issue 13). A client that
/// does not send `Accept-Encoding: gzip` (reqwest without its `gzip` feature: the worker, the
/// Hub client's tests) gets the plain body.
pub(crate) async fn compress(req: Request, next: Next) -> Response {
    let wants_gzip = req.uri().path().starts_with("/api/")
        && req.method() != Method::HEAD
        && req
            .headers()
            .get_all(header::ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(accepts_gzip);
    let response = next.run(req).await;
    if !wants_gzip {
        return response;
    }
    let headers = response.headers();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !is_json || headers.contains_key(header::CONTENT_ENCODING) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return dropped(Response::from_parts(parts, Body::empty()));
    };
    parts
        .headers
        .append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if bytes.len() < COMPRESS_FROM {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    let gzipped = std::io::Write::write_all(&mut gz, &bytes)
        .and_then(|()| gz.finish())
        .expect("gzip into memory");
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    Response::from_parts(parts, Body::from(gzipped))
}

/// One entry of `Accept-Encoding` (`gzip`, `gzip;q=0.5`, `*`) that allows gzip: not `q=0`.
fn accepts_gzip(entry: &str) -> bool {
    let mut parts = entry.split(';').map(str::trim);
    let coding = parts.next().unwrap_or("");
    if !coding.eq_ignore_ascii_case("gzip") && coding != "*" {
        return false;
    }
    !parts.any(|p| {
        p.strip_prefix("q=")
            .and_then(|q| q.trim().parse::<f32>().ok())
            .is_some_and(|q| q == 0.0)
    })
}

/// Takes one use of the first fault matching this request, if any.
fn take_fault(sim: &Sim, method: &Method, path: &str) -> Option<Fault> {
    let mut faults = lock(&sim.faults);
    let index = faults.iter().position(|f| {
        f.count > 0
            && path.starts_with(&f.path_prefix)
            && f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
            && (method != Method::OPTIONS
                || f.method
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case("OPTIONS")))
    })?;
    let fault = faults[index].clone();
    faults[index].count -= 1;
    if faults[index].count == 0 {
        faults.remove(index);
    }
    Some(fault)
}

/// Applies injected faults (see the control API): delay, then a canned error status, or a
/// connection dropped before the response (or, for SSE streams, after the first chunk).
pub(crate) async fn faults(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/__sim") {
        return next.run(req).await;
    }
    let Some(fault) = take_fault(&sim, req.method(), &path) else {
        return next.run(req).await;
    };
    tracing::debug!(%path, "injecting a fault");
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(status) = fault.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (message, body) = match fault.body {
            Some(Value::String(s)) => (s.clone(), json!({ "error": s })),
            Some(Value::Object(o)) => {
                let message = o
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("Injected fault")
                    .to_string();
                (message, Value::Object(o))
            }
            _ => {
                let message = status
                    .canonical_reason()
                    .unwrap_or("Injected fault")
                    .to_string();
                (message.clone(), json!({ "error": message }))
            }
        };
        let mut error = ApiError::new(status, message).with_body(body);
        error.retry_after = fault.retry_after;
        return error.into_response();
    }
    let response = next.run(req).await;
    if fault.drop_connection {
        return dropped(response);
    }
    response
}

/// Turns a response into one whose body fails: an SSE stream delivers its first chunk and is
/// then cut; any other response is cut before its body.
fn dropped(response: Response) -> Response {
    let is_stream = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/event-stream"));
    let (mut parts, body) = response.into_parts();
    let cut = || {
        std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "hubsim dropped the connection",
        )
    };
    let stream = if is_stream {
        body.into_data_stream()
            .take(1)
            .map(|r| r.map_err(|e| std::io::Error::other(e.to_string())))
            .chain(futures_util::stream::once(async move {
                // Let the first chunk reach the client before the connection is cut.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(cut())
            }))
            .boxed()
    } else {
        parts.headers.remove(header::CONTENT_LENGTH);
        futures_util::stream::once(async move { Err::<bytes::Bytes, _>(cut()) }).boxed()
    };
    Response::from_parts(parts, Body::from_stream(stream))
}
