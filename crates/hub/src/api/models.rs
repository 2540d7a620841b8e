//! Models: info, search and model card.

use sf_core::ModelRef;

use crate::api::buckets::missing_file_is_none;
use crate::client::{Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::{Method, Transport};
use crate::types::{ModelFiles, ModelInfo};
use crate::url::{encode_query, repo_path};

/// How a model search is ordered (always the largest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelSort {
    #[default]
    Trending,
    Downloads,
    Likes,
}

impl ModelSort {
    pub const ALL: [ModelSort; 3] = [ModelSort::Trending, ModelSort::Downloads, ModelSort::Likes];

    /// The Hub's `sort` value.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelSort::Trending => "trendingScore",
            ModelSort::Downloads => "downloads",
            ModelSort::Likes => "likes",
        }
    }

    pub fn from_wire(s: &str) -> Option<ModelSort> {
        ModelSort::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ModelSort::Trending => "Trending",
            ModelSort::Downloads => "Most downloads",
            ModelSort::Likes => "Most likes",
        }
    }
}

/// `GET /api/models?…`: a search by text and task, sorted, at most `limit` models.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelSearch {
    /// Part of the model id (empty: any).
    pub search: String,
    /// A task such as `text-to-image` (empty: any).
    pub pipeline_tag: String,
    pub sort: ModelSort,
    pub limit: u32,
}

/// The fields a search asks for (`expand`): what the Batch view shows of each model.
pub const SEARCH_FIELDS: [&str; 5] = ["pipeline_tag", "likes", "downloads", "gated", "private"];

impl<T: Transport> HubClient<T> {
    /// `GET /api/models?search=…&pipeline_tag=…&sort=…&direction=-1&limit=…&expand=…`, as
    /// huggingface_hub's `list_models` sends it; only the [`SEARCH_FIELDS`] (and `id`) come back.
    pub async fn list_models(&self, q: &ModelSearch) -> Result<Vec<ModelInfo>, HubError> {
        let limit = q.limit.clamp(1, 100).to_string();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !q.search.trim().is_empty() {
            pairs.push(("search", q.search.trim()));
        }
        if !q.pipeline_tag.trim().is_empty() {
            pairs.push(("pipeline_tag", q.pipeline_tag.trim()));
        }
        pairs.extend([
            ("sort", q.sort.as_str()),
            ("direction", "-1"),
            ("limit", limit.as_str()),
        ]);
        pairs.extend(SEARCH_FIELDS.iter().map(|f| ("expand", *f)));
        let url = format!("{}?{}", self.url("/api/models"), encode_query(pairs));
        self.json(&Call::get(Operation::ListModels, url)).await
    }

    /// `GET /api/models/{id}[?expand=…&expand=…]`. With `expand`, only those fields come back.
    pub async fn model_info(
        &self,
        model: &ModelRef,
        expand: &[&str],
    ) -> Result<ModelInfo, HubError> {
        let url = self.model_info_url(model, expand);
        self.json(&Call::get(Operation::ModelInfo, url)).await
    }

    fn model_info_url(&self, model: &ModelRef, expand: &[&str]) -> String {
        let url = self.url(&format!("/api/models/{}", model_path(model)));
        if expand.is_empty() {
            return url;
        }
        format!(
            "{url}?{}",
            encode_query(expand.iter().map(|e| ("expand", *e)))
        )
    }

    /// `GET /api/models/{id}?expand=gated&expand=siblings`: whether the model is gated, and its
    /// files ([`ModelFiles`]), as [`HubClient::model_info`] would ask.
    pub async fn model_files(&self, model: &ModelRef) -> Result<ModelFiles, HubError> {
        let url = self.model_info_url(model, &["gated", "siblings"]);
        self.json(&Call::get(Operation::ModelInfo, url)).await
    }

    /// `GET /{id}/resolve/main/README.md`; `Ok(None)` when the model has no card.
    pub async fn model_readme(&self, model: &ModelRef) -> Result<Option<String>, HubError> {
        let url = self.url(&format!("/{}/resolve/main/README.md", model_path(model)));
        let call = Call::new(Operation::ModelReadme, Method::Get, url);
        let Some(response) = missing_file_is_none(self.execute(&call).await)? else {
            return Ok(None);
        };
        String::from_utf8(response.body).map(Some).map_err(|_| {
            HubError::decode(
                call.operation,
                &call.url,
                "the model card is not UTF-8 text",
            )
        })
    }

    /// `HEAD /{id}/resolve/main/{file}`: whether this token can download that file of the model,
    /// the way a model library does (a gated model answers 401/403 with `X-Error-Code:
    /// GatedRepo`, a private one the token cannot read 401/404 `RepoNotFound`). Nothing is
    /// downloaded.
    pub async fn model_file_access(&self, model: &ModelRef, file: &str) -> Result<(), HubError> {
        let path = file
            .split('/')
            .map(sf_core::links::encode_segment)
            .collect::<Vec<_>>()
            .join("/");
        let url = self.url(&format!("/{}/resolve/main/{path}", model_path(model)));
        self.execute(&Call::new(Operation::ModelFile, Method::Head, url))
            .await
            .map(|_| ())
    }
}

