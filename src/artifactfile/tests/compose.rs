//! Several items in one file: `ARTIFACT ... AS`, layout references
//! (`INCLUDE`, `LAYERS`), `SUBJECT <id>`, `INDEX` and `MANIFEST`, the
//! checks across the whole file, and what today's files still mean
//! (`FROM ... AS` is in [`super::from`]).

use super::*;

/// Named contexts most tests here use.
fn named() -> ParseOptions {
    opts(&[], &[("weights", "local:w"), ("base", "oci-layout://b")])
}

fn parsed(text: &str) -> Artifactfile {
    parse(text, &named()).unwrap()
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

fn artifact(item: &Item) -> &ArtifactDecl {
    match item {
        Item::Artifact(a) => a,
        other => panic!("not an artifact: {other:?}"),
    }
}

fn include(item: &Item) -> &IncludeDecl {
    match item {
        Item::Include(i) => i,
        other => panic!("not an include: {other:?}"),
    }
}

fn index(item: &Item) -> &IndexDecl {
    match item {
        Item::Index(i) => i,
        other => panic!("not an index: {other:?}"),
    }
}

fn digest() -> crate::digest::Digest {
    format!("sha256:{HEX}").parse().unwrap()
}

fn layout(name: &str, source: Option<usize>, pick: Pick, at: Lines) -> LayoutRef {
    LayoutRef {
        name: name.into(),
        source,
        pick,
        lines: at,
    }
}

#[test]
fn todays_files_are_one_artifact() {
    // Nothing at all, or only ARG and FROM: the one empty artifact.
    for text in ["", "# syntax=x\n", "ARG A=1\nFROM alpine"] {
        let f = ok(text);
        let a = the_artifact(&f);
        assert_eq!(
            *a,
            ArtifactDecl {
                id: None,
                artifact_type: None,
                config: None,
                layers: Vec::new(),
                annotations: BTreeMap::new(),
                tags: Vec::new(),
                subject: None,
                lines: lines(1, 1),
            }
        );
    }
    // ARTIFACT after other lines takes them over, as it always did.
    let a = one("TAG v1\nLAYER t a\nARTIFACT x\nLAYER t b\nTAG v2");
    assert_eq!(a.artifact_type, Some(("x".into(), lines(3, 3))));
    assert_eq!(a.lines, lines(3, 3));
    let paths: Vec<&str> = files(&a).iter().map(|l| l.path.as_str()).collect();
    assert_eq!(paths, ["a", "b"]);
    let tags: Vec<&str> = a.tags.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tags, ["v1", "v2"]);
    // Also when it gives an id.
    let a = one("CONFIG c\nARTIFACT x AS model");
    assert_eq!(a.id.as_deref(), Some("model"));
    assert_eq!(a.config.unwrap().lines, lines(1, 1));
    // A file with one unnamed ARTIFACT has one, as before.
    err(
        "\nARTIFACT a\nARTIFACT b",
        "ARTIFACT is given twice (first on line 2); keep one, or give each artifact an id",
        lines(3, 3),
    );
}

