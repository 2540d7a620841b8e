//! Sign-in with Hugging Face: the OAuth authorization-code flow with PKCE (S256), done the way
//! huggingface.js does it — a nonce travels inside `state` (a JSON string), the verifier and the
//! nonce wait in localStorage, and the token exchange sends no client secret.
//!
//! The `oauth2` crate makes the PKCE challenge and the authorization URL; the verifier and the
//! nonce are random bytes from the browser's `crypto.getRandomValues` (`getrandom`), base64url
//! without padding, as `oauth2`'s `new_random_sha256` and `CsrfToken::new_random` make them
//! (32 and 16 bytes), without `rand`'s ChaCha generator in between (issue 13: about 12 KB of wasm).
//! The token
//! exchange itself goes through `sf_hub` (`exchange_code`): `oauth2`'s `request_async` would need
//! an adapter to our transport and would bring a second error type, while the Hub client already
//! turns the Hub's answers into one `HubError` with a sentence for the person.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};
use serde::{Deserialize, Serialize};
use sf_hub::{CodeExchange, HubError};

use super::session::{Session, SignInMethod};
use crate::config::AppConfig;
use crate::storage;

const NONCE_KEY: &str = "space-factory:oauth:nonce";
const VERIFIER_KEY: &str = "space-factory:oauth:code_verifier";

/// What travels in the `state` parameter (same field names as huggingface.js).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthState {
    pub nonce: String,
    #[serde(rename = "redirectUri")]
    pub redirect_uri: String,
    /// The query string of the page to return to (e.g. `?view=build`).
    #[serde(default)]
    pub state: Option<String>,
}

/// What the Hub put in the address bar when it sent the person back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    None,
    Denied {
        error: String,
        description: Option<String>,
    },
    Code {
        code: String,
        state: String,
    },
}

/// Reads the OAuth answer from a query string (`?code=…&state=…` or `?error=…`).
pub fn parse_redirect(query: &str) -> Redirect {
    // The browser's URLSearchParams in the page (sf_hub::url): no form decoder of our own in the
    // main module, which reads every redirect (issue 13).
    let pairs = sf_hub::url::form_decode(query);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    if let Some(error) = get("error") {
        return Redirect::Denied {
            error,
            description: get("error_description"),
        };
    }
    match (get("code"), get("state")) {
        (Some(code), Some(state)) => Redirect::Code { code, state },
        _ => Redirect::None,
    }
}

/// The query string to keep after removing the OAuth parameters from it.
pub fn strip_oauth_params(query: &str) -> String {
    const OAUTH: [&str; 4] = ["code", "state", "error", "error_description"];
    let kept: Vec<(String, String)> = sf_hub::url::form_decode(query)
        .into_iter()
        .filter(|(k, _)| !OAUTH.contains(&k.as_str()))
        .collect();
    if kept.is_empty() {
        return String::new();
    }
    let encoded = sf_hub::url::form_encode(kept.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    format!("?{encoded}")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SignInError {
    #[error(
        "Sign-in was not completed: Hugging Face answered \"{0}\". Nothing was changed; you can try again."
    )]
    Denied(String),
    #[error(
        "This sign-in answer does not match the sign-in this page started, so it was refused for your safety. Please sign in again."
    )]
    StateMismatch,
    #[error(
        "The sign-in could not be finished because this browser no longer holds the data it started with (was it started in another browser, or was site data cleared?). Please sign in again."
    )]
    MissingVerifier,
    #[error(
        "This Space has no OAuth app (OAUTH_CLIENT_ID is not set), so paste an access token instead."
    )]
    NoClient,
    #[error(
        "This browser could not give the random numbers a safe sign-in needs (crypto.getRandomValues failed). Please try again, or paste an access token instead."
    )]
    NoRandom,
    #[error("{0}")]
    Hub(String),
}

/// `n` random bytes from the browser (or the OS, natively), base64url without padding.
fn random_base64url(n: usize) -> Result<String, SignInError> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes).map_err(|_| SignInError::NoRandom)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl From<HubError> for SignInError {
    fn from(e: HubError) -> Self {
        SignInError::Hub(e.user_message())
    }
}

