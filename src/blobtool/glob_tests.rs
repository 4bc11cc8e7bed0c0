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
    assert_eq!(expand(r, "docs/*.md").unwrap(), ["docs/a.md", "docs/b.md"]);
    assert_eq!(
        expand(r, "docs/**/*.md").unwrap(),
        ["docs/a.md", "docs/b.md", "docs/deep/c.md"]
    );
    assert_eq!(expand(r, "*.md").unwrap(), ["top.md"]);
    assert!(expand(r, "nope/*.md").unwrap().is_empty());
    assert!(expand(r, "docs/[").is_err());
}
