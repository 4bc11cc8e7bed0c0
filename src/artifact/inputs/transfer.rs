//! Which paths of a client's local directory travel, within what the
//! client takes, and so that what a build names arrives as BuildKit users
//! expect: a named symlink with its target.
//!
//! BuildKit sends a local source's follow paths, include patterns and
//! exclude patterns to the client in the headers of one gRPC call
//! (`session/filesync`), and today's clients refuse a few hundred of them
//! (buildctl 0.32 and buildx 0.36 answer 490 and fail at 500: "431 Request
//! Header Fields Too Large", or PROTOCOL_ERROR). So every pattern that
//! travels counts: the `.dockerignore` file's, the ones we add, the follow
//! paths. A list of paths too long for what is left is sent by directory.
//!
//! The client (fsutil's `FollowLinks`) follows links only along the follow
//! paths it is given, and expands a wildcard only in a path's last
//! component. So a directory is sent as `dir/*`, which makes the client
//! follow the links directly in it: a named file one level below the cut is
//! followed as if it were named. Named paths deeper below a cut are listed
//! in [`Cut::unfollowed`]: after the transfer, those that are links to
//! something the cut did not send are found by listing their directories,
//! and their targets are sent too ([`missing_targets`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::blobtool::quote;
use crate::gateway::{Gateway, SolvedRef};

use crate::artifact::path;

use super::lookup::MODE_SYMLINK;

/// Most patterns one local source carries, follow paths and exclude
/// patterns together: today's clients take 490.
pub const MAX_PATTERNS: usize = 400;
/// Most follow paths among them: a longer list is sent by directory.
pub const MAX_FOLLOW_PATHS: usize = 100;
/// Most bytes of them all, each counting [`HEADER_OVERHEAD`] more.
pub const MAX_PATTERN_BYTES: usize = 64 << 10;
/// What HTTP/2 counts for each header field beyond its bytes.
const HEADER_OVERHEAD: usize = 32;
/// Most directories listed to find named links a cut does not follow.
const MAX_LISTED_DIRS: usize = 2_000;

/// What a pattern costs in the request headers.
fn cost(pattern: &str) -> usize {
    pattern.len() + HEADER_OVERHEAD
}

/// What follow paths may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Most of them.
    pub patterns: usize,
    /// Most bytes of them, header overhead included.
    pub bytes: usize,
}

impl Budget {
    /// What is left for follow paths beside `exclude`, which travel too;
    /// `None` when nothing is (the user's ignore file alone fills the
    /// budget): then no follow path is sent, and the whole directory less
    /// what is excluded travels, as `docker build` sends a context.
    pub fn beside(exclude: &[String]) -> Option<Budget> {
        let used: usize = exclude.iter().map(|p| cost(p)).sum();
        let patterns = MAX_PATTERNS
            .checked_sub(exclude.len())?
            .min(MAX_FOLLOW_PATHS);
        let bytes = MAX_PATTERN_BYTES.checked_sub(used)?;
        (patterns > 0).then_some(Budget { patterns, bytes })
    }

    fn fits(&self, patterns: &[String]) -> bool {
        patterns.len() <= self.patterns
            && patterns.iter().map(|p| cost(p)).sum::<usize>() <= self.bytes
    }
}

/// What of a local directory is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cut {
    /// The follow paths (patterns, quoted); `None`: everything.
    pub follow: Option<Vec<String>>,
    /// Named paths sent as they are named (unquoted).
    pub named: Vec<String>,
    /// Directories sent whole (`dir/*`) that the build did not name;
    /// `[""]` when everything is sent because the list did not fit.
    pub whole: Vec<String>,
    /// Named paths two levels or more below the directory they are sent
    /// with: the client does not follow them if they are links.
    pub unfollowed: Vec<String>,
}

impl Cut {
    /// Everything, because the list did not fit.
    fn everything() -> Cut {
        Cut {
            whole: vec![String::new()],
            ..Cut::default()
        }
    }

