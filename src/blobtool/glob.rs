//! Glob expansion inside an input root: `docs/*.md` gives every match, in
//! sorted order. `*` and `?` stay within one path component, `**` crosses
//! them. Symlinked directories are not descended into, so a walk can't
//! leave the root or loop.

use std::path::Path;

use globset::GlobBuilder;

/// Whether `path` contains glob syntax.
pub fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Relative paths under `root` matching `pattern`, sorted.
pub fn expand(root: &Path, pattern: &str) -> Result<Vec<String>, String> {
    let matcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| format!("invalid pattern {pattern:?}: {e}"))?
        .compile_matcher();
    // Walk only below the pattern's literal prefix.
    let literal: Vec<&str> = pattern.split('/').take_while(|c| !is_glob(c)).collect();
    let prefix = literal.join("/");
    let mut out = Vec::new();
    let start = root.join(&prefix);
    if start.is_dir() && !start.is_symlink() {
        walk(&start, &prefix, &mut |rel| {
            if matcher.is_match(rel) {
                out.push(rel.to_string());
            }
        })
        .map_err(|e| format!("listing {prefix:?}: {e}"))?;
    }
    out.sort();
    Ok(out)
}

/// Calls `f` with every path under `dir` (files, directories, links; links
/// not followed), relative and '/'-separated, each prefixed by `prefix`.
pub(super) fn walk(dir: &Path, prefix: &str, f: &mut dyn FnMut(&str)) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        f(&rel);
        if e.file_type()?.is_dir() {
            walk(&e.path(), &rel, f)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
}
