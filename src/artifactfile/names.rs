//! The names a file gives and uses: ids of what it builds (`AS <id>`),
//! source aliases (`FROM ... AS <name>`) and layout tags, each with its
//! grammar, and the trailing `AS <name>` that gives them.

use super::quote;

/// How a rejected name is described, with the grammar it broke.
const ID_RULE: &str = "letters, digits, '.', '_' and '-', starting with a letter or digit";
const ALIAS_RULE: &str =
    "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

/// Longest tag OCI and Docker accept.
const MAX_TAG: usize = 128;

/// An id of an `ARTIFACT`, `INCLUDE` or `INDEX`: `[a-zA-Z0-9][a-zA-Z0-9._-]*`.
/// No `@`, `:` or `/`, so `SUBJECT <id>` never reads as a reference.
pub(super) fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// A `FROM ... AS` alias: `[a-z0-9][a-z0-9._-]*`, the rule of a Dockerfile
/// stage name (lowercase, as a named context's usual spelling is).
fn is_alias(s: &str) -> bool {
    is_id(s) && !s.chars().any(|c| c.is_ascii_uppercase())
}

/// A tag as OCI and Docker define it: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    first && tag.len() <= MAX_TAG && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// A full reference ending in a tag (`localhost/x:1`): what Podman and
/// skopeo put in an `index.json` entry's `ref.name`.
fn is_tagged_reference(s: &str) -> bool {
    s.rsplit_once(':').is_some_and(|(name, tag)| {
        !name.is_empty() && is_tag(tag) && crate::llb::ImageRef::parse(s).is_ok()
    })
}

/// A tag to pick a layout's entry by: a tag as OCI and Docker define it,
/// or a full reference ending in one.
pub(super) fn check_tag(what: &str, tag: &str) -> Result<(), String> {
    if is_tag(tag) || is_tagged_reference(tag) {
        return Ok(());
    }
    Err(format!(
        "{what}: the tag {} is not valid: a tag is 1 to {MAX_TAG} letters, digits, '.', '_' \
         and '-', starting with a letter, digit or '_' (or a full reference ending in one, \
         such as localhost/x:1)",
        quote(tag)
    ))
}

/// A tag as an `index.json` entry's `org.opencontainers.image.ref.name`
/// may hold it, loosely (a tag, or a full reference: `localhost/x:1`);
/// the exporter and the registry do the exact checks. `what` says where
/// it was given (`TAG`, `artifact.tag`).
pub fn check_ref_name(what: &str, tag: &str) -> Result<(), String> {
    if tag.is_empty() {
        return Err(format!("{what}: the tag is empty"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._:@/+-".contains(c);
    match tag.chars().find(|&c| !allowed(c)) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "{what} {} has {bad:?}, which a tag may not hold: use letters, digits and . _ : @ / + -",
            quote(tag)
        )),
    }
}

/// `id` checked as the id `AS` gives `instruction`.
pub(super) fn check_id(instruction: &str, id: &str) -> Result<(), String> {
    if is_id(id) {
        return Ok(());
    }
    Err(format!(
        "{instruction} ... AS {}: an id is {ID_RULE}",
        quote(id)
    ))
}

/// `alias` checked as the name `FROM ... AS` gives.
pub(super) fn check_alias(alias: &str) -> Result<(), String> {
    if is_alias(alias) {
        return Ok(());
    }
    Err(format!(
        "FROM ... AS {}: a source name is {ALIAS_RULE}",
        quote(alias)
    ))
}

/// Splits a trailing `AS <name>` (`AS` in any case, as in Dockerfile's
/// `FROM`) off `args`. A last word `AS` with nothing after it is an error
/// (the name was forgotten), and so is an `AS` after the first word
/// anywhere else (`FROM img AS a b`): left in, it would be read as an
/// argument and give a misleading error.
pub(super) fn split_as(
    instruction: &str,
    args: Vec<String>,
) -> Result<(Vec<String>, Option<String>), String> {
    let (args, name) = split_last_as(instruction, args)?;
    if args.iter().skip(1).any(|a| a.eq_ignore_ascii_case("AS")) {
        return Err(format!(
            "{instruction}: AS <name> goes last, with one name after it: \
             {instruction} ... AS <name>"
        ));
    }
    Ok((args, name))
}

fn split_last_as(
    instruction: &str,
    mut args: Vec<String>,
) -> Result<(Vec<String>, Option<String>), String> {
    if let [.., keyword, _] = args.as_slice()
        && keyword.eq_ignore_ascii_case("AS")
    {
        let name = args.pop().unwrap_or_default();
        args.pop();
        if name.is_empty() {
            return Err(format!(
                "{instruction} ... AS: the name after AS is empty (after variable expansion; is \
                 an ARG unset?)"
            ));
        }
        return Ok((args, Some(name)));
    }
    if let [_, .., last] = args.as_slice()
        && last.eq_ignore_ascii_case("AS")
    {
        return Err(format!(
            "{instruction} ... AS needs a name after it: {instruction} ... AS <name>"
        ));
    }
    Ok((args, None))
}
