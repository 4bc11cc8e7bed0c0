//! Writing the blobs of a work list: each task's file copied, or its tree
//! packed, to a temporary file while it is hashed, then renamed to
//! `blobs/sha256/<hex>`. Tasks run on several threads; two with the same
//! content share one blob file.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::job::{BlobReport, Entry, EntryError, Job};
use super::pack;
use super::resolve::{link_out_of_root, resolve_in_root};
use super::work::{Outcome, Task};
use crate::gateway::ChangedWhileRead;

/// Writes every task of `job` to `blobs`; `root(i)` is where input `i`
/// is. `outcomes[t]` answers `tasks[t]`.
pub(super) fn all(
    job: &Job,
    root: &(dyn Fn(usize) -> PathBuf + Sync),
    tasks: &[Task],
    blobs: &Path,
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let written: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mtime = job.mtime.map(|m| m.max(0) as u64);
    // Enough threads to keep the disk and every core busy; blobs are
    // independent.
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .min(16);
    let mut outcomes: Vec<Outcome> = vec![None; tasks.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.min(tasks.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    // Each worker hands its outcomes back when it ends: no
                    // lock is shared for them, so no panic can poison one
                    // and lose them all.
                    let mut done = Vec::new();
                    loop {
                        let t = next.fetch_add(1, Ordering::Relaxed);
                        let Some(task) = tasks.get(t) else { break };
                        let tmp = blobs.join(format!(".tmp-{t}"));
                        let r = guarded(task, &tmp, || {
                            let e = &job.entries[task.entry];
                            one(e, task, &root(e.source), blobs, &tmp, mtime, &written)
                        });
                        done.push((t, r));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            // Joined here, a worker that still panicked (outside a task,
            // where nothing can) leaves its tasks without an outcome, which
            // the report turns into errors, instead of ending the run.
            if let Ok(done) = w.join() {
                for (t, r) in done {
                    outcomes[t] = Some(r);
                }
            }
        }
    });
    outcomes
}

/// Runs `write`, the writing of `task` to `tmp`, turning a panic in it
/// into the task's error: the report names the path that hit the bug, the
/// other tasks go on, and no half-written temporary file stays in the
/// layout.
fn guarded(
    task: &Task,
    tmp: &Path,
    write: impl FnOnce() -> Result<BlobReport, EntryError>,
) -> Result<BlobReport, EntryError> {
    // Unwind safety: what a panic leaves half done is the task's own
    // temporary file, removed here, and the `written` set, whose lock a
    // panic poisons and `place` then doesn't trust.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(write)).unwrap_or_else(|panic| {
        let _ = std::fs::remove_file(tmp);
        let why = panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        Err(EntryError::Io {
            path: task.path.clone(),
            detail: format!("the blob writer panicked (a bug): {why}"),
        })
    })
}

/// Writes the blob of `task` (of `entry`, whose input is at `root`), by
/// way of temporary file `tmp`.
fn one(
    entry: &Entry,
    task: &Task,
    root: &Path,
    blobs: &Path,
    tmp: &Path,
    mtime: Option<u64>,
    written: &Mutex<BTreeSet<String>>,
) -> Result<BlobReport, EntryError> {
    let (resolved, meta) = inspect(entry, root, &task.path)?;
    // What the blob is reported (and named in a tar) as.
    let path = match (&entry.shown, entry.glob) {
        (Some(shown), false) => shown.as_str(),
        _ => task.path.as_str(),
    };
    let w = match pack_to(entry, path, &resolved, &meta, mtime, tmp) {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(tmp);
            return Err(e);
        }
    };
    if let Err(e) = place(tmp, blobs, w.digest.hex(), mtime, written) {
        let _ = std::fs::remove_file(tmp);
        return Err(io_error(path, &e));
    }
    if w.size >= 64 << 20 {
        eprintln!(
            "{path}: {:.1} MiB hashed and written",
            w.size as f64 / 1048576.0
        );
    }
    Ok(BlobReport {
        path: path.to_string(),
        dir: meta.is_dir(),
        mode: meta.permissions().mode() & 0o777,
        size: w.size,
        file_size: if meta.is_dir() { 0 } else { meta.len() },
        digest: w.digest,
        diff_id: w.diff_id,
    })
}

