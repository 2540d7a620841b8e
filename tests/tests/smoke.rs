//! The release build renders in a real Chromium from a plain static server, with no console
//! errors. This is the test that catches a broken wasm-opt (the page then renders nothing).

use sf_e2e::{Browser, StaticServer, dist_dir};

async fn scenario(browser: &Browser, base: &str) -> Result<(), String> {
    browser.goto(&format!("{base}/")).await;
    browser
        .wait_for_text("Paste a Hugging Face model id")
        .await?;
    browser.wait_for_text("Validate an existing Space").await?;
    browser.screenshot("home-laptop").await;

    // A bookmarked view opens directly: the path stays index.html, the view is in the query.
    browser.goto(&format!("{base}/?view=about")).await;
    browser.wait_for_text("What a run's status means").await?;
    for status in [
        "full_inference_success",
        "manual_hardware_required",
        "full_inference_candidate_health_passed",
        "health_only",
        "technical_blocker",
        "failed",
    ] {
        browser.wait_for_text(status).await?;
    }
    browser.wait_for_text("Hardware policy").await?;
    browser.wait_for_text("cannot guarantee").await?;
    browser.screenshot("about-laptop").await;

    browser.goto(&format!("{base}/?view=nonsense")).await;
    browser.wait_for_text("Page not found").await?;

    browser.no_errors().await
}

#[tokio::test]
async fn release_app_renders_without_console_errors() {
    let server = StaticServer::start(&dist_dir()).await;
    let browser = Browser::start(1280, 900).await;
    let outcome = scenario(&browser, &server.url).await;
    browser.close().await;
    outcome.unwrap();
}

#[tokio::test]
async fn phone_size_window_renders_the_about_page() {
    let server = StaticServer::start(&dist_dir()).await;
    let browser = Browser::start(390, 844).await;
    let outcome = async {
        browser.goto(&format!("{}/?view=about", server.url)).await;
        browser.wait_for_text("Hardware policy").await?;
        browser.screenshot("about-phone").await;
        let errors = browser.errors().await;
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("console errors: {errors:?}"))
        }
    }
    .await;
    browser.close().await;
    outcome.unwrap();
}

#[tokio::test]
async fn dark_theme_follows_the_system_and_the_toggle() {
    let server = StaticServer::start(&dist_dir()).await;
    let browser = Browser::start(1280, 900).await;
    let outcome = async {
        let background = || async {
            browser
                .client
                .execute(
                    "return getComputedStyle(document.body).backgroundColor",
                    vec![],
                )
                .await
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .map_err(|e| e.to_string())
        };
        browser.emulate_dark_scheme(true).await;
        browser.goto(&format!("{}/?view=about", server.url)).await;
        browser.wait_for_text("Hardware policy").await?;
        if background().await? != "rgb(15, 17, 21)" {
            return Err(format!(
                "system dark mode not applied: {}",
                background().await?
            ));
        }
        browser.screenshot("about-dark").await;
        browser.click_button("Light").await?;
        if background().await? != "rgb(247, 247, 248)" {
            return Err(format!(
                "the toggle did not switch to light: {}",
                background().await?
            ));
        }
        // The choice is remembered across a reload.
        browser.goto(&format!("{}/?view=about", server.url)).await;
        browser.wait_for_text("Hardware policy").await?;
        if background().await? != "rgb(247, 247, 248)" {
            return Err("the light choice was forgotten".into());
        }
        Ok(())
    }
    .await;
    browser.close().await;
    outcome.unwrap();
}

#[tokio::test]
async fn static_host_has_no_rewrites() {
    // Deep paths are 404 on a static Space; the app must never rely on them.
    let server = StaticServer::start(&dist_dir()).await;
    let status = reqwest_status(&format!("{}/runs/abc", server.url)).await;
    assert_eq!(status, 404);
}

async fn reqwest_status(url: &str) -> u16 {
    reqwest::get(url).await.expect("GET").status().as_u16()
}
