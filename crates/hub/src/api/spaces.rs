//! Spaces: info, runtime, create, commit files, hardware, build and run logs.

use base64::Engine;
use serde::Serialize;
use sf_core::SpaceRef;

use crate::client::{Auth, Call, HubClient};
use crate::error::{HubError, Operation};
use crate::logs::{LogSource, LogStream, LogStreamOptions};
use crate::transport::{Method, Transport};
use crate::types::{CommitInfo, HardwareFlavor, RepoUrl, SpaceInfo, SpaceRuntime};
use crate::url::{file_path, repo_path};

/// A Space to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpace {
    pub id: SpaceRef,
    /// `gradio`, `static`, `docker` or `streamlit`.
    pub sdk: String,
    pub private: bool,
    /// A hardware flavor to start on (e.g. `cpu-basic`); `None` leaves the Hub's default.
    pub hardware: Option<String>,
    /// Seconds of inactivity before a Space on paid hardware sleeps (`sleepTimeSeconds`); the
    /// Hub refuses it for ZeroGPU and `cpu-basic`.
    pub sleep_time_seconds: Option<u32>,
}

impl NewSpace {
    /// A private Gradio Space on the default hardware.
    pub fn private_gradio(id: SpaceRef) -> Self {
        Self {
            id,
            sdk: "gradio".into(),
            private: true,
            hardware: None,
            sleep_time_seconds: None,
        }
    }
}

#[derive(Serialize)]
struct CreateRepoBody<'a> {
    name: &'a str,
    organization: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    sdk: &'a str,
    visibility: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hardware: Option<&'a str>,
    #[serde(rename = "sleepTimeSeconds", skip_serializing_if = "Option::is_none")]
    sleep_time_seconds: Option<u32>,
}

/// A file to commit, with its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFile {
    pub path: String,
    pub content: Vec<u8>,
}

/// A commit of small files (sent inline as base64; no LFS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommit {
    pub summary: String,
    pub description: String,
    pub files: Vec<CommitFile>,
}

impl NewCommit {
    /// The NDJSON body: a header line, then one line per file.
    fn ndjson(&self) -> Result<Vec<u8>, HubError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut lines = vec![serde_json::json!({
            "key": "header",
            "value": {"summary": self.summary, "description": self.description},
        })];
        for file in &self.files {
            file_path(&file.path)?;
            lines.push(serde_json::json!({
                "key": "file",
                "value": {
                    "path": file.path.trim_matches('/'),
                    "content": b64.encode(&file.content),
                    "encoding": "base64",
                },
            }));
        }
        let mut body = Vec::new();
        for line in lines {
            body.extend(serde_json::to_vec(&line).expect("JSON values serialise"));
            body.push(b'\n');
        }
        Ok(body)
    }
}

/// Which Space log to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceLogKind {
    Build,
    Run,
}

impl<T: Transport> HubClient<T> {
    fn space_url(&self, space: &SpaceRef, tail: &str) -> String {
        self.url(&format!(
            "/api/spaces/{}{tail}",
            repo_path(space.owner(), space.name())
        ))
    }

    /// `GET /api/spaces/{id}`.
    pub async fn space_info(&self, space: &SpaceRef) -> Result<SpaceInfo, HubError> {
        let call = Call::get(Operation::SpaceInfo, self.space_url(space, ""));
        self.json(&call).await
    }

    /// `GET /api/spaces/{id}/runtime`.
    pub async fn space_runtime(&self, space: &SpaceRef) -> Result<SpaceRuntime, HubError> {
        let call = Call::get(Operation::SpaceRuntime, self.space_url(space, "/runtime"));
        self.json(&call).await
    }

    /// `POST /api/repos/create` for a Space. 409 if it exists, 402 if the plan does not allow
    /// it. Not retried.
    pub async fn create_space(&self, space: &NewSpace) -> Result<RepoUrl, HubError> {
        let body = CreateRepoBody {
            name: space.id.name(),
            organization: space.id.owner(),
            kind: "space",
            sdk: &space.sdk,
            visibility: if space.private { "private" } else { "public" },
            hardware: space.hardware.as_deref(),
            sleep_time_seconds: space.sleep_time_seconds,
        };
        let call = Call::post(Operation::CreateSpace, self.url("/api/repos/create"))
            .auth(Auth::Required)
            .json_body(&body);
        self.json(&call).await
    }

    /// `POST /api/spaces/{id}/commit/main` (NDJSON, files inline as base64). Not retried.
    pub async fn commit_space_files(
        &self,
        space: &SpaceRef,
        commit: &NewCommit,
    ) -> Result<CommitInfo, HubError> {
        let call = Call::post(
            Operation::CommitSpaceFiles,
            self.space_url(space, "/commit/main"),
        )
        .auth(Auth::Required)
        .body("application/x-ndjson", commit.ndjson()?);
        self.json(&call).await
    }

