//! The registry pull (`FROM oci://`) against a real registry (see
//! `registry_fixture`): an index of two platforms pushed with our pusher
//! comes back byte for byte, its tag resolved to the digest pushed; a tag
//! the repository lacks lists the tags it has, a repository it lacks says
//! so, a blob the registry lost is named, credentials are asked for the
//! way the push asks, and a registry that is not there is named at once.
//!
//! Needs `docker-registry`, `htpasswd` (apache2-utils) and `skopeo`; without
//! them the tests say so and pass, unless ARTIFACT_E2E=require (CI).

mod registry_fixture;

use std::path::Path;
use std::time::{Duration, Instant};

use artifact_frontend::digest::Digest;
use artifact_frontend::registry::{self, Job, PullJob};
use registry_fixture::{Registry, have_tools, index_layout};
use serde_json::{Value, json};

const INDEX: &str = "application/vnd.oci.image.index.v1+json";

async fn push(target: String, layout: &Path) {
    let job = Job {
        target,
        ..Job::default()
    };
    registry::push(&job, layout, None, None).await.unwrap();
}

fn job(reference: String, digest: Option<&str>) -> PullJob {
    PullJob {
        reference,
        digest: digest.map(str::to_string),
        insecure: Vec::new(),
    }
}

/// Every file of `dir` below `blobs/sha256`, by name.
fn blobs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("blobs/sha256"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn an_index_pulls_back_byte_for_byte_and_its_tag_resolves() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (src, digest) = index_layout();
    push(format!("{}/models/base:v1", reg.addr), src.path()).await;
    let reference = format!("{}/models/base:v1", reg.addr);

    let out = tempfile::tempdir().unwrap();
    let resolved = registry::pull::pull(&job(reference.clone(), None), out.path(), None, None)
        .await
        .unwrap()
        .resolved
        .unwrap();
    assert_eq!(resolved.digest, digest);
    assert_eq!(resolved.media_type, INDEX);

    let fetched = registry::pull::pull(
        &job(reference.clone(), Some(&digest)),
        out.path(),
        None,
        None,
    )
    .await
    .unwrap()
    .fetched
    .unwrap();
    // The index, two manifests; two configs, the shared layer once, two
    // own layers.
    assert_eq!((fetched.manifests, fetched.blobs), (3, 5), "{fetched:?}");
    assert_eq!(blobs(out.path()), blobs(src.path()));
    let index: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"],
        json!([{
            "mediaType": INDEX, "digest": digest,
            "size": std::fs::read(src.path().join("blobs/sha256").join(&digest[7..])).unwrap().len(),
            "annotations": {"org.opencontainers.image.ref.name": "v1"},
        }])
    );
    assert!(out.path().join("oci-layout").is_file());

    // By digest alone: the same blobs, no tag on the entry.
    let by_digest = tempfile::tempdir().unwrap();
    let r = format!("{}/models/base@{digest}", reg.addr);
    registry::pull::pull(&job(r, Some(&digest)), by_digest.path(), None, None)
        .await
        .unwrap();
    assert_eq!(blobs(by_digest.path()), blobs(src.path()));
    let index: Value =
        serde_json::from_slice(&std::fs::read(by_digest.path().join("index.json")).unwrap())
            .unwrap();
    assert_eq!(index["manifests"][0].get("annotations"), None);
}

#[tokio::test]
async fn a_missing_tag_lists_the_tags_and_a_missing_repository_says_so() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (src, _) = index_layout();
    push(format!("{}/models/base:v1", reg.addr), src.path()).await;
    push(format!("{}/models/base:v2", reg.addr), src.path()).await;
    let out = tempfile::tempdir().unwrap();
    let e = registry::pull::pull(
        &job(format!("{}/models/base:v3", reg.addr), None),
        out.path(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains("no tag v3 in repository models/base; its tags: v1, v2"),
        "{e}"
    );
    let e = registry::pull::pull(
        &job(format!("{}/models/nothing:v1", reg.addr), None),
        out.path(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(e.contains("no such repository"), "{e}");
    assert!(e.contains("models/nothing"), "{e}");
}

#[tokio::test]
async fn a_blob_the_registry_lost_is_named() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (src, digest) = index_layout();
    push(format!("{}/models/base:v1", reg.addr), src.path()).await;
    let lost = Digest::of(b"only arm64").to_string();
    let url = format!("http://{}/v2/models/base/blobs/{lost}", reg.addr);
    let r = reqwest::Client::new().delete(&url).send().await.unwrap();
    assert_eq!(r.status(), 202, "deleting {lost}");
    let out = tempfile::tempdir().unwrap();
    let e = registry::pull::pull(
        &job(format!("{}/models/base@{digest}", reg.addr), Some(&digest)),
        out.path(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        e.contains(&format!("has no blob {lost} in repository models/base")),
        "{e}"
    );
    assert!(e.contains("which manifest sha256:"), "{e}");
}

#[tokio::test]
async fn a_registry_that_wants_credentials_says_how_to_pass_them() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(Some(("alice", "s3cret-pw")));
    let out = tempfile::tempdir().unwrap();
    let e = registry::pull::pull(
        &job(format!("{}/models/base:v1", reg.addr), None),
        out.path(),
        None,
        None,
    )
    .await
    .unwrap_err();
    assert!(e.contains(&reg.addr) && e.contains("401"), "{e}");
    assert!(e.contains("models/base"), "{e}");
    assert!(
        e.contains("--secret id=registry,src=$HOME/.docker/config.json"),
        "{e}"
    );
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:wrong");
    let wrong = serde_json::to_vec(&json!({"auths": {&reg.addr: {"auth": auth}}})).unwrap();
    let e = registry::pull::pull(
        &job(format!("{}/models/base:v1", reg.addr), None),
        out.path(),
        Some(&wrong),
        None,
    )
    .await
    .unwrap_err();
    assert!(e.contains("401") && !e.contains("wrong"), "{e}");
}

#[tokio::test]
async fn a_registry_that_is_not_there_is_named_within_a_minute() {
    // A port nothing listens on (bound, then let go), and a host no DNS has.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = tempfile::tempdir().unwrap();
    for registry in [
        format!("127.0.0.1:{port}"),
        "no-such-host.invalid".to_string(),
    ] {
        let started = Instant::now();
        let e = registry::pull::pull(
            &job(format!("{registry}/models/base:v1"), None),
            out.path(),
            None,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{registry}: took too long"
        );
        assert!(
            e.contains(&format!("cannot reach registry {registry}")),
            "{e}"
        );
    }
}
