//! OAuth 2.0 authorization code flow with PKCE (S256), as the Hub runs it for static Spaces:
//! discovery, an authorize page with Approve / Deny, the token exchange and userinfo.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::ConsentMode;
use crate::error::ApiError;
use crate::state::{ALL_SCOPES, AuthCode, Sim, TokenKind, lock};
use crate::util::html_escape;

pub(crate) fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth/authorize", get(authorize_get).post(authorize_post))
        .route("/oauth/token", axum::routing::post(token))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route("/oauth/jwks", get(jwks))
}

async fn discovery(State(sim): State<Arc<Sim>>) -> Response {
    let base = &sim.public_url;
    axum::Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "userinfo_endpoint": format!("{base}/oauth/userinfo"),
        "jwks_uri": format!("{base}/oauth/jwks"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": ALL_SCOPES,
        "claims_supported": ["sub", "name", "preferred_username", "picture", "profile", "website", "email", "email_verified", "isPro", "canPay", "orgs"],
    }))
    .into_response()
}

async fn jwks() -> Response {
    // The id token is signed with a per-instance HMAC secret, so there is no public key to publish.
    axum::Json(json!({ "keys": [] })).into_response()
}

/// An error page shown instead of redirecting: the redirect target cannot be trusted.
fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><h1>Sign-in error</h1><p id=\"error\">{}</p></body></html>",
        html_escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// `redirect_uri` with extra query parameters appended (keeping any it already has).
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut pairs = url.query_pairs_mut();
                for (k, v) in params {
                    pairs.append_pair(k, v);
                }
            }
            Redirect::to(url.as_str()).into_response()
        }
        Err(_) => error_page("The redirect_uri is not a valid URL."),
    }
}

/// Requests the authorize endpoint validated; everything after this may redirect.
struct Authorize {
    params: HashMap<String, String>,
    client_id: String,
    redirect_uri: String,
}

/// Checks the client and the redirect target; the error is the sentence for the error page.
fn validate_client(sim: &Sim, params: HashMap<String, String>) -> Result<Authorize, String> {
    let redirect_uri = params.get("redirect_uri").cloned().unwrap_or_default();
    match url::Url::parse(&redirect_uri) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        _ => {
            return Err("The redirect_uri parameter is missing or is not an http(s) URL.".into());
        }
    }
    let client_id = params.get("client_id").cloned().unwrap_or_default();
    if client_id.is_empty() {
        return Err("The client_id parameter is missing.".into());
    }
    if let Some(expected) = &sim.cfg.oauth_client_id
        && &client_id != expected
    {
        return Err(format!(
            "Unknown OAuth client id '{client_id}': this Hub only knows '{expected}'."
        ));
    }
    Ok(Authorize {
        params,
        client_id,
        redirect_uri,
    })
}

fn deny(req: &Authorize, error: &str, description: &str) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = req.params.get("state") {
        params.push(("state", state));
    }
    redirect_with(&req.redirect_uri, &params)
}

/// Issues a code and redirects back, or redirects back with an error when the request is not a
/// PKCE S256 code request.
fn approve(sim: &Sim, req: &Authorize) -> Response {
    if req.params.get("response_type").map(String::as_str) != Some("code") {
        return deny(
            req,
            "unsupported_response_type",
            "Only response_type=code is supported.",
        );
    }
    let challenge = req
        .params
        .get("code_challenge")
        .cloned()
        .unwrap_or_default();
    if challenge.is_empty()
        || req.params.get("code_challenge_method").map(String::as_str) != Some("S256")
    {
        return deny(
            req,
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256.",
        );
    }
    let mut scopes: BTreeSet<String> = req
        .params
        .get("scope")
        .map(String::as_str)
        .unwrap_or("openid profile")
        .split_whitespace()
        .filter(|s| ALL_SCOPES.contains(s))
        .map(str::to_string)
        .collect();
    scopes.insert("openid".to_string());
    scopes.insert("profile".to_string());
    let user = lock(&sim.consent).user.clone();
    let code = crate::util::random_alnum(32);
    lock(&sim.codes).insert(
        code.clone(),
        AuthCode {
            user,
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: challenge,
            scopes,
            expires_at: Utc::now() + Duration::minutes(10),
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = req.params.get("state") {
        params.push(("state", state));
    }
    redirect_with(&req.redirect_uri, &params)
}

fn consent_page(sim: &Sim, req: &Authorize) -> Response {
    let user = lock(&sim.consent).user.clone();
    let hidden: String = req
        .params
        .iter()
        .filter(|(k, _)| k.as_str() != "decision" && k.as_str() != "auto")
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    let scope = req.params.get("scope").cloned().unwrap_or_default();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize application</title></head>\
         <body><h1>Authorize {client}</h1>\
         <p>Signed in as <strong id=\"user\">{user}</strong> on the Hub simulator.</p>\
         <p>The application asks for: <code id=\"scopes\">{scope}</code></p>\
         <form method=\"post\" action=\"/oauth/authorize\">{hidden}\
         <button id=\"approve\" type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> \
         <button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Deny</button>\
         </form></body></html>",
        client = html_escape(&req.client_id),
        user = html_escape(&user),
        scope = html_escape(&scope),
    );
    Html(body).into_response()
}

async fn authorize_get(
    State(sim): State<Arc<Sim>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let req = match validate_client(&sim, params) {
        Ok(r) => r,
        Err(message) => return error_page(&message),
    };
    let mode = match req.params.get("auto").map(String::as_str) {
        Some("approve") => ConsentMode::Approve,
        Some("deny") => ConsentMode::Deny,
        _ => lock(&sim.consent).mode,
    };
    match mode {
        ConsentMode::Approve => approve(&sim, &req),
        ConsentMode::Deny => deny(
            &req,
            "access_denied",
            "The user denied the authorization request.",
        ),
        ConsentMode::Ask => consent_page(&sim, &req),
    }
}

async fn authorize_post(State(sim): State<Arc<Sim>>, body: Bytes) -> Response {
    let params: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let req = match validate_client(&sim, params) {
        Ok(r) => r,
        Err(message) => return error_page(&message),
    };
    match req.params.get("decision").map(String::as_str) {
        Some("approve") => approve(&sim, &req),
        _ => deny(
            &req,
            "access_denied",
            "The user denied the authorization request.",
        ),
    }
}

fn oauth_error(error: &str, description: &str) -> ApiError {
    ApiError::bad_request(description).with_body(json!({
        "error": error,
        "error_description": description,
    }))
}

fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~'))
}