#[test]
fn artifacts_with_ids_take_the_lines_after_them() {
    let text = "ARTIFACT application/vnd.a AS model\n\
                CONFIG c a.json\n\
                LAYER t w.bin\n\
                ANNOTATION k=a\n\
                TAG v1\n\
                ARTIFACT application/vnd.sig\n\
                CONFIG c s.json\n\
                SUBJECT model\n\
                ANNOTATION k=b\n\
                artifact application/vnd.c as Other.1\n";
    let f = ok(text);
    assert_eq!(f.items.len(), 3);
    let model = artifact(&f.items[0]);
    assert_eq!(model.id.as_deref(), Some("model"));
    assert_eq!(model.lines, lines(1, 1));
    assert_eq!(
        model.config.as_ref().unwrap().path.as_deref(),
        Some("a.json")
    );
    assert_eq!(files(model)[0].path, "w.bin");
    assert_eq!(model.annotations["k"], "a");
    assert_eq!(model.tags, [("v1".into(), lines(5, 5))]);
    assert_eq!(model.subject, None);
    let sig = artifact(&f.items[1]);
    assert_eq!(sig.id, None);
    assert_eq!(
        sig.artifact_type,
        Some(("application/vnd.sig".into(), lines(6, 6)))
    );
    assert_eq!(sig.config.as_ref().unwrap().path.as_deref(), Some("s.json"));
    assert_eq!(
        sig.subject,
        Some((Subject::Id("model".into()), lines(8, 8)))
    );
    assert_eq!(sig.annotations["k"], "b");
    assert!(sig.layers.is_empty() && sig.tags.is_empty());
    let other = artifact(&f.items[2]);
    assert_eq!(other.id.as_deref(), Some("Other.1"));
    assert_eq!(f.artifacts().count(), 3);
    assert_eq!(f.ids(), BTreeMap::from([("Other.1", 2), ("model", 0)]));
    // One unnamed ARTIFACT besides named ones is fine, before or after.
    assert_eq!(ok("ARTIFACT a\nARTIFACT b AS x").items.len(), 2);
    assert_eq!(ok("ARTIFACT a AS x\nARTIFACT b").items.len(), 2);
}

#[test]
fn artifact_errors() {
    err(
        "ARTIFACT a AS x\nARTIFACT b\nARTIFACT c",
        "ARTIFACT is given twice (first on line 2)",
        lines(3, 3),
    );
    err(
        "ARTIFACT a AS x\nLAYER t p\nARTIFACT b AS x",
        "the id \"x\" is given twice (first on line 1)",
        lines(3, 3),
    );
    err(
        "ARTIFACT a AS -x",
        "ARTIFACT ... AS \"-x\": an id is letters, digits, '.', '_' and '-', starting with a \
         letter or digit",
        lines(1, 1),
    );
    err("ARTIFACT a AS x:1", "an id is letters", lines(1, 1));
    err(
        "ARTIFACT a AS",
        "ARTIFACT ... AS needs a name after it",
        lines(1, 1),
    );
    err(
        "ARTIFACT a AS $UNSET",
        "the name after AS is empty (after variable expansion",
        lines(1, 1),
    );
    err(
        "ARTIFACT a AS x AS y",
        "AS <name> goes last, with one name after it",
        lines(1, 1),
    );
    err(
        "ARTIFACT AS x",
        "ARTIFACT takes 1 argument, got 0: ARTIFACT <artifactType> [AS <id>]",
        lines(1, 1),
    );
    // CONFIG and SUBJECT are once per artifact.
    ok("ARTIFACT a AS x\nCONFIG c\nARTIFACT b AS y\nCONFIG c");
    err(
        "ARTIFACT a AS x\nCONFIG c\nARTIFACT b AS y\nCONFIG c\nCONFIG d",
        "CONFIG is given twice (first on line 4)",
        lines(5, 5),
    );
}

