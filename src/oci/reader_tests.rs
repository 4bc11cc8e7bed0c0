//! Tests of `reader.rs` on layouts written into a temporary directory and
//! read through [`Dir`], a [`LayoutFiles`] over `std::fs` that keeps links
//! inside the layout as the gateway does. The documents are written here
//! as plain JSON, not by this crate's writer, so that the reader is tested
//! against what other tools write (Docker media types, `urls`, tags deep
//! in nested indexes).

use std::future::Future;
use std::io;
use std::path::{Component, Path, PathBuf};

use oci_spec::image::Descriptor;
use serde_json::{Value, json};

use super::*;

/// A layout on disk, read as the gateway reads an input: links followed
/// only inside the root.
struct Dir(PathBuf);

impl Dir {
    fn read_now(&self, path: &str, max: u64) -> io::Result<FileRead> {
        let root = self.0.canonicalize()?;
        let mut at = root.clone();
        for part in Path::new(path).components() {
            let Component::Normal(part) = part else {
                return Ok(FileRead::Missing);
            };
            at.push(part);
            let meta = match std::fs::symlink_metadata(&at) {
                Ok(meta) => meta,
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileRead::Missing),
                Err(e) => return Err(e),
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&at)?;
                let link = at.strip_prefix(&root).unwrap_or(&at).display().to_string();
                let outside = FileRead::LinkOutside {
                    link,
                    target: target.display().to_string(),
                };
                let Ok(resolved) = at.canonicalize() else {
                    return Ok(match target.is_absolute() {
                        true => outside,
                        false => FileRead::Missing,
                    });
                };
                if !resolved.starts_with(&root) {
                    return Ok(outside);
                }
                at = resolved;
            }
        }
        let meta = std::fs::metadata(&at)?;
        if !meta.is_file() {
            return Ok(FileRead::NotRegular);
        }
        if meta.len() > max {
            return Ok(FileRead::TooLarge(meta.len()));
        }
        Ok(FileRead::Bytes(std::fs::read(&at)?))
    }
}

impl LayoutFiles for Dir {
    type Error = io::Error;

    fn read(&self, path: &str, max: u64) -> impl Future<Output = io::Result<FileRead>> + Send {
        std::future::ready(self.read_now(path, max))
    }
}

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";
const IMAGE_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const GZIP_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A layout being written in a temporary directory.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).unwrap();
        std::fs::write(
            dir.path().join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )
        .unwrap();
        Fixture { dir }
    }

    fn files(&self) -> Dir {
        Dir(self.dir.path().to_path_buf())
    }

    fn path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.dir.path().join("blobs/sha256").join(hex)
    }

    /// Writes `data` as a blob; its descriptor as JSON.
    fn blob(&self, media_type: &str, data: &[u8]) -> Value {
        let digest = Digest::of(data).to_string();
        std::fs::write(self.path(&digest), data).unwrap();
        json!({"mediaType": media_type, "digest": digest, "size": data.len()})
    }

    /// A manifest of `config` and `layers` (descriptors); its descriptor.
    fn manifest(&self, config: &Value, layers: &[Value]) -> Value {
        let body = json!({
            "schemaVersion": 2, "mediaType": MANIFEST, "config": config, "layers": layers,
        });
        self.blob(MANIFEST, body.to_string().as_bytes())
    }

    /// A manifest with an empty config and one small layer, `seed`.
    fn small_manifest(&self, seed: &str) -> Value {
        let config = self.blob("application/vnd.oci.empty.v1+json", b"{}");
        let layer = self.blob("text/plain", seed.as_bytes());
        self.manifest(&config, &[layer])
    }

    /// An index over `members`; its descriptor.
    fn index(&self, members: &[Value]) -> Value {
        let body = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": members});
        self.blob(INDEX, body.to_string().as_bytes())
    }

    fn index_json(&self, entries: &[Value]) {
        let body = json!({"schemaVersion": 2, "manifests": entries});
        std::fs::write(self.dir.path().join("index.json"), body.to_string()).unwrap();
    }

    async fn open(&self) -> LayoutIndex {
        LayoutIndex::open(&self.files()).await.unwrap()
    }
}

fn descriptor(v: &Value) -> Descriptor {
    serde_json::from_value(v.clone()).unwrap()
}

fn with(mut d: Value, key: &str, value: Value) -> Value {
    d[key] = value;
    d
}

fn tagged(d: &Value, tag: &str) -> Value {
    with(d.clone(), "annotations", json!({ REF_NAME: tag }))
}

