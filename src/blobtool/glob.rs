//! Glob expansion inside an input root: `docs/*.md` gives every match, in
//! sorted order. `*` and `?` stay within one path component, `**` crosses
//! them. A symlinked directory is entered the way a plain path through it
//! resolves (inside the root, absolute targets restarting at it), so a glob
//! and a path name the same files; a link back to a directory being walked
//! is not entered again, so a walk can't loop. [`PackOptions`] can narrow a
//! glob to regular files and skip names (hidden files, caches) with all
//! they hold.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet};

use super::job::{EntryError, PackOptions};
use super::resolve::resolve_in_root;
use super::walk::Walk;

/// Characters a `\` quotes in a path: glob syntax and itself.
const QUOTABLE: [char; 5] = ['*', '?', '[', ']', '\\'];

/// Whether `path` is a glob: an unquoted `*`, `?` or `[` (a `\` quotes the
/// character after it, as in BuildKit's wildcard copies).
pub fn is_glob(path: &str) -> bool {
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// What a path that is no glob names: quoted glob characters unquoted
/// (`w\[1\].bin` is the file `w[1].bin`); other backslashes stay.
pub fn unquote(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| QUOTABLE.contains(n)) {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// `path` as a pattern matching only itself: glob characters quoted. (What
/// BuildKit's local sources want, whose follow paths are patterns.)
pub fn quote(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if QUOTABLE.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `path` as a pattern matching it in any case of its ASCII letters
/// (`README.md`: `[rR][eE][aA][dD][mM][eE].[mM][dD]`), other glob
/// characters quoted: what finds the file a user meant when the name they
/// gave is not there.
pub fn quote_any_case(path: &str) -> String {
    let mut out = String::with_capacity(path.len() * 4);
    for c in path.chars() {
        if c.is_ascii_alphabetic() {
            out.extend(['[', c.to_ascii_lowercase(), c.to_ascii_uppercase(), ']']);
            continue;
        }
        if QUOTABLE.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The directories of `pattern` before its first glob component, unquoted
/// (`""` for a glob at the top), and how many there are.
pub fn literal_prefix(pattern: &str) -> (String, usize) {
    let parts: Vec<String> = pattern
        .split('/')
        .take_while(|c| !is_glob(c))
        .map(unquote)
        .collect();
    (parts.join("/"), parts.len())
}

/// Relative paths under `root` matching `pattern`, sorted, narrowed as
/// `opts` says.
///
/// Matches are matched and sorted as the bytes of their names, but given
/// as strings: a match becomes a blob named by its path in an OCI
/// annotation, which is a string. A match whose name is not UTF-8 is an
/// error ([`EntryError::NotUtf8`]) rather than a name changed to fit; a
/// name that is no match (skipped, or outside the pattern) is no problem.
#[cfg(test)]
pub fn expand(root: &Path, pattern: &str, opts: &PackOptions) -> Result<Vec<String>, EntryError> {
    expand_noting(root, pattern, opts).map(|e| e.matches)
}

/// What a glob expanded to.
#[derive(Debug, Default)]
pub struct Expansion {
    /// The matches, sorted.
    pub matches: Vec<String>,
    /// Directories below the pattern's literal prefix that hold an
    /// `oci-layout` file, not entered: an OCI image layout is the output
    /// of a build, not an input, unless the pattern names it (its literal
    /// prefix is in it).
    pub skipped_layouts: Vec<String>,
}

/// [`expand`], saying which OCI layouts it passed over.
pub fn expand_noting(
    root: &Path,
    pattern: &str,
    opts: &PackOptions,
) -> Result<Expansion, EntryError> {
    let invalid = |detail: String| EntryError::Io {
        path: pattern.to_string(),
        detail,
    };
    let matcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| invalid(format!("invalid pattern {pattern:?}: {e}")))?
        .compile_matcher();
    let skip = skip_set(&opts.skip).map_err(invalid)?;
    let wanted = |rel: &Path| {
        matcher.is_match(rel)
            && (!opts.files_only
                || resolve_in_root(root, rel)
                    .and_then(|p| std::fs::metadata(p).ok())
                    .is_some_and(|m| m.is_file()))
    };
    // Walk only below the pattern's literal prefix.
    let (prefix, _) = literal_prefix(pattern);
    let mut out: Vec<PathBuf> = Vec::new();
    let mut skipped_layouts = Vec::new();
    let start = resolve_in_root(root, &prefix).filter(|p| p.is_dir());
    if let Some(start) = start {
        Walk::through_links(root)
            .run(&start, Path::new(&prefix), &mut |rel| {
                if rel.file_name().is_some_and(|name| skip.is_match(name)) {
                    return false;
                }
                if is_layout(root, rel) {
                    skipped_layouts.push(escaped(rel.as_os_str()));
                    return false;
                }
                if wanted(rel) {
                    out.push(rel.to_path_buf());
                }
                true
            })
            .map_err(|e| invalid(format!("listing {prefix:?}: {e}")))?;
    }
    out.sort_by(|a, b| a.as_os_str().as_bytes().cmp(b.as_os_str().as_bytes()));
    skipped_layouts.sort();
    let matches = out
        .into_iter()
        .map(|p| {
            p.into_os_string()
                .into_string()
                .map_err(|p| EntryError::NotUtf8 { path: escaped(&p) })
        })
        .collect::<Result<_, _>>()?;
    Ok(Expansion {
        matches,
        skipped_layouts,
    })
}

/// The file whose presence makes a directory an OCI image layout.
pub const OCI_LAYOUT_FILE: &str = "oci-layout";

/// Whether `rel` is a directory holding an `oci-layout` file.
fn is_layout(root: &Path, rel: &Path) -> bool {
    resolve_in_root(root, rel)
        .filter(|p| p.is_dir())
        .and_then(|p| std::fs::metadata(p.join(OCI_LAYOUT_FILE)).ok())
        .is_some_and(|m| m.is_file())
}

/// A name that is not UTF-8, readable: its UTF-8 parts as they are, every
/// other byte as `\xNN`.
fn escaped(name: &OsStr) -> String {
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            // Writing into a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Case-insensitive matcher of base names to skip.
fn skip_set(patterns: &[String]) -> Result<GlobSet, String> {
    crate::modelpack::classify::name_set(patterns).map_err(|e| format!("invalid skip pattern: {e}"))
}

#[cfg(test)]
#[path = "glob_tests.rs"]
mod tests;
