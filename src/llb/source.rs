//! Source ops: where files enter the graph (`local://`, `docker-image://`).

use std::collections::BTreeMap;

use crate::digest::Digest;
use crate::proto::pb;

use super::CUSTOM_NAME;
use super::caps as cap;
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
    caps.insert(cap::SOURCE_LOCAL.to_string(), true);
    // Without a session id BuildKit uses any session of the build. (Go then
    // adds a random `local.unique`; we don't, so the op stays deterministic.)
    if !opts.session_id.is_empty() {
        attrs.insert("local.session".into(), opts.session_id.clone());
        caps.insert(cap::SOURCE_LOCAL_SESSION_ID.into(), true);
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
        cap::SOURCE_LOCAL_FOLLOW_PATHS,
        &opts.follow_paths,
    );
    json_list(
        "local.includepattern",
        cap::SOURCE_LOCAL_INCLUDE_PATTERNS,
        &opts.include_patterns,
    );
    json_list(
        "local.excludepatterns",
        cap::SOURCE_LOCAL_EXCLUDE_PATTERNS,
        &opts.exclude_patterns,
    );
    if !opts.shared_key_hint.is_empty() {
        attrs.insert("local.sharedkeyhint".into(), opts.shared_key_hint.clone());
        caps.insert(cap::SOURCE_LOCAL_SHARED_KEY_HINT.into(), true);
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
/// [`ImageRef::parse`] accepts what BuildKit accepts: the grammar of Go's
/// `github.com/distribution/reference` (`reference.go`, `regexp.go`) as
/// `ParseNormalizedNamed` applies it (`normalize.go`), so a reference
/// BuildKit would refuse is refused here, where it can be pointed at.
/// Digests are narrower: `sha256:<64 hex digits>` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef(String);

/// distribution/reference's `RepositoryNameTotalLengthMax`.
const MAX_PATH: usize = 255;

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
        if reference.len() == 64
            && reference
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(bad(
                "64 hex digits name an image ID, not a repository".into()
            ));
        }
        let (name, digest) = match reference.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (reference, None),
        };
        if let Some(d) = digest
            && d.parse::<Digest>().is_err()
        {
            return Err(bad(
                "the digest after '@' must be sha256:<64 lowercase hex digits>".into(),
            ));
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
            return Err(bad(format!(
                "repository name ({}) must be lowercase",
                clip(path)
            )));
        }
        if path.is_empty() || path.split('/').any(str::is_empty) {
            return Err(bad("the repository name is empty".into()));
        }
        if let Some(tag) = tag
            && !is_tag(tag)
        {
            return Err(bad(format!(
                "the tag {:?} is not valid: up to 128 letters, digits, _ . -, not \
                 starting with . or -",
                clip(tag)
            )));
        }
        if !is_path(path) {
            return Err(bad(format!(
                "the repository name {:?} is not valid: components of lowercase letters \
                 and digits, split by /, with . _ __ or dashes inside",
                clip(path)
            )));
        }
        // The grammar's domain is optional: a first component that is no
        // host (`my_registry.io`) still matches as part of the path.
        let path_len = if is_domain(domain) {
            path.len()
        } else if is_path(domain) {
            domain.len() + 1 + path.len()
        } else {
            return Err(bad(format!(
                "the registry {:?} is not valid: a host name or [IPv6] address, \
                 then :port in digits",
                clip(domain)
            )));
        };
        if path_len > MAX_PATH {
            return Err(bad(format!(
                "the repository name is longer than {MAX_PATH} characters"
            )));
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

/// `part` of a reference for a message, cut short if long: references come
/// from users and can be huge.
fn clip(part: &str) -> String {
    const MAX_CHARS: usize = 60;
    match part.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", part.get(..cut).unwrap_or_default()),
        None => part.to_string(),
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

/// The grammar's `domain`: `host [":" port-number]`, the host being
/// domain-components split by dots, or an IPv6 address in brackets.
fn is_domain(domain: &str) -> bool {
    let (host_ok, after) = match domain.strip_prefix('[') {
        // `\[(?:[a-fA-F0-9:]+)\]`
        Some(v6) => match v6.split_once(']') {
            Some((addr, after)) => {
                let hex_or_colon = |b: u8| b == b':' || b.is_ascii_hexdigit();
                (!addr.is_empty() && addr.bytes().all(hex_or_colon), after)
            }
            None => return false,
        },
        None => {
            let (host, after) = domain.split_at(domain.find(':').unwrap_or(domain.len()));
            (host.split('.').all(is_domain_component), after)
        }
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    host_ok && (after.is_empty() || after.strip_prefix(':').is_some_and(digits))
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`: upper case is
/// allowed here, and only here before the tag.
fn is_domain_component(c: &str) -> bool {
    let ends = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric());
    ends(c.bytes().next())
        && ends(c.bytes().last())
        && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The grammar's `path`: path-components split by `/`, each runs of
/// `[a-z0-9]` joined by one separator: `.`, `_`, `__` or dashes.
fn is_path(path: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    path.split('/').all(|component| {
        let mut rest = component.as_bytes();
        loop {
            let run = rest.iter().take_while(|b| alnum(b)).count();
            if run == 0 {
                return false;
            }
            rest = &rest[run..];
            if rest.is_empty() {
                return true;
            }
            let sep = rest.iter().take_while(|b| !alnum(b)).count();
            let (separator, after) = rest.split_at(sep);
            let ok =
                matches!(separator, b"." | b"_" | b"__") || separator.iter().all(|&b| b == b'-');
            if !ok {
                return false;
            }
            rest = after;
        }
    })
}

/// The grammar's `tag`: `[\w][\w.-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    tag.len() <= 128
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// A `docker-image://` source for `platform` (the worker's default when
/// `None`).
pub fn image(reference: &ImageRef, platform: Option<pb::Platform>) -> State {
    let mut caps = BTreeMap::new();
    caps.insert(cap::SOURCE_IMAGE.to_string(), true);
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
