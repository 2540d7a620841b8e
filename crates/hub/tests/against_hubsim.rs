//! sf-hub against the local Hub simulator (crates/hubsim): real HTTP, real SSE, real faults.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;

use serde_json::json;
use sf_core::{BucketRef, JobSpec, ModelRef, Namespace, RunId, SpaceRef};
use sf_hub::transport::{
    Headers, HttpRequest, HttpResponse, Method, StreamingResponse, Transport, TransportError,
};
use sf_hub::types::{BucketEntry, JobStage};
use sf_hub::{
    CommitFile, HubClient, JobFilter, LogStreamOptions, NativeTransport, NewCommit, NewSpace,
    RetryPolicy,
};
use sf_hubsim::{HubSim, OTHER_TOKEN, SimConfig, TEST_TOKEN, TEST_USER};

type Client = HubClient<NativeTransport>;

struct Harness {
    sim: HubSim,
    hub: Client,
    _dir: tempfile::TempDir,
}

/// Retries fast enough for tests, the same number of them as in production.
fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(2),
    }
}

fn fast_logs() -> LogStreamOptions {
    LogStreamOptions {
        max_reconnects: 5,
        reconnect_delay: Duration::from_millis(50),
        job_poll_interval: Duration::from_millis(200),
    }
}

async fn start() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let sim = HubSim::start(
        SimConfig::for_tests(dir.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let hub = HubClient::new(&sim.url(), NativeTransport::new().unwrap())
        .unwrap()
        .with_token(TEST_TOKEN)
        .with_retry_policy(fast_retries());
    Harness {
        sim,
        hub,
        _dir: dir,
    }
}

impl Harness {
    /// A call to the simulator's control API (`/__sim/…`, no token).
    async fn control(&self, method: Method, route: &str, body: Vec<u8>) -> Vec<u8> {
        let response = self
            .hub
            .transport()
            .send(HttpRequest {
                method,
                url: format!("{}/__sim/{route}", self.sim.url()),
                headers: Headers::new(),
                body: Some(body),
            })
            .await
            .unwrap();
        assert!(
            response.is_success(),
            "control {route}: {}",
            response.status
        );
        response.body
    }

    async fn fault(&self, fault: serde_json::Value) {
        self.control(Method::Post, "faults", serde_json::to_vec(&fault).unwrap())
            .await;
    }

    /// Writes a file into a bucket the way a job's mount would.
    async fn write_bucket_file(&self, bucket: &str, path: &str, content: &str) {
        let route = format!("buckets/{bucket}/files/{}", path.replace(' ', "%20"));
        self.control(Method::Put, &route, content.as_bytes().to_vec())
            .await;
    }

    async fn armed_faults(&self) -> Vec<serde_json::Value> {
        let body = self.control(Method::Get, "faults", Vec::new()).await;
        serde_json::from_slice(&body).unwrap()
    }

    /// How many job creations reached the simulator.
    async fn job_requests(&self) -> usize {
        let body = self.control(Method::Get, "jobs/requests", Vec::new()).await;
        serde_json::from_slice::<Vec<serde_json::Value>>(&body)
            .unwrap()
            .len()
    }

    async fn stop(self) {
        self.sim.shutdown().await;
    }
}

fn script_job(script: &str, run_id: &str) -> JobSpec {
    let mut spec = JobSpec::new(
        "debian:12",
        vec!["sh".into(), "-c".into(), script.into()],
        60,
    );
    spec.labels = sf_core::jobspec::labels(sf_core::RunKind::Build, &RunId::parse(run_id).unwrap());
    spec
}

fn me() -> Namespace {
    Namespace::parse(TEST_USER).unwrap()
}

async fn wait_for_final(hub: &Client, id: &str) -> JobStage {
    for _ in 0..100 {
        let job = hub.inspect_job(&me(), id).await.unwrap();
        if job.status.stage.is_final() {
            return job.status.stage;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("job {id} did not finish");
}

async fn all_lines(hub: &Client, id: &str) -> Vec<String> {
    let mut logs = hub.job_logs_with(&me(), id, fast_logs()).unwrap();
    let mut lines = Vec::new();
    let collect = async {
        while let Some(line) = logs.next().await {
            lines.push(line.unwrap().text);
        }
    };
    tokio::time::timeout(Duration::from_secs(30), collect)
        .await
        .expect("the log stream ends once the job has finished");
    lines
}

#[tokio::test]
async fn whoami_and_sign_in_discovery() {
    let h = start().await;
    let me = h.hub.whoami_v2().await.unwrap();
    assert_eq!(me.name, TEST_USER);

    let config = h.hub.openid_configuration().await.unwrap();
    assert!(config.token_endpoint.ends_with("/oauth/token"));
    let userinfo = config.userinfo_endpoint.unwrap();
    assert_eq!(
        h.hub.userinfo(&userinfo).await.unwrap().preferred_username,
        TEST_USER
    );

    let anonymous = HubClient::new(&h.sim.url(), NativeTransport::new().unwrap()).unwrap();
    let bad = anonymous.with_token("hf_not_a_real_token_000000000000000");
    let e = bad.whoami_v2().await.unwrap_err();
    assert!(e.is_unauthorized(), "{e}");
    assert!(e.request_id().is_some());
    assert!(e.user_message().contains("sign in again"));
    h.stop().await;
}

#[tokio::test]
async fn buckets_create_conflict_info_tree_and_read() {
    let h = start().await;
    let bucket = BucketRef::new(TEST_USER, "runs-test").unwrap();
    let missing = h.hub.bucket_info(&bucket).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing}");

    h.hub.create_private_bucket(&bucket).await.unwrap();
    let again = h.hub.create_private_bucket(&bucket).await.unwrap_err();
    assert!(again.is_conflict(), "{again}");
    assert_eq!(
        h.hub.bucket_info(&bucket).await.unwrap().private,
        Some(true)
    );

    // More files than one page (the test simulator pages by 3).
    for i in 0..5 {
        h.write_bucket_file(
            &bucket.id(),
            &format!("runs/r{i}/state.json"),
            &format!("{{\"n\":{i}}}"),
        )
        .await;
    }
    h.write_bucket_file(&bucket.id(), "runs/r 5/report.md", "# Report é")
        .await;
    let entries = h.hub.bucket_tree(&bucket, "runs", true).await.unwrap();
    let mut files: Vec<&str> = entries
        .iter()
        .filter(|e| e.is_file())
        .filter_map(BucketEntry::path)
        .collect();
    files.sort_unstable();
    assert_eq!(
        files,
        [
            "runs/r 5/report.md",
            "runs/r0/state.json",
            "runs/r1/state.json",
            "runs/r2/state.json",
            "runs/r3/state.json",
            "runs/r4/state.json",
        ]
    );
    let top = h.hub.bucket_tree(&bucket, "", false).await.unwrap();
    assert_eq!(
        top.iter().filter_map(BucketEntry::path).collect::<Vec<_>>(),
        ["runs"]
    );

    assert_eq!(
        h.hub
            .read_bucket_text(&bucket, "runs/r 5/report.md")
            .await
            .unwrap()
            .as_deref(),
        Some("# Report é")
    );
    assert_eq!(
        h.hub
            .read_bucket_file(&bucket, "runs/nope.json")
            .await
            .unwrap(),
        None
    );
    let no_bucket = h
        .hub
        .read_bucket_file(&BucketRef::new(TEST_USER, "no-such-bucket").unwrap(), "x")
        .await
        .unwrap_err();
    assert!(no_bucket.is_not_found());
    h.stop().await;
}

#[tokio::test]
async fn jobs_create_inspect_list_logs_and_cancel() {
    let h = start().await;
    let job = h
        .hub
        .create_job(
            &me(),
            &script_job("for i in 1 2 3 4 5; do echo line $i; done", "run-a"),
        )
        .await
        .unwrap();
    assert_eq!(job.labels["run-id"], "run-a");
    assert_eq!(wait_for_final(&h.hub, &job.id).await, JobStage::Completed);

    let mine = h
        .hub
        .list_jobs(&me(), &JobFilter::run(&RunId::parse("run-a").unwrap()))
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|j| j.id.as_str()).collect::<Vec<_>>(),
        [job.id.as_str()]
    );
    let none = h
        .hub
        .list_jobs(&me(), &JobFilter::run(&RunId::parse("run-b").unwrap()))
        .await
        .unwrap();
    assert!(none.is_empty());

    let lines = all_lines(&h.hub, &job.id).await;
    let printed: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("line"))
        .collect();
    assert_eq!(printed, ["line 1", "line 2", "line 3", "line 4", "line 5"]);

    let long = h
        .hub
        .create_job(&me(), &script_job("sleep 30", "run-c"))
        .await
        .unwrap();
    h.hub.cancel_job(&me(), &long.id).await.unwrap();
    assert_eq!(wait_for_final(&h.hub, &long.id).await, JobStage::Canceled);
    let canceled = h
        .hub
        .list_jobs(&me(), &JobFilter::default().stage(JobStage::Canceled))
        .await
        .unwrap();
    assert_eq!(canceled.len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn job_logs_follow_a_running_job_across_a_dropped_connection() {
    let h = start().await;
    let job = h
        .hub
        .create_job(
            &me(),
            &script_job(
                "for i in 1 2 3 4 5 6; do echo step $i; sleep 0.2; done",
                "run-d",
            ),
        )
        .await
        .unwrap();
    // The first log connection is cut after its first chunk; the stream reconnects, the Hub
    // replays everything, and each line still comes out once.
    h.fault(json!({
        "path_prefix": format!("/api/jobs/{TEST_USER}/{}/logs", job.id),
        "drop_connection": true,
        "count": 1,
    }))
    .await;
    // Let some lines exist first, so the cut connection has delivered history to replay.
    for _ in 0..50 {
        let job = h.hub.inspect_job(&me(), &job.id).await.unwrap();
        if job.status.stage == JobStage::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let lines = all_lines(&h.hub, &job.id).await;
    let steps: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("step"))
        .collect();
    assert_eq!(
        steps,
        ["step 1", "step 2", "step 3", "step 4", "step 5", "step 6"]
    );
    assert_no_repeats(&lines);
    assert!(
        h.armed_faults().await.is_empty(),
        "the connection was really dropped once"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_500_is_retried_for_get_and_not_for_job_creation() {
    let h = start().await;
    h.fault(json!({"path_prefix": "/api/whoami-v2", "status": 500, "count": 2}))
        .await;
    assert_eq!(h.hub.whoami_v2().await.unwrap().name, TEST_USER);

    assert!(
        h.armed_faults().await.is_empty(),
        "both 500s were met and retried"
    );

    // Two failures armed for job creation: one attempt meets the first, the second stays armed.
    h.fault(json!({"path_prefix": format!("/api/jobs/{TEST_USER}"), "method": "POST", "status": 500, "count": 2}))
        .await;
    let e = h
        .hub
        .create_job(&me(), &script_job("true", "run-e"))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert!(e.request_id().is_some());
    let left = h.armed_faults().await;
    assert_eq!(left.len(), 1);
    assert_eq!(
        left[0]["count"], 1,
        "job creation was sent once, not retried"
    );
    h.control(Method::Delete, "faults", Vec::new()).await;
    assert_eq!(h.job_requests().await, 0);

    h.fault(json!({"path_prefix": "/api/whoami-v2", "status": 429, "retry_after": 1, "count": 1}))
        .await;
    let started = std::time::Instant::now();
    h.hub.whoami_v2().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    h.stop().await;
}

#[tokio::test]
async fn the_token_stays_on_the_hub() {
    let h = start().await;
    // A second simulator plays "another site": a request there must not carry the token.
    let other_dir = tempfile::tempdir().unwrap();
    let other = HubSim::start(
        SimConfig::for_tests(other_dir.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let e = h
        .hub
        .get(&format!("{}/api/whoami-v2", other.url()))
        .await
        .unwrap_err();
    assert!(e.is_unauthorized(), "the other origin saw no token: {e}");
    h.hub
        .get(&format!("{}/api/whoami-v2", h.sim.url()))
        .await
        .unwrap();
    other.shutdown().await;
    h.stop().await;
}

#[tokio::test]
async fn models_info_and_card() {
    let h = start().await;
    let gpt2_ref = ModelRef::parse("openai-community/gpt2").unwrap();
    let gpt2 = h.hub.model_info(&gpt2_ref, &[]).await.unwrap();
    assert_eq!(gpt2.model_id(), Some("openai-community/gpt2"));
    assert!(gpt2.pipeline_tag.is_some());
    let card = h.hub.model_readme(&gpt2_ref).await.unwrap();
    assert!(card.unwrap().len() > 10);
    assert_eq!(
        h.hub
            .model_readme(&ModelRef::parse("sim-fixtures/model-without-card").unwrap())
            .await
            .unwrap(),
        None
    );
    let missing = h
        .hub
        .model_info(&ModelRef::parse("nobody/nothing").unwrap(), &[])
        .await
        .unwrap_err();
    assert!(missing.is_not_found(), "{missing}");
    h.stop().await;
}

/// What a model library meets when it downloads the weights: a gated model without access is
/// 403 `GatedRepo` until access is granted; a private model is there for its owner only.
#[tokio::test]
async fn model_file_access_follows_gating_and_privacy() {
    let h = start().await;
    let gpt2 = ModelRef::parse("openai-community/gpt2").unwrap();
    h.hub
        .model_file_access(&gpt2, "model.safetensors")
        .await
        .unwrap();
    let missing = h
        .hub
        .model_file_access(&gpt2, "not-there.safetensors")
        .await
        .unwrap_err();
    assert_eq!(missing.error_code(), Some("EntryNotFound"), "{missing}");

    let llama = ModelRef::parse("meta-llama/Llama-3.1-8B-Instruct").unwrap();
    let weights = "model-00001-of-00004.safetensors";
    let refused = h.hub.model_file_access(&llama, weights).await.unwrap_err();
    assert_eq!(
        (refused.status(), refused.error_code()),
        (Some(403), Some("GatedRepo")),
        "{refused}"
    );
    assert!(
        refused
            .server_message()
            .is_some_and(|m| m.contains("ask for access")),
        "{refused:?}"
    );
    let body = format!(
        r#"{{"user": "{TEST_USER}", "model": "meta-llama/Llama-3.1-8B-Instruct", "granted": true}}"#
    );
    h.control(Method::Post, "gated-access", body.into_bytes())
        .await;
    h.hub.model_file_access(&llama, weights).await.unwrap();

    let private = ModelRef::parse(&format!("{TEST_USER}/private-gpt2")).unwrap();
    let info = h.hub.model_info(&private, &[]).await.unwrap();
    assert_eq!(info.private, Some(true));
    h.hub
        .model_file_access(&private, "model.safetensors")
        .await
        .unwrap();
    let other = HubClient::new(&h.sim.url(), NativeTransport::new().unwrap())
        .unwrap()
        .with_token(OTHER_TOKEN)
        .with_retry_policy(fast_retries());
    let hidden = other.model_info(&private, &[]).await.unwrap_err();
    assert!(hidden.is_not_found(), "{hidden}");
    let hidden = other
        .model_file_access(&private, "model.safetensors")
        .await
        .unwrap_err();
    assert_eq!(hidden.error_code(), Some("RepoNotFound"), "{hidden}");
    let anonymous = HubClient::new(&h.sim.url(), NativeTransport::new().unwrap()).unwrap();
    let e = anonymous
        .model_file_access(&private, "model.safetensors")
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.error_code()),
        (Some(401), Some("RepoNotFound"))
    );
    h.stop().await;
}

/// The Space's secrets are listed by name; their values never come back.
#[tokio::test]
async fn space_secret_keys_list_names_only() {
    let h = start().await;
    let id = SpaceRef::new(TEST_USER, "secret-space").unwrap();
    h.hub
        .create_space(&NewSpace::private_gradio(id.clone()))
        .await
        .unwrap();
    assert!(h.hub.space_secret_keys(&id).await.unwrap().is_empty());
    let mut headers = Headers::new();
    headers.set("Authorization", format!("Bearer {TEST_TOKEN}"));
    headers.set("Content-Type", "application/json".to_string());
    let added = h
        .hub
        .transport()
        .send(HttpRequest {
            method: Method::Post,
            url: format!(
                "{}/api/spaces/{TEST_USER}/secret-space/secrets",
                h.sim.url()
            ),
            headers,
            body: Some(br#"{"key": "HF_TOKEN", "value": "hf_readtokenvalue"}"#.to_vec()),
        })
        .await
        .unwrap();
    assert!(added.is_success(), "{}", added.status);
    assert_eq!(h.hub.space_secret_keys(&id).await.unwrap(), ["HF_TOKEN"]);
    let raw = h
        .hub
        .get(&format!(
            "{}/api/spaces/{TEST_USER}/secret-space/secrets",
            h.sim.url()
        ))
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw.body).contains("hf_readtokenvalue"));
    h.stop().await;
}

#[tokio::test]
async fn models_search_by_task_and_order() {
    let h = start().await;
    let q = sf_hub::ModelSearch {
        pipeline_tag: "text-generation".into(),
        sort: sf_hub::ModelSort::Likes,
        limit: 2,
        ..Default::default()
    };
    let found = h.hub.list_models(&q).await.unwrap();
    let ids: Vec<_> = found.iter().filter_map(|m| m.model_id()).collect();
    assert_eq!(
        ids,
        [
            "meta-llama/Llama-3.1-8B-Instruct",
            "deepseek-ai/DeepSeek-V3"
        ]
    );
    assert_eq!(found[0].gated, sf_hub::types::Gated::Manual);
    assert_eq!(found[0].private, Some(false));
    assert_eq!(found[0].likes, Some(4512));
    let q = sf_hub::ModelSearch {
        search: "z-image".into(),
        limit: 20,
        ..Default::default()
    };
    let found = h.hub.list_models(&q).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].pipeline_tag.as_deref(), Some("text-to-image"));
    h.stop().await;
}

