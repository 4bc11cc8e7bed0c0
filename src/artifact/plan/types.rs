//! [`Plan`]: what to build, whichever way it was asked for (the
//! `containerimage.artifact.*` options, an Artifactfile, a Modelfile or a
//! wrapped build), in one shape the later stages execute.

use std::collections::BTreeMap;

use crate::artifactfile::Lines;
use crate::blobtool::{Compression, EntryError, PackOptions};
use crate::gateway::UserError;
use crate::llb::State;

use super::spec_file::{SpecFile, located};

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

/// A filesystem layer files come from.
#[derive(Clone, Debug)]
pub struct Input {
    /// The files.
    pub state: State,
    /// e.g. `build context (local "context")`, for messages.
    pub describe: String,
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
}

/// The config blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// These bytes (`{}` by default).
    Inline(Vec<u8>),
    /// A file of an input.
    File(BlobRequest),
    /// Generated from the layers once they are hashed (a ModelPack config,
    /// which lists every layer's DiffID).
    Model,
}

/// One `LAYER` (a glob may give several layers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerPlan {
    /// Where its bytes come from.
    pub blob: BlobRequest,
    /// Descriptor media type.
    pub media_type: String,
    /// Descriptor annotations.
    pub annotations: BTreeMap<String, String>,
    /// Set `org.opencontainers.image.title` to the file or directory name
    /// unless the annotations already have one.
    pub default_title: bool,
    /// What to call it in messages (default: `layer <i> ("<path>")`).
    pub label: Option<String>,
}

/// Everything needed to build the artifact: usually one manifest, one
/// per platform when a multi-platform build is wrapped.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Where files come from; `BlobRequest::input` indexes this.
    pub inputs: Vec<Input>,
    /// The manifests, in `index.json` order.
    pub manifests: Vec<ManifestPlan>,
    /// `ref.name`s for `index.json` (one descriptor each; none: one
    /// descriptor without). Only for a single manifest.
    pub tags: Vec<String>,
    /// SOURCE_DATE_EPOCH, seconds.
    pub epoch: Option<i64>,
    /// The Artifactfile, when there is one.
    pub spec_file: Option<SpecFile>,
    /// Metadata to put on our result (what a wrapped build set that still
    /// applies to the layout).
    pub result_metadata: BTreeMap<String, Vec<u8>>,
}

/// One artifact manifest.
#[derive(Clone, Debug)]
pub struct ManifestPlan {
    /// The platform its index descriptor names.
    pub platform: Option<oci_spec::image::Platform>,
    /// Manifest `artifactType`.
    pub artifact_type: Option<String>,
    /// Config media type.
    pub config_media_type: String,
    /// Config content.
    pub config: ConfigSource,
    /// Layers in order.
    pub layers: Vec<LayerPlan>,
    /// With no layers, add the OCI 1.1 empty descriptor as the only layer
    /// (the Artifactfile follows that guidance; the `artifact.v0` contract
    /// writes `"layers":[]` like the reference).
    pub empty_layer_if_none: bool,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// The manifest's subject.
    pub subject: Option<oci_spec::image::Descriptor>,
    /// For a ModelPack model: how its files become layers and its config.
    pub model: Option<ModelPlan>,
}

/// A ModelPack model: the layers' media types, order and annotations come
/// from the files the requests gave (a glob's matches are only known once
/// the worker ran), and the config lists their DiffIDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelPlan {
    /// Per entry of [`ManifestPlan::layers`]: the category of its files,
    /// or `None` to classify each file by name and size (modctl's rules).
    pub kinds: Vec<Option<crate::modelpack::Kind>>,
    /// How files are packed.
    pub packing: crate::modelpack::Packing,
    /// The config's descriptor and config fields.
    pub config: crate::modelpack::ModelConfig,
    /// Whether the file named any files (else its files were classified).
    pub classified: bool,
}

impl Plan {
    /// A user error at `lines` of the Artifactfile: BuildKit's clients print
    /// those lines under the message.
    pub fn error_at(&self, lines: Option<Lines>, message: String) -> UserError {
        match (&self.spec_file, lines) {
            (Some(file), Some(lines)) => located(file, lines, message),
            _ => UserError::new(message),
        }
    }
}

impl Plan {
    /// The plan with every request named by its place in
    /// [`Plan::requests`]: the one numbering the job, the report and the
    /// documents use. (Were it skipped, every request would be #0 and the
    /// first report would fail as a repeat, never match the wrong file.)
    pub fn numbered(mut self) -> Plan {
        let mut next = 0u32;
        for m in &mut self.manifests {
            if let ConfigSource::File(r) = &mut m.config {
                r.id = RequestId(next);
                next += 1;
            }
            for l in &mut m.layers {
                l.blob.id = RequestId(next);
                next += 1;
            }
        }
        self
    }

    /// Why request `r` (called `what`) gave no blob, for the user: the
    /// message names the request, the path and where it was looked for, and
    /// points at its line of the spec file.
    pub fn explain(&self, what: &str, r: &BlobRequest, e: &EntryError) -> UserError {
        let source = &self.inputs[r.input].describe;
        let message = match e {
            EntryError::Missing => format!(
                "{what} does not exist in the {source}; check the path (it is relative to the input root)"
            ),
            EntryError::LinkOutside { link, target } => format!(
                "{what}: {link} is a link to {target}, outside the {source}, where the build \
                 can't follow it; copy what it points to into the context, or name a path inside it"
            ),
            EntryError::Directory => format!(
                "{what} is a directory in the {source}; a layer must be a single file: \
                 list its files as separate layers or pack it into a tar first"
            ),
            EntryError::Irregular => format!(
                "{what} is not a regular file in the {source}; a layer must be a regular file"
            ),
            EntryError::NoMatch => {
                format!("{what}: no files match {:?} in the {source}", r.path)
            }
            // Found reading the input (a pipe in a directory, an
            // unreadable file): the input's problem, named by its file.
            EntryError::Io { .. } | EntryError::NotUtf8 { .. } => {
                format!("{what}: can't be packed: {e}")
            }
            // Something still writes to it: said as the gateway path says it.
            EntryError::Changed(changed) => format!("{what}: {changed}"),
        };
        self.error_at(r.lines, message)
    }

    /// Every blob to produce, with a label for messages: per manifest, the
    /// config file (if any) first, then the layers in order.
    pub fn requests(&self) -> Vec<(String, &BlobRequest)> {
        let many = self.manifests.len() > 1;
        self.manifests
            .iter()
            .flat_map(|m| {
                let prefix = match (&m.platform, many) {
                    (Some(p), true) => format!("{}/{}: ", p.os(), p.architecture()),
                    _ => String::new(),
                };
                let config = match &m.config {
                    ConfigSource::File(b) => Some((format!("{prefix}config ({:?})", b.given), b)),
                    ConfigSource::Inline(_) | ConfigSource::Model => None,
                };
                let layers = m.layers.iter().enumerate().map(move |(i, l)| {
                    let label = match &l.label {
                        Some(label) => format!("{prefix}{label}"),
                        // Users count layers from 1.
                        None => format!("{prefix}layer {} ({:?})", i + 1, l.blob.given),
                    };
                    (label, &l.blob)
                });
                config.into_iter().chain(layers).collect::<Vec<_>>()
            })
            .collect()
    }
}
