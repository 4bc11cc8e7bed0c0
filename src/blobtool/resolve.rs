//! Path resolution confined to an input root, as BuildKit resolves paths
//! in a ref: symlinks are followed, but absolute targets restart at the
//! root and `..` never climbs above it, so a link can't reach the worker's
//! own files.

use std::path::{Component, Path, PathBuf};

/// Resolves `rel` under `root`. Gives `None` when a component is missing or
/// links loop.
pub fn resolve_in_root(root: &Path, rel: &str) -> Option<PathBuf> {
    // Components still to walk, in reverse so `pop` yields the next one.
    let mut pending: Vec<String> = rel.split('/').rev().map(str::to_string).collect();
    let mut current: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                current.pop();
                continue;
            }
            _ => {}
        }
        let candidate = root.join(current.join("/")).join(&part);
        let meta = std::fs::symlink_metadata(&candidate).ok()?;
        if !meta.file_type().is_symlink() {
            current.push(part);
            continue;
        }
        hops += 1;
        if hops > 255 {
            return None;
        }
        let target = std::fs::read_link(&candidate).ok()?;
        if target.is_absolute() {
            current.clear();
        }
        for c in target.components().rev() {
            match c {
                Component::Normal(s) => pending.push(s.to_string_lossy().into_owned()),
                Component::ParentDir => pending.push("..".into()),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
    }
    Some(root.join(current.join("/")))
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