#[test]
fn layout_references() {
    let text = format!(
        "FROM dockerfile:D AS built\n\
         INCLUDE weights\n\
         INCLUDE base:v1.0_rc-2 AS b\n\
         INCLUDE built@sha256:{HEX} AS Built2\n\
         include built:latest\n"
    );
    let f = parsed(&text);
    let refs: Vec<(&LayoutRef, Option<&str>, Lines)> = f
        .items
        .iter()
        .map(|i| {
            let i = include(i);
            (&i.from, i.id.as_deref(), i.lines)
        })
        .collect();
    assert_eq!(
        refs,
        [
            (
                &layout("weights", None, Pick::Only, lines(2, 2)),
                None,
                lines(2, 2)
            ),
            (
                &layout("base", None, Pick::Tag("v1.0_rc-2".into()), lines(3, 3)),
                Some("b"),
                lines(3, 3)
            ),
            (
                &layout("built", Some(1), Pick::Digest(digest()), lines(4, 4)),
                Some("Built2"),
                lines(4, 4)
            ),
            (
                &layout("built", Some(1), Pick::Tag("latest".into()), lines(5, 5)),
                None,
                lines(5, 5)
            ),
        ]
    );
    // A file of INCLUDE lines only builds no artifact of its own.
    assert_eq!(f.artifacts().count(), 0);
    // A named context's name is taken whole first: it may hold ':' or '@'.
    let with_colon = opts(&[], &[("reg.io/x:1", "local:d")]);
    let f = parse("INCLUDE reg.io/x:1\nINCLUDE reg.io/x:1:v2", &with_colon).unwrap();
    assert_eq!(include(&f.items[0]).from.pick, Pick::Only);
    assert_eq!(include(&f.items[1]).from.pick, Pick::Tag("v2".into()));
    assert_eq!(include(&f.items[1]).from.name, "reg.io/x:1");
    // A source named with AS holds a layout too; each name its own entry.
    let f = parsed("FROM alpine AS a\nFROM alpine AS b\nINCLUDE a\nINCLUDE b");
    let froms: Vec<Option<usize>> = f.items.iter().map(|i| include(i).from.source).collect();
    assert_eq!(froms, [Some(1), Some(2)]);
    // A full reference as a tag (Podman's `ref.name`): the name is what
    // comes before the first ':' after which a known name ends.
    let f = parsed("INCLUDE base:localhost/x:1\nINCLUDE base:docker.io/library/alpine:3.20");
    let picks: Vec<&Pick> = f.items.iter().map(|i| &include(i).from.pick).collect();
    assert_eq!(
        picks,
        [
            &Pick::Tag("localhost/x:1".into()),
            &Pick::Tag("docker.io/library/alpine:3.20".into())
        ]
    );
    assert!(f.items.iter().all(|i| include(i).from.name == "base"));
    // The longest tag OCI allows, and one more.
    parsed(&format!("INCLUDE base:{}", "t".repeat(128)));
    fails(
        &format!("INCLUDE base:{}", "t".repeat(129)),
        "the tag \"tttt",
        lines(1, 1),
    );
}

#[test]
fn layout_reference_errors() {
    fails(
        "INCLUDE wieghts:v1",
        "INCLUDE \"wieghts:v1\": no named context or FROM ... AS name is called \"wieghts\" \
         (did you mean \"weights\"?)",
        lines(1, 1),
    );
    fails(
        "FROM alpine AS tools\nLAYERS toolz",
        "LAYERS no named context or FROM ... AS name is called \"toolz\" (did you mean \
         \"tools\"?)",
        lines(2, 2),
    );
    fails(
        "INCLUDE nothing-like-it",
        "(pass a named context, --build-context NAME=<dir>, or name a source before this \
         line: FROM <source> AS <name>)",
        lines(1, 1),
    );
    // An alias is known from its line on.
    fails(
        "INCLUDE later\nFROM alpine AS later",
        "is called \"later\"",
        lines(1, 1),
    );
    fails(
        "INCLUDE context",
        "(the build context has no layout name; give it one first: FROM context AS <name>)",
        lines(1, 1),
    );
    fails(
        "INCLUDE base:-v1",
        "INCLUDE \"base:-v1\": the tag \"-v1\" is not valid: a tag is 1 to 128 letters",
        lines(1, 1),
    );
    fails("INCLUDE base:", "the tag \"\" is not valid", lines(1, 1));
    fails(
        "INCLUDE base:a/b",
        "the tag \"a/b\" is not valid",
        lines(1, 1),
    );
    fails(
        "INCLUDE base@sha256:ABC",
        "INCLUDE \"base@sha256:ABC\": \"sha256:ABC\" is not sha256:<64 lowercase hex digits>",
        lines(1, 1),
    );
    fails(
        "INCLUDE $UNSET",
        "INCLUDE names no OCI layout (after variable expansion",
        lines(1, 1),
    );
    fails(
        "INCLUDE base base",
        "INCLUDE takes 1 argument, got 2: INCLUDE [--tag=<tag>]... \
         <name>[:<tag>|@sha256:<hex>] [AS <id>]",
        lines(1, 1),
    );
    fails(
        "INCLUDE base AS x/y",
        "INCLUDE ... AS \"x/y\": an id is",
        lines(1, 1),
    );
    fails(
        "INCLUDE --platform=x base",
        "unknown flag \"--platform\" for INCLUDE",
        lines(1, 1),
    );
    fails(
        "LAYERS base:v1 x",
        "LAYERS takes 1 argument, got 2: LAYERS <name>[:<tag>|@sha256:<hex>]",
        lines(1, 1),
    );
}

