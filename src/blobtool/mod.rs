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
mod pack;
mod resolve;
mod walk;
mod work;
mod write;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use glob::{is_glob, literal_prefix, quote, unquote};
pub use pack::Compression;
pub use resolve::resolve_in_root;
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

/// What to do: which paths of which inputs become blobs, and how.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Job {
    /// One per requested blob (or glob).
    pub entries: Vec<Entry>,
    /// File times, in Unix seconds (SOURCE_DATE_EPOCH): blob files and tar
    /// entries. 0 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
}

/// Names one requested blob (or glob) from the plan through the worker's
/// job and report to the documents, so a report is matched to its request
/// by name, never by position.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct RequestId(pub u32);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One requested path.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Which request this is.
    pub id: RequestId,
    /// Which input (`/in/<source>`).
    pub source: usize,
    /// Cleaned path relative to that input's root, or a glob pattern.
    pub path: String,
    /// Expand `path` as a glob.
    #[serde(default)]
    pub glob: bool,
    /// Directories are packed as tars; when false they are an error (the
    /// `artifact.v0` contract takes single files only).
    #[serde(default)]
    pub allow_dir: bool,
    /// Compression for a directory's tar.
    #[serde(default)]
    pub compression: Compression,
    /// ModelPack's rules, where they differ from the defaults.
    #[serde(default, skip_serializing_if = "PackOptions::is_default")]
    pub pack: PackOptions,
}

/// How an entry's files become blobs, beyond the defaults (a file as it
/// is, a directory as a tar under its own name, a glob matching files and
/// directories alike). ModelPack's Modelfile uses them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PackOptions {
    /// Pack regular files as tars too (ModelPack's `.tar` layers), each
    /// holding the one file.
    #[serde(default)]
    pub tar_files: bool,
    /// Name tar entries by their path relative to the input root
    /// (`text_encoder/model.safetensors`), as modctl does, instead of under
    /// a directory's own name.
    #[serde(default)]
    pub path_names: bool,
    /// A glob yields regular files only (a link to one counts), no
    /// directories.
    #[serde(default)]
    pub files_only: bool,
    /// Base names (case-insensitive globs) a glob skips, with everything
    /// under them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip: Vec<String>,
}

impl PackOptions {
    fn is_default(&self) -> bool {
        *self == PackOptions::default()
    }
}

/// What happened to one entry.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EntryReport {
    /// The request it answers.
    pub id: RequestId,
    /// Blobs written: one for a path, one per match for a glob.
    #[serde(default)]
    pub blobs: Vec<BlobReport>,
    /// Why nothing was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EntryError>,
}

/// Why a requested path gave no blob: found by the worker, explained to
/// the user by the frontend (and by the gateway path, which finds the same
/// problems with StatFile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum EntryError {
    /// Nothing at that path (or a link that leads nowhere).
    #[error("does not exist")]
    Missing,
    /// A directory where a single file is needed.
    #[error("is a directory")]
    Directory,
    /// A device, socket or pipe.
    #[error("is not a regular file")]
    Irregular,
    /// A glob that matched nothing.
    #[error("matches no file")]
    NoMatch,
    /// A glob matched a file whose name is not UTF-8. A match is named by
    /// its path in an OCI annotation, a string: rather than a changed name,
    /// an error (`path` shows the other bytes as `\xNN`).
    #[error(
        "{path}: the name is not UTF-8, but a layer's path becomes an OCI annotation, \
         which is a string; rename the file or leave it out of the pattern"
    )]
    NotUtf8 {
        /// The match, readable but not the file's exact name.
        path: String,
    },
    /// Reading or writing failed; `path` is the file it happened on.
    #[error("{path}: {detail}")]
    Io {
        /// The input path (a glob's match) being read.
        path: String,
        /// What the system said.
        detail: String,
    },
}

/// One written blob.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BlobReport {
    /// The path it came from (the match, for a glob).
    pub path: String,
    /// Whether it was a directory (packed as a tar).
    pub dir: bool,
    /// Its permission bits (the target's, for a link).
    #[serde(default)]
    pub mode: u32,
    /// Blob size.
    pub size: u64,
    /// The file's own size (the blob is bigger when it is a tar of the
    /// file); 0 for a directory.
    #[serde(default)]
    pub file_size: u64,
    /// `sha256:<hex>` of the blob.
    pub digest: String,
    /// `sha256:<hex>` of the uncompressed content.
    pub diff_id: String,
}

/// The report file: one entry per job entry, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    /// Per entry.
    pub entries: Vec<EntryReport>,
}

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
    let start = std::time::Instant::now();
    let report = run(&job, &roots, Path::new(OUT_DIR));
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
    let path = Path::new(REPORT_DIR).join(REPORT_FILE);
    // Plain data: serializing it can't fail.
    let json = serde_json::to_vec(&report).unwrap_or_default();
    std::fs::write(&path, json).map_err(|source| SetupError::WriteReport { path, source })
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
