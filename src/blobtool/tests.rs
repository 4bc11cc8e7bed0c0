//! Tests of `mod.rs` (a child module of it, so they see its private items).

use super::*;
use sha2::{Digest as _, Sha256};
use std::os::unix::fs::PermissionsExt as _;
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
        list: false,
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
    assert_eq!(r.entries[3].error, Some(EntryError::Directory));
    assert_eq!(r.entries[4].error, Some(EntryError::Missing));
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
    assert_eq!(r.entries[7].error, Some(EntryError::NoMatch));
    let b = &r.entries[8].blobs[0];
    assert_eq!(
        b.digest,
        format!("sha256:{}", hex::encode(Sha256::digest(&big)))
    );
    assert_eq!(
        std::fs::read(out.join("blobs/sha256").join(b.digest.hex())).unwrap(),
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

#[test]
fn modelpack_entries_tar_files_under_their_path_and_walk_files_only() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(root.join("enc/.git")).unwrap();
    std::fs::write(root.join("enc/w.bin"), "weights").unwrap();
    std::fs::write(root.join("enc/.git/HEAD"), "ref").unwrap();
    std::fs::set_permissions(
        root.join("enc/w.bin"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    let pack = PackOptions {
        tar_files: true,
        path_names: true,
        ..Default::default()
    };
    let job = Job {
        list: false,
        entries: vec![
            Entry {
                pack: pack.clone(),
                allow_dir: true,
                ..entry("enc/w.bin")
            },
            Entry {
                pack: pack.clone(),
                allow_dir: true,
                ..entry("enc")
            },
            Entry {
                glob: true,
                pack: PackOptions {
                    files_only: true,
                    skip: vec![".*".into()],
                    ..Default::default()
                },
                ..entry("**")
            },
        ],
        mtime: None,
    };
    let r = run(&job, &|_| root.clone(), &out);
    let file = &r.entries[0].blobs[0];
    assert_eq!((file.mode, file.file_size, file.dir), (0o600, 7, false));
    assert!(file.size > 512, "a tar, not the file: {file:?}");
    let names = |b: &BlobReport| -> Vec<String> {
        let data = std::fs::read(out.join("blobs/sha256").join(b.digest.hex())).unwrap();
        tar::Archive::new(data.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(file), ["enc/w.bin"]);
    let dir = &r.entries[1].blobs[0];
    assert_eq!((dir.dir, dir.file_size), (true, 0));
    assert_eq!(
        names(dir),
        ["enc/", "enc/.git/", "enc/.git/HEAD", "enc/w.bin"]
    );
    let walked: Vec<&str> = r.entries[2].blobs.iter().map(|b| b.path.as_str()).collect();
    assert_eq!(walked, ["enc/w.bin"]);
}

#[test]
fn reports_name_their_requests_and_errors_are_typed_on_the_wire() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a"), "a").unwrap();
    let job = Job {
        list: false,
        entries: vec![
            Entry {
                id: EntryId(7),
                ..entry("a")
            },
            Entry {
                id: EntryId(3),
                ..entry("gone")
            },
        ],
        mtime: None,
    };
    let r = run(&job, &|_| root.clone(), &out);
    let ids: Vec<EntryId> = r.entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, [EntryId(7), EntryId(3)]);
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        json.contains(r#""id":3,"blobs":[],"error":{"kind":"missing"}"#),
        "{json}"
    );
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    let io = EntryError::Io {
        path: "d/p".into(),
        detail: "is a pipe".into(),
    };
    assert_eq!(io.to_string(), "d/p: is a pipe");
}

#[test]
fn trees_with_names_that_are_not_utf8_pack_and_a_glob_naming_one_says_why_not() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    let bad = OsStr::from_bytes(b"\xff.md");
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::fs::write(root.join("d/ok.md"), "ok").unwrap();
    std::fs::write(root.join("d").join(bad), "bad").unwrap();
    // A link with a UTF-8 name to a directory whose name is not.
    let dir = OsStr::from_bytes(b"w\xfe");
    std::fs::create_dir_all(root.join(dir)).unwrap();
    std::fs::write(root.join(dir).join("f"), "f").unwrap();
    symlink(dir, root.join("link")).unwrap();
    let job = Job {
        list: false,
        entries: vec![
            Entry {
                allow_dir: true,
                ..entry("d")
            },
            Entry {
                allow_dir: true,
                ..entry("link")
            },
            Entry {
                glob: true,
                ..entry("d/*.md")
            },
            Entry {
                glob: true,
                ..entry("d/ok*")
            },
        ],
        mtime: None,
    };
    let r = run(&job, &|_| root.clone(), &out);
    let names = |b: &BlobReport| -> Vec<Vec<u8>> {
        let data = std::fs::read(out.join("blobs/sha256").join(b.digest.hex())).unwrap();
        tar::Archive::new(data.as_slice())
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path_bytes().into_owned())
            .collect()
    };
    assert_eq!(r.entries[0].error, None);
    assert_eq!(
        names(&r.entries[0].blobs[0]),
        [b"d/".to_vec(), b"d/ok.md".to_vec(), b"d/\xff.md".to_vec()]
    );
    assert_eq!(r.entries[1].error, None);
    assert_eq!(
        names(&r.entries[1].blobs[0]),
        [b"w\xfe/".to_vec(), b"w\xfe/f".to_vec()]
    );
    let e = r.entries[2].error.as_ref().unwrap();
    assert_eq!(
        *e,
        EntryError::NotUtf8 {
            path: r"d/\xff.md".into()
        }
    );
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    assert!(r.entries[2].blobs.is_empty());
    let ok: Vec<&str> = r.entries[3].blobs.iter().map(|b| b.path.as_str()).collect();
    assert_eq!(ok, ["d/ok.md"]);
}

#[test]
fn a_panic_while_writing_is_its_entrys_error_and_the_others_are_written() {
    let t = tempfile::tempdir().unwrap();
    let (root, out) = (t.path().join("in"), t.path().join("out"));
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("a"), "a").unwrap();
    let job = Job {
        list: false,
        entries: vec![
            entry("a"),
            Entry {
                source: 1,
                ..entry("a")
            },
            Entry {
                id: EntryId(2),
                ..entry("a")
            },
        ],
        mtime: None,
    };
    // A stand-in for a bug in a worker thread: finding input 1 panics.
    let roots = |i: usize| {
        assert!(i != 1, "input 1 is not mounted");
        root.clone()
    };
    let r = run(&job, &roots, &out);
    assert_eq!(r.entries[0].blobs.len(), 1, "{r:?}");
    assert_eq!(r.entries[2].blobs.len(), 1, "{r:?}");
    match &r.entries[1].error {
        Some(EntryError::Io { path, detail }) => {
            assert_eq!(path, "a");
            assert!(detail.contains("input 1 is not mounted"), "{detail}");
        }
        other => panic!("not an explicit error: {other:?}"),
    }
    assert!(r.entries[1].blobs.is_empty());
    let names: Vec<_> = std::fs::read_dir(out.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "one blob, no temporary files: {names:?}");
}