/// Checks the returned `state` against the nonce this browser stored (pure; tested natively).
pub fn check_state(
    state_json: &str,
    stored_nonce: Option<&str>,
) -> Result<OAuthState, SignInError> {
    let state: OAuthState =
        serde_json::from_slice(state_json.as_bytes()).map_err(|_| SignInError::StateMismatch)?;
    match stored_nonce {
        Some(n) if !n.is_empty() && n == state.nonce => Ok(state),
        Some(_) => Err(SignInError::StateMismatch),
        None => Err(SignInError::MissingVerifier),
    }
}

/// Builds the authorization URL (pure apart from the random PKCE pair and nonce).
pub fn authorization_url(
    authorization_endpoint: &str,
    client_id: &str,
    scopes: &[String],
    redirect_uri: &str,
    return_to: Option<String>,
) -> Result<(String, OAuthState, String), SignInError> {
    // RFC 7636: 32 bytes make a 43-character verifier, its shortest allowed length.
    let verifier = PkceCodeVerifier::new(random_base64url(32)?);
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let nonce = random_base64url(16)?;
    let state = OAuthState {
        nonce,
        redirect_uri: redirect_uri.to_string(),
        state: return_to,
    };
    let state_json = serde_json::to_string(&state).expect("a plain struct serializes");
    let bad = |what: &str| {
        SignInError::Hub(format!(
            "The sign-in {what} of this Hub is not a valid URL."
        ))
    };
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(AuthUrl::new(authorization_endpoint.to_string()).map_err(|_| bad("address"))?)
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.to_string()).map_err(|_| bad("return address"))?,
        );
    let (url, _) = client
        .authorize_url(move || CsrfToken::new(state_json))
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge)
        .url();
    Ok((url.to_string(), state, verifier.secret().clone()))
}

/// The page's own address without query or fragment: where the Hub sends the person back.
pub fn redirect_uri() -> String {
    let loc = web_sys::window().expect("a window").location();
    format!(
        "{}{}",
        loc.origin().unwrap_or_default(),
        loc.pathname().unwrap_or_else(|_| "/".into())
    )
}

fn is_framed() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    match window.top() {
        Ok(Some(top)) => !js_sys::Object::is(&top, &window),
        // Reading `top` across origins can throw: then we are framed.
        _ => true,
    }
}

/// Starts the sign-in: stores the verifier and nonce, then opens the Hub's consent page — at the
/// top level, or in a new tab when the app runs inside the Hub's iframe (cookies work there).
pub async fn begin(config: &AppConfig, return_to: Option<String>) -> Result<(), SignInError> {
    let client_id = config
        .oauth_client_id
        .as_deref()
        .ok_or(SignInError::NoClient)?;
    let hub = crate::hub::client(&config.openid_provider_url)?;
    let discovery = hub
        .openid_configuration_at(&config.openid_provider_url)
        .await?;
    let (url, state, verifier) = authorization_url(
        &discovery.authorization_endpoint,
        client_id,
        &config.scopes(),
        &redirect_uri(),
        return_to,
    )?;
    storage::set_string(NONCE_KEY, &state.nonce);
    storage::set_string(VERIFIER_KEY, &verifier);
    let window = web_sys::window().expect("a window");
    if is_framed() {
        let _ = window.open_with_url_and_target(&url, "_blank");
    } else {
        let _ = window.location().assign(&url);
    }
    Ok(())
}

/// Takes the stored nonce and verifier out of storage (they are single-use) and checks the
/// returned `state` against the nonce.
pub fn take_and_check(state_json: &str) -> Result<(OAuthState, String), SignInError> {
    let nonce = storage::get_string(NONCE_KEY);
    let verifier = storage::get_string(VERIFIER_KEY);
    storage::remove(NONCE_KEY);
    storage::remove(VERIFIER_KEY);
    let state = check_state(state_json, nonce.as_deref())?;
    Ok((state, verifier.ok_or(SignInError::MissingVerifier)?))
}

