//! `space-factory-worker build`.

use sf_core::BuildRequest;

use crate::WorkerError;
use crate::config::WorkerConfig;
use crate::record::Recorder;

/// Runs a build to its verdict.
pub async fn run(
    _req: &BuildRequest,
    _cfg: &WorkerConfig,
    rec: &Recorder,
) -> Result<(), WorkerError> {
    rec.abort("This worker version cannot build yet; only `validate` is available.");
    Ok(())
}