#[test]
fn include_tags_replace_the_layouts() {
    let f = parsed(
        "INCLUDE --tag=v1 --tag=stable --tag=v1 base:latest AS m\n\
         INCLUDE --tag= weights\n\
         INCLUDE base:v2",
    );
    let tags: Vec<Option<Vec<String>>> = f.items.iter().map(|i| include(i).tags.clone()).collect();
    assert_eq!(
        tags,
        [
            Some(vec!["v1".to_string(), "stable".to_string()]),
            Some(vec![]),
            None
        ]
    );
    fails(
        "INCLUDE --tag= --tag=v1 base",
        "INCLUDE --tag= drops every tag the layout gives, and other --tag flags give some",
        lines(1, 1),
    );
    fails(
        "INCLUDE --tag=a\\ b base",
        "INCLUDE --tag \"a b\" has ' '",
        lines(1, 1),
    );
    fails(
        "INCLUDE base --tag=v1",
        "INCLUDE flags go before its other arguments: move --tag to just after INCLUDE",
        lines(1, 1),
    );
}

#[test]
fn layers_go_in_order_among_layer_lines() {
    let a = the_artifact(&parsed(
        "ARTIFACT x\nLAYER t a\nLAYERS base:v1\nLAYER t b\nLAYERS weights",
    ))
    .clone();
    let entries: Vec<String> = a
        .layers
        .iter()
        .map(|e| match e {
            LayerEntry::File(l) => format!("file {} {}", l.path, l.lines.start),
            LayerEntry::Layout(r) => format!("layout {} {:?} {}", r.name, r.pick, r.lines.start),
        })
        .collect();
    assert_eq!(
        entries,
        [
            "file a 2",
            "layout base Tag(\"v1\") 3",
            "file b 4",
            "layout weights Only 5"
        ]
    );
    // Without ARTIFACT, LAYERS is the implicit artifact's, as LAYER is.
    let a = the_artifact(&parsed("LAYERS weights")).clone();
    assert_eq!(a.lines, lines(1, 1));
    assert!(matches!(&a.layers[..], [LayerEntry::Layout(r)] if r.name == "weights"));
}

#[test]
fn include_is_an_item_of_its_own() {
    // It leaves the open artifact open, and comes after it.
    let f = parsed("ARTIFACT t AS a\nINCLUDE base AS b\nLAYER t p\nTAG v1");
    assert_eq!(f.items.len(), 2);
    let a = artifact(&f.items[0]);
    assert_eq!((files(a).len(), a.tags.len()), (1, 1));
    assert_eq!(include(&f.items[1]).id.as_deref(), Some("b"));
    // Before any artifact line it is first; after the implicit
    // artifact's first line, second.
    let kinds =
        |text: &str| -> Vec<&'static str> { parsed(text).items.iter().map(Item::kind).collect() };
    assert_eq!(kinds("INCLUDE base\nLAYER t p"), ["include", "artifact"]);
    assert_eq!(kinds("LAYER t p\nINCLUDE base"), ["artifact", "include"]);
    assert_eq!(
        kinds(
            "INCLUDE base\nARTIFACT t AS a\nINCLUDE weights\nINDEX t AS i\nMANIFEST a\nINCLUDE base:v1"
        ),
        ["include", "artifact", "include", "index", "include"]
    );
    // Ids are one namespace across ARTIFACT, INCLUDE and INDEX.
    fails(
        "ARTIFACT t AS a\nINCLUDE base AS a",
        "the id \"a\" is given twice (first on line 1); ARTIFACT, INCLUDE and INDEX ids name one \
         thing each",
        lines(2, 2),
    );
    fails(
        "INCLUDE base AS a\nINDEX t AS a\nMANIFEST a",
        "the id \"a\" is given twice (first on line 1)",
        lines(2, 2),
    );
}

