//! Tests of `worker.rs` (a child module of it, so they see its private items).

use std::collections::BTreeMap;

use super::*;
use crate::artifact::documents::{LayerDocSpec, ManifestSpec};
use crate::blobtool::{Entry, Job};

fn spec(titles: bool) -> LayoutSpec {
    LayoutSpec {
        manifests: vec![ManifestSpec {
            platform: None,
            artifact_type: Some("application/vnd.example.v1".into()),
            config_media_type: "application/vnd.oci.empty.v1+json".into(),
            config: Some(b"{}".to_vec()),
            layers: vec![LayerDocSpec {
                media_type: "text/plain".into(),
                annotations: BTreeMap::new(),
                default_title: titles,
            }],
            empty_layer_if_none: true,
            annotations: BTreeMap::from([("a".to_string(), "b".to_string())]),
            subject: None,
        }],
        tags: vec!["v1".into()],
    }
}

fn job(glob: &str) -> Job {
    Job {
        entries: vec![Entry {
            path: glob.into(),
            glob: true,
            ..Default::default()
        }],
        mtime: Some(1_700_000_000),
    }
}

#[test]
fn writes_the_layout_the_frontend_computes() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::fs::write(root.join("d/a.txt"), "a").unwrap();
    std::fs::write(root.join("d/b.txt"), "b").unwrap();
    let report = blobtool::run(&job("d/*.txt"), &|_| root.clone(), &out);
    let digest = write_documents(&spec(true), &report, &out, Some(1_700_000_000))
        .unwrap()
        .expect("documents written");
    // What the frontend computes from the same report.
    let blobs: Vec<_> = report.entries.iter().map(|e| e.blobs.clone()).collect();
    let docs = spec(true).documents(&blobs).unwrap();
    let index = std::fs::read(out.join("index.json")).unwrap();
    assert_eq!(index, docs.layout.index_json);
    assert_eq!(digest, Blob::new(index).digest);
    for b in docs.layout.manifests.iter().chain(&docs.inline) {
        assert_eq!(
            std::fs::read(out.join("blobs/sha256").join(b.hex())).unwrap(),
            b.data
        );
    }
    // Every file of the layout is in the index's closure, with the epoch's
    // time: a tar export of it is reproducible.
    let names: Vec<_> = std::fs::read_dir(out.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        names.len(),
        2 + docs.layout.manifests.len() + docs.inline.len()
    );
    for p in [
        out.join("index.json"),
        out.join("blobs"),
        out.join("blobs/sha256"),
    ] {
        let m = std::fs::metadata(&p).unwrap().modified().unwrap();
        assert_eq!(
            m,
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            "{p:?}"
        );
    }
}

#[test]
fn writes_no_documents_when_the_frontend_will_fail() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(root.join("x")).unwrap();
    std::fs::create_dir_all(root.join("y")).unwrap();
    std::fs::write(root.join("x/same.txt"), "1").unwrap();
    std::fs::write(root.join("y/same.txt"), "2").unwrap();
    // Two matches titled alike: refused.
    let report = blobtool::run(&job("*/same.txt"), &|_| root.clone(), &out);
    assert!(report.entries[0].error.is_none());
    assert_eq!(
        write_documents(&spec(true), &report, &out, None).unwrap(),
        None
    );
    assert!(!out.join("index.json").exists());
    // A missing file.
    let report = blobtool::run(&job("*.none"), &|_| root.clone(), &out);
    assert_eq!(
        write_documents(&spec(false), &report, &out, None).unwrap(),
        None
    );
    assert!(!out.join("index.json").exists());
}

#[test]
fn job_bytes_are_stable() {
    let mut s = spec(false);
    let subject = oci_spec::image::DescriptorBuilder::default()
        .media_type("application/vnd.oci.image.manifest.v1+json")
        .digest(
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
                .parse::<oci_spec::image::Digest>()
                .unwrap(),
        )
        .size(10u64)
        .annotations(
            (0..20)
                .map(|i| (format!("k{i}"), "v".to_string()))
                .collect::<std::collections::HashMap<_, _>>(),
        )
        .build()
        .unwrap();
    s.manifests[0].subject = Some(subject);
    let first = s.to_job_bytes().unwrap();
    for _ in 0..10 {
        // A fresh HashMap each time: a different iteration order.
        let again: LayoutSpec = serde_json::from_slice(&first).unwrap();
        assert_eq!(again.to_job_bytes().unwrap(), first);
    }
}
