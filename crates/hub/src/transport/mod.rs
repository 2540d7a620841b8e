//! The seam between the Hub client and the network.
//!
//! [`HubClient`](crate::HubClient) builds [`HttpRequest`]s and hands them to a [`Transport`]:
//! [`BrowserTransport`] (fetch, wasm32), [`NativeTransport`] (reqwest) or a scripted transport in
//! tests. A transport only moves bytes; status codes, retries and errors are the client's business.

use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
pub use browser::BrowserTransport;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeTransport;

/// `Send + Sync` on native targets, nothing on wasm32 (where futures and JS handles are not `Send`).
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> MaybeSend for T {}

/// `Send + Sync` on native targets, nothing on wasm32 (where futures and JS handles are not `Send`).
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// A body arriving in chunks (`Send` on native targets).
pub type ByteStream = BoxStream<Result<Vec<u8>, TransportError>>;

/// A boxed stream of items (`Send` on native targets).
#[cfg(not(target_arch = "wasm32"))]
pub type BoxStream<I> = Pin<Box<dyn Stream<Item = I> + Send>>;
/// A boxed stream of items (`Send` on native targets).
#[cfg(target_arch = "wasm32")]
pub type BoxStream<I> = Pin<Box<dyn Stream<Item = I>>>;

/// HTTP methods the Hub API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Response or request headers: an ordered list of name/value pairs, looked up case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (keeps earlier ones with the same name).
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// Replaces every header with this name.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        self.0.push((name, value.into()));
    }

    /// The first value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, by case-insensitive name, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Headers(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

/// One request, fully built: absolute URL, headers (including `Authorization` when the client
/// decided to attach it) and an optional body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Headers,
    pub body: Option<Vec<u8>>,
}

/// A response with its whole body read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A response whose body is read chunk by chunk (server-sent events). Dropping it closes the
/// connection.
pub struct StreamingResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: ByteStream,
}

impl std::fmt::Debug for StreamingResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

/// Why a request did not get an HTTP response (or its body broke off).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The server could not be reached, the connection broke, or it timed out. Worth retrying.
    #[error("the network request failed: {0}")]
    Network(String),
    /// The request could not even be built (bad URL, refused by the browser). Retrying won't help.
    #[error("the request could not be sent: {0}")]
    Invalid(String),
}

impl TransportError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, TransportError::Network(_))
    }
}

/// Moves requests to the network. Implementations must not interpret status codes.
#[cfg_attr(not(target_arch = "wasm32"), async_trait::async_trait)]
#[cfg_attr(target_arch = "wasm32", async_trait::async_trait(?Send))]
pub trait Transport: MaybeSend + 'static {
    /// Sends the request and reads the whole body.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;

    /// Sends the request and returns as soon as the status and headers are known.
    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError>;

    /// Waits; used between retries and reconnects, so tests can make it instant.
    async fn sleep(&self, duration: Duration);
}
