//! What the push and the pull share inside the worker: where BuildKit
//! mounts the secrets `registry` and `registry-ca`, the one-thread runtime
//! they run on (after the public roots are provided, see `transport`),
//! and the report written to the output mount the frontend reads back.

use std::future::Future;
use std::path::Path;

use serde::Serialize;

use super::transport;

/// Output mount: holds the report.
pub const REPORT_DIR: &str = "/report";
/// The secret holding a Docker `config.json`.
pub const SECRET_ID: &str = "registry";
/// The secret holding a private CA (PEM).
pub const CA_SECRET_ID: &str = "registry-ca";
/// Where BuildKit mounts secrets by default.
pub const SECRETS_DIR: &str = "/run/secrets";

/// Runs `work` given the secrets `registry` and `registry-ca` (when
/// mounted: both are optional), on a runtime of its own.
pub fn in_worker<T, F>(
    work: impl FnOnce(Option<Vec<u8>>, Option<Vec<u8>>) -> F,
) -> Result<T, String>
where
    F: Future<Output = T>,
{
    let secret = |id: &str| std::fs::read(Path::new(SECRETS_DIR).join(id)).ok();
    let (config, ca) = (secret(SECRET_ID), secret(CA_SECRET_ID));
    transport::provide_system_roots()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the async runtime: {e}"))?;
    Ok(runtime.block_on(work(config, ca)))
}

/// Writes `report` as `file` in [`REPORT_DIR`].
pub fn write_report(file: &str, report: &impl Serialize) -> Result<(), String> {
    let path = Path::new(REPORT_DIR).join(file);
    let json = serde_json::to_vec(report).unwrap_or_default();
    std::fs::write(&path, json).map_err(|e| format!("writing {}: {e}", path.display()))
}