#[test]
fn subject_ids() {
    // Used before the line that defines it; an include or an index is a
    // subject too.
    let f = parsed(
        "ARTIFACT t AS sig\nSUBJECT model\n\
         ARTIFACT t AS model\n\
         INCLUDE base AS img\n\
         ARTIFACT t AS sbom\nSUBJECT img\n\
         ARTIFACT t AS att\nSUBJECT all\n\
         INDEX t AS all\nMANIFEST model img",
    );
    let subjects: Vec<Option<&Subject>> = f
        .artifacts()
        .map(|a| a.subject.as_ref().map(|(s, _)| s))
        .collect();
    let id = |s: &str| Subject::Id(s.into());
    assert_eq!(
        subjects,
        [Some(&id("model")), None, Some(&id("img")), Some(&id("all"))]
    );
    // What each form takes: flags or '@' make a reference, '{' a descriptor.
    err(
        "SUBJECT --size=1 model",
        "SUBJECT reference \"model\" has no digest",
        lines(1, 1),
    );
    err(
        "SUBJECT reg.io/app:1",
        "SUBJECT \"reg.io/app:1\" is neither an id (letters, digits",
        lines(1, 1),
    );
}

#[test]
fn an_index_and_its_manifests() {
    let text = "ARTIFACT application/vnd.a AS amd64\n\
                TAG amd\n\
                ARTIFACT application/vnd.a AS arm64\n\
                INCLUDE base:v1 AS img\n\
                INDEX application/vnd.multi as all\n\
                MANIFEST amd64 \\\n  arm64\n\
                ANNOTATION org.opencontainers.image.version=1\n\
                MANIFEST img\n\
                TAG latest\n\
                TAG v1\n";
    let f = parsed(text);
    assert_eq!(f.items.len(), 4);
    let all = index(&f.items[3]);
    assert_eq!(
        *all,
        IndexDecl {
            id: "all".into(),
            artifact_type: "application/vnd.multi".into(),
            members: vec![
                ("amd64".into(), lines(6, 7)),
                ("arm64".into(), lines(6, 7)),
                ("img".into(), lines(9, 9)),
            ],
            annotations: BTreeMap::from([("org.opencontainers.image.version".into(), "1".into())]),
            tags: vec![
                ("latest".into(), lines(10, 10)),
                ("v1".into(), lines(11, 11))
            ],
            lines: lines(5, 5),
        }
    );
    assert_eq!(include(&f.items[2]).id.as_deref(), Some("img"));
    assert_eq!(artifact(&f.items[0]).tags, [("amd".into(), lines(2, 2))]);
    assert_eq!(f.items[3].id(), Some("all"));
    assert_eq!(f.items[3].lines(), lines(5, 5));
}

