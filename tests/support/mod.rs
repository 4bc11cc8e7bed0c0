//! Shared support for the end-to-end tests of `artifact-frontend`.
//!
//! The e2e tests need a real BuildKit to drive the frontend, so this module
//! starts one: a private `dockerd` (a [`Daemon`]: Debian 12's docker.io 20.10,
//! or Debian unstable's 28.5 with buildx, whose built-in BuildKit runs gateway
//! frontends) plus a local `docker-registry` on
//! `127.0.0.1:5000` (or reuses a registry that already answers there). Both
//! run as child processes under a short temporary directory and are stopped
//! again by PID when the [`Fixtures`] value is dropped. The module also wraps
//! the image tooling the tests need: building the frontend image with
//! `scripts/build-image`, copying OCI layouts to and from the registry with
//! `skopeo`, and [`fsck_layout`], an independent checker of OCI image layouts
//! that does not share code with the frontend under test.
//!
//! Only `std`, `anyhow`, `serde_json`, `sha2`, `hex` and `tempfile` are used.
//! Requirements on the machine: root (for dockerd), and the Debian packages
//! docker.io, docker-registry, skopeo and jq (Docker 28.5 is fetched by
//! `scripts/lib/unstable-docker.sh`).

#![allow(dead_code)]

pub mod daemon;
pub mod images;
pub mod tally;

pub use daemon::Daemon;

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Address of the registry the fixtures use (started or reused).
pub const REGISTRY_ADDR: &str = "127.0.0.1:5000";

/// Debian 12's docker client, which matches its 20.10 daemon.
pub const DOCKER_CLI: &str = daemon::DOCKER20_CLI;

/// How long [`Fixtures::start`] waits for dockerd and the registry.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long [`Drop`] waits after SIGTERM before killing a process.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) const DOCKERD_MISSING: &str = "dockerd not found: install Debian's docker.io, docker-registry and skopeo (apt-get install -y docker.io docker-registry skopeo jq)";

/// A private dockerd and a registry, running until this value is dropped.
///
/// Dropping it stops the processes it started (by PID: SIGTERM, bounded wait,
/// then SIGKILL), unmounts whatever dockerd left mounted below its temporary
/// directory and removes that directory. A registry that was already running
/// on [`REGISTRY_ADDR`] is reused and never stopped.
pub struct Fixtures {
    /// The temporary directory holding all daemon state; `None` once removed.
    dir: Option<tempfile::TempDir>,
    /// Path of `dir` (kept for use after `dir` is taken in `drop`).
    path: PathBuf,
    /// `unix://<dir>/docker.sock`: the value for `DOCKER_HOST`.
    pub docker_host: String,
    /// The registry's `host:port`, i.e. `127.0.0.1:5000`.
    pub registry: String,
    /// The dockerd child process we started.
    dockerd: Option<Child>,
    /// The docker-registry child process, if we started one.
    registry_child: Option<Child>,
    /// Which daemon runs here.
    daemon: Daemon,
}

impl Fixtures {
    /// Starts the fixtures: reuses a registry already answering `GET /v2/` on
    /// `127.0.0.1:5000` or starts `docker-registry` there, starts `dockerd`
    /// with its state under a fresh `/tmp/afx.*` directory, and waits (at most
    /// 60 s) until `docker version` and the registry both answer. On failure
    /// the error carries the tail of the daemons' logs, and whatever was
    /// started is stopped again.
    pub fn start() -> Result<Fixtures> {
        Self::start_daemon(Daemon::docker20()?)
    }

    /// Like [`Fixtures::start`], with the given daemon (e.g.
    /// [`Daemon::docker28`]) instead of Debian 12's dockerd 20.10.
    pub fn start_daemon(daemon: Daemon) -> Result<Fixtures> {
        Self::start_with_registry(daemon, REGISTRY_ADDR)
    }

