//! OAuth (authorization code + PKCE S256), userinfo, whoami, token scopes and expiry.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use sf_hubsim::{ConsentMode, TEST_TOKEN, TEST_USER};
use sha2::{Digest, Sha256};

use crate::common::{Env, start, start_with};

const CLIENT: &str = "sim-client-123";
const REDIRECT: &str = "http://app.localhost:8080/?page=home";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn verifier() -> String {
    // 72 characters, like two concatenated UUIDs in huggingface.js.
    "0f8b3c2a-1d4e-4f6a-9b7c-2e5d8a1f3b6c5a2e9d1c-7b4f-4e8a-9c3d-1f6b2a8e4d7c".to_string()
}

fn authorize_url(env: &Env, extra: &[(&str, &str)], verifier: &str) -> String {
    let state = json!({"nonce": "n-1", "redirectUri": REDIRECT, "state": "s"}).to_string();
    let challenge = challenge(verifier);
    let mut url = url::Url::parse(&env.at("/oauth/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT)
        .append_pair("scope", "openid profile jobs read-repos manage-repos")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url.to_string()
}

fn query_of(location: &str) -> Vec<(String, String)> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn param(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Goes through the authorize page and returns the code from the redirect.
async fn code(env: &Env, verifier: &str) -> String {
    let r = env
        .http
        .get(authorize_url(env, &[], verifier))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("http://app.localhost:8080/?page=home&code="),
        "{location}"
    );
    let q = query_of(&location);
    assert_eq!(
        param(&q, "state").unwrap(),
        json!({"nonce": "n-1", "redirectUri": REDIRECT, "state": "s"}).to_string(),
        "state comes back unchanged"
    );
    param(&q, "code").unwrap()
}

async fn exchange(env: &Env, code: &str, redirect: &str, verifier: &str) -> reqwest::Response {
    env.http
        .post(env.at("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

async fn oauth_env() -> Env {
    start_with(|c| c.with_oauth_client_id(CLIENT)).await
}

#[tokio::test]
async fn discovery_document_points_at_the_simulator() {
    let env = start().await;
    let v: Value = env
        .http
        .get(env.at("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["issuer"], env.url);
    assert_eq!(v["authorization_endpoint"], env.at("/oauth/authorize"));
    assert_eq!(v["token_endpoint"], env.at("/oauth/token"));
    assert_eq!(v["userinfo_endpoint"], env.at("/oauth/userinfo"));
    assert!(
        v["code_challenge_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("S256"))
    );
    env.shutdown().await;
}

#[tokio::test]
async fn pkce_flow_signs_the_user_in() {
    let env = oauth_env().await;
    let v = verifier();
    let code = code(&env, &v).await;
    let r = exchange(&env, &code, REDIRECT, &v).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 8 * 3600);
    assert_eq!(t["id_token"].as_str().unwrap().split('.').count(), 3);
    let scope = t["scope"].as_str().unwrap();
    for s in ["openid", "profile", "jobs", "read-repos", "manage-repos"] {
        assert!(scope.split(' ').any(|x| x == s), "{scope}");
    }
    let token = t["access_token"].as_str().unwrap();
    assert!(token.starts_with("hf_oauth_"));

    let info: Value = env
        .get("/oauth/userinfo", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["preferred_username"], TEST_USER);
    assert_eq!(info["isPro"], true);
    assert!(info["picture"].as_str().unwrap().starts_with(&env.url));
    assert!(info.get("email").is_none(), "email needs the email scope");
    assert!(info["orgs"].is_array());

    let who: Value = env
        .get("/api/whoami-v2", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["name"], TEST_USER);
    assert_eq!(who["type"], "user");
    assert_eq!(who["auth"]["type"], "access_token");
    assert_eq!(who["auth"]["accessToken"]["role"], "write");
    assert!(who["auth"]["expiresAt"].is_string());
    env.shutdown().await;
}

#[tokio::test]
async fn wrong_verifier_is_refused() {
    let env = oauth_env().await;
    let code = code(&env, &verifier()).await;
    let r = exchange(&env, &code, REDIRECT, &"x".repeat(64)).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_grant");
    assert!(
        v["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );
    env.shutdown().await;
}

#[tokio::test]
async fn redirect_uri_must_match() {
    let env = oauth_env().await;
    let v = verifier();
    let code = code(&env, &v).await;
    let r = exchange(&env, &code, "http://app.localhost:8080/", &v).await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );
    env.shutdown().await;
}

#[tokio::test]
async fn a_code_works_once() {
    let env = oauth_env().await;
    let v = verifier();
    let code = code(&env, &v).await;
    assert_eq!(exchange(&env, &code, REDIRECT, &v).await.status(), 200);
    let again = exchange(&env, &code, REDIRECT, &v).await;
    assert_eq!(again.status(), 400);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    env.shutdown().await;
}

#[tokio::test]
async fn token_request_must_be_form_encoded() {
    let env = oauth_env().await;
    let v = verifier();
    let code = code(&env, &v).await;
    let r = env
        .http
        .post(env.at("/oauth/token"))
        .json(&json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": v}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    env.shutdown().await;
}

#[tokio::test]
async fn unknown_client_id_gets_an_error_page_not_a_redirect() {
    let env = oauth_env().await;
    let url = authorize_url(&env, &[], &verifier()).replace(CLIENT, "someone-else");
    let r = env.http.get(url).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(r.text().await.unwrap().contains("Unknown OAuth client id"));
    env.shutdown().await;
}

#[tokio::test]
async fn deny_redirects_with_access_denied_and_the_state() {
    let env = oauth_env().await;
    let r = env
        .http
        .get(authorize_url(&env, &[("auto", "deny")], &verifier()))
        .send()
        .await
        .unwrap();
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "error").as_deref(), Some("access_denied"));
    assert!(param(&q, "error_description").is_some());
    assert!(param(&q, "state").is_some());
    assert!(param(&q, "code").is_none());

    // The same through the control API's consent mode.
    env.control(Method::POST, "/oauth/consent", json!({"mode": "deny"}))
        .await;
    let r = env
        .http
        .get(authorize_url(&env, &[], &verifier()))
        .send()
        .await
        .unwrap();
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "error").as_deref(), Some("access_denied"));
    env.shutdown().await;
}

#[tokio::test]
async fn consent_page_approves_and_denies_by_form() {
    let env = start_with(|c| {
        c.with_oauth_client_id(CLIENT)
            .with_consent(ConsentMode::Ask)
    })
    .await;
    let v = verifier();
    let page = env
        .http
        .get(authorize_url(&env, &[], &v))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"approve\"") && html.contains("id=\"deny\""));
    assert!(html.contains(TEST_USER));

    // Submit the form the way a browser would: hidden fields plus the clicked button.
    let form_url = url::Url::parse(&authorize_url(&env, &[], &v)).unwrap();
    let mut fields: Vec<(String, String)> = form_url.query_pairs().into_owned().collect();
    fields.push(("decision".into(), "approve".into()));
    let r = env
        .http
        .post(env.at("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    let q = query_of(r.headers()["location"].to_str().unwrap());
    let code = param(&q, "code").expect("approved → code");
    assert_eq!(exchange(&env, &code, REDIRECT, &v).await.status(), 200);

    fields.pop();
    fields.push(("decision".into(), "deny".into()));
    let r = env
        .http
        .post(env.at("/oauth/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "error").as_deref(), Some("access_denied"));
    env.shutdown().await;
}

#[tokio::test]
async fn missing_pkce_is_refused_by_redirect() {
    let env = oauth_env().await;
    let url = authorize_url(&env, &[], &verifier())
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let r = env.http.get(url).send().await.unwrap();
    let q = query_of(r.headers()["location"].to_str().unwrap());
    assert_eq!(param(&q, "error").as_deref(), Some("invalid_request"));
    env.shutdown().await;
}

#[tokio::test]
async fn oauth_token_lifetime_follows_the_control_api() {
    let env = oauth_env().await;
    env.control(Method::POST, "/oauth/ttl", json!({"seconds": 1}))
        .await;
    let v = verifier();
    let code = code(&env, &v).await;
    let t: Value = exchange(&env, &code, REDIRECT, &v)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(t["expires_in"], 1);
    let token = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        env.get("/api/whoami-v2", &token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        env.get("/api/whoami-v2", &token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    env.shutdown().await;
}

#[tokio::test]
async fn whoami_needs_a_valid_token() {
    let env = start().await;
    let r = env.http.get(env.at("/api/whoami-v2")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = env
        .get("/api/whoami-v2", "hf_notARealTokenAtAll000000000000000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["x-error-message"],
        "Invalid credentials in Authorization header"
    );
    let who: Value = env
        .get("/api/whoami-v2", TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["name"], TEST_USER);
    assert_eq!(who["isPro"], true);
    assert_eq!(who["orgs"], json!([]));
    assert!(who["avatarUrl"].is_string());
    assert!(who["auth"]["accessToken"]["createdAt"].is_string());
    env.shutdown().await;
}

#[tokio::test]
async fn minted_tokens_expire_and_can_be_revoked() {
    let env = start().await;
    let token = env.mint(TEST_USER, &["read-repos"], Some(3600)).await;
    assert!(token.starts_with("hf_") && token.len() == 37);
    let who: Value = env
        .get("/api/whoami-v2", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(who["auth"]["accessToken"]["role"], "read");

    env.control(Method::POST, "/tokens/expire", json!({"token": token}))
        .await;
    assert_eq!(
        env.get("/api/whoami-v2", &token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let other = env.mint(TEST_USER, &["read-repos"], None).await;
    env.control(Method::POST, "/tokens/revoke", json!({"token": other}))
        .await;
    assert_eq!(
        env.get("/api/whoami-v2", &other)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    env.shutdown().await;
}

/// An OAuth env serving an app whose README says `front_matter`, as a Space's does.
async fn oauth_env_with_readme(front_matter: &str) -> (Env, tempfile::TempDir) {
    let app = tempfile::tempdir().unwrap();
    std::fs::write(app.path().join("index.html"), "<html></html>").unwrap();
    std::fs::write(
        app.path().join("README.md"),
        format!("---\ntitle: App\nsdk: static\nhf_oauth: true\n{front_matter}---\n"),
    )
    .unwrap();
    let dir = app.path().to_path_buf();
    let env = start_with(move |c| c.with_app_dir(dir).with_oauth_client_id(CLIENT)).await;
    (env, app)
}

async fn sign_in(env: &Env) -> Value {
    let v = verifier();
    let code = code(env, &v).await;
    exchange(env, &code, REDIRECT, &v)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn oauth_token_lifetime_is_the_spaces_hf_oauth_expiration_minutes() {
    let (env, _app) = oauth_env_with_readme("hf_oauth_expiration_minutes: 90\n").await;
    let t = sign_in(&env).await;
    assert_eq!(t["expires_in"], 90 * 60);
    let token = t["access_token"].as_str().unwrap().to_string();
    let who: Value = env
        .get("/api/whoami-v2", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(who["auth"]["expiresAt"].as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc);
    let left = (expires - chrono::Utc::now()).num_seconds();
    assert!((90 * 60 - 30..=90 * 60).contains(&left), "{left} s left");
    // The control API's lifetime wins over the README's.
    env.control(Method::POST, "/oauth/ttl", json!({"seconds": 60}))
        .await;
    assert_eq!(sign_in(&env).await["expires_in"], 60);
    env.shutdown().await;

    // At most 30 days, as on the Hub; without the field, the Hub's 8 hours.
    let (env, _app) = oauth_env_with_readme("hf_oauth_expiration_minutes: 100000\n").await;
    assert_eq!(sign_in(&env).await["expires_in"], 43_200 * 60);
    env.shutdown().await;
    let (env, _app) = oauth_env_with_readme("").await;
    assert_eq!(sign_in(&env).await["expires_in"], 8 * 3600);
    env.shutdown().await;
}

#[tokio::test]
async fn an_expired_oauth_token_gets_401_from_every_call() {
    let env = oauth_env().await;
    let token = sign_in(&env).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let calls = [
        "/api/whoami-v2",
        "/oauth/userinfo",
        &format!("/api/jobs/{TEST_USER}"),
        &format!("/api/buckets/{TEST_USER}"),
        "/api/models/openai-community/gpt2",
    ];
    for path in calls {
        let r = env.get(path, &token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} before expiry");
    }
    env.control(Method::POST, "/tokens/expire", json!({"token": token}))
        .await;
    for path in calls {
        let r = env.get(path, &token).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path} after expiry");
    }
    env.shutdown().await;
}