#[test]
fn index_errors() {
    err(
        "INDEX application/vnd.multi",
        "INDEX needs an id, which its MANIFEST lines' members and SUBJECT lines refer to it by: \
         INDEX <artifactType> AS <id>",
        lines(1, 1),
    );
    err(
        "INDEX AS i",
        "INDEX takes 1 argument, got 0: INDEX <artifactType> AS <id>",
        lines(1, 1),
    );
    err("INDEX '' AS i", "INDEX artifact type is empty", lines(1, 1));
    err(
        "INDEX t AS i:1",
        "INDEX ... AS \"i:1\": an id is",
        lines(1, 1),
    );
    for (line, what) in [
        ("CONFIG c", "CONFIG"),
        ("LAYER t p", "LAYER"),
        ("LAYERS base", "LAYERS"),
        ("SUBJECT a", "SUBJECT"),
    ] {
        fails(
            &format!("ARTIFACT t AS a\nINDEX t AS i\nMANIFEST a\n{line}"),
            &format!(
                "{what} is for an artifact, but the lines after INDEX (line 2) make an index, \
                 which takes only MANIFEST, ANNOTATION and TAG: start an artifact before this \
                 line with ARTIFACT <artifactType> [AS <id>]"
            ),
            lines(4, 4),
        );
    }
    err(
        "ARTIFACT t AS a\nMANIFEST a",
        "MANIFEST lists the members of an index: put it after INDEX <artifactType> AS <id>",
        lines(2, 2),
    );
    err(
        "INDEX t AS i\nMANIFEST",
        "MANIFEST needs one or more ids",
        lines(2, 2),
    );
    fails(
        "INDEX t AS i\nMANIFEST base:v1",
        "MANIFEST \"base:v1\" is not an id: MANIFEST lists ids given with AS to this file's \
         ARTIFACT, INCLUDE and INDEX lines (letters, digits, '.', '_' and '-'); to list a \
         manifest from an OCI layout, INCLUDE it AS <id> and list that id",
        lines(2, 2),
    );
    err(
        "ARTIFACT t AS a\nINDEX t AS i\nMANIFEST a\nMANIFEST b a\nARTIFACT t AS b",
        "MANIFEST \"a\" is listed twice in index \"i\" (first on line 3); keep one",
        lines(4, 4),
    );
}

#[test]
fn lines_before_an_index_need_an_artifact_line() {
    err(
        "TAG v1\nANNOTATION k=v\nINDEX t AS i\nMANIFEST i",
        "the lines before INDEX (from line 1) are an artifact's, but no ARTIFACT line starts \
         it: in a file with an INDEX, start each artifact with ARTIFACT <artifactType> AS <id>, \
         and put the index's TAG and ANNOTATION lines after its INDEX line",
        lines(3, 3),
    );
    // INCLUDE and FROM lines are not an artifact's.
    let f = parsed("FROM alpine AS a\nINCLUDE base AS b\nINDEX t AS i\nMANIFEST b");
    assert_eq!(
        f.items.iter().map(Item::kind).collect::<Vec<_>>(),
        ["include", "index"]
    );
}

#[test]
fn a_tag_names_one_manifest() {
    // Twice on one manifest is as it always was.
    assert_eq!(one("TAG v1\nARTIFACT t\nTAG v1").tags.len(), 2);
    err(
        "ARTIFACT t AS a\nTAG v1\nARTIFACT t AS b\nTAG v1",
        "TAG \"v1\" is on another manifest already (first on line 2); a tag names one entry of \
         index.json: give each its own",
        lines(4, 4),
    );
    err(
        "TAG v1\nARTIFACT t AS a\nINDEX t AS i\nMANIFEST a\nTAG v1",
        "TAG \"v1\" is on another manifest already (first on line 1)",
        lines(5, 5),
    );
}

#[test]
fn new_instructions_are_known() {
    for keyword in ["INCLUDE", "LAYERS", "INDEX", "MANIFEST"] {
        assert!(INSTRUCTIONS.contains(&keyword), "{keyword}");
    }
    err(
        "INDEX t AS i\nMANIFST a",
        "unknown instruction \"MANIFST\" (did you mean \"MANIFEST\"?)",
        lines(2, 2),
    );
    err(
        "INCLDUE base",
        "unknown instruction \"INCLDUE\" (did you mean \"INCLUDE\"?)",
        lines(1, 1),
    );
}

// What is checked once the whole file is read.