fn platform(d: &Value, arch: &str) -> Value {
    with(
        d.clone(),
        "platform",
        json!({"os": "linux", "architecture": arch}),
    )
}

/// `buildx --platform linux/amd64,linux/arm64 -o type=oci`: one entry, an
/// index of two platforms' manifests; the manifests' descriptors.
fn multi_platform(f: &Fixture) -> (Value, Value) {
    let amd64 = platform(&f.small_manifest("amd64"), "amd64");
    let arm64 = platform(&f.small_manifest("arm64"), "arm64");
    let index = f.index(&[amd64.clone(), arm64.clone()]);
    f.index_json(&[tagged(&index, "latest")]);
    (amd64, arm64)
}

#[tokio::test]
async fn a_platform_manifest_is_found_by_digest_inside_the_index() {
    let f = Fixture::new();
    let (_, arm64) = multi_platform(&f);
    let index = f.open().await;
    let digest: Digest = arm64["digest"].as_str().unwrap().parse().unwrap();
    let found = index.find_digest(&f.files(), &digest).await.unwrap();
    assert_eq!(
        found,
        descriptor(&arm64),
        "the member as its index lists it"
    );
    let parts = manifest(&f.files(), &found).await.unwrap();
    assert_eq!(parts.layers.len(), 1);
}

#[tokio::test]
async fn a_tag_is_found_at_any_depth_nearest_first() {
    let f = Fixture::new();
    let deep = f.small_manifest("deep");
    let near = f.small_manifest("near");
    let inner = f.index(&[tagged(&deep, "v1")]);
    let outer = f.index(&[inner, tagged(&near, "v2")]);
    f.index_json(&[outer]);
    let index = f.open().await;
    let found = index.find_tag(&f.files(), "v1").await.unwrap();
    assert_eq!(found.digest().to_string(), deep["digest"].as_str().unwrap());
    let found = index.find_tag(&f.files(), "v2").await.unwrap();
    assert_eq!(found.digest().to_string(), near["digest"].as_str().unwrap());
    let err = index.find_tag(&f.files(), "v3").await.unwrap_err();
    assert!(matches!(err, LayoutError::NoTag(t) if t == "v3"));
}

#[tokio::test]
async fn a_full_reference_as_a_tag_is_found() {
    let f = Fixture::new();
    let m = f.small_manifest("podman");
    f.index_json(&[tagged(&m, "localhost/x:1")]);
    let index = f.open().await;
    let found = index.find_tag(&f.files(), "localhost/x:1").await.unwrap();
    assert_eq!(found.digest().to_string(), m["digest"].as_str().unwrap());
}

#[tokio::test]
async fn an_index_given_for_a_manifest_lists_its_platforms() {
    let f = Fixture::new();
    let (amd64, arm64) = multi_platform(&f);
    let index = f.open().await;
    let only = index.sole_entry::<io::Error>().unwrap();
    let err = manifest(&f.files(), &only).await.unwrap_err();
    let LayoutError::NotAManifest { children, .. } = err else {
        panic!("{err}");
    };
    assert_eq!(children, [descriptor(&amd64), descriptor(&arm64)]);
}

#[tokio::test]
async fn one_document_listed_under_two_tags_is_the_sole_entry() {
    let f = Fixture::new();
    let m = f.small_manifest("ours");
    f.index_json(&[tagged(&m, "v1"), tagged(&m, "latest")]);
    let index = f.open().await;
    let only = index.sole_entry::<io::Error>().unwrap();
    assert_eq!(only.digest().to_string(), m["digest"].as_str().unwrap());
    assert_eq!(index.tags(), ["v1", "latest"]);

    let other = f.small_manifest("theirs");
    f.index_json(&[tagged(&m, "v1"), tagged(&m, "latest"), other]);
    let index = f.open().await;
    let err = index.sole_entry::<io::Error>().unwrap_err();
    assert!(matches!(err, LayoutError::SeveralEntries(2)), "{err}");
}

#[tokio::test]
async fn what_is_not_a_layout_is_named() {
    let f = Fixture::new();
    let err = LayoutIndex::open(&f.files()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::NotALayout {
                missing: "index.json"
            }
        ),
        "{err}"
    );
    std::fs::remove_file(f.dir.path().join("oci-layout")).unwrap();
    let err = LayoutIndex::open(&f.files()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LayoutError::NotALayout {
                missing: "oci-layout"
            }
        ),
        "{err}"
    );

    let f = Fixture::new();
    std::os::unix::fs::symlink("/etc/passwd", f.dir.path().join("index.json")).unwrap();
    let err = LayoutIndex::open(&f.files()).await.unwrap_err();
    let LayoutError::LinkOutside { link, target, .. } = err else {
        panic!("{err}");
    };
    assert_eq!(
        (link.as_str(), target.as_str()),
        ("index.json", "/etc/passwd")
    );

    let f = Fixture::new();
    std::fs::write(f.dir.path().join("index.json"), r#"{"manifests":3}"#).unwrap();
    let err = LayoutIndex::open(&f.files()).await.unwrap_err();
    assert!(matches!(err, LayoutError::IndexJson(_)), "{err}");
}

