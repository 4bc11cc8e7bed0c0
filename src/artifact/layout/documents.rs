//! From blob digests to the layout's documents: config descriptor, layer
//! descriptors, manifests, `index.json`.
//!
//! The worker writes only blobs, never these: its exec is cached by the
//! inputs' content and the paths asked for, so editing an annotation, a
//! tag or the config re-runs nothing but the small FileOp that writes the
//! documents, not the hash of a 100 GB model.

use std::collections::BTreeMap;

use oci_spec::image::Descriptor;

use crate::artifactfile::Lines;
use crate::blobtool::{BlobReport, Compression, literal_prefix};
use crate::gateway::{MAX_MESSAGE, UserError};
use crate::oci::{
    self, Blob, EMPTY_JSON_MEDIA_TYPE, IndexBuilder, IndexEntry, Layout, ManifestBuilder, TITLE,
};

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::inputs::solve::mib;
use crate::artifact::plan::{
    BlobRequest, ConfigSource, ManifestPlan, Node, Plan, RequestId, SubjectPlan,
};

use super::modelpack;

/// The documents, and the blobs written from bytes (inline configs, the
/// empty layer).
pub struct Documents {
    /// Manifests, indexes, `index.json`, `oci-layout`.
    pub layout: Layout,
    /// Blobs we have the bytes of.
    pub inline: Vec<Blob>,
}

/// The blobs each request of the plan gave.
type Reports = BTreeMap<RequestId, Vec<BlobReport>>;

/// The blobs of a layer that is not copied (one the layout it comes from
/// names but does not hold).
static NONE: Vec<BlobReport> = Vec::new();

/// Metadata oci-spec refuses (a media type or digest it can't take): the
/// one place this message is made.
#[expect(clippy::needless_pass_by_value, reason = "used as map_err(invalid)")]
fn invalid(e: oci_spec::OciSpecError) -> UserError {
    UserError::new(format!("invalid artifact metadata: {e}"))
}

impl Documents {
    /// The documents, given the blobs each request of the plan gave: each
    /// item written after those it refers to (a referrer after its
    /// subject, an index after its members), `index.json` listing them in
    /// the plan's order. A request without an entry is a bug, and an
    /// error, never a layer left out.
    pub fn of(plan: &Plan, blobs: &Reports) -> Result<Documents> {
        let mut inline: Vec<Blob> = Vec::new();
        let mut documents: Vec<Blob> = Vec::new();
        // What each item written so far is, as others point at it.
        let mut written: BTreeMap<Node, Vec<Descriptor>> = BTreeMap::new();
        for node in plan.order() {
            let descriptors = match node {
                Node::Manifest(i) => {
                    let m = &plan.manifests[i];
                    let subject = match &m.subject {
                        None => None,
                        Some(SubjectPlan::Descriptor(d)) => Some((**d).clone()),
                        Some(SubjectPlan::Item(n)) => Some(subject_of(pointers(&written, *n)?)?),
                    };
                    let builder = manifest(plan, m, blobs, subject, &mut inline)?;
                    let blob = builder.build().map_err(invalid)?;
                    let d = builder.descriptor(&blob).map_err(invalid)?;
                    documents.push(blob);
                    vec![d]
                }
                // Its documents are blobs copied from its layout.
                Node::Include(i) => plan.includes[i]
                    .entries
                    .iter()
                    .map(|e| e.descriptor.clone())
                    .collect(),
                Node::Index(i) => {
                    let ix = &plan.indexes[i];
                    let mut manifests = Vec::new();
                    for (member, _) in &ix.members {
                        manifests.extend(pointers(&written, *member)?.iter().cloned());
                    }
                    let (blob, d) = IndexBuilder {
                        artifact_type: Some(ix.artifact_type.clone()),
                        manifests,
                        annotations: ix.annotations.clone(),
                    }
                    .build()
                    .map_err(invalid)?;
                    documents.push(blob);
                    vec![d]
                }
            };
            written.insert(node, descriptors);
        }
        let entries = listing(plan, &written)?;
        let layout = oci::layout(&entries, documents).map_err(invalid)?;
        let docs = Documents { layout, inline };
        docs.within(MAX_WRITTEN)?;
        Ok(docs)
    }

