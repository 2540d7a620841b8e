//! `HubClient`: the Hub URL, the token, the transport, and the one path every request takes
//! (authorization rule, retries, error building, decoding, pagination).

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::error::{HubError, Operation, retry_after};
use crate::retry::{AttemptFailure, RetryPolicy};
use crate::transport::{Headers, HttpRequest, HttpResponse, Method, StreamingResponse, Transport};
use crate::url::{Origin, link_next, redact_url, resolve};

/// At most this many pages are followed in one listing (a guard against a `Link` loop).
const MAX_PAGES: usize = 1000;
/// At most this much of a failed streaming response is read to build the error.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// An access token. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
struct AccessToken(String);

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(REDACTED)")
    }
}

/// A typed client for one Hugging Face Hub (huggingface.co or the local simulator).
///
/// The token, when set, is sent as `Authorization: Bearer …` only on requests whose origin
/// (scheme, host, port) is the Hub's; a URL elsewhere never sees it. Cloning is cheap.
pub struct HubClient<T> {
    hub_url: String,
    origin: Origin,
    token: Option<AccessToken>,
    transport: Arc<T>,
    retry: RetryPolicy,
}

impl<T> Clone for HubClient<T> {
    fn clone(&self) -> Self {
        Self {
            hub_url: self.hub_url.clone(),
            origin: self.origin.clone(),
            token: self.token.clone(),
            transport: Arc::clone(&self.transport),
            retry: self.retry.clone(),
        }
    }
}

impl<T> fmt::Debug for HubClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubClient")
            .field("hub_url", &self.hub_url)
            .field("token", &self.token)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// Whether a request carries the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Never (public endpoints, OAuth token exchange).
    None,
    /// When there is a token and the URL is on the Hub.
    IfAvailable,
    /// Fail before sending when there is no token or the URL is not on the Hub.
    Required,
}

/// One call to make: everything [`HubClient::execute`] needs.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub operation: Operation,
    pub method: Method,
    pub url: String,
    pub auth: Auth,
    /// Safe to send twice (GET/HEAD, or marked by the endpoint); only these are retried.
    pub idempotent: bool,
    pub headers: Headers,
    pub body: Option<Vec<u8>>,
}

impl Call {
    pub fn new(operation: Operation, method: Method, url: String) -> Self {
        Self {
            operation,
            method,
            url,
            auth: Auth::IfAvailable,
            idempotent: matches!(method, Method::Get | Method::Head),
            headers: Headers::new(),
            body: None,
        }
    }

    pub fn get(operation: Operation, url: String) -> Self {
        Self::new(operation, Method::Get, url).accept_json()
    }

    pub fn post(operation: Operation, url: String) -> Self {
        Self::new(operation, Method::Post, url).accept_json()
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Marks a non-GET call as safe to repeat, so it may be retried.
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.set(name, value);
        self
    }

    fn accept_json(self) -> Self {
        self.header("Accept", "application/json")
    }

    pub fn json_body(self, body: &impl serde::Serialize) -> Self {
        let bytes = serde_json::to_vec(body).expect("serialising a request body cannot fail");
        self.body("application/json", bytes)
    }

    pub fn body(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.headers.set("Content-Type", content_type);
        self.body = Some(bytes);
        self
    }
}

impl<T: Transport> HubClient<T> {
    /// A client for the Hub at `hub_url` (e.g. `https://huggingface.co`, `http://127.0.0.1:8080`),
    /// without a token. The URL must be http(s) with a host.
    pub fn new(hub_url: &str, transport: T) -> Result<Self, HubError> {
        let trimmed = hub_url.trim().trim_end_matches('/');
        let origin = Origin::of(trimmed)
            .filter(|_| trimmed.starts_with("https://") || trimmed.starts_with("http://"))
            .filter(|_| !trimmed.contains(['?', '#']))
            .ok_or_else(|| {
                HubError::InvalidInput(format!(
                    "\"{}\" is not a usable Hub URL; give an http(s) address such as https://huggingface.co.",
                    redact_url(hub_url)
                ))
            })?;
        Ok(Self {
            hub_url: trimmed.to_owned(),
            origin,
            token: None,
            transport: Arc::new(transport),
            retry: RetryPolicy::default(),
        })
    }