#[tokio::test]
async fn a_damaged_or_missing_document_is_refused() {
    let f = Fixture::new();
    let m = f.small_manifest("a");
    f.index_json(std::slice::from_ref(&m));
    let d = descriptor(&m);
    let path = f.path(m["digest"].as_str().unwrap());
    std::fs::write(&path, b"A").unwrap();
    let err = document(&f.files(), &d).await.unwrap_err();
    let LayoutError::Damaged { mismatch } = err else {
        panic!("{err}");
    };
    assert_eq!(mismatch.found, (Digest::of(b"A"), 1));
    assert_eq!(mismatch.named.0.to_string(), m["digest"].as_str().unwrap());

    std::fs::remove_file(&path).unwrap();
    let err = content(&f.files(), &d).await.unwrap_err();
    assert!(
        matches!(&err, LayoutError::Missing { digest } if digest == &mismatch.named.0),
        "{err}"
    );
}

#[tokio::test]
async fn a_non_distributable_layer_the_layout_lacks_is_named_not_copied() {
    let f = Fixture::new();
    let config = f.blob("application/vnd.oci.empty.v1+json", b"{}");
    let urls = json!(["https://example.com/layer"]);
    // Not in the layout: OCI lets a non-distributable layer be fetched
    // from its URLs instead.
    let foreign = with(
        json!({"mediaType": GZIP_LAYER, "digest": Digest::of(b"far").to_string(), "size": 3}),
        "urls",
        urls.clone(),
    );
    // In the layout: copied like any other.
    let held = with(f.blob(GZIP_LAYER, b"near"), "urls", urls);
    let m = f.manifest(&config, &[foreign.clone(), held.clone()]);
    f.index_json(std::slice::from_ref(&m));
    let got = content(&f.files(), &descriptor(&m)).await.unwrap();
    assert_eq!(got.elsewhere, [descriptor(&foreign)]);
    assert_eq!(got.blobs, [descriptor(&config), descriptor(&held)]);
    assert_eq!(got.documents.len(), 1);

    // Without urls, a blob the layout lacks is missing.
    let plain = json!({"mediaType": GZIP_LAYER, "digest": foreign["digest"], "size": 3});
    assert!(!elsewhere(&f.files(), &descriptor(&plain)).await.unwrap());
}

#[tokio::test]
async fn an_image_config_gives_its_layers_diff_ids() {
    let f = Fixture::new();
    let diff_id = Digest::of(b"the tar");
    let body = json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    });
    let config = descriptor(&f.blob(IMAGE_CONFIG, body.to_string().as_bytes()));
    let ids = image_diff_ids(&f.files(), &config, 1).await.unwrap();
    assert_eq!(ids, Some(vec![diff_id]));
    // A count that does not match the layers says nothing.
    assert_eq!(image_diff_ids(&f.files(), &config, 2).await.unwrap(), None);
    // Nor does a config of another kind, which is not read.
    let other = descriptor(&json!({
        "mediaType": "application/vnd.cncf.model.config.v1+json",
        "digest": Digest::of(b"absent").to_string(), "size": 6,
    }));
    assert_eq!(image_diff_ids(&f.files(), &other, 1).await.unwrap(), None);
}

#[test]
fn compressed_or_encrypted_layers_have_a_diff_id_of_their_own() {
    for transformed in [
        GZIP_LAYER,
        "application/vnd.oci.image.layer.v1.tar+zstd",
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
        "application/vnd.oci.image.layer.v1.tar+encrypted",
        "application/vnd.docker.image.rootfs.diff.tar.gzip",
        "application/vnd.cncf.model.weight.v1.tar+zstd",
    ] {
        assert!(!diff_id_is_digest(transformed), "{transformed}");
    }
    for plain in [
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.cncf.model.weight.v1.raw",
        "text/plain",
        "application/vnd.example.config.v1+json",
    ] {
        assert!(diff_id_is_digest(plain), "{plain}");
    }
}
