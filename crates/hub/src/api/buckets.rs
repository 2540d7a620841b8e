//! Storage Buckets: create (private), info, tree listing, file reads. Writing goes through the
//! job's bucket mount, not through this client.

use sf_core::BucketRef;

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::transport::{Method, Transport};
use crate::types::{BucketEntry, BucketInfo, RepoUrl};
use crate::url::{file_path, repo_path};

impl<T: Transport> HubClient<T> {
    /// `POST /api/buckets/{namespace}/{name}` with `{"visibility":"private"}`. A bucket that
    /// already exists is a 409 ([`HubError::is_conflict`]). Not retried.
    pub async fn create_private_bucket(&self, bucket: &BucketRef) -> Result<RepoUrl, HubError> {
        let url = self.url(&format!("/api/buckets/{}", bucket_path(bucket)));
        let call = Call::post(Operation::CreateBucket, url)
            .auth(Auth::Required)
            .json_body(&serde_json::json!({ "visibility": "private" }));
        self.json(&call).await
    }

    /// `GET /api/buckets/{id}`; a missing bucket (or one you cannot see) is a 404.
    pub async fn bucket_info(&self, bucket: &BucketRef) -> Result<BucketInfo, HubError> {
        let url = self.url(&format!("/api/buckets/{}", bucket_path(bucket)));
        self.json(&Call::get(Operation::BucketInfo, url)).await
    }

    /// `GET /api/buckets/{id}/tree/{prefix}?recursive=…`, following every page. An empty
    /// prefix (or `/`) lists from the root.
    pub async fn bucket_tree(
        &self,
        bucket: &BucketRef,
        prefix: &str,
        recursive: bool,
    ) -> Result<Vec<BucketEntry>, HubError> {
        let mut path = format!("/api/buckets/{}/tree", bucket_path(bucket));
        if !prefix.trim_matches('/').is_empty() {
            path = format!("{path}/{}", file_path(prefix)?);
        }
        let url = self.url(&format!("{path}?recursive={recursive}"));
        self.paginated(Call::get(Operation::ListBucketFiles, url))
            .await
    }

    /// `GET /buckets/{id}/resolve/{path}`. `Ok(None)` when the file does not exist; a missing
    /// bucket (`X-Error-Code: RepoNotFound`) stays an error.
    pub async fn read_bucket_file(
        &self,
        bucket: &BucketRef,
        path: &str,
    ) -> Result<Option<Vec<u8>>, HubError> {
        let url = self.url(&format!(
            "/buckets/{}/resolve/{}",
            bucket_path(bucket),
            file_path(path)?
        ));
        let call = Call::new(Operation::ReadBucketFile, Method::Get, url);
        missing_file_is_none(self.execute(&call).await.map(|r| r.body))
    }

    /// [`read_bucket_file`](Self::read_bucket_file) as UTF-8 text.
    pub async fn read_bucket_text(
        &self,
        bucket: &BucketRef,
        path: &str,
    ) -> Result<Option<String>, HubError> {
        let Some(bytes) = self.read_bucket_file(bucket, path).await? else {
            return Ok(None);
        };
        String::from_utf8(bytes).map(Some).map_err(|_| {
            HubError::decode(
                Operation::ReadBucketFile,
                &self.url(&format!("/buckets/{bucket}/resolve/{path}")),
                "the file is not UTF-8 text",
            )
        })
    }
}

fn bucket_path(bucket: &BucketRef) -> String {
    repo_path(bucket.owner(), bucket.name())
}

