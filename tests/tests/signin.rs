//! Sign-in and the run bucket, in a real Chromium against the local Hub simulator: OAuth with
//! PKCE, denied consent, a tampered state, a token that expires mid-session, token paste, every
//! bucket outcome, failures recovered by retrying — and the token never shows anywhere.

use serde_json::json;
use sf_e2e::{Browser, Hub, scenario};
use sf_hubsim::TEST_TOKEN;

/// The token must not be in the address bar, any console message, the page text or its HTML.
async fn assert_token_hidden(b: &Browser, token: &str) -> Result<(), String> {
    assert!(token.len() > 10);
    let url = b.url().await;
    if url.contains(token) {
        return Err(format!("token in the URL: {url}"));
    }
    for line in b.console().await.iter().chain(b.errors().await.iter()) {
        if line.contains(token) {
            return Err("token in a console message".into());
        }
    }
    if b.text().await.contains(token) || b.html().await.contains(token) {
        return Err("token in the page".into());
    }
    Ok(())
}

async fn session_token(b: &Browser) -> Result<String, String> {
    let raw = b
        .local_storage("space-factory:session")
        .await
        .ok_or("no session in localStorage")?;
    let v: serde_json::Value = serde_json::from_str(&raw).map_err(|e| e.to_string())?;
    Ok(v["access_token"]
        .as_str()
        .ok_or("no access_token")?
        .to_string())
}

async fn no_console_errors(b: &Browser) -> Result<(), String> {
    let errors = b.errors().await;
    // A 4xx/5xx answer is logged by Chromium itself as a failed resource; our code logs nothing.
    let ours: Vec<_> = errors
        .iter()
        .filter(|e| !e.contains("Failed to load resource"))
        .collect();
    if ours.is_empty() {
        Ok(())
    } else {
        Err(format!("console errors: {ours:?}"))
    }
}

#[tokio::test]
async fn oauth_sign_in_with_pkce_then_sign_out() {
    let hub = Hub::start(true).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.wait_for_text("Not signed in").await?;
        b.screenshot("signin-signed-out").await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        let url = b.url().await;
        if url.contains("code=") || url.contains("state=") {
            return Err(format!(
                "the code and state stayed in the address bar: {url}"
            ));
        }
        // The single-use sign-in data is gone.
        if b.local_storage("space-factory:oauth:code_verifier")
            .await
            .is_some()
        {
            return Err("the PKCE verifier was kept after use".into());
        }
        b.wait_for_text("Sign out").await?;
        b.screenshot("signin-signed-in").await;
        let token = session_token(&b).await?;
        assert_token_hidden(&b, &token).await?;

        // The session survives a reload.
        b.goto(&format!("{}/", hub.url)).await;
        b.wait_for_text("Signed in as sf-tester").await?;

        b.click_button("Sign out").await?;
        b.wait_for_text("Not signed in").await?;
        if b.local_storage("space-factory:session").await.is_some() {
            return Err("sign-out kept the session".into());
        }
        no_console_errors(&b).await
    });
}

#[tokio::test]
async fn oauth_sign_in_returns_to_the_view_it_started_from() {
    let hub = Hub::start(true).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/?view=home", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        let url = b.url().await;
        if !url.ends_with("/?view=home") {
            return Err(format!("expected to come back to ?view=home, got {url}"));
        }
        Ok(())
    });
}

#[tokio::test]
async fn denied_consent_is_explained_and_nothing_is_signed_in() {
    let hub = Hub::start(true).await;
    hub.control("POST", "/oauth/consent", json!({"mode": "deny"}))
        .await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Sign-in was not completed").await?;
        b.wait_for_text("access_denied").await?;
        b.wait_for_text("Not signed in").await?;
        b.screenshot("signin-denied").await;
        if b.url().await.contains("error=") {
            return Err("the error stayed in the address bar".into());
        }
        Ok(())
    });
}

#[tokio::test]
async fn tampered_state_is_refused() {
    let hub = Hub::start(true).await;
    hub.control("POST", "/oauth/consent", json!({"mode": "ask"}))
        .await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        // The simulator's consent page: read the state the app sent, and forge another nonce.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let authorize = loop {
            let u = b.url().await;
            if u.contains("/oauth/authorize") {
                break u;
            }
            if std::time::Instant::now() > deadline {
                return Err(format!("never reached the consent page: {u}"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        let parsed = url::Url::parse(&authorize).map_err(|e| e.to_string())?;
        let state = parsed
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .ok_or("no state in the authorize URL")?;
        let mut forged: serde_json::Value =
            serde_json::from_str(&state).map_err(|e| e.to_string())?;
        forged["nonce"] = json!("forged-nonce");
        let mut back = url::Url::parse(&format!("{}/", hub.url)).unwrap();
        back.query_pairs_mut()
            .append_pair("code", "forged-code")
            .append_pair("state", &forged.to_string());
        b.goto(back.as_str()).await;
        b.wait_for_text("does not match the sign-in this page started")
            .await?;
        b.wait_for_text("Not signed in").await?;
        b.screenshot("signin-tampered").await;
        Ok(())
    });
}

#[tokio::test]
async fn expired_token_mid_session_asks_to_sign_in_again_and_keeps_input() {
    let hub = Hub::start(true).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        b.fill("#bucket-name", "my-runs-1").await?;
        let token = session_token(&b).await?;
        hub.control("POST", "/tokens/expire", json!({"token": token}))
            .await;

        b.click_button("Check run bucket").await?;
        b.wait_for_text("sign-in has expired").await?;
        b.wait_for_text("Not signed in").await?;
        if b.value("#bucket-name").await? != "my-runs-1" {
            return Err("the typed bucket name was lost".into());
        }
        b.screenshot_at("[data-testid=auth-notice]", "signin-expired")
            .await;
        // Signing in again keeps what was typed, across the redirect.
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        if b.value("#bucket-name").await? != "my-runs-1" {
            return Err("the typed bucket name was lost over the sign-in redirect".into());
        }
        assert_token_hidden(&b, &token).await
    });
}

