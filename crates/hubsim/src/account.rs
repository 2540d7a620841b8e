//! `GET /api/whoami-v2` and the users' avatar images.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::state::{Sim, TokenKind};
use crate::util::iso;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/api/whoami-v2", get(whoami))
        .route("/avatars/{file}", get(avatar))
}

async fn whoami(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> ApiResult<Response> {
    let caller = sim.require_caller(&headers)?;
    let user = sim
        .user(&caller.user)
        .ok_or_else(ApiError::invalid_credentials)?;
    let mut auth = json!({
        "type": "access_token",
        "accessToken": {
            "displayName": caller.token.display_name,
            "role": caller.role(),
            "createdAt": iso(caller.token.created_at),
        },
    });
    if let Some(expires) = caller.token.expires_at {
        auth["expiresAt"] = json!(iso(expires));
    }
    if caller.token.kind == TokenKind::OAuth {
        auth["accessToken"]["displayName"] = json!("OAuth access token");
    }
    Ok(axum::Json(json!({
        "type": "user",
        "id": user.id,
        "name": user.name,
        "fullname": user.fullname,
        "email": user.email,
        "emailVerified": true,
        "isPro": user.is_pro,
        "canPay": user.can_pay,
        "avatarUrl": sim.avatar_url(&user.name),
        "periodEnd": null,
        "billingMode": "prepaid",
        "orgs": [],
        "auth": auth,
    }))
    .into_response())
}

/// A small SVG with the user's initial, so avatar `<img>` tags load offline.
async fn avatar(Path(file): Path<String>) -> Response {
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    let initial = name
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .filter(char::is_ascii_alphanumeric)
        .unwrap_or('?');
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"64\" height=\"64\" viewBox=\"0 0 64 64\">\
         <rect width=\"64\" height=\"64\" rx=\"32\" fill=\"#ff9d00\"/>\
         <text x=\"32\" y=\"42\" font-size=\"30\" text-anchor=\"middle\" fill=\"#fff\" font-family=\"sans-serif\">{initial}</text></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}
