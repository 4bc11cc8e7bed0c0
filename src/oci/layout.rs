//! Assembling the JSON documents of an OCI image layout holding one
//! artifact manifest.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use oci_spec::OciSpecError;
use oci_spec::image::{
    Descriptor, DescriptorBuilder, Digest, ImageIndexBuilder, ImageManifestBuilder, MediaType,
    Platform,
};

use super::gojson;

/// OCI 1.1's empty descriptor media type (content `{}`).
pub const EMPTY_JSON_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// The title annotation `oras pull` and `podman artifact extract` name
/// files by.
pub const TITLE: &str = "org.opencontainers.image.title";

/// `ref.name`, the tag of an `index.json` descriptor.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A blob we write ourselves: its content and digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// Its digest.
    pub digest: crate::digest::Digest,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Blob {
    /// A blob of `data`.
    pub fn new(data: Vec<u8>) -> Blob {
        Blob {
            digest: crate::digest::Digest::of(&data),
            data,
        }
    }

    /// The OCI empty blob, `{}`.
    pub fn empty_json() -> Blob {
        Blob::new(b"{}".to_vec())
    }

    /// The hex part of the digest: the file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        self.digest.hex()
    }
}

/// The documents of a finished layout. Other blobs are written by the
/// caller.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `oci-layout`.
    pub oci_layout: Vec<u8>,
    /// `index.json`.
    pub index_json: Vec<u8>,
    /// The manifests and indexes we wrote, in index order.
    pub manifests: Vec<Blob>,
}

/// An entry of a layout's `index.json`: a manifest or an index, listed
/// once per tag (`ref.name`), or once untagged when it has none.
#[derive(Clone, Debug)]
pub struct IndexEntry {
    /// What it points at.
    pub descriptor: Descriptor,
    /// Its tags.
    pub tags: Vec<String>,
}

/// An image index we write (OCI 1.1: it may carry an `artifactType`).
#[derive(Clone, Debug)]
pub struct IndexBuilder {
    /// Index `artifactType`.
    pub artifact_type: Option<String>,
    /// Its members, in order.
    pub manifests: Vec<Descriptor>,
    /// Index annotations.
    pub annotations: BTreeMap<String, String>,
}

impl IndexBuilder {
    /// The index blob, and its descriptor.
    pub fn build(&self) -> Result<(Blob, Descriptor), OciSpecError> {
        let mut i = ImageIndexBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageIndex)
            .manifests(self.manifests.clone());
        if let Some(t) = &self.artifact_type {
            i = i.artifact_type(MediaType::from(t.as_str()));
        }
        if !self.annotations.is_empty() {
            i = i.annotations(hash_map(&self.annotations));
        }
        let blob = Blob::new(gojson::index(&i.build()?));
        let mut d = DescriptorBuilder::default()
            .media_type(MediaType::ImageIndex)
            .digest(spec_digest(&blob.digest)?)
            .size(blob.data.len() as u64);
        if let Some(t) = &self.artifact_type {
            d = d.artifact_type(MediaType::from(t.as_str()));
        }
        Ok((blob, d.build()?))
    }
}

/// `d` without its tag (`ref.name`): how another document points at what
/// an `index.json` entry names (its other annotations, `artifactType` and
/// platform kept).
pub fn untagged(d: &Descriptor) -> Descriptor {
    let mut d = d.clone();
    if let Some(a) = d.annotations().clone() {
        let kept: HashMap<String, String> = a.into_iter().filter(|(k, _)| k != REF_NAME).collect();
        d.set_annotations((!kept.is_empty()).then_some(kept));
    }
    d
}

/// A layout's documents: `index.json` listing `entries` (each once per
/// tag), `oci-layout`, and the manifests and indexes we wrote
/// (`documents`).
pub fn layout(entries: &[IndexEntry], documents: Vec<Blob>) -> Result<Layout, OciSpecError> {
    let mut listed = Vec::new();
    for e in entries {
        if e.tags.is_empty() {
            listed.push(e.descriptor.clone());
        }
        for tag in &e.tags {
            let mut d = e.descriptor.clone();
            let mut a = d.annotations().clone().unwrap_or_default();
            a.insert(REF_NAME.to_string(), tag.clone());
            d.set_annotations(Some(a));
            listed.push(d);
        }
    }
    let index = ImageIndexBuilder::default()
        .schema_version(2u32)
        .manifests(listed)
        .build()?;
    Ok(Layout {
        oci_layout: gojson::oci_layout(),
        index_json: gojson::index(&index),
        manifests: documents,
    })
}

/// One artifact manifest.
#[derive(Clone, Debug)]
pub struct ManifestBuilder {
    /// Manifest `artifactType` (also put on its index descriptors).
    pub artifact_type: Option<String>,
    /// The config descriptor.
    pub config: Descriptor,
    /// Layer descriptors, in order.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// The manifest's subject.
    pub subject: Option<Descriptor>,
    /// The platform its index descriptor names (several manifests of one
    /// artifact, one per platform).
    pub platform: Option<Platform>,
}

/// oci-spec's digest for ours (both checked the same way, so this holds).
fn spec_digest(d: &crate::digest::Digest) -> Result<Digest, OciSpecError> {
    Digest::from_str(&d.to_string())
}

fn hash_map(m: &BTreeMap<String, String>) -> HashMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A descriptor for content of `media_type`, `digest` and `size`, with
/// optional annotations.
pub fn descriptor(
    media_type: &str,
    digest: &crate::digest::Digest,
    size: u64,
    annotations: &BTreeMap<String, String>,
) -> Result<Descriptor, OciSpecError> {
    let mut b = DescriptorBuilder::default()
        .media_type(MediaType::from(media_type))
        .digest(spec_digest(digest)?)
        .size(size);
    if !annotations.is_empty() {
        b = b.annotations(hash_map(annotations));
    }
    b.build()
}

impl ManifestBuilder {
    /// The manifest blob.
    pub fn build(&self) -> Result<Blob, OciSpecError> {
        let mut m = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(self.config.clone())
            .layers(self.layers.clone());
        if let Some(t) = &self.artifact_type {
            m = m.artifact_type(MediaType::from(t.as_str()));
        }
        if !self.annotations.is_empty() {
            m = m.annotations(hash_map(&self.annotations));
        }
        if let Some(s) = &self.subject {
            m = m.subject(s.clone());
        }
        Ok(Blob::new(gojson::manifest(&m.build()?)))
    }

    /// The descriptor of this manifest, written as `blob`: its media type,
    /// digest and size, its `artifactType` and platform.
    pub fn descriptor(&self, blob: &Blob) -> Result<Descriptor, OciSpecError> {
        let mut d = DescriptorBuilder::default()
            .media_type(MediaType::ImageManifest)
            .digest(spec_digest(&blob.digest)?)
            .size(blob.data.len() as u64);
        if let Some(t) = &self.artifact_type {
            d = d.artifact_type(MediaType::from(t.as_str()));
        }
        if let Some(p) = &self.platform {
            d = d.platform(p.clone());
        }
        d.build()
    }
}
