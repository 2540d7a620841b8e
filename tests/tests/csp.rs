//! The release page under its Content-Security-Policy (`xtask/src/csp.rs`, as `cargo xtask dist`
//! writes it), served on its own origin as a static Space is, against the Hub simulator on
//! another: every view, an OAuth sign-in and a run page with artifacts cause no policy violation,
//! and a script injected into the page does not run.

use serde_json::{Value, json};
use sf_e2e::{Browser, Hub, StaticServer, csp, dist_dir, event_line, generation_works, tiny_png};

const BUCKET: &str = "sf-tester/space-factory-runs";
const RUN: &str = "build-20261128-142501-a3f9c2";

/// Installed before the page's scripts: every `securitypolicyviolation` event of the document.
const VIOLATIONS_HOOK: &str = r#"
window.__sfCsp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__sfCsp.push(e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') +
    (e.sample ? ' [' + e.sample + ']' : '') + ' at ' + e.sourceFile + ':' + e.lineNumber);
}, true);
"#;

/// The release app in a folder of its own, its `index.html` carrying the deployed policy (for
/// huggingface.co; [`StaticServer::start_as_space`] rewrites it for the simulator it points at).
/// `None` policy: the page as trunk wrote it, without one.
fn app_folder(with_policy: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = dist_dir();
    for entry in std::fs::read_dir(&dist).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
    }
    let html = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let html = if with_policy {
        csp::apply(&html, csp::HF_HUB).unwrap()
    } else {
        assert!(
            !html.contains("Content-Security-Policy"),
            "trunk's page has no policy of its own"
        );
        html
    };
    std::fs::write(dir.path().join("index.html"), html).unwrap();
    dir
}

async fn violations(b: &Browser) -> Vec<String> {
    match b
        .client
        .execute("return window.__sfCsp || null", vec![])
        .await
    {
        Ok(Value::Array(items)) => items
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect(),
        other => vec![format!(
            "the violation hook did not run on this page: {other:?}"
        )],
    }
}