    /// Like [`Fixtures::start_daemon`], with the registry on `registry_addr`
    /// (`127.0.0.1:<port>`) instead of `127.0.0.1:5000`; meant for testing
    /// the fixtures themselves.
    pub fn start_with_registry(daemon: Daemon, registry_addr: &str) -> Result<Fixtures> {
        // Short path: dockerd/containerd unix socket paths must stay below
        // ~104 bytes, so do not follow a possibly long $TMPDIR.
        let dir = tempfile::Builder::new()
            .prefix("afx.")
            .rand_bytes(6)
            .tempdir_in("/tmp")
            .context("creating the fixtures directory under /tmp")?;
        let path = dir.path().to_path_buf();
        let mut fx = Fixtures {
            docker_host: format!("unix://{}", path.join("docker.sock").display()),
            registry: registry_addr.to_string(),
            path,
            dir: Some(dir),
            dockerd: None,
            registry_child: None,
            daemon,
        };
        // From here on, an early return drops `fx`, which cleans up.

        if registry_get_v2(&fx.registry).is_ok() {
            eprintln!("fixtures: reusing the registry on {}", fx.registry);
        } else {
            let registry_bin = find_program("docker-registry").ok_or_else(|| {
                anyhow!("docker-registry not found and nothing answers on {}: apt-get install -y docker.io docker-registry skopeo jq", fx.registry)
            })?;
            let storage = fx.path.join("registry");
            fs::create_dir_all(&storage)?;
            let config = fx.path.join("registry.yml");
            fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {}\n",
                    storage.display(),
                    fx.registry
                ),
            )?;
            let child = spawn_logged(
                Command::new(registry_bin).arg("serve").arg(&config),
                &fx.path.join("registry.log"),
            )
            .context("starting docker-registry")?;
            fs::write(fx.path.join("registry.pid"), child.id().to_string())?;
            eprintln!("fixtures: started docker-registry (pid {})", child.id());
            fx.registry_child = Some(child);
        }

        let data_root = fx.path.join("docker");
        let exec_root = fx.path.join("exec");
        fs::create_dir_all(&data_root)?;
        fs::create_dir_all(&exec_root)?;
        let config = fx.path.join("daemon.json");
        fs::write(&config, fx.daemon.config_json())?;
        if let Some(buildx) = &fx.daemon.buildx {
            let plugins = fx.path.join("docker-config/cli-plugins");
            fs::create_dir_all(&plugins)?;
            std::os::unix::fs::symlink(buildx, plugins.join("docker-buildx"))?;
        }
        let mut dockerd = Command::new(&fx.daemon.dockerd);
        if let Some(path) = &fx.daemon.path {
            dockerd.env("PATH", path);
        }
        let child = spawn_logged(
            dockerd
                .arg("--config-file")
                .arg(&config)
                .arg("--data-root")
                .arg(&data_root)
                .arg("--exec-root")
                .arg(&exec_root)
                .arg("-H")
                .arg(&fx.docker_host)
                .arg("--pidfile")
                .arg(fx.path.join("docker.pid"))
                .args(["--iptables=false", "--ip6tables=false", "--bridge=none"])
                .arg("--insecure-registry")
                .arg(&fx.registry)
                .args(&fx.daemon.args),
            &fx.path.join("dockerd.log"),
        )
        .context("starting dockerd")?;
        fs::write(fx.path.join("dockerd.pid"), child.id().to_string())?;
        eprintln!(
            "fixtures: started {} (pid {}), DOCKER_HOST={}",
            fx.daemon.name,
            child.id(),
            fx.docker_host
        );
        fx.dockerd = Some(child);

        fx.wait_ready()?;
        Ok(fx)
    }

    /// Polls until dockerd answers `docker version` and the registry answers
    /// `GET /v2/`, failing early if a child exits and after 60 s at most.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let (mut docker_ok, mut registry_ok) = (false, false);
        loop {
            if !docker_ok {
                docker_ok = self
                    .docker()
                    .arg("-H")
                    .arg(&self.docker_host)
                    .arg("version")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false);
            }
            if !registry_ok {
                registry_ok = registry_get_v2(&self.registry).is_ok();
            }
            if docker_ok && registry_ok {
                eprintln!("fixtures: dockerd and registry {} ready", self.registry);
                return Ok(());
            }
            let problem = if let Some(st) = self
                .dockerd
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                Some(format!("dockerd exited early ({st})"))
            } else if let Some(st) = self
                .registry_child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                Some(format!("docker-registry exited early ({st})"))
            } else if Instant::now() >= deadline {
                Some(format!(
                    "timed out after {}s (dockerd ready: {docker_ok}, registry ready: {registry_ok})",
                    READY_TIMEOUT.as_secs()
                ))
            } else {
                None
            };
            if let Some(problem) = problem {
                bail!(
                    "fixtures did not start: {problem}\n{}{}",
                    log_tail(&self.path.join("dockerd.log")),
                    log_tail(&self.path.join("registry.log"))
                );
            }
            sleep(Duration::from_millis(250));
        }
    }

    /// The temporary directory holding the daemons' state and logs
    /// (`dockerd.log`, `registry.log`, `docker.sock`, ...).
    pub fn dir(&self) -> &Path {
        &self.path
    }

    /// PID of the dockerd we started.
    pub fn dockerd_pid(&self) -> Option<u32> {
        self.dockerd.as_ref().map(Child::id)
    }

    /// PID of the docker-registry we started; `None` when an already running
    /// registry was reused.
    pub fn registry_pid(&self) -> Option<u32> {
        self.registry_child.as_ref().map(Child::id)
    }

    /// The daemon running here.
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// Whether our dockerd has died (checked by its PID, which stays ours
    /// until reaped here): `None` while it runs. Once it is gone, its log
    /// (which dropping the fixtures deletes with their directory) is copied
    /// to `<keep_in>/<daemon>.<case>.<unix time>.dockerd.log`, and the
    /// [`tally::Death`] says where, with the exit status, the log's lines of
    /// note (panics, fatal errors), its tail, and the kernel's lines about
    /// the PID (the OOM killer leaves nothing in dockerd's own log).
    pub fn dockerd_death(&mut self, keep_in: &Path, case: &str) -> Option<tally::Death> {
        let child = self.dockerd.as_mut()?;
        let pid = child.id();
        let status = match child.try_wait() {
            Ok(None) => return None,
            Ok(Some(status)) => status.to_string(),
            Err(e) => format!("cannot wait for it: {e}"),
        };
        let log = self.path.join("dockerd.log");
        let kept = keep_log(&log, keep_in, &format!("{}.{case}", self.daemon.name));
        let (mut details, log) = match kept {
            Ok(path) => (
                format!("dockerd (pid {pid}) log kept at {}\n", path.display()),
                path,
            ),
            Err(e) => (
                format!("dockerd (pid {pid}) log could not be kept: {e:#}\n"),
                log,
            ),
        };
        details.push_str(&log_lines_of_note(&log));
        details.push_str(&log_tail(&log));
        details.push_str(&kernel_lines_about(pid));
        Some(tally::Death { status, details })
    }

    /// A `Command` for the daemon's own `docker` client talking to our
    /// dockerd (`DOCKER_HOST` set) with BuildKit enabled
    /// (`DOCKER_BUILDKIT=1`). When the daemon comes with buildx, the client
    /// gets a private `DOCKER_CONFIG` whose `cli-plugins` holds it.
    pub fn docker(&self) -> Command {
        let mut cmd = Command::new(&self.daemon.cli);
        cmd.env("DOCKER_HOST", &self.docker_host)
            .env("DOCKER_BUILDKIT", "1");
        if self.daemon.buildx.is_some() {
            cmd.env("DOCKER_CONFIG", self.path.join("docker-config"));
        }
        cmd
    }

    /// Copies the image tagged `tag` in the OCI layout `layout` to
    /// `docker://<dest_ref>` (e.g. `127.0.0.1:5000/artifact-frontend:dev`)
    /// with `skopeo copy --all --dest-tls-verify=false` (an image index is
    /// copied with every platform).
    pub fn push_image(&self, layout: &Path, tag: &str, dest_ref: &str) -> Result<()> {
        skopeo(&[
            "copy",
            "--all",
            "--dest-tls-verify=false",
            &oci_ref(layout, Some(tag)),
            &format!("docker://{dest_ref}"),
        ])?;
        Ok(())
    }

    /// Round-trips an OCI layout through the registry: copies
    /// `oci:<layout>[:tag]` to `docker://<registry>/<repo>:e2e`, copies that
    /// back into a fresh layout in a temporary directory, and requires
    /// `skopeo inspect --raw` to return byte-identical manifests for the
    /// source layout, the registry and the copy (copies use `--all
    /// --preserve-digests`, so a nested image index travels unchanged); the
    /// copy must also pass [`fsck_layout`]. With `tag` `None`, skopeo 1.9
    /// needs the layout's index.json to hold exactly one manifest.
    pub fn skopeo_roundtrip(&self, layout: &Path, tag: Option<&str>, repo: &str) -> Result<()> {
        let src = oci_ref(layout, tag);
        let remote = format!("docker://{}/{repo}:e2e", self.registry);
        let back_dir = tempfile::Builder::new()
            .prefix("afx-rt.")
            .tempdir()
            .context("creating a temporary directory for the round trip")?;
        let back = oci_ref(&back_dir.path().join("layout"), Some("e2e"));

        // --all: copy an image index as is instead of picking one platform;
        // --preserve-digests: fail rather than rewrite a manifest.
        skopeo(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &src,
            &remote,
        ])
        .with_context(|| format!("pushing {src} to {remote}"))?;
        skopeo(&[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            &remote,
            &back,
        ])
        .with_context(|| format!("pulling {remote} back to {back}"))?;

        let original = skopeo(&["inspect", "--raw", &src])?.stdout;
        let pushed = skopeo(&["inspect", "--raw", "--tls-verify=false", &remote])?.stdout;
        let returned = skopeo(&["inspect", "--raw", &back])?.stdout;
        ensure!(
            original == pushed,
            "registry manifest differs from {src}:\n  layout:   {}\n  registry: {}",
            String::from_utf8_lossy(&original),
            String::from_utf8_lossy(&pushed)
        );
        ensure!(
            original == returned,
            "round-tripped manifest differs from {src}:\n  layout: {}\n  copy:   {}",
            String::from_utf8_lossy(&original),
            String::from_utf8_lossy(&returned)
        );
        fsck_layout(&back_dir.path().join("layout"))
            .context("checking the round-tripped layout")?;
        Ok(())
    }

    /// Stops one child: SIGTERM via `kill`, wait up to 20 s, then SIGKILL.
    fn stop_child(name: &str, child: &mut Child) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let pid = child.id();
        eprintln!("fixtures: stopping {name} (pid {pid})");
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match child.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) => sleep(Duration::from_millis(100)),
            }
        }
        eprintln!("fixtures: {name} (pid {pid}) ignored SIGTERM for 20s; killing it");
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stops dockerd's containerd if it outlived dockerd (only when its
    /// command line names our directory, so it is one we caused to start).
    fn stop_orphan_containerd(&self) {
        let pid_file = self.path.join("exec/containerd/containerd.pid");
        let Some(pid) = fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        else {
            return;
        };
        let ours = fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(&*self.path.to_string_lossy()))
            .unwrap_or(false);
        if !ours || !pid_alive(pid) {
            return;
        }
        eprintln!("fixtures: stopping leftover containerd (pid {pid})");
        for signal in ["-TERM", "-KILL"] {
            let _ = Command::new("kill")
                .arg(signal)
                .arg(pid.to_string())
                .status();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && pid_alive(pid) {
                sleep(Duration::from_millis(100));
            }
            if !pid_alive(pid) {
                return;
            }
        }
    }
}

