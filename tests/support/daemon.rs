//! The Docker daemons the end-to-end suite runs on, as values.
//!
//! - `docker-20.10`: Debian 12's docker.io (BuildKit 0.8), its own client,
//!   no buildx.
//! - `docker-28.5`: Debian unstable's docker.io 28.5 (BuildKit 0.25) with
//!   docker-cli 28.5, buildx 0.29 and containerd 2.1, unpacked (never
//!   installed) by `scripts/lib/unstable-docker.sh` under
//!   `target/docker-unstable`; Debian 12's runc.
//! - `docker-28.5-containerd`: the same with the containerd image store
//!   (`"features": {"containerd-snapshotter": true}`).
//!
//! [`super::Fixtures`] starts a [`Daemon`] with private state; the cases ask
//! it what the daemon can do ([`Daemon::buildx`], [`Daemon::containerd_store`]).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, ensure};

/// Debian 12's docker client, which matches its dockerd 20.10.
pub const DOCKER20_CLI: &str = "/usr/bin/docker";

/// One kind of Docker daemon: which binaries, and how to start them.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// What the suite's output calls it, e.g. `docker-28.5`.
    pub name: &'static str,
    /// The `dockerd` binary.
    pub dockerd: PathBuf,
    /// The `docker` client that goes with it.
    pub cli: PathBuf,
    /// `PATH` for dockerd (so it starts its own containerd and shim), when
    /// not the inherited one.
    pub path: Option<OsString>,
    /// The buildx plugin binary, when this daemon comes with one.
    pub buildx: Option<PathBuf>,
    /// Whether images live in containerd's store (containerd snapshotter).
    pub containerd_store: bool,
    /// Extra dockerd arguments.
    pub args: Vec<String>,
}

impl Daemon {
    /// Debian 12's dockerd 20.10 with its client.
    pub fn docker20() -> Result<Daemon> {
        let dockerd = super::find_program("dockerd")
            .or_else(|| super::executable(Path::new("/usr/sbin/dockerd")))
            .ok_or_else(|| anyhow!(super::DOCKERD_MISSING))?;
        ensure!(
            Path::new(DOCKER20_CLI).is_file(),
            "{DOCKER20_CLI} not found: install Debian's docker.io (apt-get install -y docker.io docker-registry skopeo jq)"
        );
        Ok(Daemon {
            name: "docker-20.10",
            dockerd,
            cli: DOCKER20_CLI.into(),
            path: None,
            buildx: None,
            containerd_store: false,
            args: Vec::new(),
        })
    }

    /// Debian unstable's dockerd 28.5 with docker-cli 28.5, buildx 0.29 and
    /// containerd 2.1, downloaded and unpacked under `target/` on first use
    /// (`scripts/lib/unstable-docker.sh`); `containerd_store` turns on the
    /// containerd image store. Its containerd uses its own namespaces.
    pub fn docker28(repo_root: &Path, containerd_store: bool) -> Result<Daemon> {
        let root = unstable_root(repo_root)?;
        let path = std::env::join_paths(
            [
                root.join("usr/bin"),
                root.join("usr/sbin"),
                root.join("usr/libexec/docker"),
            ]
            .into_iter()
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into()),
            )),
        )?;
        let buildx = root.join("usr/libexec/docker/cli-plugins/docker-buildx");
        ensure!(buildx.is_file(), "{} missing", buildx.display());
        Ok(Daemon {
            name: if containerd_store {
                "docker-28.5-containerd"
            } else {
                "docker-28.5"
            },
            dockerd: root.join("usr/sbin/dockerd"),
            cli: root.join("usr/bin/docker"),
            path: Some(path),
            buildx: Some(buildx),
            containerd_store,
            args: vec![
                "--containerd-namespace=artifact-e2e".into(),
                "--containerd-plugins-namespace=artifact-e2e-plugins".into(),
            ],
        })
    }

    /// The `daemon.json` this daemon starts with.
    pub fn config_json(&self) -> String {
        serde_json::json!({"features": {"containerd-snapshotter": self.containerd_store}})
            .to_string()
    }
}

/// Runs `unstable_docker_ensure` from `scripts/lib/unstable-docker.sh`
/// (downloads once, then only checks) and returns the unpacked root.
fn unstable_root(repo_root: &Path) -> Result<PathBuf> {
    let lib = repo_root.join("scripts/lib/unstable-docker.sh");
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#". "$1" && unstable_docker_ensure"#)
        .arg("bash")
        .arg(&lib)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", lib.display()))?;
    ensure!(
        out.status.success(),
        "unstable_docker_ensure failed ({}); see its messages above",
        out.status
    );
    let root = PathBuf::from(String::from_utf8(out.stdout)?.trim());
    ensure!(
        root.join("usr/sbin/dockerd").is_file(),
        "no dockerd under {}",
        root.display()
    );
    Ok(root)
}