/// Where `path` (of `entry`, whose input is at `root`) is and what it is,
/// when a blob can be made of it: the checks that writing and listing
/// share, so a listing names exactly what writing accepts.
pub(super) fn inspect(
    entry: &Entry,
    root: &Path,
    path: &str,
) -> Result<(PathBuf, std::fs::Metadata), EntryError> {
    let missing = || match link_out_of_root(root, path) {
        Some((link, target)) => EntryError::LinkOutside { link, target },
        None => EntryError::Missing,
    };
    let resolved = resolve_in_root(root, path).ok_or_else(missing)?;
    let meta = std::fs::metadata(&resolved).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => missing(),
        _ => io_error(path, &e),
    })?;
    if meta.is_dir() && !entry.allow_dir {
        return Err(EntryError::Directory);
    }
    if !meta.is_dir() && !meta.is_file() {
        return Err(EntryError::Irregular);
    }
    Ok((resolved, meta))
}

/// Writes what `path` (found at `resolved`, described by `meta`) becomes
/// as a blob to `tmp`: a directory as a tar, a file as it is or as a tar,
/// as `entry` says.
fn pack_to(
    entry: &Entry,
    path: &str,
    resolved: &Path,
    meta: &std::fs::Metadata,
    mtime: Option<u64>,
    tmp: &Path,
) -> Result<pack::Written, EntryError> {
    // The directory's own name, as the bytes it has: a link to it may be
    // UTF-8 while it is not.
    let tar_name = || {
        if entry.pack.path_names {
            Path::new(path)
        } else {
            resolved
                .file_name()
                .map_or_else(|| Path::new("root"), Path::new)
        }
    };
    let tar = |dir| {
        pack::tar(
            resolved,
            dir,
            tar_name(),
            entry.compression,
            mtime.unwrap_or(0),
            tmp,
        )
    };
    // `inspect` let only directories that may be packed and regular
    // files through.
    let done = if meta.is_dir() {
        tar(true)
    } else if entry.pack.tar_files {
        tar(false)
    } else {
        pack::copy_file(resolved, tmp)
    };
    done.map_err(|e| io_error(path, &e))
}

/// Moves the written `tmp` to the blob `hex` in `blobs`, or drops it when
/// that blob is known to be there already.
///
/// `written` only ever holds blobs whose rename succeeded, so a blob found
/// in it exists. Two threads with the same content may both miss it and
/// both rename: each rename puts the same bytes in place atomically, so
/// the blob exists when either reports it. A lock poisoned by a panicking
/// thread is not consulted: the blob is renamed, which is always right.
fn place(
    tmp: &Path,
    blobs: &Path,
    hex: &str,
    mtime: Option<u64>,
    written: &Mutex<BTreeSet<String>>,
) -> std::io::Result<()> {
    let known = written.lock().is_ok_and(|s| s.contains(hex));
    if known {
        // Same content as another blob: one file serves both.
        return std::fs::remove_file(tmp);
    }
    std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o644))?;
    set_mtime(tmp, mtime)?;
    std::fs::rename(tmp, blobs.join(hex))?;
    if let Ok(mut s) = written.lock() {
        s.insert(hex.to_string());
    }
    Ok(())
}

/// A failure reading `path` or writing its blob, for the report.
fn io_error(path: &str, e: &std::io::Error) -> EntryError {
    if let Some(changed) = e
        .get_ref()
        .and_then(|i| i.downcast_ref::<ChangedWhileRead>())
    {
        return EntryError::Changed(ChangedWhileRead {
            path: path.to_string(),
            ..changed.clone()
        });
    }
    EntryError::Io {
        path: path.to_string(),
        detail: e.to_string(),
    }
}

/// Sets the modification time of file `p` to `mtime` (Unix seconds), if
/// given; otherwise leaves it.
fn set_mtime(p: &Path, mtime: Option<u64>) -> std::io::Result<()> {
    let Some(secs) = mtime else { return Ok(()) };
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(p)?
        .set_modified(t)
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