impl Drop for Fixtures {
    /// Stops dockerd and (if we started it) the registry by PID, then any
    /// leftover containerd, lazily unmounts everything below the temporary
    /// directory and removes it. Errors are reported on stderr, not raised.
    fn drop(&mut self) {
        if let Some(mut child) = self.dockerd.take() {
            Self::stop_child("dockerd", &mut child);
        }
        self.stop_orphan_containerd();
        if let Some(mut child) = self.registry_child.take() {
            Self::stop_child("docker-registry", &mut child);
        }
        unmount_below(&self.path);
        if let Some(Err(e)) = self.dir.take().map(tempfile::TempDir::close) {
            eprintln!("fixtures: could not remove {}: {e}", self.path.display());
        }
    }
}

/// Builds the frontend image into `<repo_root>/target/frontend-image` by
/// running `scripts/build-image` (which honours `TAG` and `BINARY` from the
/// environment).
pub fn build_frontend_image(repo_root: &Path) -> Result<()> {
    let script = repo_root.join("scripts/build-image");
    let status = Command::new(&script)
        .current_dir(repo_root)
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    ensure!(status.success(), "{} failed: {status}", script.display());
    Ok(())
}

/// Copies directory `from` to `to`, recursively (a layout to read as an
/// input, an example to build in a scratch directory).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for e in fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()))?;
        } else {
            fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

/// What [`fsck_layout`] found in a valid OCI image layout.
#[derive(Debug, Clone)]
pub struct LayoutSummary {
    /// The parsed `index.json`.
    pub index: Value,
    /// Every manifest reachable from the index (depth first, nested indexes
    /// included), in index order.
    pub manifests: Vec<LayoutManifest>,
    /// Number of files under `blobs/sha256/`.
    pub blob_count: usize,
    /// Number of distinct blobs referenced (and verified) from the index.
    pub referenced_blob_count: usize,
}

impl LayoutSummary {
    /// Each manifest's `os/architecture` from its index descriptor.
    pub fn platforms(&self) -> Vec<String> {
        self.manifests
            .iter()
            .map(|m| {
                let p = &m.descriptor["platform"];
                format!(
                    "{}/{}",
                    p["os"].as_str().unwrap_or("?"),
                    p["architecture"].as_str().unwrap_or("?")
                )
            })
            .collect()
    }
}

/// One manifest of an OCI layout, as found by [`fsck_layout`].
#[derive(Debug, Clone)]
pub struct LayoutManifest {
    /// `sha256:<hex>` digest of the manifest blob.
    pub digest: String,
    /// The descriptor that referenced it (index entry, with annotations).
    pub descriptor: Value,
    /// The parsed manifest (an image manifest or a nested image index).
    pub manifest: Value,
}

/// Media type of an OCI image index.
pub const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Media type of a Docker manifest list.
pub const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// Checks an OCI image layout independently of the code under test:
/// `oci-layout` must be exactly `{"imageLayoutVersion":"1.0.0"}` (as JSON),
/// and for every manifest descriptor in `index.json` (recursing into nested
/// indexes) the blob must exist under `blobs/sha256/<hex>` with the
/// descriptor's size and sha256; each manifest's config and layer blobs are
/// checked the same way. Returns the index, the manifests and blob counts.
pub fn fsck_layout(dir: &Path) -> Result<LayoutSummary> {
    let layout: Value = read_json(&dir.join("oci-layout"))?;
    ensure!(
        layout == serde_json::json!({"imageLayoutVersion": "1.0.0"}),
        "oci-layout is {layout}, expected {{\"imageLayoutVersion\":\"1.0.0\"}}"
    );
    let index: Value = read_json(&dir.join("index.json"))?;
    ensure!(
        index.get("schemaVersion") == Some(&Value::from(2)),
        "index.json: schemaVersion must be 2, got {:?}",
        index.get("schemaVersion")
    );
    let descriptors = index
        .get("manifests")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("index.json: no \"manifests\" array"))?;

    let mut seen = BTreeSet::new();
    let mut manifests = Vec::new();
    for (i, desc) in descriptors.iter().enumerate() {
        check_manifest(
            dir,
            desc,
            &format!("index.json manifests[{i}]"),
            &mut seen,
            &mut manifests,
            0,
        )?;
    }

    let blob_count = match fs::read_dir(dir.join("blobs/sha256")) {
        Ok(rd) => rd
            .filter(|e| e.as_ref().map(|e| e.path().is_file()).unwrap_or(false))
            .count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e).context("listing blobs/sha256"),
    };
    Ok(LayoutSummary {
        index,
        manifests,
        blob_count,
        referenced_blob_count: seen.len(),
    })
}