/// A silent WAV (8 kHz, 8-bit mono, 80 samples).
fn tiny_wav() -> Vec<u8> {
    let data = vec![128u8; 80];
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes()); // PCM
    w.extend_from_slice(&1u16.to_le_bytes()); // mono
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&(data.len() as u32).to_le_bytes());
    w.extend_from_slice(&data);
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_a_sign_in_and_a_run_with_artifacts_cause_no_policy_violation() {
    let hub = Hub::start_with(true, |c| {
        c.with_variable("SF_FACTORY_SPACE", "sf-tester/space-factory")
    })
    .await;
    hub.control("POST", &format!("/buckets/{BUCKET}"), json!({}))
        .await;
    let state = generation_works(RUN);
    let files = vec![
        ("events.jsonl", event_line("starting", "Run started").into()),
        (
            "report.md",
            "# Verdict\n\nThe live Space generated an image.".into(),
        ),
        ("artifacts/output.png", tiny_png()),
        ("artifacts/voice.wav", tiny_wav()),
        ("artifacts/notes.txt", "second output".into()),
    ];
    hub.put_run(BUCKET, RUN, &state, files).await;

    let app = app_folder(true);
    let site = StaticServer::start_as_space(app.path(), hub.sim.space_variables()).await;
    let b = Browser::start(1280, 900).await;
    b.add_init_script(VIOLATIONS_HOOK).await;
    let outcome: Result<(), String> = async {
        let mut seen = Vec::new();
        b.goto(&format!("{}/", site.url)).await;
        let html = b.html().await;
        if !html.contains("Content-Security-Policy") || !html.contains(&hub.url) {
            return Err(format!(
                "the page does not carry the policy for {}:\n{html}",
                hub.url
            ));
        }
        // The loader fetched the pre-compressed wasm (allowed by connect-src 'self'), not the plain one.
        let wasm = b
            .client
            .execute(
                "return performance.getEntriesByType('resource').map(r => r.name).filter(n => n.includes('.wasm'))",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        let fetched: Vec<&str> = wasm
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if fetched.len() != 1 || !fetched[0].ends_with("_bg.wasm.lzma") {
            return Err(format!("the page fetched {fetched:?}, not only the main module's .wasm.lzma"));
        }
        // OAuth: a navigation to the Hub and back, then a token request (connect-src).
        b.click_button("Sign in with Hugging Face").await?;
        b.wait_for_text("Signed in as sf-tester").await?;
        b.wait_for_text("Sign out").await?;
        seen.extend(violations(&b).await);

        let views = [
            ("?view=build", "Build a Space from a model card"),
            ("?view=validate", "Validate an existing Space"),
            ("?view=runs", RUN),
            ("?view=about", "What a run's status means"),
            ("?view=nonsense", "Page not found"),
        ];
        for (query, text) in views {
            b.goto(&format!("{}/{query}", site.url)).await;
            b.wait_for_text(text).await?;
            seen.extend(violations(&b).await);
        }

        b.goto(&format!("{}/?run={RUN}", site.url)).await;
        b.wait_for_text("full_inference_success").await?;
        b.wait_for_text("The live Space generated an image.")
            .await?;
        b.wait_for_text("second output").await?;
        b.find("[data-testid=artifacts] img").await?;
        b.find("[data-testid=artifacts] audio").await?;
        let drawn = b
            .client
            .execute(
                "const i = document.querySelector('[data-testid=artifacts] img');
                 return i.complete && i.naturalWidth === 1 && i.src.startsWith('blob:');",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        if drawn != json!(true) {
            return Err("the image artifact was not drawn from its blob: URL".into());
        }
        seen.extend(violations(&b).await);
        b.screenshot("csp-run-page").await;

        if !seen.is_empty() {
            return Err(format!("policy violations: {seen:#?}"));
        }
        b.no_errors().await
    }
    .await;
    b.close().await;
    hub.sim.shutdown().await;
    outcome.unwrap();
}

/// Injects an inline script and an inline event handler, as a rendering bug would.
const INJECT: &str = "
window.__pwned = [];
const s = document.createElement('script');
s.textContent = 'window.__pwned.push(\"script\")';
document.body.appendChild(s);
const d = document.createElement('div');
d.innerHTML = '<img src=\"data:,x\" onerror=\"window.__pwned.push(\\'handler\\')\">';
document.body.appendChild(d);
";

async fn injected_runs(with_policy: bool) -> Result<(Value, Vec<String>), String> {
    let hub = Hub::start(false).await;
    let app = app_folder(with_policy);
    let site = StaticServer::start_as_space(app.path(), hub.sim.space_variables()).await;
    let b = Browser::start(1280, 900).await;
    b.add_init_script(VIOLATIONS_HOOK).await;
    let outcome = async {
        b.goto(&format!("{}/", site.url)).await;
        b.wait_for_text("Hugging Face access token").await?;
        b.client
            .execute(INJECT, vec![])
            .await
            .map_err(|e| e.to_string())?;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let ran = b
            .client
            .execute("return window.__pwned", vec![])
            .await
            .map_err(|e| e.to_string())?;
        Ok((ran, violations(&b).await))
    }
    .await;
    b.close().await;
    hub.sim.shutdown().await;
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_inline_script_is_blocked_by_the_policy() {
    // Without the policy the injection runs: the check below can fail.
    let (ran, _) = injected_runs(false).await.unwrap();
    assert_eq!(
        ran,
        json!(["script", "handler"]),
        "the unprotected page runs injected code"
    );

    let (ran, violations) = injected_runs(true).await.unwrap();
    assert_eq!(ran, json!([]), "an injected script ran under the policy");
    for directive in ["script-src-elem", "script-src-attr"] {
        assert!(
            violations.iter().any(|v| v.starts_with(directive)),
            "no {directive} violation reported: {violations:?}"
        );
    }
}
