//! A directive's arguments to words: quotes, escapes and variable
//! substitution, in one left-to-right pass.
//!
//! Words are split on unquoted blanks *before* substitution, so a
//! variable's value never splits a word, and an empty value still leaves an
//! (empty) word that the directive can reject with a clear message.

use std::collections::{BTreeMap, HashSet};
use std::str::Chars;

use super::model::MAX_WARNINGS;

/// Bytes that variable values may add to one file, in total. `ARG B=$A$A`
/// doubles per line, so without a bound a short file could ask for
/// exabytes; with it, time and memory stay linear in the input.
const EXPANSION_BUDGET: usize = 16 << 20;

/// How deeply `${A:-${B:-...}}` defaults may nest: they are parsed
/// recursively, and the stack must not overflow on hostile input.
const MAX_NESTING: usize = 32;

/// One argument after quote removal and substitution.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Word {
    /// The text.
    pub text: String,
    /// Written starting with unquoted, literal `--`: a flag. Quoting
    /// (`"--odd-name"`) or a variable makes such text an ordinary argument,
    /// as in Dockerfile.
    pub flag: bool,
}

/// What `ARG NAME` bound a name to.
enum Binding {
    /// The build arg of that name (looked up, not copied: redeclaring
    /// `ARG NAME` many times must not copy a large value each time).
    BuildArg,
    /// The declared default.
    Default(String),
    /// Declared without a default or build arg: empty, but no mistake
    /// (Dockerfile does not report it either).
    Unset,
}

/// The variables in scope, and what expansion may still produce.
pub(super) struct Vars<'o> {
    bindings: BTreeMap<String, Binding>,
    build_args: &'o BTreeMap<String, String>,
    budget: usize,
    /// Names used since the last [`Vars::take_undefined`] that no `ARG`
    /// declared, each once, in order of first use; no more than a file
    /// may warn of, so hostile input costs no memory here.
    undefined: Vec<String>,
    /// The names in `undefined`.
    noted: HashSet<String>,
}

impl<'o> Vars<'o> {
    pub fn new(build_args: &'o BTreeMap<String, String>) -> Self {
        Vars {
            bindings: BTreeMap::new(),
            build_args,
            budget: EXPANSION_BUDGET,
            undefined: Vec::new(),
            noted: HashSet::new(),
        }
    }

    /// `ARG name[=default]`: a build arg of that name wins; otherwise the
    /// default; `ARG name` alone keeps an earlier value (Dockerfile does).
    pub fn declare(&mut self, name: &str, default: Option<String>) {
        if self.build_args.contains_key(name) {
            self.bindings.insert(name.to_string(), Binding::BuildArg);
        } else if let Some(default) = default {
            self.bindings
                .insert(name.to_string(), Binding::Default(default));
        } else if !self.bindings.contains_key(name) {
            self.bindings.insert(name.to_string(), Binding::Unset);
        }
    }

    /// True if an `ARG` line declared `name`.
    pub fn is_declared(&self, name: &str) -> bool {
        self.bindings.contains_key(name)
    }

    /// The declared names, then the build args' (some of them twice).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let declared = self.bindings.keys();
        declared.chain(self.build_args.keys()).map(String::as_str)
    }

    /// How many names [`Vars::names`] gives, without listing them.
    pub fn names_len(&self) -> usize {
        self.bindings.len() + self.build_args.len()
    }

    /// True if `--build-arg name=...` was given (declared or not).
    pub fn is_build_arg(&self, name: &str) -> bool {
        self.build_args.contains_key(name)
    }

    /// The undeclared names used since the last call, each once, in order
    /// of first use (the first [`MAX_WARNINGS`] of them).
    pub fn take_undefined(&mut self) -> Vec<String> {
        self.noted.clear();
        std::mem::take(&mut self.undefined)
    }

    /// Forgets the undeclared names noted after the first `keep`.
    fn unnote(&mut self, keep: usize) {
        for name in self.undefined.drain(keep.min(self.undefined.len())..) {
            self.noted.remove(&name);
        }
    }

    /// The value of `name`; "" if never declared or declared without one.
    fn value(&self, name: &str) -> &str {
        match self.bindings.get(name) {
            Some(Binding::BuildArg) => self.build_args.get(name).map_or("", String::as_str),
            Some(Binding::Default(value)) => value,
            Some(Binding::Unset) | None => "",
        }
    }

    /// Appends the value of `name` to `out`, charging it to the budget. A
    /// name no `ARG` declared is noted for [`Vars::take_undefined`]: it is
    /// only ever empty, which is most likely not what was meant.
    fn append(&mut self, name: &str, out: &mut String) -> Result<(), String> {
        if !self.bindings.contains_key(name)
            && self.undefined.len() < MAX_WARNINGS
            && !self.noted.contains(name)
        {
            self.noted.insert(name.to_string());
            self.undefined.push(name.to_string());
        }
        let value = self.value(name);
        if value.len() > self.budget {
            return Err(format!(
                "variables expand to more than {} MiB in total (at ${{{name}}}); \
                 an ARG probably refers to itself through others",
                EXPANSION_BUDGET >> 20,
                name = short(name),
            ));
        }
        out.push_str(value);
        self.budget -= value.len();
        Ok(())
    }
}

/// True for the characters of a variable name.
fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True if `s` is a variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub(super) fn is_name(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(is_name_char)
}

