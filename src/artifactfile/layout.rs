//! Layout references, `<name>[:<tag>|@sha256:<hex>]` after `INCLUDE` and
//! `LAYERS`: a manifest in the OCI layout that a named context, or a
//! source named with `FROM <source> AS <name>`, holds. The tag may be a
//! full reference (`base:localhost/x:1`), as Podman tags. Only the name is
//! checked here (it must be known by this line); the layout is read, and
//! the tag or digest looked up, when the build runs.

use std::collections::BTreeMap;

use crate::suggest::MAX_CANDIDATES;

use super::items::{LayoutRef, Pick};
use super::model::Lines;
use super::names::check_tag;
use super::{did_you_mean, quote};

/// The names a layout reference may use: the build's named contexts, and
/// the `FROM ... AS` aliases so far, each with its source's index.
pub(super) struct LayoutNames<'a> {
    pub named_contexts: &'a BTreeMap<String, String>,
    pub aliases: &'a BTreeMap<String, (usize, Lines)>,
}

impl LayoutNames<'_> {
    /// `Some(source)` for a known name: an alias's source index, or `None`
    /// for a named context.
    fn find(&self, name: &str) -> Option<Option<usize>> {
        if let Some(&(source, _)) = self.aliases.get(name) {
            return Some(Some(source));
        }
        self.named_contexts.contains_key(name).then_some(None)
    }
}

/// The layout reference `word` of `instruction`, at `lines`.
pub(super) fn layout_ref(
    instruction: &str,
    word: &str,
    lines: Lines,
    names: &LayoutNames,
) -> Result<LayoutRef, String> {
    if word.is_empty() {
        return Err(format!(
            "{instruction} names no OCI layout (after variable expansion; is an ARG unset?): \
             {instruction} <name>[:<tag>|@sha256:<hex>]"
        ));
    }
    // The whole word first: a named context's name may hold ':' or '@'.
    let (name, pick) = if names.find(word).is_some() {
        (word, Pick::Only)
    } else if let Some((name, digest)) = word.rsplit_once('@') {
        let digest = digest.parse().map_err(|_| {
            format!(
                "{instruction} {}: {} is not sha256:<64 lowercase hex digits>",
                quote(word),
                quote(digest)
            )
        })?;
        (name, Pick::Digest(digest))
    } else if let Some((name, tag)) = split_tag(word, names) {
        (name, Pick::Tag(tag.to_string()))
    } else {
        (word, Pick::Only)
    };
    let Some(source) = names.find(name) else {
        return Err(unknown(instruction, word, name, names));
    };
    if let Pick::Tag(tag) = &pick {
        check_tag(&format!("{instruction} {}", quote(word)), tag)?;
    }
    Ok(LayoutRef {
        name: name.to_string(),
        source,
        pick,
        lines,
    })
}

/// `word` split at a `:` into a name and a tag: the first `:` after a
/// known name, since a tag may hold `:` too (`base:localhost/x:1`, a
/// full reference as Podman tags); with no known name before any, the
/// first `:` (the name is then reported unknown).
fn split_tag<'w>(word: &'w str, names: &LayoutNames) -> Option<(&'w str, &'w str)> {
    let mut splits = word
        .match_indices(':')
        .map(|(i, _)| (&word[..i], &word[i + 1..]));
    let first = splits.next()?;
    std::iter::once(first)
        .chain(splits)
        .find(|(name, _)| names.find(name).is_some())
        .or(Some(first))
}

/// The error for a layout reference `word` whose `name` is no known name.
fn unknown(instruction: &str, word: &str, name: &str, names: &LayoutNames) -> String {
    let candidates: Vec<&str> = names
        .named_contexts
        .keys()
        .chain(names.aliases.keys())
        .take(MAX_CANDIDATES)
        .map(String::as_str)
        .collect();
    let mut hint = did_you_mean(name, &candidates);
    if hint.is_empty() && name == "context" {
        hint = " (the build context has no layout name; give it one first: \
                FROM context AS <name>)"
            .to_string();
    } else if hint.is_empty() {
        hint = " (pass a named context, --build-context NAME=<dir>, or name a source \
                before this line: FROM <source> AS <name>)"
            .to_string();
    }
    let what = if name == word {
        String::new()
    } else {
        format!("{}: ", quote(word))
    };
    format!(
        "{instruction} {what}no named context or FROM ... AS name is called {}{hint}",
        quote(name)
    )
}
