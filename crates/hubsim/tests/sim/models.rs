//! Model info from fixtures, `expand`, model cards and gated access.

use reqwest::Method;
use serde_json::{Value, json};
use sf_hubsim::{OTHER_TOKEN, TEST_TOKEN, TEST_USER};

use crate::common::start;

#[tokio::test]
async fn model_info_from_fixtures() {
    let env = start().await;
    let v: Value = env
        .http
        .get(env.at("/api/models/Tongyi-MAI/Z-Image-Turbo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["id"], "Tongyi-MAI/Z-Image-Turbo");
    assert_eq!(v["pipeline_tag"], "text-to-image");
    assert_eq!(v["library_name"], "diffusers");
    assert_eq!(v["cardData"]["license"], "apache-2.0");
    let total = v["safetensors"]["total"].as_u64().unwrap();
    assert!((5_000_000_000..7_000_000_000).contains(&total));

    let v: Value = env
        .http
        .get(env.at("/api/models/deepseek-ai/DeepSeek-V3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["safetensors"]["total"].as_u64().unwrap() > 600_000_000_000);

    let v: Value = env
        .http
        .get(env.at("/api/models/openai-community/gpt2/revision/main"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["pipeline_tag"], "text-generation");
    assert_eq!(v["transformersInfo"]["auto_model"], "AutoModelForCausalLM");

    let r = env
        .http
        .get(env.at("/api/models/nobody/nothing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    let r = env
        .http
        .get(env.at("/api/models/openai-community/gpt2/revision/v9"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-error-code"], "RevisionNotFound");
    env.shutdown().await;
}

#[tokio::test]
async fn expand_returns_only_the_listed_fields() {
    let env = start().await;
    let v: Value = env
        .http
        .get(env.at(
            "/api/models/openai-community/gpt2?expand=pipeline_tag&expand=safetensors&expand=gated",
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["_id", "gated", "id", "pipeline_tag", "safetensors"]);
    let r = env
        .http
        .get(env.at("/api/models/openai-community/gpt2?expand=nonsense"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    env.shutdown().await;
}

#[tokio::test]
async fn model_cards_and_gated_access() {
    let env = start().await;
    let r = env
        .http
        .get(env.at("/openai-community/gpt2/resolve/main/README.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );
    assert!(r.text().await.unwrap().starts_with("---\n"));

    let r = env
        .http
        .get(env.at("/sim-fixtures/model-without-card/resolve/main/README.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "EntryNotFound");

    let r = env
        .http
        .get(env.at("/nobody/nothing/resolve/main/README.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "RepoNotFound");

    let gated = "/meta-llama/Llama-3.1-8B-Instruct/resolve/main/README.md";
    let info: Value = env
        .http
        .get(env.at("/api/models/meta-llama/Llama-3.1-8B-Instruct"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["gated"], "manual");
    let r = env.http.get(env.at(gated)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-error-code"], "GatedRepo");
    let r = env.get(gated, TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-error-code"], "GatedRepo");
    env.control(
        Method::POST,
        "/gated-access",
        json!({"user": TEST_USER, "model": "meta-llama/Llama-3.1-8B-Instruct", "granted": true}),
    )
    .await;
    let r = env.get(gated, TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = env
        .get(
            "/meta-llama/Llama-3.1-8B-Instruct/raw/main/README.md",
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    env.shutdown().await;
}

/// The files the model libraries download: the configuration from the model info, a stand-in
/// for each listed weight file, gated like the card, and nothing the repo does not list.
#[tokio::test]
async fn model_files_are_served_as_the_repo_lists_them() {
    let env = start().await;
    let config: Value = env
        .http
        .get(env.at("/openai-community/gpt2/resolve/main/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["model_type"], "gpt2");
    assert!(config.get("tokenizer_config").is_none());
    let index: Value = env
        .http
        .get(env.at("/Tongyi-MAI/Z-Image-Turbo/resolve/main/model_index.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(index["_class_name"], "ZImagePipeline");
    let weights = "/Tongyi-MAI/Z-Image-Turbo/resolve/main/transformer/diffusion_pytorch_model-00001-of-00003.safetensors";
    let r = env.http.head(env.at(weights)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["x-repo-commit"],
        "5f2a9c41e0b7d3a8c6e1f4b2a9d0c7e3f1a2b4c6"
    );
    let body = env.http.get(env.at(weights)).send().await.unwrap();
    assert!(body.text().await.unwrap().contains("no real weights"));
    let r = env
        .http
        .get(env.at("/openai-community/gpt2/resolve/main/not-in-the-repo.bin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-error-code"], "EntryNotFound");
    // Weights of a gated model: 401 without a token, 403 without access, as for its card.
    let gated = "/meta-llama/Llama-3.1-8B-Instruct/resolve/main/model-00001-of-00004.safetensors";
    assert_eq!(
        env.http.get(env.at(gated)).send().await.unwrap().status(),
        401
    );
    let r = env.get(gated, TEST_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-error-code"], "GatedRepo");
    env.shutdown().await;
}

/// A private model exists for its owner only, as on the Hub: its info, card and weights answer
/// the owner's token; without a token 401 and with another account's 404, both `RepoNotFound`
/// (never a word that the repo is private).
#[tokio::test]
async fn a_private_model_is_its_owners_only() {
    let env = start().await;
    let id = format!("{TEST_USER}/private-gpt2");
    let info: Value = env
        .get(&format!("/api/models/{id}"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (info["private"].clone(), info["gated"].clone()),
        (json!(true), json!(false))
    );
    for path in [
        format!("/api/models/{id}"),
        format!("/{id}/resolve/main/README.md"),
        format!("/{id}/resolve/main/model.safetensors"),
    ] {
        let r = env.get(&path, TEST_TOKEN).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let r = env.http.get(env.at(&path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
        assert_eq!(r.headers()["x-error-code"], "RepoNotFound", "{path}");
        let r = env.get(&path, OTHER_TOKEN).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["x-error-code"], "RepoNotFound", "{path}");
        // Word for word what a repo that does not exist gets.
        let body = r.text().await.unwrap();
        let nothing = path.replace("private-gpt2", "no-such-model");
        let r = env.get(&nothing, OTHER_TOKEN).send().await.unwrap();
        let expected = r
            .text()
            .await
            .unwrap()
            .replace("no-such-model", "private-gpt2");
        assert_eq!(body, expected, "{path}");
    }
    env.shutdown().await;
}