/// Splits `args` into words, removing quotes and substituting variables.
pub(super) fn split_words(args: &str, vars: &mut Vars) -> Result<Vec<Word>, String> {
    let mut cur = args.chars();
    let mut words = Vec::new();
    loop {
        cur = cur.as_str().trim_start().chars();
        if cur.as_str().is_empty() {
            return Ok(words);
        }
        let flag = cur.as_str().starts_with("--");
        let mut text = String::new();
        while let Some(c) = peek(&cur) {
            if c.is_whitespace() {
                break;
            }
            cur.next();
            match c {
                '\'' => single_quoted(&mut cur, &mut text)?,
                '"' => double_quoted(&mut cur, &mut text, vars)?,
                // Outside quotes `\` protects the characters that would
                // otherwise mean something; before anything else it is an
                // ordinary character (paths like `a\b` stay as written).
                '\\' => match peek(&cur) {
                    Some(n) if n.is_whitespace() || matches!(n, '$' | '\\' | '"' | '\'') => {
                        cur.next();
                        text.push(n);
                    }
                    _ => text.push('\\'),
                },
                '$' => dollar(&mut cur, &mut text, vars, 0)?,
                c => text.push(c),
            }
        }
        words.push(Word { text, flag });
    }
}

fn peek(cur: &Chars) -> Option<char> {
    cur.clone().next()
}

/// After an opening `'`: everything up to the next `'`, literally.
fn single_quoted(cur: &mut Chars, out: &mut String) -> Result<(), String> {
    let rest = cur.as_str();
    let Some((inside, after)) = rest.split_once('\'') else {
        return Err("unterminated single quote: add the closing '".to_string());
    };
    out.push_str(inside);
    *cur = after.chars();
    Ok(())
}

/// After an opening `"`: up to the closing `"`, with `\"`, `\\`, `\$`
/// escapes and substitution.
fn double_quoted(cur: &mut Chars, out: &mut String, vars: &mut Vars) -> Result<(), String> {
    loop {
        match cur.next() {
            None => return Err("unterminated double quote: add the closing \"".to_string()),
            Some('"') => return Ok(()),
            Some('\\') => match peek(cur) {
                Some(c @ ('"' | '\\' | '$')) => {
                    cur.next();
                    out.push(c);
                }
                _ => out.push('\\'),
            },
            Some('$') => dollar(cur, out, vars, 0)?,
            Some(c) => out.push(c),
        }
    }
}

/// After a `$`: `$NAME`, `${...}`, or else a literal `$` (like `$1` or a
/// trailing `$`, which Dockerfile also keeps).
fn dollar(cur: &mut Chars, out: &mut String, vars: &mut Vars, depth: usize) -> Result<(), String> {
    match peek(cur) {
        Some('{') => {
            cur.next();
            braced(cur, out, vars, depth)
        }
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {
            let name = take_name(cur);
            vars.append(name, out)
        }
        _ => {
            out.push('$');
            Ok(())
        }
    }
}

/// Consumes and returns the longest run of name characters.
fn take_name<'s>(cur: &mut Chars<'s>) -> &'s str {
    let rest = cur.as_str();
    let end = rest.find(|c| !is_name_char(c)).unwrap_or(rest.len());
    let (name, after) = rest.split_at(end);
    *cur = after.chars();
    name
}

/// After `${`: `NAME}` or `NAME:-default}`, the default itself possibly
/// holding substitutions.
fn braced(cur: &mut Chars, out: &mut String, vars: &mut Vars, depth: usize) -> Result<(), String> {
    if depth >= MAX_NESTING {
        return Err(format!(
            "variable defaults nested more than {MAX_NESTING} deep (${{A:-${{B:-...}}}}); simplify"
        ));
    }
    let name = take_name(cur);
    let unclosed = || format!("unclosed \"${{{}\": add the closing \"}}\"", short(name));
    let Some(next) = cur.next() else {
        return Err(unclosed());
    };
    if !is_name(name) {
        return Err(format!(
            "bad substitution \"${{{}{}\": write ${{NAME}} or ${{NAME:-default}}, \
             NAME being letters, digits and _, not starting with a digit",
            short(name),
            next.escape_debug(),
        ));
    }
    match next {
        '}' => vars.append(name, out),
        ':' if peek(cur) == Some('-') => {
            cur.next();
            // The default's own undefined names count only if it is used.
            let noted = vars.undefined.len();
            let mut default = String::new();
            loop {
                match cur.next() {
                    None => return Err(unclosed()),
                    Some('}') => break,
                    Some('\\') => match peek(cur) {
                        Some(c @ ('}' | '$' | '\\')) => {
                            cur.next();
                            default.push(c);
                        }
                        _ => default.push('\\'),
                    },
                    Some('$') => dollar(cur, &mut default, vars, depth + 1)?,
                    Some(c) => default.push(c),
                }
            }
            // `:-` means "unset or empty", the only form Dockerfile users
            // reach for; `-`, `:+` and `:?` are deliberately not supported.
            // `NAME` itself is not reported: `:-` is the user handling
            // the unset case.
            if vars.value(name).is_empty() {
                out.push_str(&default);
                Ok(())
            } else {
                vars.unnote(noted);
                vars.append(name, out)
            }
        }
        other => Err(format!(
            "unsupported substitution \"${{{n}{}\": write ${{{n}}} or ${{{n}:-default}}",
            other.escape_debug(),
            n = short(name),
        )),
    }
}

/// A variable name for a message, cut short if long (names are ASCII, so
/// they need no escaping).
pub(super) fn short(name: &str) -> String {
    match name.get(..40) {
        Some(head) if head.len() < name.len() => format!("{head}..."),
        _ => name.to_string(),
    }
}

#[cfg(test)]
#[path = "words_tests.rs"]
mod tests;
