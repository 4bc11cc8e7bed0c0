//! [`BlobRequest`]: one file (or directory, or glob) of an input that the
//! blobs stage turns into blobs, named by a [`RequestId`] from the plan to
//! the documents, and for a blob taken from an OCI layout, what it is
//! [`Expected`] to be.

use crate::artifactfile::Lines;
use crate::blobtool::{Compression, PackOptions};
use crate::digest::Digest;

use crate::artifact::inputs::Wanted;

/// Names one blob request of a plan, from the plan through the blobs
/// stage to the documents, so an answer is matched to its request by
/// name, never by position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u32);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A file (or directory, or glob) of an input that becomes a blob.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobRequest {
    /// Its name in the worker's job and report and in the blobs stage's
    /// answer (set by [`Plan::numbered`]).
    pub id: RequestId,
    /// Index into [`Plan::inputs`].
    pub input: usize,
    /// Cleaned path relative to the input root (a pattern when `glob`).
    pub path: String,
    /// The path as the user wrote it.
    pub given: String,
    /// Expand as a glob.
    pub glob: bool,
    /// Pack directories as tars (else a directory is an error).
    pub allow_dir: bool,
    /// Compression for a directory's tar.
    pub compression: Compression,
    /// ModelPack's packing rules, where they differ from the defaults.
    pub pack: PackOptions,
    /// A glob that matches nothing gives no blob instead of an error (a
    /// Modelfile's globs, as modctl treats them).
    pub allow_no_match: bool,
    /// Where it was asked for, if in a file.
    pub lines: Option<Lines>,
    /// For a blob taken from an OCI layout: the digest and size it must
    /// have (checked as it is copied).
    pub expect: Option<Expected>,
}

impl BlobRequest {
    /// What the inputs stage must transfer for this request.
    pub fn wanted(&self) -> Wanted<'_> {
        Wanted {
            input: self.input,
            path: &self.path,
            glob: self.glob,
        }
    }
}

/// The digest and size a blob taken from a layout must have: what the
/// descriptor that reached it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Its digest (also its file name in the layout).
    pub digest: Digest,
    /// Its size.
    pub size: u64,
    /// The layout, for messages (`layout "base"`).
    pub layout: String,
}
