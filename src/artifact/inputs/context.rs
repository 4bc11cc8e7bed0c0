//! What of the local build context is left out before it is sent: what
//! `.dockerignore` excludes, and OCI image layouts that globs would
//! otherwise take in.
//!
//! A layout directory in the context is most likely the output of an
//! earlier build (`-o type=local,dest=out` inside the context): packaging
//! it would put the last artifact into the next, and sending it would
//! send a second copy of a model on every build. So when the context's
//! files are named by globs, a small probe first transfers only the
//! `oci-layout` files below the globs' directories, and the directories
//! holding one are excluded from the real transfer, unless a path or a
//! glob's directory of the build is inside them (then they are named).
//!
//! A long list of named paths is sent by directory
//! ([`super::transfer`]), and the directories a cut sends whole are
//! searched the same way before they go, so an old output in one of them
//! stays behind too (unless a named path is in it, or it is in a named
//! directory: a named path is sent as it would be uncut).
//!
//! The probe excludes everything but those files (`**`, then `!`
//! exceptions), as `.dockerignore` files do: include patterns with `**`
//! are not applied by the BuildKit in Docker 20.10, which then sends the
//! whole context (seen: 2 GiB, 16 s, for two `oci-layout` files).

use std::collections::BTreeSet;

use crate::blobtool::{OCI_LAYOUT_FILE, quote};
use crate::gateway::{Gateway, SolvedRef};
use crate::llb::{self, LocalOptions};

use crate::artifact::error::{Context as _, Result};
use crate::artifact::request::Sessions;

use super::ignore::{self, DOCKERIGNORE, Ignore};
use super::lookup::MODE_DIR;
use super::transfer::under;

/// Most directories the probe's result is walked through.
const MAX_PROBE_DIRS: usize = 10_000;
/// Most glob directories searched one by one; beyond, the whole context.
const MAX_SEARCHED: usize = 32;

/// What is left out of the local context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// The ignore file that applies.
    pub ignore: Ignore,
    /// OCI layout directories found below the globs' directories
    /// (relative to the context root, sorted).
    pub layouts: Vec<String>,
    /// OCI layout directories found below directories a cut sends whole.
    pub in_cut: Vec<String>,
    /// The directories searched for layouts (`""`: the whole context).
    pub searched: Vec<String>,
}

impl Filter {
    /// The layouts to leave out when `named` (paths, or globs'
    /// directories, of the build) are sent: those none of them is in or
    /// at, and of the ones found in a cut's directories, also those in no
    /// named directory. Sorted.
    pub fn layouts_to_skip(&self, named: &[String]) -> Vec<String> {
        let in_it = |d: &str| named.iter().any(|n| n == d || under(n, d));
        let in_named = |d: &str| named.iter().any(|n| under(d, n));
        let mut skip: BTreeSet<String> =
            self.layouts.iter().filter(|d| !in_it(d)).cloned().collect();
        skip.extend(
            self.in_cut
                .iter()
                .filter(|d| !in_it(d) && !in_named(d))
                .cloned(),
        );
        skip.into_iter().collect()
    }

    /// Whether the layouts below `dir` were looked for.
    pub fn searched(&self, dir: &str) -> bool {
        self.searched.iter().any(|s| s == dir || under(dir, s))
    }
}

/// What to leave out of the build context: the spec file's own ignore
/// file (`own`) or the context's `.dockerignore`, and with `glob_dirs`
/// (the directories the build's globs start in; `""` is the root) the
/// layouts below them. A context that is a frontend input (bake) was
/// already filtered by the client that made it.
pub async fn filter<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    own: Option<&Ignore>,
    glob_dirs: &[String],
) -> Result<Filter> {
    if gw.inputs().await?.contains_key("context") {
        return Ok(Filter::default());
    }
    let layouts = layout_patterns(glob_dirs);
    let local = match (own.is_none(), layouts.is_empty()) {
        (false, true) => {
            return Ok(Filter {
                ignore: own.cloned().unwrap_or_default(),
                ..Filter::default()
            });
        }
        // Only the ignore file: a follow path, as before.
        (true, true) => LocalOptions {
            follow_paths: vec![quote(DOCKERIGNORE)],
            custom_name: format!("[artifact] load {DOCKERIGNORE}"),
            ..Default::default()
        },
        (read_ignore, false) => {
            let mut exclude = vec!["**".to_string()];
            if read_ignore {
                exclude.push(format!("!{}", quote(DOCKERIGNORE)));
            }
            exclude.extend(layouts.iter().map(|p| format!("!{p}")));
            LocalOptions {
                exclude_patterns: exclude,
                custom_name: format!("[artifact] load {DOCKERIGNORE} and find OCI layouts"),
                ..Default::default()
            }
        }
    };
    let local = LocalOptions {
        session_id: sessions.for_local("context").to_string(),
        shared_key_hint: format!("context-{DOCKERIGNORE}"),
        ..local
    };
    let describe = "build context (local \"context\")";
    let r = gw
        .solve(llb::local("context", &local).marshal().into_pb())
        .await
        .with_context(|| format!("reading {DOCKERIGNORE} from the {describe}"))?;
    let ignore = match own {
        Some(own) => own.clone(),
        None => ignore::read(gw, &r, DOCKERIGNORE, describe)
            .await?
            .unwrap_or_default(),
    };
    let layouts = match glob_dirs.is_empty() {
        true => Vec::new(),
        false => find_layouts(gw, &r).await?,
    };
    Ok(Filter {
        ignore,
        layouts,
        in_cut: Vec::new(),
        searched: searched_by(glob_dirs),
    })
}

