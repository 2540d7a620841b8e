//! Cursor pagination with a `Link: <...>; rel="next"` header, like the Hub's list endpoints.

use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::ApiError;
use crate::state::Sim;

fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&bytes)
        .ok()?
        .strip_prefix("offset:")?
        .parse()
        .ok()
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// One page of `items` as a JSON array; the next page's URL keeps the request's path (raw, as
/// sent) and query, with `cursor` replaced.
pub(crate) fn paged(sim: &Sim, uri: &Uri, items: Vec<Value>) -> Response {
    let query = uri.query();
    let offset = match crate::util::query_value(query, "cursor") {
        None => 0,
        Some(c) => match decode_cursor(&c) {
            Some(o) => o,
            None => {
                return ApiError::bad_request("The pagination cursor is not valid.")
                    .into_response();
            }
        },
    };
    let size = sim.cfg.page_size.max(1);
    let end = (offset + size).min(items.len());
    let page: Vec<Value> = items
        .get(offset.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let mut response = axum::Json(Value::Array(page)).into_response();
    if end < items.len() {
        let mut pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .filter(|(k, _)| k != "cursor")
                .collect();
        pairs.push(("cursor".to_string(), encode_cursor(end)));
        let next_query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let link = format!(
            "<{}{}?{}>; rel=\"next\"",
            sim.public_url,
            uri.path(),
            next_query
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, v);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("garbage!"), None);
    }
}
