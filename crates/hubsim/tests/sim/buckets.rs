//! Buckets: create, 409, permissions, info, list, tree with pagination, paths-info, resolve.

use serde_json::{Value, json};
use sf_hubsim::{OTHER_TOKEN, OTHER_USER, TEST_TOKEN, TEST_USER};

use crate::common::{Env, all_pages, start};

async fn create(
    env: &Env,
    token: &str,
    ns: &str,
    name: &str,
    visibility: &str,
) -> reqwest::Response {
    env.post(&format!("/api/buckets/{ns}/{name}"), token)
        .json(&json!({"visibility": visibility}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn create_then_conflict_then_info() {
    let env = start().await;
    let r = create(&env, TEST_TOKEN, TEST_USER, "runs", "private").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["url"], env.at(&format!("/buckets/{TEST_USER}/runs")));

    let again = create(&env, TEST_TOKEN, TEST_USER, "runs", "private").await;
    assert_eq!(again.status(), 409);
    assert!(again.headers().contains_key("x-request-id"));
    let body: Value = again.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("already"));

    let info: Value = env
        .get(&format!("/api/buckets/{TEST_USER}/runs"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["id"], format!("{TEST_USER}/runs"));
    assert_eq!(info["private"], true);
    assert_eq!(info["totalFiles"], 0);
    assert_eq!(info["size"], 0);
    assert!(info["createdAt"].as_str().unwrap().ends_with('Z'));
    env.shutdown().await;
}

#[tokio::test]
async fn me_namespace_and_permissions() {
    let env = start().await;
    assert_eq!(
        create(&env, TEST_TOKEN, "me", "mine", "public")
            .await
            .status(),
        200
    );
    // Someone else's namespace.
    let r = create(&env, TEST_TOKEN, OTHER_USER, "theirs", "private").await;
    assert_eq!(r.status(), 403);
    // No token at all.
    let r = env
        .http
        .post(env.at(&format!("/api/buckets/{TEST_USER}/anon")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A token without a write scope.
    let read_only = env.mint(TEST_USER, &["read-repos"], None).await;
    assert_eq!(
        create(&env, &read_only, TEST_USER, "nope", "private")
            .await
            .status(),
        403
    );
    // Invalid name.
    assert_eq!(
        create(&env, TEST_TOKEN, TEST_USER, "-bad", "private")
            .await
            .status(),
        400
    );
    env.shutdown().await;
}

#[tokio::test]
async fn private_buckets_are_hidden_from_others() {
    let env = start().await;
    create(&env, TEST_TOKEN, TEST_USER, "secret", "private").await;
    create(&env, TEST_TOKEN, TEST_USER, "open", "public").await;
    for (path, token) in [
        (
            format!("/api/buckets/{TEST_USER}/secret"),
            Some(OTHER_TOKEN),
        ),
        (format!("/api/buckets/{TEST_USER}/secret"), None),
        (
            format!("/api/buckets/{TEST_USER}/missing"),
            Some(TEST_TOKEN),
        ),
    ] {
        let mut req = env.http.get(env.at(&path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["x-error-code"], "RepoNotFound");
    }
    let r = env
        .get(&format!("/api/buckets/{TEST_USER}/open"), OTHER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Listing: the owner sees both, someone else only the public one.
    let (mine, _) = all_pages(&env, env.at("/api/buckets/me"), TEST_TOKEN).await;
    assert_eq!(mine.len(), 2);
    let (theirs, _) = all_pages(
        &env,
        env.at(&format!("/api/buckets/{TEST_USER}")),
        OTHER_TOKEN,
    )
    .await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["id"], format!("{TEST_USER}/open"));
    env.shutdown().await;
}

#[tokio::test]
async fn tree_lists_folders_paginates_and_accepts_encoded_prefixes() {
    let env = start().await;
    create(&env, TEST_TOKEN, TEST_USER, "runs", "private").await;
    let bucket = format!("{TEST_USER}/runs");
    for i in 0..7 {
        env.write_bucket_file(&bucket, &format!("runs/r{i}/state.json"), "{\"schema\":1}")
            .await;
    }
    env.write_bucket_file(&bucket, "runs/r0/events.jsonl", "{}\n{}\n")
        .await;
    env.write_bucket_file(&bucket, "top.txt", "hello").await;

    // Root, not recursive: one folder and one file.
    let (root, _) = all_pages(
        &env,
        env.at(&format!("/api/buckets/{bucket}/tree")),
        TEST_TOKEN,
    )
    .await;
    let paths: Vec<(&str, &str)> = root
        .iter()
        .map(|v| (v["type"].as_str().unwrap(), v["path"].as_str().unwrap()))
        .collect();
    assert_eq!(paths, [("directory", "runs"), ("file", "top.txt")]);
    assert_eq!(root[1]["size"], 5);
    assert_eq!(root[1]["xetHash"].as_str().unwrap().len(), 64);
    assert!(root[1]["mtime"].as_str().unwrap().ends_with('Z'));

    // A folder with 7 children: page size 3 → 3 pages via Link headers, raw prefix.
    let (runs, pages) = all_pages(
        &env,
        env.at(&format!("/api/buckets/{bucket}/tree/runs")),
        TEST_TOKEN,
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(runs.len(), 7);
    assert!(runs.iter().all(|v| v["type"] == "directory"));
    assert_eq!(runs[0]["path"], "runs/r0");

    // Recursive with a %2F-encoded prefix (what huggingface_hub sends): files only.
    let (files, _) = all_pages(
        &env,
        env.at(&format!(
            "/api/buckets/{bucket}/tree/runs%2Fr0?recursive=true"
        )),
        TEST_TOKEN,
    )
    .await;
    let paths: Vec<&str> = files.iter().map(|v| v["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["runs/r0/events.jsonl", "runs/r0/state.json"]);

    // Everything, recursively.
    let (all, _) = all_pages(
        &env,
        env.at(&format!("/api/buckets/{bucket}/tree?recursive=true")),
        TEST_TOKEN,
    )
    .await;
    assert_eq!(all.len(), 9);

    // A prefix that does not exist lists nothing.
    let (none, _) = all_pages(
        &env,
        env.at(&format!("/api/buckets/{bucket}/tree/nothing-here")),
        TEST_TOKEN,
    )
    .await;
    assert!(none.is_empty());

    // Info counts files and bytes.
    let info: Value = env
        .get(&format!("/api/buckets/{bucket}"), TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["totalFiles"], 9);

    // paths-info returns existing files only.
    let r: Vec<Value> = env
        .post(&format!("/api/buckets/{bucket}/paths-info"), TEST_TOKEN)
        .json(&json!({"paths": ["top.txt", "missing.txt", "runs/r3/state.json", "runs"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: Vec<&str> = r.iter().map(|v| v["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["top.txt", "runs/r3/state.json"]);
    env.shutdown().await;
}

#[tokio::test]
async fn resolve_serves_files_with_hub_headers() {
    let env = start().await;
    create(&env, TEST_TOKEN, TEST_USER, "runs", "private").await;
    let bucket = format!("{TEST_USER}/runs");
    env.write_bucket_file(&bucket, "runs/a/state.json", "{\"schema\":1}")
        .await;
    env.write_bucket_file(&bucket, "runs/a/report.md", "# Report")
        .await;

    let r = env
        .get(
            &format!("/buckets/{bucket}/resolve/runs/a/state.json"),
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().contains_key("etag"));
    assert!(r.headers().contains_key("x-xet-hash"));
    assert_eq!(r.headers()["x-linked-size"], "12");
    assert_eq!(r.text().await.unwrap(), "{\"schema\":1}");

    let md = env
        .get(
            &format!("/buckets/{bucket}/resolve/runs/a/report.md"),
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert!(
        md.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/markdown")
    );

    let head = env
        .http
        .head(env.at(&format!("/buckets/{bucket}/resolve/runs/a/state.json")))
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    let range = env
        .get(
            &format!("/buckets/{bucket}/resolve/runs/a/state.json"),
            TEST_TOKEN,
        )
        .header("range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.headers()["content-range"], "bytes 0-0/12");
    assert_eq!(range.text().await.unwrap(), "{");

    let missing = env
        .get(
            &format!("/buckets/{bucket}/resolve/runs/a/nope.json"),
            TEST_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-error-code"], "EntryNotFound");

    let other = env
        .get(
            &format!("/buckets/{bucket}/resolve/runs/a/state.json"),
            OTHER_TOKEN,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    assert_eq!(other.headers()["x-error-code"], "RepoNotFound");

    // The control API refuses writes into missing buckets and paths that leave the bucket.
    let r = env
        .http
        .put(env.at("/__sim/buckets/nobody/none/files/a.txt"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = env
        .http
        .put(env.at(&format!(
            "/__sim/buckets/{bucket}/files/a/..%2F..%2Fescape.txt"
        )))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    env.shutdown().await;
}

#[tokio::test]
async fn buckets_and_spaces_survive_a_restart_on_the_same_data_dir() {
    use sf_hubsim::{HubSim, SimConfig};
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let start = || {
        HubSim::start(
            SimConfig::for_tests(dir.path()),
            "127.0.0.1:0".parse().unwrap(),
        )
    };

    let sim = start().await.unwrap();
    let url = sim.url();
    let r = http
        .post(format!("{url}/api/buckets/{TEST_USER}/kept"))
        .bearer_auth(TEST_TOKEN)
        .json(&json!({"visibility": "private"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{url}/api/repos/create"))
        .bearer_auth(TEST_TOKEN)
        .json(&json!({"type": "space", "name": "kept-space", "organization": TEST_USER, "sdk": "static", "private": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sim.shutdown().await;

    let sim = start().await.unwrap();
    let url = sim.url();
    let bucket: Value = http
        .get(format!("{url}/api/buckets/{TEST_USER}/kept"))
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bucket["id"], format!("{TEST_USER}/kept"));
    assert_eq!(bucket["private"], true);
    let space = http
        .get(format!("{url}/api/spaces/{TEST_USER}/kept-space"))
        .bearer_auth(TEST_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(space.status(), 200);
    // Still private: another user does not see it.
    let hidden = http
        .get(format!("{url}/api/spaces/{TEST_USER}/kept-space"))
        .bearer_auth(OTHER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(hidden.status(), 404);
    sim.shutdown().await;
}
