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
