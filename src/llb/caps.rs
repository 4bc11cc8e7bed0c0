//! LLB capability ids, spelled as BuildKit's `solver/pb/caps.go` spells
//! them. An op records the caps it needs in its metadata as it is built;
//! buildkitd refuses a definition naming a cap it lacks, and the gateway
//! client checks them against `Ping` first so the error can name the cap.

/// `docker-image://` sources.
pub const SOURCE_IMAGE: &str = "source.image";
/// `local://` sources.
pub const SOURCE_LOCAL: &str = "source.local";
/// `local.unique`.
pub const SOURCE_LOCAL_UNIQUE: &str = "source.local.unique";
/// `local.session`.
pub const SOURCE_LOCAL_SESSION_ID: &str = "source.local.sessionid";
/// `local.includepattern`.
pub const SOURCE_LOCAL_INCLUDE_PATTERNS: &str = "source.local.includepatterns";
/// `local.followpaths`.
pub const SOURCE_LOCAL_FOLLOW_PATHS: &str = "source.local.followpaths";
/// `local.excludepatterns`.
pub const SOURCE_LOCAL_EXCLUDE_PATTERNS: &str = "source.local.excludepatterns";
/// `local.sharedkeyhint`.
pub const SOURCE_LOCAL_SHARED_KEY_HINT: &str = "source.local.sharedkeyhint";
/// `git://` sources.
pub const SOURCE_GIT: &str = "source.git";
/// `git.keepgitdir`.
pub const SOURCE_GIT_KEEP_GIT_DIR: &str = "source.git.keepgitdir";
/// `git.fullurl`.
pub const SOURCE_GIT_FULL_URL: &str = "source.git.fullurl";
/// `https://` sources.
pub const SOURCE_HTTP: &str = "source.http";
/// `http.checksum`.
pub const SOURCE_HTTP_CHECKSUM: &str = "source.http.checksum";
/// `http.perm`.
pub const SOURCE_HTTP_PERM: &str = "source.http.perm";
/// `http.uid`/`http.gid`. "soruce" is BuildKit's own spelling of this id,
/// frozen on the wire; spelled right, a daemon would not know it.
pub const SOURCE_HTTP_UID_GID: &str = "soruce.http.uidgid";
/// `build` sources' `llbfilename`.
pub const SOURCE_BUILD_LLB_FILENAME: &str = "source.buildop.llbfilename";
/// ExecOp.
pub const EXEC_META_BASE: &str = "exec.meta.base";
/// Proxy environment of an exec.
pub const EXEC_META_PROXY_ENV: &str = "exec.meta.proxyenv";
/// An exec's network mode (we ask for none).
pub const EXEC_META_NETWORK: &str = "exec.meta.network";
/// Bind mounts of an exec.
pub const EXEC_MOUNT_BIND: &str = "exec.mount.bind";
/// Cache mounts.
pub const EXEC_MOUNT_CACHE: &str = "exec.mount.cache";
/// Cache mount sharing modes.
pub const EXEC_MOUNT_CACHE_SHARING: &str = "exec.mount.cache.sharing";
/// A mount of one path of its input (`Mount.selector`).
pub const EXEC_MOUNT_SELECTOR: &str = "exec.mount.selector";
/// tmpfs mounts.
pub const EXEC_MOUNT_TMPFS: &str = "exec.mount.tmpfs";
/// Secret mounts.
pub const EXEC_MOUNT_SECRET: &str = "exec.mount.secret";
/// SSH agent mounts.
pub const EXEC_MOUNT_SSH: &str = "exec.mount.ssh";
/// An exec's cgroup parent.
pub const EXEC_CGROUP: &str = "exec.cgroup";
/// FileOp.
pub const FILE_BASE: &str = "file.base";
/// MergeOp.
pub const MERGE_OP: &str = "mergeop";
/// Op descriptions (`llb.customname`).
pub const META_DESCRIPTION: &str = "meta.description";
/// `ignore_cache` (`--no-cache`).
pub const META_IGNORE_CACHE: &str = "meta.ignorecache";
/// `export_cache`.
pub const META_EXPORT_CACHE: &str = "meta.exportcache";
