//! Tests of `documents.rs` (a child module of it, so they see its private items).

#[test]
fn titles_below_a_globs_literal_prefix() {
    assert_eq!(
        super::below_prefix("docs/a/README.md", "docs/**/README.md"),
        "a/README.md"
    );
    assert_eq!(
        super::below_prefix("x/README.md", "*/README.md"),
        "x/README.md"
    );
}

#[test]
fn a_gzip_directory_follows_oras_convention_unless_retitled() {
    use std::collections::BTreeMap;
    let b = crate::blobtool::BlobReport {
        path: "docs/site".into(),
        dir: true,
        mode: 0o755,
        size: 10,
        file_size: 0,
        digest: crate::digest::Digest::of(b"gz"),
        diff_id: crate::digest::Digest::of(b"tar"),
    };
    let mut a = BTreeMap::from([(super::TITLE.to_string(), "site".to_string())]);
    super::oras_directory(&mut a, &b);
    assert_eq!(a["io.deis.oras.content.unpack"], "true");
    assert_eq!(a["io.deis.oras.content.digest"], b.diff_id.to_string());
    let mut retitled = BTreeMap::from([(super::TITLE.to_string(), "docs.tgz".to_string())]);
    super::oras_directory(&mut retitled, &b);
    assert_eq!(retitled.len(), 1, "a title of the user's own is theirs");
}

#[test]
fn documents_past_the_limit_are_refused_naming_it() {
    use crate::oci::Blob;
    let manifest = Blob::new(vec![b'm'; 3 << 20]);
    let layout = crate::oci::layout(&[], vec![manifest.clone(), manifest]).unwrap();
    let docs = super::Documents {
        layout,
        inline: vec![Blob::new(vec![b'c'; 1 << 20])],
    };
    let bytes = docs.bytes();
    assert!(bytes > 7 << 20, "{bytes}");
    assert!(docs.within(bytes).is_ok());
    let err = docs.within(6 << 20).unwrap_err();
    for says in [
        "2 manifest(s) and index(es), 1 config(s)",
        "come to 7.0 MiB, over the 6.0 MiB one build may write",
        "at most 16.0 MiB in one gRPC message",
    ] {
        assert!(err.message.contains(says), "{says:?} in {}", err.message);
    }
    // The rest of the request that carries them keeps room.
    const { assert!(super::MAX_WRITTEN + (4 << 20) <= crate::gateway::MAX_MESSAGE) };
}
