//! Pushing the built layout to a registry, and pulling a layout from one
//! (`FROM oci://…`, see `pull`), from inside BuildKit's worker.
//!
//! The bytes of a build are in the worker, next to the daemon; sending a
//! 140 GB layout back to the client only to push it from there doubles the
//! transfer through the slowest link. So, like the blob writer
//! ([`crate::blobtool`]), the push is our own binary run as an ExecOp
//! (`artifact-frontend push <job>`), with the assembled layout mounted
//! read-only, the Docker `config.json` as the BuildKit secret `registry`
//! and a private CA as the secret `registry-ca` (both optional).
//!
//! The client is oci-client's (the ORAS project's), on rustls with `ring`
//! and the public roots the binary carries; what it lacks is added here,
//! each with its reason: a chunked upload that resumes where the registry
//! says it stands (`upload`), the referrers tag fallback and manifests put
//! by digest (`push`), and the identity-token exchange (`session`).
//!
//! Problems go in the report, not in the exit code: the frontend reads it
//! and fails the build with the message, which then names the registry,
//! the repository and what to pass, never a secret.

mod auth;
mod fetch;
pub mod pull;
mod push;
mod resolve;
mod session;
mod transport;
mod upload;
mod worker;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use crate::oci::reference::{OCI_SCHEME, Origin, Target};
pub use auth::{AuthConfig, Credentials, SECRET_HINT, normalize_host};
pub use fetch::Fetched;
pub use pull::{PullJob, PullReport};
pub use push::{Outcome, Pushed};
pub use resolve::Resolved;
pub use session::{Options, Secrets, Session};
pub use transport::plain_http;
pub use worker::{CA_SECRET_ID, REPORT_DIR, SECRET_ID, SECRETS_DIR};

/// Subcommand name that selects this tool in `main`.
pub const SUBCOMMAND: &str = "push";
/// Where the layout is mounted.
pub const LAYOUT_DIR: &str = "/layout";
/// The report, inside [`REPORT_DIR`].
pub const REPORT_FILE: &str = "push.json";

/// What the frontend asks the worker to do (its one argument, as JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Job {
    /// `registry/repository[:tag]`, as `artifact.push` gave it.
    pub target: String,
    /// `artifact.insecure-registries`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insecure: Vec<String>,
    /// `artifact.push.mount-from`: repositories of the same registry to
    /// mount blobs from rather than send them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_from: Vec<String>,
}

/// What the push did, or why it could not.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    /// What was pushed.
    #[serde(default)]
    pub outcome: Outcome,
    /// Why the push failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Pushes the layout at `layout` as `job` says, with the `config.json`
/// and CA bytes given (read from the secrets by the caller).
pub async fn push(
    job: &Job,
    layout: &Path,
    config_json: Option<&[u8]>,
    ca_pem: Option<&[u8]>,
) -> Result<Outcome, String> {
    let target = Target::parse("artifact.push", &job.target)?;
    let doing = format!("pushing to {target}");
    let secrets = Secrets {
        config_json,
        ca_pem,
    };
    let session = Session::open(target, &doing, secrets, &job.insecure, false).await?;
    let outcome = push::layout(&session, layout, &job.mount_from).await?;
    eprintln!(
        "{} blob(s) sent ({:.1} MiB), {} present, {} mounted; {}",
        outcome.sent,
        outcome.bytes as f64 / 1048576.0,
        outcome.present,
        outcome.mounted,
        outcome
            .pushed
            .iter()
            .map(|p| format!("{} = {}", p.reference, p.digest))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(outcome)
}

/// Runs the push the frontend asked for (`argv[2]` is the job) and writes
/// the report. Only a broken setup is an error here.
pub fn run_in_worker(job_json: &str) -> Result<(), String> {
    let job: Job = serde_json::from_str(job_json).map_err(|e| format!("parsing the job: {e}"))?;
    let asked = &job;
    let result = worker::in_worker(|config, ca| async move {
        push(
            asked,
            Path::new(LAYOUT_DIR),
            config.as_deref(),
            ca.as_deref(),
        )
        .await
    })?;
    let report = match result {
        Ok(outcome) => Report {
            outcome,
            error: None,
        },
        Err(e) => {
            eprintln!("push failed: {e}");
            Report {
                outcome: Outcome::default(),
                error: Some(e),
            }
        }
    };
    worker::write_report(REPORT_FILE, &report)
}
