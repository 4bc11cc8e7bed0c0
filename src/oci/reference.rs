//! Registry references, read by the distribution grammar. Where
//! `artifact.push` sends the layout ([`Target`]):
//! `<registry>/<repository>[:<tag>]`, with Helm's and Flux's `oci://` in
//! front accepted; and what `FROM oci://…` pulls ([`Origin`]), a tag or a
//! digest, read here so that the Artifactfile parser refuses a bad one at
//! its line and the worker reads it the same way.
//!
//! For the push: The name is read by
//! the distribution reference grammar oci-client uses (a first component
//! without `.`, `:` or `localhost` is a Docker Hub repository, as Docker
//! reads it), and a digest is refused: a push names where to put a tag, the
//! digest is what the layout already says.

use std::fmt;

use oci_client::Reference;

/// A parsed push target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The registry host, with its port when given (`docker.io` for Docker
    /// Hub).
    pub registry: String,
    /// The repository inside it (`library/x` for a bare Hub name).
    pub repository: String,
    /// The tag, when the option names one.
    pub tag: Option<String>,
}

/// The prefix Helm, Flux and ORAS put in front of a registry reference.
pub const OCI_SCHEME: &str = "oci://";

impl Target {
    /// Reads `s` (the value of `key`, for messages).
    pub fn parse(key: &str, s: &str) -> Result<Target, String> {
        let bare = s.trim().strip_prefix(OCI_SCHEME).unwrap_or(s.trim());
        let usage =
            "write <registry>/<repository>[:<tag>], e.g. registry.example.com/models/tiny:v1";
        if bare.is_empty() {
            return Err(format!("{key} is empty: {usage}"));
        }
        if bare.contains('@') {
            return Err(format!(
                "{key}={s:?} names a digest: a push gives a tag (or none, to push the output's \
                 own tags); {usage}"
            ));
        }
        if bare.contains("://") {
            return Err(format!(
                "{key}={s:?} is not a registry reference: only {OCI_SCHEME} may come before the \
                 registry; {usage}"
            ));
        }
        // Whether the text itself ends in a tag: oci-client fills in
        // `latest` when there is none, and "no tag" means something here.
        let last = bare.rsplit('/').next().unwrap_or(bare);
        let tagged = last.contains(':');
        let r: Reference = bare
            .parse()
            .map_err(|e| format!("{key}={s:?} is not a registry reference ({e}); {usage}"))?;
        Ok(Target {
            registry: r.registry().to_string(),
            repository: r.repository().to_string(),
            tag: if tagged {
                r.tag().map(str::to_string)
            } else {
                None
            },
        })
    }

    /// The host:port requests go to (`index.docker.io` for Docker Hub, as
    /// Docker sends them).
    pub fn api_host(&self) -> &str {
        if self.registry == "docker.io" {
            "index.docker.io"
        } else {
            &self.registry
        }
    }

    /// The reference of `tag` in this repository.
    pub fn with_tag(&self, tag: &str) -> Reference {
        Reference::with_tag(
            self.registry.clone(),
            self.repository.clone(),
            tag.to_string(),
        )
    }

    /// The reference of `digest` in this repository.
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference::with_digest(
            self.registry.clone(),
            self.repository.clone(),
            digest.to_string(),
        )
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        Ok(())
    }
}

/// What a pull names (`FROM oci://…` in an Artifactfile): a repository of
/// a registry and a tag, a digest, or both (the digest then decides and
/// the tag only names the entry). The registry must be written: a bare
/// `busybox` would silently mean Docker Hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The repository, and the tag when one is written.
    pub target: Target,
    /// `sha256:<hex>`, when written.
    pub digest: Option<String>,
}

impl Origin {
    /// Reads `s`, with or without `oci://` in front.
    pub fn parse(s: &str) -> Result<Origin, String> {
        let bare = s.trim().strip_prefix(OCI_SCHEME).unwrap_or(s.trim());
        let usage = "write oci://<registry>/<repository>(:<tag>|@sha256:<hex>), e.g. \
                     oci://registry.example.com/models/base:v1";
        if bare.is_empty() {
            return Err(format!("{OCI_SCHEME} names no registry reference: {usage}"));
        }
        if bare.contains("://") {
            return Err(format!("{s:?} is not a registry reference: {usage}"));
        }
        let (name, digest) = match bare.split_once('@') {
            None => (bare, None),
            Some((name, d)) => {
                if d.parse::<crate::digest::Digest>().is_err() {
                    return Err(format!(
                        "{s:?}: {d:?} is not a digest (sha256:<64 lowercase hex digits>); {usage}"
                    ));
                }
                (name, Some(d.to_string()))
            }
        };
        let first = name.split('/').next().unwrap_or_default();
        let has_registry = name.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        if !has_registry {
            return Err(format!(
                "{s:?} names no registry: {usage} (Docker Hub is docker.io/library/<name>)"
            ));
        }
        let last = name.rsplit('/').next().unwrap_or(name);
        let tagged = last.contains(':');
        if !tagged && digest.is_none() {
            return Err(format!(
                "{s:?} names neither a tag nor a digest: {usage} (a missing tag is not taken to \
                 mean latest: say which)"
            ));
        }
        let r: Reference = name
            .parse()
            .map_err(|e| format!("{s:?} is not a registry reference ({e}); {usage}"))?;
        Ok(Origin {
            target: Target {
                registry: r.registry().to_string(),
                repository: r.repository().to_string(),
                tag: if tagged {
                    r.tag().map(str::to_string)
                } else {
                    None
                },
            },
            digest,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.target)?;
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;
