//! OCI image layouts written by hand, as other tools write them and this
//! frontend never does: a multi-platform image (one `index.json` entry, an
//! index of platforms' manifests), an image config with `rootfs.diff_ids`,
//! Podman's full references as tags, non-distributable layers with `urls`
//! whose blobs the layout lacks, encrypted layers.

use std::fs;
use std::path::Path;

use artifact_frontend::digest::Digest;
use serde_json::{Value, json};

pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const EMPTY: &str = "application/vnd.oci.empty.v1+json";
const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// A layout being written in a temporary directory.
pub struct HandLayout {
    dir: tempfile::TempDir,
}

impl HandLayout {
    pub fn new() -> HandLayout {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        HandLayout { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `data` as a blob; its descriptor.
    pub fn blob(&self, media_type: &str, data: &[u8]) -> Value {
        let digest = Digest::of(data);
        fs::write(self.path().join("blobs/sha256").join(digest.hex()), data).unwrap();
        json!({"mediaType": media_type, "digest": digest.to_string(), "size": data.len()})
    }

    /// A manifest of `config` and `layers`; its descriptor.
    pub fn manifest(&self, config: &Value, layers: &[Value]) -> Value {
        let body = json!({
            "schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": layers,
        });
        self.blob(MANIFEST, body.to_string().as_bytes())
    }

    /// A manifest with the empty config and one text layer holding `text`.
    pub fn small_manifest(&self, text: &str) -> Value {
        let config = self.blob(EMPTY, b"{}");
        let layer = self.blob("text/plain", text.as_bytes());
        self.manifest(&config, &[layer])
    }

    /// An index over `members`; its descriptor.
    pub fn index(&self, members: &[Value]) -> Value {
        let body = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": members});
        self.blob(INDEX, body.to_string().as_bytes())
    }

    pub fn index_json(&self, entries: &[Value]) {
        let body = json!({"schemaVersion": 2, "manifests": entries});
        fs::write(self.path().join("index.json"), body.to_string()).unwrap();
    }
}

/// `d` with `key` set to `value`.
pub fn with(mut d: Value, key: &str, value: Value) -> Value {
    d[key] = value;
    d
}

/// `d` tagged `tag`, as an `index.json` entry.
pub fn tagged(d: &Value, tag: &str) -> Value {
    with(d.clone(), "annotations", json!({ REF_NAME: tag }))
}

/// `d` for platform linux/`arch`, as an index lists a platform's manifest.
pub fn for_platform(d: &Value, arch: &str) -> Value {
    with(
        d.clone(),
        "platform",
        json!({"os": "linux", "architecture": arch}),
    )
}
