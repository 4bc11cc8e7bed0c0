//! What a new user trips on, in process: a glob that matches nothing, a
//! model without weights, a manifest a spec forbids, each said at its
//! line (a warning where the build goes on, a refusal where it would
//! write no valid model).

use std::path::PathBuf;

use artifact_frontend::gateway::{CODE_INVALID_ARGUMENT, ReturnError};

use super::solver::Solver;
use super::{Own, assert_says, build, context, serving};

/// What a build of the Modelfile `body` over `files` gave, and the fake
/// that ran it (for the warnings it was sent and the steps it ran).
async fn modelfile(
    files: &[(&str, &[u8])],
    body: &str,
    warnings_cap: bool,
) -> (Solver, Result<PathBuf, ReturnError>) {
    let mut all = files.to_vec();
    all.push(("Modelfile", body.as_bytes()));
    let ctx = context(&all);
    let solver = match warnings_cap {
        true => serving(ctx.path()).with_warnings(),
        false => serving(ctx.path()),
    };
    let result = build(&solver, &[("filename", "Modelfile")], Own::FrontendBin).await;
    // The layout lives in the solver's directory, the context in `ctx`:
    // neither is looked at past this point but through `solver`.
    (solver, result)
}

/// Whether a step of `solver`'s build was named `[artifact] WARN: ...`
/// and said `what`: the warning as a daemon without the Warn call shows
/// it.
fn warned_in_a_step(solver: &Solver, what: &str) -> bool {
    solver
        .calls()
        .steps
        .iter()
        .any(|s| s.starts_with("[artifact] WARN: ") && s.contains(what))
}

const WEIGHTS: (&str, &[u8]) = ("model.safetensors", b"weights");

#[tokio::test]
async fn a_modelfile_glob_that_matches_nothing_warns_at_its_line() {
    let body = "NAME tiny\nMODEL model.safetensors\nDOC *.nomatch\n";
    // BuildKit 0.11+: a warning pointing at the line.
    let (solver, result) = modelfile(&[WEIGHTS], body, true).await;
    result.unwrap();
    let warnings = solver.calls().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(
        w.short
            .starts_with("DOC \"*.nomatch\" matches no files in the build context"),
        "{}",
        w.short
    );
    assert!(!w.vertex.is_empty());
    let (filename, _, start, end) = w.source.clone().unwrap();
    assert_eq!((filename.as_str(), start, end), ("Modelfile", 3, 3));

    // Older daemons: a step of its own, named by the warning and its line.
    let (solver, result) = modelfile(&[WEIGHTS], body, false).await;
    result.unwrap();
    assert!(
        warned_in_a_step(&solver, "matches no files in the build context")
            && warned_in_a_step(&solver, "(Modelfile:3)"),
        "{:?}",
        solver.calls().steps
    );
    // Every glob that matches is said nothing of.
    let (solver, result) = modelfile(&[WEIGHTS], "MODEL *.safetensors\n", true).await;
    result.unwrap();
    assert_eq!(solver.calls().warnings, []);
}