#[tokio::test]
async fn spaces_create_commit_runtime_and_hardware() {
    let h = start().await;
    let id = SpaceRef::new(TEST_USER, "demo-space").unwrap();
    h.hub
        .create_space(&NewSpace::private_gradio(id.clone()))
        .await
        .unwrap();
    let again = h
        .hub
        .create_space(&NewSpace::private_gradio(id.clone()))
        .await
        .unwrap_err();
    assert!(again.is_conflict(), "{again}");
    let commit = NewCommit {
        summary: "Add the app".into(),
        description: String::new(),
        files: vec![CommitFile {
            path: "app.py".into(),
            content: b"import gradio as gr\n".to_vec(),
        }],
    };
    h.hub.commit_space_files(&id, &commit).await.unwrap();
    let info = h.hub.space_info(&id).await.unwrap();
    assert_eq!(info.private, Some(true));
    assert!(info.siblings.iter().any(|s| s.rfilename == "app.py"));
    h.hub.space_runtime(&id).await.unwrap();
    let flavors = h.hub.space_hardware().await.unwrap();
    assert!(flavors.iter().any(|f| f.name == "cpu-basic"));
    let runtime = h
        .hub
        .request_space_hardware(&id, "t4-small", None)
        .await
        .unwrap();
    assert_eq!(runtime.hardware.requested.as_deref(), Some("t4-small"));
    h.stop().await;
}

