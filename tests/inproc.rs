//! The frontend's planning and producing logic, run in-process against
//! [`solver::Solver`], a fake gateway that solves our LLB itself and runs
//! the blob writer as the worker would. Every path is covered without a
//! daemon: hashing in the worker and through the gateway, the fallback
//! between them, and the errors of each. The end-to-end suite (`e2e.rs`)
//! runs the same builds on real BuildKit.

#[path = "inproc/compose.rs"]
mod compose;
#[path = "inproc/hand_layout.rs"]
mod hand_layout;
#[path = "inproc/naming.rs"]
mod naming;
#[path = "inproc/newcomer.rs"]
mod newcomer;
#[path = "inproc/pull.rs"]
mod pull;
#[path = "registry_fixture/mod.rs"]
mod registry_fixture;
#[path = "inproc/registry_inputs.rs"]
mod registry_inputs;
#[path = "inproc/scale.rs"]
mod scale;
#[path = "inproc/solver.rs"]
mod solver;
#[path = "support/mod.rs"]
mod support;
#[path = "util/mod.rs"]
mod util;

use std::fs;
use std::path::{Path, PathBuf};

use artifact_frontend::artifact;
use artifact_frontend::gateway::{self, CODE_INVALID_ARGUMENT, Options, ReturnError};
use artifact_frontend::llb::{self, ImageRef};
use prost::Message as _;

use solver::{OWN_IMAGE, Solver};
use util::{VECTOR, borrow, tree, vector_layers, vector_options};

/// How the frontend finds its own image, to run the blob writer.
#[derive(Clone, Copy, PartialEq)]
enum Own {
    /// BuildKit 0.10+: `frontend.bin` holds its definition.
    FrontendBin,
    /// Older daemons: the `source` option names it.
    Source,
    /// Neither.
    Unknown,
}

fn options(pairs: &[(&str, &str)], own: Own) -> Options {
    let env: Vec<(String, String)> = pairs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| (format!("BUILDKIT_FRONTEND_OPT_{i}"), format!("{k}={v}")))
        .collect();
    let mut opts = gateway::from_env(env);
    match own {
        Own::FrontendBin => {
            let image = llb::image(&ImageRef::parse(OWN_IMAGE).unwrap(), None);
            opts.frontend_bin = Some(image.marshal().into_pb().encode_to_vec());
        }
        Own::Source => {
            opts.opts.insert("source".into(), OWN_IMAGE.into());
        }
        Own::Unknown => {}
    }
    opts
}

/// Builds and gives the layout's directory, or the error `Return` would
/// carry.
async fn build(solver: &Solver, pairs: &[(&str, &str)], own: Own) -> Result<PathBuf, ReturnError> {
    match artifact::build(solver, &options(pairs, own)).await {
        Ok(res) => Ok(solver.dir(&res.layout)),
        Err(e) => Err(e.to_return()),
    }
}

fn vector_opts(hash: &'static str) -> Vec<(&'static str, String)> {
    let mut opts = vector_options(&vector_layers());
    opts.push(("artifact.hash", hash.into()));
    opts
}

/// Builds the reference vector hashing by `hash`, which must fail.
async fn vector_error(solver: &Solver, hash: &'static str, own: Own) -> ReturnError {
    build(solver, &borrow(&vector_opts(hash)), own)
        .await
        .unwrap_err()
}

/// A build context of `files` (path, bytes), with the spec file in it.
fn context(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, data) in files {
        let p = dir.path().join(path);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }
    dir
}

fn serving(dir: &Path) -> Solver {
    Solver::new().local("context", dir).local("dockerfile", dir)
}

#[tokio::test]
async fn both_hashing_paths_write_the_reference_layout() {
    let expected = tree(&Path::new(VECTOR).join("expected")).unwrap();
    let input = Path::new(VECTOR).join("input");
    for (hash, own) in [
        ("gateway", Own::Unknown),
        ("exec", Own::FrontendBin),
        ("exec", Own::Source),
        ("auto", Own::FrontendBin),
    ] {
        let solver = Solver::new().local("context", &input);
        let layout = build(&solver, &borrow(&vector_opts(hash)), own)
            .await
            .unwrap_or_else(|e| panic!("hash={hash}: {}", e.message));
        assert_eq!(tree(&layout).unwrap(), expected, "hash={hash}");
        let calls = solver.calls();
        // The worker reads every file itself (the gateway only reads its
        // listing and its report back); the gateway path reads them over
        // the wire and runs nothing.
        let worker = hash != "gateway";
        assert_eq!(calls.execs, usize::from(worker), "hash={hash}");
        assert_eq!(calls.listings, usize::from(worker), "hash={hash}");
        let reports = calls.execs + calls.listings;
        assert_eq!(calls.stats > reports, !worker, "hash={hash}: {calls:?}");
    }
}

