//! The one error type of the Hub client, built in one place from a Hub response.

use std::time::Duration;

use serde::Deserialize;

use crate::transport::{HttpResponse, TransportError};
use crate::url::redact_url;

/// What the client was doing; errors use it to say what failed in the user's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    SignInDiscovery,
    SignInTokenExchange,
    SignInUserInfo,
    WhoAmI,
    CreateJob,
    InspectJob,
    ListJobs,
    CancelJob,
    JobLogs,
    JobHardware,
    CreateBucket,
    BucketInfo,
    ListBucketFiles,
    ReadBucketFile,
    SpaceInfo,
    SpaceRuntime,
    CreateSpace,
    CommitSpaceFiles,
    RequestSpaceHardware,
    PauseSpace,
    SpaceHardware,
    SpaceLogs,
    ModelInfo,
    ModelReadme,
    ModelFile,
    SpaceSecrets,
    Fetch,
}

impl Operation {
    /// Completes "Could not …".
    pub fn describe(self) -> &'static str {
        match self {
            Operation::SignInDiscovery => "start signing in with Hugging Face",
            Operation::SignInTokenExchange => "finish signing in with Hugging Face",
            Operation::SignInUserInfo => "read your Hugging Face profile",
            Operation::WhoAmI => "check who is signed in",
            Operation::CreateJob => "start the job",
            Operation::InspectJob => "read the job's status",
            Operation::ListJobs => "list your jobs",
            Operation::CancelJob => "cancel the job",
            Operation::JobLogs => "read the job's logs",
            Operation::JobHardware => "list the job hardware",
            Operation::CreateBucket => "create the bucket",
            Operation::BucketInfo => "check the bucket",
            Operation::ListBucketFiles => "list the files in the bucket",
            Operation::ReadBucketFile => "read the file from the bucket",
            Operation::SpaceInfo => "read the Space",
            Operation::SpaceRuntime => "read the Space's status",
            Operation::CreateSpace => "create the Space",
            Operation::CommitSpaceFiles => "upload files to the Space",
            Operation::RequestSpaceHardware => "request hardware for the Space",
            Operation::PauseSpace => "pause the Space",
            Operation::SpaceHardware => "list the Space hardware",
            Operation::SpaceLogs => "read the Space's logs",
            Operation::ModelInfo => "read the model",
            Operation::ModelReadme => "read the model card",
            Operation::ModelFile => "read the model's files",
            Operation::SpaceSecrets => "list the Space's secrets",
            Operation::Fetch => "download from Hugging Face",
        }
    }

    /// The thing a 404 is about, for "… was not found".
    fn subject(self) -> &'static str {
        match self {
            Operation::CreateJob
            | Operation::InspectJob
            | Operation::ListJobs
            | Operation::CancelJob
            | Operation::JobLogs => "The job",
            Operation::CreateBucket | Operation::BucketInfo | Operation::ListBucketFiles => {
                "The bucket"
            }
            Operation::ReadBucketFile => "The file in the bucket",
            Operation::SpaceInfo
            | Operation::SpaceRuntime
            | Operation::CreateSpace
            | Operation::CommitSpaceFiles
            | Operation::RequestSpaceHardware
            | Operation::PauseSpace
            | Operation::SpaceSecrets
            | Operation::SpaceLogs => "The Space",
            Operation::ModelInfo => "The model",
            Operation::ModelReadme => "The model card",
            Operation::ModelFile => "The model's file",
            _ => "What was asked for",
        }
    }
}

/// The Hub answered with an error status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubStatusError {
    pub operation: Operation,
    pub status: u16,
    /// The request URL with secret-looking query values removed.
    pub url: String,
    /// `X-Request-Id`, to quote when reporting a problem to Hugging Face.
    pub request_id: Option<String>,
    /// `X-Error-Code`, e.g. `RepoNotFound`, `EntryNotFound`, `GatedRepo`.
    pub error_code: Option<String>,
    /// `X-Error-Message`, else the JSON body's `error` (+ `error_description`), else a short text body.
    pub message: Option<String>,
    /// `Retry-After` in seconds, when given.
    pub retry_after: Option<Duration>,
}

