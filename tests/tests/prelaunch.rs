//! No job launched that can only fail: before launch, the Build form asks the Hub that the model
//! exists and is readable (a gated model's weights too) and that the target Space does not exist yet, and Validate that the
//! Space exists; a refusal is a sentence under the field, the launch button stays disabled, and
//! no job is created.

use serde_json::json;
use sf_e2e::{Browser, Hub, scenario};

/// Waits until the error under `field` (its input's id) says `needle`.
async fn field_error(b: &Browser, field: &str, needle: &str) -> Result<(), String> {
    for _ in 0..100 {
        if let Ok(el) = b.find(&format!("[data-field='{field}']")).await
            && el.text().await.unwrap_or_default().contains(needle)
        {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!(
        "no error {needle:?} under #{field}; the page showed:\n{}",
        b.text().await
    ))
}

/// The launch button is disabled, and pressing it anyway creates no job.
async fn refused(b: &Browser, hub: &Hub, button: &str) -> Result<(), String> {
    if !b.disabled(button).await? {
        return Err(format!("{button} is enabled"));
    }
    let _ = b.find(button).await?.click().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let jobs = hub.job_requests().await;
    if !jobs.is_empty() {
        return Err(format!("a job was created: {jobs:?}"));
    }
    Ok(())
}

#[tokio::test]
async fn build_refuses_a_taken_space_name_and_an_unknown_model_before_launch() {
    let hub = Hub::with_factory().await;
    hub.create_space("sf-tester/taken-demo", "gradio").await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        b.fill("#target-space", "taken-demo").await?;
        field_error(
            &b,
            "target-space",
            "The Space `sf-tester/taken-demo` already exists, and Space Factory never changes an existing Space; choose another name",
        )
        .await?;
        b.wait_for_text("Fix the field marked above to launch.")
            .await?;
        refused(&b, &hub, "#launch-build").await?;
        b.screenshot_at("[data-field='target-space']", "build-space-taken")
            .await;

        b.fill("#target-space", "fresh-demo").await?;
        b.fill("#model", "nobody-here/no-such-model").await?;
        field_error(
            &b,
            "model",
            "No model `nobody-here/no-such-model` on Hugging Face that your account can read",
        )
        .await?;
        refused(&b, &hub, "#launch-build").await?;

        // A gated model whose files the account may not download: said with its page, before
        // any job (the model's info alone is public).
        b.fill("#model", "meta-llama/Llama-3.1-8B-Instruct").await?;
        field_error(
            &b,
            "model",
            &format!(
                "The model `meta-llama/Llama-3.1-8B-Instruct` is gated and your account has no access to its files yet; request access on the model page {}/meta-llama/Llama-3.1-8B-Instruct",
                hub.url
            ),
        )
        .await?;
        refused(&b, &hub, "#launch-build").await?;

        // With a model that exists and a new name, the same form launches (one job).
        b.fill("#model", "Tongyi-MAI/Z-Image-Turbo").await?;
        b.click("#launch-build").await?;
        for _ in 0..100 {
            if !hub.job_requests().await.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let jobs = hub.job_requests().await;
        if jobs.len() != 1
            || jobs[0]["body"]["environment"]["SF_TARGET_SPACE"] != "sf-tester/fresh-demo"
        {
            return Err(format!("expected one job for fresh-demo, got {jobs:?}"));
        }
        Ok(())
    });
}

#[tokio::test]
async fn validate_refuses_a_space_that_does_not_exist_before_launch() {
    let hub = Hub::with_factory().await;
    scenario!(1280, 900, |b| {
        b.sign_in_with_token(&hub).await?;
        b.goto(&format!("{}/?view=validate", hub.url)).await;
        b.wait_for_text("Validate an existing Space").await?;
        b.fill("#target-space", "sf-tester/ghost-demo").await?;
        field_error(
            &b,
            "target-space",
            "No Space `sf-tester/ghost-demo` on Hugging Face that your account can read",
        )
        .await?;
        refused(&b, &hub, "#launch-validate").await?;
        Ok(())
    });
}

#[tokio::test]
async fn a_sign_in_that_ends_before_the_build_may_says_so_and_signing_in_again_keeps_the_form() {
    let hub = Hub::start_with(true, |c| {
        c.with_variable("SF_FACTORY_SPACE", "sf-tester/space-factory")
    })
    .await;
    hub.control("POST", "/oauth/ttl", json!({"seconds": 25 * 60 + 30}))
        .await;
    scenario!(1280, 900, |b| {
        b.goto(&format!("{}/?view=home", hub.url)).await;
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        b.goto(&format!("{}/?view=build", hub.url)).await;
        b.wait_for_text("Build a Space from a model card").await?;
        b.fill("#target-space", "kept-demo").await?;
        b.wait_for_text("Your sign-in ends in 25 min; a build can take up to 3 h.")
            .await?;
        b.screenshot_at("[data-testid=sign-in-short]", "build-sign-in-short")
            .await;
        // Signing in again (now for the Hub's 8 hours) comes back to the form as it was typed.
        hub.control("POST", "/oauth/ttl", json!({"seconds": 8 * 3600}))
            .await;
        b.click_button("Sign in again").await?;
        b.wait_for_text("Build a Space from a model card").await?;
        for _ in 0..100 {
            let text = b.text().await;
            if text.contains("Sign out") && !text.contains("Your sign-in ends in") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let text = b.text().await;
        if text.contains("Your sign-in ends in") || !text.contains("Sign out") {
            return Err(format!("after signing in again the page showed:\n{text}"));
        }
        if b.value("#target-space").await? != "kept-demo" {
            return Err("the typed Space name was lost across the sign-in".into());
        }
        Ok(())
    });
}
