//! Tests of `write.rs` (a child module of it, so they see its private items).

use super::*;

/// A temporary blob file holding `data` in `dir`, named `name`.
fn tmp(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

#[test]
fn a_blob_whose_rename_failed_is_not_taken_as_written() {
    let t = tempfile::tempdir().unwrap();
    let blobs = t.path();
    let (data, hex) = (b"weights", "some-hex");
    let written = Mutex::new(BTreeSet::new());
    // A directory where the blob goes: the rename fails.
    std::fs::create_dir(blobs.join(hex)).unwrap();
    let first = tmp(blobs, ".tmp-0", data);
    assert!(place(&first, blobs, hex, None, &written).is_err());
    std::fs::remove_dir(blobs.join(hex)).unwrap();
    // The same content again: it must be written, not assumed there.
    let second = tmp(blobs, ".tmp-1", data);
    place(&second, blobs, hex, None, &written).unwrap();
    assert_eq!(std::fs::read(blobs.join(hex)).unwrap(), data);
    assert!(!second.exists());
}

#[test]
fn threads_racing_on_one_content_all_report_a_blob_that_exists() {
    let t = tempfile::tempdir().unwrap();
    let blobs = t.path();
    let written = Mutex::new(BTreeSet::new());
    std::thread::scope(|s| {
        for i in 0..8 {
            let (written, tmp) = (&written, tmp(blobs, &format!(".tmp-{i}"), b"same"));
            s.spawn(move || place(&tmp, blobs, "h", Some(5), written).unwrap());
        }
    });
    assert_eq!(std::fs::read(blobs.join("h")).unwrap(), b"same");
    let left: Vec<_> = std::fs::read_dir(blobs).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary files left: {left:?}");
}

#[test]
fn a_poisoned_record_of_written_blobs_is_not_trusted() {
    let t = tempfile::tempdir().unwrap();
    let blobs = t.path();
    // Says `h` is written, but a thread panicked holding it: not believed.
    let written = Mutex::new(BTreeSet::from(["h".to_string()]));
    let _ = std::thread::scope(|s| {
        s.spawn(|| {
            let _held = written.lock();
            panic!("poisoning the lock on purpose");
        })
        .join()
    });
    assert!(written.is_poisoned());
    let tmp = tmp(blobs, ".tmp-0", b"data");
    place(&tmp, blobs, "h", None, &written).unwrap();
    assert_eq!(std::fs::read(blobs.join("h")).unwrap(), b"data");
}

#[test]
fn a_file_that_changed_while_copied_is_reported_as_such_with_its_path() {
    let e = std::io::Error::other(ChangedWhileRead {
        path: String::new(),
        expected: 8,
        found: 3,
    });
    match io_error("weights/a.bin", &e) {
        EntryError::Changed(c) => {
            assert_eq!(
                (c.path.as_str(), c.expected, c.found),
                ("weights/a.bin", 8, 3)
            );
        }
        other => panic!("{other:?}"),
    }
}
