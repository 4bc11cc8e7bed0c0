//! A ModelPack model's layer descriptors and config, from the blobs its
//! requests gave.
//!
//! This runs after hashing because that is when the files are known: a
//! glob's matches, whether a path was a directory, each file's size (which
//! classifies an unknown file in a directory packaged without a list). Layers
//! are grouped config → weights → code → docs → datasets and sorted by path
//! inside each group, as modctl orders them; a file named twice becomes one
//! layer, in the first group that names it. Every annotation is a function of
//! the file alone (path, size, permission bits) and SOURCE_DATE_EPOCH, so the
//! manifest is reproducible where modctl's is not (it copies disk times and
//! owners, and stamps the Modelfile annotation with the clock).

use std::collections::{BTreeMap, BTreeSet};

use oci_spec::image::Descriptor;

use crate::blobtool::BlobReport;
use crate::gateway::UserError;
use crate::modelpack::{self, FileMetadata, Kind};
use crate::oci::{self, Blob, TITLE};

use crate::artifact::plan::{ManifestPlan, ModelPlan};
use crate::artifact::request::epoch::rfc3339;

/// The layers, in manifest order, and the config blob listing their
/// DiffIDs.
pub struct ModelLayers {
    /// Layer descriptors.
    pub layers: Vec<Descriptor>,
    /// The config document.
    pub config: Blob,
}

/// One file that becomes a layer.
struct File<'a> {
    kind: Kind,
    /// Its category was guessed from its name and size, not given.
    guessed: bool,
    blob: &'a BlobReport,
}

/// Builds the layers from `blobs` (per entry of the manifest's layer list,
/// what its request gave); `spec` names the Modelfile in messages and
/// `epoch` is SOURCE_DATE_EPOCH.
pub fn build(
    model: &ModelPlan,
    blobs: &[&Vec<BlobReport>],
    spec: &str,
    epoch: Option<i64>,
) -> Result<ModelLayers, UserError> {
    let mut files: Vec<File> = model
        .kinds
        .iter()
        .zip(blobs)
        .flat_map(|(kind, reports)| {
            reports.iter().map(move |b| File {
                kind: kind.unwrap_or_else(|| modelpack::classify(&b.path, b.size)),
                guessed: kind.is_none(),
                blob: b,
            })
        })
        .collect();
    files.sort_by(|a, b| (a.kind, &a.blob.path).cmp(&(b.kind, &b.blob.path)));
    let mut seen = BTreeSet::new();
    files.retain(|f| seen.insert(f.blob.path.as_str()));
    check_not_empty(model, blobs, &files, spec)?;
    let mtime = rfc3339(epoch.unwrap_or(0));
    let invalid = |e: oci_spec::OciSpecError| UserError::new(format!("{spec}: {e}"));
    let mut layers = Vec::with_capacity(files.len());
    let mut titles: BTreeMap<String, &str> = BTreeMap::new();
    for f in &files {
        let b = f.blob;
        let media_type = modelpack::layer_media_type(f.kind, model.packing, b.dir);
        let title = format!("{}{}", b.path, model.packing.title_suffix(b.dir));
        if let Some(other) = titles.insert(title.clone(), &b.path) {
            return Err(UserError::new(format!(
                "{spec}: {other:?} and {:?} would both be pulled as {title:?}; rename one of them",
                b.path
            )));
        }
        let annotations = BTreeMap::from([
            (modelpack::FILEPATH.to_string(), b.path.clone()),
            (
                modelpack::FILE_METADATA.to_string(),
                file_metadata(b, &mtime),
            ),
            (modelpack::UNTESTED.to_string(), f.guessed.to_string()),
            (TITLE.to_string(), title),
        ]);
        layers
            .push(oci::descriptor(&media_type, &b.digest, b.size, &annotations).map_err(invalid)?);
    }
    let diff_ids: Vec<String> = files.iter().map(|f| f.blob.diff_id.to_string()).collect();
    let created = epoch.map(rfc3339);
    let config = Blob::new(model.config.to_json(created.as_deref(), &diff_ids));
    Ok(ModelLayers { layers, config })
}

/// The file metadata annotation of the file `b` hashed: what it holds
/// follows from the file and `mtime` (SOURCE_DATE_EPOCH's) alone.
fn file_metadata(b: &BlobReport, mtime: &str) -> String {
    modelpack::file_metadata_json(&FileMetadata {
        name: b.path.rsplit('/').next().unwrap_or(&b.path),
        mode: b.mode,
        size: b.file_size,
        mtime,
        dir: b.dir,
    })
}