/// 404 → `None`, except when the Hub says the repository itself is missing.
pub(crate) fn missing_file_is_none<R>(result: Result<R, HubError>) -> Result<Option<R>, HubError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_not_found() && e.error_code() != Some("RepoNotFound") => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::mock::{Answer, HUB, authorization, client, json_body};
    use crate::transport::Method;
    use crate::types::BucketEntry;
    use serde_json::json;
    use sf_core::BucketRef;

    fn runs() -> BucketRef {
        BucketRef::parse("alice/runs").unwrap()
    }

    #[tokio::test]
    async fn create_asks_for_a_private_bucket_and_409_means_it_exists() {
        let c = client([
            Answer::json(
                200,
                json!({"url": format!("{HUB}/buckets/alice/runs"), "id": "x"}),
            ),
            Answer::json(409, json!({"error": "You already created this bucket"})),
        ]);
        let created = c.create_private_bucket(&runs()).await.unwrap();
        assert_eq!(created.url.unwrap(), format!("{HUB}/buckets/alice/runs"));
        let e = c.create_private_bucket(&runs()).await.unwrap_err();
        assert!(e.is_conflict());
        let sent = c.transport().requests();
        assert_eq!(sent[0].method, Method::Post);
        assert_eq!(sent[0].url, format!("{HUB}/api/buckets/alice/runs"));
        assert_eq!(json_body(&sent[0]), json!({"visibility": "private"}));
        assert!(authorization(&sent[0]).is_some());
        assert_eq!(sent.len(), 2, "no retry on 409");
    }

    #[tokio::test]
    async fn info_and_a_missing_bucket() {
        let c = client([
            Answer::json(
                200,
                json!({"id": "alice/runs", "private": true, "size": 10, "totalFiles": 2}),
            ),
            Answer::json(404, json!({"error": "Bucket not found"}))
                .header("X-Error-Code", "RepoNotFound"),
        ]);
        let info = c.bucket_info(&runs()).await.unwrap();
        assert_eq!((info.private, info.total_files), (Some(true), Some(2)));
        let e = c.bucket_info(&runs()).await.unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(e.error_code(), Some("RepoNotFound"));
        assert_eq!(
            c.transport().requests()[0].url,
            format!("{HUB}/api/buckets/alice/runs")
        );
    }

    #[tokio::test]
    async fn tree_encodes_the_prefix_and_follows_pages() {
        let c = client([
            Answer::json(200, json!([{"type": "directory", "path": "runs/a b"}])).header(
                "Link",
                &format!(
                    "<{HUB}/api/buckets/alice/runs/tree/runs?recursive=true&cursor=2>; rel=\"next\""
                ),
            ),
            Answer::json(
                200,
                json!([{"type": "file", "path": "runs/a b/state.json", "size": 3}]),
            ),
            Answer::json(200, json!([])),
        ]);
        let entries = c.bucket_tree(&runs(), "runs", true).await.unwrap();
        assert_eq!(entries.len(), 2);
        assert!(matches!(
            &entries[1],
            BucketEntry::File { size: Some(3), .. }
        ));
        c.bucket_tree(&runs(), "", false).await.unwrap();
        let sent = c.transport().requests();
        assert_eq!(
            sent[0].url,
            format!("{HUB}/api/buckets/alice/runs/tree/runs?recursive=true")
        );
        assert_eq!(
            sent[1].url,
            format!("{HUB}/api/buckets/alice/runs/tree/runs?recursive=true&cursor=2")
        );
        assert_eq!(
            sent[2].url,
            format!("{HUB}/api/buckets/alice/runs/tree?recursive=false")
        );
    }

    #[tokio::test]
    async fn reading_files_distinguishes_missing_files_from_missing_buckets() {
        let c = client([
            Answer::bytes(200, b"{\"schema\":1}"),
            Answer::json(404, json!({"error": "Entry not found"}))
                .header("X-Error-Code", "EntryNotFound"),
            Answer::json(404, json!({"error": "Bucket not found"}))
                .header("X-Error-Code", "RepoNotFound"),
            Answer::bytes(200, &[0xff, 0xfe]),
        ]);
        let text = c
            .read_bucket_text(&runs(), "runs/r 1/state.json")
            .await
            .unwrap();
        assert_eq!(text.as_deref(), Some("{\"schema\":1}"));
        assert_eq!(c.read_bucket_file(&runs(), "runs/x").await.unwrap(), None);
        assert!(
            c.read_bucket_file(&runs(), "runs/x")
                .await
                .unwrap_err()
                .is_not_found()
        );
        assert!(c.read_bucket_text(&runs(), "bin").await.is_err());
        let sent = c.transport().requests();
        assert_eq!(
            sent[0].url,
            format!("{HUB}/buckets/alice/runs/resolve/runs/r%201/state.json")
        );
        assert!(authorization(&sent[0]).is_some());
    }

    #[tokio::test]
    async fn bad_paths_are_refused_before_sending() {
        let c = client([]);
        assert!(c.read_bucket_file(&runs(), "../etc/passwd").await.is_err());
        assert!(c.bucket_tree(&runs(), "runs/../..", false).await.is_err());
        assert!(c.transport().requests().is_empty());
    }
}
