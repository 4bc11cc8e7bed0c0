//! One `ARTIFACT` of the file, as far as its own lines say: the layers of
//! files, the `LAYERS` lines still to be read from their layouts, the
//! config line, annotations, tags and subject.

use std::collections::BTreeMap;

use crate::artifactfile::{ArtifactDecl, LayerEntry, LayerLine, LayoutRef, Lines, Subject};
use crate::blobtool::{Compression, is_glob, unquote};
use crate::gateway::UserError;
use crate::oci::{self, TITLE};

use crate::artifact::inputs::spec_file::{SpecFile, located};
use crate::artifact::path::normalize_layer_path;
use crate::artifact::plan::items::{Node, SubjectPlan};
use crate::artifact::plan::types::{BlobRequest, ConfigSource, LayerPlan};
use crate::artifact::request::epoch;

/// The `created` annotation, set from SOURCE_DATE_EPOCH.
pub const CREATED: &str = "org.opencontainers.image.created";

/// An artifact before its layouts are read.
pub struct Draft {
    /// `AS <id>`.
    pub id: Option<String>,
    /// `ARTIFACT <type>`.
    pub artifact_type: Option<String>,
    /// The `CONFIG` line's media type and content.
    pub config: Option<(String, ConfigSource)>,
    /// Layers in order.
    pub layers: Vec<DraftLayer>,
    /// Annotations, `created` included.
    pub annotations: BTreeMap<String, String>,
    /// `TAG`s.
    pub tags: Vec<String>,
    /// `SUBJECT`, with its line.
    pub subject: Option<(SubjectPlan, Lines)>,
    /// The line that starts it.
    pub lines: Lines,
}

/// A layer entry: planned already (`LAYER`), or the layers of a layout's
/// manifest (`LAYERS`).
pub enum DraftLayer {
    /// `LAYER`.
    File(Box<LayerPlan>),
    /// `LAYERS`.
    Layout(LayoutRef),
}

impl Draft {
    /// What the artifact's own lines ask for; `ids` maps the file's ids to
    /// what they name.
    pub fn of(
        a: &ArtifactDecl,
        file: &SpecFile,
        ids: &BTreeMap<&str, Node>,
        epoch_secs: Option<i64>,
    ) -> Result<Draft, UserError> {
        let layers = a
            .layers
            .iter()
            .map(|l| match l {
                LayerEntry::File(l) => Ok(DraftLayer::File(Box::new(file_layer(file, l)?))),
                LayerEntry::Layout(r) => Ok(DraftLayer::Layout(r.clone())),
            })
            .collect::<Result<Vec<_>, UserError>>()?;
        let config = match &a.config {
            Some(c) => {
                let content = match &c.path {
                    Some(p) => {
                        ConfigSource::File(blob_request(file, c.source, p, c.lines, false, "")?)
                    }
                    None => ConfigSource::Inline(b"{}".to_vec()),
                };
                Some((c.media_type.clone(), content))
            }
            None => None,
        };
        let mut annotations = a.annotations.clone();
        if let Some(e) = epoch_secs {
            annotations
                .entry(CREATED.to_string())
                .or_insert_with(|| epoch::rfc3339(e));
        }
        Ok(Draft {
            id: a.id.clone(),
            artifact_type: a.artifact_type.as_ref().map(|(t, _)| t.clone()),
            config,
            layers,
            annotations,
            tags: a.tags.iter().map(|(t, _)| t.clone()).collect(),
            subject: a
                .subject
                .as_ref()
                .map(|(s, lines)| Ok((subject(s, *lines, file, ids)?, *lines)))
                .transpose()?,
            lines: a.lines,
        })
    }

    /// The blob requests of its files (for what to transfer).
    pub fn requests(&self) -> impl Iterator<Item = &BlobRequest> {
        let config = match &self.config {
            Some((_, ConfigSource::File(r))) => Some(r),
            _ => None,
        };
        let layers = self.layers.iter().filter_map(|l| match l {
            DraftLayer::File(l) => Some(&l.blob),
            DraftLayer::Layout(_) => None,
        });
        config.into_iter().chain(layers)
    }

    /// The layout references of its `LAYERS` lines.
    pub fn layout_refs(&self) -> impl Iterator<Item = &LayoutRef> {
        self.layers.iter().filter_map(|l| match l {
            DraftLayer::Layout(r) => Some(r),
            DraftLayer::File(_) => None,
        })
    }
}

/// A `LAYER` line's plan.
fn file_layer(file: &SpecFile, l: &LayerLine) -> Result<LayerPlan, UserError> {
    let mut annotations = l.annotations.clone();
    if let Some(t) = &l.title {
        annotations.insert(TITLE.to_string(), t.clone());
    }
    Ok(LayerPlan {
        blob: blob_request(file, l.source, &l.path, l.lines, true, &l.media_type)?,
        media_type: l.media_type.clone(),
        annotations,
        default_title: true,
        label: None,
        fixed: None,
    })
}

/// What `given` (a path of source `source`, at `lines`) asks the blobs
/// stage for: a file, or a directory or glob where `allow_dir`.
fn blob_request(
    file: &SpecFile,
    source: usize,
    given: &str,
    lines: Lines,
    allow_dir: bool,
    media: &str,
) -> Result<BlobRequest, UserError> {
    let path = normalize_layer_path(given)
        .map_err(|why| located(file, lines, format!("path {given:?}: {why}")))?;
    let glob = allow_dir && is_glob(&path);
    Ok(BlobRequest {
        input: source,
        glob,
        path: if glob { path } else { unquote(&path) },
        given: given.to_string(),
        allow_dir,
        compression: Compression::for_media_type(media),
        lines: Some(lines),
        ..Default::default()
    })
}

/// `SUBJECT`'s plan: a descriptor as written, or an item of the file.
fn subject(
    s: &Subject,
    lines: Lines,
    file: &SpecFile,
    ids: &BTreeMap<&str, Node>,
) -> Result<SubjectPlan, UserError> {
    let (media_type, digest, size) = match s {
        Subject::Id(id) => {
            return ids
                .get(id.as_str())
                .map(|n| SubjectPlan::Item(*n))
                .ok_or_else(|| {
                    // The parser checked the ids; a miss here is ours.
                    located(file, lines, format!("SUBJECT {id}: no item has this id"))
                });
        }
        Subject::Descriptor {
            media_type,
            digest,
            size,
        }
        | Subject::Reference {
            media_type,
            digest,
            size,
            ..
        } => (media_type, digest, *size),
    };
    oci::descriptor(media_type, digest, size, &BTreeMap::new())
        .map(|d| SubjectPlan::Descriptor(Box::new(d)))
        .map_err(|e| located(file, lines, format!("SUBJECT: {e}")))
}
