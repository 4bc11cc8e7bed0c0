//! Which language a spec file is written in. An Artifactfile and a
//! Modelfile share a directive name, `CONFIG`, with different meanings
//! (a media type and a path, or a path alone), so the two must never be
//! confused. The rule, first match wins:
//!
//! 1. the option `artifact.dialect=artifactfile|modelfile` (or the build
//!    arg of that name);
//! 2. the file's name: `Modelfile`, `Modelfile.*` or `*.modelfile` is a
//!    Modelfile, `Artifactfile`, `Artifactfile.*` or `*.artifactfile` an
//!    Artifactfile (case-insensitive);
//! 3. its directives: a file using only Modelfile directives (and
//!    `CONFIG`) is a Modelfile, one using only Artifactfile directives an
//!    Artifactfile; one mixing both is refused;
//! 4. otherwise (e.g. only `CONFIG` lines, or none at all) an Artifactfile.

use crate::gateway::UserError;

/// The option that names the dialect (read by [`super::Config`]).
pub const DIALECT_KEY: &str = "artifact.dialect";

/// A spec file language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Our Artifactfile.
    Artifactfile,
    /// modctl's Modelfile.
    Modelfile,
}

/// The dialect of the spec file `filename` holding `text`, unless the
/// build says which (`forced`).
pub fn of(forced: Option<Dialect>, filename: &str, text: &str) -> Result<Dialect, UserError> {
    if let Some(d) = forced {
        return Ok(d);
    }
    let base = filename
        .rsplit('/')
        .next()
        .unwrap_or(filename)
        .to_ascii_lowercase();
    for (stem, dialect) in [
        ("modelfile", Dialect::Modelfile),
        ("artifactfile", Dialect::Artifactfile),
    ] {
        if base == stem
            || base.starts_with(&format!("{stem}."))
            || base.ends_with(&format!(".{stem}"))
        {
            return Ok(dialect);
        }
    }
    // `CONFIG` is in both languages, so it tells nothing.
    let (mut model, mut artifact) = (None, None);
    for k in crate::modelfile::keywords(text).filter(|k| k != "CONFIG") {
        if crate::modelfile::DIRECTIVES.contains(&k.as_str()) {
            model.get_or_insert(k);
        } else if crate::artifactfile::INSTRUCTIONS.contains(&k.as_str()) {
            artifact.get_or_insert(k);
        }
    }
    match (model, artifact) {
        (Some(m), Some(a)) => Err(UserError::new(format!(
            "{filename} mixes Modelfile directives ({m}) and Artifactfile directives ({a}); \
             use one language per file, or say which with --build-arg {DIALECT_KEY}=modelfile \
             (or artifactfile)"
        ))),
        (Some(_), None) => Ok(Dialect::Modelfile),
        _ => Ok(Dialect::Artifactfile),
    }
}

#[cfg(test)]
#[path = "dialect_tests.rs"]
mod tests;
