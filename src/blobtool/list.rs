//! Listing what a job names without writing anything: every glob
//! expanded, every path checked as writing would check it, with its size
//! (a directory's: the bytes of the regular files under it). The frontend
//! lists first so that it can split the writing into parts BuildKit caches
//! one by one: a changed file then costs its own part, not every blob.

use std::path::{Path, PathBuf};

use super::job::{EntryError, Found, Job, Listing};
use super::walk::Walk;
use super::work::Work;
use super::write::inspect;

/// Lists every entry of `job`; `root(i)` is where input `i` is.
pub fn run(job: &Job, root: &(dyn Fn(usize) -> PathBuf + Sync)) -> Listing {
    let work = Work::expand(job, root);
    let found = work
        .tasks
        .iter()
        .map(|task| {
            let e = &job.entries[task.entry];
            let (resolved, meta) = inspect(e, &root(e.source), &task.path)?;
            let size = if meta.is_dir() {
                tree_size(&resolved).map_err(|err| EntryError::Io {
                    path: task.path.clone(),
                    detail: err.to_string(),
                })?
            } else {
                meta.len()
            };
            let root = root(e.source);
            let resolved = match resolved.strip_prefix(&root) {
                Ok(rel) => rel
                    .to_str()
                    .map(str::to_string)
                    .ok_or_else(|| EntryError::NotUtf8 {
                        path: rel.to_string_lossy().into_owned(),
                    })?,
                Err(_) => task.path.clone(),
            };
            Ok(Found {
                resolved: (resolved != task.path).then_some(resolved),
                path: task.path.clone(),
                dir: meta.is_dir(),
                size,
            })
        })
        .collect();
    work.listing(found)
}

/// The bytes of the regular files under `dir` (links not followed, as a
/// tar of it holds them).
fn tree_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    let mut failed = None;
    Walk::plain().run(dir, Path::new(""), &mut |rel| {
        match std::fs::symlink_metadata(dir.join(rel)) {
            Ok(m) if m.is_file() => total += m.len(),
            Ok(_) => {}
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
        true
    })?;
    match failed {
        Some(e) => Err(e),
        None => Ok(total),
    }
}
