//! Builds of many files and of big ones, in-process: how the work is cut
//! (what each hashing step mounts, so BuildKit can cache it), how many
//! paths a local source carries (clients refuse a few hundred), and how
//! deep the layout's ops stack (overlay2 refuses more than 128 layers).
//! The end-to-end suite checks the same on real daemons.

use std::fs;
use std::path::Path;

use artifact_frontend::artifact::inputs::transfer::{MAX_FOLLOW_PATHS, MAX_PATTERN_BYTES};
use artifact_frontend::proto::pb;
use prost::Message as _;
use sha2::{Digest as _, Sha256};

use super::solver::Solver;
use super::support;
use super::{Own, build, serving};

/// A file of `len` bytes (sparse: cheap to make, costly only to hash).
fn sparse(path: &Path, len: u64) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::File::create(path).unwrap().set_len(len).unwrap();
}

#[tokio::test]
async fn big_files_are_hashed_by_steps_that_mount_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sparse(&d.join("shard-1.safetensors"), 64 << 20);
    sparse(&d.join("shard-2.safetensors"), 65 << 20);
    fs::write(d.join("config.json"), br#"{"model_type":"tiny"}"#).unwrap();
    fs::write(d.join("README.md"), b"# tiny\n").unwrap();
    fs::write(d.join("Modelfile"), b"NAME tiny\n").unwrap();
    let solver = serving(d);
    let layout = build(&solver, &[("filename", "Modelfile")], Own::FrontendBin)
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    let summary = support::fsck_layout(&layout).unwrap();
    assert_eq!(
        summary.manifests[0].manifest["layers"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let calls = solver.calls();
    // One step per shard and one for the small files, each mounting its
    // own paths: a card edit is a new key for the small files' step only.
    assert_eq!((calls.listings, calls.execs), (1, 3), "{calls:?}");
    let mut selected = calls.selected.clone();
    selected.sort();
    assert_eq!(
        selected,
        [
            "/README.md",
            "/config.json",
            "/shard-1.safetensors",
            "/shard-2.safetensors"
        ]
    );
}

/// A context of `n` one-line files named by `name(i)`.
fn files(dir: &Path, n: usize, name: impl Fn(usize) -> String) -> Vec<String> {
    (0..n)
        .map(|i| {
            let path = name(i);
            let p = dir.join(&path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, format!("file {i}\n")).unwrap();
            path
        })
        .collect()
}

async fn layers_of(solver: &Solver, pairs: &[(&str, &str)], own: Own) -> usize {
    let layout = build(solver, pairs, own)
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    let summary = support::fsck_layout(&layout).unwrap();
    summary.manifests[0].manifest["layers"]
        .as_array()
        .unwrap()
        .len()
}

/// `n` files at the context's top, listed in `layers.json`.
fn listed_at_the_top(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let names = files(dir.path(), n, |i| format!("f{i}.txt"));
    let layers: Vec<serde_json::Value> = names
        .iter()
        .map(|n| serde_json::json!({"path": n, "mediaType": "text/plain"}))
        .collect();
    fs::write(
        dir.path().join("layers.json"),
        serde_json::to_vec(&layers).unwrap(),
    )
    .unwrap();
    dir
}

fn contract(hash: &str) -> [(&str, &str); 4] {
    [
        (
            "containerimage.artifact.config.mediatype",
            "application/vnd.oci.empty.v1+json",
        ),
        (
            "containerimage.artifact.type",
            "application/vnd.example.files.v1",
        ),
        ("containerimage.artifact.layers", "@layers.json"),
        ("artifact.hash", hash),
    ]
}

// The e2e suite builds 10,000; here fewer do: the fake copies whole trees
// for each file action, which real daemons don't.
#[tokio::test]
async fn many_named_files_at_the_top_stay_within_the_budget() {
    let dir = listed_at_the_top(1_000);
    let solver = serving(dir.path());
    let layers = layers_of(&solver, &contract("exec"), Own::FrontendBin).await;
    assert_eq!(layers, 1_000);
    let (n, bytes) = solver.calls().local_patterns;
    assert!(n <= MAX_FOLLOW_PATHS, "{n} paths in one local source");
    assert!(bytes <= MAX_PATTERN_BYTES, "{bytes} bytes of paths");
}

#[tokio::test]
async fn the_gateway_path_stacks_no_deeper_than_overlay2_allows() {
    // 2,000 copies in parts of 15, stacked, were 134 layers: the fake
    // refuses more than 128, as Docker's overlay2 does.
    let dir = listed_at_the_top(2_000);
    let solver = serving(dir.path());
    let layers = layers_of(&solver, &contract("gateway"), Own::Unknown).await;
    assert_eq!(layers, 2_000);
    assert_eq!(solver.calls().execs, 0);
}

/// The copy parts (their op digests) each Solve request holds that no
/// earlier one did: what the daemon runs at once for it, since it reuses
/// what it built for an earlier request of the same build.
fn new_copy_parts_per_solve(solver: &Solver) -> Vec<usize> {
    let mut seen = std::collections::BTreeSet::new();
    let definitions = solver.calls().definitions;
    definitions
        .iter()
        .map(|wire| {
            let def = pb::Definition::decode(wire.as_slice()).unwrap();
            let parts = def.metadata.iter().filter(|(_, m)| {
                m.description
                    .get("llb.customname")
                    .is_some_and(|n| n.starts_with("[artifact] copying layer blobs, part"))
            });
            parts.filter(|(d, _)| seen.insert(d.to_string())).count()
        })
        .collect()
}

#[tokio::test]
async fn the_gateway_path_copies_a_group_of_parts_at_a_time() {
    // 10,000 copies are ~670 parts, all ready at once: Docker 28.5's
    // dockerd ran them all together and grew ninefold. Solved a group of
    // 16 at a time (ACTIONS_PER_OP), before the layout that reuses them.
    let dir = listed_at_the_top(10_000);
    let solver = serving(dir.path());
    let layers = layers_of(&solver, &contract("gateway"), Own::Unknown).await;
    assert_eq!(layers, 10_000);
    let widths = new_copy_parts_per_solve(&solver);
    assert_eq!(widths.iter().sum::<usize>(), 10_000_usize.div_ceil(15));
    let widest = widths.iter().max().copied().unwrap_or(0);
    assert!(
        widest <= 16,
        "one Solve request held {widest} new copy parts"
    );
}

#[tokio::test]
async fn two_thousand_layer_lines_with_long_names_stay_within_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(200);
    let names = files(dir.path(), 2_000, |i| format!("d{}/{long}-{i}.txt", i % 20));
    let lines: String = names
        .iter()
        .map(|n| format!("LAYER text/plain {n}\n"))
        .collect();
    let spec = format!("ARTIFACT application/vnd.example.files.v1\n{lines}");
    fs::write(dir.path().join("Artifactfile"), spec).unwrap();
    let solver = serving(dir.path());
    assert_eq!(layers_of(&solver, &[], Own::FrontendBin).await, 2_000);
    let (n, bytes) = solver.calls().local_patterns;
    assert!(
        n <= MAX_FOLLOW_PATHS && bytes <= MAX_PATTERN_BYTES,
        "{n} paths, {bytes} bytes"
    );
}

#[tokio::test]
async fn a_thousand_model_lines_stay_within_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let names = files(dir.path(), 1_000, |i| format!("shards/part-{i:04}.bin"));
    let lines: String = names.iter().map(|n| format!("MODEL {n}\n")).collect();
    let spec = format!("NAME many\n{lines}");
    fs::write(dir.path().join("Modelfile"), spec).unwrap();
    let solver = serving(dir.path());
    let pairs = [("filename", "Modelfile")];
    assert_eq!(layers_of(&solver, &pairs, Own::FrontendBin).await, 1_000);
    let (n, _) = solver.calls().local_patterns;
    assert!(n <= MAX_FOLLOW_PATHS, "{n} paths in one local source");
}

