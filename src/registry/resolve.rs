//! A tag resolved to the digest it names now: the manifest's bytes are
//! read (a GET, not a HEAD: not every registry sends `Docker-Content-Digest`
//! on a HEAD, and a manifest is small) and hashed here. A tag the registry
//! lacks is answered with the tags it has, or with "no such repository".

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};

use super::push::{Doc, INDEX_MEDIA_TYPE, MANIFEST_TYPES, MAX_MANIFEST};
use super::session::Session;

/// Most tags a message lists.
const MAX_LISTED: usize = 20;
/// The OCI manifest media type, for a document that says none.
const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

/// What a tag names.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Resolved {
    /// `sha256:<hex>` of the manifest's bytes.
    pub digest: String,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size: u64,
}

/// A manifest as the registry sent it.
pub(super) struct Manifest {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its media type: the registry's `Content-Type`, else its own.
    pub media_type: String,
    /// It, read.
    pub doc: Doc,
}

/// The digest `tag` names in the session's repository.
pub async fn tag(s: &Session, tag: &str) -> Result<Resolved, String> {
    let Some(m) = manifest(s, tag).await? else {
        return Err(missing(s, tag).await);
    };
    Ok(Resolved {
        digest: crate::digest::Digest::of(&m.bytes).to_string(),
        media_type: m.media_type,
        size: m.bytes.len() as u64,
    })
}

/// Manifest `reference` (a tag or a digest) of the session's repository;
/// `None` when the registry has none of that name.
pub(super) async fn manifest(s: &Session, reference: &str) -> Result<Option<Manifest>, String> {
    let url = s.url(&format!("manifests/{reference}"));
    let what = format!("a GET of manifest {reference}");
    let r = s
        .send(&what, |c| c.get(&url).header(ACCEPT, MANIFEST_TYPES))
        .await?;
    match r.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND => return Ok(None),
        status => {
            let body = r.text().await.unwrap_or_default();
            return Err(s.refused(status, &what, &body));
        }
    }
    let header_type = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string())
        .filter(|v| v.starts_with("application/vnd."));
    let bytes = bounded_body(s, r, &what).await?;
    let doc: Doc = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "registry {}: manifest {reference} of repository {} is not JSON: {e}",
            s.target.registry, s.target.repository
        )
    })?;
    let media_type = header_type
        .or_else(|| doc.media_type.clone())
        .unwrap_or_else(|| match doc.manifests {
            Some(_) => INDEX_MEDIA_TYPE.to_string(),
            None => MANIFEST_MEDIA_TYPE.to_string(),
        });
    Ok(Some(Manifest {
        bytes,
        media_type,
        doc,
    }))
}

/// The body of `r`, refused past [`MAX_MANIFEST`].
async fn bounded_body(
    s: &Session,
    mut r: reqwest::Response,
    what: &str,
) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = r.chunk().await.map_err(|e| s.explain_http(&e, what))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(format!(
                "registry {}: {what} sent more than {} MiB, more than any manifest",
                s.target.registry,
                MAX_MANIFEST >> 20
            ));
        }
    }
    Ok(bytes)
}

/// The error for `tag`, which the repository lacks: its tags, or that
/// there is no such repository.
pub(super) async fn missing(s: &Session, tag: &str) -> String {
    let (reg, repo) = (&s.target.registry, &s.target.repository);
    let url = s.url("tags/list");
    let what = "the list of tags";
    let listed = match s.send(what, |c| c.get(&url)).await {
        Ok(r) if r.status() == StatusCode::NOT_FOUND => {
            return format!(
                "registry {reg} has no repository {repo} (no such repository; looking for tag \
                 {tag})"
            );
        }
        Ok(r) if r.status().is_success() => r.json::<TagList>().await.ok(),
        _ => None,
    };
    let Some(list) = listed else {
        return format!("registry {reg} has no tag {tag} in repository {repo}");
    };
    let mut tags = list.tags.unwrap_or_default();
    tags.sort();
    if tags.is_empty() {
        return format!(
            "registry {reg} has no tag {tag} in repository {repo}: the repository has no tags"
        );
    }
    let more = match tags.len().saturating_sub(MAX_LISTED) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let listed: Vec<&str> = tags.iter().take(MAX_LISTED).map(String::as_str).collect();
    format!(
        "registry {reg} has no tag {tag} in repository {repo}; its tags: {}{more}",
        listed.join(", ")
    )
}

/// A `tags/list` answer.
#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
}