fn assert_no_repeats(lines: &[String]) {
    let unique: std::collections::BTreeSet<&String> = lines.iter().collect();
    assert_eq!(unique.len(), lines.len(), "a line was repeated: {lines:?}");
}

/// Passes requests to the network but cuts the first log stream after `keep` chunks, counting
/// how many of them carried log events: a drop *after* history was delivered.
struct CutFirstStream {
    inner: NativeTransport,
    keep: usize,
    cut: AtomicBool,
    events_before_cut: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Transport for CutFirstStream {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        self.inner.send(request).await
    }

    async fn send_streaming(
        &self,
        request: HttpRequest,
    ) -> Result<StreamingResponse, TransportError> {
        let mut response = self.inner.send_streaming(request).await?;
        if !self.cut.swap(true, Ordering::SeqCst) {
            let counter = Arc::clone(&self.events_before_cut);
            let kept = response.body.take(self.keep).inspect(move |chunk| {
                if let Ok(bytes) = chunk {
                    let text = String::from_utf8_lossy(bytes);
                    counter.fetch_add(text.matches("data:").count(), Ordering::SeqCst);
                }
            });
            let cut = futures_util::stream::once(async {
                Err(TransportError::Network("cut by the test".into()))
            });
            response.body = Box::pin(kept.chain(cut));
        }
        Ok(response)
    }