/// An Artifactfile packaging each of `paths` as a layer of its own.
fn layer_lines(dir: &Path, paths: &[String]) {
    let lines: String = paths
        .iter()
        .map(|p| format!("LAYER application/octet-stream {p}\n"))
        .collect();
    let spec = format!("ARTIFACT application/vnd.example.files.v1\n{lines}");
    fs::write(dir.join("Artifactfile"), spec).unwrap();
}

/// The layers' digests, in order.
async fn layer_digests(solver: &Solver) -> Vec<String> {
    let layout = build(solver, &[], Own::FrontendBin)
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    let summary = support::fsck_layout(&layout).unwrap();
    summary.manifests[0].manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect()
}

fn digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

#[tokio::test]
async fn a_long_dockerignore_counts_in_the_budget() {
    // 471 patterns and 300 named files in 20 directories: with the 20
    // directories the client would get 491 and refuse them all (HTTP 431).
    let dir = tempfile::tempdir().unwrap();
    let names = files(dir.path(), 300, |i| format!("d{}/f{i}.txt", i % 20));
    fs::write(dir.path().join("d0/scratch.tmp"), b"ignored").unwrap();
    let ignore: String = (0..470)
        .map(|i| format!("ignored-{i:04}/**\n"))
        .chain(["**/*.tmp\n".to_string()])
        .collect();
    fs::write(dir.path().join(".dockerignore"), ignore).unwrap();
    layer_lines(dir.path(), &names);
    let solver = serving(dir.path());
    assert_eq!(layer_digests(&solver).await.len(), 300);
    let calls = solver.calls();
    // What the ignore file leaves out still stays out.
    assert!(
        calls
            .local_sent
            .iter()
            .all(|sent| !sent.contains(&"d0/scratch.tmp".to_string())),
        "an ignored file was sent"
    );
}