    /// `POST /api/spaces/{id}/hardware`. Retried on transient errors: asking for the same
    /// flavor twice is harmless.
    pub async fn request_space_hardware(
        &self,
        space: &SpaceRef,
        flavor: &str,
        sleep_time_seconds: Option<u64>,
    ) -> Result<SpaceRuntime, HubError> {
        let mut body = serde_json::json!({ "flavor": flavor });
        if let Some(seconds) = sleep_time_seconds {
            body["sleepTimeSeconds"] = seconds.into();
        }
        let call = Call::post(
            Operation::RequestSpaceHardware,
            self.space_url(space, "/hardware"),
        )
        .auth(Auth::Required)
        .idempotent()
        .json_body(&body);
        self.json(&call).await
    }

    /// `POST /api/spaces/{id}/pause`: stops the Space, and its billing, until someone restarts
    /// it. Retried on transient errors: pausing twice is harmless.
    pub async fn pause_space(&self, space: &SpaceRef) -> Result<SpaceRuntime, HubError> {
        let call = Call::post(Operation::PauseSpace, self.space_url(space, "/pause"))
            .auth(Auth::Required)
            .idempotent();
        self.json(&call).await
    }

    /// `GET /api/spaces/{id}/secrets`: the names of the Space's secrets, sorted (the Hub
    /// answers `{KEY: {description, updatedAt}}` and never returns a value).
    pub async fn space_secret_keys(&self, space: &SpaceRef) -> Result<Vec<String>, HubError> {
        let call = Call::get(Operation::SpaceSecrets, self.space_url(space, "/secrets"))
            .auth(Auth::Required);
        let listing: std::collections::BTreeMap<String, serde_json::Value> =
            self.json(&call).await?;
        Ok(listing.into_keys().collect())
    }

    /// `GET /api/spaces/hardware` (public; sent without the token).
    pub async fn space_hardware(&self) -> Result<Vec<HardwareFlavor>, HubError> {
        let call =
            Call::get(Operation::SpaceHardware, self.url("/api/spaces/hardware")).auth(Auth::None);
        self.json(&call).await
    }

    /// `GET /api/spaces/{id}/logs/build|run` as new lines. Ends when the Hub closes the stream;
    /// a dropped connection is reopened and the replayed history skipped.
    pub fn space_logs(&self, space: &SpaceRef, kind: SpaceLogKind) -> Result<LogStream, HubError> {
        self.space_logs_with(space, kind, LogStreamOptions::default())
    }

