//! The one directory walk of the blob writer. A tar stores a tree as it
//! is, so packing walks with links left as entries; a glob names the files
//! a plain path would reach, so it walks through symlinked directories,
//! resolved inside the input root the way [`resolve_in_root`] resolves a
//! path. Both walks visit the same way and prune the same way; only what a
//! link is differs.

use std::ffi::OsStr;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use super::resolve::resolve_in_root;

/// A walk of a directory tree, visiting every path under it (files,
/// directories, links), relative and '/'-separated. Names are passed as
/// the bytes the directory holds, UTF-8 or not: converting them would
/// name files that don't exist.
pub(super) struct Walk<'a> {
    /// The input root symlinked directories are resolved in and entered;
    /// `None` leaves every link a leaf.
    links_in: Option<&'a Path>,
    /// (device, inode) of each directory being walked, outermost first.
    /// Only following links can lead back to an ancestor, so only then is
    /// it tracked (and a directory stat'ed).
    ancestors: Vec<(u64, u64)>,
}

impl<'a> Walk<'a> {
    /// A walk that never follows links: what a tar of the tree holds.
    pub(super) fn plain() -> Self {
        Walk {
            links_in: None,
            ancestors: Vec::new(),
        }
    }

    /// A walk that enters symlinked directories, resolved inside `root`;
    /// a link back to a directory being walked is not entered again, so
    /// the walk can't loop.
    pub(super) fn through_links(root: &'a Path) -> Self {
        Walk {
            links_in: Some(root),
            ancestors: Vec::new(),
        }
    }

    /// Calls `f` with every path under `dir`, each prefixed by `prefix`
    /// (named through the links it went through, when following them);
    /// enters a directory (or a link to one) only when `f` returns true for
    /// it.
    pub(super) fn run(
        &mut self,
        dir: &Path,
        prefix: &Path,
        f: &mut dyn FnMut(&Path) -> bool,
    ) -> std::io::Result<()> {
        if self.links_in.is_some() {
            let meta = std::fs::metadata(dir)?;
            let id = (meta.dev(), meta.ino());
            if self.ancestors.contains(&id) {
                return Ok(());
            }
            self.ancestors.push(id);
        }
        for e in std::fs::read_dir(dir)? {
            let e = e?;
            let rel = child(prefix, &e.file_name());
            if !f(&rel) {
                continue;
            }
            if let Some(target) = self.enter(&e, &rel)? {
                self.run(&target, &rel, f)?;
            }
        }
        if self.links_in.is_some() {
            self.ancestors.pop();
        }
        Ok(())
    }

    /// The directory to walk into for entry `e` (at `rel`), if any.
    fn enter(&self, e: &std::fs::DirEntry, rel: &Path) -> std::io::Result<Option<PathBuf>> {
        let kind = e.file_type()?;
        Ok(if kind.is_dir() {
            Some(e.path())
        } else if let (true, Some(root)) = (kind.is_symlink(), self.links_in) {
            resolve_in_root(root, rel).filter(|p| p.is_dir())
        } else {
            None
        })
    }
}

/// `prefix/name`, or `name` under an empty prefix. Spelled out rather than
/// `Path::join`, which would drop the '/' after a prefix that ends in one:
/// the path would no longer match a pattern that has `//`, nor name a tar
/// entry as before.
pub(super) fn child(prefix: &Path, name: &OsStr) -> PathBuf {
    if prefix.as_os_str().is_empty() {
        return name.into();
    }
    let mut rel = prefix.as_os_str().to_owned();
    rel.push("/");
    rel.push(name);
    rel.into()
}
