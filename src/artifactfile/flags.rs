//! `--flag=value` options before a directive's arguments.

use super::words::Word;
use super::{did_you_mean, quote};

/// A flag a directive accepts: its name (`--title`) and what its value looks
/// like in usage messages (`<name>`).
pub(super) type FlagSpec = (&'static str, &'static str);

/// Flags given, by spec name and value, in order.
pub(super) type Flags = Vec<(&'static str, String)>;

/// Separates the flags of `directive` (from `specs`) from its arguments.
///
/// Only `--flag=value` is accepted: with `--flag value` a missing value
/// would silently swallow the next argument. Flags go first, as in
/// Dockerfile, so an argument such as a path can never be taken for one.
pub(super) fn split_flags(
    directive: &str,
    words: Vec<Word>,
    specs: &[FlagSpec],
) -> Result<(Flags, Vec<String>), String> {
    let mut flags = Vec::new();
    let mut args = Vec::new();
    for word in words {
        if !word.flag {
            args.push(word.text);
            continue;
        }
        let (name, value) = match word.text.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word.text.as_str(), None),
        };
        let Some(&(spec, placeholder)) = specs.iter().find(|(n, _)| *n == name) else {
            return Err(unknown_flag(directive, name, specs));
        };
        if !args.is_empty() {
            return Err(format!(
                "{directive} flags go before its other arguments: move {spec} to just after \
                 {directive} (quote an argument that really starts with --)"
            ));
        }
        let Some(value) = value else {
            return Err(format!("{spec} needs a value: {spec}={placeholder}"));
        };
        flags.push((spec, value.to_string()));
    }
    Ok((flags, args))
}

fn unknown_flag(directive: &str, name: &str, specs: &[FlagSpec]) -> String {
    let names: Vec<&str> = specs.iter().map(|(n, _)| *n).collect();
    let mut hint = did_you_mean(name, &names);
    if hint.is_empty() && specs.is_empty() {
        hint =
            format!(" ({directive} takes no flags; quote an argument that really starts with --)");
    } else if hint.is_empty() {
        let usage: Vec<String> = specs.iter().map(|(n, p)| format!("{n}={p}")).collect();
        hint = format!(" ({directive} takes {})", usage.join(", "));
    }
    format!("unknown flag {} for {directive}{hint}", quote(name))
}

#[cfg(test)]
#[path = "flags_tests.rs"]
mod tests;
