//! `space-factory-worker build|validate` — see the `sf_worker` crate documentation for the
//! environment it reads.

use sf_core::RunKind;

const USAGE: &str = "usage: space-factory-worker build|validate

Runs one Space Factory job. Inputs come from the job's environment (SF_RUN_ID, SF_RUN_KIND,
SF_OUTPUT_DIR, SF_HUB_URL, HF_TOKEN, ...); the run record is written to
$SF_OUTPUT_DIR/runs/<run_id>/.";

fn main() {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let kind = match arg.as_str() {
        "build" => RunKind::Build,
        "validate" => RunKind::Validate,
        "--version" | "-V" => {
            println!("space-factory-worker {}", env!("CARGO_PKG_VERSION"));
            return;
        }
        "--help" | "-h" => {
            println!("{USAGE}");
            return;
        }
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("space-factory-worker: could not start the async runtime: {e}");
            std::process::exit(2);
        }
    };
    let code = runtime.block_on(sf_worker::run_job(kind, |k| std::env::var(k).ok()));
    // Background tasks (log readers, child watchers) are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    std::process::exit(code);
}
