//! Storage Buckets: create (private), info, tree listing, file reads. Writing goes through the
//! job's bucket mount, not through this client.

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::{Method, Transport};
use crate::types::{BucketEntry, BucketInfo, RepoUrl};
use crate::url::{encode_path, file_path, namespace_path, repo_id_path};

impl<T: Transport> HubClient<T> {
    /// `POST /api/buckets/{namespace}/{name}` with `{"visibility":"private"}`. A bucket that
    /// already exists is a 409 ([`HubError::is_conflict`]). Not retried.
    pub async fn create_private_bucket(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<RepoUrl, HubError> {
        let url = self.url(&format!(
            "/api/buckets/{}/{}",
            namespace_path(namespace)?,
            namespace_path(name)?
        ));
        let call = Call::post(Operation::CreateBucket, url)
            .auth(Auth::Required)
            .json_body(&serde_json::json!({ "visibility": "private" }));
        self.json(&call).await
    }

    /// `GET /api/buckets/{id}`; a missing bucket (or one you cannot see) is a 404.
    pub async fn bucket_info(&self, bucket_id: &str) -> Result<BucketInfo, HubError> {
        let url = self.url(&format!("/api/buckets/{}", repo_id_path(bucket_id)?));
        self.json(&Call::get(Operation::BucketInfo, url)).await
    }

    /// `GET /api/buckets/{id}/tree/{prefix}?recursive=…`, following every page. An empty
    /// prefix lists from the root.
    pub async fn bucket_tree(
        &self,
        bucket_id: &str,
        prefix: &str,
        recursive: bool,
    ) -> Result<Vec<BucketEntry>, HubError> {
        let mut path = format!("/api/buckets/{}/tree", repo_id_path(bucket_id)?);
        let prefix = encode_path(prefix);
        if !prefix.is_empty() {
            if prefix.split('/').any(|s| s == "..") {
                return Err(HubError::InvalidInput(
                    "A bucket folder cannot contain '..'.".into(),
                ));
            }
            path = format!("{path}/{prefix}");
        }
        let url = self.url(&format!("{path}?recursive={recursive}"));
        self.paginated(Call::get(Operation::ListBucketFiles, url))
            .await
    }

    /// `GET /buckets/{id}/resolve/{path}`. `Ok(None)` when the file does not exist; a missing
    /// bucket (`X-Error-Code: RepoNotFound`) stays an error.
    pub async fn read_bucket_file(
        &self,
        bucket_id: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, HubError> {
        let url = self.url(&format!(
            "/buckets/{}/resolve/{}",
            repo_id_path(bucket_id)?,
            file_path(path)?
        ));
        let call = Call::new(Operation::ReadBucketFile, Method::Get, url);
        missing_file_is_none(self.execute(&call).await.map(|r| r.body))
    }

    /// [`read_bucket_file`](Self::read_bucket_file) as UTF-8 text.
    pub async fn read_bucket_text(
        &self,
        bucket_id: &str,
        path: &str,
    ) -> Result<Option<String>, HubError> {
        let Some(bytes) = self.read_bucket_file(bucket_id, path).await? else {
            return Ok(None);
        };
        String::from_utf8(bytes).map(Some).map_err(|_| {
            HubError::decode(
                Operation::ReadBucketFile,
                &self.url(&format!("/buckets/{bucket_id}/resolve/{path}")),
                "the file is not UTF-8 text",
            )
        })
    }
}

/// 404 → `None`, except when the Hub says the repository itself is missing.
pub(crate) fn missing_file_is_none<R>(result: Result<R, HubError>) -> Result<Option<R>, HubError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() && e.error_code() != Some("RepoNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}
