//! reqwest-based transport for the worker and native tests (rustls, no OpenSSL).

use std::time::Duration;

use futures_util::StreamExt;

use super::{
    Headers, HttpRequest, HttpResponse, Method, StreamingResponse, Transport, TransportError,
};

/// Requests through a shared `reqwest::Client`. Cheap to clone.
#[derive(Debug, Clone)]
pub struct NativeTransport {
    client: reqwest::Client,
    request_timeout: Duration,
}

impl NativeTransport {
    /// Connect timeout 15 s; buffered requests time out after 120 s; streams never do.
    pub fn new() -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("space-factory/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Invalid(e.to_string()))?;
        Ok(Self::with_client(client))
    }

    /// Uses a client you configured (proxies, timeouts, redirect policy). reqwest drops the
    /// `Authorization` header when a redirect leaves the original host.
    pub fn with_client(client: reqwest::Client) -> Self {
        Self {
            client,
            request_timeout: Duration::from_secs(120),
        }
    }

    /// Timeout for whole buffered requests (not for streams).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    fn build(&self, request: HttpRequest) -> reqwest::RequestBuilder {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Head => reqwest::Method::HEAD,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in request.headers.iter() {
            builder = builder.header(name, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        builder
    }
}

fn headers_of(response: &reqwest::Response) -> Headers {
    response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn transport_error(error: reqwest::Error) -> TransportError {
    if error.is_builder() {
        TransportError::Invalid(error.to_string())
    } else {
        TransportError::Network(error.to_string())
    }
}

#[async_trait::async_trait]
impl Transport for NativeTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let response = self
            .build(request)
            .timeout(self.request_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = headers_of(&response);
        let body = response.bytes().await.map_err(transport_error)?.to_vec();
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
        let response = self.build(request).send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = headers_of(&response);
        let body = response
            .bytes_stream()
            .map(|chunk| chunk.map(|b| b.to_vec()).map_err(transport_error));
        Ok(StreamingResponse {
            status,
            headers,
            body: Box::pin(body),
        })
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
