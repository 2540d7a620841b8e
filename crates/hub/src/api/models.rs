//! Models: info and model card.

use crate::api::buckets::missing_file_is_none;
use crate::client::{Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::{Method, Transport};
use crate::types::ModelInfo;
use crate::url::{encode_query, repo_id_path};

impl<T: Transport> HubClient<T> {
    /// `GET /api/models/{id}[?expand=…&expand=…]`. With `expand`, only those fields come back.
    pub async fn model_info(&self, model_id: &str, expand: &[&str]) -> Result<ModelInfo, HubError> {
        let mut url = self.url(&format!("/api/models/{}", repo_id_path(model_id)?));
        if !expand.is_empty() {
            url = format!(
                "{url}?{}",
                encode_query(expand.iter().map(|e| ("expand", *e)))
            );
        }
        self.json(&Call::get(Operation::ModelInfo, url)).await
    }

    /// `GET /{id}/resolve/main/README.md`; `Ok(None)` when the model has no card.
    pub async fn model_readme(&self, model_id: &str) -> Result<Option<String>, HubError> {
        let url = self.url(&format!(
            "/{}/resolve/main/README.md",
            repo_id_path(model_id)?
        ));
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
