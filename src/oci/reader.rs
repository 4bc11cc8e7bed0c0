//! Reading an OCI image layout: `index.json` opened, an entry picked by
//! tag or digest at any depth of nested indexes, manifests and indexes read
//! and checked against their descriptors, and what an entry reaches
//! listed. Files come through [`LayoutFiles`], so one reader serves a
//! build's input (read through BuildKit's gateway) and a directory on disk.
//!
//! Only JSON documents are read here, never a config's or a layer's bytes
//! (but for an image config's DiffIDs): whoever copies those checks them.
//! Every path read is `oci-layout`, `index.json` or `blobs/sha256/<hex>` of
//! a digest we parsed, so nothing outside the layout's `blobs/` is named.
//! Errors are [`LayoutError`]s, as data: the caller words them for its
//! users, who know the layout by a name this module never sees.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;

use oci_spec::image::Descriptor;
use serde::Deserialize;

use super::layout::{Blob, REF_NAME};
use crate::digest::Digest;

/// Largest `index.json`, manifest, index or image config we read.
pub const MAX_DOCUMENT: u64 = 4 << 20;
/// Most documents one entry may reach, or one search may read (an index
/// of indexes...).
pub const MAX_DOCUMENTS: usize = 10_000;

/// OCI's and Docker's manifest media types.
const MANIFESTS: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// OCI's and Docker's index media types.
const INDEXES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// OCI's and Docker's image config media types: configs that list their
/// layers' DiffIDs in `rootfs.diff_ids`.
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
];
/// Media type words that say a layer's bytes are not its content as is
/// (`tar+gzip`, `tar+zstd+encrypted`, Docker's `tar.gzip`): its DiffID is
/// not its digest.
const TRANSFORMS: [&str; 3] = ["gzip", "zstd", "encrypted"];

/// What reading a path of a layout found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileRead {
    /// A regular file (or a link to one inside the layout): its bytes.
    Bytes(Vec<u8>),
    /// Nothing there.
    Missing,
    /// `link`, on the way to the path, points out of the layout at `target`.
    LinkOutside {
        /// The link, relative to the layout's root.
        link: String,
        /// Where it points.
        target: String,
    },
    /// A directory, a device, a pipe...
    NotRegular,
    /// A regular file larger than asked for, not read: its size. A read
    /// of at most 0 bytes asks only whether the file is there.
    TooLarge(u64),
}

/// The files of a layout, by path relative to its root. `Error` is the
/// transport's own failure (the daemon's, the disk's), passed through.
pub trait LayoutFiles: Sync {
    /// A failure to read, as opposed to what was (not) found.
    type Error;

    /// The file at `path`, if it is a regular file of at most `max` bytes.
    fn read(
        &self,
        path: &str,
        max: u64,
    ) -> impl Future<Output = Result<FileRead, Self::Error>> + Send;
}

