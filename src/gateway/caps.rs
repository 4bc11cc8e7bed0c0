//! Capability negotiation: what the daemon says it supports in `Ping`.

use std::collections::BTreeSet;

use crate::proto::apicaps::ApiCap;

/// Gateway API caps implemented before caps existed. Frozen by BuildKit;
/// assumed when `Ping` reports none (a daemon older than caps).
const DEFAULT_GATEWAY_CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "readfile",
];

/// LLB caps implemented before caps existed (frozen, as above).
const DEFAULT_LLB_CAPS: &[&str] = &[
    "source.image",
    "source.local",
    "source.local.unique",
    "source.local.sessionid",
    "source.local.includepatterns",
    "source.local.followpaths",
    "source.local.excludepatterns",
    "source.local.sharedkeyhint",
    "source.git",
    "source.git.keepgitdir",
    "source.git.fullurl",
    "source.http",
    "source.http.checksum",
    "source.http.perm",
    "soruce.http.uidgid",
    "source.buildop.llbfilename",
    "exec.meta.base",
    "exec.meta.proxyenv",
    "exec.mount.bind",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.selector",
    "exec.mount.tmpfs",
    "exec.mount.secret",
    "exec.mount.ssh",
    "exec.cgroup",
    "meta.description",
    "meta.ignorecache",
    "meta.exportcache",
];

/// The enabled caps of a daemon.
#[derive(Clone, Debug, Default)]
pub struct Caps {
    gateway: BTreeSet<String>,
    llb: BTreeSet<String>,
}

/// A cap the daemon lacks, with what needed it.
#[derive(Debug, thiserror::Error)]
#[error(
    "this BuildKit does not support {kind} capability {cap:?}, needed to {purpose}; \
     upgrade buildkitd (or Docker) to a newer release"
)]
pub struct MissingCap {
    /// "gateway" or "LLB".
    pub kind: &'static str,
    /// The cap id.
    pub cap: String,
    /// What we wanted it for.
    pub purpose: String,
}

impl Caps {
    /// Caps from a `Ping` response, falling back to BuildKit's frozen
    /// defaults for a list the daemon left empty.
    pub fn from_pong(gateway: &[ApiCap], llb: &[ApiCap]) -> Caps {
        fn enabled(list: &[ApiCap], defaults: &[&str]) -> BTreeSet<String> {
            if list.is_empty() {
                return defaults.iter().map(|s| s.to_string()).collect();
            }
            list.iter()
                .filter(|c| c.enabled)
                .map(|c| c.id.clone())
                .collect()
        }
        Caps {
            gateway: enabled(gateway, DEFAULT_GATEWAY_CAPS),
            llb: enabled(llb, DEFAULT_LLB_CAPS),
        }
    }

    /// Whether gateway cap `id` is enabled.
    pub fn has_gateway(&self, id: &str) -> bool {
        self.gateway.contains(id)
    }

    /// Whether LLB cap `id` is enabled.
    pub fn has_llb(&self, id: &str) -> bool {
        self.llb.contains(id)
    }

    /// Fails unless gateway cap `id` is enabled.
    pub fn require_gateway(&self, id: &str, purpose: &str) -> Result<(), MissingCap> {
        if self.has_gateway(id) {
            return Ok(());
        }
        Err(MissingCap {
            kind: "gateway",
            cap: id.to_string(),
            purpose: purpose.to_string(),
        })
    }

    /// Fails unless every LLB cap in `ids` is enabled.
    pub fn require_llb<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
        purpose: &str,
    ) -> Result<(), MissingCap> {
        match ids.into_iter().find(|id| !self.has_llb(id)) {
            None => Ok(()),
            Some(id) => Err(MissingCap {
                kind: "LLB",
                cap: id.clone(),
                purpose: purpose.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(id: &str, enabled: bool) -> ApiCap {
        ApiCap {
            id: id.into(),
            enabled,
            ..Default::default()
        }
    }

    #[test]
    fn empty_lists_fall_back_to_frozen_defaults() {
        let c = Caps::from_pong(&[], &[]);
        assert!(c.has_gateway("readfile"));
        assert!(!c.has_gateway("statfile"));
        assert!(c.has_llb("source.local"));
        assert!(!c.has_llb("file.base"));
    }

    #[test]
    fn disabled_caps_are_missing_and_named() {
        let c = Caps::from_pong(
            &[cap("solve.base", true), cap("statfile", false)],
            &[cap("file.base", true)],
        );
        assert!(c.require_gateway("solve.base", "x").is_ok());
        let err = c
            .require_gateway("statfile", "check layer files")
            .unwrap_err();
        assert!(err.to_string().contains("\"statfile\""), "{err}");
        assert!(err.to_string().contains("check layer files"), "{err}");
        assert!(c.require_llb(&["file.base".to_string()], "x").is_ok());
    }
}
