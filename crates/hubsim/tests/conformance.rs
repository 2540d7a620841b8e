//! Runs the official `huggingface_hub` Python client (2.4.0) against a simulator:
//! `tests/conformance/test_huggingface_hub.py`. The Python comes from `SF_PYTHON`, a venv made
//! by `cargo xtask setup` with `huggingface_hub==2.4.0` and `pytest`.

use std::path::Path;

use sf_hubsim::{HubSim, OTHER_TOKEN, SimConfig, TEST_TOKEN, TEST_USER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_works_against_the_simulator() {
    let python = std::env::var("SF_PYTHON").unwrap_or_else(|_| {
        panic!(
            "SF_PYTHON is not set. Run `cargo xtask setup`: it creates a Python venv with \
             huggingface_hub==2.4.0 and pytest and tells you the SF_PYTHON to export."
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let sim = HubSim::start(
        SimConfig::for_tests(dir.path().join("data")),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("simulator starts");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/test_huggingface_hub.py");
    let output = tokio::process::Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
        ])
        .arg(&script)
        .env_remove("HF_TOKEN")
        .env_remove("HUGGING_FACE_HUB_TOKEN")
        .env("HF_ENDPOINT", sim.url())
        .env("HF_HOME", dir.path().join("hf-home"))
        .env("HF_HUB_DISABLE_TELEMETRY", "1")
        .env("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        .env("HUBSIM_URL", sim.url())
        .env("HUBSIM_TEST_TOKEN", TEST_TOKEN)
        .env("HUBSIM_TEST_USER", TEST_USER)
        .env("HUBSIM_OTHER_TOKEN", OTHER_TOKEN)
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("could not run {python}: {e}. Run `cargo xtask setup` and export SF_PYTHON.")
        });
    sim.shutdown().await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "huggingface_hub conformance failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    println!("{stdout}");
}
