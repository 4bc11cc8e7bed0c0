//! Path resolution confined to an input root, as BuildKit resolves paths
//! in a ref: symlinks are followed, but absolute targets restart at the
//! root and `..` never climbs above it, so a link can't reach the worker's
//! own files. Names are bytes, as the kernel has them: a name or link
//! target that is not UTF-8 resolves like any other.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path, PathBuf};

/// Resolves `rel` ('/'-separated) under `root`. Gives `None` when a
/// component is missing or links loop.
pub fn resolve_in_root(root: &Path, rel: impl AsRef<Path>) -> Option<PathBuf> {
    // Components still to walk, in reverse so `pop` yields the next one.
    let mut pending: Vec<OsString> = rel
        .as_ref()
        .as_os_str()
        .as_bytes()
        .split(|&b| b == b'/')
        .rev()
        .map(|c| OsStr::from_bytes(c).to_owned())
        .collect();
    let mut current = PathBuf::new();
    let mut hops = 0;
    while let Some(part) = pending.pop() {
        match part.as_bytes() {
            b"" | b"." => continue,
            b".." => {
                current.pop();
                continue;
            }
            _ => {}
        }
        let candidate = root.join(&current).join(&part);
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
            current = PathBuf::new();
        }
        for c in target.components().rev() {
            match c {
                Component::Normal(s) => pending.push(s.to_owned()),
                Component::ParentDir => pending.push("..".into()),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
    }
    Some(root.join(current))
}

/// The first link on the way to `rel` under `root` whose target leads out
/// of the root (absolute, or climbing above it with `..`), as (the link,
/// its target): why a path the user sees is not there for the build, which
/// resolves such a link inside the root. `None` when no link leads out.
pub fn link_out_of_root(root: &Path, rel: &str) -> Option<(String, String)> {
    let mut at = PathBuf::new();
    for part in rel.split('/').filter(|p| !p.is_empty() && *p != ".") {
        at.push(part);
        let meta = std::fs::symlink_metadata(root.join(&at)).ok()?;
        if !meta.file_type().is_symlink() {
            continue;
        }
        let target = std::fs::read_link(root.join(&at)).ok()?;
        // How deep the link's directory is, and how far up the target goes.
        let mut depth = at.components().count() as isize - 1;
        let escapes = target.is_absolute()
            || target.components().any(|c| {
                match c {
                    Component::ParentDir => depth -= 1,
                    Component::Normal(_) => depth += 1,
                    _ => {}
                }
                depth < 0
            });
        if escapes {
            return Some((
                at.to_string_lossy().into_owned(),
                target.to_string_lossy().into_owned(),
            ));
        }
        // A link inside the root: what it leads to is checked as the path
        // resolves; this check only names the first way out.
    }
    None
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
