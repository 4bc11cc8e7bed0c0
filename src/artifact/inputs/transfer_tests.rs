use super::*;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn full() -> Option<Budget> {
    Budget::beside(&[])
}

/// Patterns and bytes of a local source's headers: follow and exclude.
fn sent(cut: &Cut, exclude: &[String]) -> (usize, usize) {
    let follow = cut.follow.clone().unwrap_or_default();
    let all = || follow.iter().chain(exclude);
    (all().count(), all().map(|p| cost(p)).sum())
}

#[test]
fn few_paths_go_as_they_are_named() {
    let c = cut(&strings(&["b", "a[1]", "d/x", "a[1]"]), full());
    assert_eq!(c.follow, Some(strings(&["a\\[1\\]", "b", "d/x"])));
    assert!(c.whole.is_empty() && c.unfollowed.is_empty(), "{c:?}");
}

#[test]
fn long_lists_are_sent_by_directory_within_the_budget() {
    let in_dirs: Vec<String> = (0..1000).map(|i| format!("d{}/sub/f{i}", i % 10)).collect();
    let c = cut(&in_dirs, full());
    let follow = c.follow.clone().unwrap();
    assert_eq!(follow.len(), 10, "{follow:?}");
    assert!(follow.iter().all(|p| p.ends_with("/sub/*")), "{follow:?}");
    assert_eq!(c.whole.len(), 10);
    assert!(c.unfollowed.is_empty(), "each file is in a directory sent");
    let at_top: Vec<String> = (0..10_000).map(|i| format!("f{i}.txt")).collect();
    let c = cut(&at_top, full());
    assert_eq!(
        (c.follow, c.whole),
        (None, vec![String::new()]),
        "everything"
    );
    // Long names count by bytes too.
    let long: Vec<String> = (0..90)
        .map(|i| format!("d/{}{i}", "n".repeat(1000)))
        .collect();
    assert_eq!(cut(&long, full()).follow, Some(strings(&["d/*"])));
}

#[test]
fn exclude_patterns_count_in_the_budget() {
    // A long `.dockerignore` and 300 named files in 15 directories: all
    // that travels stays within the budget, counted and in bytes.
    let paths: Vec<String> = (0..300).map(|i| format!("d{}/f{i}", i % 15)).collect();
    for n in [0, 100, 380] {
        let exclude: Vec<String> = (0..n).map(|i| format!("ignored-{i:04}/**")).collect();
        let c = cut(&paths, Budget::beside(&exclude));
        let (count, bytes) = sent(&c, &exclude);
        assert!(count <= MAX_PATTERNS, "{n} excludes: {count} patterns");
        assert!(bytes <= MAX_PATTERN_BYTES, "{n} excludes: {bytes} bytes");
        assert!(
            c.follow.is_some(),
            "{n} excludes leave room for the 15 directories"
        );
    }
    // When the user's patterns alone fill it, none is added: everything
    // less what they exclude travels, as `docker build` sends it.
    let exclude: Vec<String> = (0..480).map(|i| format!("ignored-{i:04}")).collect();
    assert_eq!(Budget::beside(&exclude), None);
    assert_eq!(cut(&paths, None).follow, None);
    let long: Vec<String> = (0..70)
        .map(|i| format!("{i}{}", "x".repeat(1000)))
        .collect();
    assert_eq!(Budget::beside(&long), None, "bytes count too");
    let some: Vec<String> = (0..50)
        .map(|i| format!("{i}{}", "x".repeat(1000)))
        .collect();
    let c = cut(&paths, Budget::beside(&some));
    let (_, bytes) = sent(&c, &some);
    assert!(bytes <= MAX_PATTERN_BYTES, "{bytes} bytes");
}

#[test]
fn named_links_stay_followed_in_a_directory_sent_whole() {
    // A Hugging Face cache: 150 named files, each a link into ../../blobs.
    let snap = "hub/models--org--m/snapshots/0123abc";
    let paths: Vec<String> = (0..150).map(|i| format!("{snap}/w{i}.bin")).collect();
    let c = cut(&paths, full());
    // `dir/*`: the client follows the links directly in it.
    assert_eq!(c.follow, Some(vec![format!("{snap}/*")]));
    assert!(c.unfollowed.is_empty(), "{c:?}");
    // A named file inside a named directory stays a follow path of its own.
    let c = cut(&strings(&["w", "w/a.bin"]), full());
    assert_eq!(c.follow, Some(strings(&["w", "w/a.bin"])));
}

#[test]
fn named_paths_deeper_below_a_cut_are_listed_as_unfollowed() {
    let paths: Vec<String> = (0..150)
        .map(|i| format!("m/snapshots/r/d{i}/w.bin"))
        .chain(["m/snapshots/r/config.json".to_string()])
        .collect();
    let c = cut(&paths, full());
    assert_eq!(c.follow, Some(strings(&["m/snapshots/r/*"])));
    assert_eq!(c.whole, ["m/snapshots/r"]);
    assert_eq!(c.unfollowed.len(), 150, "config.json is followed");
    assert!(
        !c.unfollowed
            .contains(&"m/snapshots/r/config.json".to_string())
    );
    assert!(c.sends("m/snapshots/r/d7/w.bin"));
    assert!(!c.sends("m/blobs/abc"));
    assert!(!c.sends("m/snapshots/rr"));
}

#[test]
fn link_targets_resolve_inside_the_root() {
    assert_eq!(
        link_target("m/snapshots/r/w.bin", "../../blobs/abc").as_deref(),
        Some("m/blobs/abc")
    );
    assert_eq!(link_target("a/x", "./y").as_deref(), Some("a/y"));
    assert_eq!(link_target("a/x", "/etc/passwd"), None);
    assert_eq!(link_target("a/x", "../../up"), None);
    assert_eq!(link_target("a/x", ".."), None);
}

#[test]
fn under_is_strictly_below() {
    assert!(under("a/b", "a"));
    assert!(under("a", ""));
    assert!(!under("a", "a"));
    assert!(!under("ab/c", "a"));
}
