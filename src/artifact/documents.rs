//! From blob digests to the layout's documents: config descriptor, layer
//! descriptors, manifests, `index.json`.
//!
//! The worker writes only blobs, never these: its exec is cached by the
//! inputs' content and the paths asked for, so editing an annotation, a
//! tag or the config re-runs nothing but the small FileOp that writes the
//! documents, not the hash of a 100 GB model.

use std::collections::BTreeMap;

use oci_spec::image::Descriptor;

use crate::blobtool::BlobReport;
use crate::gateway::UserError;
use crate::oci::{self, Blob, EMPTY_JSON_MEDIA_TYPE, Layout, LayoutBuilder, ManifestBuilder};

use super::TITLE;
use super::model_layers;
use super::plan::{ConfigSource, ManifestPlan, Plan};

/// The documents, and the blobs written from bytes (inline configs, the
/// empty layer).
pub struct Documents {
    /// Manifests, `index.json`, `oci-layout`.
    pub layout: Layout,
    /// Blobs we have the bytes of.
    pub inline: Vec<Blob>,
}

impl Documents {
    /// The documents, given per request (config file first, then each
    /// layer, per manifest: [`Plan::requests`]' order) the blobs it gave.
    pub fn of(plan: &Plan, blobs: &[Vec<BlobReport>]) -> Result<Documents, UserError> {
        let invalid =
            |e: oci_spec::OciSpecError| UserError::new(format!("invalid artifact metadata: {e}"));
        let mut per_request = blobs.iter();
        let mut inline: Vec<Blob> = Vec::new();
        let mut manifests = Vec::new();
        for m in &plan.manifests {
            let config_file = match &m.config {
                ConfigSource::File(_) => Some(
                    per_request
                        .next()
                        .and_then(|b| b.first())
                        .ok_or_else(|| UserError::new("no blob for the config file"))?,
                ),
                ConfigSource::Inline(_) | ConfigSource::Model => None,
            };
            let layer_blobs: Vec<&Vec<BlobReport>> = m
                .layers
                .iter()
                .zip(&mut per_request)
                .map(|(_, b)| b)
                .collect();
            if layer_blobs.len() != m.layers.len() {
                return Err(UserError::new("fewer blob reports than layers"));
            }
            let (config_bytes, mut layers) = match &m.model {
                Some(model) => {
                    let spec = plan
                        .spec_file
                        .as_ref()
                        .map_or("the Modelfile", |f| f.filename.as_str());
                    let built = model_layers::build(model, &layer_blobs, spec, plan.epoch)?;
                    (Some(built.config.data), built.layers)
                }
                None => (None, plain_layers(m, &layer_blobs)?),
            };
            let config = match (&m.config, config_file, config_bytes.as_ref()) {
                (ConfigSource::File(_), Some(b), _) => {
                    oci::descriptor(&m.config_media_type, &b.digest, b.size, &BTreeMap::new())
                }
                (ConfigSource::Inline(data), _, _) | (ConfigSource::Model, _, Some(data)) => {
                    let b = Blob::new(data.to_vec());
                    let d = oci::descriptor(
                        &m.config_media_type,
                        &b.digest,
                        b.data.len() as u64,
                        &BTreeMap::new(),
                    );
                    inline.push(b);
                    d
                }
                _ => return Err(UserError::new("no config for a manifest")),
            }
            .map_err(invalid)?;
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
            tags: plan.tags.clone(),
        }
        .build()
        .map_err(invalid)?;
        Ok(Documents { layout, inline })
    }
}

/// The layers of a manifest that lists them: one descriptor per blob (a
/// glob's matches in order), titled by file name unless told otherwise.
fn plain_layers(
    m: &ManifestPlan,
    blobs: &[&Vec<BlobReport>],
) -> Result<Vec<Descriptor>, UserError> {
    let mut layers = Vec::new();
    for (l, blobs) in m.layers.iter().zip(blobs) {
        for b in blobs.iter() {
            let mut annotations = l.annotations.clone();
            if l.default_title && !annotations.contains_key(TITLE) {
                let name = b.path.rsplit('/').next().unwrap_or(&b.path);
                annotations.insert(TITLE.to_string(), name.to_string());
            }
            layers.push(
                oci::descriptor(&l.media_type, &b.digest, b.size, &annotations)
                    .map_err(|e| UserError::new(format!("invalid artifact metadata: {e}")))?,
            );
        }
    }
    check_titles(m, &layers)?;
    Ok(layers)
}

/// Two layers with one title would make `oras pull` write one file over
/// the other: refuse, and say how to fix it (only for titles we set from
/// file names; titles the user gave are theirs).
fn check_titles(m: &ManifestPlan, layers: &[Descriptor]) -> Result<(), UserError> {
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
