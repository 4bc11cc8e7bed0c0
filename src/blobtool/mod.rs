//! The blob writer that runs inside BuildKit's worker.
//!
//! Reading every layer through the gateway pipe is slow and, on BuildKit
//! 0.8, thousands of concurrent reads or copies of one input trip its
//! `flightcontrol` retry limit. So where the daemon can run processes, the
//! frontend runs its own binary as an ExecOp (`artifact-frontend blobs`)
//! with the input mounted read-only: it writes each layer file to
//! `blobs/sha256/<digest>`, hashing on another core while the kernel
//! copies, and reports sizes and digests in a JSON file the frontend reads
//! back. BuildKit caches the exec by its inputs' content, so an unchanged
//! input is never hashed twice.
//!
//! Paths are resolved inside the input root the way BuildKit resolves them
//! (symlinks followed, absolute targets and `..` kept inside the root), so
//! a link can never read a file of the worker. Globs expand here, where the
//! files are, and directories become reproducible tars.

mod glob;
mod job;
mod list;
mod pack;
mod resolve;
mod walk;
mod work;
mod write;

use std::path::{Path, PathBuf};

pub use glob::OCI_LAYOUT_FILE;
pub use glob::{is_glob, literal_prefix, quote, quote_any_case, unquote};
pub use job::{
    BlobReport, Entry, EntryError, EntryId, EntryListing, EntryReport, Found, Job, Listing,
    PackOptions, Report,
};
pub use list::run as list;
pub use pack::Compression;
pub use resolve::{link_out_of_root, resolve_in_root};
use work::Work;

/// Subcommand name that selects this tool in `main`.
pub const SUBCOMMAND: &str = "blobs";
/// Where input `i` is mounted: `/in/<i>`.
pub const INPUT_DIR: &str = "/in";
/// Where the job file is mounted.
pub const JOB_DIR: &str = "/job";
/// The job file, inside [`JOB_DIR`].
pub const JOB_FILE: &str = "job.json";
/// Output mount 0: becomes the layout (holds `blobs/sha256/`).
pub const OUT_DIR: &str = "/out";
/// Output mount 1: holds [`REPORT_FILE`].
pub const REPORT_DIR: &str = "/report";
/// The report, inside [`REPORT_DIR`].
pub const REPORT_FILE: &str = "blobs.json";

/// Why the blob writer could not run at all (per-entry problems are not
/// errors: they go in the report).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The job file could not be read.
    #[error("reading {path}: {source}")]
    ReadJob {
        /// Where it was looked for.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The job file is not what the frontend writes.
    #[error("parsing {path}: {source}")]
    ParseJob {
        /// Where it is.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The report could not be written.
    #[error("writing {path}: {source}")]
    WriteReport {
        /// Where it goes.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs the job found in the standard mounts. Per-entry problems go in the
/// report (the frontend turns them into messages naming the layer); only a
/// broken setup is an error here.
pub fn run_in_worker() -> Result<(), SetupError> {
    let path = Path::new(JOB_DIR).join(JOB_FILE);
    let raw = std::fs::read(&path).map_err(|source| SetupError::ReadJob {
        path: path.clone(),
        source,
    })?;
    let job: Job =
        serde_json::from_slice(&raw).map_err(|source| SetupError::ParseJob { path, source })?;
    let roots = |i: usize| Path::new(INPUT_DIR).join(i.to_string());
    let path = Path::new(REPORT_DIR).join(REPORT_FILE);
    let json = if job.list {
        let listing = list::run(&job, &roots);
        // What the user sees under this step in the build output.
        for (_, dir) in &listing.skipped_layouts {
            eprintln!(
                "leaving out OCI layout {dir}/ (an earlier build's output; name it in a \
                 path or a pattern's directory to package it)"
            );
        }
        let paths: usize = listing.entries.iter().map(|e| e.found.len()).sum();
        eprintln!("{paths} paths listed");
        serde_json::to_vec(&listing)
    } else {
        serde_json::to_vec(&write_blobs(&job, &roots))
    };
    // Plain data: serializing it can't fail.
    let json = json.unwrap_or_default();
    std::fs::write(&path, json).map_err(|source| SetupError::WriteReport { path, source })
}

/// Writes the job's blobs into [`OUT_DIR`] and says what it wrote.
fn write_blobs(job: &Job, roots: &(dyn Fn(usize) -> PathBuf + Sync)) -> Report {
    let start = std::time::Instant::now();
    let report = run(job, roots, Path::new(OUT_DIR));
    // What the user sees under this step in the build output.
    let (blobs, bytes) = report
        .entries
        .iter()
        .flat_map(|e| &e.blobs)
        .fold((0, 0u64), |(n, b), x| (n + 1, b + x.size));
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "{blobs} blobs, {:.1} MiB in {secs:.2}s ({:.0} MiB/s)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / secs.max(1e-9)
    );
    report
}

/// Writes `out/blobs/sha256/<hex>` for every entry of `job`; `root(i)` is
/// where input `i` is.
///
/// First the job becomes a work list (globs expanded, so every blob to
/// write is known and ordered), then the list is written on several
/// threads, then each outcome goes back under the entry it answers.
pub fn run(job: &Job, root: &(dyn Fn(usize) -> PathBuf + Sync), out: &Path) -> Report {
    let blobs = out.join("blobs/sha256");
    if let Err(e) = std::fs::create_dir_all(&blobs) {
        return work::unwritable(job, &format!("creating the blob directory: {e}"));
    }
    let work = Work::expand(job, root);
    let outcomes = write::all(job, root, &work.tasks, &blobs);
    work.report(outcomes)
}

#[cfg(test)]
mod tests;