/// Verifies the manifest (or nested index) blob that `desc` references, then
/// its children: config and layers for an image manifest, the listed
/// manifests for an index.
fn check_manifest(
    dir: &Path,
    desc: &Value,
    what: &str,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<LayoutManifest>,
    depth: usize,
) -> Result<()> {
    ensure!(depth < 8, "{what}: indexes nested too deeply");
    let bytes = check_blob(dir, desc, what)?;
    let digest = desc["digest"].as_str().unwrap_or_default().to_string();
    seen.insert(digest.clone());
    let manifest: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{what}: manifest {digest} is not JSON"))?;
    let desc_mt = desc.get("mediaType").and_then(Value::as_str);
    let body_mt = manifest.get("mediaType").and_then(Value::as_str);
    ensure!(desc_mt.is_some(), "{what}: descriptor has no mediaType");
    if let Some(body_mt) = body_mt {
        ensure!(
            Some(body_mt) == desc_mt,
            "{what}: descriptor mediaType {desc_mt:?} but manifest says {body_mt:?}"
        );
    }
    ensure!(
        manifest.get("schemaVersion") == Some(&Value::from(2)),
        "{what}: manifest {digest}: schemaVersion must be 2"
    );
    out.push(LayoutManifest {
        digest: digest.clone(),
        descriptor: desc.clone(),
        manifest: manifest.clone(),
    });

    let is_index = matches!(desc_mt, Some(MT_OCI_INDEX) | Some(MT_DOCKER_LIST));
    if is_index {
        let children = manifest
            .get("manifests")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("{what}: index {digest} has no \"manifests\" array"))?;
        for (i, child) in children.iter().enumerate() {
            check_manifest(
                dir,
                child,
                &format!("{what} -> manifests[{i}]"),
                seen,
                out,
                depth + 1,
            )?;
        }
    } else {
        let config = manifest
            .get("config")
            .ok_or_else(|| anyhow!("{what}: manifest {digest} has no config"))?;
        check_blob(dir, config, &format!("{what} -> config"))?;
        seen.insert(config["digest"].as_str().unwrap_or_default().to_string());
        let layers = manifest
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("{what}: manifest {digest} has no \"layers\" array"))?;
        for (i, layer) in layers.iter().enumerate() {
            check_blob(dir, layer, &format!("{what} -> layers[{i}]"))?;
            seen.insert(layer["digest"].as_str().unwrap_or_default().to_string());
        }
    }
    Ok(())
}