/// Searches the directories of `cut` (sent whole by a cut of a long list
/// of paths) that `filter` has not searched yet for OCI layouts, with a
/// probe of their `oci-layout` files alone; what it finds goes to
/// `filter.in_cut`. Whether it searched anything.
pub async fn search_cut<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    filter: &mut Filter,
    cut: &[String],
) -> Result<bool> {
    let dirs: Vec<String> = cut
        .iter()
        .filter(|d| !filter.searched(d))
        .cloned()
        .collect();
    if dirs.is_empty() {
        return Ok(false);
    }
    let mut exclude = vec!["**".to_string()];
    exclude.extend(layout_patterns(&dirs).iter().map(|p| format!("!{p}")));
    let local = LocalOptions {
        session_id: sessions.for_local("context").to_string(),
        shared_key_hint: "context-oci-layouts".to_string(),
        exclude_patterns: exclude,
        custom_name: "[artifact] find OCI layouts in the directories sent whole".to_string(),
        ..Default::default()
    };
    let r = gw
        .solve(llb::local("context", &local).marshal().into_pb())
        .await
        .context("finding OCI layouts in the build context (local \"context\")")?;
    let found = find_layouts(gw, &r).await?;
    filter.in_cut.extend(found);
    filter.in_cut.sort();
    filter.in_cut.dedup();
    filter.searched.extend(searched_by(&dirs));
    Ok(true)
}

/// The directories [`layout_patterns`] of `dirs` search (`""`: all).
fn searched_by(dirs: &[String]) -> Vec<String> {
    match searches_all(dirs) {
        true => vec![String::new()],
        false => dirs.to_vec(),
    }
}

/// Whether the layouts below `dirs` are looked for in the whole context:
/// one of them is its root, or they are too many to name.
fn searches_all(dirs: &[String]) -> bool {
    dirs.len() > MAX_SEARCHED || dirs.iter().any(String::is_empty)
}

/// Patterns matching the `oci-layout` files below `dirs`.
fn layout_patterns(dirs: &[String]) -> Vec<String> {
    if dirs.is_empty() {
        return Vec::new();
    }
    if searches_all(dirs) {
        return vec![format!("**/{OCI_LAYOUT_FILE}")];
    }
    let mut patterns: Vec<String> = dirs
        .iter()
        .map(|d| format!("{}/**/{OCI_LAYOUT_FILE}", quote(d)))
        .collect();
    patterns.sort();
    patterns.dedup();
    patterns
}

/// The directories of `r` (the probe) that hold an `oci-layout` file,
/// but not its root (a context that is a layout is the user's business).
async fn find_layouts<G: Gateway>(gw: &G, r: &SolvedRef) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let mut pending = vec![String::new()];
    let mut walked = 0;
    while let Some(dir) = pending.pop() {
        walked += 1;
        if walked > MAX_PROBE_DIRS {
            break;
        }
        let entries = gw
            .read_dir(r, &format!("/{dir}"), "")
            .await
            .with_context(|| format!("listing {dir:?} of the build context"))?;
        for e in entries {
            let path = match dir.is_empty() {
                true => e.path.clone(),
                false => format!("{dir}/{}", e.path),
            };
            if e.mode & MODE_DIR != 0 {
                pending.push(path);
            } else if e.path == OCI_LAYOUT_FILE && !dir.is_empty() {
                found.push(dir.clone());
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_named_by_the_build_stay() {
        let f = Filter {
            layouts: vec!["out".into(), "base".into(), "old/out".into()],
            ..Filter::default()
        };
        let named = ["base/index.json".to_string(), "old".to_string()];
        assert_eq!(f.layouts_to_skip(&named), ["old/out", "out"]);
        assert_eq!(
            f.layouts_to_skip(&["outer".into()]),
            ["base", "old/out", "out"]
        );
    }

    #[test]
    fn layouts_in_a_cut_stay_only_in_or_around_named_paths() {
        // Found in directories a cut sends whole: a layout inside a named
        // directory is packaged with it, as it would be uncut.
        let f = Filter {
            in_cut: vec!["m/out".into(), "m/w/old".into(), "m/base".into()],
            searched: vec!["m".into()],
            ..Filter::default()
        };
        let named = ["m/w".to_string(), "m/base/index.json".to_string()];
        assert_eq!(f.layouts_to_skip(&named), ["m/out"]);
        assert!(f.searched("m/x") && f.searched("m") && !f.searched("mm"));
        let all = Filter {
            searched: vec![String::new()],
            ..Filter::default()
        };
        assert!(all.searched("anything/below"));
    }

    #[test]
    fn the_search_follows_the_globs() {
        assert!(layout_patterns(&[]).is_empty());
        assert_eq!(layout_patterns(&["".into()]), ["**/oci-layout"]);
        assert_eq!(
            layout_patterns(&["w".into(), "a[1]".into(), "w".into()]),
            ["a\\[1\\]/**/oci-layout", "w/**/oci-layout"]
        );
    }
}
