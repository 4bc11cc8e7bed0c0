//! Source ops: where files enter the graph (`local://`, `docker-image://`).

use std::collections::BTreeMap;

use crate::proto::pb;

use super::CUSTOM_NAME;
use super::state::{LlbError, State};

/// Options for a `local://` source: a directory the client shares with the
/// build session (`buildctl --local NAME=DIR`, docker's build context).
#[derive(Clone, Debug, Default)]
pub struct LocalOptions {
    /// Session that owns the directory (`local.session`). Empty means any
    /// session of the build.
    pub session_id: String,
    /// Only transfer these paths, following symlinks (`local.followpaths`).
    pub follow_paths: Vec<String>,
    /// Only transfer paths matching these patterns (`local.includepattern`).
    pub include_patterns: Vec<String>,
    /// Skip paths matching these patterns (`local.excludepatterns`).
    pub exclude_patterns: Vec<String>,
    /// Cache key hint shared across builds (`local.sharedkeyhint`).
    pub shared_key_hint: String,
    /// Name shown in progress output.
    pub custom_name: String,
}

/// A `local://NAME` source.
pub fn local(name: &str, opts: &LocalOptions) -> State {
    let mut attrs = BTreeMap::new();
    let mut caps = BTreeMap::new();
    caps.insert("source.local".to_string(), true);
    // Without a session id BuildKit uses any session of the build. (Go then
    // adds a random `local.unique`; we don't, so the op stays deterministic.)
    if !opts.session_id.is_empty() {
        attrs.insert("local.session".into(), opts.session_id.clone());
        caps.insert("source.local.sessionid".into(), true);
    }
    let mut json_list = |key: &str, cap: &str, v: &[String]| {
        if !v.is_empty() {
            // A Vec<String> always serializes.
            let encoded = serde_json::to_string(v).unwrap_or_default();
            attrs.insert(key.to_string(), encoded);
            caps.insert(cap.to_string(), true);
        }
    };
    json_list(
        "local.followpaths",
        "source.local.followpaths",
        &opts.follow_paths,
    );
    json_list(
        "local.includepattern",
        "source.local.includepatterns",
        &opts.include_patterns,
    );
    json_list(
        "local.excludepatterns",
        "source.local.excludepatterns",
        &opts.exclude_patterns,
    );
    if !opts.shared_key_hint.is_empty() {
        attrs.insert("local.sharedkeyhint".into(), opts.shared_key_hint.clone());
        caps.insert("source.local.sharedkeyhint".into(), true);
    }
    let name_shown = if opts.custom_name.is_empty() {
        format!("local://{name}")
    } else {
        opts.custom_name.clone()
    };
    source_op(format!("local://{name}"), attrs, caps, name_shown, None)
}

/// A normalized image reference: `alpine` is `docker.io/library/alpine:latest`,
/// as in Go's reference parsing, so two spellings of one image are one vertex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef(String);

impl ImageRef {
    /// Parses and normalizes `reference`.
    pub fn parse(reference: &str) -> Result<ImageRef, LlbError> {
        let bad = |reason: &str| LlbError::InvalidImageRef {
            reference: reference.to_string(),
            reason: reason.to_string(),
        };
        if reference.is_empty() {
            return Err(bad("it is empty"));
        }
        if reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("it contains whitespace"));
        }
        let (name, digest) = match reference.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (reference, None),
        };
        if let Some(d) = digest {
            let ok = d
                .strip_prefix("sha256:")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                return Err(bad("the digest after '@' must be sha256:<64 hex digits>"));
            }
        }
        let (host, rest) = match name.split_once('/') {
            Some((h, r)) if h.contains('.') || h.contains(':') || h == "localhost" => {
                (h.to_string(), r.to_string())
            }
            Some(_) => ("docker.io".to_string(), name.to_string()),
            None => ("docker.io".to_string(), format!("library/{name}")),
        };
        let last = rest.rsplit('/').next().unwrap_or_default();
        let has_tag = last.contains(':');
        if rest.is_empty() || last.is_empty() || last.starts_with(':') {
            return Err(bad("the repository name is empty"));
        }
        if rest != rest.to_ascii_lowercase() && !has_tag {
            return Err(bad("repository names must be lowercase"));
        }
        let mut out = format!("{host}/{rest}");
        if !has_tag && digest.is_none() {
            out.push_str(":latest");
        }
        if let Some(d) = digest {
            out.push('@');
            out.push_str(d);
        }
        Ok(ImageRef(out))
    }

    /// The normalized reference.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `docker-image://` source for `platform` (the worker's default when
/// `None`).
pub fn image(reference: &ImageRef, platform: Option<pb::Platform>) -> State {
    let mut caps = BTreeMap::new();
    caps.insert("source.image".to_string(), true);
    source_op(
        format!("docker-image://{reference}"),
        BTreeMap::new(),
        caps,
        format!("docker-image://{reference}"),
        platform,
    )
}

fn source_op(
    identifier: String,
    attrs: BTreeMap<String, String>,
    caps: BTreeMap<String, bool>,
    name: String,
    platform: Option<pb::Platform>,
) -> State {
    let op = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp { identifier, attrs })),
        platform,
        ..Default::default()
    };
    let mut description = BTreeMap::new();
    description.insert(CUSTOM_NAME.to_string(), name);
    let metadata = pb::OpMetadata {
        description,
        caps,
        ..Default::default()
    };
    State::from_op(&op, &[], metadata, 0)
}
