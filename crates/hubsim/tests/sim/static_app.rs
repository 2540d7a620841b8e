//! The built app served like a static Space.

use serde_json::Value;

use crate::common::start_with;

fn write_app(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><html><head><meta charset=\"utf-8\"><title>SF</title></head><body></body></html>").unwrap();
    std::fs::write(dir.join("pkg/app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("pkg/app.js"), "export default 1;").unwrap();
    std::fs::write(dir.join("style.css"), "body{}").unwrap();
}

fn injected(html: &str) -> Value {
    let start = html.find("window.huggingface = ").expect("script injected")
        + "window.huggingface = ".len();
    let end = html[start..].find(";</script>").unwrap() + start;
    serde_json::from_str(&html[start..end]).unwrap()
}

#[tokio::test]
async fn index_gets_variables_and_files_keep_their_types() {
    let app = tempfile::tempdir().unwrap();
    write_app(app.path());
    let dir = app.path().to_path_buf();
    let env = start_with(move |c| {
        c.with_app_dir(dir)
            .with_oauth_client_id("client-xyz")
            .with_variable("SF_EXTRA", "1")
    })
    .await;

    for path in ["/", "/index.html"] {
        let r = env.http.get(env.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        let html = r.text().await.unwrap();
        assert!(
            html.starts_with("<!doctype html><html><head><script>window.huggingface = "),
            "{html}"
        );
        let vars = &injected(&html)["variables"];
        assert_eq!(vars["OAUTH_CLIENT_ID"], "client-xyz");
        assert_eq!(vars["OPENID_PROVIDER_URL"], env.url);
        assert_eq!(vars["SF_HUB_URL"], env.url);
        assert_eq!(vars["SF_EXTRA"], "1");
        assert!(vars["OAUTH_SCOPES"].as_str().unwrap().contains("jobs"));
    }
    let r = env
        .http
        .get(env.at("/pkg/app_bg.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
    let r = env.http.get(env.at("/pkg/app.js")).send().await.unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let r = env.http.get(env.at("/style.css")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");

    // No rewrite to index.html: deep paths and folders are 404.
    for path in [
        "/runs/build-1",
        "/pkg/",
        "/missing.js",
        "/pkg/..%2Findex.html",
    ] {
        let r = env.http.get(env.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    env.shutdown().await;
}

#[tokio::test]
async fn without_an_oauth_client_the_client_id_is_left_out() {
    let app = tempfile::tempdir().unwrap();
    write_app(app.path());
    let dir = app.path().to_path_buf();
    let env = start_with(move |c| c.with_app_dir(dir)).await;
    let html = env
        .http
        .get(env.at("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let vars = &injected(&html)["variables"];
    assert!(vars.get("OAUTH_CLIENT_ID").is_none());
    assert_eq!(vars["SF_HUB_URL"], env.url);
    env.shutdown().await;
}
