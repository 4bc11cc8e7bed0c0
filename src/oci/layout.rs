//! Assembling the JSON documents of a one-manifest OCI image layout.

use std::collections::BTreeMap;
use std::str::FromStr;

use oci_spec::OciSpecError;
use oci_spec::image::{
    Descriptor, DescriptorBuilder, Digest, ImageIndexBuilder, ImageManifestBuilder, MediaType,
};

use super::gojson;

/// OCI 1.1's empty descriptor media type (content `{}`).
pub const EMPTY_JSON_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// A blob we write ourselves: its content and its descriptor fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob {
    /// `sha256:<hex>`.
    pub digest: String,
    /// The bytes.
    pub data: Vec<u8>,
}

impl Blob {
    /// A blob of `data`.
    pub fn new(data: Vec<u8>) -> Blob {
        Blob {
            digest: crate::llb::digest_of(&data),
            data,
        }
    }

    /// The hex part of the digest: the file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        self.digest.trim_start_matches("sha256:")
    }
}

/// The documents of a finished layout. Layer blobs are not here: they are
/// copied from the build input by the caller.
#[derive(Clone, Debug)]
pub struct Layout {
    /// `oci-layout`.
    pub oci_layout: Vec<u8>,
    /// `index.json`.
    pub index_json: Vec<u8>,
    /// The manifest blob.
    pub manifest: Blob,
    /// The config blob.
    pub config: Blob,
}

/// Inputs for one artifact manifest.
#[derive(Clone, Debug, Default)]
pub struct LayoutBuilder {
    /// Manifest `artifactType` (also put on the index descriptor).
    pub artifact_type: Option<String>,
    /// Config media type.
    pub config_media_type: String,
    /// Config content.
    pub config_data: Vec<u8>,
    /// Layer descriptors, in order.
    pub layers: Vec<Descriptor>,
}

fn media_type(s: &str) -> MediaType {
    MediaType::from(s)
}

/// Parses a `sha256:<hex>` digest we computed.
pub(crate) fn parse_digest(d: &str) -> Result<Digest, OciSpecError> {
    Digest::from_str(d)
}

/// A descriptor for content of `media_type`, `digest` and `size`, with
/// optional annotations.
pub fn descriptor(
    media_type_: &str,
    digest: &str,
    size: u64,
    annotations: &BTreeMap<String, String>,
) -> Result<Descriptor, OciSpecError> {
    let mut b = DescriptorBuilder::default()
        .media_type(media_type(media_type_))
        .digest(parse_digest(digest)?)
        .size(size);
    if !annotations.is_empty() {
        b = b.annotations(
            annotations
                .clone()
                .into_iter()
                .collect::<std::collections::HashMap<_, _>>(),
        );
    }
    b.build()
}

impl LayoutBuilder {
    /// Serializes config, manifest, index and `oci-layout`.
    pub fn build(&self) -> Result<Layout, OciSpecError> {
        let config = Blob::new(self.config_data.clone());
        let config_desc = descriptor(
            &self.config_media_type,
            &config.digest,
            config.data.len() as u64,
            &BTreeMap::new(),
        )?;
        let mut m = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(config_desc)
            .layers(self.layers.clone());
        if let Some(t) = &self.artifact_type {
            m = m.artifact_type(media_type(t));
        }
        let manifest = Blob::new(gojson::manifest(&m.build()?));
        let mut desc = DescriptorBuilder::default()
            .media_type(MediaType::ImageManifest)
            .digest(parse_digest(&manifest.digest)?)
            .size(manifest.data.len() as u64);
        if let Some(t) = &self.artifact_type {
            desc = desc.artifact_type(media_type(t));
        }
        let index = ImageIndexBuilder::default()
            .schema_version(2u32)
            .manifests(vec![desc.build()?])
            .build()?;
        Ok(Layout {
            oci_layout: gojson::oci_layout(),
            index_json: gojson::index(&index),
            manifest,
            config,
        })
    }
}
