//! `FROM`: sources, their dedupe, builds and their options, image
//! references and misspelled prefixes.

use std::collections::BTreeMap;

use super::*;

#[test]
fn from_resolution_and_dedupe() {
    let text = "CONFIG c\nFROM docker-image://alpine:3\nLAYER t a\nFROM mine\nLAYER t b\n\
                FROM r.example/x\nFROM context\nLAYER t c\nFROM alpine:3\nLAYER t d\n\
                FROM r.example/x";
    let f = parse(text, &opts(&[], &[("mine", "local:dir")])).unwrap();
    assert_eq!(
        f.sources,
        [
            FromLine {
                source: Source::Context,
                alias: None,
                lines: None
            },
            FromLine {
                source: Source::Image("alpine:3".into()),
                alias: None,
                lines: Some(lines(2, 2))
            },
            FromLine {
                source: Source::Named {
                    name: "mine".into(),
                    value: "local:dir".into()
                },
                alias: None,
                lines: Some(lines(4, 4))
            },
            FromLine {
                source: Source::Image("r.example/x".into()),
                alias: None,
                lines: Some(lines(6, 6))
            },
        ]
    );
    let a = the_artifact(&f);
    assert_eq!(a.config.as_ref().unwrap().source, 0);
    let sources: Vec<usize> = files(a).iter().map(|l| l.source).collect();
    assert_eq!(sources, [1, 2, 0, 1]);
    // A named context wins over an image of the same name, `context` over both.
    let f = parse(
        "FROM context\nFROM alpine",
        &opts(&[], &[("context", "x"), ("alpine", "y")]),
    )
    .unwrap();
    assert_eq!(f.sources.len(), 2);
    assert!(matches!(&f.sources[1].source, Source::Named { name, .. } if name == "alpine"));
}

#[test]
fn from_images_are_checked_at_their_line() {
    for image in [
        "alpine:3",
        "localhost:5000/x",
        "registry:5000/x",
        "Registry.Example:5000/x:V1",
        "docker-image://alpine:3",
    ] {
        ok(&format!("FROM {image}"));
    }
    let m = err(
        "CONFIG c\nFROM Alpine:3",
        "FROM \"Alpine:3\" is not a valid image reference: \
         repository name (library/Alpine) must be lowercase",
        lines(2, 2),
    );
    assert!(!m.contains("did you mean"), "{m}");
    err(
        "LAYER t a\nFROM \\\n  docker.io/Library/alpine:3",
        "repository name (Library/alpine) must be lowercase",
        lines(2, 3),
    );
    err(
        "FROM docker-image://Alpine:3",
        "FROM \"docker-image://Alpine:3\" is not a valid image reference: \
         repository name (library/Alpine) must be lowercase",
        lines(1, 1),
    );
    err(
        "FROM alpine:3:4",
        "the tag \"3:4\" is not valid",
        lines(1, 1),
    );
    // `context` is case-sensitive; `Context` is no image either.
    err(
        "FROM Context",
        "must be lowercase (did you mean \"context\"?)",
        lines(1, 1),
    );
    let e = parse("FROM Weights", &opts(&[], &[("weights", "local:w")])).unwrap_err();
    assert!(e.message.ends_with("(did you mean \"weights\"?)"), "{e}");
}

#[test]
fn from_misspelled_prefixes_get_a_did_you_mean() {
    err(
        "CONFIG c\nFROM frontnd:registry.example/x:1",
        "FROM \"frontnd:registry.example/x:1\": unknown source prefix \"frontnd:\" \
         (did you mean \"frontend:\"?)",
        lines(2, 2),
    );
    for (text, meant) in [
        ("FROM Frontend:ghcr.io/o/aikit:1", "frontend:"),
        ("FROM fronted:ghcr.io/o/aikit:1", "frontend:"),
        ("FROM dockerfle:build/Dockerfile", "dockerfile:"),
        ("FROM Dockerfile:Dockerfile.train", "dockerfile:"),
        // Options are for builds, so this is no image with a tag.
        ("FROM dockerfil:Dockerfile.train target=w", "dockerfile:"),
        ("FROM docker-imag://alpine:3", "docker-image://"),
        ("FROM docker.image://alpine:3", "docker-image://"),
        ("FROM docker-image:/alpine:3", "docker-image://"),
    ] {
        err(
            &format!("LAYER t a\n{text}"),
            &format!("(did you mean \"{meant}\"?)"),
            lines(2, 2),
        );
    }
    err(
        "FROM \\\n  frontnd:r.example/x:1 \\\n  a=b",
        "(did you mean \"frontend:\"?)",
        lines(1, 3),
    );
    // What can be an image stays one, however close to a prefix: a name
    // and tag, a registry and port.
    for image in [
        "alpine:3",
        "localhost:5000/x",
        "registry:5000/x",
        "frontends:5000/x",
        "frontend2:1",
        "dockerfiles:latest",
    ] {
        let f = ok(&format!("FROM {image}"));
        assert_eq!(f.sources[1].source, Source::Image(image.into()));
    }
    // A named context of that name wins, as over any image.
    let f = parse("FROM frontnd:x", &opts(&[], &[("frontnd:x", "local:d")])).unwrap();
    assert!(matches!(&f.sources[1].source, Source::Named { name, .. } if name == "frontnd:x"));
}

