//! Models: info and model card.

use sf_core::ModelRef;

use crate::api::buckets::missing_file_is_none;
use crate::client::{Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::{Method, Transport};
use crate::types::ModelInfo;
use crate::url::{encode_query, repo_path};

impl<T: Transport> HubClient<T> {
    /// `GET /api/models/{id}[?expand=…&expand=…]`. With `expand`, only those fields come back.
    pub async fn model_info(
        &self,
        model: &ModelRef,
        expand: &[&str],
    ) -> Result<ModelInfo, HubError> {
        let mut url = self.url(&format!("/api/models/{}", model_path(model)));
        if !expand.is_empty() {
            url = format!(
                "{url}?{}",
                encode_query(expand.iter().map(|e| ("expand", *e)))
            );
        }
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
}
