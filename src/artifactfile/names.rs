//! The names a file gives: source aliases (`FROM ... AS <name>`), with
//! their grammar, and the trailing `AS <name>` that gives them.

use super::quote;

/// How a rejected name is described, with the grammar it broke.
const ALIAS_RULE: &str =
    "lowercase letters, digits, '.', '_' and '-', starting with a letter or digit";

/// `[a-zA-Z0-9][a-zA-Z0-9._-]*`.
fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// A `FROM ... AS` alias: `[a-z0-9][a-z0-9._-]*`, the rule of a Dockerfile
/// stage name (lowercase, as a named context's usual spelling is).
fn is_alias(s: &str) -> bool {
    is_id(s) && !s.chars().any(|c| c.is_ascii_uppercase())
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
