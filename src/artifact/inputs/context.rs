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
//! The probe excludes everything but those files (`**`, then `!`
//! exceptions), as `.dockerignore` files do: include patterns with `**`
//! are not applied by the BuildKit in Docker 20.10, which then sends the
//! whole context (seen: 2 GiB, 16 s, for two `oci-layout` files).

use crate::blobtool::{OCI_LAYOUT_FILE, quote};
use crate::gateway::{Gateway, SolvedRef};
use crate::llb::{self, LocalOptions};

use crate::artifact::error::{Context as _, Result};
use crate::artifact::request::Sessions;

use super::ignore::{self, DOCKERIGNORE, Ignore};
use super::lookup::MODE_DIR;

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
}

impl Filter {
    /// The layouts none of `named` (paths, or globs' directories, of the
    /// build) is in or at: the ones to leave out.
    pub fn layouts_to_skip(&self, named: &[String]) -> Vec<String> {
        self.layouts
            .iter()
            .filter(|d| {
                !named
                    .iter()
                    .any(|n| n == *d || n.starts_with(&format!("{d}/")))
            })
            .cloned()
            .collect()
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
                layouts: Vec::new(),
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
    Ok(Filter { ignore, layouts })
}

/// Patterns matching the `oci-layout` files below `dirs`.
fn layout_patterns(dirs: &[String]) -> Vec<String> {
    if dirs.is_empty() {
        return Vec::new();
    }
    if dirs.len() > MAX_SEARCHED || dirs.iter().any(String::is_empty) {
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
            ignore: Ignore::default(),
            layouts: vec!["out".into(), "base".into(), "old/out".into()],
        };
        let named = ["base/index.json".to_string(), "old".to_string()];
        assert_eq!(f.layouts_to_skip(&named), ["out", "old/out"]);
        assert_eq!(
            f.layouts_to_skip(&["outer".into()]),
            ["out", "base", "old/out"]
        );
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
