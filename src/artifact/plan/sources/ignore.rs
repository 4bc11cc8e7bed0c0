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
use crate::llb::{self, LocalOptions};

use crate::artifact::error::{Context as _, Result};
use crate::artifact::path;
use crate::artifact::request::Sessions;

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

/// What applies to the build context: the spec file's own ignore file
/// (`own`), else the context's `.dockerignore`. A context that is a
/// frontend input (bake) was already filtered by the client that made it.
pub async fn for_context<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    own: Option<&Ignore>,
) -> Result<Ignore> {
    if let Some(own) = own {
        return Ok(own.clone());
    }
    if gw.inputs().await?.contains_key("context") {
        return Ok(Ignore::default());
    }
    of_local_context(gw, sessions).await
}

/// The context's `.dockerignore`, read through a local source that
/// transfers only that file (so reading it costs nothing of the context).
/// No file, no patterns.
async fn of_local_context<G: Gateway>(gw: &G, sessions: &Sessions) -> Result<Ignore> {
    let local = LocalOptions {
        session_id: sessions.for_local("context").to_string(),
        follow_paths: vec![DOCKERIGNORE.to_string()],
        shared_key_hint: format!("context-{DOCKERIGNORE}"),
        custom_name: format!("[artifact] load {DOCKERIGNORE}"),
        ..Default::default()
    };
    let describe = "build context (local \"context\")";
    let r = gw
        .solve(llb::local("context", &local).marshal().into_pb())
        .await
        .with_context(|| format!("reading {DOCKERIGNORE} from the {describe}"))?;
    Ok(read(gw, &r, DOCKERIGNORE, describe)
        .await?
        .unwrap_or_default())
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
