//! What the word after `FROM` names: the build context, a named context, a
//! build's result (`dockerfile:`, `frontend:`), a manifest in a registry
//! (`oci://`) or an image.

use std::collections::BTreeMap;

use crate::llb::{ImageRef, LlbError};
use crate::oci::reference::{OCI_SCHEME, Origin};
use crate::suggest::MAX_CANDIDATES;

use super::model::{BuildBy, Source};
use super::{did_you_mean, quote, suggest};

/// The prefixes a FROM word may start with: the word before the colon,
/// which a misspelling is compared with, and the prefix as written.
const PREFIXES: [(&str, &str); 4] = [
    ("dockerfile", "dockerfile:"),
    ("frontend", "frontend:"),
    ("docker-image", "docker-image://"),
    ("oci", "oci://"),
];

/// The source `word` names; `args` are the `key=value` options after it,
/// which only builds take.
pub(super) fn source(
    word: String,
    args: Vec<String>,
    named_contexts: &BTreeMap<String, String>,
) -> Result<Source, String> {
    if let Some(file) = word.strip_prefix("dockerfile:") {
        return build(&word, BuildBy::Dockerfile(file.to_string()), args);
    }
    if let Some(image) = word.strip_prefix("frontend:") {
        return build(&word, BuildBy::Frontend(image.to_string()), args);
    }
    if word.starts_with(OCI_SCHEME) {
        return registry(&word, &args);
    }
    let named = word == "context" || named_contexts.contains_key(&word);
    if let Some((given, meant)) = misspelled_prefix(&word)
        && !named
        // Only what cannot be an image: `frontends:5000/x` (a registry
        // port) and `frontend2:1` (a tag) are images. Options mean a build.
        && (!args.is_empty() || ImageRef::parse(&word).is_err())
    {
        return Err(format!(
            "FROM {}: unknown source prefix {} (did you mean \"{meant}\"?)",
            quote(&word),
            quote(given),
        ));
    }
    if !args.is_empty() {
        return Err(format!(
            "FROM {} takes no options; key=value options are for builds \
             (FROM dockerfile:<file> target=<stage>, FROM frontend:<image> ...)",
            quote(&word)
        ));
    }
    Ok(if word == "context" {
        Source::Context
    } else if let Some(value) = named_contexts.get(&word) {
        Source::Named {
            name: word,
            value: value.clone(),
        }
    } else if let Some(image) = word.strip_prefix("docker-image://") {
        if image.is_empty() {
            return Err("FROM docker-image:// needs an image reference after it".to_string());
        }
        Source::Image(checked_image(&word, image, named_contexts)?.to_string())
    } else {
        checked_image(&word, &word, named_contexts)?;
        not_a_misspelled_context(&word, named_contexts)?;
        Source::Image(word)
    })
}

/// `FROM oci://…` (`word`): the reference, checked here so that a bad one
/// fails at its line before anything is fetched.
fn registry(word: &str, args: &[String]) -> Result<Source, String> {
    if !args.is_empty() {
        return Err(format!(
            "FROM {} takes no options; key=value options are for builds \
             (FROM dockerfile:<file> target=<stage>, FROM frontend:<image> ...)",
            quote(word)
        ));
    }
    let origin = Origin::parse(word).map_err(|e| format!("FROM {}: {e}", quote(word)))?;
    Ok(Source::Registry(origin.to_string()))
}

/// A bare name (`weigths`, no registry, path or tag) close to a named
/// context's is a typo more likely than an image on Docker Hub: say so
/// rather than pull `docker.io/library/weigths`. `docker-image://` says
/// the image is meant.
fn not_a_misspelled_context(
    word: &str,
    named_contexts: &BTreeMap<String, String>,
) -> Result<(), String> {
    if word.contains(['/', ':', '@', '.']) {
        return Ok(());
    }
    let names: Vec<&str> = named_contexts
        .keys()
        .take(MAX_CANDIDATES)
        .map(String::as_str)
        .collect();
    let hint = did_you_mean(word, &names);
    if hint.is_empty() {
        return Ok(());
    }
    Err(format!(
        "FROM {}: no named context of that name{hint}; for the image on Docker Hub, \
         write FROM docker-image://{word}",
        quote(word)
    ))
}

/// `reference` (from `word`) if BuildKit will take it as an image
/// reference: refused here, the error points at its line, and comes
/// before any file is read.
fn checked_image<'r>(
    word: &str,
    reference: &'r str,
    named_contexts: &BTreeMap<String, String>,
) -> Result<&'r str, String> {
    let reason = match ImageRef::parse(reference) {
        Ok(_) => return Ok(reference),
        Err(LlbError::InvalidImageRef { reason, .. }) => reason,
        Err(e) => e.to_string(),
    };
    // `FROM Context`: a context's name, not an image's, was meant.
    let mut names = vec!["context"];
    names.extend(
        named_contexts
            .keys()
            .take(MAX_CANDIDATES)
            .map(String::as_str),
    );
    Err(format!(
        "FROM {} is not a valid image reference: {reason}{}",
        quote(word),
        did_you_mean(word, &names)
    ))
}

/// The `<word>:` that `word` starts with and the prefix it is close to, if
/// it is close to one but is not it (`frontnd:`, `Frontend:`,
/// `docker-image:/`).
fn misspelled_prefix(word: &str) -> Option<(&str, &'static str)> {
    let (head, _) = word.split_once(':')?;
    // `ghcr.io/x:1`: that colon is a tag's, after a path.
    if head.contains('/') {
        return None;
    }
    let heads = PREFIXES.map(|(head, _)| head);
    let near = suggest(head, &heads)?;
    let (_, meant) = PREFIXES.into_iter().find(|(h, _)| *h == near)?;
    let given = word.get(..head.len() + 1)?;
    // `docker-image://alpine` is written right.
    (!word.starts_with(meant)).then_some((given, meant))
}

/// `FROM dockerfile:<file>` or `FROM frontend:<image>` (`word`): run `by`,
/// with `args` as extra options.
fn build(word: &str, by: BuildBy, args: Vec<String>) -> Result<Source, String> {
    let (BuildBy::Dockerfile(what) | BuildBy::Frontend(what)) = &by;
    if what.is_empty() {
        return Err(format!(
            "FROM {} needs a file or image after the colon",
            quote(word)
        ));
    }
    let mut opts = BTreeMap::new();
    for a in args {
        match a.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                opts.insert(k.to_string(), v.to_string());
            }
            _ => {
                return Err(format!(
                    "FROM {} options are key=value (e.g. target=weights), got {}",
                    quote(word),
                    quote(&a)
                ));
            }
        }
    }
    Ok(Source::Build { by, opts })
}
