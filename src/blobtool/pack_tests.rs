//! Tests of `pack.rs` (a child module of it, so they see its private items).

use super::*;

fn tree(root: &Path) {
    std::fs::create_dir_all(root.join("d/sub")).unwrap();
    std::fs::write(root.join("d/b.txt"), "b").unwrap();
    std::fs::write(root.join("d/a.txt"), "a").unwrap();
    std::fs::write(root.join("d/sub/c.bin"), vec![7u8; 3000]).unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("d/link")).unwrap();
}

#[test]
fn big_and_small_files_copy_and_hash_exactly() {
    let t = tempfile::tempdir().unwrap();
    for len in [0usize, 5, (9 << 20) + 7] {
        let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let (src, dest) = (t.path().join("src"), t.path().join("dest"));
        std::fs::write(&src, &data).unwrap();
        let w = copy_file(&src, &dest).unwrap();
        assert_eq!(w.size, len as u64);
        assert_eq!(
            w.digest.hex(),
            hex::encode(Sha256::digest(&data)),
            "len {len}"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), data, "len {len}");
    }
}

#[test]
fn tars_are_reproducible_and_sorted() {
    let t = tempfile::tempdir().unwrap();
    let (x, y) = (t.path().join("x"), t.path().join("y"));
    tree(&x);
    tree(&y);
    for c in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let a = tar(&x.join("d"), true, "d", c, 0, &t.path().join("a")).unwrap();
        let b = tar(&y.join("d"), true, "d", c, 0, &t.path().join("b")).unwrap();
        assert_eq!(a, b, "{c:?}: same tree, same bytes");
        assert_eq!(
            std::fs::read(t.path().join("a")).unwrap(),
            std::fs::read(t.path().join("b")).unwrap()
        );
        if c == Compression::None {
            assert_eq!(a.digest.hex(), a.diff_id.hex());
        } else {
            assert_ne!(
                a.digest.hex(),
                a.diff_id.hex(),
                "{c:?}: the DiffID is of the uncompressed tar"
            );
        }
    }
    let plain = tar(
        &x.join("d"),
        true,
        "d",
        Compression::None,
        5,
        &t.path().join("p"),
    )
    .unwrap();
    let mut archive = tar::Archive::new(File::open(t.path().join("p")).unwrap());
    let names: Vec<(String, u64, u64)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                h.mtime().unwrap(),
                h.uid().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "d/",
            "d/a.txt",
            "d/b.txt",
            "d/link",
            "d/sub/",
            "d/sub/c.bin"
        ]
        .map(|n| (n.to_string(), 5, 0))
        .to_vec()
    );
    assert_eq!(
        plain.size,
        std::fs::metadata(t.path().join("p")).unwrap().len()
    );
    // Digests of the bytes written; a compressed tar's DiffID is the plain
    // tar's digest.
    let bytes = std::fs::read(t.path().join("p")).unwrap();
    assert_eq!(plain.digest.hex(), hex::encode(Sha256::digest(&bytes)));
    let gz = tar(
        &x.join("d"),
        true,
        "d",
        Compression::Gzip,
        5,
        &t.path().join("g"),
    )
    .unwrap();
    assert_eq!(gz.diff_id.hex(), plain.digest.hex());
    let gz_bytes = std::fs::read(t.path().join("g")).unwrap();
    assert_eq!(gz.digest.hex(), hex::encode(Sha256::digest(&gz_bytes)));
}

#[test]
fn a_file_tar_holds_one_entry_named_by_its_path_with_constant_owner_and_time() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("w.bin");
    std::fs::write(&src, b"weights").unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o640)).unwrap();
    for c in [Compression::None, Compression::Zstd] {
        let dest = t.path().join("out");
        let w = tar(&src, false, "enc/w.bin", c, 42, &dest).unwrap();
        let bytes = std::fs::read(&dest).unwrap();
        assert_eq!(w.digest.hex(), hex::encode(Sha256::digest(&bytes)));
        let plain = match c {
            Compression::Zstd => zstd::decode_all(bytes.as_slice()).unwrap(),
            _ => bytes,
        };
        assert_eq!(w.diff_id.hex(), hex::encode(Sha256::digest(&plain)));
        let mut archive = ::tar::Archive::new(plain.as_slice());
        let entries: Vec<_> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let h = e.header().clone();
                let mut data = Vec::new();
                std::io::Read::read_to_end(&mut e, &mut data).unwrap();
                let path = e.path().unwrap().to_string_lossy().into_owned();
                (
                    path,
                    h.mode().unwrap(),
                    h.uid().unwrap(),
                    h.mtime().unwrap(),
                    data,
                )
            })
            .collect();
        assert_eq!(
            entries,
            [("enc/w.bin".to_string(), 0o640, 0, 42, b"weights".to_vec())]
        );
    }
}

#[test]
fn names_that_are_not_utf8_go_in_the_tar_as_their_bytes_sorted_by_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    let name = |b: &[u8]| d.join(OsStr::from_bytes(b));
    // Over 100 bytes: the tar needs a GNU long-name entry for it.
    let long = [vec![b'x'; 120], b"\xfe".to_vec()].concat();
    std::fs::create_dir_all(name(b"b\xfe")).unwrap();
    std::fs::write(d.join("a.txt"), "a").unwrap();
    std::fs::write(name(b"b\xfe/c"), "c").unwrap();
    std::fs::write(name(b"\xff"), "ff").unwrap();
    std::fs::write(name(&long), "long").unwrap();
    std::os::unix::fs::symlink(OsStr::from_bytes(b"\xff"), d.join("l")).unwrap();
    let dest = t.path().join("out");
    tar(
        &d,
        true,
        OsStr::from_bytes(b"n\xff"),
        Compression::None,
        0,
        &dest,
    )
    .unwrap();
    let mut archive = tar::Archive::new(File::open(&dest).unwrap());
    // (name, link target, content), as bytes.
    type Stored = (Vec<u8>, Option<Vec<u8>>, Vec<u8>);
    let entries: Vec<Stored> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path_bytes().into_owned();
            let link = e.link_name_bytes().map(|l| l.into_owned());
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            (path, link, data)
        })
        .collect();
    let under = |rel: &[u8]| [b"n\xff/".as_slice(), rel].concat();
    assert_eq!(
        entries,
        [
            (under(b""), None, vec![]),
            (under(b"a.txt"), None, b"a".to_vec()),
            (under(b"b\xfe/"), None, vec![]),
            (under(b"b\xfe/c"), None, b"c".to_vec()),
            (under(b"l"), Some(b"\xff".to_vec()), vec![]),
            (under(&long), None, b"long".to_vec()),
            (under(b"\xff"), None, b"ff".to_vec()),
        ]
    );
}
