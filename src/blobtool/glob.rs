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
#[path = "glob_tests.rs"]
mod tests;
