//! From blob digests to the layout's documents: config descriptor, layer
//! descriptors, manifests, `index.json`.
//!
//! This runs in two places with the same code: in the frontend, and inside
//! the worker right after it wrote the blobs. When the worker writes the
//! documents too, the whole layout is one exec's output, and the frontend
//! returns it as is: a FileOp on top would mount an overlay over the
//! blobs, and unmounting it flushes every byte the exec wrote to disk
//! before the build can finish (on a 2 GiB model, most of a second).
//!
//! [`LayoutSpec`] is the part of a [`Plan`] the documents depend on, and
//! nothing else (no line numbers, no paths as typed), so it can go into
//! the worker's job without making BuildKit's cache key of the exec change
//! when only a comment in the Artifactfile did.

use std::collections::BTreeMap;

use oci_spec::image::{Descriptor, Platform};
use serde::{Deserialize, Serialize};

use crate::blobtool::BlobReport;
use crate::gateway::UserError;
use crate::oci::{self, Blob, EMPTY_JSON_MEDIA_TYPE, Layout, LayoutBuilder, ManifestBuilder};

use super::TITLE;
use super::plan::{ConfigSource, Plan};

/// What the documents of a plan depend on, besides the blobs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayoutSpec {
    /// Per manifest, in `index.json` order.
    pub manifests: Vec<ManifestSpec>,
    /// `ref.name`s for `index.json`.
    pub tags: Vec<String>,
}

/// One manifest of a [`LayoutSpec`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSpec {
    /// The platform its index descriptor names.
    pub platform: Option<Platform>,
    /// Manifest `artifactType`.
    pub artifact_type: Option<String>,
    /// Config media type.
    pub config_media_type: String,
    /// The config's bytes; `None` when the config is a file (the first
    /// blob of this manifest).
    pub config: Option<Vec<u8>>,
    /// Layers in order; each takes the next request's blobs.
    pub layers: Vec<LayerDocSpec>,
    /// With no layers, add the OCI 1.1 empty descriptor.
    pub empty_layer_if_none: bool,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// The manifest's subject.
    pub subject: Option<Descriptor>,
}

/// One layer request of a [`ManifestSpec`] (a glob gives several layers).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LayerDocSpec {
    /// Descriptor media type.
    pub media_type: String,
    /// Descriptor annotations.
    pub annotations: BTreeMap<String, String>,
    /// Title the layer after its file unless the annotations have a title.
    pub default_title: bool,
}

/// The documents, and the blobs written from bytes (inline configs, the
/// empty layer).
pub struct Documents {
    /// Manifests, `index.json`, `oci-layout`.
    pub layout: Layout,
    /// Blobs we have the bytes of.
    pub inline: Vec<Blob>,
}

impl LayoutSpec {
    /// The documents' part of `plan`.
    pub fn of(plan: &Plan) -> LayoutSpec {
        LayoutSpec {
            manifests: plan
                .manifests
                .iter()
                .map(|m| ManifestSpec {
                    platform: m.platform.clone(),
                    artifact_type: m.artifact_type.clone(),
                    config_media_type: m.config_media_type.clone(),
                    config: match &m.config {
                        ConfigSource::Inline(data) => Some(data.clone()),
                        ConfigSource::File(_) => None,
                    },
                    layers: m
                        .layers
                        .iter()
                        .map(|l| LayerDocSpec {
                            media_type: l.media_type.clone(),
                            annotations: l.annotations.clone(),
                            default_title: l.default_title,
                        })
                        .collect(),
                    empty_layer_if_none: m.empty_layer_if_none,
                    annotations: m.annotations.clone(),
                    subject: m.subject.clone(),
                })
                .collect(),
            tags: plan.tags.clone(),
        }
    }

    /// The spec as job bytes: JSON with every object's keys sorted
    /// (oci-spec keeps descriptor annotations in a `HashMap`), so the same
    /// plan always gives the same exec and BuildKit's cache finds it.
    pub fn to_job_bytes(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(&serde_json::to_value(self)?)
    }

    /// The documents, given per request (config file first, then each
    /// layer, per manifest: [`Plan::requests`]' order) the blobs it gave.
    pub fn documents(&self, blobs: &[Vec<BlobReport>]) -> Result<Documents, UserError> {
        let invalid =
            |e: oci_spec::OciSpecError| UserError::new(format!("invalid artifact metadata: {e}"));
        let mut per_request = blobs.iter();
        let mut inline: Vec<Blob> = Vec::new();
        let mut manifests = Vec::new();
        for m in &self.manifests {
            let config = match &m.config {
                Some(data) => {
                    let b = Blob::new(data.clone());
                    let d = oci::descriptor(
                        &m.config_media_type,
                        &b.digest,
                        b.data.len() as u64,
                        &BTreeMap::new(),
                    );
                    inline.push(b);
                    d
                }
                None => {
                    let b = per_request
                        .next()
                        .and_then(|b| b.first())
                        .ok_or_else(|| UserError::new("no blob for the config file"))?;
                    oci::descriptor(&m.config_media_type, &b.digest, b.size, &BTreeMap::new())
                }
            }
            .map_err(invalid)?;
            let mut layers = Vec::new();
            for (l, blobs) in m.layers.iter().zip(&mut per_request) {
                for b in blobs {
                    let mut annotations = l.annotations.clone();
                    if l.default_title && !annotations.contains_key(TITLE) {
                        let name = b.path.rsplit('/').next().unwrap_or(&b.path);
                        annotations.insert(TITLE.to_string(), name.to_string());
                    }
                    layers.push(
                        oci::descriptor(&l.media_type, &b.digest, b.size, &annotations)
                            .map_err(invalid)?,
                    );
                }
            }
            check_titles(m, &layers)?;
            if layers.is_empty() && m.empty_layer_if_none {
                let b = Blob::empty_json();
                layers.push(
                    oci::descriptor(EMPTY_JSON_MEDIA_TYPE, &b.digest, 2, &BTreeMap::new())
                        .map_err(invalid)?,
                );
                inline.push(b);
            }
            manifests.push(ManifestBuilder {
                artifact_type: m.artifact_type.clone(),
                config,
                layers,
                annotations: m.annotations.clone(),
                subject: m.subject.clone(),
                platform: m.platform.clone(),
            });
        }
        let layout = LayoutBuilder {
            manifests,
            tags: self.tags.clone(),
        }
        .build()
        .map_err(invalid)?;
        Ok(Documents { layout, inline })
    }
}

/// Two layers with one title would make `oras pull` write one file over
/// the other: refuse, and say how to fix it (only for titles we set from
/// file names; titles the user gave are theirs).
fn check_titles(m: &ManifestSpec, layers: &[Descriptor]) -> Result<(), UserError> {
    if !m.layers.iter().any(|l| l.default_title) {
        return Ok(());
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, d) in layers.iter().enumerate() {
        let Some(title) = d.annotations().as_ref().and_then(|a| a.get(TITLE)) else {
            continue;
        };
        if let Some(first) = seen.insert(title, i) {
            return Err(UserError::new(format!(
                "layers {first} and {i} are both titled {title:?}, so a client pulling the artifact would \
                 write one file over the other; give one of them --title=<name>"
            )));
        }
    }
    Ok(())
}
