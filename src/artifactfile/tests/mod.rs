//! Whole-file behaviour of [`super::parse`]: directives, substitution,
//! errors and their lines; `FROM` in [`from`], `SUBJECT` in [`subject`],
//! several items, layouts and indexes in [`compose`], warnings in
//! [`warnings`], what the specs forbid in [`rules`], hostile input in
//! [`robust`].

mod compose;
mod from;
mod robust;
mod rules;
mod subject;
mod warnings;

use std::collections::BTreeMap;

use super::*;

pub(super) fn lines(start: u32, end: u32) -> Lines {
    Lines { start, end }
}

pub(super) fn opts(build_args: &[(&str, &str)], named: &[(&str, &str)]) -> ParseOptions {
    let map = |kv: &[(&str, &str)]| -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    ParseOptions {
        build_args: map(build_args),
        named_contexts: map(named),
    }
}

pub(super) fn ok(text: &str) -> Artifactfile {
    parse(text, &ParseOptions::default()).unwrap()
}

/// The artifact of a file that builds one artifact and nothing else, as
/// every file did before `INCLUDE`, `INDEX` and a second `ARTIFACT`.
pub(super) fn the_artifact(f: &Artifactfile) -> &ArtifactDecl {
    match f.items.as_slice() {
        [Item::Artifact(a)] => a,
        items => panic!("not one artifact: {items:?}"),
    }
}

/// The artifact of `text`, parsed with `opts` (see [`the_artifact`]).
pub(super) fn artifact_of(text: &str, opts: &ParseOptions) -> ArtifactDecl {
    the_artifact(&parse(text, opts).unwrap()).clone()
}

/// The artifact of `text` (see [`the_artifact`]).
pub(super) fn one(text: &str) -> ArtifactDecl {
    artifact_of(text, &ParseOptions::default())
}

/// The `LAYER` lines of `a`, which has no `LAYERS`.
pub(super) fn files(a: &ArtifactDecl) -> Vec<&LayerLine> {
    a.layers
        .iter()
        .map(|entry| match entry {
            LayerEntry::File(layer) => layer,
            LayerEntry::Layout(layout) => panic!("a LAYERS entry: {layout:?}"),
        })
        .collect()
}

/// The error for `text`, checked to contain `fragment` and to be at `at`.
pub(super) fn err(text: &str, fragment: &str, at: Lines) -> String {
    let e = parse(text, &ParseOptions::default()).unwrap_err();
    assert!(
        e.message.contains(fragment),
        "{:?} lacks {:?}",
        e.message,
        fragment
    );
    assert_eq!(e.lines, at, "{}", e.message);
    e.message
}

pub(super) const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn a_full_file() {
    let text = "# syntax=example/frontend\n\
                arg V=1.0\n\
                \n\
                Artifact application/vnd.example.v1\n\
                  CONFIG application/vnd.example.config+json cfg.json\n\
                LAYER --title=\"my file\" --annotation=a=b=c \\\n\
                \x20 # a comment inside\n\
                \n\
                \x20     text/plain \\\n\
                \x20     dist/f-${V}.txt\n\
                annotation k=v empty= \"sp=a b\"\n\
                TAG v$V\n\
                TAG latest\n";
    let f = ok(text);
    let a = the_artifact(&f);
    assert_eq!(
        a.artifact_type,
        Some(("application/vnd.example.v1".into(), lines(4, 4)))
    );
    assert_eq!((a.id.as_deref(), a.lines), (None, lines(4, 4)));
    let config = a.config.clone().unwrap();
    assert_eq!(
        (
            config.media_type.as_str(),
            config.path.as_deref(),
            config.source,
            config.lines
        ),
        (
            "application/vnd.example.config+json",
            Some("cfg.json"),
            0,
            lines(5, 5)
        )
    );
    let layers = files(a);
    assert_eq!(layers.len(), 1);
    let layer = layers[0];
    assert_eq!(layer.media_type, "text/plain");
    assert_eq!(layer.path, "dist/f-1.0.txt");
    assert_eq!(layer.title.as_deref(), Some("my file"));
    assert_eq!(
        layer.annotations,
        BTreeMap::from([("a".into(), "b=c".into())])
    );
    assert_eq!(layer.lines, lines(6, 10));
    let annotations: Vec<(&str, &str)> = a
        .annotations
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(annotations, [("empty", ""), ("k", "v"), ("sp", "a b")]);
    assert_eq!(
        a.tags,
        [
            ("v1.0".into(), lines(12, 12)),
            ("latest".into(), lines(13, 13))
        ]
    );
    assert_eq!(a.subject, None);
    assert_eq!(
        f.sources,
        [FromLine {
            source: Source::Context,
            alias: None,
            lines: None
        }]
    );
    assert_eq!(f.warnings, []);
}

#[test]
fn config_without_path_and_inline_hash() {
    let a = one("CONFIG application/json\nANNOTATION k=a#b");
    assert_eq!(a.config.unwrap().path, None);
    assert_eq!(a.annotations["k"], "a#b");
    // No ARTIFACT line: the artifact starts at its first line.
    assert_eq!((a.artifact_type, a.lines), (None, lines(1, 1)));
}

