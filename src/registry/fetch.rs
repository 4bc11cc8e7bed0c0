//! Fetching a manifest or index, with everything it reaches, into an OCI
//! image layout: every child of an index (all platforms), every config,
//! layer and blob, byte for byte. Each document and blob is checked
//! against its descriptor as it is read: a blob is hashed while it is
//! written to a file of its own, a size past the descriptor's stops the
//! read, and a digest that does not match is refused, naming both. Only
//! then does the file get its name under `blobs/sha256/`.
//!
//! The layout's `index.json` has one entry, the descriptor pulled, with
//! the tag as `org.opencontainers.image.ref.name` when one was given.
//! Redirects to blob storage (Docker Hub's, S3's) are followed by reqwest,
//! which drops our `Authorization` on the way to another host.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::push::{Descriptor, INDEX_MEDIA_TYPE, REF_NAME};
use super::resolve;
use super::session::{ATTEMPTS, Session, backoff};

/// What a fetch wrote.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Fetched {
    /// The descriptor `index.json` lists.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Manifests and indexes written.
    pub manifests: u32,
    /// Other blobs written.
    pub blobs: u32,
    /// Bytes of those blobs.
    pub bytes: u64,
}

/// The `index.json` written.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Index<'a> {
    schema_version: u32,
    media_type: &'a str,
    manifests: [&'a Descriptor; 1],
}

/// Fetches `digest` of the session's repository, and all it reaches, into
/// a layout at `out`; the entry is tagged `tag` when given.
pub async fn layout(
    s: &Session,
    digest: &str,
    tag: Option<&str>,
    out: &Path,
) -> Result<Fetched, String> {
    let blobs = out.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).map_err(|e| format!("creating {}: {e}", blobs.display()))?;
    let mut f = Fetcher {
        s,
        blobs,
        done: BTreeSet::new(),
        out: Fetched::default(),
    };
    let top = f.manifest(digest, None, "the reference").await?;
    let mut entry = top;
    if let Some(tag) = tag {
        entry
            .annotations
            .insert(REF_NAME.to_string(), tag.to_string());
    }
    let index = Index {
        schema_version: 2,
        media_type: INDEX_MEDIA_TYPE,
        manifests: [&entry],
    };
    let json = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
    write(&out.join("index.json"), &json)?;
    write(
        &out.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    f.out.digest = entry.digest.clone();
    f.out.media_type = entry.media_type.clone();
    Ok(f.out)
}

/// Empties `out` after a failed fetch: BuildKit keeps the step's output.
pub fn clear(out: &Path) {
    for name in ["blobs", "index.json", "oci-layout"] {
        let p = out.join(name);
        let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))
}

struct Fetcher<'a> {
    s: &'a Session,
    blobs: PathBuf,
    /// Digests written.
    done: BTreeSet<String>,
    out: Fetched,
}