    /// [`space_logs`](Self::space_logs) with other reconnect settings.
    pub fn space_logs_with(
        &self,
        space: &SpaceRef,
        kind: SpaceLogKind,
        options: LogStreamOptions,
    ) -> Result<LogStream, HubError> {
        let tail = match kind {
            SpaceLogKind::Build => "/logs/build",
            SpaceLogKind::Run => "/logs/run",
        };
        let call = Call::new(
            Operation::SpaceLogs,
            Method::Get,
            self.space_url(space, tail),
        )
        .header("Accept", "text/event-stream");
        Ok(LogStream::new(
            self.clone(),
            call,
            LogSource::Space,
            options,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::{Answer, HUB, client, json_body};
    use crate::types::SpaceStage;
    use serde_json::json;

    fn demo() -> SpaceRef {
        SpaceRef::parse("alice/demo").unwrap()
    }

    #[tokio::test]
    async fn create_sends_a_private_gradio_space() {
        let c = client([Answer::json(
            200,
            json!({"url": format!("{HUB}/spaces/alice/demo")}),
        )]);
        let mut space = NewSpace::private_gradio(demo());
        space.hardware = Some("cpu-basic".into());
        c.create_space(&space).await.unwrap();
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/repos/create"));
        assert_eq!(
            json_body(sent),
            json!({"name": "demo", "organization": "alice", "type": "space", "sdk": "gradio",
                   "visibility": "private", "hardware": "cpu-basic"})
        );
    }

    #[tokio::test]
    async fn create_on_paid_hardware_sends_the_sleep_time() {
        let c = client([Answer::json(
            200,
            json!({"url": format!("{HUB}/spaces/alice/demo")}),
        )]);
        let mut space = NewSpace::private_gradio(demo());
        space.hardware = Some("l40sx1".into());
        space.sleep_time_seconds = Some(3600);
        c.create_space(&space).await.unwrap();
        assert_eq!(
            json_body(&c.transport().requests()[0]),
            json!({"name": "demo", "organization": "alice", "type": "space", "sdk": "gradio",
                   "visibility": "private", "hardware": "l40sx1", "sleepTimeSeconds": 3600})
        );
    }

    #[tokio::test]
    async fn create_on_a_free_plan_mentions_billing_and_is_not_retried() {
        let c = client([Answer::json(402, json!({"error": "Payment required"}))]);
        let e = c
            .create_space(&NewSpace::private_gradio(demo()))
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(402));
        assert!(e.user_message().contains("billing"));
        assert_eq!(c.transport().requests().len(), 1);
    }

    #[tokio::test]
    async fn commit_sends_ndjson_with_base64_files() {
        let c = client([Answer::json(
            200,
            json!({"commitOid": "abc", "commitUrl": "u"}),
        )]);
        let commit = NewCommit {
            summary: "Add app".into(),
            description: String::new(),
            files: vec![CommitFile {
                path: "app.py".into(),
                content: b"print('hi')\n".to_vec(),
            }],
        };
        let info = c.commit_space_files(&demo(), &commit).await.unwrap();
        assert_eq!(info.commit_oid.as_deref(), Some("abc"));
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/spaces/alice/demo/commit/main"));
        assert_eq!(
            sent.headers.get("content-type"),
            Some("application/x-ndjson")
        );
        let body = String::from_utf8(sent.body.clone().unwrap()).unwrap();
        let lines: Vec<serde_json::Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines[0],
            json!({"key": "header", "value": {"summary": "Add app", "description": ""}})
        );
        assert_eq!(
            lines[1],
            json!({"key": "file", "value": {"path": "app.py", "content": "cHJpbnQoJ2hpJykK", "encoding": "base64"}})
        );
        assert!(body.ends_with('\n'));
    }

    #[tokio::test]
    async fn hardware_request_runtime_and_info() {
        let runtime =
            json!({"stage": "BUILDING", "hardware": {"current": null, "requested": "zero-a10g"}});
        let c = client([
            Answer::bytes(502, b""),
            Answer::json(200, runtime.clone()),
            Answer::json(200, runtime),
            Answer::json(
                200,
                json!({"id": "alice/demo", "subdomain": "alice-demo", "sdk": "gradio",
                                     "runtime": {"stage": "RUNNING", "hardware": {"current": "cpu-basic"}}}),
            ),
        ]);
        let rt = c
            .request_space_hardware(&demo(), "zero-a10g", Some(3600))
            .await
            .unwrap();
        assert_eq!(rt.hardware.requested.as_deref(), Some("zero-a10g"));
        assert_eq!(
            c.space_runtime(&demo()).await.unwrap().stage,
            SpaceStage::Building
        );
        let info = c.space_info(&demo()).await.unwrap();
        assert_eq!(info.subdomain.as_deref(), Some("alice-demo"));
        let sent = c.transport().requests();
        assert_eq!(sent[0].url, format!("{HUB}/api/spaces/alice/demo/hardware"));
        assert_eq!(
            json_body(&sent[0]),
            json!({"flavor": "zero-a10g", "sleepTimeSeconds": 3600})
        );
        assert_eq!(sent.len(), 4, "the hardware request was retried once");
        assert_eq!(sent[2].url, format!("{HUB}/api/spaces/alice/demo/runtime"));
        assert_eq!(sent[3].url, format!("{HUB}/api/spaces/alice/demo"));
    }

    #[tokio::test]
    async fn pause_posts_and_reads_the_runtime() {
        let c = client([Answer::json(
            200,
            json!({"stage": "PAUSED", "hardware": {"current": null, "requested": "l40sx1"}}),
        )]);
        let rt = c.pause_space(&demo()).await.unwrap();
        assert_eq!(rt.stage, SpaceStage::Paused);
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/spaces/alice/demo/pause"));
        assert_eq!(sent.method, Method::Post);
    }

    #[tokio::test]
    async fn secret_keys_are_the_names_only() {
        let c = client([Answer::json(
            200,
            json!({"OTHER": {"description": null, "updatedAt": "t"}, "HF_TOKEN": {"description": "read", "updatedAt": "t"}}),
        )]);
        assert_eq!(
            c.space_secret_keys(&demo()).await.unwrap(),
            ["HF_TOKEN", "OTHER"]
        );
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/spaces/alice/demo/secrets"));
        assert_eq!(sent.method, Method::Get);
    }

    #[tokio::test]
    async fn space_logs_stream_until_closed() {
        let c = client([Answer::sse(vec![crate::mock::Chunk::Bytes(
            b"data: {\"data\":\"Building\",\"timestamp\":\"t1\"}\n\n".to_vec(),
        )])]);
        let mut logs = c.space_logs(&demo(), SpaceLogKind::Build).unwrap();
        assert_eq!(logs.next().await.unwrap().unwrap().text, "Building");
        assert!(logs.next().await.is_none());
        let sent = &c.transport().requests()[0];
        assert_eq!(sent.url, format!("{HUB}/api/spaces/alice/demo/logs/build"));
        assert_eq!(sent.headers.get("accept"), Some("text/event-stream"));
    }
}
