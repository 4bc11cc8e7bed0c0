//! Small images the end-to-end tests build from local files, written as OCI
//! layouts and pushed with skopeo: no Docker Hub, no network.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use sha2::{Digest, Sha256};

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Writes an OCI layout at `dir` (tag `latest`) of an image whose one
/// uncompressed layer is `layer`.
fn write_layout(dir: &Path, layer: &[u8], config: serde_json::Value) -> Result<()> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let put = |data: &[u8]| -> Result<(String, usize)> {
        let d = sha(data);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), data)?;
        Ok((d, data.len()))
    };
    let (layer_digest, layer_size) = put(layer)?;
    let mut config = config;
    config["rootfs"] = serde_json::json!({"type": "layers", "diff_ids": [layer_digest]});
    let (config_digest, config_size) = put(&serde_json::to_vec(&config)?)?;
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size}],
    });
    let (manifest_digest, manifest_size) = put(&serde_json::to_vec(&manifest)?)?;
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest, "size": manifest_size,
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    });
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(())
}

/// A busybox image (Debian's static busybox as `/bin/busybox` and
/// `/bin/sh`), for Dockerfile stages with `RUN`.
pub fn busybox(dir: &Path) -> Result<PathBuf> {
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .context("no busybox binary: apt-get install -y busybox-static")?;
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Directory);
    h.set_mode(0o755);
    h.set_size(0);
    tar.append_data(&mut h, "bin/", std::io::empty())?;
    let data = std::fs::read(busybox)?;
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o755);
    h.set_size(data.len() as u64);
    tar.append_data(&mut h, "bin/busybox", data.as_slice())?;
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_mode(0o777);
    h.set_size(0);
    tar.append_link(&mut h, "bin/sh", "busybox")?;
    let layer = tar.into_inner()?;
    let out = dir.join("busybox-image");
    write_layout(
        &out,
        &layer,
        serde_json::json!({"architecture": arch(), "os": "linux", "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]}}),
    )?;
    Ok(out)
}

/// The `producer-frontend` example as a frontend image, built by the
/// script its documentation names (`scripts/build-example-frontend`).
pub fn producer_frontend(root: &Path) -> Result<PathBuf> {
    let out = root.join("target/producer-image");
    let status = Command::new(root.join("scripts/build-example-frontend"))
        .env("OUT", &out)
        .current_dir(root)
        .status()?;
    ensure!(status.success(), "scripts/build-example-frontend failed");
    Ok(out)
}

/// The Rust host triple (`rustc -vV`), e.g. `x86_64-unknown-linux-gnu`.
pub fn host_triple() -> Result<String> {
    String::from_utf8(Command::new("rustc").arg("-vV").output()?.stdout)?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .context("no host triple from rustc -vV")
}