/// Why a layout could not be read, or an entry not picked. `E` is the
/// transport's error.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError<E> {
    /// Reading failed.
    #[error("{0}")]
    Files(E),
    /// No `missing` (`oci-layout` or `index.json`) at the root, as a
    /// regular file.
    #[error("not an OCI image layout: it has no {missing} at its root")]
    NotALayout {
        /// The file it lacks.
        missing: &'static str,
    },
    /// `link`, on the way to `path`, points out of the layout.
    #[error("{path}: {link} is a link to {target}, outside the layout")]
    LinkOutside {
        /// What was read.
        path: String,
        /// The link.
        link: String,
        /// Where it points.
        target: String,
    },
    /// A document larger than [`MAX_DOCUMENT`].
    #[error("{path} is {size} bytes, more than the {MAX_DOCUMENT} a document may have")]
    TooLarge {
        /// What was read.
        path: String,
        /// Its size.
        size: u64,
    },
    /// `index.json` does not parse, or names a digest that does not.
    #[error("index.json is not an OCI image index: {0}")]
    IndexJson(String),
    /// A descriptor in a document names a digest that does not parse.
    #[error("{within}: a descriptor's digest: {why}")]
    BadDigest {
        /// The document it is in (its digest).
        within: String,
        /// What is wrong with it.
        why: String,
    },
    /// A blob a descriptor names is not in the layout.
    #[error("blob {digest} is missing: there is no {}", blob_path(digest))]
    Missing {
        /// The blob's digest.
        digest: Digest,
    },
    /// A blob whose bytes are not what its descriptor says.
    #[error("blob {} {mismatch}", mismatch.named.0)]
    Damaged {
        /// What was named and what was found.
        mismatch: Mismatch,
    },
    /// A manifest, index or config that does not parse.
    #[error("{media_type} {digest} does not parse: {why}")]
    Unparsable {
        /// What it says it is.
        media_type: String,
        /// Its digest.
        digest: Digest,
        /// The parser's words.
        why: String,
    },
    /// One entry reaches more than [`MAX_DOCUMENTS`] documents, or a
    /// search read that many.
    #[error("more than {MAX_DOCUMENTS} manifests and indexes under one entry")]
    TooManyDocuments,
    /// `index.json` lists nothing.
    #[error("index.json has no entry")]
    NoEntry,
    /// `index.json` lists several different documents (`n`), and none was
    /// picked.
    #[error("index.json has {0} entries")]
    SeveralEntries(usize),
    /// No entry, at any depth, has this tag.
    #[error("no entry has the tag {0:?}")]
    NoTag(String),
    /// No entry, at any depth, has this digest.
    #[error("no entry is {0}")]
    NoDigest(Digest),
    /// A manifest was asked for, and `descriptor` is not one; for an index,
    /// its `children` (the platforms' manifests, most likely).
    #[error("{} is {}, not a manifest", descriptor.digest(), what_is(descriptor))]
    NotAManifest {
        /// What was picked.
        descriptor: Box<Descriptor>,
        /// An index's members, in order; empty for anything else.
        children: Vec<Descriptor>,
    },
    /// A manifest without a config.
    #[error("manifest {0} has no config")]
    NoConfig(Digest),
}

/// What a descriptor named and what its blob holds: sizes and digests.
/// It reads as the predicate of a sentence about the blob.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "does not match its descriptor: {} bytes hashing to {}, where {} bytes hashing to {} were named",
    found.1, found.0, named.1, named.0
)]
pub struct Mismatch {
    /// The digest and size the descriptor names.
    pub named: (Digest, u64),
    /// The digest and size of the bytes found.
    pub found: (Digest, u64),
}

/// A layout's `index.json`: its entries, in order.
#[derive(Clone, Debug, Default)]
pub struct LayoutIndex {
    entries: Vec<Descriptor>,
}

/// The layers of one manifest and its config.
#[derive(Clone, Debug)]
pub struct ManifestParts {
    /// The config's descriptor.
    pub config: Descriptor,
    /// The layers' descriptors, in order.
    pub layers: Vec<Descriptor>,
}

/// Everything an entry reaches: what copying it copies.
#[derive(Clone, Debug, Default)]
pub struct EntryContent {
    /// The manifests and indexes, itself first, with their bytes (checked).
    pub documents: Vec<Blob>,
    /// Every other blob the layout holds (configs, layers), each once, in
    /// the order met.
    pub blobs: Vec<Descriptor>,
    /// Non-distributable blobs (their descriptors carry `urls`) the layout
    /// does not hold: named, never copied, as OCI allows for them.
    pub elsewhere: Vec<Descriptor>,
}

