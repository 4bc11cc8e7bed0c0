//! The scripts wait for another apt-get instead of failing at once: a fresh
//! cloud machine often runs one at boot. `scripts/lib/apt.sh`'s `apt_wait`
//! runs here against a stub `apt-get` that says what the real one says when
//! a lock is held, and every script that installs packages goes through it
//! (`apt_wait apt-get ...`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// What apt 2.6's `apt-get update` prints when another apt holds the lists'
/// lock (it does not wait for that one, whatever `DPkg::Lock::Timeout`
/// says), then exits 100.
const LISTS_LOCKED: &str = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)\nE: Unable to lock directory /var/lib/apt/lists/";

/// A stub `apt-get` in a fresh directory: its first `fails` calls print
/// `error` and exit 100, later ones exit 0; every call appends its
/// arguments to `calls` in that directory.
fn stub(fails: usize, error: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "#!/bin/bash\necho \"$*\" >>\"{calls}\"\nn=$(wc -l <\"{calls}\")\nif [ \"$n\" -le {fails} ]; then\n  printf '%s\\n' '{error}' >&2\n  exit 100\nfi\necho \"stub apt-get $*\"\n",
        calls = dir.path().join("calls").display(),
    );
    let path = dir.path().join("apt-get");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// Runs `apt_wait apt-get <args>` from `scripts/lib/apt.sh` with the stub first on
/// `PATH`, polling without a pause; returns its output and the stub's calls.
fn apt_get(stub: &Path, env: &[(&str, &str)], args: &str) -> (Output, Vec<String>) {
    let path = format!(
        "{}:{}",
        stub.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(". scripts/lib/apt.sh && apt_wait apt-get {args}"))
        .current_dir(ROOT)
        .env("PATH", path)
        .env("APT_LOCK_POLL", "0")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(stub.join("calls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    (out, calls)
}

#[test]
fn apt_get_waits_out_the_lists_lock_and_tells_dpkg_to_wait() {
    let dir = stub(2, LISTS_LOCKED);
    let (out, calls) = apt_get(dir.path(), &[], "update");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[2], "-o DPkg::Lock::Timeout=600 update");
    assert!(
        err.contains("Could not get lock /var/lib/apt/lists/lock") && err.contains("waiting"),
        "says what it waits for: {err}"
    );
    assert_eq!(
        err.matches("waiting").count(),
        1,
        "says it once, not at every poll: {err}"
    );
}

#[test]
fn apt_get_gives_up_when_its_wait_is_over() {
    let dir = stub(1000, LISTS_LOCKED);
    let (out, calls) = apt_get(dir.path(), &[("APT_LOCK_WAIT", "0")], "update");
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(calls, ["-o DPkg::Lock::Timeout=0 update"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("E: Unable to lock directory"),
        "apt's own error is shown"
    );
}

#[test]
fn apt_get_does_not_retry_other_failures() {
    let dir = stub(1, "E: Unable to locate package no-such-package");
    let (out, calls) = apt_get(dir.path(), &[], "install -y no-such-package");
    assert_eq!(out.status.code(), Some(100));
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unable to locate package"));
}

/// The files that may run apt-get: every script, the libraries and CI.
fn scripts() -> Vec<PathBuf> {
    let root = Path::new(ROOT);
    let mut files = vec![root.join(".ci/run")];
    for dir in ["scripts", "scripts/lib"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// Lines that run `apt-get` itself, not through `apt_wait` (not in a
/// comment, not inside a double-quoted message telling the user what to
/// run).
fn runs_apt_get(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter(|line| {
            line.match_indices("apt-get").any(|(at, _)| {
                line[..at].matches('"').count() % 2 == 0 && !line[..at].ends_with("apt_wait ")
            })
        })
        .map(|line| line.trim().to_string())
        .collect()
}

#[test]
fn every_script_that_installs_goes_through_apt_get_that_waits() {
    let mut direct = Vec::new();
    for file in scripts() {
        let name = file.strip_prefix(ROOT).unwrap().display().to_string();
        // apt.sh is the wrapper; unstable-docker.sh runs apt-get on a
        // private state directory, whose locks no other apt takes.
        if name.ends_with("lib/apt.sh") || name.ends_with("lib/unstable-docker.sh") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        direct.extend(
            runs_apt_get(&text)
                .into_iter()
                .map(|l| format!("{name}: {l}")),
        );
    }
    assert!(
        direct.is_empty(),
        "apt-get run directly (fails at once when another apt holds a lock; put apt_wait from scripts/lib/apt.sh in front): {direct:#?}"
    );
    assert!(scripts().len() > 5, "found the scripts");
}

#[test]
fn a_message_naming_apt_get_is_not_a_run() {
    let text = "# apt-get update\n[ \"$(id -u)\" -eq 0 ] || die \"run as root: apt-get install -y x\"\n  DEBIAN_FRONTEND=noninteractive apt-get install -y x >&2\napt_wait apt-get update\n";
    assert_eq!(
        runs_apt_get(text),
        ["DEBIAN_FRONTEND=noninteractive apt-get install -y x >&2"]
    );
}