/// Every way a Hub call can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// The Hub answered with a 4xx/5xx status.
    #[error("{}", status_sentence(.0))]
    Status(Box<HubStatusError>),
    /// No answer: connection refused, dropped, timed out, blocked by the browser.
    #[error("Could not {} because the network request to {url} failed ({detail}); check the connection and try again.", .operation.describe())]
    Network {
        operation: Operation,
        url: String,
        detail: String,
    },
    /// An answer that does not have the expected shape.
    #[error("Could not {} because the answer from {url} could not be read ({detail}); try again, and report it if it keeps happening.", .operation.describe())]
    Decode {
        operation: Operation,
        url: String,
        detail: String,
    },
    /// The call needs a token and the client has none.
    #[error("Could not {} because nobody is signed in; sign in with Hugging Face first.", .operation.describe())]
    NotSignedIn { operation: Operation },
    /// The call needs the token but the URL is not on the configured Hub; the token was not sent.
    #[error("Could not {} because {url} is not on the configured Hugging Face Hub, and the access token is only ever sent there; check the Hub URL setting.", .operation.describe())]
    ForeignOrigin { operation: Operation, url: String },
    /// An argument the caller passed cannot be used (bad id, bad URL); nothing was sent.
    #[error("{0}")]
    InvalidInput(String),
}

fn status_sentence(e: &HubStatusError) -> String {
    let mut text = format!(
        "Could not {}: {} answered HTTP {}",
        e.operation.describe(),
        e.url,
        e.status
    );
    if let Some(code) = &e.error_code {
        text.push_str(&format!(" ({code})"));
    }
    if let Some(message) = &e.message {
        text.push_str(&format!(": {message}"));
    }
    text.push('.');
    if let Some(id) = &e.request_id {
        text.push_str(&format!(" (request id {id})"));
    }
    text
}

/// The JSON error body: `{"error": "..." | ["...", ...], "error_description"?: "..."}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    error_description: Option<String>,
}

fn message_from_body(body: &[u8]) -> Option<String> {
    if let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) {
        let error = match parsed.error {
            Some(serde_json::Value::String(s)) => Some(s),
            Some(serde_json::Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Some(serde_json::Value::Null) | None => None,
            Some(other) => Some(other.to_string()),
        };
        return match (error, parsed.error_description) {
            (Some(e), Some(d)) if !d.is_empty() => Some(format!("{e}: {d}")),
            (Some(e), _) => Some(e),
            (None, d) => d,
        };
    }
    // A short plain-text body is a message too; HTML pages and long dumps are not.
    let text = std::str::from_utf8(body).ok()?.trim();
    let looks_like_markup = text.starts_with('<') || text.starts_with('{');
    (!text.is_empty() && text.len() <= 300 && !looks_like_markup).then(|| text.to_owned())
}

