//! Checks of a directive's arguments that several directives share: how
//! many there are, and that a value is not empty.

use super::flags::split_flags;
use super::words::Word;

/// The arguments of a flagless directive that takes exactly `N` of them.
pub fn exactly<const N: usize>(
    instruction: &str,
    words: Vec<Word>,
    usage: &str,
) -> Result<[String; N], String> {
    let (_, args) = split_flags(instruction, words, &[])?;
    count(instruction, args, usage)
}

/// `args`, if there are exactly `N` of them.
pub fn count<const N: usize>(
    instruction: &str,
    args: Vec<String>,
    usage: &str,
) -> Result<[String; N], String> {
    <[String; N]>::try_from(args).map_err(|args| {
        let s = if N == 1 { "" } else { "s" };
        // Too many is most often an unquoted value with spaces.
        let hint = if args.len() > N {
            " (quote a value that has spaces)"
        } else {
            ""
        };
        format!(
            "{instruction} takes {N} argument{s}, got {}: {usage}{hint}",
            args.len()
        )
    })
}

/// Rejects a value that is empty, typically from an unset variable.
pub fn non_empty(value: &str, instruction: &str, what: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!(
            "{instruction} {what} is empty (after variable expansion; is an ARG unset?)"
        ))
    } else {
        Ok(())
    }
}
