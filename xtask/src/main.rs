//! `cargo xtask …` — the project's own commands: set-up, run, test, release, benchmarks.
//!
//! Everything a fresh machine needs is installed by `setup`, which every other command runs first.
//! Each step checks what is already there (at the right version) and skips it, so running it again
//! costs a few seconds.

mod csp;
mod imports;
mod release;
mod serve;
mod setup;
mod size;
mod unexport;
mod util;
mod wasm;

use std::path::PathBuf;
use std::process::ExitCode;

use setup::Tools;
use util::{Cmd, project_root};

const USAGE: &str = "\
cargo xtask <command>

Commands:
  setup            install every tool the project needs (idempotent; skips what is present)
  serve [--port N] [--inference-url URL] [--hub URL [--factory-space owner/name]]
                   build the release folder and run the whole product on 127.0.0.1:N (default
                   8000) against the local Hub simulator; --inference-url: a real OpenAI-compatible
                   model endpoint for the agent; --hub: serve the app against that Hub instead
  test             set up, check formatting and clippy (-D warnings, native and wasm32), build the
                   release app, and run every test (unit, property, browser; sf-hub's URL cases
                   also on wasm32 in headless Chromium)
  build-app        build the release web app into dist/ and print its size
  dist [--hub URL] write target/space/: the release app (its Content-Security-Policy allows
                   huggingface.co, or --hub: the deployment's SF_HUB_URL), the static worker
                   binary and the Space README
  deploy --space owner/name [--public] [--yes]
                   build target/space/ and upload it as a static Space with the `hf` command
  bench            release size, then side by side with the Gradio peer (../shared/peer/) in
                   headless Chromium: time until the Build button is usable, bytes and requests of
                   a first load, on loopback and emulated networks, ours served with and without
                   gzip (SF_BENCH_RUNS=N loads each, default 7); then one local build on the
                   simulator's strict bucket mount: event-to-screen delay and uploads per run
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup::run().map(|_| ()),
        Some("serve") => setup::run().and_then(|t| serve(&t, &args[1..])),
        Some("test") => setup::run().and_then(|t| test(&t)),
        Some("build-app") => setup::run().and_then(|t| build_app(&t)).map(|_| ()),
        Some("bench") => setup::run().and_then(|t| bench(&t)),
        // trunk's post_build hook (Trunk.toml), not a command of its own.
        Some("app-wasm") => wasm::trunk_hook(),
        Some("dist") => dist_hub(&args[1..]).and_then(|hub| {
            let tools = setup::run()?;
            release::dist(&build_app(&tools)?, &hub).map(|_| ())
        }),
        Some("deploy") => release::parse_deploy_args(&args[1..]).and_then(|a| {
            let tools = setup::run()?;
            let dist = build_app(&tools)?;
            release::deploy(a, &tools, &dist)
        }),
        Some("-h" | "--help" | "help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`.\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `dist [--hub URL]`: the Hub the page's Content-Security-Policy allows (huggingface.co unless
/// the deployment sets `SF_HUB_URL` to another).
fn dist_hub(args: &[String]) -> Result<String, String> {
    match args {
        [] => Ok(csp::HF_HUB.to_string()),
        [flag, url] if flag == "--hub" => csp::origin(url),
        _ => Err("dist takes only --hub URL (the SF_HUB_URL of the deployment), e.g. dist --hub https://huggingface.co".into()),
    }
}

/// Builds the release web app with trunk into `dist/` and prints its size.
fn build_app(tools: &Tools) -> Result<PathBuf, String> {
    let root = project_root();
    let dist = root.join("dist");
    Cmd::new("cargo")
        .args(["fetch", "--locked"])
        .current_dir(&root)
        .run()?;
    Cmd::new("trunk")
        .args(["build", "--release", "--dist"])
        .arg(&dist)
        .current_dir(&root)
        .env("PATH", tools.path_env())
        .run()?;
    size::precompress(&dist, &root.join("target").join("wasm-gz"))?;
    size::report(&dist)?;
    Ok(dist)
}

fn serve(tools: &Tools, args: &[String]) -> Result<(), String> {
    let args = serve::parse_args(args)?;
    let root = project_root();
    // The page's policy allows the Hub it talks to: this simulator, or --hub.
    let hub = args
        .hub
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", args.port));
    let release = release::dist(&build_app(tools)?, &hub)?;
    let data_dir = serve::data_dir(&root);
    std::fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let stand_ins = root.join("crates/hubsim/pylibs");
    let hubsim_args = serve::hubsim_args(
        &args,
        &serve::Paths {
            release: &release,
            data_dir: &data_dir,
            python: &tools.python,
            stand_ins: &stand_ins,
        },
    );
    Cmd::new("cargo")
        .args([
            "build",
            "--quiet",
            "--locked",
            "-p",
            "sf-hubsim",
            "--bin",
            "hubsim",
        ])
        .current_dir(&root)
        .run()?;
    println!("{}", serve::banner(&args));
    Cmd::new("cargo")
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "sf-hubsim",
            "--bin",
            "hubsim",
            "--",
        ])
        .args(hubsim_args)
        .current_dir(&root)
        // Jobs inherit this PATH: the worker finds the real `pi` (and node) here.
        .env("PATH", tools.path_env())
        .run()
}