/// A manifest or an index, as far as we follow it.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// An image config, as far as its DiffIDs.
#[derive(Deserialize)]
struct ImageConfig {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

/// The path of blob `d` in a layout.
pub fn blob_path(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

/// A descriptor's digest as ours (oci-spec checks less: `sha256:` and 64
/// lowercase hex digits, nothing that could name another path).
pub fn digest_of(d: &Descriptor) -> Result<Digest, String> {
    d.digest().to_string().parse().map_err(|e| format!("{e}"))
}

/// `d`'s digest, for a descriptor whose digest was checked when the
/// document naming it was read.
fn checked_digest<E>(d: &Descriptor) -> Result<Digest, LayoutError<E>> {
    digest_of(d).map_err(|why| LayoutError::BadDigest {
        within: "a descriptor".to_string(),
        why,
    })
}

/// The tag (`ref.name`) of descriptor `d`, if it has one.
pub fn tag_of(d: &Descriptor) -> Option<&str> {
    d.annotations().as_ref()?.get(REF_NAME).map(String::as_str)
}

/// Whether a layer of `media_type` is stored as its content is, so that
/// its DiffID is its digest: no compression or encryption word in it.
pub fn diff_id_is_digest(media_type: &str) -> bool {
    let subtype = media_type.split_once('/').map_or(media_type, |(_, s)| s);
    !subtype
        .split(['+', '.'])
        .any(|word| TRANSFORMS.contains(&word))
}

fn is_manifest(d: &Descriptor) -> bool {
    MANIFESTS.contains(&d.media_type().as_ref())
}

fn is_index(d: &Descriptor) -> bool {
    INDEXES.contains(&d.media_type().as_ref())
}

/// The bytes of document `path`, up to [`MAX_DOCUMENT`]; `None` when it
/// is missing or not a regular file.
async fn read_document<F: LayoutFiles>(
    files: &F,
    path: &str,
) -> Result<Option<Vec<u8>>, LayoutError<F::Error>> {
    match files
        .read(path, MAX_DOCUMENT)
        .await
        .map_err(LayoutError::Files)?
    {
        FileRead::Bytes(data) => Ok(Some(data)),
        FileRead::Missing | FileRead::NotRegular => Ok(None),
        FileRead::LinkOutside { link, target } => Err(LayoutError::LinkOutside {
            path: path.to_string(),
            link,
            target,
        }),
        FileRead::TooLarge(size) => Err(LayoutError::TooLarge {
            path: path.to_string(),
            size,
        }),
    }
}

/// Whether the layout holds `path` as a regular file, asked without
/// reading it.
async fn holds<F: LayoutFiles>(files: &F, path: &str) -> Result<bool, LayoutError<F::Error>> {
    match files.read(path, 0).await.map_err(LayoutError::Files)? {
        FileRead::Bytes(_) | FileRead::TooLarge(_) => Ok(true),
        FileRead::Missing | FileRead::NotRegular => Ok(false),
        FileRead::LinkOutside { link, target } => Err(LayoutError::LinkOutside {
            path: path.to_string(),
            link,
            target,
        }),
    }
}

impl LayoutIndex {
    /// Opens the layout `files` holds: `oci-layout` must be there, and
    /// `index.json` is read, every entry's digest checked.
    pub async fn open<F: LayoutFiles>(files: &F) -> Result<LayoutIndex, LayoutError<F::Error>> {
        if !holds(files, "oci-layout").await? {
            return Err(LayoutError::NotALayout {
                missing: "oci-layout",
            });
        }
        let raw = read_document(files, "index.json")
            .await?
            .ok_or(LayoutError::NotALayout {
                missing: "index.json",
            })?;
        let index: Document =
            serde_json::from_slice(&raw).map_err(|e| LayoutError::IndexJson(e.to_string()))?;
        for d in &index.manifests {
            digest_of(d).map_err(|why| LayoutError::IndexJson(format!("a digest: {why}")))?;
        }
        Ok(LayoutIndex {
            entries: index.manifests,
        })
    }

    /// The entries, as `index.json` lists them (a document listed once per
    /// tag is listed that many times).
    pub fn entries(&self) -> &[Descriptor] {
        &self.entries
    }

    /// The entries, one per document (by digest), in order.
    pub fn documents(&self) -> Vec<&Descriptor> {
        let mut seen = BTreeSet::new();
        self.entries
            .iter()
            .filter(|d| seen.insert(d.digest().to_string()))
            .collect()
    }

    /// The entries' tags, in order.
    pub fn tags(&self) -> Vec<&str> {
        self.entries.iter().filter_map(tag_of).collect()
    }

    /// The one document `index.json` lists, however many tags it has.
    pub fn sole_entry<E>(&self) -> Result<Descriptor, LayoutError<E>> {
        match self.documents().as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(LayoutError::NoEntry),
            many => Err(LayoutError::SeveralEntries(many.len())),
        }
    }

    /// The entry tagged `tag`: in `index.json`, or else in the indexes it
    /// lists, at any depth (nearest first).
    pub async fn find_tag<F: LayoutFiles>(
        &self,
        files: &F,
        tag: &str,
    ) -> Result<Descriptor, LayoutError<F::Error>> {
        self.find(files, |d| tag_of(d) == Some(tag))
            .await?
            .ok_or_else(|| LayoutError::NoTag(tag.to_string()))
    }

    /// The entry of digest `digest`: in `index.json`, or else in the
    /// indexes it lists, at any depth (a platform's manifest in a
    /// multi-platform image).
    pub async fn find_digest<F: LayoutFiles>(
        &self,
        files: &F,
        digest: &Digest,
    ) -> Result<Descriptor, LayoutError<F::Error>> {
        let wanted = digest.to_string();
        self.find(files, |d| d.digest().to_string() == wanted)
            .await?
            .ok_or_else(|| LayoutError::NoDigest(digest.clone()))
    }

    /// The first descriptor `matches`, level by level: `index.json`'s
    /// entries, then the members of the indexes among them, and so on.
    async fn find<F: LayoutFiles>(
        &self,
        files: &F,
        matches: impl Fn(&Descriptor) -> bool,
    ) -> Result<Option<Descriptor>, LayoutError<F::Error>> {
        if let Some(d) = self.entries.iter().find(|d| matches(d)) {
            return Ok(Some(d.clone()));
        }
        let mut read = BTreeSet::new();
        let mut pending: VecDeque<Descriptor> = self
            .entries
            .iter()
            .filter(|d| is_index(d))
            .cloned()
            .collect();
        while let Some(index) = pending.pop_front() {
            if !read.insert(index.digest().to_string()) {
                continue;
            }
            if read.len() > MAX_DOCUMENTS {
                return Err(LayoutError::TooManyDocuments);
            }
            let doc = parse(&index, &document(files, &index).await?)?;
            if let Some(d) = doc.manifests.iter().find(|d| matches(d)) {
                return Ok(Some(d.clone()));
            }
            pending.extend(doc.manifests.into_iter().filter(is_index));
        }
        Ok(None)
    }
}

/// The bytes of document `d` (a manifest, an index, a config), checked
/// against its digest and size.
pub async fn document<F: LayoutFiles>(
    files: &F,
    d: &Descriptor,
) -> Result<Vec<u8>, LayoutError<F::Error>> {
    let digest = checked_digest(d)?;
    let data = read_document(files, &blob_path(&digest))
        .await?
        .ok_or_else(|| LayoutError::Missing {
            digest: digest.clone(),
        })?;
    let found = Digest::of(&data);
    if found != digest || data.len() as u64 != d.size() {
        return Err(LayoutError::Damaged {
            mismatch: Mismatch {
                named: (digest, d.size()),
                found: (found, data.len() as u64),
            },
        });
    }
    Ok(data)
}

/// `data`, the bytes of `d`, as a manifest or index, its descriptors'
/// digests checked.
fn parse<E>(d: &Descriptor, data: &[u8]) -> Result<Document, LayoutError<E>> {
    let digest = checked_digest(d)?;
    let doc: Document = serde_json::from_slice(data).map_err(|e| LayoutError::Unparsable {
        media_type: d.media_type().to_string(),
        digest: digest.clone(),
        why: e.to_string(),
    })?;
    let named = doc.config.iter().chain(&doc.layers).chain(&doc.manifests);
    for child in named {
        digest_of(child).map_err(|why| LayoutError::BadDigest {
            within: digest.to_string(),
            why,
        })?;
    }
    Ok(doc)
}

/// Whether `d` is a non-distributable blob (its descriptor carries `urls`)
/// that the layout does not hold.
pub async fn elsewhere<F: LayoutFiles>(
    files: &F,
    d: &Descriptor,
) -> Result<bool, LayoutError<F::Error>> {
    if d.urls().as_ref().is_none_or(Vec::is_empty) {
        return Ok(false);
    }
    let digest = checked_digest(d)?;
    Ok(!holds(files, &blob_path(&digest)).await?)
}

/// Everything `top` reaches: the documents (itself, and for an index its
/// members, recursively) and the blobs they name.
pub async fn content<F: LayoutFiles>(
    files: &F,
    top: &Descriptor,
) -> Result<EntryContent, LayoutError<F::Error>> {
    let mut out = EntryContent::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut pending = vec![top.clone()];
    while let Some(d) = pending.pop() {
        if !seen.insert(d.digest().to_string()) {
            continue;
        }
        if !is_manifest(&d) && !is_index(&d) {
            match elsewhere(files, &d).await? {
                true => out.elsewhere.push(d),
                false => out.blobs.push(d),
            }
            continue;
        }
        if out.documents.len() >= MAX_DOCUMENTS {
            return Err(LayoutError::TooManyDocuments);
        }
        let data = document(files, &d).await?;
        let doc = parse(&d, &data)?;
        // Children in order: pushed reversed, popped in order.
        let children: Vec<Descriptor> = doc
            .config
            .into_iter()
            .chain(doc.layers)
            .chain(doc.manifests)
            .collect();
        pending.extend(children.into_iter().rev());
        out.documents.push(Blob::new(data));
    }
    Ok(out)
}

/// The config and layers of manifest `d`. Anything else is refused; an
/// index with its members, to choose from.
pub async fn manifest<F: LayoutFiles>(
    files: &F,
    d: &Descriptor,
) -> Result<ManifestParts, LayoutError<F::Error>> {
    if !is_manifest(d) {
        let children = match is_index(d) {
            true => parse(d, &document(files, d).await?)?.manifests,
            false => Vec::new(),
        };
        return Err(LayoutError::NotAManifest {
            descriptor: Box::new(d.clone()),
            children,
        });
    }
    let digest = checked_digest(d)?;
    let doc = parse(d, &document(files, d).await?)?;
    let config = doc.config.ok_or(LayoutError::NoConfig(digest))?;
    Ok(ManifestParts {
        config,
        layers: doc.layers,
    })
}

/// The DiffIDs an image config (OCI's or Docker's) lists for its layers,
/// `None` for any other config, or one that lists a number other than
/// `layers`.
pub async fn image_diff_ids<F: LayoutFiles>(
    files: &F,
    config: &Descriptor,
    layers: usize,
) -> Result<Option<Vec<Digest>>, LayoutError<F::Error>> {
    if !IMAGE_CONFIGS.contains(&config.media_type().as_ref()) {
        return Ok(None);
    }
    let digest = checked_digest(config)?;
    let data = document(files, config).await?;
    let unparsable = |why: String| LayoutError::Unparsable {
        media_type: config.media_type().to_string(),
        digest: digest.clone(),
        why,
    };
    let parsed: ImageConfig =
        serde_json::from_slice(&data).map_err(|e| unparsable(e.to_string()))?;
    if parsed.rootfs.diff_ids.len() != layers {
        return Ok(None);
    }
    let ids = parsed
        .rootfs
        .diff_ids
        .iter()
        .map(|id| id.parse::<Digest>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unparsable(format!("rootfs.diff_ids: {e}")))?;
    Ok(Some(ids))
}

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;

/// What `d` names, with its article, for "... is X, not a manifest" (a
/// media type starts with any letter: "an application/...").
pub fn what_is(d: &Descriptor) -> String {
    let media = d.media_type().to_string();
    match INDEXES.contains(&media.as_str()) {
        true => format!("an image index ({media})"),
        false => format!("a blob of media type {media}"),
    }
}
