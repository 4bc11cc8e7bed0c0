//! Warnings: `UndefinedVar`, as BuildKit's Dockerfile linter reports it.

use super::*;

/// The warnings for `text` with these build args, as (message, lines).
fn warnings(text: &str, build_args: &[(&str, &str)]) -> Vec<(String, Lines)> {
    let f = parse(text, &opts(build_args, &[])).unwrap();
    f.warnings
        .into_iter()
        .map(|w| {
            assert_eq!(w.rule, Rule::UndefinedVar);
            (w.message, w.lines)
        })
        .collect()
}

fn undefined(message: &str, at: Lines) -> (String, Lines) {
    (message.to_string(), at)
}

#[test]
fn a_misspelled_variable_warns_and_still_expands_to_nothing() {
    let text = "ARG VERSION=1.0\nTAG v${VERSON}\nANNOTATION \\\n  v=$VERSION";
    let f = parse(text, &ParseOptions::default()).unwrap();
    assert_eq!(the_artifact(&f).tags[0].0, "v");
    assert_eq!(the_artifact(&f).annotations["v"], "1.0");
    assert_eq!(
        f.warnings,
        [Warning {
            rule: Rule::UndefinedVar,
            message: "Usage of undefined variable '$VERSON' (did you mean $VERSION?)".into(),
            lines: lines(2, 2),
        }]
    );
    assert_eq!(
        f.warnings[0].to_string(),
        "UndefinedVar: Usage of undefined variable '$VERSON' (did you mean $VERSION?)"
    );
    assert_eq!(
        Rule::UndefinedVar.description(),
        "Variables should be defined before their use"
    );
}

#[test]
fn each_name_once_per_directive_with_its_lines() {
    let text = "ARG VERSION=1\nLAYER --title=$X-$X \\\n  t ${X}.$ZZZ\nTAG x$X\nTAG x$version";
    assert_eq!(
        warnings(text, &[]),
        [
            undefined("Usage of undefined variable '$X'", lines(2, 3)),
            undefined("Usage of undefined variable '$ZZZ'", lines(2, 3)),
            undefined("Usage of undefined variable '$X'", lines(4, 4)),
            // Names are case-sensitive; the suggestion is not.
            undefined(
                "Usage of undefined variable '$version' (did you mean $VERSION?)",
                lines(5, 5)
            ),
        ]
    );
}

#[test]
fn defaults_handle_the_unset_case() {
    assert_eq!(warnings("TAG ${U:-x}${E:-}", &[]), []);
    assert_eq!(warnings("ARG A=a\nTAG ${A:-x}", &[]), []);
    // A default's own variables count only when the default is used.
    assert_eq!(warnings("ARG A=a\nTAG ${A:-$V}", &[]), []);
    assert_eq!(
        warnings("TAG x${U:-$V}", &[]),
        [undefined("Usage of undefined variable '$V'", lines(1, 1))]
    );
    assert_eq!(warnings("TAG ${U:-${V:-x}}", &[]), []);
    // An unused default does not take back a use outside it.
    let v = || {
        vec![undefined(
            "Usage of undefined variable '$ZULU'",
            lines(2, 2),
        )]
    };
    assert_eq!(warnings("ARG ALPHA=a\nTAG x$ZULU${ALPHA:-$ZULU}", &[]), v());
    assert_eq!(warnings("ARG ALPHA=a\nTAG x${ALPHA:-$ZULU}$ZULU", &[]), v());
    // The other forms are refused outright, so cannot slip through.
    err("TAG ${U:+x}", "unsupported substitution", lines(1, 1));
}

#[test]
fn declared_without_a_value_is_defined() {
    assert_eq!(warnings("ARG EMPTY\nTAG x$EMPTY", &[]), []);
    assert_eq!(warnings("ARG A=1\nARG A\nTAG x$A", &[]), []);
}

/// Dockerfile's rule, which the parser already follows for values: a build
/// arg is visible only after an `ARG` line declares it. So BuildKit's
/// `UndefinedVar` reports a build arg used without one, and so do we.
#[test]
fn a_build_arg_needs_an_arg_line() {
    assert_eq!(
        warnings(
            "TAG x$VERSION\nARG VERSION\nTAG y$VERSION",
            &[("VERSION", "2")]
        ),
        [undefined(
            "Usage of undefined variable '$VERSION' (it is a --build-arg: \
             declare it with ARG VERSION to use it)",
            lines(1, 1)
        )]
    );
    assert_eq!(
        warnings("TAG x$VERSON", &[("VERSION", "2")]),
        [undefined(
            "Usage of undefined variable '$VERSON' (did you mean $VERSION? \
             Declare it with ARG VERSION to use the --build-arg)",
            lines(1, 1)
        )]
    );
    assert_eq!(
        warnings("ARG VERSION\nTAG x$VERSON", &[("VERSION", "2")]),
        [undefined(
            "Usage of undefined variable '$VERSON' (did you mean $VERSION?)",
            lines(2, 2)
        )]
    );
}

#[test]
fn an_arg_line_sees_only_earlier_declarations() {
    assert_eq!(
        warnings("ARG A=1 B=$A\nTAG x$B", &[]),
        [undefined("Usage of undefined variable '$A'", lines(1, 1))]
    );
}

#[test]
fn no_warnings_without_undefined_names() {
    let text = "ARG V=1\nTAG v$V\nANNOTATION a='$U' b=\\$U c=\"\\$U\" d=$ e=$1";
    assert_eq!(warnings(text, &[]), []);
}

#[test]
fn warnings_are_bounded() {
    let many = "TAG x$U\n".repeat(1000);
    let f = ok(&many);
    assert_eq!(f.warnings.len(), MAX_WARNINGS);
    assert_eq!(f.warnings[MAX_WARNINGS - 1].lines, lines(100, 100));
    // Many distinct names on one line, many ARGs to compare them with.
    let mut text: String = (0..5000).map(|i| format!("ARG A{i}=1\n")).collect();
    text += "TAG x";
    text.extend((0..100_000).map(|i| format!("$B{i}")));
    let f = ok(&text);
    assert_eq!(f.warnings.len(), MAX_WARNINGS);
    assert_eq!(f.warnings[0].message, "Usage of undefined variable '$B0'");
    let long = format!("TAG x${}", "N".repeat(1000));
    assert!(ok(&long).warnings[0].message.len() < 100);
}