    async fn sleep(&self, duration: Duration) {
        self.inner.sleep(duration).await;
    }
}

#[tokio::test]
async fn replayed_history_is_not_repeated_after_a_reconnect() {
    let h = start().await;
    let job = h
        .hub
        .create_job(
            &me(),
            &script_job(
                "for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.2; done",
                "run-f",
            ),
        )
        .await
        .unwrap();
    let events_before_cut = Arc::new(AtomicUsize::new(0));
    let transport = CutFirstStream {
        inner: NativeTransport::new().unwrap(),
        keep: 3,
        cut: AtomicBool::new(false),
        events_before_cut: Arc::clone(&events_before_cut),
    };
    let hub = HubClient::new(&h.sim.url(), transport)
        .unwrap()
        .with_token(TEST_TOKEN)
        .with_retry_policy(fast_retries());
    let mut logs = hub.job_logs_with(&me(), &job.id, fast_logs()).unwrap();
    let mut lines = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = logs.next().await {
            lines.push(line.unwrap().text);
        }
    })
    .await
    .expect("the log stream ends once the job has finished");
    assert!(
        events_before_cut.load(Ordering::SeqCst) > 0,
        "the first connection delivered history before it was cut"
    );
    let ticks: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("tick"))
        .collect();
    assert_eq!(
        ticks,
        ["tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6"]
    );
    assert_no_repeats(&lines);
    h.stop().await;
}
