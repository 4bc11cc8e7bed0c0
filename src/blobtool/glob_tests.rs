//! Tests of `glob.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn matches_sorted_and_per_component() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir_all(r.join("docs/deep")).unwrap();
    for f in [
        "docs/b.md",
        "docs/a.md",
        "docs/x.txt",
        "docs/deep/c.md",
        "top.md",
    ] {
        std::fs::write(r.join(f), f).unwrap();
    }
    assert_eq!(
        expand(r, "docs/*.md", &PackOptions::default()).unwrap(),
        ["docs/a.md", "docs/b.md"]
    );
    assert_eq!(
        expand(r, "docs/**/*.md", &PackOptions::default()).unwrap(),
        ["docs/a.md", "docs/b.md", "docs/deep/c.md"]
    );
    assert_eq!(
        expand(r, "*.md", &PackOptions::default()).unwrap(),
        ["top.md"]
    );
    assert!(
        expand(r, "nope/*.md", &PackOptions::default())
            .unwrap()
            .is_empty()
    );
    assert!(expand(r, "docs/[", &PackOptions::default()).is_err());
}

#[test]
fn files_only_and_skipped_names() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    for d in ["sub/__pycache__", ".cache/x", "dir"] {
        std::fs::create_dir_all(r.join(d)).unwrap();
    }
    for f in [
        "a.bin",
        "sub/b.py",
        "sub/b.pyc",
        "sub/__pycache__/c.pyc",
        ".cache/x/y",
        ".hidden",
        "Modelfile",
    ] {
        std::fs::write(r.join(f), f).unwrap();
    }
    std::os::unix::fs::symlink("a.bin", r.join("link.bin")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", r.join("escape")).unwrap();
    let opts = PackOptions {
        files_only: true,
        skip: [".*", "modelfile", "__pycache__", "*.pyc"]
            .map(String::from)
            .to_vec(),
        ..Default::default()
    };
    assert_eq!(
        expand(r, "**", &opts).unwrap(),
        ["a.bin", "link.bin", "sub/b.py"]
    );
    let all = expand(r, "*", &PackOptions::default()).unwrap();
    assert!(
        all.contains(&"dir".to_string()) && all.contains(&".hidden".to_string()),
        "{all:?}"
    );
}

#[test]
fn globs_go_through_symlinked_directories_as_paths_do() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir_all(r.join("real/sub")).unwrap();
    std::fs::write(r.join("real/a.md"), "a").unwrap();
    std::fs::write(r.join("real/sub/b.md"), "b").unwrap();
    std::os::unix::fs::symlink("real", r.join("link")).unwrap();
    // Absolute: resolves inside the root, never to the host's /real.
    std::os::unix::fs::symlink("/real", r.join("abs")).unwrap();
    // Back to an ancestor: not entered again.
    std::os::unix::fs::symlink("..", r.join("real/up")).unwrap();
    std::os::unix::fs::symlink("/etc", r.join("etc")).unwrap();
    let none = PackOptions::default();
    assert_eq!(expand(r, "link/*.md", &none).unwrap(), ["link/a.md"]);
    assert_eq!(
        expand(r, "**/*.md", &none).unwrap(),
        [
            "abs/a.md",
            "abs/sub/b.md",
            "link/a.md",
            "link/sub/b.md",
            "real/a.md",
            "real/sub/b.md"
        ]
    );
    assert!(expand(r, "etc/*", &none).unwrap().is_empty());
}

#[test]
fn a_backslash_quotes_glob_characters() {
    assert!(is_glob("docs/*.md") && is_glob("w[1].bin") && is_glob(r"a\[b]/*"));
    assert!(!is_glob(r"w\[1\].bin") && !is_glob(r"what\?.txt") && !is_glob("plain/x"));
    assert_eq!(unquote(r"w\[1\].bin"), "w[1].bin");
    assert_eq!(unquote(r"a\b\\c"), r"a\b\c");
    for name in ["w[1].bin", r"a\b", "*?", "plain"] {
        assert_eq!(unquote(&quote(name)), name);
        assert!(!is_glob(&quote(name)));
    }
    assert_eq!(
        literal_prefix(r"d\[x\]/sub/**/*.md"),
        ("d[x]/sub".to_string(), 2)
    );
    assert_eq!(literal_prefix("*.md"), (String::new(), 0));

    // A glob below a directory whose name has glob characters, quoted.
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("d[x]")).unwrap();
    std::fs::write(t.path().join("d[x]/a.md"), "a").unwrap();
    assert_eq!(
        expand(t.path(), r"d\[x\]/*.md", &PackOptions::default()).unwrap(),
        ["d[x]/a.md"]
    );
}

#[test]
fn a_match_whose_name_is_not_utf8_is_an_error_naming_it_readably() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    std::fs::create_dir_all(r.join("d")).unwrap();
    std::fs::write(r.join("d/ok.md"), "ok").unwrap();
    std::fs::write(r.join("d/ok.txt"), "ok").unwrap();
    std::fs::write(r.join(OsStr::from_bytes(b"d/w\xff\xfe.md")), "bad").unwrap();
    let none = PackOptions::default();
    assert_eq!(
        expand(r, "d/*.md", &none),
        Err(EntryError::NotUtf8 {
            path: r"d/w\xff\xfe.md".into()
        })
    );
    // Names that match nothing, or are skipped, are no problem.
    assert_eq!(expand(r, "d/ok*", &none).unwrap(), ["d/ok.md", "d/ok.txt"]);
    let skip_md = PackOptions {
        skip: vec!["*.md".into()],
        ..Default::default()
    };
    assert_eq!(expand(r, "d/*", &skip_md).unwrap(), ["d/ok.txt"]);
}

#[test]
fn a_name_in_any_case_matches_only_its_case_variants() {
    assert_eq!(quote_any_case("a1.B"), "[aA]1.[bB]");
    assert_eq!(quote_any_case("w[1]/x*"), r"[wW]\[1\]/[xX]\*");
    // As the daemon's matchers read it: every case of the name, and only
    // that name (its glob characters are literal).
    let m = globset::GlobBuilder::new(&quote_any_case("d/READMe[1].md"))
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .unwrap()
        .compile_matcher();
    assert!(m.is_match("d/README[1].md") && m.is_match("D/readme[1].MD"));
    assert!(!m.is_match("d/README1.md") && !m.is_match("d/READMEx1].md"));
}