#[tokio::test]
async fn pasted_token_valid_invalid_and_malformed() {
    let hub = Hub::start(false).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.wait_for_text("Hugging Face access token").await?;

        b.fill("#token", "not-a-token").await?;
        b.click_button("Use this token").await?;
        b.wait_for_text("they start with").await?;

        b.fill("#token", "hf_ThisIsNotAValidToken0000000000")
            .await?;
        b.click_button("Use this token").await?;
        b.wait_for_text("did not accept this token").await?;
        assert_token_hidden(&b, "hf_ThisIsNotAValidToken0000000000").await?;
        b.screenshot("signin-token-invalid").await;

        b.fill("#token", TEST_TOKEN).await?;
        b.click_button("Use this token").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        assert_token_hidden(&b, TEST_TOKEN).await?;
        no_console_errors(&b).await
    });
}

#[tokio::test]
async fn bucket_missing_then_created_then_ready_then_conflict() {
    let hub = Hub::start(false).await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.click_button("Check run bucket").await?;
        b.wait_for_text("Run bucket not found").await?;
        b.wait_for_text("sf-tester/space-factory-runs").await?;
        b.screenshot_at("[data-testid=bucket-status]", "bucket-not-found")
            .await;

        b.click_button("Create private run bucket").await?;
        b.wait_for_text("Run bucket ready").await?;
        b.wait_for_text("Created.").await?;
        b.wait_for_text("hf://buckets/sf-tester/space-factory-runs")
            .await?;
        b.screenshot_at("[data-testid=bucket-status]", "bucket-ready")
            .await;

        b.click_button("Check run bucket").await?;
        b.wait_for_text("Run bucket ready").await?;

        b.click_button("Create private run bucket").await?;
        b.wait_for_text("already existed").await?;

        // An invalid name blocks both buttons with a reason.
        b.fill("#bucket-name", "bad name!").await?;
        b.wait_for_text("bad name").await?;
        b.find("[data-testid=bucket-name-error]").await?;
        assert_token_hidden(&b, TEST_TOKEN).await?;
        no_console_errors(&b).await
    });
}

#[tokio::test]
async fn bucket_errors_are_sentences_and_recover_by_retrying() {
    let hub = Hub::start(false).await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        hub.control("POST", "/buckets/sf-tester/space-factory-runs", json!({}))
            .await;

        hub.control(
            "POST",
            "/faults",
            json!({"method": "GET", "path_prefix": "/api/buckets/sf-tester/space-factory-runs", "count": 10, "status": 500, "body": "Internal Error"}),
        )
        .await;
        b.click_button("Check run bucket").await?;
        b.wait_for_text("Could not check the run bucket").await?;
        b.wait_for_text("request id").await?;
        b.screenshot_at("[data-testid=bucket-status]", "bucket-error-500")
            .await;
        hub.control("DELETE", "/faults", json!(null)).await;
        b.click_button("Check run bucket").await?;
        b.wait_for_text("Run bucket ready").await?;

        hub.control(
            "POST",
            "/faults",
            json!({"method": "GET", "path_prefix": "/api/buckets/sf-tester/space-factory-runs", "count": 10, "drop_connection": true}),
        )
        .await;
        b.click_button("Check run bucket").await?;
        b.wait_for_text("Could not reach Hugging Face").await?;
        hub.control("DELETE", "/faults", json!(null)).await;
        b.click_button("Check run bucket").await?;
        b.wait_for_text("Run bucket ready").await?;
        assert_token_hidden(&b, TEST_TOKEN).await
    });
}

#[tokio::test]
async fn sign_in_without_the_jobs_scope_is_flagged() {
    let hub = Hub::start_with(true, |c| c.with_oauth_scopes("openid profile")).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        b.wait_for_text("did not grant permission to run jobs")
            .await
    });
}

#[tokio::test]
async fn inside_an_iframe_sign_in_opens_a_new_tab() {
    // The Hub shows a static Space inside an iframe on huggingface.co, where OAuth cookies do
    // not work; the sign-in must leave the frame.
    let hub = Hub::start(true).await;
    let host_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        host_dir.path().join("index.html"),
        format!(r#"<!doctype html><title>Hub page</title><iframe src="{}/" width="1200" height="800"></iframe>"#, hub.url),
    )
    .unwrap();
    let host = sf_e2e::StaticServer::start(host_dir.path()).await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/index.html", host.url)).await;
        let frame = b.find("iframe").await?;
        frame.enter_frame().await.map_err(|e| e.to_string())?;
        b.click_button("Sign in with Hugging Face").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let windows = loop {
            let w = b.client.windows().await.map_err(|e| e.to_string())?;
            if w.len() == 2 {
                break w;
            }
            if std::time::Instant::now() > deadline {
                return Err("no new tab was opened for the sign-in".into());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        b.client
            .switch_to_window(windows[1].clone())
            .await
            .map_err(|e| e.to_string())?;
        b.wait_for_text("Signed in as sf-tester").await?;
        Ok(())
    });
}
