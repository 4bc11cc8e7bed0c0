//! Tests of `mod.rs` (a child module of it, so they see its private items).

use super::*;
use sha2::{Digest as _, Sha256};
use std::os::unix::fs::symlink;

fn entry(path: &str) -> Entry {
    Entry {
        path: path.into(),
        ..Default::default()
    }
}

#[test]
fn writes_blobs_and_reports_problems() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(root.join("d/e")).unwrap();
    std::fs::write(root.join("x"), "hello weights\n").unwrap();
    std::fs::write(root.join("y"), "hello weights\n").unwrap();
    std::fs::write(root.join("d/e/z.md"), "z").unwrap();
    // Above the size copied by the kernel while another thread hashes.
    let big: Vec<u8> = (0..(9u32 << 20)).map(|i| (i % 251) as u8).collect();
    std::fs::write(root.join("big"), &big).unwrap();
    symlink("/x", root.join("l")).unwrap();
    let job = Job {
        entries: vec![
            entry("x"),
            entry("y"),
            entry("l"),
            entry("d"),
            entry("missing"),
            Entry {
                allow_dir: true,
                compression: Compression::Gzip,
                ..entry("d")
            },
            Entry {
                glob: true,
                ..entry("d/**/*.md")
            },
            Entry {
                glob: true,
                ..entry("*.none")
            },
            entry("big"),
        ],
        mtime: Some(1_700_000_000),
    };
    let r = run(&job, &|_| root.clone(), &out);
    let hex = "62e1cb3d236c6ee44130c54bf720f87b2ba1b0d58965634af9a3c3e541a462ef";
    for e in &r.entries[..3] {
        assert_eq!(e.blobs.len(), 1, "{e:?}");
        assert_eq!(e.blobs[0].digest, format!("sha256:{hex}"));
        assert_eq!(e.blobs[0].size, 14);
    }
    assert_eq!(r.entries[3].error.as_deref(), Some("directory"));
    assert_eq!(r.entries[4].error.as_deref(), Some("missing"));
    let tgz = &r.entries[5].blobs[0];
    assert!(tgz.dir && tgz.digest != tgz.diff_id, "{tgz:?}");
    assert_eq!(
        r.entries[6]
            .blobs
            .iter()
            .map(|b| b.path.as_str())
            .collect::<Vec<_>>(),
        ["d/e/z.md"]
    );
    assert_eq!(r.entries[7].error.as_deref(), Some("nomatch"));
    let b = &r.entries[8].blobs[0];
    assert_eq!(
        b.digest,
        format!("sha256:{}", hex::encode(Sha256::digest(&big)))
    );
    assert_eq!(
        std::fs::read(
            out.join("blobs/sha256")
                .join(b.digest.trim_start_matches("sha256:"))
        )
        .unwrap(),
        big
    );
    let mut names: Vec<_> = std::fs::read_dir(out.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        4,
        "one blob per distinct content, no temp files: {names:?}"
    );
    let mtime = std::fs::metadata(out.join("blobs/sha256").join(hex))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        mtime,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000)
    );
}