impl Fetcher<'_> {
    /// Fetches manifest `digest` (as `parent` names it, with the
    /// descriptor `named` gives, if any) and all it reaches; gives its
    /// descriptor.
    async fn manifest(
        &mut self,
        digest: &str,
        named: Option<&Descriptor>,
        parent: &str,
    ) -> Result<Descriptor, String> {
        let hex = sha256_hex(digest)?;
        let (reg, repo) = (&self.s.target.registry, &self.s.target.repository);
        let m = resolve::manifest(self.s, digest).await?.ok_or_else(|| {
            format!(
                "registry {reg} has no manifest {digest} in repository {repo} ({parent} names it)"
            )
        })?;
        let got = crate::digest::Digest::of(&m.bytes).to_string();
        if got != digest {
            return Err(format!(
                "registry {reg} sent manifest {digest} of repository {repo} with bytes that hash \
                 to {got}: refused"
            ));
        }
        let size = m.bytes.len() as u64;
        if let Some(d) = named.filter(|d| d.size != size) {
            return Err(format!(
                "manifest {digest} of repository {repo} at registry {reg} is {size} bytes where \
                 {parent} says {}: refused",
                d.size
            ));
        }
        let descriptor = Descriptor {
            media_type: named.map_or(m.media_type.clone(), |d| d.media_type.clone()),
            digest: digest.to_string(),
            size,
            artifact_type: None,
            annotations: Default::default(),
        };
        if self.done.insert(digest.to_string()) {
            let me = format!("manifest {digest}");
            for child in m.doc.manifests.iter().flatten() {
                Box::pin(self.manifest(&child.digest, Some(child), &me)).await?;
            }
            let blobs = m.doc.config.iter().chain(&m.doc.layers).chain(&m.doc.blobs);
            for b in blobs {
                self.blob(b, &me).await?;
            }
            write(&self.blobs.join(hex), &m.bytes)?;
            self.out.manifests += 1;
        }
        Ok(descriptor)
    }

    /// Fetches blob `d`, which `parent` names, unless it is written.
    async fn blob(&mut self, d: &Descriptor, parent: &str) -> Result<(), String> {
        if self.done.contains(&d.digest) {
            return Ok(());
        }
        let hex = sha256_hex(&d.digest)?;
        let mut attempt = 1;
        loop {
            match self.try_blob(d, &hex, parent).await {
                Ok(()) => break,
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::Passing(e)) if attempt >= ATTEMPTS => return Err(e),
                Err(Failure::Passing(e)) => {
                    tracing::debug!("retrying blob {}: {e}", d.digest);
                    attempt += 1;
                    backoff(attempt).await;
                }
            }
        }
        self.done.insert(d.digest.clone());
        self.out.blobs += 1;
        self.out.bytes += d.size;
        Ok(())
    }

    /// One read of blob `d` into `blobs/sha256/<hex>`, checked as it goes.
    async fn try_blob(&self, d: &Descriptor, hex: &str, parent: &str) -> Result<(), Failure> {
        let (reg, repo) = (&self.s.target.registry, &self.s.target.repository);
        let url = self.s.url(&format!("blobs/{}", d.digest));
        let what = format!("a GET of blob {}", d.digest);
        let mut r = self
            .s
            .send(&what, |c| c.get(&url))
            .await
            .map_err(Failure::Final)?;
        match r.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => {
                return Err(Failure::Final(format!(
                    "registry {reg} has no blob {} in repository {repo}, which {parent} names: \
                     the manifest is there without its blob (pushed incompletely, or the blob \
                     was deleted)",
                    d.digest
                )));
            }
            status => {
                let body = r.text().await.unwrap_or_default();
                return Err(Failure::Final(self.s.refused(status, &what, &body)));
            }
        }
        let partial = self.blobs.join(format!(".partial-{hex}"));
        let mut file = std::fs::File::create(&partial)
            .map_err(|e| Failure::Final(format!("creating {}: {e}", partial.display())))?;
        let mut hasher = Sha256::new();
        let mut read = 0u64;
        loop {
            let chunk = match r.chunk().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => return Err(Failure::Passing(self.s.explain_http(&e, &what))),
            };
            read += chunk.len() as u64;
            if read > d.size {
                return Err(Failure::Final(format!(
                    "blob {} from registry {reg} (repository {repo}) is longer than the {} \
                     bytes {parent} says: refused",
                    d.digest, d.size
                )));
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .map_err(|e| Failure::Final(format!("writing {}: {e}", partial.display())))?;
        }
        if read < d.size {
            return Err(Failure::Passing(format!(
                "blob {} from registry {reg} (repository {repo}) ended after {read} of its {} \
                 bytes",
                d.digest, d.size
            )));
        }
        let got = crate::digest::Digest::from_hasher(hasher).to_string();
        if got != d.digest {
            let _ = std::fs::remove_file(&partial);
            return Err(Failure::Final(format!(
                "blob {} from registry {reg} (repository {repo}) does not match its digest: its \
                 bytes hash to {got}; refused",
                d.digest
            )));
        }
        let dest = self.blobs.join(hex);
        std::fs::rename(&partial, &dest)
            .map_err(|e| Failure::Final(format!("writing {}: {e}", dest.display())))
    }
}

/// Why a read of a blob failed.
enum Failure {
    /// It may pass on another try (the connection dropped).
    Passing(String),
    /// It will not.
    Final(String),
}

/// The file name of a digest a document names; other algorithms are
/// refused (an OCI layout names its blobs by sha256 here).
fn sha256_hex(digest: &str) -> Result<String, String> {
    let d: crate::digest::Digest = digest
        .parse()
        .map_err(|_| format!("{digest:?} is not a sha256 digest this pull can fetch"))?;
    Ok(d.hex().to_string())
}

#[cfg(test)]
#[path = "fetch_tests.rs"]
mod tests;
