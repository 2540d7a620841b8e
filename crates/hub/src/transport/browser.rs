//! fetch-based transport for the web app (wasm32). Requests are aborted when their future or
//! stream is dropped, so a page that goes away stops its downloads and log streams.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use gloo_net::http::{Request, RequestBuilder, Response};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader};

use super::{
    Headers, HttpRequest, HttpResponse, Method, StreamingResponse, Transport, TransportError,
};

/// Requests through the browser's `fetch`.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserTransport;

impl BrowserTransport {
    pub fn new() -> Self {
        Self
    }
}

/// Aborts the fetch it guards when dropped (harmless once the body has been read).
struct AbortOnDrop(AbortController);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn js_error(value: JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}

fn build(request: HttpRequest, abort: &AbortOnDrop) -> Result<Request, TransportError> {
    let method = match request.method {
        Method::Get => gloo_net::http::Method::GET,
        Method::Head => gloo_net::http::Method::HEAD,
        Method::Post => gloo_net::http::Method::POST,
        Method::Put => gloo_net::http::Method::PUT,
        Method::Delete => gloo_net::http::Method::DELETE,
    };
    let signal = abort.0.signal();
    let mut builder = RequestBuilder::new(&request.url)
        .method(method)
        .abort_signal(Some(&signal));
    for (name, value) in request.headers.iter() {
        builder = builder.header(name, value);
    }
    let built = match request.body {
        Some(body) => builder.body(js_sys::Uint8Array::from(body.as_slice())),
        None => builder.build(),
    };
    built.map_err(|e| TransportError::Invalid(e.to_string()))
}

fn new_abort() -> Result<AbortOnDrop, TransportError> {
    AbortController::new()
        .map(AbortOnDrop)
        .map_err(|e| TransportError::Invalid(js_error(e)))
}

fn headers_of(response: &Response) -> Headers {
    response.headers().entries().collect()
}

fn send_error(error: gloo_net::Error) -> TransportError {
    // fetch rejects with a TypeError for network failures, CORS refusals and aborts alike.
    TransportError::Network(error.to_string())
}

#[async_trait::async_trait(?Send)]
impl Transport for BrowserTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let abort = new_abort()?;
        let response = build(request, &abort)?.send().await.map_err(send_error)?;
        let status = response.status();
        let headers = headers_of(&response);
        let body = response.binary().await.map_err(send_error)?;
        drop(abort);
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        let abort = new_abort()?;
        let response = build(request, &abort)?.send().await.map_err(send_error)?;
        let status = response.status();
        let headers = headers_of(&response);
        let reader = match response.body() {
            Some(body) => Some(
                body.get_reader()
                    .dyn_into::<ReadableStreamDefaultReader>()
                    .map_err(|e| TransportError::Invalid(js_error(e.into())))?,
            ),
            None => None,
        };
        Ok(StreamingResponse {
            status,
            headers,
            body: Box::pin(BodyStream {
                reader,
                pending: None,
                _abort: abort,
            }),
        })
    }

    async fn sleep(&self, duration: Duration) {
        gloo_timers::future::sleep(duration).await;
    }
}

/// A fetch body read through its `ReadableStream` reader. The pending `read()` lives in the
/// stream itself, so dropping a `next()` future loses no chunk; dropping the stream aborts.
struct BodyStream {
    reader: Option<ReadableStreamDefaultReader>,
    pending: Option<JsFuture>,
    _abort: AbortOnDrop,
}

impl Stream for BodyStream {
    type Item = Result<Vec<u8>, TransportError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let Some(reader) = this.reader.as_ref() else {
            return Poll::Ready(None);
        };
        let read = this
            .pending
            .get_or_insert_with(|| JsFuture::from(reader.read()));
        let outcome = match Pin::new(read).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(outcome) => outcome,
        };
        this.pending = None;
        match outcome.and_then(read_result) {
            Ok(Some(chunk)) => Poll::Ready(Some(Ok(chunk))),
            Ok(None) => {
                this.reader = None;
                Poll::Ready(None)
            }
            Err(error) => {
                this.reader = None;
                Poll::Ready(Some(Err(TransportError::Network(js_error(error)))))
            }
        }
    }
}

/// `{done, value}` → `None` at the end, else the chunk's bytes.
fn read_result(result: JsValue) -> Result<Option<Vec<u8>>, JsValue> {
    let done = js_sys::Reflect::get(&result, &JsValue::from_str("done"))?;
    if done.as_bool().unwrap_or(false) {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(&result, &JsValue::from_str("value"))?;
    let bytes = value.dyn_into::<js_sys::Uint8Array>()?;
    Ok(Some(bytes.to_vec()))
}
