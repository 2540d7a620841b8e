//! Hub-shaped error responses: a JSON body `{"error": "..."}` plus the `X-Error-Code` and
//! `X-Error-Message` headers the official clients read.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Message the Hub sends with a 401 for a token it does not accept; `huggingface_hub` compares
/// against this exact text.
pub(crate) const INVALID_CREDENTIALS: &str = "Invalid credentials in Authorization header";

/// An error answer of the simulated Hub.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: Option<&'static str>,
    pub message: String,
    /// A body to send instead of `{"error": message}` (OAuth errors, injected faults).
    pub body: Option<Value>,
    pub retry_after: Option<u64>,
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: None,
            message: message.into(),
            body: None,
            retry_after: None,
        }
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 401 for a missing, unknown, revoked or expired token.
    pub fn invalid_credentials() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, INVALID_CREDENTIALS)
    }

    /// 401 for an endpoint that needs a token when none was sent.
    pub fn login_required() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "You must be authenticated to access this resource: send an access token as 'Authorization: Bearer hf_...'.",
        )
    }

    /// 404 `RepoNotFound` for a repository or bucket that is missing or not visible to the caller.
    pub fn repo_not_found(kind: &str, id: &str) -> Self {
        Self::not_found(format!("{kind} not found: {id}")).with_code("RepoNotFound")
    }

    pub fn entry_not_found(path: &str) -> Self {
        Self::not_found(format!("Entry not found: {path}")).with_code("EntryNotFound")
    }

    pub fn missing_scope(scopes: &[&str], action: &str) -> Self {
        Self::forbidden(format!(
            "This token is missing the permission to {action}: it needs one of the scopes {}.",
            scopes.join(", ")
        ))
    }
}

/// Header values must be visible ASCII; anything else is replaced so the header is never dropped.
fn header_safe(s: &str) -> HeaderValue {
    let cleaned: String = s
        .chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { ' ' })
        .collect();
    HeaderValue::from_str(&cleaned).unwrap_or_else(|_| HeaderValue::from_static("error"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self
            .body
            .clone()
            .unwrap_or_else(|| json!({ "error": self.message }));
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(code) = self.code {
            headers.insert("x-error-code", HeaderValue::from_static(code));
        }
        headers.insert("x-error-message", header_safe(&self.message));
        if let Some(secs) = self.retry_after {
            headers.insert("retry-after", HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_response_has_code_message_and_body() {
        let response = ApiError::repo_not_found("Bucket", "a/b").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["x-error-code"], "RepoNotFound");
        assert_eq!(
            response.headers()["x-error-message"],
            "Bucket not found: a/b"
        );
    }

    #[test]
    fn non_ascii_messages_still_make_a_header() {
        assert_eq!(header_safe("café\nbar"), "caf  bar");
    }
}
