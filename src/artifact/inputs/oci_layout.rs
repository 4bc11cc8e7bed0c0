//! OCI image layouts as inputs: a source whose root holds `oci-layout` and
//! `index.json` (a `--build-context base=./out` directory, a bake target's
//! output, a `FROM` build's result). BuildKit's own image source would
//! unpack a layout into a filesystem and can't read an artifact at all, so
//! we read the layout ourselves, through the gateway: `index.json` to pick
//! an entry, then the manifests and indexes it reaches (small JSON
//! documents, checked against their digests as they are read). The blobs
//! they reach (configs, layers) are not read here: the blobs stage copies
//! them, checking each against its digest on the way.
//!
//! Every path read is `blobs/sha256/<hex>` of a digest we parsed, so
//! nothing outside the layout's `blobs/` is named, and links resolve
//! inside the input's root as everywhere else.

use std::collections::BTreeSet;

use oci_spec::image::Descriptor;
use serde::Deserialize;

use crate::artifactfile::Pick;
use crate::digest::Digest;
use crate::gateway::{Gateway, SolvedRef, UserError};
use crate::oci::{Blob, REF_NAME};

use crate::artifact::error::{Context as _, Error, Result};

use super::lookup::{self, Found};

/// Largest `index.json`, manifest or index we read.
const MAX_DOCUMENT: u64 = 4 << 20;
/// Most documents one entry may reach (an index of indexes...).
const MAX_DOCUMENTS: usize = 10_000;

/// OCI's and Docker's manifest media types.
const MANIFESTS: [&str; 2] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// OCI's and Docker's index media types.
const INDEXES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// What a descriptor of `media` names, with its article, for "... is X,
/// not a manifest" (a media type starts with any letter: "an
/// application/...", "a text/...").
fn what_is(media: &str) -> String {
    match media {
        _ if INDEXES.contains(&media) => format!("an image index ({media})"),
        _ => format!("a blob of media type {media}"),
    }
}

/// A layout opened: its name (for messages), where it is, and its
/// `index.json` entries.
pub struct LayoutInput {
    /// What the Artifactfile calls it.
    pub name: String,
    /// Its input, solved.
    pub root: SolvedRef,
    /// The entries of its `index.json`, in order.
    pub entries: Vec<Descriptor>,
}

/// `index.json` as far as we read it.
#[derive(Deserialize)]
struct IndexJson {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// A manifest or an index, as far as we follow it.
#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// What an entry reaches.
#[derive(Default)]
pub struct Reached {
    /// The manifests and indexes, with their bytes (checked).
    pub documents: Vec<Blob>,
    /// Every other blob (configs, layers), each once, in the order met.
    pub blobs: Vec<Descriptor>,
}

/// The path of blob `d` in a layout.
pub fn blob_path(d: &Digest) -> String {
    format!("blobs/sha256/{}", d.hex())
}

/// A descriptor's digest as ours (oci-spec checks less).
pub fn digest_of(d: &Descriptor) -> Result<Digest, UserError> {
    d.digest()
        .to_string()
        .parse()
        .map_err(|e| UserError::new(format!("a descriptor's digest: {e}")))
}

impl LayoutInput {
    /// Opens the layout at the root of `root` (the input `describe`d).
    pub async fn open<G: Gateway>(
        gw: &G,
        name: &str,
        root: SolvedRef,
        describe: &str,
    ) -> Result<LayoutInput> {
        let not_a_layout = |missing: &str| {
            UserError::new(format!(
                "{name} ({describe}) is not an OCI image layout: it has no {missing} at its \
                 root; give the directory a build wrote with -o type=local (it holds \
                 oci-layout, index.json and blobs/)"
            ))
        };
        for file in ["oci-layout", "index.json"] {
            match lookup::stat(gw, &root, file, describe).await? {
                Found::LinkOutside { link, target } => {
                    let why = lookup::link_outside(name, &link, &target, describe);
                    return Err(UserError::new(why).into());
                }
                found => {
                    if found.regular_file().is_none() {
                        return Err(not_a_layout(file).into());
                    }
                }
            }
        }
        let raw = gw
            .read_all(&root, "index.json", MAX_DOCUMENT)
            .await
            .with_context(|| format!("reading index.json of {name}"))?;
        let index: IndexJson = serde_json::from_slice(&raw).map_err(|e| {
            UserError::new(format!("{name}: index.json is not an OCI image index: {e}"))
        })?;
        for d in &index.manifests {
            digest_of(d)
                .map_err(|e| UserError::new(format!("{name}: index.json: {}", e.message)))?;
        }
        Ok(LayoutInput {
            name: name.to_string(),
            root,
            entries: index.manifests,
        })
    }

    /// The tags of its entries, for messages.
    fn tags(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|d| d.annotations().as_ref()?.get(REF_NAME).cloned())
            .collect()
    }

