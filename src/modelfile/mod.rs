//! The Modelfile: modctl's file format for packaging a model, read with
//! modctl's rules so the same file builds with `modctl build` and with us.
//!
//! ```text
//! # syntax=example/artifact-frontend
//! NAME tiny-chat-1b
//! ARCH transformer
//! FAMILY qwen3
//! FORMAT safetensors
//! PARAMSIZE 1.1b
//! PRECISION bfloat16
//! CONFIG config.json
//! CONFIG "tokenizer files/*.json"
//! MODEL model-*.safetensors
//! CODE scripts/*.py
//! DOC README.md
//! ```
//!
//! One directive per line, names case-insensitive, `#` lines are comments;
//! no continuations and no trailing comments. Each directive takes exactly
//! one argument: double quotes keep blanks, a backslash takes the next
//! character literally. `NAME ARCH FAMILY FORMAT PARAMSIZE PRECISION
//! QUANTIZATION` may appear once each; `CONFIG MODEL CODE DOC DATASET` name
//! files (paths or globs relative to the build context) and may repeat,
//! a repeated argument counting once.
//!
//! This module turns text into a [`Modelfile`]; it reads no files. Errors
//! carry the line, and say what to change.

#[cfg(test)]
mod tests;

use crate::artifactfile::{Lines, ParseError, quote};
use crate::modelpack::Kind;

/// Single-value directives, and the config field each sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Meta {
    /// `NAME`: `descriptor.name`.
    Name,
    /// `ARCH`: `config.architecture`.
    Arch,
    /// `FAMILY`: `descriptor.family`.
    Family,
    /// `FORMAT`: `config.format`.
    Format,
    /// `PARAMSIZE`: `config.paramSize`.
    ParamSize,
    /// `PRECISION`: `config.precision`.
    Precision,
    /// `QUANTIZATION`: `config.quantization`.
    Quantization,
}

const METAS: [(&str, Meta); 7] = [
    ("NAME", Meta::Name),
    ("ARCH", Meta::Arch),
    ("FAMILY", Meta::Family),
    ("FORMAT", Meta::Format),
    ("PARAMSIZE", Meta::ParamSize),
    ("PRECISION", Meta::Precision),
    ("QUANTIZATION", Meta::Quantization),
];

const FILES: [Kind; 5] = [
    Kind::Config,
    Kind::Model,
    Kind::Code,
    Kind::Doc,
    Kind::Dataset,
];

/// Every directive, for "did you mean" and for the list in errors.
pub const DIRECTIVES: [&str; 12] = [
    "NAME",
    "ARCH",
    "FAMILY",
    "FORMAT",
    "PARAMSIZE",
    "PRECISION",
    "QUANTIZATION",
    "CONFIG",
    "MODEL",
    "CODE",
    "DOC",
    "DATASET",
];

/// A `CONFIG`/`MODEL`/`CODE`/`DOC`/`DATASET` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileLine {
    /// The category of the files it names.
    pub kind: Kind,
    /// A path or glob, relative to the build context, as written.
    pub pattern: String,
    /// Where.
    pub lines: Lines,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Modelfile {
    /// Single-value directives, each with its value and line.
    pub meta: Vec<(Meta, String, Lines)>,
    /// File directives in file order, repeats (same directive and
    /// argument) removed.
    pub files: Vec<FileLine>,
}

impl Modelfile {
    /// The value of a single-value directive.
    pub fn get(&self, m: Meta) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _, _)| *k == m)
            .map(|(_, v, _)| v.as_str())
    }
}

/// Parses a Modelfile; the first problem is returned with its line.
pub fn parse(text: &str) -> Result<Modelfile, ParseError> {
    let mut file = Modelfile::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.split('\n').enumerate() {
        let n = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        let lines = Lines { start: n, end: n };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        directive(&mut file, line, lines).map_err(|message| ParseError { message, lines })?;
    }
    Ok(file)
}

/// The first directive keyword of each non-comment line, upper-cased: what
/// tells a Modelfile from an Artifactfile.
pub fn keywords(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            l.split(char::is_whitespace)
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase()
        })
}

fn directive(file: &mut Modelfile, line: &str, lines: Lines) -> Result<(), String> {
    let (keyword, rest) = line.split_at(line.find(char::is_whitespace).unwrap_or(line.len()));
    // modctl splits a line at its first space: a tab there makes the
    // directive unknown to it, so the file would not build with modctl.
    if rest.starts_with(|c: char| c != ' ') {
        return Err(format!(
            "{} is followed by a tab; modctl reads a directive and its argument split by a \
             space, so write {} with a space (the file then builds with modctl too)",
            quote(keyword),
            quote(&format!("{keyword} {}", rest.trim_start())),
        ));
    }
    let name = keyword.to_ascii_uppercase();
    if !DIRECTIVES.contains(&name.as_str()) {
        let mut hint = crate::suggest::did_you_mean(keyword, &DIRECTIVES);
        if hint.is_empty() {
            hint = format!(" (a Modelfile has {})", DIRECTIVES.join(", "));
        }
        return Err(format!("unknown directive {}{hint}", quote(keyword)));
    }
    let arg = argument(&name, rest)?;
    if let Some((_, meta)) = METAS.iter().find(|(k, _)| *k == name) {
        if let Some((_, _, first)) = file.meta.iter().find(|(m, _, _)| m == meta) {
            return Err(format!(
                "{name} is given twice (first on line {}); it takes one value, keep one",
                first.start
            ));
        }
        file.meta.push((*meta, arg, lines));
        return Ok(());
    }
    let Some(kind) = FILES.iter().copied().find(|k| k.directive() == name) else {
        return Err(format!("unknown directive {}", quote(keyword)));
    };
    if !file
        .files
        .iter()
        .any(|f| f.kind == kind && f.pattern == arg)
    {
        file.files.push(FileLine {
            kind,
            pattern: arg,
            lines,
        });
    }
    Ok(())
}

/// The one argument of `directive`, from the text after its name: words
/// split at blanks outside double quotes, `\` escaping the next character.
fn argument(directive: &str, rest: &str) -> Result<String, String> {
    let usage = || {
        if METAS.iter().any(|(k, _)| *k == directive) {
            format!("{directive} <value>")
        } else {
            format!("{directive} <path or glob>")
        }
    };
    let mut args: Vec<String> = Vec::new();
    let mut current = String::new();
    let (mut quoted, mut escaped, mut had_quotes) = (false, false, false);
    for c in rest.trim().chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => {
                quoted = !quoted;
                had_quotes = true;
            }
            ' ' | '\t' if !quoted => {
                if !current.is_empty() || had_quotes {
                    args.push(std::mem::take(&mut current));
                    had_quotes = false;
                }
            }
            _ => current.push(c),
        }
    }
    if quoted {
        return Err(format!(
            "{directive}: a double quote is not closed; close it, or write \\\" for a literal quote"
        ));
    }
    if !current.is_empty() || had_quotes {
        args.push(current);
    }
    match args.as_slice() {
        [] => Err(format!("{directive} needs an argument: {}", usage())),
        [one] if one.is_empty() => Err(format!("{directive} has an empty argument: {}", usage())),
        [_] => Ok(args.swap_remove(0)),
        many => Err(format!(
            "{directive} takes one argument, got {}: {} (quote a value that has spaces, e.g. \
             {directive} \"{}\"; a Modelfile has no trailing comments)",
            many.len(),
            usage(),
            many.join(" ")
        )),
    }
}