fn model_path(model: &ModelRef) -> String {
    repo_path(model.owner(), model.name())
}

#[cfg(test)]
mod tests {
    use crate::mock::{Answer, HUB, client};
    use serde_json::json;
    use sf_core::ModelRef;

    fn m() -> ModelRef {
        ModelRef::parse("org/m").unwrap()
    }

    #[tokio::test]
    async fn info_repeats_expand() {
        let c = client([Answer::json(
            200,
            json!({"id": "org/m", "pipeline_tag": "text-to-image"}),
        )]);
        let m = c
            .model_info(&m(), &["pipeline_tag", "cardData"])
            .await
            .unwrap();
        assert_eq!(m.pipeline_tag.as_deref(), Some("text-to-image"));
        assert_eq!(
            c.transport().requests()[0].url,
            format!("{HUB}/api/models/org/m?expand=pipeline_tag&expand=cardData")
        );
    }

    #[tokio::test]
    async fn model_files_asks_for_the_gate_and_the_files_only() {
        let c = client([
            Answer::json(
                200,
                json!({"gated": "manual", "siblings": [{"rfilename": "README.md"}, {"rfilename": "model.safetensors"}], "likes": 3}),
            ),
            Answer::json(200, json!({"gated": false, "siblings": null})),
        ]);
        let files = c.model_files(&m()).await.unwrap();
        assert_eq!(files.gated, crate::types::Gated::Manual);
        assert_eq!(files.first_download(), Some("model.safetensors"));
        assert_eq!(
            c.transport().requests()[0].url,
            format!("{HUB}/api/models/org/m?expand=gated&expand=siblings")
        );
        let open = c.model_files(&m()).await.unwrap();
        assert_eq!(open.gated, crate::types::Gated::No);
        assert_eq!(open.first_download(), None);
    }

    #[tokio::test]
    async fn search_sends_the_query_as_huggingface_hub_does() {
        let c = client([Answer::json(
            200,
            json!([{"_id": "1", "id": "org/m", "pipeline_tag": "text-to-image", "likes": 3, "gated": "manual", "private": false}]),
        )]);
        let q = super::ModelSearch {
            search: " z image ".into(),
            pipeline_tag: "text-to-image".into(),
            sort: super::ModelSort::Likes,
            limit: 500,
        };
        let found = c.list_models(&q).await.unwrap();
        assert_eq!(found[0].model_id(), Some("org/m"));
        assert_eq!(found[0].likes, Some(3));
        assert_eq!(found[0].gated, crate::types::Gated::Manual);
        assert_eq!(
            c.transport().requests()[0].url,
            format!(
                "{HUB}/api/models?search=z%20image&pipeline_tag=text-to-image&sort=likes&direction=-1&limit=100&expand=pipeline_tag&expand=likes&expand=downloads&expand=gated&expand=private"
            )
        );
        assert_eq!(
            super::ModelSort::from_wire("trendingScore"),
            Some(super::ModelSort::Trending)
        );
    }

    #[tokio::test]
    async fn readme_is_none_when_the_model_has_no_card() {
        let c = client([
            Answer::bytes(200, b"---\nlicense: mit\n---\n# M"),
            Answer::bytes(404, b"").header("X-Error-Code", "EntryNotFound"),
            Answer::bytes(404, b"").header("X-Error-Code", "RepoNotFound"),
        ]);
        assert!(
            c.model_readme(&m())
                .await
                .unwrap()
                .unwrap()
                .starts_with("---")
        );
        assert_eq!(c.model_readme(&m()).await.unwrap(), None);
        assert!(c.model_readme(&m()).await.unwrap_err().is_not_found());
        assert_eq!(
            c.transport().requests()[0].url,
            format!("{HUB}/org/m/resolve/main/README.md")
        );
    }

    #[tokio::test]
    async fn file_access_is_a_head_of_the_file_and_names_a_gated_repo() {
        let c = client([
            Answer::bytes(200, b""),
            Answer::bytes(403, b"")
                .header("X-Error-Code", "GatedRepo")
                .header("X-Error-Message", "Access to model org/m is restricted."),
        ]);
        c.model_file_access(&m(), "unet/diffusion pytorch.safetensors")
            .await
            .unwrap();
        let e = c
            .model_file_access(&m(), "model.safetensors")
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(403));
        assert_eq!(e.error_code(), Some("GatedRepo"));
        assert_eq!(
            e.server_message(),
            Some("Access to model org/m is restricted.")
        );
        let r = c.transport().requests();
        assert_eq!(r[0].method, crate::transport::Method::Head);
        assert_eq!(
            r[0].url,
            format!("{HUB}/org/m/resolve/main/unet/diffusion%20pytorch.safetensors")
        );
        assert_eq!(
            crate::mock::authorization(&r[1]),
            Some(format!("Bearer {}", crate::mock::TOKEN).as_str())
        );
    }
}
