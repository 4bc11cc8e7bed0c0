//! Tests of `resolve.rs` (a child module of it, so they see its private items).

use super::*;
use std::os::unix::fs::symlink;

#[test]
fn links_resolve_inside_the_root() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    std::fs::write(root.join("a/b/f"), "in").unwrap();
    std::fs::write(t.path().join("secret"), "out").unwrap();
    symlink("b/f", root.join("a/rel")).unwrap();
    symlink("/a/b/f", root.join("abs")).unwrap();
    symlink("../../../../secret", root.join("climb")).unwrap();
    symlink("/etc/hostname", root.join("host")).unwrap();
    symlink("loop", root.join("loop")).unwrap();
    assert_eq!(resolve_in_root(&root, "a/rel"), Some(root.join("a/b/f")));
    assert_eq!(resolve_in_root(&root, "abs"), Some(root.join("a/b/f")));
    // Climbing out clamps at the root: `secret` and `/etc/hostname` are
    // looked up inside it, where they don't exist.
    assert_eq!(resolve_in_root(&root, "climb"), None);
    assert_eq!(resolve_in_root(&root, "host"), None);
    std::fs::write(root.join("secret"), "inside").unwrap();
    assert_eq!(resolve_in_root(&root, "climb"), Some(root.join("secret")));
    assert_eq!(resolve_in_root(&root, "loop"), None);
    assert_eq!(resolve_in_root(&root, "nope/x"), None);
}

#[test]
fn names_and_link_targets_that_are_not_utf8_resolve_as_their_bytes() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt as _;
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    let dir = OsStr::from_bytes(b"w\xff");
    std::fs::create_dir_all(root.join(dir)).unwrap();
    std::fs::write(root.join(dir).join("f"), "in").unwrap();
    symlink(dir, root.join("link")).unwrap();
    symlink(Path::new("/").join(dir).join("f"), root.join("abs")).unwrap();
    assert_eq!(
        resolve_in_root(root, "link/f"),
        Some(root.join(dir).join("f"))
    );
    assert_eq!(resolve_in_root(root, "abs"), Some(root.join(dir).join("f")));
    assert_eq!(
        resolve_in_root(root, Path::new(dir).join("f")),
        Some(root.join(dir).join("f"))
    );
}

#[test]
fn names_the_link_that_leads_out() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path();
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("pw")).unwrap();
    std::os::unix::fs::symlink("../../x", root.join("d/up")).unwrap();
    std::os::unix::fs::symlink("../d", root.join("d/in")).unwrap();
    std::os::unix::fs::symlink("/", root.join("top")).unwrap();
    assert_eq!(
        link_out_of_root(root, "pw"),
        Some(("pw".into(), "/etc/passwd".into()))
    );
    assert_eq!(
        link_out_of_root(root, "d/up"),
        Some(("d/up".into(), "../../x".into()))
    );
    assert_eq!(
        link_out_of_root(root, "top/etc/hostname").map(|l| l.0),
        Some("top".into())
    );
    assert_eq!(link_out_of_root(root, "d/in/x"), None, "inside the root");
    assert_eq!(link_out_of_root(root, "missing"), None);
}