/// A Hugging Face cache of `n` weights files: `blobs/<sha256>` holding
/// them, and the named paths (`snapshot(i)`) links into `../../blobs`
/// (as deep as `snapshot` puts them). The named paths and their bytes.
fn hub_cache(dir: &Path, n: usize, snapshot: impl Fn(usize) -> String) -> Vec<(String, Vec<u8>)> {
    let repo = "hub/models--org--m";
    (0..n)
        .map(|i| {
            let data = format!("weights {i}\n").into_bytes();
            let sha = hex::encode(Sha256::digest(&data));
            let blob = dir.join(repo).join("blobs").join(&sha);
            fs::create_dir_all(blob.parent().unwrap()).unwrap();
            fs::write(&blob, &data).unwrap();
            let named = format!("{repo}/snapshots/0123abc/{}", snapshot(i));
            let link = dir.join(&named);
            fs::create_dir_all(link.parent().unwrap()).unwrap();
            let up = "../".repeat(named.split('/').count() - 3);
            std::os::unix::fs::symlink(format!("{up}blobs/{sha}"), &link).unwrap();
            (named, data)
        })
        .collect()
}

#[tokio::test]
async fn named_links_into_blobs_keep_their_targets_when_sent_by_directory() {
    // 150 named links in one directory: sent as `dir/*`, which the client
    // follows; and 150 in a directory each, two levels below the cut: their
    // targets found after the transfer and sent too.
    for (case, deep) in [("flat", false), ("deep", true)] {
        let dir = tempfile::tempdir().unwrap();
        let named = hub_cache(dir.path(), 150, |i| match deep {
            true => format!("d{i}/w{i}.bin"),
            false => format!("w{i}.bin"),
        });
        let paths: Vec<String> = named.iter().map(|(p, _)| p.clone()).collect();
        layer_lines(dir.path(), &paths);
        let solver = serving(dir.path());
        let want: Vec<String> = named.iter().map(|(_, d)| digest(d)).collect();
        assert_eq!(layer_digests(&solver).await, want, "{case}");
        let (n, _) = solver.calls().local_patterns;
        assert!(
            n <= MAX_FOLLOW_PATHS,
            "{case}: {n} paths in one local source"
        );
    }
}

#[tokio::test]
async fn an_old_output_in_a_directory_sent_whole_is_left_out() {
    // 150 named files in models/, and an earlier build's layout beside
    // them: the cut sends models/, but not the layout.
    let dir = tempfile::tempdir().unwrap();
    let names = files(dir.path(), 150, |i| format!("models/w{i}.bin"));
    let out = dir.path().join("models/out");
    fs::create_dir_all(out.join("blobs/sha256")).unwrap();
    fs::write(out.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    fs::write(
        out.join("index.json"),
        br#"{"schemaVersion":2,"manifests":[]}"#,
    )
    .unwrap();
    fs::write(out.join("blobs/sha256/0000"), b"an old model").unwrap();
    layer_lines(dir.path(), &names);
    let solver = serving(dir.path());
    assert_eq!(layer_digests(&solver).await.len(), 150);
    let calls = solver.calls();
    let sent_old = calls
        .local_sent
        .iter()
        .any(|sent| sent.iter().any(|p| p.starts_with("models/out/blobs")));
    assert!(!sent_old, "the old layout was sent");
}

#[tokio::test]
async fn a_read_the_daemon_fails_once_is_asked_again() {
    let dir = listed_at_the_top(3);
    let solver = serving(dir.path()).failing_once("f1.txt");
    let layers = layers_of(&solver, &contract("gateway"), Own::Unknown).await;
    assert_eq!(layers, 3);
}
