//! The one JSON body extractor of the simulator (axum's `customize-extractor-error` example):
//! a body that is not JSON, or not the shape the handler's type says, is answered like every
//! other error — a 400 [`ApiError`] with the Hub's `{"error": ...}` body and headers.
//!
//! Unlike `axum::Json` it does not insist on `Content-Type: application/json`: the Hub reads
//! the body whatever the client labels it, and so does the simulator.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A request body deserialized into `T`.
pub(crate) struct Json<T>(pub T);

/// Like [`Json`], but an empty (or all-whitespace) body is `None`: for endpoints whose body is
/// optional (bucket creation, for example).
pub(crate) struct OptionalJson<T>(pub Option<T>);

/// Parses `bytes` as `T`, with the simulator's sentence for a body it cannot read.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("Invalid JSON body: {e}")))
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| {
        ApiError::new(
            e.status(),
            format!("Could not read the request body: {}", e.body_text()),
        )
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        parse(&bytes).map(Json)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = body_bytes(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        parse(&bytes).map(|v| OptionalJson(Some(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;

    #[derive(serde::Deserialize, Debug)]
    struct Body {
        #[allow(dead_code)]
        flavor: String,
    }

    async fn extract<T: FromRequest<()>>(body: &'static str) -> Result<T, T::Rejection> {
        let req = Request::builder()
            .method("POST")
            .uri("/")
            .body(axum::body::Body::from(body))
            .unwrap();
        T::from_request(req, &()).await
    }

    #[tokio::test]
    async fn a_body_of_the_wrong_shape_is_a_hub_shaped_400() {
        let Err(e) = extract::<Json<Body>>("{\"flavour\": \"t4-small\"}").await else {
            panic!("a body without 'flavor' was accepted");
        };
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(
            e.message.contains("missing field `flavor`"),
            "{}",
            e.message
        );
        let response = e.into_response();
        assert!(response.headers().contains_key("x-error-message"));
        assert!(extract::<Json<Body>>("not json").await.is_err());
        assert!(extract::<Json<Body>>("{\"flavor\": \"x\"}").await.is_ok());
    }

    #[tokio::test]
    async fn an_optional_body_may_be_empty_but_not_wrong() {
        let Ok(OptionalJson(None)) = extract::<OptionalJson<Body>>("  \n").await else {
            panic!("an empty body is no body");
        };
        assert!(extract::<OptionalJson<Body>>("{}").await.is_err());
    }
}
