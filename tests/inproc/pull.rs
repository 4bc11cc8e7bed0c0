//! `FROM oci://` through the whole frontend, in process: the fake solver
//! runs the pull's steps (see `solver`) against a real `docker-registry`
//! (see `registry_fixture`). A tag is resolved by a step that ignores the
//! cache and the fetch is keyed by the digest; the included index keeps
//! its digest and every blob; a missing tag fails at its line, listing the
//! tags; a digest reference needs no resolve step; a fetch that reports
//! an error runs once more ignoring the cache before the build fails.

use std::fs;
use std::future::Future;
use std::path::Path;

use super::registry_fixture::{Registry, have_tools, index_layout};
use super::{Own, assert_says, build, context, serving};
use artifact_frontend::registry::{self, Job};

/// `f`, run to its end on a thread and runtime of its own: the test's
/// runtime is the fake solver's.
fn on_a_thread<T: Send + 'static>(f: impl Future<Output = T> + Send + 'static) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    })
    .join()
    .unwrap()
}

/// A registry holding the index of [`index_layout`] as `models/base:v1`;
/// the layout pushed and the index's digest.
fn registry_with_an_index() -> (Registry, tempfile::TempDir, String) {
    let reg = Registry::start(None);
    let (src, digest) = index_layout();
    let job = Job {
        target: format!("{}/models/base:v1", reg.addr),
        ..Job::default()
    };
    let layout = src.path().to_path_buf();
    on_a_thread(async move { registry::push(&job, &layout, None, None).await.unwrap() });
    (reg, src, digest)
}

fn index(layout: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn from_oci_includes_the_registrys_index_unchanged() {
    if !have_tools() {
        return;
    }
    let (reg, src, digest) = registry_with_an_index();
    let file = format!(
        "FROM oci://{}/models/base:v1 AS base\nINCLUDE base AS b\n",
        reg.addr
    );
    let ctx = context(&[("Artifactfile", file.as_bytes())]);
    let solver = serving(ctx.path());
    let out = build(&solver, &[], Own::FrontendBin).await.unwrap();
    let entries = index(&out)["manifests"].clone();
    assert_eq!(entries[0]["digest"], digest.as_str(), "{entries}");
    assert_eq!(
        entries[0]["annotations"]["org.opencontainers.image.ref.name"],
        "v1"
    );
    for e in fs::read_dir(src.path().join("blobs/sha256")).unwrap() {
        let e = e.unwrap();
        let got = fs::read(out.join("blobs/sha256").join(e.file_name())).unwrap();
        assert_eq!(got, fs::read(e.path()).unwrap());
    }
    let pulls = solver.calls().pulls;
    assert_eq!(
        pulls,
        [(None, true), (Some(digest.clone()), false)],
        "a resolve that ignores the cache, then a fetch keyed by the digest"
    );

    // By digest: no resolve step.
    let file = format!(
        "FROM oci://{}/models/base@{digest} AS base\nINCLUDE base\n",
        reg.addr
    );
    let ctx = context(&[("Artifactfile", file.as_bytes())]);
    let solver = serving(ctx.path());
    let out = build(&solver, &[], Own::FrontendBin).await.unwrap();
    assert_eq!(index(&out)["manifests"][0]["digest"], digest.as_str());
    assert_eq!(solver.calls().pulls, [(Some(digest.clone()), false)]);

    // A tag the repository lacks: the FROM line, and the tags it has.
    let file = format!(
        "ARTIFACT application/vnd.example.v1\nFROM oci://{}/models/base:v2 AS base\n",
        reg.addr
    );
    let ctx = context(&[("Artifactfile", file.as_bytes())]);
    let e = build(&serving(ctx.path()), &[], Own::FrontendBin)
        .await
        .unwrap_err();
    assert_says(
        &e,
        &[
            "Artifactfile:2",
            "no tag v2 in repository models/base; its tags: v1",
        ],
        &[],
    );
}

/// A blob the registry lost: the fetch reports it, and runs once more
/// ignoring the cache (a failure BuildKit cached is never the answer)
/// before the build fails, naming the blob.
#[tokio::test]
async fn a_failed_fetch_runs_once_more_ignoring_the_cache() {
    if !have_tools() {
        return;
    }
    let (reg, _src, digest) = registry_with_an_index();
    let lost = artifact_frontend::digest::Digest::of(b"only amd64").to_string();
    let url = format!("http://{}/v2/models/base/blobs/{lost}", reg.addr);
    let deleted = on_a_thread(async move {
        let r = reqwest::Client::new().delete(&url).send().await.unwrap();
        r.status()
    });
    assert_eq!(deleted, 202);
    let file = format!(
        "FROM oci://{}/models/base@{digest} AS base\nINCLUDE base\n",
        reg.addr
    );
    let ctx = context(&[("Artifactfile", file.as_bytes())]);
    let solver = serving(ctx.path());
    let e = build(&solver, &[], Own::FrontendBin).await.unwrap_err();
    assert_says(
        &e,
        &[
            "Artifactfile:1",
            &format!("has no blob {lost} in repository models/base"),
        ],
        &[],
    );
    assert_eq!(
        solver.calls().pulls,
        [(Some(digest.clone()), false), (Some(digest), true)]
    );
}