    /// Whether `path` is sent (as far as names tell; a link on its way is
    /// not looked at).
    pub fn sends(&self, path: &str) -> bool {
        self.follow.is_none()
            || self.whole.iter().any(|d| under(path, d))
            || self.named.iter().any(|n| n == path || under(path, n))
    }
}

/// Whether `path` is strictly below directory `dir` (`""`: the root).
pub fn under(path: &str, dir: &str) -> bool {
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The directory `path` is in (`""`: the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// What transfers `paths` within `budget` (`None`: no room, everything):
/// the paths themselves, else each cut to its first directories, a level
/// fewer at a time, as `dir/*`, else everything (10,000 files at the top
/// have no directory to share). A named path stays a follow path of its
/// own unless the directory it is in is sent as `dir/*` (which follows it
/// too), so a named link is followed even inside a named directory.
pub fn cut(paths: &[String], budget: Option<Budget>) -> Cut {
    let Some(budget) = budget else {
        return Cut::everything();
    };
    let depth = paths
        .iter()
        .map(|p| p.split('/').count())
        .max()
        .unwrap_or(0);
    for keep in (1..=depth).rev() {
        let mut named = BTreeSet::new();
        let mut whole = BTreeSet::new();
        let mut unfollowed = Vec::new();
        for p in paths {
            let parts: Vec<&str> = p.split('/').collect();
            if parts.len() <= keep {
                named.insert(p.clone());
                continue;
            }
            whole.insert(parts[..keep].join("/"));
            if parts.len() > keep + 1 {
                unfollowed.push(p.clone());
            }
        }
        named.retain(|p| !whole.contains(p) && !whole.contains(parent(p)));
        let mut follow: Vec<String> = named
            .iter()
            .map(|p| quote(p))
            .chain(whole.iter().map(|d| format!("{}/*", quote(d))))
            .collect();
        if budget.fits(&follow) {
            follow.sort();
            unfollowed.sort();
            unfollowed.dedup();
            return Cut {
                follow: Some(follow),
                named: named.into_iter().collect(),
                whole: whole.into_iter().collect(),
                unfollowed,
            };
        }
    }
    Cut::everything()
}

/// Where a link at `link` pointing at `target` leads, relative to the
/// root; `None` out of it (absolute, or above it), where the build would
/// not follow it anyway.
pub fn link_target(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let joined = path::clean(&format!("{}/{target}", parent(link)));
    (joined != "." && joined != ".." && !joined.starts_with("../")).then_some(joined)
}

/// The targets of the links among `cut`'s unfollowed paths in `r` (the
/// transfer, solved) that the cut did not send: its parent directories
/// listed, at most [`MAX_LISTED_DIRS`] of them. A directory that does not
/// list has nothing to find (a missing path is reported where it is read).
pub async fn missing_targets<G: Gateway>(gw: &G, r: &SolvedRef, cut: &Cut) -> Vec<String> {
    let mut by_dir: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in &cut.unfollowed {
        let (dir, name) = p.rsplit_once('/').unwrap_or(("", p));
        by_dir.entry(dir).or_default().insert(name);
    }
    let mut targets = BTreeSet::new();
    for (dir, names) in by_dir.into_iter().take(MAX_LISTED_DIRS) {
        let Ok(entries) = gw.read_dir(r, &format!("/{dir}"), "").await else {
            continue;
        };
        for e in entries {
            if e.mode & MODE_SYMLINK == 0 || !names.contains(e.path.as_str()) {
                continue;
            }
            let link = format!("{dir}/{}", e.path);
            match link_target(&link, &e.linkname) {
                Some(t) if !cut.sends(&t) => {
                    targets.insert(t);
                }
                _ => {}
            }
        }
    }
    targets.into_iter().collect()
}

#[cfg(test)]
#[path = "transfer_tests.rs"]
mod tests;