#[tokio::test]
async fn a_daemon_that_cannot_run_our_image_falls_back_to_the_gateway() {
    let expected = tree(&Path::new(VECTOR).join("expected")).unwrap();
    let input = Path::new(VECTOR).join("input");
    let solver = Solver::new().local("context", &input).failing_execs();
    let layout = build(&solver, &borrow(&vector_opts("auto")), Own::FrontendBin)
        .await
        .unwrap();
    assert_eq!(tree(&layout).unwrap(), expected);

    // Asked for the worker explicitly, the failure is the answer.
    let solver = Solver::new().local("context", &input).failing_execs();
    let err = vector_error(&solver, "exec", Own::FrontendBin).await;
    assert_says(
        &err,
        &["hashing layers in the worker", "exec format error"],
        &[],
    );
    assert_ne!(err.code, 0);

    // With no way to know our image, `exec` says what to do instead.
    let solver = Solver::new().local("context", &input);
    let err = vector_error(&solver, "exec", Own::Unknown).await;
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(&err, &["artifact.hash=gateway"], &[]);
}

#[tokio::test]
async fn a_problem_the_worker_finds_is_reported_with_its_file_not_retried() {
    let ctx = context(&[
        ("site/index.html", b"<p>hi</p>"),
        (
            "Artifactfile",
            b"ARTIFACT application/vnd.example.docs.v1\nLAYER application/vnd.oci.image.layer.v1.tar site\n",
        ),
    ]);
    let fifo = ctx.path().join("site/queue");
    let c = std::ffi::CString::new(fifo.to_string_lossy().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let solver = serving(ctx.path());
    let err = build(&solver, &[], Own::FrontendBin).await.unwrap_err();
    assert_says(&err, &["site/queue"], &[]);
    assert_says(&err, &["Artifactfile:2"], &[]);
    assert_eq!(err.code, CODE_INVALID_ARGUMENT, "{}", err.message);
    // The worker's answer is final: nothing was hashed through the gateway.
    assert_eq!(solver.calls().execs, 1);
    assert_says(&err, &[], &["gateway"]);
}

#[tokio::test]
async fn a_missing_file_reads_the_same_on_both_paths() {
    // Plain missing, missing on the way, and a link that leads nowhere.
    for missing in ["b.txt", "no/dir/b.txt", "dangling.txt"] {
        let body = format!(
            "ARTIFACT application/vnd.example.v1\nLAYER text/plain a.txt\nLAYER text/plain {missing}\n"
        );
        let ctx = context(&[("a.txt", b"a"), ("Artifactfile", body.as_bytes())]);
        std::os::unix::fs::symlink("gone.txt", ctx.path().join("dangling.txt")).unwrap();
        let mut messages = Vec::new();
        for (hash, own) in [("gateway", Own::Unknown), ("exec", Own::FrontendBin)] {
            let solver = serving(ctx.path());
            let err = build(&solver, &[("artifact.hash", hash)], own)
                .await
                .unwrap_err();
            assert_eq!(err.code, CODE_INVALID_ARGUMENT, "{}", err.message);
            assert_says(&err, &[&format!("{missing:?}) does not exist")], &[]);
            assert!(
                !err.details.is_empty(),
                "the line is attached as a source detail"
            );
            messages.push(err.message);
        }
        assert_eq!(messages[0], messages[1], "{missing}");
    }
}

#[tokio::test]
async fn globs_and_directories_are_packed_in_the_worker_and_refused_without_it() {
    let ctx = context(&[
        ("docs/a/README.md", b"# a"),
        ("docs/b/README.md", b"# b"),
        ("site/index.html", b"<p>hi</p>"),
        (
            "Artifactfile",
            b"ARTIFACT application/vnd.example.docs.v1\n\
              LAYER application/vnd.oci.image.layer.v1.tar+gzip site\n\
              LAYER text/markdown docs/**/README.md\n",
        ),
    ]);
    let solver = serving(ctx.path());
    let layout = build(&solver, &[], Own::FrontendBin).await.unwrap();
    let summary = support::fsck_layout(&layout).unwrap();
    let layers = summary.manifests[0].manifest["layers"]
        .as_array()
        .unwrap()
        .clone();
    let titles: Vec<&str> = layers
        .iter()
        .map(|l| {
            l["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(titles, ["site", "a/README.md", "b/README.md"]);
    // Same input, same bytes.
    let other = serving(ctx.path());
    let again = build(&other, &[], Own::FrontendBin).await.unwrap();
    assert_eq!(tree(&layout).unwrap(), tree(&again).unwrap());

    let err = gateway_error(&serving(ctx.path())).await;
    assert_says(&err, &["inside the worker"], &[]);
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
}

#[tokio::test]
async fn a_modelfile_model_is_packed_with_its_config_in_the_worker() {
    let ctx = context(&[
        ("config.json", br#"{"torch_dtype":"bfloat16"}"#),
        ("model.safetensors", &[7u8; 4096]),
        ("tokenizer/vocab.txt", b"a\nb\n"),
        (
            "Modelfile",
            b"NAME tiny\nCONFIG config.json\nMODEL model.safetensors\nCODE tokenizer\n",
        ),
    ]);
    let solver = serving(ctx.path());
    let layout = build(&solver, &[("filename", "Modelfile")], Own::FrontendBin)
        .await
        .unwrap();
    let summary = support::fsck_layout(&layout).unwrap();
    let m = &summary.manifests[0].manifest;
    assert_eq!(
        m["artifactType"],
        "application/vnd.cncf.model.manifest.v1+json"
    );
    let config: serde_json::Value = serde_json::from_slice(
        &fs::read(
            layout.join("blobs/sha256").join(
                m["config"]["digest"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("sha256:"),
            ),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(config["descriptor"]["name"], "tiny");
    // Raw layers: a diffId is the layer's own digest.
    let digests: Vec<&serde_json::Value> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["digest"])
        .collect();
    let diff_ids: Vec<&serde_json::Value> = config["modelfs"]["diffIds"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(diff_ids.len(), 3);
    assert_eq!(diff_ids, digests);
    // The small files together, the directory (a tar) on its own.
    assert_eq!(solver.calls().execs, 2);
}

#[tokio::test]
async fn no_cache_makes_the_worker_hash_again() {
    let input = Path::new(VECTOR).join("input");
    for (extra, ignoring) in [(None, 0), (Some(("no-cache", "")), 1)] {
        let solver = Solver::new().local("context", &input);
        let owned = vector_opts("exec");
        let mut opts = borrow(&owned);
        opts.extend(extra);
        build(&solver, &opts, Own::FrontendBin).await.unwrap();
        assert_eq!(solver.calls().execs_ignoring_cache, ignoring);
    }
}

#[tokio::test]
async fn a_daemon_without_exec_mounts_is_served_through_the_gateway() {
    let expected = tree(&Path::new(VECTOR).join("expected")).unwrap();
    let input = Path::new(VECTOR).join("input");
    let gateway_caps = [
        "solve.base",
        "statfile",
        "readfile",
        "readdir",
        "resolveimage",
    ];
    // An LLB cap list without exec: BuildKit would refuse the exec.
    let llb_caps = [
        "source.local",
        "source.local.followpaths",
        "source.local.sessionid",
        "source.local.sharedkeyhint",
        "source.image",
        "file.base",
    ];
    let solver = Solver::new()
        .local("context", &input)
        .with_caps(&gateway_caps, &llb_caps);
    let layout = build(&solver, &borrow(&vector_opts("auto")), Own::FrontendBin)
        .await
        .unwrap();
    assert_eq!(tree(&layout).unwrap(), expected);
    assert_eq!(solver.calls().execs, 0);

    let solver = Solver::new()
        .local("context", &input)
        .with_caps(&gateway_caps, &llb_caps);
    let err = vector_error(&solver, "exec", Own::FrontendBin).await;
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(&err, &["artifact.hash=gateway"], &[]);
}

#[tokio::test]
async fn files_come_from_a_frontend_input_and_from_an_image() {
    // BuildKit's postprocessor passes the build result as input "input".
    let expected = tree(&Path::new(VECTOR).join("expected")).unwrap();
    let input = Path::new(VECTOR).join("input");
    let def = llb::local("result", &Default::default())
        .marshal()
        .into_pb();
    let solver = Solver::new().local("result", &input).input("input", def);
    let layout = build(&solver, &borrow(&vector_opts("exec")), Own::FrontendBin)
        .await
        .unwrap();
    assert_eq!(tree(&layout).unwrap(), expected);

    // `FROM <image>` packages a file of the image, and a missing file
    // names the image it was looked for in.
    let image = context(&[("etc/model.bin", b"weights")]);
    let ctx = context(&[(
        "Artifactfile",
        b"ARTIFACT application/vnd.example.v1\nFROM docker-image://example.com/models/base:1\nLAYER application/octet-stream etc/model.bin\n",
    )]);
    let solver = serving(ctx.path()).image("example.com/models/base:1", image.path());
    let layout = build(&solver, &[], Own::FrontendBin).await.unwrap();
    let summary = support::fsck_layout(&layout).unwrap();
    let layer = &summary.manifests[0].manifest["layers"][0];
    assert_eq!(layer["size"], 7);

    let ctx = context(&[(
        "Artifactfile",
        b"ARTIFACT application/vnd.example.v1\nFROM docker-image://example.com/models/base:1\nLAYER application/octet-stream etc/missing.bin\n",
    )]);
    let solver = serving(ctx.path()).image("example.com/models/base:1", image.path());
    let err = build(&solver, &[], Own::FrontendBin).await.unwrap_err();
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(&err, &["etc/missing.bin"], &[]);
    assert_says(&err, &["example.com/models/base:1"], &[]);
}

/// Checks that `err` says each of `says` and none of `not`.
fn assert_says(err: &ReturnError, says: &[&str], not: &[&str]) {
    for s in says {
        assert!(err.message.contains(s), "no {s:?} in: {}", err.message);
    }
    for s in not {
        assert!(!err.message.contains(s), "{s:?} in: {}", err.message);
    }
}

/// Builds hashing through the gateway, which must fail.
async fn gateway_error(solver: &Solver) -> ReturnError {
    build(solver, &[("artifact.hash", "gateway")], Own::Unknown)
        .await
        .unwrap_err()
}

#[tokio::test]
async fn a_failed_input_is_told_apart_from_a_missing_file() {
    // On a daemon that builds inputs lazily, an image that does not exist
    // fails on the first read: BuildKit's error is shown, not "missing".
    let ctx = context(&[(
        "Artifactfile",
        b"ARTIFACT application/vnd.example.v1\nFROM docker-image://example.com/nope:1\nLAYER text/plain a.txt\n",
    )]);
    let err = gateway_error(&serving(ctx.path()).lazy()).await;
    assert_says(
        &err,
        &["could not be built", "example.com/nope:1: not found"],
        &["does not exist"],
    );

    // A stat the daemon fails for its own reasons is its error, not a
    // missing file, whatever its message says.
    let body: &[u8] = b"ARTIFACT application/vnd.example.v1\nLAYER text/plain a.txt\n";
    let ctx = context(&[("a.txt", b"a"), ("Artifactfile", body)]);
    let err = gateway_error(&serving(ctx.path()).flaky_stat("a.txt")).await;
    assert_ne!(err.code, CODE_INVALID_ARGUMENT, "{}", err.message);
    assert_says(&err, &["snapshot sha256:4f3c"], &["does not exist"]);

    // And a file that is not there is the user's to fix, wherever it is.
    let body: &[u8] = b"ARTIFACT application/vnd.example.v1\nLAYER text/plain sub/dir/b.txt\n";
    let ctx = context(&[("a.txt", b"a"), ("Artifactfile", body)]);
    let err = gateway_error(&serving(ctx.path())).await;
    assert_eq!(err.code, CODE_INVALID_ARGUMENT, "{}", err.message);
    assert_says(&err, &["sub/dir/b.txt\") does not exist"], &[]);
}

#[tokio::test]
async fn a_client_refusing_the_paths_is_named_as_the_cause() {
    // Today's clients refuse a local source of a few hundred paths with
    // HTTP 431, which says nothing of paths: the message says it, names
    // the input and no layer. (Our sources stay far below; here the
    // client takes five, enough for the spec file's source, not for ten
    // named layers.)
    let names: Vec<String> = (1..=10).map(|i| format!("f{i}.txt")).collect();
    let body: String = std::iter::once("ARTIFACT application/vnd.example.v1\n".to_string())
        .chain(names.iter().map(|n| format!("LAYER text/plain {n}\n")))
        .collect();
    let mut files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    files.push(("Artifactfile", body.as_bytes()));
    let ctx = context(&files);
    for solver in [serving(ctx.path()), serving(ctx.path()).lazy()] {
        let solver = solver.client_taking_paths(5);
        let worker = build(&solver, &[], Own::FrontendBin).await.unwrap_err();
        for err in [gateway_error(&solver).await, worker] {
            assert_says(
                &err,
                &[
                    "build context",
                    "could not be built: the client refused the list of paths",
                    "431",
                ],
                &["layer 1", "does not exist"],
            );
        }
    }
}

#[tokio::test]
async fn quoted_glob_characters_name_a_file_on_both_paths() {
    // `w[1].bin` is a glob (matching `w1.bin`); quoted, it is the file.
    let body: &[u8] = b"ARTIFACT application/vnd.example.v1\nLAYER text/plain 'w\\[1\\].bin'\n";
    let ctx = context(&[
        ("w[1].bin", b"one"),
        ("w1.bin", b"other"),
        ("Artifactfile", body),
    ]);
    let mut layouts = Vec::new();
    for (hash, own) in [("gateway", Own::Unknown), ("exec", Own::FrontendBin)] {
        let solver = serving(ctx.path());
        let layout = build(&solver, &[("artifact.hash", hash)], own)
            .await
            .unwrap_or_else(|e| panic!("{hash}: {}", e.message));
        let summary = support::fsck_layout(&layout).unwrap();
        let layer = &summary.manifests[0].manifest["layers"][0];
        assert_eq!(
            layer["annotations"]["org.opencontainers.image.title"],
            "w[1].bin"
        );
        assert_eq!(layer["size"], 3, "{hash}: the quoted name, not the match");
        layouts.push(tree(&layout).unwrap());
    }
    assert_eq!(layouts[0], layouts[1]);
}

/// Names in the tar layer blob `digest` of `layout`.
fn tar_names(layout: &Path, digest: &serde_json::Value) -> Vec<String> {
    let hex = digest.as_str().unwrap().trim_start_matches("sha256:");
    let file = fs::File::open(layout.join("blobs/sha256").join(hex)).unwrap();
    tar::Archive::new(file)
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Writes `body` as the Artifactfile of `dir` and builds it; the solver
/// holds the layout.
async fn with_artifactfile(dir: &Path, body: &[u8]) -> (Solver, Result<PathBuf, ReturnError>) {
    fs::write(dir.join("Artifactfile"), body).unwrap();
    let solver = serving(dir);
    let result = build(&solver, &[], Own::FrontendBin).await;
    (solver, result)
}

/// The tar names of layer 0 and the size of layer 1 of `layout`.
fn site_and_size(layout: &Path) -> (Vec<String>, serde_json::Value) {
    let summary = support::fsck_layout(layout).unwrap();
    let layers = &summary.manifests[0].manifest["layers"];
    (
        tar_names(layout, &layers[0]["digest"]),
        layers[1]["size"].clone(),
    )
}

#[tokio::test]
async fn dockerignore_leaves_files_out_of_the_context() {
    let ctx = context(&[
        ("site/index.html", b"<p>hi</p>"),
        ("site/draft.tmp", b"scratch"),
        ("secrets/key", b"private"),
        ("secrets/public.pem", b"public"),
        (
            ".dockerignore",
            b"# not for the artifact\n**/*.tmp\nsecrets\n!secrets/public.pem\n",
        ),
    ]);
    let dir = ctx.path();
    let (_solver, layout) = with_artifactfile(
        dir,
        b"ARTIFACT application/vnd.example.v1\n\
          LAYER application/vnd.oci.image.layer.v1.tar site\n\
          LAYER application/x-pem-file secrets/public.pem\n",
    )
    .await;
    let (names, size) = site_and_size(&layout.unwrap());
    assert_eq!(names, ["site/", "site/index.html"]);
    assert_eq!(size, 6);

    // A file it ignores is not there, and the message says why it may not be.
    let body = b"ARTIFACT application/vnd.example.v1\nLAYER text/plain secrets/key\n";
    let err = with_artifactfile(dir, body).await.1.unwrap_err();
    let missing = r#"("secrets/key") does not exist in the build context (local "context", less what .dockerignore excludes)"#;
    assert_says(&err, &[missing], &[]);

    // The spec file's own ignore file wins over the context's.
    fs::write(dir.join("Artifactfile.dockerignore"), b"site/index.html\n").unwrap();
    let body = b"ARTIFACT application/vnd.example.v1\nLAYER text/html site/index.html\n";
    let err = with_artifactfile(dir, body).await.1.unwrap_err();
    assert_says(&err, &["less what Artifactfile.dockerignore excludes"], &[]);
    let (_solver, layout) = with_artifactfile(
        dir,
        b"ARTIFACT application/vnd.example.v1\n\
          LAYER application/vnd.oci.image.layer.v1.tar site\n\
          LAYER text/plain secrets/key\n",
    )
    .await;
    let (names, size) = site_and_size(&layout.unwrap());
    assert_eq!(names, ["site/", "site/draft.tmp"]);
    assert_eq!(size, 7);

    // A lone `!` is refused before the context is sent.
    fs::write(dir.join("Artifactfile.dockerignore"), b"a\n!\n").unwrap();
    let err = with_artifactfile(dir, body).await.1.unwrap_err();
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(
        &err,
        &["Artifactfile.dockerignore:2: `!` needs a pattern"],
        &[],
    );
}

#[tokio::test]
async fn dockerignore_narrows_a_zero_config_model() {
    let ctx = context(&[
        ("config.json", b"{}"),
        ("model.safetensors", b"weights"),
        ("old/model.safetensors", b"last week's"),
        (".dockerignore", b"old/\n"),
        ("Modelfile", b"NAME tiny\n"),
    ]);
    let solver = serving(ctx.path());
    let layout = build(&solver, &[("filename", "Modelfile")], Own::FrontendBin)
        .await
        .unwrap();
    let summary = support::fsck_layout(&layout).unwrap();
    let paths: Vec<&str> = summary.manifests[0].manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["annotations"]["org.cncf.model.filepath"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(paths, ["config.json", "model.safetensors"]);
}

#[tokio::test]
async fn a_link_out_of_the_context_is_named_as_such_on_both_paths() {
    let ctx = context(&[("model.bin", b"weights")]);
    std::os::unix::fs::symlink("/etc/passwd", ctx.path().join("pw")).unwrap();
    let layers = r#"[{"path":"pw","mediaType":"text/plain"}]"#;
    for (hash, own) in [("exec", Own::FrontendBin), ("gateway", Own::Unknown)] {
        let pairs = [
            ("containerimage.artifact.config.mediatype", "a/b"),
            ("containerimage.artifact.layers", layers),
            ("artifact.hash", hash),
        ];
        let err = build(&serving(ctx.path()), &pairs, own).await.unwrap_err();
        assert_says(
            &err,
            &[r#"layer 1 ("pw"): pw is a link to /etc/passwd, outside the build context"#],
            &["does not exist"],
        );
    }
}

#[tokio::test]
async fn a_from_input_that_fails_is_located_at_its_from_line() {
    let ctx = context(&[("a.txt", b"a")]);
    let body = b"ARTIFACT application/x.t\nLAYER text/plain a.txt\nFROM dockerfile:Dockerfile.train\nLAYER text/plain b.bin\n";
    let (_, result) = with_artifactfile(ctx.path(), body).await;
    let err = result.unwrap_err();
    assert_says(
        &err,
        &["Artifactfile:3: FROM: the wrapped dockerfile.v0 build failed"],
        &[],
    );
    let source = err
        .details
        .iter()
        .find(|d| d.type_url == "github.com/moby/buildkit/errdefs.Source+json")
        .expect("a source location");
    let json: serde_json::Value = serde_json::from_slice(&source.value).unwrap();
    assert_eq!(json["ranges"][0]["start"]["line"], 3, "{json}");
    assert_eq!(json["info"]["filename"], "Artifactfile");
}