#[test]
fn every_id_used_is_defined() {
    err(
        "ARTIFACT t AS a\nSUBJECT modle\nARTIFACT t AS model",
        "SUBJECT modle: no ARTIFACT, INCLUDE or INDEX has this id (did you mean \"model\"?)",
        lines(2, 2),
    );
    err(
        "ARTIFACT t\nSUBJECT \\\n  zzzzzz",
        "SUBJECT zzzzzz: no ARTIFACT, INCLUDE or INDEX has this id (give an ARTIFACT, INCLUDE \
         or INDEX that id with AS <id>)",
        lines(2, 3),
    );
    // Ids may be used above the line that defines them.
    ok("ARTIFACT t AS a\nSUBJECT b\nINDEX t AS i\nMANIFEST a b\nARTIFACT t AS b");
    err(
        "ARTIFACT t AS a\nSUBJECT a",
        "SUBJECT a: an artifact cannot be its own subject",
        lines(2, 2),
    );
    // Adopted: the id comes after the SUBJECT line.
    err(
        "SUBJECT a\nARTIFACT t AS a",
        "an artifact cannot be its own subject",
        lines(1, 1),
    );
    err(
        "INDEX t AS i\nANNOTATION k=v\nARTIFACT t AS a",
        "INDEX i lists no manifests: add MANIFEST <id>... lines after it",
        lines(1, 1),
    );
    err(
        "ARTIFACT t AS amd64\nINDEX t AS i\nMANIFEST amd46",
        "MANIFEST amd46: no ARTIFACT, INCLUDE or INDEX has this id (did you mean \"amd64\"?)",
        lines(3, 3),
    );
    err(
        "INDEX t AS i\nMANIFEST i",
        "MANIFEST i: an index cannot list itself",
        lines(2, 2),
    );
}

#[test]
fn cycles_are_named() {
    let m = err(
        "ARTIFACT t AS a\nSUBJECT b\nARTIFACT t AS b\nSUBJECT a",
        "SUBJECT a makes a cycle: a → b → a (artifact a has SUBJECT b (line 2); artifact b has \
         SUBJECT a (line 4)); a manifest's digest covers its subject's",
        lines(4, 4),
    );
    assert!(m.ends_with("drop one SUBJECT"), "{m}");
    // A long one is cut short in the message.
    let n = 20;
    let text: String = (0..n)
        .map(|i| format!("ARTIFACT t AS a{i}\nSUBJECT a{}\n", (i + 1) % n))
        .collect();
    let m = err(
        &text,
        "SUBJECT a0 makes a cycle: a0 → a1 → a2 → a3 → a4 → a5 → a6 → a7 → ... (12 more) → a0",
        lines(40, 40),
    );
    assert!(m.len() < 700, "{}", m.len());
    let m = err(
        "INDEX t AS i\nMANIFEST j\nINDEX t AS j\nMANIFEST k\nINDEX t AS k\nMANIFEST i",
        "MANIFEST i makes a cycle: i → j → k → i (index i has MANIFEST j (line 2); index j has \
         MANIFEST k (line 4); index k has MANIFEST i (line 6)); an index's digest covers its \
         manifests'",
        lines(6, 6),
    );
    assert!(m.ends_with("drop one MANIFEST"), "{m}");
    // Through a SUBJECT: a signature listed in the index it signs.
    err(
        "INDEX t AS i\nMANIFEST sig\nARTIFACT t AS sig\nSUBJECT i",
        "SUBJECT i makes a cycle: i → sig → i (index i has MANIFEST sig (line 2); artifact sig \
         has SUBJECT i (line 4)); a manifest's digest covers its subject's and an index's its \
         manifests'",
        lines(4, 4),
    );
}

#[test]
fn build_order_puts_what_is_referred_to_first() {
    let f = parsed(
        "INDEX t AS outer\nMANIFEST inner x\n\
         ARTIFACT t AS sig\nSUBJECT outer\n\
         INDEX t AS inner\nMANIFEST x\n\
         ARTIFACT t AS x\n\
         INCLUDE base",
    );
    assert_eq!(f.build_order().unwrap(), [3, 2, 0, 1, 4]);
    // Without references, file order.
    let f = parsed("ARTIFACT t AS a\nINCLUDE base AS b\nARTIFACT t AS c");
    assert_eq!(f.build_order().unwrap(), [0, 1, 2]);
}

#[test]
fn build_order_of_a_hand_made_model_reports_what_parse_would() {
    let mut f = ok("ARTIFACT t AS a");
    if let Item::Artifact(a) = &mut f.items[0] {
        a.subject = Some((Subject::Id("a".into()), lines(1, 1)));
    }
    let e = f.build_order().unwrap_err();
    assert!(e.message.contains("its own subject"), "{e}");
}