/// A model needs at least one layer (the schema's `diffIds` has
/// `minItems: 1`); a directory packaged without a list needs something
/// modctl would call a model, code or a dataset; `MODEL` lines need to
/// find weights.
fn check_not_empty(
    model: &ModelPlan,
    blobs: &[&Vec<BlobReport>],
    files: &[File],
    spec: &str,
) -> Result<(), UserError> {
    if model.classified
        && !files
            .iter()
            .any(|f| matches!(f.kind, Kind::Model | Kind::Code | Kind::Dataset))
    {
        return Err(UserError::new(format!(
            "{spec} names no files, and the build context has no weights, code or data set to \
             package ({} files found, hidden files and caches skipped); name the files with \
             MODEL, CODE, CONFIG, DOC or DATASET lines",
            files.len()
        )));
    }
    if files.is_empty() {
        return Err(UserError::new(format!(
            "{spec}: its globs match no files, and a ModelPack model needs at least one layer; \
             check the patterns (they are relative to the build context)"
        )));
    }
    // Weights asked for and none found: a model without them is no model,
    // however valid its config (a typo in the pattern, or a .dockerignore
    // that leaves the weights out).
    let mut model_lines = model.kinds.iter().zip(blobs);
    let asked = model.kinds.contains(&Some(Kind::Model));
    if asked && !model_lines.any(|(k, found)| *k == Some(Kind::Model) && !found.is_empty()) {
        return Err(UserError::new(format!(
            "{spec}: its MODEL lines match no files, so the model would have no weights; check \
             the patterns (they are relative to the build context, and case matters) and what \
             the build's .dockerignore leaves out"
        )));
    }
    Ok(())
}

/// The config of a model extended by new layers (`LAYERS` from a
/// ModelPack model, then files): the base's config with `modelfs.diffIds`
/// over every layer in order (the base's as its config lists them, the
/// new ones as hashed) and `createdAt` from SOURCE_DATE_EPOCH, written as
/// Go writes a decoded document, so its bytes follow from its content.
pub fn extended(
    base: &serde_json::Value,
    m: &ManifestPlan,
    blobs: &[&Vec<BlobReport>],
    epoch: Option<i64>,
) -> Result<Vec<u8>, String> {
    let mut diff_ids = Vec::new();
    for (i, (l, reports)) in m.layers.iter().zip(blobs).enumerate() {
        match &l.fixed {
            Some(f) => diff_ids.push(
                f.diff_id
                    .clone()
                    .ok_or_else(|| format!("layer {} has no known DiffID", i + 1))?,
            ),
            None => diff_ids.extend(reports.iter().map(|b| b.diff_id.clone())),
        }
    }
    let created = epoch.map(rfc3339);
    let config = modelpack::config::extended(base, &diff_ids, created.as_deref())?;
    let mut out = String::new();
    oci::gojson::value(&mut out, &config);
    Ok(out.into_bytes())
}

/// The layers of an extended model, `layers` as the Artifactfile gave them
/// (one per file, the base's as they were), with what a ModelPack client
/// restores a new file by: its path and metadata, as a Modelfile's layers
/// carry them (annotations the file set itself win). The base's layers are
/// left byte for byte.
pub fn annotate_new(
    m: &ManifestPlan,
    blobs: &[&Vec<BlobReport>],
    layers: Vec<Descriptor>,
    epoch: Option<i64>,
) -> Result<Vec<Descriptor>, String> {
    let mtime = rfc3339(epoch.unwrap_or(0));
    let mut given = layers.into_iter();
    let mut out = Vec::new();
    for (l, reports) in m.layers.iter().zip(blobs) {
        if l.fixed.is_some() {
            out.extend(given.next());
            continue;
        }
        for b in reports.iter() {
            let d = given
                .next()
                .ok_or_else(|| format!("no descriptor for {:?}", b.path))?;
            let mut annotations: BTreeMap<String, String> = d
                .annotations()
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            annotations
                .entry(modelpack::FILEPATH.to_string())
                .or_insert_with(|| b.path.clone());
            annotations
                .entry(modelpack::FILE_METADATA.to_string())
                .or_insert_with(|| file_metadata(b, &mtime));
            out.push(
                oci::descriptor(d.media_type().as_ref(), &b.digest, b.size, &annotations)
                    .map_err(|e| e.to_string())?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "modelpack_tests.rs"]
mod tests;
