//! The blob writer that runs inside BuildKit's worker.
//!
//! Reading every layer through the gateway pipe is slow and, on BuildKit
//! 0.8, thousands of concurrent reads or copies of one input trip its
//! `flightcontrol` retry limit. So where the daemon can run processes, the
//! frontend runs its own binary as an ExecOp (`artifact-frontend blobs`)
//! with the input mounted read-only: it reads each layer file once, hashing
//! while it writes `blobs/sha256/<digest>`, and reports sizes and digests in
//! a JSON file the frontend reads back. BuildKit caches the exec by its
//! inputs' content, so an unchanged input is never hashed twice.
//!
//! Paths are resolved inside the input root the way BuildKit resolves them
//! (symlinks followed, absolute targets and `..` kept inside the root), so
//! a link can never read a file of the worker.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// Subcommand name that selects this tool in `main`.
pub const SUBCOMMAND: &str = "blobs";
/// Where the input is mounted.
pub const INPUT_DIR: &str = "/in";
/// Where the job file is mounted.
pub const JOB_DIR: &str = "/job";
/// The job file, inside [`JOB_DIR`].
pub const JOB_FILE: &str = "job.json";
/// Output mount 0: becomes the layout (holds `blobs/sha256/`).
pub const OUT_DIR: &str = "/out";
/// Output mount 1: holds [`REPORT_FILE`].
pub const REPORT_DIR: &str = "/report";
/// The report, inside [`REPORT_DIR`].
pub const REPORT_FILE: &str = "blobs.json";

/// What to do: which files of the input to turn into blobs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Job {
    /// Cleaned paths relative to the input root, each once.
    pub paths: Vec<String>,
    /// File times for the blobs, in Unix seconds (SOURCE_DATE_EPOCH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtime: Option<i64>,
}

/// What happened to one path.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FileReport {
    /// The path, as in the job.
    pub path: String,
    /// Size in bytes, when it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `sha256:<hex>`, when it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Why it was not: `missing`, `directory`, `irregular` or `io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Detail for `io` errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The report file.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Report {
    /// One entry per job path, in job order.
    pub files: Vec<FileReport>,
}

/// Runs the job found in the standard mounts. Per-file problems go in the
/// report (the frontend turns them into messages naming the layer); only a
/// broken setup is an error here.
pub fn run_in_worker() -> Result<(), String> {
    let job_path = Path::new(JOB_DIR).join(JOB_FILE);
    let job: Job = serde_json::from_slice(
        &std::fs::read(&job_path).map_err(|e| format!("reading {}: {e}", job_path.display()))?,
    )
    .map_err(|e| format!("parsing {}: {e}", job_path.display()))?;
    let report = run(&job, Path::new(INPUT_DIR), Path::new(OUT_DIR));
    let out = Path::new(REPORT_DIR).join(REPORT_FILE);
    let json = serde_json::to_vec(&report).map_err(|e| e.to_string())?;
    std::fs::write(&out, json).map_err(|e| format!("writing {}: {e}", out.display()))
}

/// Writes `out/blobs/sha256/<hex>` for every path of `job` under `root`.
pub fn run(job: &Job, root: &Path, out: &Path) -> Report {
    let blobs = out.join("blobs/sha256");
    if let Err(e) = std::fs::create_dir_all(&blobs) {
        return Report {
            files: job.paths.iter().map(|p| io_error(p, &e)).collect(),
        };
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<FileReport>>> = Mutex::new(vec![None; job.paths.len()]);
    let written: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    // Enough threads to keep the disk and every core busy; the files are
    // independent.
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get() * 2)
        .min(16);
    std::thread::scope(|s| {
        for _ in 0..threads.min(job.paths.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = job.paths.get(i) else { break };
                    let r = one_file(path, root, &blobs, i, job.mtime, &written);
                    if let Ok(mut v) = results.lock() {
                        v[i] = Some(r);
                    }
                }
            });
        }
    });
    let files = results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .zip(&job.paths)
        .map(|(r, p)| r.unwrap_or_else(|| io_error(p, &"not processed")))
        .collect();
    Report { files }
}

fn io_error(path: &str, e: &dyn std::fmt::Display) -> FileReport {
    FileReport {
        path: path.to_string(),
        size: None,
        digest: None,
        error: Some("io".into()),
        detail: Some(e.to_string()),
    }
}

fn failed(path: &str, kind: &str) -> FileReport {
    FileReport {
        path: path.to_string(),
        size: None,
        digest: None,
        error: Some(kind.into()),
        detail: None,
    }
}