    /// Bytes written from the documents: what the LLB carries.
    fn bytes(&self) -> usize {
        let l = &self.layout;
        let blobs = l.manifests.iter().chain(&self.inline);
        l.index_json.len() + l.oci_layout.len() + blobs.map(|b| b.data.len()).sum::<usize>()
    }

    /// Refuses documents of more than `limit` bytes, saying why and what
    /// to do, before BuildKit refuses the request that would carry them.
    fn within(&self, limit: usize) -> Result<(), UserError> {
        let bytes = self.bytes();
        if bytes <= limit {
            return Ok(());
        }
        Err(UserError::new(format!(
            "the documents this build writes ({} manifest(s) and index(es), {} config(s), \
             index.json) come to {}, over the {} one build may write: they travel in the one \
             request that assembles the layout, and BuildKit takes at most {} in one gRPC \
             message; split the artifacts over several builds (an INCLUDE of an earlier \
             build's layout copies its documents instead of writing them) or give a manifest \
             fewer layers",
            self.layout.manifests.len(),
            self.inline.len(),
            mib(bytes),
            mib(limit),
            mib(MAX_MESSAGE),
        )))
    }
}

/// Most bytes of documents (manifests, indexes, configs, `index.json`)
/// one build writes. They are written from bytes the LLB carries, all in
/// the one Solve request that assembles the layout, and BuildKit refuses a
/// gRPC message over [`MAX_MESSAGE`] (16 MiB); the rest of that request,
/// the ops that copy the blobs, keeps the other 4 MiB. Documents taken
/// from a layout (`INCLUDE`) are copied as blobs and do not count.
pub const MAX_WRITTEN: usize = 12 << 20;

/// The descriptors item `n` was written as.
fn pointers(written: &BTreeMap<Node, Vec<Descriptor>>, n: Node) -> Result<&[Descriptor]> {
    written
        .get(&n)
        .map(Vec::as_slice)
        .with_context(|| format!("{n:?} is referred to before it is written"))
}

/// A subject descriptor: media type, digest and size of the one document
/// an item is (the plan refused an `INCLUDE` of several as a subject).
fn subject_of(ds: &[Descriptor]) -> Result<Descriptor> {
    let [d] = ds else {
        return Err(Error::bug("a subject of more than one document"));
    };
    let digest: crate::digest::Digest = d
        .digest()
        .to_string()
        .parse()
        .map_err(|e| Error::bug(format!("a written digest: {e}")))?;
    Ok(
        oci::descriptor(d.media_type().as_ref(), &digest, d.size(), &BTreeMap::new())
            .map_err(invalid)?,
    )
}

/// `index.json`'s entries, in the plan's order, with their tags; a tag
/// that would name two different documents is refused.
fn listing(plan: &Plan, written: &BTreeMap<Node, Vec<Descriptor>>) -> Result<Vec<IndexEntry>> {
    let mut entries: Vec<IndexEntry> = Vec::new();
    let mut lines: Vec<Option<Lines>> = Vec::new();
    for node in plan.listing() {
        let ds = pointers(written, node)?;
        let (tags, at): (&[String], Option<Lines>) = match node {
            Node::Manifest(i) => (&plan.manifests[i].tags, None),
            Node::Index(i) => (&plan.indexes[i].tags, Some(plan.indexes[i].lines)),
            Node::Include(i) => {
                let inc = &plan.includes[i];
                for e in &inc.entries {
                    entries.push(e.clone());
                    lines.push(Some(inc.lines));
                }
                continue;
            }
        };
        for d in ds {
            entries.push(IndexEntry {
                descriptor: d.clone(),
                tags: tags.to_vec(),
            });
            lines.push(at);
        }
    }
    let mut tagged: BTreeMap<&str, (String, Option<Lines>)> = BTreeMap::new();
    for (e, at) in entries.iter().zip(&lines) {
        let digest = e.descriptor.digest().to_string();
        for tag in &e.tags {
            match tagged.get(tag.as_str()) {
                Some((other, _)) if *other != digest => {
                    return Err(plan
                        .error_at(
                            *at,
                            format!(
                                "tag {tag:?} would name both {other} and {digest} in index.json; \
                                 a tag names one manifest: rename one of them"
                            ),
                        )
                        .into());
                }
                _ => {
                    tagged.insert(tag, (digest.clone(), *at));
                }
            }
        }
    }
    Ok(entries)
}