#[test]
fn from_builds_take_key_value_options() {
    let text = "ARG STAGE=weights\nFROM dockerfile:Dockerfile.train target=${STAGE} build-arg:EPOCHS=3\n\
                LAYER t model.bin\nFROM frontend:ghcr.io/example/aikit:1\nLAYER t out.gguf";
    let f = parse(text, &opts(&[], &[])).unwrap();
    let mut train = BTreeMap::new();
    train.insert("target".to_string(), "weights".to_string());
    train.insert("build-arg:EPOCHS".to_string(), "3".to_string());
    assert_eq!(
        f.sources[1].source,
        Source::Build {
            by: BuildBy::Dockerfile("Dockerfile.train".into()),
            opts: train,
        }
    );
    assert_eq!(
        f.sources[2].source,
        Source::Build {
            by: BuildBy::Frontend("ghcr.io/example/aikit:1".into()),
            opts: BTreeMap::new(),
        }
    );
    assert_eq!(
        files(the_artifact(&f))
            .iter()
            .map(|l| l.source)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    err("FROM alpine target=x", "takes no options", lines(1, 1));
    err(
        "FROM dockerfile:D target",
        "options are key=value",
        lines(1, 1),
    );
    err(
        "FROM dockerfile:",
        "needs a file or image after the colon",
        lines(1, 1),
    );
}

/// Named contexts for the `AS` tests.
fn named() -> ParseOptions {
    opts(&[], &[("weights", "local:w"), ("base", "oci-layout://b")])
}

/// As [`err`], with the named contexts of [`named`].
fn fails(text: &str, fragment: &str, at: Lines) -> String {
    let e = parse(text, &named()).unwrap_err();
    assert!(
        e.message.contains(fragment),
        "{:?} lacks {:?}",
        e.message,
        fragment
    );
    assert_eq!(e.lines, at, "{}", e.message);
    e.message
}

#[test]
fn from_as_names_a_source() {
    let text = "FROM alpine:3 AS tools\n\
                LAYER t a\n\
                FROM dockerfile:Dockerfile.train target=out as built\n\
                FROM weights AS w2\n\
                FROM context\n\
                LAYER t b\n";
    let f = parse(text, &named()).unwrap();
    let aliases: Vec<(Option<&str>, Option<Lines>)> = f
        .sources
        .iter()
        .map(|s| (s.alias.as_deref(), s.lines))
        .collect();
    assert_eq!(
        aliases,
        [
            (None, None),
            (Some("tools"), Some(lines(1, 1))),
            (Some("built"), Some(lines(3, 3))),
            (Some("w2"), Some(lines(4, 4))),
        ]
    );
    assert_eq!(f.sources[1].source, Source::Image("alpine:3".into()));
    assert!(matches!(
        &f.sources[2].source,
        Source::Build { by: BuildBy::Dockerfile(d), opts } if d == "Dockerfile.train" && opts["target"] == "out"
    ));
    let sources: Vec<usize> = files(the_artifact(&f)).iter().map(|l| l.source).collect();
    assert_eq!(sources, [1, 0]);
    // `FROM <name>` means the named source again, as a stage name does in
    // a Dockerfile, not an image of that name; with AS it names it twice.
    let f = parse(
        "FROM alpine AS tools\nFROM context\nFROM tools\nLAYER t p\nFROM tools AS t2",
        &named(),
    )
    .unwrap();
    assert_eq!(f.sources.len(), 3);
    assert_eq!(files(the_artifact(&f))[0].source, 1);
    assert_eq!(f.sources[2].source, Source::Image("alpine".into()));
    assert_eq!(f.sources[2].alias.as_deref(), Some("t2"));
    // A source already named without an alias takes it, so it is still
    // one entry (the context too); a second alias makes a second entry.
    let f = parse(
        "FROM alpine\nFROM context AS ctx\nFROM alpine AS a\nFROM alpine AS b\nFROM alpine\nLAYER t p",
        &named(),
    )
    .unwrap();
    let aliases: Vec<(Option<&str>, &Source)> = f
        .sources
        .iter()
        .map(|s| (s.alias.as_deref(), &s.source))
        .collect();
    let alpine = Source::Image("alpine".into());
    assert_eq!(
        aliases,
        [
            (Some("ctx"), &Source::Context),
            (Some("a"), &alpine),
            (Some("b"), &alpine),
        ]
    );
    assert_eq!(files(the_artifact(&f))[0].source, 1);
}

#[test]
fn from_as_errors() {
    fails(
        "FROM alpine AS Tools",
        "FROM ... AS \"Tools\": a source name is lowercase letters, digits",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS _x",
        "a source name is lowercase",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS a\nLAYER t p\nFROM busybox AS a",
        "FROM ... AS \"a\": the name is given twice (first on line 1)",
        lines(3, 3),
    );
    fails(
        "FROM alpine AS weights",
        "FROM ... AS \"weights\": a named context has that name",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS context",
        "FROM ... AS \"context\": `context` names the build context already",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS",
        "FROM ... AS needs a name after it",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS $UNSET",
        "the name after AS is empty (after variable expansion",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS a b",
        "FROM: AS <name> goes last, with one name after it",
        lines(1, 1),
    );
    fails("FROM AS a", "FROM takes a source", lines(1, 1));
    // The source is still checked, and options are for builds only.
    fails("FROM Alpine AS a", "must be lowercase", lines(1, 1));
    fails(
        "FROM alpine AS tools\nFROM tools target=x",
        "FROM \"tools\" takes no options",
        lines(2, 2),
    );
}

#[test]
fn a_bare_name_close_to_a_named_context_is_a_typo() {
    let named = opts(&[], &[("weights", "local:weights")]);
    let err = parse("ARTIFACT a/b\nFROM weigths\n", &named).unwrap_err();
    assert_eq!(err.lines, lines(2, 2));
    assert!(
        err.message.contains(r#"(did you mean "weights"?)"#),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("FROM docker-image://weigths"),
        "{}",
        err.message
    );
    // The image, said so; a name with a tag or registry; a name far from any.
    for ok in [
        "FROM docker-image://weigths",
        "FROM weigths:1",
        "FROM r.example/weigths",
        "FROM alpine",
    ] {
        parse(&format!("ARTIFACT a/b\n{ok}\n"), &named).unwrap();
    }
}

#[test]
fn from_oci_names_a_registry_manifest_that_layouts_read() {
    let text = format!(
        "FROM oci://127.0.0.1:5000/e2e/busybox@sha256:{HEX} AS runtime\n\
         FROM oci://registry.example.com/models/base:v1 AS base\n\
         INCLUDE runtime\n\
         INCLUDE base:v1 AS b\n"
    );
    let f = ok(&text);
    assert_eq!(
        f.sources[1],
        FromLine {
            source: Source::Registry(format!("127.0.0.1:5000/e2e/busybox@sha256:{HEX}")),
            alias: Some("runtime".into()),
            lines: Some(lines(1, 1)),
        }
    );
    assert_eq!(
        f.sources[2].source,
        Source::Registry("registry.example.com/models/base:v1".into())
    );
    // The layouts read the pulled sources.
    let froms: Vec<Option<usize>> = f
        .items
        .iter()
        .map(|i| match i {
            Item::Include(i) => i.from.source,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(froms, [Some(1), Some(2)]);
}

#[test]
fn a_bad_oci_reference_fails_at_its_line() {
    err(
        "CONFIG c\nFROM oci://busybox:1 AS b",
        "FROM \"oci://busybox:1\": \"oci://busybox:1\" names no registry",
        lines(2, 2),
    );
    err(
        "LAYER t a\nFROM \\\n  oci://r.example.com/m AS b",
        "names neither a tag nor a digest",
        lines(2, 3),
    );
    err(
        "FROM oci://r.example.com/m@sha256:abc AS b",
        "\"sha256:abc\" is not a digest",
        lines(1, 1),
    );
    err(
        "FROM oci://r.example.com/Models:v1 AS b",
        "is not a registry reference",
        lines(1, 1),
    );
    err(
        "FROM oci://r.example.com/m:v1 target=x",
        "takes no options",
        lines(1, 1),
    );
    // A misspelled scheme is named.
    err(
        "FROM ocl://r.example.com/m:v1",
        "unknown source prefix \"ocl:\" (did you mean \"oci://\"?)",
        lines(1, 1),
    );
}
