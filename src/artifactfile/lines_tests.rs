//! Tests of `lines.rs` (a child module of it, so they see its private items).

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
