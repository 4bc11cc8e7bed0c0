//! Tests of `words.rs` (a child module of it, so they see its private items).

use super::*;

fn words(
    args: &str,
    decls: &[(&str, Option<&str>)],
    build: &[(&str, &str)],
) -> Result<Vec<String>, String> {
    let build: BTreeMap<String, String> = build
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut vars = Vars::new(&build);
    for (name, default) in decls {
        vars.declare(name, default.map(str::to_string));
    }
    split_words(args, &mut vars).map(|w| w.into_iter().map(|w| w.text).collect())
}

fn ok(args: &str) -> Vec<String> {
    words(args, &[("A", Some("aa")), ("E", Some(""))], &[]).unwrap()
}

#[test]
fn quoting() {
    assert_eq!(
        ok(r#"  a  "b c"  'd $A e' f"g"h "#),
        ["a", "b c", "d $A e", "fgh"]
    );
    assert_eq!(
        ok(r#""x\"y\\z\q" 'a\b' a\b a\ b \$A \"q"#),
        [r#"x"y\z\q"#, r"a\b", r"a\b", "a b", "$A", "\"q"]
    );
    assert_eq!(ok(r#""" ''"#), ["", ""]);
}

#[test]
fn substitution() {
    assert_eq!(
        ok("$A ${A} x${A}y $Ab $A.b"),
        ["aa", "aa", "xaay", "", "aa.b"]
    );
    assert_eq!(
        ok(r#""$A $A" '$A' \${A} "\$A""#),
        ["aa aa", "$A", "${A}", "$A"]
    );
    assert_eq!(
        ok("${A:-d} ${E:-d} ${U:-d} ${U:-${A}} ${U:-${V:-x y}}"),
        ["aa", "d", "d", "aa", "x y"]
    );
    assert_eq!(ok(r"${U:-a\}b} $ a$ $1 $-"), ["a}b", "$", "a$", "$1", "$-"]);
    // A value never splits a word; an empty one still leaves a word.
    assert_eq!(
        words("$V $U", &[("V", Some("p q"))], &[]).unwrap(),
        ["p q", ""]
    );
}

#[test]
fn build_args_need_a_declaration() {
    let build = [("A", "built"), ("B", "hidden")];
    assert_eq!(
        words("$A $B", &[("A", Some("d"))], &build).unwrap(),
        ["built", ""]
    );
    assert_eq!(words("$A", &[("A", None)], &build).unwrap(), ["built"]);
    // `ARG A` alone keeps an earlier default.
    assert_eq!(
        words("$A", &[("A", Some("d")), ("A", None)], &[]).unwrap(),
        ["d"]
    );
}

#[test]
fn flags_are_literal_unquoted_double_dashes() {
    let build = BTreeMap::new();
    let mut vars = Vars::new(&build);
    vars.declare("F", Some("--x".into()));
    let w = split_words(r#"--a=1 "--b" $F -c --"#, &mut vars).unwrap();
    let flags: Vec<bool> = w.iter().map(|w| w.flag).collect();
    assert_eq!(flags, [true, false, false, false, true]);
}

#[test]
fn errors() {
    let err = |s: &str| words(s, &[], &[]).unwrap_err();
    assert!(err("a 'b").contains("unterminated single quote"));
    assert!(err("a \"b").contains("unterminated double quote"));
    assert!(err("${A").contains("unclosed \"${A\""));
    assert!(err("${A:-x").contains("unclosed"));
    assert!(err("${").contains("unclosed"));
    assert!(err("${}").contains("bad substitution \"${}\""));
    assert!(err("${1}").contains("bad substitution"));
    assert!(err("${${A}}").contains("bad substitution \"${$\""));
    assert!(
        err("${A-x}").contains("unsupported substitution \"${A-\": write ${A} or ${A:-default}")
    );
    assert!(err("${A:+x}").contains("unsupported"));
    let deep = "${A:-".repeat(10_000);
    assert!(err(&deep).contains("nested more than"));
}

#[test]
fn runaway_expansion_is_bounded() {
    let build = BTreeMap::new();
    let mut vars = Vars::new(&build);
    vars.declare("A", Some("x".repeat(1024)));
    let mut result = Ok(());
    for _ in 0..64 {
        match split_words("$A$A", &mut vars) {
            Ok(w) => vars.declare("A", Some(w.into_iter().next().unwrap().text)),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    assert!(result.unwrap_err().contains("more than 16 MiB"));
}

#[test]
fn names() {
    assert!(is_name("_a1") && is_name("A") && !is_name("1a") && !is_name("") && !is_name("a-b"));
}