/// Finishes the sign-in after the redirect: trades the code for a token with the PKCE verifier
/// and reads the profile.
pub async fn complete(
    config: &AppConfig,
    code: &str,
    state: &OAuthState,
    verifier: String,
) -> Result<Session, SignInError> {
    let hub = crate::hub::client(&config.openid_provider_url)?;
    let discovery = hub
        .openid_configuration_at(&config.openid_provider_url)
        .await?;
    let token = hub
        .exchange_code(
            &discovery.token_endpoint,
            &CodeExchange {
                code: code.to_string(),
                redirect_uri: state.redirect_uri.clone(),
                code_verifier: verifier,
            },
        )
        .await?;
    let userinfo_endpoint = discovery
        .userinfo_endpoint
        .clone()
        .unwrap_or_else(|| format!("{}/oauth/userinfo", config.openid_provider_url));
    let me = hub
        .with_token(token.access_token.clone())
        .userinfo(&userinfo_endpoint)
        .await?;
    let session = Session {
        access_token: token.access_token,
        expires_at_ms: token
            .expires_in
            .map(|s| js_sys::Date::now() + s as f64 * 1000.0),
        scope: token.scope,
        method: SignInMethod::OAuth,
        username: me.preferred_username,
        fullname: me.name,
        avatar_url: me.picture,
    };
    Ok(session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_with_code_and_state_is_read() {
        assert_eq!(
            parse_redirect("?code=abc&state=%7B%22nonce%22%3A%22n%22%7D"),
            Redirect::Code {
                code: "abc".into(),
                state: "{\"nonce\":\"n\"}".into()
            }
        );
        assert_eq!(parse_redirect("?view=build"), Redirect::None);
        assert_eq!(parse_redirect(""), Redirect::None);
        assert_eq!(parse_redirect("?code=abc"), Redirect::None);
    }

    #[test]
    fn denial_is_read_before_anything_else() {
        assert_eq!(
            parse_redirect("?error=access_denied&error_description=The+user+denied&code=x&state=y"),
            Redirect::Denied {
                error: "access_denied".into(),
                description: Some("The user denied".into())
            }
        );
    }

    #[test]
    fn oauth_params_are_removed_and_the_rest_kept() {
        assert_eq!(strip_oauth_params("?code=a&state=b"), "");
        assert_eq!(
            strip_oauth_params("?view=runs&code=a&state=b"),
            "?view=runs"
        );
        assert_eq!(
            strip_oauth_params("?error=x&error_description=y&run=r1"),
            "?run=r1"
        );
    }

    #[test]
    fn state_must_carry_the_stored_nonce() {
        let state =
            r#"{"nonce":"n1","redirectUri":"http://127.0.0.1:8000/","state":"?view=build"}"#;
        let ok = check_state(state, Some("n1")).unwrap();
        assert_eq!(ok.state.as_deref(), Some("?view=build"));
        assert_eq!(
            check_state(state, Some("n2")),
            Err(SignInError::StateMismatch)
        );
        assert_eq!(
            check_state(state, Some("")),
            Err(SignInError::StateMismatch)
        );
        assert_eq!(
            check_state("not json", Some("n1")),
            Err(SignInError::StateMismatch)
        );
        assert_eq!(check_state(state, None), Err(SignInError::MissingVerifier));
    }

    #[test]
    fn authorization_url_carries_pkce_s256_and_the_state() {
        let (url, state, verifier) = authorization_url(
            "https://hub.example/oauth/authorize",
            "client-1",
            &["openid".into(), "profile".into(), "jobs".into()],
            "http://127.0.0.1:8000/",
            Some("?view=build".into()),
        )
        .unwrap();
        let parsed = url::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "client-1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8000/");
        assert_eq!(q["scope"], "openid profile jobs");
        let echoed: OAuthState = serde_json::from_str(&q["state"]).unwrap();
        assert_eq!(echoed, state);
        assert!((43..=128).contains(&verifier.len()));
        // The challenge is base64url(SHA-256(verifier)) without padding.
        let expected =
            PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));
        assert_eq!(q["code_challenge"], expected.as_str());
        assert!(!url.contains("code_verifier"));
    }

    #[test]
    fn verifier_and_nonce_are_fresh_base64url_of_32_and_16_random_bytes() {
        let url_safe = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let make = || {
            authorization_url(
                "https://hub.example/oauth/authorize",
                "client-1",
                &["openid".into()],
                "http://127.0.0.1:8000/",
                None,
            )
            .unwrap()
        };
        let (_, state1, verifier1) = make();
        let (_, state2, verifier2) = make();
        // 32 bytes → 43 characters (RFC 7636's minimum), 16 bytes → 22, no padding.
        assert_eq!(verifier1.len(), 43);
        assert_eq!(state1.nonce.len(), 22);
        assert!(url_safe(&verifier1) && url_safe(&state1.nonce));
        assert_eq!(URL_SAFE_NO_PAD.decode(&verifier1).unwrap().len(), 32);
        assert_ne!(verifier1, verifier2);
        assert_ne!(state1.nonce, state2.nonce);
    }
}
