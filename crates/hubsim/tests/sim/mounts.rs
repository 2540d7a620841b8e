//! Job volumes as HF Jobs mount them: each at its literal `mountPath` in the job's own mount
//! namespace, a Space read-only, a bucket through FUSE with hf-mount's default streaming
//! semantics (appending to an existing file fails with EPERM, a rewrite with truncation works,
//! content reaches the bucket API when the file is closed). These tests need a machine that can
//! mount (FUSE, root): where it cannot, they fail with the simulator's one sentence saying why.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use sf_hubsim::{TEST_TOKEN, TEST_USER};

use crate::common::{Env, eventually, sse_events, start};

const BUCKET: &str = "sf-tester/runs";

/// A simulator whose jobs get the strict mount, with the run bucket created.
async fn strict() -> Env {
    let env = start().await;
    if let Err(sentence) = env.sim.mount_support() {
        panic!("{sentence}");
    }
    env.control(
        reqwest::Method::POST,
        &format!("/buckets/{BUCKET}"),
        json!({"private": true}),
    )
    .await;
    env
}

/// Starts `sh -c script` as a job with the run bucket at `/output` (and more volumes).
async fn job(env: &Env, script: &str, more_volumes: &[Value]) -> String {
    let mut volumes = vec![
        json!({"type": "bucket", "source": BUCKET, "mountPath": "/output", "readOnly": false}),
    ];
    volumes.extend_from_slice(more_volumes);
    let r = env
        .post(&format!("/api/jobs/{TEST_USER}"), TEST_TOKEN)
        .json(&json!({
            "dockerImage": "debian:bookworm-slim",
            "command": ["sh", "-c", script],
            "environment": {"SF_OUTPUT_DIR": "/output"},
            "flavor": "cpu-basic",
            "volumes": volumes,
        }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v["id"].as_str().unwrap().to_string()
}

/// The job's log lines so far (the stream is read for a moment only while it runs).
async fn log_lines(env: &Env, id: &str) -> Vec<String> {
    let resp = env
        .get(&format!("/api/jobs/{TEST_USER}/{id}/logs"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    let mut body = String::new();
    let mut stream = Box::pin(resp.bytes_stream());
    use futures_util::StreamExt;
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(Duration::from_millis(150), stream.next()).await
    {
        body.push_str(&String::from_utf8_lossy(&chunk));
    }
    sse_events(&body)
        .iter()
        .filter_map(|e| e["data"].as_str().map(str::to_string))
        .collect()
}

async fn wait_for_line(env: &Env, id: &str, line: &str) -> Vec<String> {
    eventually(15, &format!("the job to print {line:?}"), || async {
        let lines = log_lines(env, id).await;
        lines.iter().any(|l| l == line).then_some(lines)
    })
    .await
}

async fn finished(env: &Env, id: &str) -> (Value, Vec<String>) {
    let job = eventually(15, "the job to end", || async {
        let job: Value = env
            .get(&format!("/api/jobs/{TEST_USER}/{id}"), TEST_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        matches!(job["status"]["stage"].as_str(), Some("COMPLETED" | "ERROR")).then_some(job)
    })
    .await;
    (job, log_lines(env, id).await)
}

/// `GET /buckets/{id}/resolve/{path}`: the content, or `None` for a 404.
async fn resolve(env: &Env, path: &str) -> Option<String> {
    let r = env
        .get(&format!("/buckets/{BUCKET}/resolve/{path}"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    if r.status() == 404 {
        return None;
    }
    assert_eq!(r.status(), 200, "{path}");
    Some(r.text().await.unwrap())
}

/// The files of a bucket folder in `GET /api/buckets/{id}/tree/{folder}`: `(path, size)`.
async fn tree(env: &Env, folder: &str) -> Vec<(String, u64)> {
    let r = env
        .get(
            &format!("/api/buckets/{BUCKET}/tree/{folder}?recursive=true"),
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let items: Vec<Value> = r.json().await.unwrap();
    items
        .iter()
        .filter(|i| i["type"] == "file")
        .map(|i| {
            (
                i["path"].as_str().unwrap().to_string(),
                i["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn appending_to_a_bucket_file_fails_with_eperm_and_a_rewrite_succeeds() {
    let env = strict().await;
    env.write_bucket_file(BUCKET, "runs/r1/events.jsonl", "one\n")
        .await;
    let id = job(
        &env,
        "f=/output/runs/r1/events.jsonl\n\
         if echo two >> $f; then echo append-worked; fi\n\
         if (exec 3<>$f); then echo open-without-truncation-worked; fi\n\
         echo rewritten > $f && echo rewrite-worked\n\
         printf 'new file' > /output/runs/r1/report.md && echo create-worked\n",
        &[],
    )
    .await;
    let (job, lines) = finished(&env, &id).await;
    assert_eq!(job["status"]["stage"], "COMPLETED", "{lines:?}");
    let refused: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("Operation not permitted"))
        .collect();
    assert_eq!(
        refused.len(),
        2,
        "append and open without O_TRUNC get EPERM: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.ends_with("-without-truncation-worked") || l == "append-worked")
    );
    assert!(lines.contains(&"rewrite-worked".to_string()), "{lines:?}");
    assert!(lines.contains(&"create-worked".to_string()), "{lines:?}");
    assert_eq!(
        resolve(&env, "runs/r1/events.jsonl").await.as_deref(),
        Some("rewritten\n")
    );
    assert_eq!(
        resolve(&env, "runs/r1/report.md").await.as_deref(),
        Some("new file")
    );
    env.shutdown().await;
}

#[tokio::test]
async fn content_reaches_tree_and_resolve_only_when_the_file_is_closed() {
    let env = strict().await;
    env.write_bucket_file(BUCKET, "runs/r2/state.json", "old")
        .await;
    let id = job(
        &env,
        "exec 3>/output/runs/r2/state.json 4>/output/runs/r2/events.jsonl\n\
         printf 'new state' | cat >&3\n\
         printf 'event\\n' | cat >&4\n\
         echo written\n\
         while [ ! -e /output/go ]; do sleep 0.05; done\n\
         exec 3>&- 4>&-\n\
         echo closed\n\
         sleep 30\n",
        &[],
    )
    .await;
    wait_for_line(&env, &id, "written").await;
    // Open for writing: the bucket still has the previous content, a new file is not listed.
    assert_eq!(
        tree(&env, "runs/r2").await,
        [("runs/r2/state.json".to_string(), 3)]
    );
    assert_eq!(
        resolve(&env, "runs/r2/state.json").await.as_deref(),
        Some("old")
    );
    assert_eq!(resolve(&env, "runs/r2/events.jsonl").await, None);

    env.write_bucket_file(BUCKET, "go", "").await;
    wait_for_line(&env, &id, "closed").await;
    // Closed (the job still runs): both are in the bucket.
    assert_eq!(
        tree(&env, "runs/r2").await,
        [
            ("runs/r2/events.jsonl".to_string(), 6),
            ("runs/r2/state.json".to_string(), 9)
        ]
    );
    assert_eq!(
        resolve(&env, "runs/r2/state.json").await.as_deref(),
        Some("new state")
    );
    assert_eq!(
        resolve(&env, "runs/r2/events.jsonl").await.as_deref(),
        Some("event\n")
    );
    env.post(&format!("/api/jobs/{TEST_USER}/{id}/cancel"), TEST_TOKEN)
        .send()
        .await
        .unwrap();
    env.shutdown().await;
}

#[tokio::test]
async fn volumes_appear_at_their_literal_paths_and_the_factory_space_is_read_only() {
    let env = strict().await;
    let files = json!([{"path": "worker/run.sh", "content": "echo from-the-factory\n"}]);
    let r = env
        .post("/api/repos/create", TEST_TOKEN)
        .json(&json!({"name": "space-factory", "type": "space", "sdk": "static", "files": files}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = job(
        &env,
        "echo \"output=$SF_OUTPUT_DIR\"\n\
         sh /factory/worker/run.sh\n\
         if echo x > /factory/worker/run.sh; then echo factory-writable; fi\n\
         if mkdir /factory/new; then echo factory-writable; fi\n\
         grep -E ' /(output|factory) ' /proc/self/mountinfo | cut -d' ' -f5,6 | sed 's/,.*//'\n\
         mkdir -p /output/runs/r3 && printf ok > /output/runs/r3/state.json && echo wrote\n",
        &[json!({"type": "space", "source": "sf-tester/space-factory", "mountPath": "/factory", "readOnly": true})],
    )
    .await;
    let (job, lines) = finished(&env, &id).await;
    assert_eq!(job["status"]["stage"], "COMPLETED", "{lines:?}");
    assert!(
        lines.contains(&"output=/output".to_string()),
        "the environment is not rewritten: {lines:?}"
    );
    assert!(lines.contains(&"from-the-factory".to_string()), "{lines:?}");
    assert!(!lines.iter().any(|l| l == "factory-writable"), "{lines:?}");
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.contains("Read-only file system"))
            .count(),
        2,
        "{lines:?}"
    );
    assert!(lines.contains(&"/output rw".to_string()), "{lines:?}");
    assert!(lines.contains(&"/factory ro".to_string()), "{lines:?}");
    assert!(lines.contains(&"wrote".to_string()), "{lines:?}");
    assert_eq!(
        resolve(&env, "runs/r3/state.json").await.as_deref(),
        Some("ok")
    );
    assert!(
        !std::path::Path::new("/factory").exists(),
        "the job's mount points are its own, not the host's"
    );
    env.shutdown().await;
}

/// The same mount for a program a test runs itself (how the worker's scenario tests can run the
/// real worker on it), used here with Rust's own file API.
#[tokio::test]
async fn a_bucket_mounted_for_a_test_has_the_same_rules() {
    let env = strict().await;
    env.write_bucket_file(BUCKET, "runs/r4/trace.log", "line 1\n")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mount = env
        .sim
        .mount_bucket(BUCKET, &dir.path().join("bucket"))
        .unwrap();
    let trace = mount.path().join("runs/r4/trace.log");
    let append = std::fs::OpenOptions::new().append(true).open(&trace);
    assert_eq!(
        append.err().and_then(|e| e.raw_os_error()),
        Some(libc::EPERM),
        "appending to an existing file"
    );
    assert_eq!(std::fs::read_to_string(&trace).unwrap(), "line 1\n");
    let mut file = std::fs::File::create(&trace).unwrap();
    file.write_all(b"line 1\nline 2\n").unwrap();
    assert_eq!(
        resolve(&env, "runs/r4/trace.log").await.as_deref(),
        Some("line 1\n")
    );
    assert_eq!(
        env.sim.bucket_uploads(BUCKET).get("runs/r4/trace.log"),
        None
    );
    drop(file);
    assert_eq!(
        resolve(&env, "runs/r4/trace.log").await.as_deref(),
        Some("line 1\nline 2\n")
    );
    std::fs::create_dir_all(mount.path().join("runs/r5/artifacts")).unwrap();
    std::fs::write(mount.path().join("runs/r5/artifacts/out.bin"), [1u8, 2, 3]).unwrap();
    // Each close that published is one upload; the refused append is none.
    assert_eq!(
        env.sim.bucket_uploads(BUCKET),
        [
            ("runs/r4/trace.log".to_string(), 1),
            ("runs/r5/artifacts/out.bin".to_string(), 1)
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        tree(&env, "runs/r5").await,
        [("runs/r5/artifacts/out.bin".to_string(), 3)]
    );
    let mut names: Vec<String> = std::fs::read_dir(mount.path().join("runs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["r4", "r5"]);
    std::fs::remove_file(mount.path().join("runs/r5/artifacts/out.bin")).unwrap();
    assert_eq!(resolve(&env, "runs/r5/artifacts/out.bin").await, None);
    drop(mount);
    env.shutdown().await;
}

/// The documented opt-out for machines without FUSE: the bucket is its plain folder (still at
/// the literal path), so appending works — which is why the tests above never use it.
#[tokio::test]
async fn plain_bucket_mounts_are_folders_at_the_same_paths() {
    let env = crate::common::start_with(|c| c.with_plain_bucket_mounts()).await;
    if let Err(sentence) = env.sim.mount_support() {
        panic!("{sentence}");
    }
    env.control(
        reqwest::Method::POST,
        &format!("/buckets/{BUCKET}"),
        json!({}),
    )
    .await;
    env.write_bucket_file(BUCKET, "log.txt", "one\n").await;
    let id = job(&env, "echo two >> /output/log.txt && echo appended", &[]).await;
    let (job, lines) = finished(&env, &id).await;
    assert_eq!(job["status"]["stage"], "COMPLETED", "{lines:?}");
    assert!(lines.contains(&"appended".to_string()), "{lines:?}");
    assert_eq!(
        resolve(&env, "log.txt").await.as_deref(),
        Some("one\ntwo\n")
    );
    env.shutdown().await;
}
