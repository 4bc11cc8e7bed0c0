//! Pushing an OCI image layout: which entries go under which tags, and the
//! order that keeps a registry consistent at every step (blobs before the
//! manifest naming them, children before their index, a subject before
//! its referrers).
//!
//! Manifests and indexes go as the layout's bytes with their media type,
//! so the registry's digests are the layout's. A blob the registry has is
//! not sent (HEAD first), nor is a manifest it has by digest, with all it
//! reaches. Referrers (manifests with a `subject`) are pushed after their
//! subject; where the registry has no referrers API (distribution 2.x, the
//! registry Debian ships, answers 404), the OCI 1.1 fallback is written as
//! well: the index tagged `sha256-<hex of subject>`, merged with what the
//! tag already lists, so `oras discover` finds them on any registry.
//! oci-client only reads that fallback; writing it is ours.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::session::Session;
use super::upload;

/// `index.json`'s tag annotation.
pub(super) const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The OCI index media type.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// Media types a manifest GET accepts.
pub(super) const MANIFEST_TYPES: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";
/// Largest manifest read from the layout (registries take 4 MiB).
pub(super) const MAX_MANIFEST: u64 = 4 << 20;

/// An OCI descriptor, as much of it as a push needs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Its media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Bytes.
    pub size: u64,
    /// The artifact type, where given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Its annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A manifest or index (of the layout, or pulled), read.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Doc {
    /// Its own media type, where it says.
    #[serde(default)]
    pub(super) media_type: Option<String>,
    #[serde(default)]
    pub(super) manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub(super) config: Option<Descriptor>,
    #[serde(default)]
    pub(super) layers: Vec<Descriptor>,
    #[serde(default)]
    pub(super) blobs: Vec<Descriptor>,
    #[serde(default)]
    subject: Option<Descriptor>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// One line of the push's outcome.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pushed {
    /// `registry/repository:tag` or `…@sha256:…`.
    pub reference: String,
    /// The manifest's digest.
    pub digest: String,
}

/// What a push did, for the build log and the tests.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Outcome {
    /// Tags (and referrers by digest) written.
    pub pushed: Vec<Pushed>,
    /// Blobs sent.
    pub sent: u32,
    /// Blobs the registry had.
    pub present: u32,
    /// Blobs mounted from another repository of the registry.
    #[serde(default)]
    pub mounted: u32,
    /// Bytes sent.
    pub bytes: u64,
}

/// The layout being pushed.
struct Layout {
    root: PathBuf,
}

impl Layout {
    fn blob(&self, d: &Descriptor) -> Result<PathBuf, String> {
        let hex = d
            .digest
            .strip_prefix("sha256:")
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                format!(
                    "the layout names a blob {:?} that is not sha256:<hex>",
                    d.digest
                )
            })?;
        Ok(self.root.join("blobs/sha256").join(hex))
    }

    /// A manifest's bytes, checked against its descriptor.
    fn manifest(&self, d: &Descriptor) -> Result<(Vec<u8>, Doc), String> {
        let path = self.blob(d)?;
        let bytes = read_bounded(&path, MAX_MANIFEST)
            .map_err(|e| format!("reading manifest {} of the layout: {e}", d.digest))?;
        let got = crate::digest::Digest::of(&bytes).to_string();
        if got != d.digest || bytes.len() as u64 != d.size {
            return Err(format!(
                "manifest {} of the layout is damaged: its bytes hash to {got} ({} bytes, {} named)",
                d.digest,
                bytes.len(),
                d.size
            ));
        }
        let doc = serde_json::from_slice(&bytes)
            .map_err(|e| format!("manifest {} of the layout is not JSON: {e}", d.digest))?;
        Ok((bytes, doc))
    }
}

fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut v = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut v)?;
    Ok(v)
}

