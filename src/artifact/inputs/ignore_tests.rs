//! Tests of `ignore.rs`: ignore files read as moby's `ignorefile` reads
//! them.

use super::*;

#[test]
fn patterns_are_cleaned_and_exceptions_kept_in_order() {
    let text = "\u{feff}# build output\n\n  *.tmp  \n/secrets/\n!secrets/public.pem\n./docs/../site//drafts\n#not a comment? yes it is\n \t\n";
    let ignore = Ignore::parse(".dockerignore", text.as_bytes()).unwrap();
    assert_eq!(
        ignore.patterns,
        ["*.tmp", "secrets", "!secrets/public.pem", "site/drafts"]
    );
    assert_eq!(ignore.file.as_deref(), Some(".dockerignore"));
}

#[test]
fn a_lone_exclamation_mark_is_refused_with_its_line() {
    let err = Ignore::parse("Artifactfile.dockerignore", b"a\n !  \n").unwrap_err();
    assert!(
        err.message
            .starts_with("Artifactfile.dockerignore:2: `!` needs a pattern"),
        "{}",
        err.message
    );
}

#[test]
fn clean_is_go_filepath_clean_without_the_root() {
    for (given, want) in [
        ("a/./b/", "a/b"),
        ("/a/../../b", "b"),
        ("../x", "../x"),
        ("a/../..", ".."),
        ("/", "."),
        ("**/*.bin", "**/*.bin"),
    ] {
        assert_eq!(clean(given), want, "{given}");
    }
}
