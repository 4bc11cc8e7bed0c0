//! [`Plan`]: what to build, whichever way it was asked for (the
//! `containerimage.artifact.*` options, an Artifactfile, a Modelfile or a
//! wrapped build), in one shape the later stages execute.

use std::collections::BTreeMap;

use crate::artifactfile::Lines;
use crate::blobtool::EntryError;
use crate::gateway::UserError;

pub use super::blob_request::{BlobRequest, RequestId};
use super::items::{FixedLayer, IncludePlan, IndexPlan, Node, SubjectPlan};
pub use crate::artifact::inputs::Input;
use crate::artifact::inputs::oci_layout::incomplete;
use crate::artifact::inputs::spec_file::{SpecFile, located};

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
    /// A ModelPack model's config taken from the layout its `LAYERS` came
    /// from, its `modelfs.diffIds` made to cover every layer and its
    /// `createdAt` set from SOURCE_DATE_EPOCH.
    DerivedModel(Box<serde_json::Value>),
}

/// One `LAYER` (a glob may give several layers).
#[derive(Clone, Debug, PartialEq)]
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
    /// Taken from a layout's manifest (`LAYERS`): the descriptor as it is.
    pub fixed: Option<FixedLayer>,
}

impl LayerPlan {
    /// Whether its blob is copied: every layer's is but a
    /// non-distributable one the layout it comes from does not hold.
    pub fn copied(&self) -> bool {
        !self.fixed.as_ref().is_some_and(|f| f.elsewhere)
    }
}

/// Everything needed to build the artifact: usually one manifest, one
/// per platform when a multi-platform build is wrapped.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Where files come from; `BlobRequest::input` indexes this.
    pub inputs: Vec<Input>,
    /// The manifests we write.
    pub manifests: Vec<ManifestPlan>,
    /// Entries taken from OCI layouts unchanged (`INCLUDE`).
    pub includes: Vec<IncludePlan>,
    /// Image indexes we write (`INDEX`).
    pub indexes: Vec<IndexPlan>,
    /// What `index.json` lists, in order; empty: every manifest, in order.
    pub listing: Vec<Node>,
    /// The order to write items in, each after those it refers to; empty:
    /// the manifests in order.
    pub order: Vec<Node>,
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
    /// `AS <id>`, for messages.
    pub id: Option<String>,
    /// `ref.name`s for `index.json` (one descriptor each; none: one
    /// descriptor without).
    pub tags: Vec<String>,
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
    pub subject: Option<SubjectPlan>,
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
    /// Blobs taken from a layout are one request however many items reach
    /// them (a base model's layers in an adapter and in the bundle that
    /// includes the base): copied and checked once.
    pub fn numbered(mut self) -> Plan {
        let mut next = 0u32;
        let mut taken: BTreeMap<(usize, crate::digest::Digest), RequestId> = BTreeMap::new();
        let mut name = |r: &mut BlobRequest| {
            if let Some(e) = &r.expect {
                if let Some(id) = taken.get(&(r.input, e.digest.clone())) {
                    r.id = *id;
                    return;
                }
                taken.insert((r.input, e.digest.clone()), RequestId(next));
            }
            r.id = RequestId(next);
            next += 1;
        };
        for m in &mut self.manifests {
            if let ConfigSource::File(r) = &mut m.config {
                name(r);
            }
            for l in m.layers.iter_mut().filter(|l| l.copied()) {
                name(&mut l.blob);
            }
        }
        for i in &mut self.includes {
            for r in &mut i.blobs {
                name(r);
            }
        }
        self
    }

    /// What `index.json` lists, in order.
    pub fn listing(&self) -> Vec<Node> {
        match self.listing.is_empty() {
            true => (0..self.manifests.len()).map(Node::Manifest).collect(),
            false => self.listing.clone(),
        }
    }

    /// The order to write items in: each after what it refers to.
    pub fn order(&self) -> Vec<Node> {
        match self.order.is_empty() {
            true => (0..self.manifests.len()).map(Node::Manifest).collect(),
            false => self.order.clone(),
        }
    }

    /// Why request `r` (called `what`) gave no blob, for the user: the
    /// message names the request, the path and where it was looked for, and
    /// points at its line of the spec file.
    pub fn explain(&self, what: &str, r: &BlobRequest, e: &EntryError) -> UserError {
        self.explain_near(what, r, e, None)
    }

    /// [`Plan::explain`], with the path of the input that differs from a
    /// missing one only in case (`near`), found by asking the input.
    pub fn explain_near(
        &self,
        what: &str,
        r: &BlobRequest,
        e: &EntryError,
        near: Option<&str>,
    ) -> UserError {
        let source = &self.inputs[r.input].describe;
        let message = match e {
            EntryError::Missing if r.expect.is_some() => incomplete(what, source, &r.path),
            EntryError::Missing => format!(
                "{what} does not exist in the {source}{}; check the path (it is relative to the \
                 input root)",
                near.map(crate::suggest::meant).unwrap_or_default()
            ),
            EntryError::LinkOutside { link, target } => {
                crate::artifact::inputs::lookup::link_outside(what, link, target, source)
            }
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

    /// Every blob to produce, once each, with a label for messages: per
    /// manifest, the config file (if any) first, then the layers in order;
    /// then the blobs of included entries.
    pub fn requests(&self) -> Vec<(String, &BlobRequest)> {
        let many = self.manifests.len() > 1;
        let manifests = self.manifests.iter().flat_map(|m| {
            let prefix = match (&m.platform, &m.id, many) {
                (Some(p), _, true) => format!("{}/{}: ", p.os(), p.architecture()),
                (_, Some(id), _) => format!("artifact {id}: "),
                _ => String::new(),
            };
            let config = match &m.config {
                ConfigSource::File(b) => Some((format!("{prefix}config ({:?})", b.given), b)),
                ConfigSource::Inline(_) | ConfigSource::Model | ConfigSource::DerivedModel(_) => {
                    None
                }
            };
            let copied = m.layers.iter().enumerate().filter(|(_, l)| l.copied());
            let layers = copied.map(move |(i, l)| {
                let label = match (&l.label, &l.blob.expect) {
                    (Some(label), _) => format!("{prefix}{label}"),
                    // Users count layers from 1.
                    (None, Some(e)) => {
                        format!("{prefix}layer {} ({} of {})", i + 1, e.digest, e.layout)
                    }
                    (None, None) => format!("{prefix}layer {} ({:?})", i + 1, l.blob.given),
                };
                (label, &l.blob)
            });
            config.into_iter().chain(layers).collect::<Vec<_>>()
        });
        let included = self.includes.iter().flat_map(|i| {
            i.blobs.iter().map(|b| {
                let label = match &b.expect {
                    Some(e) => format!("blob {} of {}", e.digest, e.layout),
                    None => format!("blob {:?}", b.given),
                };
                (label, b)
            })
        });
        let mut seen = std::collections::BTreeSet::new();
        manifests
            .chain(included)
            .filter(|(_, r)| seen.insert(r.id))
            .collect()
    }
}