/// Pushes the layout at `root` to the session's repository: under the
/// target's tag (the output's one top-level entry), or each tagged entry
/// of `index.json` under its own tag.
pub async fn layout(s: &Session, root: &Path, mount_from: &[String]) -> Result<Outcome, String> {
    let layout = Layout {
        root: root.to_path_buf(),
    };
    let index_bytes = read_bounded(&root.join("index.json"), MAX_MANIFEST)
        .map_err(|e| format!("reading the layout's index.json: {e}"))?;
    let index: Doc = serde_json::from_slice(&index_bytes)
        .map_err(|e| format!("the layout's index.json is not JSON: {e}"))?;
    let entries = index.manifests.unwrap_or_default();
    let mut referrers = Vec::new();
    let mut children = BTreeSet::new();
    for e in &entries {
        let (_, doc) = layout.manifest(e)?;
        if doc.subject.is_some() {
            referrers.push(e.clone());
        }
        children.extend(
            doc.manifests
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.digest),
        );
    }
    let roots = roots(s, &entries, &referrers, &children)?;
    let mut p = Pusher {
        s,
        layout: &layout,
        mount_from,
        done: BTreeSet::new(),
        out: Outcome::default(),
    };
    for (tag, d) in &roots {
        p.manifest(d, Some(tag)).await?;
        p.out.pushed.push(Pushed {
            reference: format!("{}/{}:{tag}", s.target.registry, s.target.repository),
            digest: d.digest.clone(),
        });
    }
    // Referrers of what went, after it: the subject exists when they come.
    let mut by_subject: BTreeMap<String, Vec<Descriptor>> = BTreeMap::new();
    for r in &referrers {
        let (_, doc) = layout.manifest(r)?;
        let Some(subject) = doc.subject else { continue };
        if !p.done.contains(&subject.digest) {
            continue;
        }
        if !p.done.contains(&r.digest) {
            p.manifest(r, None).await?;
            p.out.pushed.push(Pushed {
                reference: format!("{}/{}@{}", s.target.registry, s.target.repository, r.digest),
                digest: r.digest.clone(),
            });
        }
        let mut entry = r.clone();
        entry.annotations = doc.annotations.clone();
        entry.annotations.remove(REF_NAME);
        entry.artifact_type = doc
            .artifact_type
            .clone()
            .or_else(|| doc.config.as_ref().map(|c| c.media_type.clone()));
        by_subject.entry(subject.digest).or_default().push(entry);
    }
    if !by_subject.is_empty()
        && !has_referrers_api(s, by_subject.keys().next().map_or("", |k| k)).await?
    {
        for (subject, refs) in &by_subject {
            fallback_tag(s, subject, refs).await?;
        }
    }
    Ok(p.out)
}