fn header(response: &HttpResponse, name: &str) -> Option<String> {
    response
        .headers
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// `Retry-After` as delay-seconds (the HTTP-date form is not used by the Hub and is ignored).
pub(crate) fn retry_after(response_headers: &crate::transport::Headers) -> Option<Duration> {
    response_headers
        .get("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

impl HubError {
    /// The single place a Hub error response becomes a [`HubError`].
    pub fn from_response(operation: Operation, url: &str, response: &HttpResponse) -> Self {
        let message =
            header(response, "x-error-message").or_else(|| message_from_body(&response.body));
        HubError::Status(Box::new(HubStatusError {
            operation,
            status: response.status,
            url: redact_url(url),
            request_id: header(response, "x-request-id"),
            error_code: header(response, "x-error-code"),
            message,
            retry_after: retry_after(&response.headers),
        }))
    }

    pub(crate) fn network(operation: Operation, url: &str, error: &TransportError) -> Self {
        let detail = match error {
            TransportError::Network(d) | TransportError::Invalid(d) => d.clone(),
        };
        HubError::Network {
            operation,
            url: redact_url(url),
            detail,
        }
    }

    pub(crate) fn decode(operation: Operation, url: &str, detail: impl ToString) -> Self {
        HubError::Decode {
            operation,
            url: redact_url(url),
            detail: detail.to_string(),
        }
    }

    /// The HTTP status, when the Hub answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            HubError::Status(e) => Some(e.status),
            _ => None,
        }
    }

    /// The Hub's `X-Request-Id`, when it sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            HubError::Status(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// The Hub's `X-Error-Code` (`RepoNotFound`, `EntryNotFound`, …).
    pub fn error_code(&self) -> Option<&str> {
        match self {
            HubError::Status(e) => e.error_code.as_deref(),
            _ => None,
        }
    }

    /// The server's own message, when it sent one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            HubError::Status(e) => e.message.as_deref(),
            _ => None,
        }
    }

    /// The URL involved (never containing a token).
    pub fn url(&self) -> Option<&str> {
        match self {
            HubError::Status(e) => Some(&e.url),
            HubError::Network { url, .. }
            | HubError::Decode { url, .. }
            | HubError::ForeignOrigin { url, .. } => Some(url),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 401, or no token at all: the person must sign in (again).
    pub fn is_unauthorized(&self) -> bool {
        self.status() == Some(401) || matches!(self, HubError::NotSignedIn { .. })
    }

    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    pub fn is_network(&self) -> bool {
        matches!(self, HubError::Network { .. })
    }

    /// A sentence for a person: what happened and what to do, ending with the request id if any.
    pub fn user_message(&self) -> String {
        let HubError::Status(e) = self else {
            return match self {
                HubError::Network { operation, .. } => format!(
                    "Could not reach Hugging Face to {}; check your connection and try again.",
                    operation.describe()
                ),
                other => other.to_string(),
            };
        };
        let mut text = status_user_sentence(e);
        if let Some(id) = &e.request_id {
            text.push_str(&format!(" (request id {id})"));
        }
        text
    }
}

fn status_user_sentence(e: &HubStatusError) -> String {
    let what = e.operation.describe();
    let detail = e
        .message
        .as_deref()
        .map(|m| format!(" Hugging Face said: \"{m}\"."))
        .unwrap_or_default();
    match (e.status, e.operation) {
        (401, _) => {
            "Your Hugging Face session has expired or the token is invalid; sign in again.".into()
        }
        (402, _) => format!(
            "Could not {what}: Hugging Face asks for a paid plan or a payment method for this (Gradio Spaces, paid hardware and Jobs need PRO or billing); check your plan and billing settings on huggingface.co.{detail}"
        ),
        (403, Operation::CreateJob) => format!(
            "Could not {what}: your Hugging Face token is not allowed to run Jobs; sign in again and grant the `jobs` permission, or use a token that has it.{detail}"
        ),
        (403, _) => format!(
            "Could not {what}: Hugging Face refused access; sign in again with the needed permissions, or use a token that can write to this namespace.{detail}"
        ),
        (404, Operation::ModelInfo) if e.error_code.as_deref() == Some("GatedRepo") => format!(
            "Could not {what}: the model is gated; accept its conditions on its Hugging Face page first.{detail}"
        ),
        (404, op) => format!(
            "{} was not found on Hugging Face, or your account cannot see it; check the name.{detail}",
            op.subject()
        ),
        (409, Operation::CreateBucket) => {
            "A bucket with this name already exists; use it, or pick another name.".into()
        }
        (409, Operation::CreateSpace) => {
            "A Space with this name already exists; pick another name.".into()
        }
        (409, _) => format!(
            "Could not {what}: it conflicts with something that already exists or is in progress; wait a moment and try again.{detail}"
        ),
        (429, _) => {
            let wait = e
                .retry_after
                .map(|d| format!("wait {} seconds", d.as_secs()))
                .unwrap_or_else(|| "wait a minute".into());
            format!(
                "Could not {what}: Hugging Face is limiting how fast requests can be made; {wait} and try again."
            )
        }
        (500..=599, _) => format!(
            "Could not {what}: Hugging Face had a problem on its side (HTTP {}); try again in a moment.",
            e.status
        ),
        (status, _) => {
            format!("Could not {what}: Hugging Face refused the request (HTTP {status}).{detail}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Headers;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().copied().collect::<Headers>(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn status_error(e: &HubError) -> &HubStatusError {
        match e {
            HubError::Status(s) => s,
            other => panic!("expected a status error, got {other:?}"),
        }
    }

    #[test]
    fn reads_headers_and_string_error_body() {
        let r = response(
            404,
            &[("X-Request-Id", "req-1"), ("X-Error-Code", "RepoNotFound")],
            r#"{"error":"Repository not found"}"#,
        );
        let e = HubError::from_response(Operation::BucketInfo, "https://hf.co/api/buckets/a/b", &r);
        let s = status_error(&e);
        assert_eq!(s.status, 404);
        assert_eq!(s.request_id.as_deref(), Some("req-1"));
        assert_eq!(s.error_code.as_deref(), Some("RepoNotFound"));
        assert_eq!(s.message.as_deref(), Some("Repository not found"));
        assert!(e.is_not_found());
        assert!(!e.is_conflict());
        assert_eq!(
            e.user_message(),
            "The bucket was not found on Hugging Face, or your account cannot see it; check the name. Hugging Face said: \"Repository not found\". (request id req-1)"
        );
    }

    #[test]
    fn x_error_message_wins_over_body() {
        let r = response(
            400,
            &[("x-error-message", "Bad flavor")],
            r#"{"error":"something else"}"#,
        );
        let e = HubError::from_response(Operation::CreateJob, "https://hf.co/api/jobs/u", &r);
        assert_eq!(e.server_message(), Some("Bad flavor"));
    }

    #[test]
    fn list_error_and_description_are_joined() {
        let r = response(400, &[], r#"{"error":["a is wrong","b is wrong"]}"#);
        let e = HubError::from_response(Operation::CreateJob, "u", &r);
        assert_eq!(e.server_message(), Some("a is wrong; b is wrong"));

        let r = response(
            400,
            &[],
            r#"{"error":"invalid_grant","error_description":"code expired"}"#,
        );
        let e = HubError::from_response(Operation::SignInTokenExchange, "u", &r);
        assert_eq!(e.server_message(), Some("invalid_grant: code expired"));
    }

    #[test]
    fn html_bodies_are_not_messages_but_short_text_is() {
        let r = response(502, &[], "<html><body>Bad gateway</body></html>");
        assert_eq!(
            HubError::from_response(Operation::Fetch, "u", &r).server_message(),
            None
        );
        let r = response(500, &[], "Internal Error\n");
        assert_eq!(
            HubError::from_response(Operation::Fetch, "u", &r).server_message(),
            Some("Internal Error")
        );
    }

    #[test]
    fn user_messages_say_what_to_do() {
        let e = HubError::from_response(
            Operation::WhoAmI,
            "u",
            &response(
                401,
                &[("X-Request-Id", "r9")],
                r#"{"error":"Invalid credentials"}"#,
            ),
        );
        assert!(e.is_unauthorized());
        assert_eq!(
            e.user_message(),
            "Your Hugging Face session has expired or the token is invalid; sign in again. (request id r9)"
        );

        let e = HubError::from_response(Operation::CreateJob, "u", &response(403, &[], ""));
        assert!(e.is_forbidden());
        assert!(
            e.user_message().contains("`jobs` permission"),
            "{}",
            e.user_message()
        );

        let e = HubError::from_response(Operation::CreateSpace, "u", &response(402, &[], ""));
        assert!(e.user_message().contains("PRO"), "{}", e.user_message());

        let e = HubError::from_response(
            Operation::ListJobs,
            "u",
            &response(429, &[("Retry-After", "7")], ""),
        );
        assert!(
            e.user_message().contains("wait 7 seconds"),
            "{}",
            e.user_message()
        );

        let e = HubError::from_response(Operation::CreateBucket, "u", &response(409, &[], ""));
        assert!(e.is_conflict());
        assert!(
            e.user_message()
                .starts_with("A bucket with this name already exists")
        );
    }

    #[test]
    fn network_and_local_errors_have_sentences_too() {
        let e = HubError::network(
            Operation::BucketInfo,
            "https://hf.co/api/buckets/a/b",
            &TransportError::Network("connection refused".into()),
        );
        assert!(e.is_network());
        assert_eq!(e.status(), None);
        assert_eq!(
            e.user_message(),
            "Could not reach Hugging Face to check the bucket; check your connection and try again."
        );
        let e = HubError::NotSignedIn {
            operation: Operation::CreateJob,
        };
        assert_eq!(
            e.user_message(),
            "Could not start the job because nobody is signed in; sign in with Hugging Face first."
        );
    }

    #[test]
    fn urls_in_errors_lose_secret_query_values() {
        let e = HubError::from_response(
            Operation::Fetch,
            "https://hf.co/x?access_token=hf_secret&label=a",
            &response(500, &[], ""),
        );
        let url = e.url().unwrap();
        assert!(!url.contains("hf_secret"), "{url}");
        assert!(url.contains("label=a"), "{url}");
        assert!(!e.to_string().contains("hf_secret"));
    }

    #[test]
    fn display_is_a_sentence_with_status_code_and_request_id() {
        let e = HubError::from_response(
            Operation::InspectJob,
            "https://hf.co/api/jobs/u/1",
            &response(
                500,
                &[("X-Request-Id", "abc"), ("X-Error-Code", "Boom")],
                r#"{"error":"oops"}"#,
            ),
        );
        assert_eq!(
            e.to_string(),
            "Could not read the job's status: https://hf.co/api/jobs/u/1 answered HTTP 500 (Boom): oops. (request id abc)"
        );
    }
}
