//! Physical lines to directives: comments, blank lines and `\`
//! continuations, as Dockerfile treats them.

use super::model::{Lines, ParseError};

/// One directive's text, continuations joined, and the lines it spans.
#[derive(Debug)]
pub(super) struct Logical {
    /// The text with each continuation's trailing `\` removed and the next
    /// line appended as is (no separator: `a\` + `b` is `ab`, as in
    /// Dockerfile).
    pub text: String,
    /// First to last physical line that contributed text.
    pub lines: Lines,
}

/// Splits `text` into directives. Comment and blank lines are dropped, also
/// in the middle of a continuation (Dockerfile allows commenting out one
/// line of a long instruction that way).
pub(super) fn logical_lines(text: &str) -> Result<Vec<Logical>, ParseError> {
    let mut out = Vec::new();
    let mut pending: Option<Logical> = None;
    // Editors on Windows may start the file with a byte-order mark; it is
    // not part of the first keyword.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, raw) in text.split('\n').enumerate() {
        // More than u32::MAX lines cannot fit in memory as a &str anyway.
        let number = u32::try_from(index.saturating_add(1)).unwrap_or(u32::MAX);
        let start = raw.trim_start();
        if start.is_empty() || start.starts_with('#') {
            continue;
        }
        // Trimming the end also drops a CRLF file's '\r', and lets `\` be
        // followed by stray blanks, which are invisible in an editor.
        let body = raw.trim_end();
        let (content, continues) = match body.strip_suffix('\\') {
            Some(content) => (content, true),
            None => (body, false),
        };
        let logical = pending.get_or_insert_with(|| Logical {
            text: String::new(),
            lines: Lines {
                start: number,
                end: number,
            },
        });
        logical.text.push_str(content);
        logical.lines.end = number;
        // The last line of a directive is never blank, so neither is the
        // joined text: it always has a keyword.
        if !continues && let Some(done) = pending.take() {
            out.push(done);
        }
    }
    match pending {
        Some(dangling) => Err(ParseError {
            message: "the file ends in a line continuation: the last directive ends with \"\\\" \
                      but no line follows; remove the trailing backslash"
                .to_string(),
            lines: dangling.lines,
        }),
        None => Ok(out),
    }
}

#[cfg(test)]
#[path = "lines_tests.rs"]
mod tests;
