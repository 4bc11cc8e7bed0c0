//! The blob writer's wire format: the job the frontend writes into the
//! exec (which paths of which inputs become blobs, and how) and the report
//! the writer leaves behind (per entry, the blobs written or why none was).
//! Both sides are this one definition, so they cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::gateway::ChangedWhileRead;

use super::pack::Compression;

/// What to do: which paths of which inputs become blobs, and how.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Job {
    /// Only list what the entries name (a [`Listing`]), write nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub list: bool,
    /// One per requested blob (or glob).
    pub entries: Vec<Entry>,
    /// File times, in Unix seconds (SOURCE_DATE_EPOCH): blob files and tar
    /// entries. 0 when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
}

/// Names one entry of a job, so its answer in the report is found by
/// name, never by position. The job numbers its entries itself (a cache
/// unit's job from 0, whatever else the plan asks), and the frontend maps
/// them back to its requests.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EntryId(pub u32);

impl std::fmt::Display for EntryId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// One requested path.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Which entry this is.
    pub id: EntryId,
    /// Which input (`/in/<source>`), in the job's own numbering: a job
    /// that writes one cache unit numbers only the inputs it mounts, so the
    /// job does not change when the plan gains an input.
    pub source: usize,
    /// Cleaned path relative to that input's root, or a glob pattern.
    pub path: String,
    /// The path the blob is reported (and, with `path_names`, tarred)
    /// under, when not `path`: the path asked for, where `path` is where
    /// its links led.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
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
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
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
    pub id: EntryId,
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
    /// The file changed while it was read (the copy and the hash saw
    /// different sizes).
    #[error(transparent)]
    Changed(ChangedWhileRead),
    /// A link on the way leads out of the input's root (absolute, or above
    /// it): resolved inside the root, as BuildKit resolves it, it names
    /// nothing.
    #[error("{link} is a link to {target}, outside the input")]
    LinkOutside {
        /// The link, relative to the input root.
        link: String,
        /// Where it points.
        target: String,
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
    /// The blob's digest.
    pub digest: Digest,
    /// The digest of the uncompressed content.
    pub diff_id: Digest,
}

/// The report file: one entry per job entry, in order.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    /// Per entry.
    pub entries: Vec<EntryReport>,
}

/// What a listing job found: per entry, the paths it names, each with its
/// kind and size, or why it names none; and the OCI layouts its globs
/// passed over.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// Per entry.
    pub entries: Vec<EntryListing>,
    /// Directories holding an `oci-layout` file that globs did not enter
    /// (the output of an earlier build, most likely), input by input.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_layouts: Vec<(usize, String)>,
}

/// What one entry names.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EntryListing {
    /// The entry it answers.
    pub id: EntryId,
    /// Its paths: one for a path, every match for a glob, sorted.
    #[serde(default)]
    pub found: Vec<Found>,
    /// Why it names nothing a blob can be made of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<EntryError>,
}

/// One path a listing found.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// Relative to the input root (the match, for a glob).
    pub path: String,
    /// Where its links lead, relative to the input root, when elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    /// A directory (packed as a tar).
    pub dir: bool,
    /// The file's bytes, or the total of the regular files under the
    /// directory.
    pub size: u64,
}
