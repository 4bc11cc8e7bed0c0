use super::*;

fn err(text: &str) -> (u32, String) {
    let e = parse(text).expect_err("parse should fail");
    (e.lines.start, e.message)
}

#[test]
fn reads_the_documented_example() {
    let f = parse(
        "# syntax=example/frontend\n\
         NAME tiny-chat-1b\n\
         arch transformer\n\
         PARAMSIZE 1.1b\n\
         CONFIG config.json\n\
         CONFIG \"tokenizer files/*.json\"\n\
         MODEL model-*.safetensors\n\
         \n\
         \t DOC README.md  \r\n\
         DATASET data\n",
    )
    .unwrap();
    assert_eq!(f.get(Meta::Name), Some("tiny-chat-1b"));
    assert_eq!(f.get(Meta::Arch), Some("transformer"));
    assert_eq!(f.get(Meta::ParamSize), Some("1.1b"));
    assert_eq!(f.get(Meta::Family), None);
    let files: Vec<(Kind, &str, u32)> = f
        .files
        .iter()
        .map(|l| (l.kind, l.pattern.as_str(), l.lines.start))
        .collect();
    assert_eq!(
        files,
        [
            (Kind::Config, "config.json", 5),
            (Kind::Config, "tokenizer files/*.json", 6),
            (Kind::Model, "model-*.safetensors", 7),
            (Kind::Doc, "README.md", 9),
            (Kind::Dataset, "data", 10),
        ]
    );
}

#[test]
fn quotes_and_backslashes_as_modctl() {
    let f = parse("NAME \"my model\"\nMODEL a\\ b.bin\nCODE \"\"x\nDOC say\\\"hi\\\"\n").unwrap();
    assert_eq!(f.get(Meta::Name), Some("my model"));
    let p: Vec<&str> = f.files.iter().map(|l| l.pattern.as_str()).collect();
    assert_eq!(p, ["a b.bin", "x", "say\"hi\""]);
}

#[test]
fn repeated_file_arguments_count_once() {
    let f = parse("MODEL a.bin\nMODEL a.bin\nDOC a.bin\n").unwrap();
    assert_eq!(f.files.len(), 2);
}

#[test]
fn empty_file_and_syntax_line_only_are_valid() {
    assert_eq!(parse("").unwrap(), Modelfile::default());
    assert_eq!(parse("# syntax=x\n\n").unwrap(), Modelfile::default());
}

#[test]
fn errors_name_the_line_and_the_fix() {
    let (line, m) = err("NAME a\nMODLE x.bin\n");
    assert_eq!(line, 2);
    assert!(
        m.contains("unknown directive \"MODLE\" (did you mean \"MODEL\"?)"),
        "{m}"
    );

    let (line, m) = err("NAME a\n\nNAME b\n");
    assert_eq!(line, 3);
    assert!(m.contains("NAME is given twice (first on line 1)"), "{m}");

    let (line, m) = err("# c\nFAMILY \"\"\n");
    assert_eq!(line, 2);
    assert!(m.contains("FAMILY has an empty argument"), "{m}");

    let (_, m) = err("MODEL\n");
    assert!(
        m.contains("MODEL needs an argument: MODEL <path or glob>"),
        "{m}"
    );

    let (_, m) = err("MODEL a.bin # weights\n");
    assert!(m.contains("takes one argument, got 3"), "{m}");
    assert!(m.contains("no trailing comments"), "{m}");

    let (_, m) = err("NAME \"open\n");
    assert!(m.contains("double quote is not closed"), "{m}");

    let (_, m) = err("FROBNICATE x\n");
    assert!(m.contains("a Modelfile has NAME, ARCH"), "{m}");

    // modctl splits at a space: a tab after the directive is refused, as
    // modctl refuses it.
    let (line, m) = err("NAME a\nMODEL\tm.bin\n");
    assert_eq!(line, 2);
    assert!(m.contains("\"MODEL\" is followed by a tab"), "{m}");
    assert!(m.contains("\"MODEL m.bin\""), "{m}");
    assert!(parse("MODEL  m.bin\n").is_ok(), "two spaces are fine");
}

#[test]
fn keywords_tell_the_dialect() {
    let k: Vec<String> = keywords("# syntax=x\n model a\nLAYER b c\n\n").collect();
    assert_eq!(k, ["MODEL", "LAYER"]);
}

#[test]
fn never_panics_on_odd_input() {
    for text in [
        "\u{feff}NAME x",
        "\\",
        "NAME \\",
        "\"",
        "NAME \"\\",
        "é",
        "NAME é\u{0}",
    ] {
        let _ = parse(text);
    }
}
