//! Pulling a manifest or index from a registry into an OCI layout, from
//! inside the worker (`FROM oci://…` in an Artifactfile), in two steps so
//! that BuildKit's cache does the caching: a resolve step, run on every
//! build, that turns a tag into a digest (`resolve`), and a fetch step
//! whose job names that digest, so its cache key is the digest and an
//! unchanged tag fetches nothing (`fetch`). A reference with a digest
//! needs only the fetch.
//!
//! Like the push, problems go in the report (the frontend words them at
//! the FROM line), never a secret.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::fetch::{self, Fetched};
use super::resolve::{self, Resolved};
use super::session::{Secrets, Session};
use super::worker;
use crate::oci::reference::Origin;

/// Subcommand name that selects the pull in `main`.
pub const SUBCOMMAND: &str = "pull";
/// Output mount of the fetch: the OCI layout.
pub const OUT_DIR: &str = "/out";
/// The report, inside [`worker::REPORT_DIR`].
pub const REPORT_FILE: &str = "pull.json";

/// What the frontend asks the worker to do (its one argument, as JSON).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PullJob {
    /// `registry/repository[:tag][@digest]`, as the Artifactfile gave it.
    pub reference: String,
    /// What to fetch; `None` asks only to resolve the tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// `artifact.insecure-registries`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insecure: Vec<String>,
}

/// What the pull did, or why it could not.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PullReport {
    /// What the tag names (the resolve step).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Resolved>,
    /// What the fetch wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetched: Option<Fetched>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Runs `job`: resolves the tag, or fetches the digest into an OCI layout
/// at `out`, with the `config.json` and CA bytes given.
pub async fn pull(
    job: &PullJob,
    out: &Path,
    config_json: Option<&[u8]>,
    ca_pem: Option<&[u8]>,
) -> Result<PullReport, String> {
    let origin = Origin::parse(&job.reference)?;
    let doing = format!("pulling {origin}");
    let secrets = Secrets {
        config_json,
        ca_pem,
    };
    let session =
        Session::open(origin.target.clone(), &doing, secrets, &job.insecure, true).await?;
    match (&job.digest, &origin.target.tag) {
        (Some(digest), tag) => {
            let fetched = fetch::layout(&session, digest, tag.as_deref(), out).await?;
            eprintln!(
                "fetched {digest}: {} manifest(s), {} blob(s), {:.1} MiB",
                fetched.manifests,
                fetched.blobs,
                fetched.bytes as f64 / 1048576.0
            );
            Ok(PullReport {
                fetched: Some(fetched),
                ..Default::default()
            })
        }
        (None, Some(tag)) => {
            let resolved = resolve::tag(&session, tag).await?;
            eprintln!("{origin} is {} ({})", resolved.digest, resolved.media_type);
            Ok(PullReport {
                resolved: Some(resolved),
                ..Default::default()
            })
        }
        (None, None) => Err(format!("{origin} names neither a tag nor a digest")),
    }
}

/// Runs the pull the frontend asked for (`argv[2]` is the job) and writes
/// the report. Only a broken setup is an error here. A failed fetch leaves
/// an empty layout: BuildKit keeps the step's output, so it should be small.
pub fn run_in_worker(job_json: &str) -> Result<(), String> {
    let job: PullJob =
        serde_json::from_str(job_json).map_err(|e| format!("parsing the job: {e}"))?;
    let out = Path::new(OUT_DIR);
    let asked = &job;
    let result = worker::in_worker(|config, ca| async move {
        pull(asked, out, config.as_deref(), ca.as_deref()).await
    })?;
    let report = match result {
        Ok(report) => report,
        Err(e) => {
            eprintln!("pull failed: {e}");
            if job.digest.is_some() {
                fetch::clear(out);
            }
            PullReport {
                error: Some(e),
                ..Default::default()
            }
        }
    };
    worker::write_report(REPORT_FILE, &report)
}
