//! `.dockerignore`: what of the build context is never sent, as `docker
//! build` users expect.
//!
//! As in BuildKit's Dockerfile frontend, a spec-file-specific ignore file
//! (`Artifactfile.dockerignore`, `Modelfile.dockerignore`, next to the spec
//! file) wins over the context's `.dockerignore`. The patterns become the
//! local source's exclude patterns, so the client's fsutil applies them
//! with its own rules (`**`, `!` exceptions, a directory taking all it
//! holds) and an ignored file is simply not there: not in a directory's
//! tar, not matched by a glob, not found when named.

use crate::gateway::{Gateway, SolvedRef, UserError};

use crate::artifact::error::Result;
use crate::artifact::path;

use super::lookup;

/// The context's ignore file.
pub const DOCKERIGNORE: &str = ".dockerignore";
/// Largest ignore file we read.
const MAX_FILE: u64 = 1 << 20;

/// The ignore file that applies and its patterns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ignore {
    /// Which file they came from (`None`: no ignore file).
    pub file: Option<String>,
    /// Exclude patterns, in order (`!` marks an exception).
    pub patterns: Vec<String>,
}

impl Ignore {
    /// Parses ignore file `file` as moby's `ignorefile` does: one pattern
    /// a line, `#` comment lines, blank lines skipped, patterns trimmed and
    /// cleaned, a leading `/` dropped, `!` kept in front of exceptions. A
    /// lone `!` (which BuildKit would reject mid-transfer) is refused here,
    /// with its line.
    pub fn parse(file: &str, data: &[u8]) -> Result<Ignore, UserError> {
        let text = String::from_utf8_lossy(data);
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut patterns = Vec::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            let (invert, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            match (invert, pattern.is_empty()) {
                (false, true) => {}
                (true, true) => {
                    return Err(UserError::new(format!(
                        "{file}:{}: `!` needs a pattern after it (an exception to what is ignored)",
                        n + 1
                    )));
                }
                (false, false) => patterns.push(clean(pattern)),
                (true, false) => patterns.push(format!("!{}", clean(pattern))),
            }
        }
        Ok(Ignore {
            file: Some(file.to_string()),
            patterns,
        })
    }

    /// Whether any pattern applies.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Go's `filepath.Clean` for a slash path, then without a leading `/` (a
/// pattern is relative to the context root either way).
fn clean(pattern: &str) -> String {
    let cleaned = path::clean(pattern);
    match cleaned.trim_start_matches('/') {
        "" => ".".to_string(),
        relative => relative.to_string(),
    }
}

/// Ignore file `path` of `r`, when there is one.
pub async fn read<G: Gateway>(
    gw: &G,
    r: &SolvedRef,
    path: &str,
    describe: &str,
) -> Result<Option<Ignore>> {
    match lookup::optional_file(gw, r, path, describe, MAX_FILE).await? {
        Some(data) => Ok(Some(Ignore::parse(path, &data)?)),
        None => Ok(None),
    }
}

#[cfg(test)]
#[path = "ignore_tests.rs"]
mod tests;