#[test]
fn args_defaults_build_args_and_scope() {
    let text =
        "TAG x$A\nARG A=def B\nARG C=${B:-fallback}\nTAG $A-$B-$C-$HIDDEN\nANNOTATION k=${U:-d}";
    let build = [("A", "over"), ("HIDDEN", "h")];
    let a = artifact_of(text, &opts(&build, &[]));
    // Before its ARG, A is empty; a build arg without ARG stays invisible.
    assert_eq!(a.tags[0].0, "x");
    assert_eq!(a.tags[1].0, "over--fallback-");
    assert_eq!(a.annotations["k"], "d");
    let a = artifact_of(
        "ARG B\nTAG a$B\nARG C=${B:-fallback}\nTAG $C",
        &opts(&[("B", "b")], &[]),
    );
    assert_eq!((a.tags[0].0.as_str(), a.tags[1].0.as_str()), ("ab", "b"));
    // Values on one ARG line see the line before, not each other.
    let a = one("ARG A=1\nARG A=2 B=$A\nTAG $A$B");
    assert_eq!(a.tags[0].0, "21");
}

#[test]
fn escapes_and_quotes() {
    let a = one(r#"LAYER 'a $b' "c \"${X:-d}\" \$e \\""#);
    let layer = files(&a)[0];
    assert_eq!(
        (layer.media_type.as_str(), layer.path.as_str()),
        ("a $b", r#"c "d" $e \"#)
    );
    err("TAG \\$X", "has '$'", lines(1, 1));
    err("TAG 'a", "unterminated single quote", lines(1, 1));
    err(
        "ARG A\nTAG \"a \\\n b",
        "unterminated double quote",
        lines(2, 3),
    );
    err("\n\nTAG ${A", "unclosed \"${A\"", lines(3, 3));
}

#[test]
fn instruction_errors() {
    let m = err(
        "TAG a\nLAYR a b",
        "unknown instruction \"LAYR\" (did you mean \"LAYER\"?)",
        lines(2, 2),
    );
    assert!(!m.contains("line 2"));
    err(
        "froM context\nCOPY a b",
        "unknown instruction \"COPY\" (an Artifactfile has ARG,",
        lines(2, 2),
    );
    err(
        "layer \\\n  --anotation=k=v t p",
        "unknown flag \"--anotation\" for LAYER (did you mean \"--annotation\"?)",
        lines(1, 2),
    );
    err(
        "LAYER --title t p",
        "--title needs a value: --title=<name>",
        lines(1, 1),
    );
    err("LAYER t p --title=x", "flags go before", lines(1, 1));
    err(
        "LAYER t",
        "LAYER takes a media type and a path",
        lines(1, 1),
    );
    err(
        "LAYER t p q",
        "LAYER takes a media type and a path",
        lines(1, 1),
    );
    err("LAYER $U p", "LAYER media type is empty", lines(1, 1));
    err("LAYER t \"\"", "LAYER path is empty", lines(1, 1));
    err(
        "LAYER --annotation=k t p",
        "LAYER --annotation needs <key>=<value>, got \"k\"",
        lines(1, 1),
    );
    err(
        "LAYER --annotation==v t p",
        "LAYER --annotation key is empty",
        lines(1, 1),
    );
    err("LAYER --title= t p", "--title is empty", lines(1, 1));
    err(
        "\nARTIFACT a\nARTIFACT b",
        "ARTIFACT is given twice (first on line 2)",
        lines(3, 3),
    );
    err(
        "ARTIFACT a b",
        "ARTIFACT takes 1 argument, got 2: ARTIFACT <artifactType>",
        lines(1, 1),
    );
    err("ARTIFACT", "ARTIFACT takes 1 argument, got 0", lines(1, 1));
    err(
        "CONFIG a\nCONFIG b",
        "CONFIG is given twice (first on line 1)",
        lines(2, 2),
    );
    err("CONFIG", "CONFIG <mediaType> [<path>]", lines(1, 1));
    err("CONFIG a b c", "CONFIG <mediaType> [<path>]", lines(1, 1));
    err("CONFIG a ''", "CONFIG path is empty", lines(1, 1));
    err(
        "ANNOTATION k",
        "ANNOTATION needs <key>=<value>, got \"k\" (an empty value is written \"k=\")",
        lines(1, 1),
    );
    err("ANNOTATION =v", "ANNOTATION key is empty", lines(1, 1));
    err("ANNOTATION", "ANNOTATION needs <key>=<value>", lines(1, 1));
    err(
        "TAG a b",
        "TAG takes 1 argument, got 2: TAG <name> (quote a value that has spaces)",
        lines(1, 1),
    );
    err("TAG 'a b'", "TAG \"a b\" has ' '", lines(1, 1));
    err("ARG 1A=x", "ARG name \"1A\" is not valid", lines(1, 1));
    err("ARG", "ARG needs a name", lines(1, 1));
    err(
        "FROM --platform=linux/amd64 img",
        "FROM takes no flags",
        lines(1, 1),
    );
    err(
        "FROM docker-image://",
        "needs an image reference",
        lines(1, 1),
    );
    err(
        "TAG a \\\n\n# c\n",
        "ends in a line continuation",
        lines(1, 1),
    );
    err(
        "TAG ${A-x}",
        "unsupported substitution \"${A-\"",
        lines(1, 1),
    );
}