    /// The same client with this access token (an empty string means no token).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.set_token(Some(token.into()));
        self
    }

    /// Replaces (or with `None` forgets) the access token.
    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(AccessToken);
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The same client with another retry policy (e.g. [`RetryPolicy::none`]).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The Hub URL as configured, without a trailing slash.
    pub fn hub_url(&self) -> &str {
        &self.hub_url
    }

    /// The Hub origin the token is restricted to, e.g. `https://huggingface.co`.
    pub fn hub_origin(&self) -> String {
        self.origin.serialize()
    }

    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// `hub_url` + `path` (`path` starts with `/` and is already encoded).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.hub_url, path)
    }

    fn on_hub(&self, url: &str) -> bool {
        Origin::of(url).as_ref() == Some(&self.origin)
    }

    /// Builds the wire request, attaching the token only where the rule allows it.
    pub(crate) fn prepare(&self, call: &Call) -> Result<HttpRequest, HubError> {
        let mut headers = call.headers.clone();
        let token = match call.auth {
            Auth::None => None,
            Auth::IfAvailable => self.token.as_ref().filter(|_| self.on_hub(&call.url)),
            Auth::Required => {
                let token = self.token.as_ref().ok_or(HubError::NotSignedIn {
                    operation: call.operation,
                })?;
                if !self.on_hub(&call.url) {
                    return Err(HubError::ForeignOrigin {
                        operation: call.operation,
                        url: redact_url(&call.url),
                    });
                }
                Some(token)
            }
        };
        if let Some(AccessToken(token)) = token {
            headers.set("Authorization", format!("Bearer {token}"));
        }
        Ok(HttpRequest {
            method: call.method,
            url: call.url.clone(),
            headers,
            body: call.body.clone(),
        })
    }

    /// Sends a call, retrying idempotent ones on transient failures; any non-2xx is an error.
    pub(crate) async fn execute(&self, call: &Call) -> Result<HttpResponse, HubError> {
        let request = self.prepare(call)?;
        let mut attempt = 1;
        loop {
            let (error, failure) = match self.transport.send(request.clone()).await {
                Ok(response) if response.is_success() => return Ok(response),
                Ok(response) => (
                    HubError::from_response(call.operation, &call.url, &response),
                    AttemptFailure::Status {
                        status: response.status,
                        retry_after: retry_after(&response.headers),
                    },
                ),
                Err(e) if e.is_retryable() => (
                    HubError::network(call.operation, &call.url, &e),
                    AttemptFailure::Network,
                ),
                Err(e) => return Err(HubError::network(call.operation, &call.url, &e)),
            };
            match self
                .retry
                .delay_before_retry(call.idempotent, attempt, failure)
            {
                Some(delay) => self.transport.sleep(delay).await,
                None => return Err(error),
            }
            attempt += 1;
        }
    }

    /// Sends a call and decodes a JSON answer.
    pub(crate) async fn json<R: DeserializeOwned>(&self, call: &Call) -> Result<R, HubError> {
        let response = self.execute(call).await?;
        decode_json(call.operation, &call.url, &response.body)
    }

    /// Follows `Link: <…>; rel="next"` from `call.url`, collecting every page's JSON array.
    pub(crate) async fn paginated<R: DeserializeOwned>(
        &self,
        mut call: Call,
    ) -> Result<Vec<R>, HubError> {
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self.execute(&call).await?;
            let page: Vec<R> = decode_json(call.operation, &call.url, &response.body)?;
            items.extend(page);
            let next = response
                .headers
                .get("link")
                .and_then(link_next)
                .and_then(|next| resolve(&call.url, &next));
            match next {
                Some(next) if next != call.url => call.url = next,
                _ => return Ok(items),
            }
        }
        Ok(items)
    }

    /// Opens a streaming response (no retries here: the log stream decides when to reconnect).
    /// A non-2xx answer is read (up to 64 KiB) and turned into a [`HubError`].
    pub(crate) async fn open_stream(&self, call: &Call) -> Result<StreamingResponse, HubError> {
        use futures_util::StreamExt;

        let request = self.prepare(call)?;
        let mut response = self
            .transport
            .send_streaming(request)
            .await
            .map_err(|e| HubError::network(call.operation, &call.url, &e))?;
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        let mut body = Vec::new();
        while body.len() < MAX_ERROR_BODY {
            match response.body.next().await {
                Some(Ok(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        let buffered = HttpResponse {
            status: response.status,
            headers: response.headers,
            body,
        };
        Err(HubError::from_response(
            call.operation,
            &call.url,
            &buffered,
        ))
    }

    /// GET any URL. The token goes along only if the URL is on the Hub. Retried like every GET;
    /// a non-2xx answer is an error.
    pub async fn get(&self, url: &str) -> Result<HttpResponse, HubError> {
        self.execute(&Call::new(Operation::Fetch, Method::Get, url.to_owned()))
            .await
    }
}

pub(crate) fn decode_json<R: DeserializeOwned>(
    operation: Operation,
    url: &str,
    body: &[u8],
) -> Result<R, HubError> {
    serde_json::from_slice(body).map_err(|e| HubError::decode(operation, url, e))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::mock::{Answer, HUB, MockTransport, TOKEN, authorization, client};

    #[test]
    fn hub_url_must_be_http_with_a_host() {
        for bad in [
            "huggingface.co",
            "ftp://hf.co",
            "https://",
            "https://hf.co/?x=1",
            "",
        ] {
            assert!(
                HubClient::new(bad, MockTransport::default()).is_err(),
                "{bad}"
            );
        }
        let c = HubClient::new("http://127.0.0.1:8080/", MockTransport::default()).unwrap();
        assert_eq!(c.hub_url(), "http://127.0.0.1:8080");
        assert_eq!(c.hub_origin(), "http://127.0.0.1:8080");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let c = client([]);
        assert!(!format!("{c:?}").contains(TOKEN));
    }

    #[tokio::test]
    async fn token_goes_to_the_hub_origin_only() {
        let c = client([
            Answer::bytes(200, b"hub"),
            Answer::bytes(200, b"elsewhere"),
            Answer::bytes(200, b"other port"),
            Answer::bytes(200, b"other scheme"),
        ]);
        c.get(&format!("{HUB}/api/whatever")).await.unwrap();
        c.get("https://evil.test/steal").await.unwrap();
        c.get("https://hub.test:8443/x").await.unwrap();
        c.get("http://hub.test/x").await.unwrap();
        let sent = c.transport().requests();
        assert_eq!(
            authorization(&sent[0]),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        for request in &sent[1..] {
            assert_eq!(authorization(request), None, "{}", request.url);
        }
    }

    #[tokio::test]
    async fn calls_that_need_the_token_refuse_other_origins_before_sending() {
        let c = client([]);
        let e = c
            .userinfo("https://evil.test/oauth/userinfo")
            .await
            .unwrap_err();
        assert!(matches!(e, HubError::ForeignOrigin { .. }), "{e:?}");
        assert!(c.transport().requests().is_empty());
    }

    #[tokio::test]
    async fn calls_that_need_the_token_fail_without_one() {
        let c = HubClient::new(HUB, MockTransport::default()).unwrap();
        let e = c.whoami_v2().await.unwrap_err();
        assert!(matches!(e, HubError::NotSignedIn { .. }));
        assert!(e.is_unauthorized());
        assert!(c.transport().requests().is_empty());
    }

    #[tokio::test]
    async fn gets_are_retried_with_backoff_then_succeed() {
        let c = client([
            Answer::bytes(503, b""),
            Answer::NetworkError,
            Answer::bytes(502, b""),
            Answer::bytes(200, b"ok"),
        ]);
        let r = c.get(&format!("{HUB}/x")).await.unwrap();
        assert_eq!(r.body, b"ok");
        assert_eq!(c.transport().requests().len(), 4);
        assert_eq!(
            c.transport().sleeps(),
            [500, 1000, 2000].map(Duration::from_millis)
        );
    }

    #[tokio::test]
    async fn retries_give_up_with_the_last_error() {
        let c = client((0..4).map(|_| Answer::bytes(504, b"").header("X-Request-Id", "r-last")));
        let e = c.get(&format!("{HUB}/x")).await.unwrap_err();
        assert_eq!(e.status(), Some(504));
        assert_eq!(e.request_id(), Some("r-last"));
        assert_eq!(c.transport().requests().len(), 4);
    }

    #[tokio::test]
    async fn retry_after_is_waited_for() {
        let c = client([
            Answer::bytes(429, b"").header("Retry-After", "2"),
            Answer::bytes(200, b""),
        ]);
        c.get(&format!("{HUB}/x")).await.unwrap();
        assert_eq!(c.transport().sleeps(), [Duration::from_secs(2)]);
    }

    #[tokio::test]
    async fn a_long_retry_after_is_not_waited_for() {
        let c = client([Answer::bytes(429, b"").header("Retry-After", "3600")]);
        let e = c.get(&format!("{HUB}/x")).await.unwrap_err();
        assert_eq!(e.status(), Some(429));
        assert!(c.transport().sleeps().is_empty());
    }

    #[tokio::test]
    async fn client_errors_are_not_retried() {
        let c = client([Answer::bytes(404, b"")]);
        assert!(c.get(&format!("{HUB}/x")).await.unwrap_err().is_not_found());
        assert_eq!(c.transport().requests().len(), 1);
    }

    #[tokio::test]
    async fn retry_policy_none_sends_once() {
        let c = client([Answer::bytes(503, b"")]).with_retry_policy(RetryPolicy::none());
        assert!(c.get(&format!("{HUB}/x")).await.is_err());
        assert_eq!(c.transport().requests().len(), 1);
    }

    #[tokio::test]
    async fn pagination_follows_link_next_and_keeps_the_token_on_the_hub() {
        let c = client([
            Answer::json(200, serde_json::json!([1, 2]))
                .header("Link", r#"</page?cursor=2>; rel="next""#),
            Answer::json(200, serde_json::json!([3]))
                .header("Link", r#"<https://cdn.test/page3>; rel="next""#),
            Answer::json(200, serde_json::json!([4])),
        ]);
        let items: Vec<u32> = c
            .paginated(Call::get(Operation::Fetch, format!("{HUB}/page")))
            .await
            .unwrap();
        assert_eq!(items, [1, 2, 3, 4]);
        let sent = c.transport().requests();
        assert_eq!(sent[1].url, format!("{HUB}/page?cursor=2"));
        assert!(authorization(&sent[1]).is_some());
        assert_eq!(sent[2].url, "https://cdn.test/page3");
        assert_eq!(authorization(&sent[2]), None);
    }

    #[tokio::test]
    async fn undecodable_answers_are_decode_errors() {
        let c = client([Answer::bytes(200, b"<html>")]);
        let e = c.whoami_v2().await.unwrap_err();
        assert!(matches!(e, HubError::Decode { .. }), "{e:?}");
    }
}