fn one_file(
    path: &str,
    root: &Path,
    blobs: &Path,
    index: usize,
    mtime: Option<i64>,
    written: &Mutex<BTreeSet<String>>,
) -> FileReport {
    let Some(resolved) = resolve_in_root(root, path) else {
        return failed(path, "missing");
    };
    let meta = match std::fs::symlink_metadata(&resolved) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return failed(path, "missing"),
        Err(e) => return io_error(path, &e),
    };
    if meta.is_dir() {
        return failed(path, "directory");
    }
    if !meta.is_file() {
        return failed(path, "irregular");
    }
    let tmp = blobs.join(format!(".tmp-{index}"));
    match copy_hashing(&resolved, &tmp) {
        Ok((size, hex)) => {
            let dest = blobs.join(&hex);
            let first = written
                .lock()
                .map(|mut w| w.insert(hex.clone()))
                .unwrap_or(true);
            let placed = if first {
                set_mtime(&tmp, mtime).and_then(|()| std::fs::rename(&tmp, &dest))
            } else {
                // Same content as another layer: one blob serves both.
                std::fs::remove_file(&tmp)
            };
            match placed {
                Ok(()) => FileReport {
                    path: path.to_string(),
                    size: Some(size),
                    digest: Some(format!("sha256:{hex}")),
                    error: None,
                    detail: None,
                },
                Err(e) => io_error(path, &e),
            }
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            io_error(path, &e)
        }
    }
}

fn set_mtime(p: &Path, mtime: Option<i64>) -> std::io::Result<()> {
    let Some(secs) = mtime else { return Ok(()) };
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    File::options().write(true).open(p)?.set_modified(t)
}

/// Copies `src` to `dest`, hashing the bytes on the way: one read of the
/// input serves both.
fn copy_hashing(src: &Path, dest: &Path) -> std::io::Result<(u64, String)> {
    let mut input = File::open(src)?;
    let mut output = File::create(dest)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
        size += n as u64;
    }
    output.flush()?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// Resolves `rel` under `root`, following symlinks as if `root` were `/`:
/// absolute targets restart at `root` and `..` never climbs above it. Gives
/// `None` when a component is missing or links loop.
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
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_resolve_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f"), "in").unwrap();
        std::fs::write(t.path().join("secret"), "out").unwrap();
        symlink("b/f", root.join("a/rel")).unwrap();
        symlink("/a/b/f", root.join("abs")).unwrap();
        symlink("../../../../secret", root.join("climb")).unwrap();
        symlink("/etc/hostname", root.join("host")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        assert_eq!(resolve_in_root(&root, "a/rel"), Some(root.join("a/b/f")));
        assert_eq!(resolve_in_root(&root, "abs"), Some(root.join("a/b/f")));
        // Climbing out clamps at the root: `secret` and `/etc/hostname` are
        // looked up inside it, where they don't exist.
        assert_eq!(resolve_in_root(&root, "climb"), None);
        assert_eq!(resolve_in_root(&root, "host"), None);
        std::fs::write(root.join("secret"), "inside").unwrap();
        assert_eq!(resolve_in_root(&root, "climb"), Some(root.join("secret")));
        assert_eq!(resolve_in_root(&root, "loop"), None);
        assert_eq!(resolve_in_root(&root, "nope/x"), None);
    }

    #[test]
    fn writes_blobs_and_reports_problems() {
        let t = tempfile::tempdir().unwrap();
        let (root, out) = (t.path().join("in"), t.path().join("out"));
        std::fs::create_dir_all(root.join("d")).unwrap();
        std::fs::write(root.join("x"), "hello weights\n").unwrap();
        std::fs::write(root.join("y"), "hello weights\n").unwrap();
        symlink("/x", root.join("l")).unwrap();
        let job = Job {
            paths: ["x", "y", "l", "d", "missing"].map(String::from).to_vec(),
            mtime: Some(1_700_000_000),
        };
        let r = run(&job, &root, &out);
        let hex = "62e1cb3d236c6ee44130c54bf720f87b2ba1b0d58965634af9a3c3e541a462ef";
        for f in &r.files[..3] {
            assert_eq!(
                f.digest.as_deref(),
                Some(&*format!("sha256:{hex}")),
                "{f:?}"
            );
            assert_eq!(f.size, Some(14));
        }
        assert_eq!(r.files[3].error.as_deref(), Some("directory"));
        assert_eq!(r.files[4].error.as_deref(), Some("missing"));
        let blobs: Vec<_> = std::fs::read_dir(out.join("blobs/sha256"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            blobs,
            vec![std::ffi::OsString::from(hex)],
            "one blob, no temp files left"
        );
        let mtime = std::fs::metadata(out.join("blobs/sha256").join(hex))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            mtime,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
        );
    }
}
