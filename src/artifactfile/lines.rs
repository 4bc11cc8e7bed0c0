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
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<(String, u32, u32)> {
        logical_lines(text)
            .unwrap()
            .into_iter()
            .map(|l| (l.text, l.lines.start, l.lines.end))
            .collect()
    }

    #[test]
    fn skips_comments_and_blank_lines() {
        let text = "# syntax=foo\n\n  # indented comment\nTAG a # not a comment\n\t\nTAG b";
        assert_eq!(
            split(text),
            [
                ("TAG a # not a comment".to_string(), 4, 4),
                ("TAG b".to_string(), 6, 6)
            ]
        );
    }

    #[test]
    fn joins_continuations_skipping_comments_and_blanks() {
        let text = "\nLAYER a \\\n# comment\n\n   b \\  \n  c\nTAG x\r\n";
        assert_eq!(
            split(text),
            [
                ("LAYER a    b   c".to_string(), 2, 6),
                ("TAG x".to_string(), 7, 7)
            ]
        );
    }

    #[test]
    fn joins_without_separator() {
        assert_eq!(split("LAY\\\nER a"), [("LAYER a".to_string(), 1, 2)]);
    }

    #[test]
    fn dangling_continuation_is_an_error() {
        let err = logical_lines("TAG a\nLAYER a \\\n  b \\\n# c\n\n").unwrap_err();
        assert!(err.message.contains("ends in a line continuation"), "{err}");
        assert_eq!(err.lines, Lines { start: 2, end: 3 });
        assert!(logical_lines("\\").is_err());
    }

    #[test]
    fn lone_backslashes_join_into_the_next_line() {
        assert_eq!(
            split("  \\\n   \\\n\n  x"),
            [("       x".to_string(), 1, 4)]
        );
    }
}
