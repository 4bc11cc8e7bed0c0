//! What the file takes from OCI layouts: each layout opened once, `LAYERS`
//! turned into layers whose descriptors are kept as they are, `INCLUDE`
//! into the entries and every document and blob they reach, and the
//! ModelPack config an extended model takes from its base. Only JSON
//! documents are read here (checked against their digests, to follow
//! them); every blob an `INCLUDE` reaches, those documents too, becomes a
//! request that expects its digest, copied and checked in one read by the
//! blobs stage, so the LLB never carries a document's bytes.

use std::collections::BTreeSet;

use oci_spec::image::Descriptor;

use crate::artifactfile::{IncludeDecl, LayoutRef, Lines, Pick};
use crate::blobtool::Compression;
use crate::digest::Digest;
use crate::gateway::{Gateway, UserError};
use crate::modelpack;
use crate::oci::reader::{ManifestParts, blob_path, diff_id_is_digest, digest_of, tag_of};
use crate::oci::{IndexEntry, untagged};

use crate::artifact::error::{Error, Result};
use crate::artifact::inputs::artifactfile::Inputs;
use crate::artifact::inputs::oci_layout::LayoutInput;
use crate::artifact::inputs::spec_file::{SpecFile, at_line};
use crate::artifact::plan::blob_request::Expected;
use crate::artifact::plan::items::{FixedLayer, IncludePlan};
use crate::artifact::plan::types::{BlobRequest, LayerPlan};

/// The layouts the file reads, opened when its inputs were gathered.
pub struct Layouts<'a> {
    inputs: &'a Inputs,
    file: &'a SpecFile,
}

/// The layers one `LAYERS` line gives, and the ModelPack config of the
/// manifest they come from, if it is a model.
pub struct LayoutLayers {
    /// The layers, in the manifest's order.
    pub layers: Vec<LayerPlan>,
    /// The model's config, parsed.
    pub model_config: Option<serde_json::Value>,
}

impl<'a> Layouts<'a> {
    /// The layouts of `inputs`, for the file `file`.
    pub fn new(inputs: &'a Inputs, file: &'a SpecFile) -> Layouts<'a> {
        Layouts { inputs, file }
    }

    fn get(&self, r: &LayoutRef) -> Result<(usize, &LayoutInput)> {
        self.inputs.layout(r)
    }

    fn at(&self, lines: Lines, e: Error) -> Error {
        at_line(self.file, lines, None, e)
    }

    /// The layers of the manifest `r` names (`LAYERS`), each with its
    /// DiffID where the layout says it: a ModelPack config's
    /// `modelfs.diffIds`, an image config's `rootfs.diff_ids`, or the
    /// digest of a layer stored as it is.
    pub async fn layers<G: Gateway>(&self, gw: &G, r: &LayoutRef) -> Result<LayoutLayers> {
        let (input, layout) = self.get(r)?;
        let at = |e: Error| self.at(r.lines, e);
        let user = |message: String| at(UserError::new(message).into());
        let picked = layout.pick(gw, &r.pick).await.map_err(at)?;
        let ManifestParts { config, layers } = layout.manifest(gw, &picked).await.map_err(at)?;
        let model_config = if config.media_type().to_string() == modelpack::CONFIG_MEDIA_TYPE {
            let data = layout.document(gw, &config).await.map_err(at)?;
            Some(serde_json::from_slice(&data).map_err(|e| {
                user(format!(
                    "{}: the model config {} does not parse: {e}",
                    r.name,
                    config.digest()
                ))
            })?)
        } else {
            None
        };
        let transformed = layers
            .iter()
            .any(|d| !diff_id_is_digest(d.media_type().as_ref()));
        let diff_ids = match &model_config {
            Some(c) => Some(model_diff_ids(c, layers.len()).map_err(|why| {
                user(format!(
                    "{}: the model config {}: {why}",
                    r.name,
                    config.digest()
                ))
            })?),
            None if transformed => layout
                .image_diff_ids(gw, &config, layers.len())
                .await
                .map_err(at)?,
            None => None,
        };
        let mut planned = Vec::new();
        for (k, d) in layers.into_iter().enumerate() {
            let digest = digest_of(&d).map_err(|why| user(format!("{}: {why}", r.name)))?;
            let diff_id = match &diff_ids {
                Some(ids) => ids.get(k).cloned(),
                None if diff_id_is_digest(d.media_type().as_ref()) => Some(digest.clone()),
                None => None,
            };
            let elsewhere = layout.elsewhere(gw, &d).await.map_err(at)?;
            planned.push(LayerPlan {
                blob: expected_blob(input, &r.name, &d, &digest, r.lines),
                media_type: d.media_type().to_string(),
                annotations: d
                    .annotations()
                    .as_ref()
                    .map(|a| a.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                default_title: false,
                label: None,
                fixed: Some(FixedLayer {
                    descriptor: d,
                    diff_id,
                    elsewhere,
                }),
            });
        }
        Ok(LayoutLayers {
            layers: planned,
            model_config,
        })
    }

    /// What `INCLUDE` copies: the entry it names (plain `<name>`: every
    /// entry of the layout), with every document and blob it reaches, and
    /// its tags (or those `--tag` gives).
    pub async fn include<G: Gateway>(&self, gw: &G, inc: &IncludeDecl) -> Result<IncludePlan> {
        let r = &inc.from;
        let (input, layout) = self.get(r)?;
        let at = |e: Error| self.at(inc.lines, e);
        let picked = match &r.pick {
            Pick::Only => layout.entries().to_vec(),
            pick => vec![layout.pick(gw, pick).await.map_err(at)?],
        };
        if picked.is_empty() {
            return Err(at(UserError::new(format!(
                "{} has no entry in its index.json: there is nothing to include",
                r.name
            ))
            .into()));
        }
        let mut blobs: Vec<BlobRequest> = Vec::new();
        let mut seen: BTreeSet<Digest> = BTreeSet::new();
        for d in &picked {
            // Blobs held elsewhere (non-distributable) stay named only.
            let content = layout.content(gw, d).await.map_err(at)?;
            // Read (and checked) to follow them; copied from the layout
            // like any blob, so the LLB never carries their bytes.
            for doc in content.documents {
                if seen.insert(doc.digest.clone()) {
                    let size = doc.data.len() as u64;
                    blobs.push(expected(input, &r.name, &doc.digest, size, inc.lines));
                }
            }
            for b in content.blobs {
                let digest = digest_of(&b)
                    .map_err(|why| at(UserError::new(format!("{}: {why}", r.name)).into()))?;
                if seen.insert(digest.clone()) {
                    blobs.push(expected_blob(input, &r.name, &b, &digest, inc.lines));
                }
            }
        }
        let mut entries = entries(&picked);
        if let Some(tags) = &inc.tags {
            retag(&mut entries, tags, &r.name).map_err(|e| at(e.into()))?;
        }
        Ok(IncludePlan {
            id: inc.id.clone(),
            entries,
            blobs,
            lines: inc.lines,
        })
    }
}