/// Verifies one descriptor's blob (existence, size, sha256) and returns its
/// bytes.
fn check_blob(dir: &Path, desc: &Value, what: &str) -> Result<Vec<u8>> {
    let digest = desc
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("{what}: descriptor has no digest: {desc}"))?;
    let size = desc
        .get("size")
        .and_then(Value::as_u64)
        .ok_or_else(|| anyhow!("{what}: descriptor has no (non-negative integer) size: {desc}"))?;
    let hex_part = digest
        .strip_prefix("sha256:")
        .ok_or_else(|| anyhow!("{what}: digest {digest} is not sha256"))?;
    ensure!(
        hex_part.len() == 64
            && hex_part
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{what}: malformed digest {digest}"
    );
    let path = dir.join("blobs/sha256").join(hex_part);
    let bytes = fs::read(&path)
        .with_context(|| format!("{what}: blob {digest} missing ({})", path.display()))?;
    ensure!(
        bytes.len() as u64 == size,
        "{what}: blob {digest} is {} bytes, descriptor says {size}",
        bytes.len()
    );
    let actual = hex::encode(Sha256::digest(&bytes));
    ensure!(
        actual == hex_part,
        "{what}: blob {digest} has sha256 {actual}"
    );
    Ok(bytes)
}

/// Reads and parses a JSON file.
fn read_json(path: &Path) -> Result<Value> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// `oci:<layout>` or `oci:<layout>:<tag>` for skopeo.
fn oci_ref(layout: &Path, tag: Option<&str>) -> String {
    match tag {
        Some(tag) => format!("oci:{}:{tag}", layout.display()),
        None => format!("oci:{}", layout.display()),
    }
}