fn test(tools: &Tools) -> Result<(), String> {
    let root = project_root();
    Cmd::new("cargo")
        .args(["fmt", "--all", "--", "--check"])
        .current_dir(&root)
        .run()
        .map_err(|e| format!("{e}\nRun `cargo fmt --all` to format the code."))?;
    clippy(&root)?;
    let dist = build_app(tools)?;
    // The release folder (app + static worker + Space README): the whole-flow browser test
    // serves it and runs its worker as the jobs.
    // With huggingface.co's policy, as deployed; the whole-flow test rewrites it for its simulator.
    let release = release::dist(&dist, csp::HF_HUB)?;
    Cmd::new("cargo")
        .args(["test", "--workspace", "--locked"])
        .current_dir(&root)
        .env("PATH", tools.path_env())
        .env("SF_DIST_DIR", &dist)
        .env("SF_RELEASE_DIR", &release)
        .env("SF_PYTHON", &tools.python)
        .env("SF_CHROMIUM", &tools.chromium)
        .env("SF_CHROMEDRIVER", &tools.chromedriver)
        .run()?;
    wasm_tests(tools, &root)
}

/// The tests that run on wasm32, in headless Chromium: sf-hub's URL cases (crates/hub/tests/url.rs)
/// against the browser's own `URL`, which the page uses where the native build uses the `url`
/// crate. `wasm-bindgen-test-runner` comes with wasm-bindgen-cli (set-up) and drives Chromium
/// through chromedriver.
fn wasm_tests(tools: &Tools, root: &std::path::Path) -> Result<(), String> {
    Cmd::new("cargo")
        .args([
            "test",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            "sf-hub",
            "--test",
            "url",
        ])
        .current_dir(root)
        .env("PATH", tools.path_env())
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        )
        .env("CHROMEDRIVER", &tools.chromedriver)
        // The default 20 s is tight on a busy machine.
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
        .run()
}

/// Clippy with every warning an error, against the `[workspace.lints]` of the root Cargo.toml:
/// the whole workspace natively (every target, tests included), then the app and the Hub client
/// for `wasm32-unknown-unknown`, where their browser-only code (`cfg(target_arch = "wasm32")`:
/// the fetch transport, the app's Hub client, sf-hub's URL parsing) is compiled, with the one test
/// that runs there (sf-hub's `tests/url.rs`; the other tests' dev-dependencies are native).
fn clippy(root: &std::path::Path) -> Result<(), String> {
    let hint = "Fix what clippy reports (or, for a deliberate exception, an `#[allow(...)]` with a comment saying why).";
    const WASM: &str = "--target=wasm32-unknown-unknown";
    let runs: [&[&str]; 3] = [
        &["--workspace", "--all-targets"],
        &[WASM, "-p", "space-factory", "-p", "sf-hub"],
        &[WASM, "-p", "sf-hub", "--test", "url"],
    ];
    for what in runs {
        Cmd::new("cargo")
            .args(["clippy", "--locked"])
            .args(what)
            .args(["--", "-D", "warnings"])
            .current_dir(root)
            .run()
            .map_err(|e| format!("{e}\n{hint}"))?;
    }
    Ok(())
}

/// Size of the release build, then the side-by-side comparison with the Gradio peer
/// (`../shared/peer/`, or `SF_PEER_DIR`): time until the Build button is usable, bytes and requests
/// of a first load, on loopback and two emulated networks, ours served with and without
/// compression; and refresh latency (tests/src/bin/bench.rs). Reported, never asserted.
fn bench(tools: &Tools) -> Result<(), String> {
    let dist = build_app(tools)?;
    // The release folder (app + static worker): the liveness part runs a whole local build.
    let release = release::dist(&dist, csp::HF_HUB)?;
    let peer = std::env::var_os("SF_PEER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("../shared/peer"));
    if peer.join("run_peer.py").is_file() {
        setup::bench_python(&tools.python)?;
    } else {
        println!(
            "bench: no Gradio peer at {} (SF_PEER_DIR): measuring ours only",
            peer.display()
        );
    }
    Cmd::new("cargo")
        .args([
            "run",
            "--quiet",
            "--release",
            "--locked",
            "-p",
            "sf-e2e",
            "--bin",
            "bench",
        ])
        .current_dir(project_root())
        .env("PATH", tools.path_env())
        .env("SF_DIST_DIR", &dist)
        .env("SF_RELEASE_DIR", &release)
        .env("SF_PEER_DIR", &peer)
        .env("SF_PYTHON", &tools.python)
        .env("SF_CHROMIUM", &tools.chromium)
        .env("SF_CHROMEDRIVER", &tools.chromedriver)
        .run()
}
