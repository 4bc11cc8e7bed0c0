//! Capability negotiation: what the daemon says it supports in `Ping`.

use std::collections::BTreeSet;

use crate::llb::caps::*;
use crate::proto::apicaps::ApiCap;

/// Gateway API capability ids, spelled as BuildKit's
/// `frontend/gateway/pb/caps.go` spells them.
pub mod id {
    /// Solve.
    pub const SOLVE_BASE: &str = "solve.base";
    /// Results returned inline by Solve (before `return`).
    pub const SOLVE_INLINE_RETURN: &str = "solve.inlinereturn";
    /// ResolveImageConfig.
    pub const RESOLVE_IMAGE: &str = "resolveimage";
    /// ReadFile (ranges included).
    pub const READ_FILE: &str = "readfile";
    /// ReadDir.
    pub const READ_DIR: &str = "readdir";
    /// StatFile.
    pub const STAT_FILE: &str = "statfile";
    /// `Ref`/`RefMap` results instead of bare ids.
    pub const PROTO_REF_ARRAY: &str = "proto.refarray";
    /// The Inputs call (definitions the client passed).
    pub const FRONTEND_INPUTS: &str = "frontend.inputs";
    /// Solve's `evaluate`: build now, not on first read.
    pub const SOLVE_EVALUATE: &str = "gateway.solve.evaluate";
    /// The Warn call.
    pub const WARNINGS: &str = "gateway.warnings";
}

/// Gateway API caps implemented before caps existed. Frozen by BuildKit;
/// assumed when `Ping` reports none (a daemon older than caps).
const DEFAULT_GATEWAY_CAPS: &[&str] = &[
    id::SOLVE_BASE,
    id::SOLVE_INLINE_RETURN,
    id::RESOLVE_IMAGE,
    id::READ_FILE,
];

/// LLB caps implemented before caps existed (frozen, as above).
const DEFAULT_LLB_CAPS: &[&str] = &[
    SOURCE_IMAGE,
    SOURCE_LOCAL,
    SOURCE_LOCAL_UNIQUE,
    SOURCE_LOCAL_SESSION_ID,
    SOURCE_LOCAL_INCLUDE_PATTERNS,
    SOURCE_LOCAL_FOLLOW_PATHS,
    SOURCE_LOCAL_EXCLUDE_PATTERNS,
    SOURCE_LOCAL_SHARED_KEY_HINT,
    SOURCE_GIT,
    SOURCE_GIT_KEEP_GIT_DIR,
    SOURCE_GIT_FULL_URL,
    SOURCE_HTTP,
    SOURCE_HTTP_CHECKSUM,
    SOURCE_HTTP_PERM,
    SOURCE_HTTP_UID_GID,
    SOURCE_BUILD_LLB_FILENAME,
    EXEC_META_BASE,
    EXEC_META_PROXY_ENV,
    EXEC_MOUNT_BIND,
    EXEC_MOUNT_CACHE,
    EXEC_MOUNT_CACHE_SHARING,
    EXEC_MOUNT_SELECTOR,
    EXEC_MOUNT_TMPFS,
    EXEC_MOUNT_SECRET,
    EXEC_MOUNT_SSH,
    EXEC_CGROUP,
    META_DESCRIPTION,
    META_IGNORE_CACHE,
    META_EXPORT_CACHE,
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