/// Runs `skopeo <args>`, failing with its stderr when it does not succeed.
/// Copies image `reference` of the test registry (plain HTTP) to `dest`, a
/// skopeo destination (`oci:<dir>:<tag>`, `dir:<dir>`): one platform's
/// manifest, as a user's `skopeo copy` gives.
pub fn pull_image(reference: &str, dest: &str) -> Result<()> {
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{reference}"),
        dest,
    ])?;
    Ok(())
}

pub fn skopeo(args: &[&str]) -> Result<Output> {
    let out = Command::new("skopeo")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .context("running skopeo (apt-get install -y docker.io docker-registry skopeo jq)")?;
    ensure!(
        out.status.success(),
        "skopeo {} failed ({}):\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out)
}

/// Sends `GET /v2/` (hand-written HTTP/1.0) to the registry at `addr` and
/// succeeds on a 200 answer.
fn registry_get_v2(addr: &str) -> Result<()> {
    let sock: SocketAddr = addr
        .parse()
        .with_context(|| format!("bad registry address {addr}"))?;
    let mut stream = TcpStream::connect_timeout(&sock, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())?;
    let mut head = Vec::new();
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 4096 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status_line = status_line.lines().next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let (proto, code) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    ensure!(
        proto.starts_with("HTTP/1.") && code == "200",
        "registry {addr} answered {status_line:?} to GET /v2/"
    );
    Ok(())
}

/// Spawns `cmd` with stdin closed and stdout/stderr appended to `log`.
fn spawn_logged(cmd: &mut Command, log: &Path) -> Result<Child> {
    let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    Ok(cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn()?)
}

/// The last 40 lines of a log file, framed for an error message.
fn log_tail(path: &Path) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(40)..];
            format!(
                "---- last lines of {} ----\n{}\n----\n",
                path.display(),
                tail.join("\n")
            )
        }
        Err(_) => String::new(),
    }
}