/// What goes under which tag.
fn roots(
    s: &Session,
    entries: &[Descriptor],
    referrers: &[Descriptor],
    children: &BTreeSet<String>,
) -> Result<Vec<(String, Descriptor)>, String> {
    let t = &s.target;
    if let Some(tag) = &t.tag {
        // The top: what no other entry reaches, and no referrer.
        let mut top: Vec<&Descriptor> = Vec::new();
        for e in entries {
            let under =
                children.contains(&e.digest) || referrers.iter().any(|r| r.digest == e.digest);
            if !under && !top.iter().any(|x| x.digest == e.digest) {
                top.push(e);
            }
        }
        return match top.as_slice() {
            [one] => Ok(vec![(tag.clone(), (*one).clone())]),
            [] => Err("the output's index.json lists nothing to push".to_string()),
            many => Err(format!(
                "artifact.push names tag {tag:?}, but the output has {} top-level entries: {}; \
                 push without a tag (each entry goes under its own TAG or artifact.tag), or \
                 build one entry (an INDEX over them, say)",
                many.len(),
                many.iter()
                    .map(|d| describe(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        };
    }
    let tagged: Vec<(String, Descriptor)> = entries
        .iter()
        .filter_map(|e| Some((e.annotations.get(REF_NAME)?.clone(), e.clone())))
        .collect();
    if tagged.is_empty() {
        return Err(format!(
            "artifact.push={t} names no tag and the output has none: add one \
             (artifact.push={t}:<tag>), or tag the output (TAG in the file, or \
             artifact.tag=<tag>)"
        ));
    }
    Ok(tagged)
}

/// An entry of `index.json`, for a message.
fn describe(d: &Descriptor) -> String {
    let what = d.artifact_type.as_deref().unwrap_or(&d.media_type);
    match d.annotations.get(REF_NAME) {
        Some(tag) => format!("{} (tag {tag}, {what})", d.digest),
        None => format!("{} ({what})", d.digest),
    }
}

struct Pusher<'a> {
    s: &'a Session,
    layout: &'a Layout,
    /// Repositories of the same registry a blob may be mounted from.
    mount_from: &'a [String],
    /// Digests of blobs and manifests the registry has now.
    done: BTreeSet<String>,
    out: Outcome,
}

impl Pusher<'_> {
    /// Pushes manifest (or index) `d` with everything it reaches, by
    /// digest, or under `tag`.
    async fn manifest(&mut self, d: &Descriptor, tag: Option<&str>) -> Result<(), String> {
        let (bytes, doc) = self.layout.manifest(d)?;
        if !self.done.contains(&d.digest) && !self.has_manifest(&d.digest).await? {
            for child in doc.manifests.iter().flatten() {
                Box::pin(self.manifest(child, None)).await?;
            }
            let blobs = doc.config.iter().chain(&doc.layers).chain(&doc.blobs);
            for b in blobs {
                self.blob(b).await?;
            }
            self.put(&d.digest, &d.media_type, &bytes).await?;
            eprintln!("manifest {} ({})", d.digest, d.media_type);
        }
        self.done.insert(d.digest.clone());
        if let Some(tag) = tag {
            self.put(tag, &d.media_type, &bytes).await?;
            eprintln!(
                "tagged {}/{}:{tag} -> {}",
                self.s.target.registry, self.s.target.repository, d.digest
            );
        }
        Ok(())
    }

    /// Whether the registry has manifest `digest` (then it has all it
    /// reaches: a registry refuses a manifest whose blobs it lacks).
    async fn has_manifest(&self, digest: &str) -> Result<bool, String> {
        let url = self.s.url(&format!("manifests/{digest}"));
        let what = format!("a HEAD of manifest {digest}");
        let r = self
            .s
            .send(&what, |c| c.head(&url).header(ACCEPT, MANIFEST_TYPES))
            .await?;
        match r.status() {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            status => Err(self.s.refused(status, &what, "")),
        }
    }

    /// Puts manifest `bytes` under `reference` (a tag or its digest).
    async fn put(&self, reference: &str, media_type: &str, bytes: &[u8]) -> Result<(), String> {
        put_manifest(self.s, reference, media_type, bytes).await
    }

    /// Sends blob `d` unless the registry has it.
    async fn blob(&mut self, d: &Descriptor) -> Result<(), String> {
        if self.done.contains(&d.digest) {
            return Ok(());
        }
        let path = self.layout.blob(d)?;
        let reference = self.s.target.with_digest(&d.digest);
        let present = self
            .s
            .oci()
            .blob_exists(&reference, &d.digest)
            .await
            .map_err(|e| {
                self.s
                    .explain_oci(&e, &format!("a HEAD of blob {}", d.digest))
            })?;
        if present {
            eprintln!("blob {} ({}): present, not sent", d.digest, size(d.size));
            self.out.present += 1;
        } else if let Some(from) = self.mount(d).await {
            eprintln!("blob {} ({}): mounted from {from}", d.digest, size(d.size));
            self.out.mounted += 1;
        } else {
            let meta = std::fs::metadata(&path)
                .map_err(|e| format!("blob {} is not in the layout: {e}", d.digest))?;
            if meta.len() != d.size {
                return Err(format!(
                    "blob {} of the layout is damaged: {} bytes where {} are named",
                    d.digest,
                    meta.len(),
                    d.size
                ));
            }
            let sent = upload::blob(self.s, &d.digest, &path, d.size).await?;
            let rate = sent.bytes as f64 / 1048576.0 / sent.seconds.max(1e-6);
            let resumed = match sent.resumed {
                0 => String::new(),
                n => format!(", resumed {n} time(s)"),
            };
            eprintln!(
                "blob {} ({}): sent in {:.2}s ({rate:.1} MiB/s{resumed})",
                d.digest,
                size(d.size),
                sent.seconds
            );
            self.out.sent += 1;
            self.out.bytes += sent.bytes;
        }
        self.done.insert(d.digest.clone());
        Ok(())
    }
}

impl Pusher<'_> {
    /// Mounts blob `d` from the first repository of `mount_from` that has
    /// it; which one, or `None`.
    ///
    /// oci-client's `mount_blob`: a registry that cannot mount answers 202
    /// and an upload, which it reports as an error, so any error here only
    /// means "send it". Its token is scoped to the target repository, so a
    /// token registry that wants pull rights on the source refuses too.
    async fn mount(&self, d: &Descriptor) -> Option<String> {
        let target = self.s.target.with_digest(&d.digest);
        for repo in self.mount_from {
            let from = oci_client::Reference::with_digest(
                self.s.target.registry.clone(),
                repo.clone(),
                d.digest.clone(),
            );
            match self.s.oci().mount_blob(&target, &from, &d.digest).await {
                Ok(()) => return Some(repo.clone()),
                Err(e) => tracing::debug!("mounting {} from {repo}: {e}", d.digest),
            }
        }
        None
    }
}

/// `n` bytes, for people.
fn size(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.2} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / 1048576.0),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}