async fn token(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    match exchange(&sim, &headers, &body) {
        Ok(v) => {
            let mut r = axum::Json(v).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
            r
        }
        Err(e) => e.into_response(),
    }
}

fn exchange(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(oauth_error(
            "invalid_request",
            "The token request must be sent as application/x-www-form-urlencoded.",
        ));
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if field("grant_type") != "authorization_code" {
        return Err(oauth_error(
            "unsupported_grant_type",
            "Only grant_type=authorization_code is supported.",
        ));
    }
    // A code is single-use: any exchange attempt consumes it.
    let code = lock(&sim.codes).remove(field("code")).ok_or_else(|| {
        oauth_error(
            "invalid_grant",
            "The authorization code is unknown, expired or was already used.",
        )
    })?;
    if code.expires_at <= Utc::now() {
        return Err(oauth_error(
            "invalid_grant",
            "The authorization code has expired.",
        ));
    }
    if field("redirect_uri") != code.redirect_uri {
        return Err(oauth_error(
            "invalid_grant",
            "The redirect_uri does not match the one used in the authorization request.",
        ));
    }
    if let Some(client_id) = form.get("client_id")
        && client_id != &code.client_id
    {
        return Err(oauth_error(
            "invalid_grant",
            "The client_id does not match the one used in the authorization request.",
        ));
    }
    let verifier = field("code_verifier");
    if !valid_verifier(verifier) || pkce_s256(verifier) != code.code_challenge {
        return Err(oauth_error(
            "invalid_grant",
            "The code_verifier does not match the code_challenge (PKCE S256).",
        ));
    }
    let ttl = (*lock(&sim.oauth_ttl_secs))
        .unwrap_or_else(|| crate::static_app::oauth_token_ttl_secs(sim));
    let (access_token, record) = sim.issue_token(
        &code.user,
        code.scopes.clone(),
        Some(Duration::seconds(ttl as i64)),
        TokenKind::OAuth,
    );
    let id_token = id_token(sim, &code.user, &code.client_id, ttl);
    Ok(json!({
        "access_token": access_token,
        "expires_in": ttl,
        "id_token": id_token,
        "scope": record.scopes.iter().cloned().collect::<Vec<_>>().join(" "),
        "token_type": "bearer",
    }))
}

/// A JWT (HS256, per-instance secret) with the OIDC claims of the user. Nobody verifies it;
/// it has the Hub's shape.
fn id_token(sim: &Sim, user: &str, client_id: &str, ttl: u64) -> String {
    let now = Utc::now().timestamp();
    let u = sim.user(user);
    let header = json!({ "alg": "HS256", "typ": "JWT" });
    let claims = json!({
        "iss": sim.public_url,
        "sub": u.map(|u| u.id.clone()).unwrap_or_default(),
        "aud": client_id,
        "iat": now,
        "auth_time": now,
        "exp": now + ttl as i64,
        "name": u.map(|u| u.fullname.clone()).unwrap_or_default(),
        "preferred_username": user,
        "profile": format!("{}/{user}", sim.public_url),
        "picture": sim.avatar_url(user),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sim.public_url.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

async fn userinfo(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    let caller = match sim.require_caller(&headers) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let Some(user) = sim.user(&caller.user) else {
        return ApiError::invalid_credentials().into_response();
    };
    let mut info = json!({
        "sub": user.id,
        "name": user.fullname,
        "preferred_username": user.name,
        "profile": format!("{}/{}", sim.public_url, user.name),
        "picture": sim.avatar_url(&user.name),
        "isPro": user.is_pro,
        "orgs": [],
    });
    if caller.has_any(&["email"]) {
        info["email"] = json!(user.email);
        info["email_verified"] = json!(true);
    }
    if caller.has_any(&["read-billing"]) {
        info["canPay"] = json!(user.can_pay);
    }
    axum::Json(info).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_rules() {
        assert!(valid_verifier(&"a".repeat(43)));
        assert!(!valid_verifier(&"a".repeat(42)));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}!", "a".repeat(43))));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
