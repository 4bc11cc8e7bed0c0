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
///
/// [`ImageRef::parse`] splits off the registry and checks case as Go's
/// `github.com/distribution/reference` does in `ParseNormalizedNamed`
/// (`normalize.go`), so a name BuildKit would refuse for its case is
/// refused here, where it can be pointed at. Digests are narrower:
/// `sha256:<64 hex digits>` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef(String);

impl ImageRef {
    /// Parses and normalizes `reference`.
    pub fn parse(reference: &str) -> Result<ImageRef, LlbError> {
        let bad = |reason: String| LlbError::InvalidImageRef {
            reference: reference.to_string(),
            reason,
        };
        if reference.is_empty() {
            return Err(bad("it is empty".into()));
        }
        if reference
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(bad("it contains whitespace".into()));
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
                return Err(bad(
                    "the digest after '@' must be sha256:<64 hex digits>".into()
                ));
            }
        }
        let (domain, remainder) = split_docker_domain(name);
        let (path, tag) = match remainder.split_once(':') {
            Some((p, t)) => (p, Some(t)),
            None => (remainder.as_str(), None),
        };
        // normalize.go's ParseNormalizedNamed, before any other check:
        // the path (the remainder up to a ':') must be lowercase, whatever
        // the tag or digest. Upper case is allowed in the registry
        // (regexp.go: domainNameComponent is `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`)
        // and in the tag (`[\w][\w.-]{0,127}`), nowhere else.
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad(format!("repository name ({path}) must be lowercase")));
        }
        if path.is_empty() || path.split('/').any(str::is_empty) {
            return Err(bad("the repository name is empty".into()));
        }
        let mut out = format!("{domain}/{remainder}");
        if tag.is_none() && digest.is_none() {
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

/// distribution/reference's `splitDockerDomain`: the registry and the rest
/// (path, then `:tag` if any). The first component is the registry if it
/// is `localhost`, has a `.` or `:`, or has upper case (a path may not);
/// else the registry is `docker.io`, where a one-component path gets
/// `library/` (`alpine` is `docker.io/library/alpine`).
fn split_docker_domain(name: &str) -> (&str, String) {
    const DEFAULT: &str = "docker.io";
    let (domain, rest) = match name.split_once('/') {
        None => return (DEFAULT, format!("library/{name}")),
        Some(("index.docker.io", rest)) => (DEFAULT, rest),
        Some((first, rest))
            if first == "localhost"
                || first.contains(['.', ':'])
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        Some(_) => (DEFAULT, name),
    };
    if domain == DEFAULT && !rest.contains('/') {
        return (domain, format!("library/{rest}"));
    }
    (domain, rest.to_string())
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

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