/// Puts manifest `bytes` (of `media_type`) under `reference`.
///
/// Ours, not oci-client's `push_manifest_raw`: that one, for a registry
/// that answers without a `Location` (ECR), rebuilds the URL assuming a
/// tag and panics on a digest.
async fn put_manifest(
    s: &Session,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) -> Result<(), String> {
    let url = s.url(&format!("manifests/{reference}"));
    let what = format!("the manifest put as {reference}");
    let r = s
        .send(&what, |c| {
            c.put(&url)
                .header(CONTENT_TYPE, media_type)
                .body(bytes.to_vec())
        })
        .await?;
    if r.status() != StatusCode::CREATED && r.status() != StatusCode::OK {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        return Err(s.refused(status, &what, &body));
    }
    Ok(())
}

/// Whether the registry serves the referrers API (a 404 says it does not:
/// the spec's signal for the tag fallback).
async fn has_referrers_api(s: &Session, subject: &str) -> Result<bool, String> {
    let url = s.url(&format!("referrers/{subject}"));
    let what = format!("the referrers of {subject}");
    let r = s
        .send(&what, |c| c.get(&url).header(ACCEPT, INDEX_MEDIA_TYPE))
        .await?;
    match r.status() {
        StatusCode::OK => Ok(true),
        StatusCode::NOT_FOUND => Ok(false),
        status => Err(s.refused(status, &what, "")),
    }
}

/// Writes the fallback tag of `subject`: the index there, plus `refs`.
async fn fallback_tag(s: &Session, subject: &str, refs: &[Descriptor]) -> Result<(), String> {
    let tag = subject.replacen(':', "-", 1);
    let url = s.url(&format!("manifests/{tag}"));
    let what = format!("the referrers tag {tag}");
    let r = s
        .send(&what, |c| c.get(&url).header(ACCEPT, INDEX_MEDIA_TYPE))
        .await?;
    let mut index: Value = match r.status() {
        StatusCode::OK => {
            let body = r.bytes().await.map_err(|e| s.explain_http(&e, &what))?;
            serde_json::from_slice(&body)
                .map_err(|e| format!("registry {}: {what} is not JSON: {e}", s.target.registry))?
        }
        StatusCode::NOT_FOUND => serde_json::json!({
            "schemaVersion": 2,
            "mediaType": INDEX_MEDIA_TYPE,
            "manifests": [],
        }),
        status => return Err(s.refused(status, &what, "")),
    };
    let list = index
        .get_mut("manifests")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| format!("registry {}: {what} is not an index", s.target.registry))?;
    let before = list.len();
    for d in refs {
        if !list
            .iter()
            .any(|m| m.get("digest").and_then(Value::as_str) == Some(&d.digest))
        {
            list.push(serde_json::to_value(d).map_err(|e| e.to_string())?);
        }
    }
    if list.len() == before {
        return Ok(());
    }
    let bytes = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
    put_manifest(s, &tag, INDEX_MEDIA_TYPE, &bytes).await?;
    eprintln!("referrers of {subject}: tag {tag} written (the registry has no referrers API)");
    Ok(())
}