#[tokio::test]
async fn model_lines_that_find_no_weights_are_refused() {
    // A typo in the pattern: the line is warned about, the model refused.
    let body = "NAME tiny\nMODEL Model*.safetensors\nDOC README.md\n";
    let files: &[(&str, &[u8])] = &[WEIGHTS, ("README.md", b"# tiny")];
    let (solver, result) = modelfile(files, body, true).await;
    let err = result.unwrap_err();
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(
        &err,
        &["Modelfile: its MODEL lines match no files, so the model would have no weights"],
        &[],
    );
    let warnings = solver.calls().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .short
            .starts_with("MODEL \"Model*.safetensors\""),
        "{:?}",
        warnings[0]
    );

    // A .dockerignore that leaves the weights out: the warning says so.
    let files: &[(&str, &[u8])] = &[
        WEIGHTS,
        ("README.md", b"# tiny"),
        (".dockerignore", b"*.safetensors\n"),
    ];
    let body = "MODEL *.safetensors\nDOC README.md\n";
    let (solver, result) = modelfile(files, body, true).await;
    assert_says(&result.unwrap_err(), &["no weights"], &[]);
    let warnings = solver.calls().warnings;
    assert!(
        warnings[0]
            .short
            .contains("less what .dockerignore excludes"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn a_modelfile_without_a_model_line_warns() {
    let files: &[(&str, &[u8])] = &[WEIGHTS, ("README.md", b"# tiny")];
    let (solver, result) = modelfile(files, "NAME tiny\nDOC README.md\n", true).await;
    result.unwrap();
    let warnings = solver.calls().warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .short
            .starts_with("Modelfile has no MODEL line, so the model has no weights"),
        "{:?}",
        warnings[0]
    );
}

#[tokio::test]
async fn the_empty_config_without_an_artifact_type_is_refused_at_its_line() {
    let ctx = context(&[
        ("a.txt", b"a"),
        (
            "Artifactfile",
            b"LAYER text/plain a.txt\nCONFIG application/vnd.oci.empty.v1+json\n",
        ),
    ]);
    let err = build(&serving(ctx.path()), &[], Own::FrontendBin)
        .await
        .unwrap_err();
    assert_says(
        &err,
        &["Artifactfile:2: CONFIG application/vnd.oci.empty.v1+json is the empty descriptor"],
        &[],
    );
    // Without CONFIG, the empty config is implied: at the artifact's first
    // line.
    let ctx = context(&[
        ("a.txt", b"a"),
        ("Artifactfile", b"LAYER text/plain a.txt\n"),
    ]);
    let err = build(&serving(ctx.path()), &[], Own::FrontendBin)
        .await
        .unwrap_err();
    assert_says(
        &err,
        &["Artifactfile:1: ARTIFACT is required when there is no CONFIG"],
        &[],
    );
}

/// The contract writes what the reference writes for the same keys, even
/// where a spec forbids it: said in a warning, not refused.
#[tokio::test]
async fn the_contract_writes_what_the_reference_writes_and_says_what_is_wrong() {
    let ctx = context(&[("model.bin", b"weights")]);
    let layers = r#"[{"path":"model.bin","mediaType":"application/vnd.cncf.model.weight.v1.raw"}]"#;
    let keys = |artifact_type: &'static str, config: &'static str| {
        [
            ("containerimage.artifact.type", artifact_type),
            ("containerimage.artifact.config.mediatype", config),
            ("containerimage.artifact.layers", layers),
        ]
    };
    for (pairs, says) in [
        (
            keys(
                "application/vnd.cncf.model.manifest.v1+json",
                "application/vnd.cncf.model.config.v1+json",
            ),
            "but the contract's config is `{}`, which no ModelPack client reads",
        ),
        (
            keys("", "application/vnd.oci.empty.v1+json"),
            "OCI 1.1 requires an artifactType then",
        ),
    ] {
        let solver = serving(ctx.path());
        build(&solver, &pairs, Own::FrontendBin).await.unwrap();
        assert!(
            warned_in_a_step(&solver, says),
            "{:?}",
            solver.calls().steps
        );
    }
    let solver = serving(ctx.path());
    let pairs = keys(
        "application/vnd.example.v1",
        "application/vnd.oci.empty.v1+json",
    );
    build(&solver, &pairs, Own::FrontendBin).await.unwrap();
    assert!(!warned_in_a_step(&solver, ""), "{:?}", solver.calls().steps);
}

/// A path that differs from a file of the context only in case (it worked
/// on the user's case-insensitive disk) gets a "did you mean", on both
/// hashing paths, though only the named paths were sent.
#[tokio::test]
async fn a_path_that_differs_only_in_case_gets_a_did_you_mean() {
    let files: &[(&str, &[u8])] = &[("README.md", b"# hi"), ("docs/Guide.md", b"guide")];
    for (own, hash) in [(Own::FrontendBin, "exec"), (Own::Unknown, "gateway")] {
        for (body, says) in [
            (
                "ARTIFACT application/x.t\nLAYER text/markdown READMe.md\n",
                "Artifactfile:2: layer 1 (\"READMe.md\") does not exist in the build context \
                 (local \"context\") (did you mean \"README.md\"?)",
            ),
            (
                "ARTIFACT application/x.t\nLAYER text/markdown Docs/guide.md\n",
                "(did you mean \"docs/Guide.md\"?)",
            ),
        ] {
            let mut all = files.to_vec();
            all.push(("Artifactfile", body.as_bytes()));
            let ctx = context(&all);
            let err = build(&serving(ctx.path()), &[("artifact.hash", hash)], own)
                .await
                .unwrap_err();
            assert_says(&err, &[says], &[]);
        }
    }
    // A Modelfile's path, and a name with no other case: no guess.
    let body = "MODEL model.safetensors\nDOC readme.MD\nDOC LICENSE\n";
    let (_, result) = modelfile(&[WEIGHTS, ("README.md", b"# hi")], body, false).await;
    assert_says(
        &result.unwrap_err(),
        &[
            "DOC \"readme.MD\" does not exist in the build context (local \"context\") (did you mean \"README.md\"?)",
        ],
        &[],
    );
    let body = "MODEL model.safetensors\nDOC LICENSE\n";
    let (_, result) = modelfile(&[WEIGHTS, ("README.md", b"# hi")], body, false).await;
    assert_says(
        &result.unwrap_err(),
        &["\"LICENSE\" does not exist"],
        &["did you mean"],
    );
}