    /// What `pick` picks of its entries.
    pub fn pick(&self, pick: &Pick) -> Result<Vec<Descriptor>, UserError> {
        let tags = self.tags();
        let listed = || {
            if tags.is_empty() {
                format!("it has {} untagged entries", self.entries.len())
            } else {
                format!("its tags: {}", tags.join(", "))
            }
        };
        let name = &self.name;
        match pick {
            Pick::Only => match self.entries.as_slice() {
                [one] => Ok(vec![one.clone()]),
                [] => Err(UserError::new(format!(
                    "{name} has no entry in its index.json"
                ))),
                _ => Err(UserError::new(format!(
                    "{name} has {} entries in its index.json; pick one with {name}:<tag> or \
                     {name}@sha256:<hex> ({})",
                    self.entries.len(),
                    listed()
                ))),
            },
            Pick::Tag(tag) => {
                let found: Vec<Descriptor> = self
                    .entries
                    .iter()
                    .filter(|d| d.annotations().as_ref().and_then(|a| a.get(REF_NAME)) == Some(tag))
                    .cloned()
                    .collect();
                match found.len() {
                    0 => Err(UserError::new(format!(
                        "{name} has no tag {tag:?} ({}{})",
                        listed(),
                        crate::suggest::did_you_mean(
                            tag,
                            &tags.iter().map(String::as_str).collect::<Vec<_>>()
                        )
                    ))),
                    _ => Ok(found[..1].to_vec()),
                }
            }
            Pick::Digest(digest) => self
                .entries
                .iter()
                .find(|d| digest_of(d).is_ok_and(|e| &e == digest))
                .map(|d| vec![d.clone()])
                .ok_or_else(|| {
                    UserError::new(format!("{name} has no entry {digest} ({})", listed()))
                }),
        }
    }

    /// The bytes of document `d` (a manifest or an index), checked against
    /// its digest and size.
    pub async fn document<G: Gateway>(&self, gw: &G, d: &Descriptor) -> Result<Vec<u8>> {
        let digest = digest_of(d)?;
        let path = blob_path(&digest);
        let name = &self.name;
        let found = lookup::stat(gw, &self.root, &path, name).await?;
        let Some(stat) = found.regular_file() else {
            return Err(UserError::new(format!(
                "{name}: blob {digest} is missing (its index names it): the layout is incomplete; \
                 copy or build it again"
            ))
            .into());
        };
        let data = gw
            .read_stated(&self.root, &path, &stat, MAX_DOCUMENT)
            .await
            .with_context(|| format!("reading blob {digest} of {name}"))?;
        let got = Digest::of(&data);
        if got != digest || data.len() as u64 != d.size() {
            return Err(UserError::new(format!(
                "{name}: blob {digest} does not match its descriptor: {} bytes hashing to {got}, \
                 where {} bytes were named; the layout is damaged: copy or build it again",
                data.len(),
                d.size()
            ))
            .into());
        }
        Ok(data)
    }

    /// Everything `top` reaches: the documents (itself, and for an index
    /// its children, recursively) and the blobs they name.
    pub async fn reach<G: Gateway>(&self, gw: &G, top: &Descriptor) -> Result<Reached> {
        let mut out = Reached::default();
        let mut seen: BTreeSet<Digest> = BTreeSet::new();
        let mut pending = vec![top.clone()];
        while let Some(d) = pending.pop() {
            let digest = digest_of(&d)?;
            if !seen.insert(digest.clone()) {
                continue;
            }
            let media = d.media_type().to_string();
            if !MANIFESTS.contains(&media.as_str()) && !INDEXES.contains(&media.as_str()) {
                out.blobs.push(d);
                continue;
            }
            if out.documents.len() >= MAX_DOCUMENTS {
                return Err(Error::from(UserError::new(format!(
                    "{}: more than {MAX_DOCUMENTS} manifests and indexes under one entry",
                    self.name
                ))));
            }
            let data = self.document(gw, &d).await?;
            let doc: Document = serde_json::from_slice(&data).map_err(|e| {
                UserError::new(format!(
                    "{}: {media} {digest} does not parse: {e}",
                    self.name
                ))
            })?;
            // Children in order: pushed reversed, popped in order.
            let children = doc
                .config
                .into_iter()
                .chain(doc.layers)
                .chain(doc.manifests);
            let children: Vec<Descriptor> = children.collect();
            pending.extend(children.into_iter().rev());
            out.documents.push(Blob::new(data));
        }
        Ok(out)
    }

    /// The layers of manifest `d`, in order, and its config's descriptor.
    pub async fn layers<G: Gateway>(
        &self,
        gw: &G,
        d: &Descriptor,
    ) -> Result<(Vec<Descriptor>, Descriptor)> {
        let media = d.media_type().to_string();
        if !MANIFESTS.contains(&media.as_str()) {
            return Err(UserError::new(format!(
                "{}: {} is {}, not a manifest: LAYERS takes the layers of one manifest \
                 (pick a platform's manifest by its digest)",
                self.name,
                d.digest(),
                what_is(&media)
            ))
            .into());
        }
        let data = self.document(gw, d).await?;
        let doc: Document = serde_json::from_slice(&data).map_err(|e| {
            UserError::new(format!(
                "{}: manifest {} does not parse: {e}",
                self.name,
                d.digest()
            ))
        })?;
        let config = doc.config.ok_or_else(|| {
            UserError::new(format!(
                "{}: manifest {} has no config",
                self.name,
                d.digest()
            ))
        })?;
        Ok((doc.layers, config))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_a_descriptor_names_takes_the_right_article() {
        assert_eq!(
            super::what_is("application/vnd.oci.image.index.v1+json"),
            "an image index (application/vnd.oci.image.index.v1+json)"
        );
        assert_eq!(
            super::what_is("application/vnd.example.thing"),
            "a blob of media type application/vnd.example.thing"
        );
    }
}