/// One manifest of the plan, its layers and config from the blobs their
/// requests gave.
fn manifest(
    plan: &Plan,
    m: &ManifestPlan,
    blobs: &Reports,
    subject: Option<Descriptor>,
    inline: &mut Vec<Blob>,
) -> Result<ManifestBuilder> {
    let of = |r: &BlobRequest| {
        blobs
            .get(&r.id)
            .with_context(|| format!("no blobs for request {} ({:?})", r.id, r.given))
    };
    let config_file = match &m.config {
        ConfigSource::File(r) => Some(
            of(r)?
                .first()
                .with_context(|| format!("no blob for the config file {:?}", r.given))?,
        ),
        ConfigSource::Inline(_) | ConfigSource::Model | ConfigSource::DerivedModel(_) => None,
    };
    let layer_blobs = m
        .layers
        .iter()
        .map(|l| match l.copied() {
            true => of(&l.blob),
            false => Ok(&NONE),
        })
        .collect::<Result<Vec<&Vec<BlobReport>>>>()?;
    let (config_bytes, mut layers) = match (&m.model, &m.config) {
        (Some(model), _) => {
            let spec = plan
                .spec_file
                .as_ref()
                .map_or("the Modelfile", |f| f.filename.as_str());
            let built = modelpack::build(model, &layer_blobs, spec, plan.epoch)?;
            (Some(built.config.data), built.layers)
        }
        (None, ConfigSource::DerivedModel(base)) => {
            let layers = plain_layers(plan, m, &layer_blobs)?;
            let layers = modelpack::annotate_new(m, &layer_blobs, layers, plan.epoch)
                .map_err(|why| UserError::new(format!("the extended model's layers: {why}")))?;
            let config = modelpack::extended(base, m, &layer_blobs, plan.epoch)
                .map_err(|why| UserError::new(format!("the extended model's config: {why}")))?;
            (Some(config), layers)
        }
        (None, _) => (None, plain_layers(plan, m, &layer_blobs)?),
    };
    let config = match (&m.config, config_file, config_bytes.as_ref()) {
        (ConfigSource::File(_), Some(b), _) => {
            oci::descriptor(&m.config_media_type, &b.digest, b.size, &BTreeMap::new())
        }
        (ConfigSource::Inline(data), _, _)
        | (ConfigSource::Model | ConfigSource::DerivedModel(_), _, Some(data)) => {
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
        _ => return Err(Error::bug("no config for a manifest")),
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
    Ok(ManifestBuilder {
        artifact_type: m.artifact_type.clone(),
        config,
        layers,
        annotations: m.annotations.clone(),
        subject,
        platform: m.platform.clone(),
    })
}

/// The layers of a manifest that lists them: one descriptor per blob (a
/// glob's matches in order), titled by file name unless told otherwise.
/// A glob's matches that share a file name (`docs/**/README.md`) are
/// titled by their path below the glob's literal prefix instead
/// (`a/README.md`), so a client pulling them writes distinct files.
fn plain_layers(
    plan: &Plan,
    m: &ManifestPlan,
    blobs: &[&Vec<BlobReport>],
) -> Result<Vec<Descriptor>, UserError> {
    let base = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for (l, blobs) in m.layers.iter().zip(blobs) {
        if l.default_title && !l.annotations.contains_key(TITLE) {
            for b in blobs.iter() {
                *names.entry(base(&b.path)).or_default() += 1;
            }
        }
    }
    let mut layers = Vec::new();
    for (i, (l, blobs)) in m.layers.iter().zip(blobs).enumerate() {
        if l.blob.glob && blobs.len() > 1 && l.annotations.contains_key(TITLE) {
            let matched: Vec<&str> = blobs.iter().take(3).map(|b| b.path.as_str()).collect();
            return Err(plan.error_at(
                l.blob.lines,
                format!(
                    "layer {} ({:?}): a title names one file, but the glob matched {} ({}{}); \
                     drop --title (each match is then titled by its file name, or by its path \
                     below {:?} where names repeat), or list the files on LAYER lines of their own",
                    i + 1,
                    l.blob.given,
                    blobs.len(),
                    matched.join(", "),
                    if blobs.len() > 3 { ", ..." } else { "" },
                    literal_prefix(&l.blob.path).0,
                ),
            ));
        }
        if let Some(f) = &l.fixed {
            // Taken from a layout: its descriptor as it was.
            layers.push(f.descriptor.clone());
            continue;
        }
        for b in blobs.iter() {
            let mut annotations = l.annotations.clone();
            if l.default_title && !annotations.contains_key(TITLE) {
                let name = base(&b.path);
                let title = if l.blob.glob && names.get(&name).is_some_and(|n| *n > 1) {
                    below_prefix(&b.path, &l.blob.path)
                } else {
                    name
                };
                annotations.insert(TITLE.to_string(), title);
            }
            if b.dir && l.blob.compression == Compression::Gzip {
                oras_directory(&mut annotations, b);
            }
            layers.push(
                oci::descriptor(&l.media_type, &b.digest, b.size, &annotations).map_err(invalid)?,
            );
        }
    }
    check_titles(m, &layers)?;
    Ok(layers)
}

/// ORAS's directory convention, for a directory packed as a gzip tar: a
/// layer titled by the directory's name and annotated
/// `io.deis.oras.content.unpack: "true"` (with the uncompressed tar's digest
/// as `io.deis.oras.content.digest`) is unpacked by `oras pull` into that
/// directory, where without them it comes down as one tar file. The tar
/// holds the directory under its own name, as ORAS expects; a title the
/// user chose (another name) or annotations they set are left as they are.
fn oras_directory(annotations: &mut BTreeMap<String, String>, b: &BlobReport) {
    let name = b.path.rsplit('/').next().unwrap_or(&b.path);
    let untouched =
        !annotations.contains_key(ORAS_UNPACK) && !annotations.contains_key(ORAS_DIGEST);
    if untouched && annotations.get(TITLE).map(String::as_str) == Some(name) {
        annotations.insert(ORAS_UNPACK.to_string(), "true".to_string());
        annotations.insert(ORAS_DIGEST.to_string(), b.diff_id.to_string());
    }
}

/// ORAS's annotation: unpack this tar+gzip layer into a directory.
const ORAS_UNPACK: &str = "io.deis.oras.content.unpack";
/// ORAS's annotation: the digest of the layer's uncompressed tar.
const ORAS_DIGEST: &str = "io.deis.oras.content.digest";

/// `path` (a match of `pattern`) without the pattern's literal prefix.
fn below_prefix(path: &str, pattern: &str) -> String {
    let (_, skip) = literal_prefix(pattern);
    path.split('/').skip(skip).collect::<Vec<_>>().join("/")
}

/// Two layers with one title would make `oras pull` write one file over
/// the other: refuse, and say how to fix it (only for titles we set from
/// file names; titles the user gave are theirs).
fn check_titles(m: &ManifestPlan, layers: &[Descriptor]) -> Result<(), UserError> {
    if !m.layers.iter().any(|l| l.default_title) {
        return Ok(());
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    // Users count layers from 1.
    for (i, d) in (1..).zip(layers) {
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

#[cfg(test)]
#[path = "documents_tests.rs"]
mod tests;
