//! Tests of `flags.rs` (a child module of it, so they see its private items).

use super::*;

const SPECS: &[FlagSpec] = &[("--title", "<name>"), ("--annotation", "<key>=<value>")];

fn split(words: &[(&str, bool)]) -> Result<(Flags, Vec<String>), String> {
    let words = words
        .iter()
        .map(|(t, flag)| Word {
            text: t.to_string(),
            flag: *flag,
        })
        .collect();
    split_flags("LAYER", words, SPECS)
}

#[test]
fn splits_flags_from_arguments() {
    let (flags, args) = split(&[
        ("--title=a=b", true),
        ("--annotation=k=v", true),
        ("m", false),
        ("--p", false),
    ])
    .unwrap();
    assert_eq!(
        flags,
        [
            ("--title", "a=b".to_string()),
            ("--annotation", "k=v".to_string())
        ]
    );
    assert_eq!(args, ["m", "--p"]);
}

#[test]
fn errors_name_the_fix() {
    let err = |w: &[(&str, bool)]| split(w).unwrap_err();
    assert_eq!(
        err(&[("--anotation=k=v", true)]),
        "unknown flag \"--anotation\" for LAYER (did you mean \"--annotation\"?)"
    );
    assert_eq!(
        err(&[("--zzzzzzzz", true)]),
        "unknown flag \"--zzzzzzzz\" for LAYER (LAYER takes --title=<name>, --annotation=<key>=<value>)"
    );
    assert_eq!(
        err(&[("--title", true)]),
        "--title needs a value: --title=<name>"
    );
    assert!(err(&[("m", false), ("--title=x", true)]).contains("flags go before"));
    let none = split_flags(
        "FROM",
        vec![Word {
            text: "--platform=x".into(),
            flag: true,
        }],
        &[],
    );
    assert!(none.unwrap_err().contains("FROM takes no flags"));
}
