//! What an Artifactfile composes besides artifacts of files: manifests
//! taken from OCI layouts unchanged ([`IncludePlan`]), image indexes over
//! the file's items ([`IndexPlan`]), layers taken from a layout's manifest
//! ([`FixedLayer`]), and the references between them ([`Node`]). Every
//! blob taken from a layout is a blob request that [`Expected`] its digest
//! and size: the blobs stage copies it and checks it in the same read.

use std::collections::BTreeMap;

use oci_spec::image::Descriptor;

use crate::artifactfile::Lines;
use crate::digest::Digest;
use crate::oci::IndexEntry;

use super::blob_request::BlobRequest;

/// One thing the plan builds, by its place in [`super::Plan`]'s lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Node {
    /// `Plan::manifests[i]`.
    Manifest(usize),
    /// `Plan::includes[i]`.
    Include(usize),
    /// `Plan::indexes[i]`.
    Index(usize),
}

/// A manifest's subject: a descriptor given in the file, or an item of the
/// file whose descriptor is known once it is written.
#[derive(Clone, Debug, PartialEq)]
pub enum SubjectPlan {
    /// As written.
    Descriptor(Box<Descriptor>),
    /// `SUBJECT <id>`: this item (built before the manifest naming it).
    Item(Node),
}

/// A layer taken from a layout's manifest by `LAYERS`: its descriptor is
/// kept as it is; the blob is copied and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedLayer {
    /// The descriptor, unchanged.
    pub descriptor: Descriptor,
    /// Its DiffID where known: the source model's `modelfs.diffIds` entry,
    /// an image config's `rootfs.diff_ids` entry, or the digest of an
    /// uncompressed layer.
    pub diff_id: Option<Digest>,
    /// A non-distributable layer (its descriptor has `urls`) that the
    /// layout does not hold: listed, never copied, as OCI lets such a
    /// layer be (its request is no request).
    pub elsewhere: bool,
}

/// `INCLUDE`: entries of a layout's `index.json`, put into ours
/// unchanged, with every document and blob they reach.
#[derive(Clone, Debug)]
pub struct IncludePlan {
    /// `AS <id>`.
    pub id: Option<String>,
    /// The entries, as the layout lists them (`ref.name` taken out, kept
    /// as tags, or those `INCLUDE --tag` gives).
    pub entries: Vec<IndexEntry>,
    /// Every blob they reach, each expecting its digest: the manifests
    /// and indexes (read and checked while planning, to follow them) and
    /// the configs and layers, all copied from the layout like `LAYERS`'
    /// blobs, never written from bytes the LLB carries.
    pub blobs: Vec<BlobRequest>,
    /// The `INCLUDE` line.
    pub lines: Lines,
}

/// `INDEX`: an image index over items of the file.
#[derive(Clone, Debug)]
pub struct IndexPlan {
    /// `AS <id>`.
    pub id: String,
    /// Its `artifactType`.
    pub artifact_type: String,
    /// Members in order, each with its `MANIFEST` line.
    pub members: Vec<(Node, Lines)>,
    /// Index annotations.
    pub annotations: BTreeMap<String, String>,
    /// `ref.name`s in `index.json`.
    pub tags: Vec<String>,
    /// The `INDEX` line.
    pub lines: Lines,
}