/// The entries as our `index.json` lists them: one per descriptor, its
/// tags (`ref.name`s, each entry of the input's having one at most) kept.
fn entries(picked: &[Descriptor]) -> Vec<IndexEntry> {
    let mut out: Vec<IndexEntry> = Vec::new();
    for d in picked {
        let tag = tag_of(d).map(String::from);
        let descriptor = untagged(d);
        match out.iter_mut().find(|e| e.descriptor == descriptor) {
            Some(e) => e.tags.extend(tag),
            None => out.push(IndexEntry {
                descriptor,
                tags: tag.into_iter().collect(),
            }),
        }
    }
    out
}

/// `INCLUDE --tag=...`: `tags` instead of the entries' own (none for
/// `--tag=`); a tag names one entry, so several take none.
fn retag(entries: &mut [IndexEntry], tags: &[String], name: &str) -> Result<(), UserError> {
    match entries {
        [one] => one.tags = tags.to_vec(),
        many if tags.is_empty() => many.iter_mut().for_each(|e| e.tags.clear()),
        many => {
            return Err(UserError::new(format!(
                "INCLUDE --tag={} names one entry, but {name} has {} and a tag names one: \
                 include one with {name}:<tag> or {name}@sha256:<hex>, or drop every tag \
                 with --tag=",
                tags[0],
                many.len()
            )));
        }
    }
    Ok(())
}

/// The request that copies blob `d` of layout `name` (input `input`) and
/// checks it.
fn expected_blob(
    input: usize,
    name: &str,
    d: &Descriptor,
    digest: &Digest,
    lines: Lines,
) -> BlobRequest {
    expected(input, name, digest, d.size(), lines)
}

/// The request that copies blob `digest` of `size` bytes from layout
/// `name` (input `input`) and checks it.
fn expected(input: usize, name: &str, digest: &Digest, size: u64, lines: Lines) -> BlobRequest {
    BlobRequest {
        input,
        path: blob_path(digest),
        given: format!("{name}@{digest}"),
        compression: Compression::None,
        lines: Some(lines),
        expect: Some(Expected {
            digest: digest.clone(),
            size,
            layout: format!("layout {name:?}"),
        }),
        ..Default::default()
    }
}

/// A ModelPack config's `modelfs.diffIds`, one per layer.
fn model_diff_ids(config: &serde_json::Value, layers: usize) -> Result<Vec<Digest>, String> {
    let ids = config
        .pointer("/modelfs/diffIds")
        .and_then(|v| v.as_array())
        .ok_or("it has no modelfs.diffIds")?;
    if ids.len() != layers {
        return Err(format!(
            "it lists {} diffIds for {layers} layers",
            ids.len()
        ));
    }
    ids.iter()
        .map(|v| {
            v.as_str()
                .ok_or("a diffId is not a string".to_string())?
                .parse::<Digest>()
                .map_err(|e| format!("diffId: {e}"))
        })
        .collect()
}