/// Copies `log` to `<dir>/<stem>.<unix time>.dockerd.log` and returns that
/// path.
fn keep_log(log: &Path, dir: &Path, stem: &str) -> Result<PathBuf> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let kept = dir.join(format!("{stem}.{secs}.dockerd.log"));
    fs::copy(log, &kept)
        .with_context(|| format!("copying {} to {}", log.display(), kept.display()))?;
    Ok(kept)
}

/// The first 20 lines of a Go daemon's log that say why it stopped (a
/// panic, a fatal error, running out of memory), framed for a report; a
/// panic's goroutine dump runs for thousands of lines, so the tail alone
/// would miss its first line.
fn log_lines_of_note(path: &Path) -> String {
    const MARKS: [&str; 6] = [
        "panic:",
        "fatal error:",
        "level=fatal",
        "level=panic",
        "out of memory",
        "SIGSEGV",
    ];
    let Ok(bytes) = fs::read(path) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| MARKS.iter().any(|m| l.contains(m)))
        .take(20)
        .collect();
    if lines.is_empty() {
        return format!("---- no panic or fatal error in {} ----\n", path.display());
    }
    format!(
        "---- panics and fatal errors in {} ----\n{}\n----\n",
        path.display(),
        lines.join("\n")
    )
}

/// The kernel log's lines naming process `pid` (`Out of memory: Killed
/// process <pid>`, `oom-kill:...,pid=<pid>,`), framed for a report.
fn kernel_lines_about(pid: u32) -> String {
    let out = match Command::new("dmesg").stdin(Stdio::null()).output() {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => {
            return format!(
                "---- dmesg failed ({}): {} ----\n",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        Err(e) => return format!("---- dmesg could not run: {e} ----\n"),
    };
    let text = String::from_utf8_lossy(&out);
    let (named, as_field) = (format!("process {pid} "), format!("pid={pid},"));
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&named) || l.contains(&as_field))
        .collect();
    if lines.is_empty() {
        return format!("---- the kernel log names no process {pid} (no OOM kill) ----\n");
    }
    format!(
        "---- the kernel log on process {pid} ----\n{}\n----\n",
        lines.join("\n")
    )
}

/// Looks `name` up on `PATH`, returning the first executable file found.
pub(crate) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).find_map(|d| executable(&d.join(name)))
}

/// `Some(path)` when `path` is an executable regular file.
pub(crate) fn executable(path: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).ok()?;
    (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then(|| path.to_path_buf())
}

/// True when `/proc/<pid>` exists and the process is not a zombie.
fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the last ')' (the command name may hold any
            // character).
            let state = stat
                .rsplit_once(')')
                .map(|(_, rest)| rest.trim_start())
                .unwrap_or("");
            !(state.starts_with('Z') || state.starts_with('X'))
        }
        Err(_) => false,
    }
}

/// Decodes the octal escapes (`\040` etc.) of a /proc/mounts field.
fn unescape_mount_field(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4]
                .iter()
                .all(|b| (b'0'..=b'7').contains(b))
        {
            let v = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lazily unmounts (`umount -l`) every mount point at or below `dir` listed in
/// /proc/mounts, deepest first, so the directory can be removed.
fn unmount_below(dir: &Path) {
    let Ok(mounts) = fs::read_to_string("/proc/mounts") else {
        return;
    };
    let mut targets: Vec<PathBuf> = mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|f| PathBuf::from(unescape_mount_field(f)))
        .filter(|p| p.starts_with(dir))
        .collect();
    targets.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    for target in targets {
        let ok = Command::new("umount")
            .arg("-l")
            .arg(&target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("fixtures: could not unmount {}", target.display());
        }
    }
}
