//! End-to-end: our frontend image run by a real BuildKit (the one built
//! into Debian's dockerd), pulled from a real registry, its output checked
//! by an independent OCI client (skopeo) and an independent layout check.
//!
//! This is a plain `main` (harness = false): for each daemon (Debian 12's
//! Docker 20.10, Debian unstable's Docker 28.5 with buildx 0.29, and the
//! same with the containerd image store) the fixtures are started once,
//! every case runs against them, and they are stopped by PID. A case that
//! cannot apply to a daemon says why and is counted as skipped.
//!
//! `ARTIFACT_E2E=skip` skips everything (a machine without dockerd);
//! `ARTIFACT_E2E_DAEMONS=docker-20.10,docker-28.5` picks daemons (default:
//! all three); a first argument runs only the cases whose names contain it.

// A test harness reports on its stdout (no gRPC wire here), and its cases
// read best as one scenario each, however long.
#![allow(clippy::print_stdout, clippy::too_many_lines)]

mod buildx;
mod compose;
mod correctness;
mod modelpack;
mod newcomer;
mod pull;
mod push;
#[path = "support/readme.rs"]
mod readme;
mod readme_run;
mod rebuild;
#[path = "registry_fixture/mod.rs"]
mod registry_fixture;
mod support;
#[path = "util/mod.rs"]
mod util;

use std::path::{Path, PathBuf};
use std::process::{ExitCode, Output};
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use support::tally::{self, Outcome, Tally};
use support::{Daemon, Fixtures, fsck_layout};
use util::{CONFIG, LAYERS, TYPE, VECTOR, borrow, tree, vector_layers, vector_options};

const IMAGE: &str = "127.0.0.1:5000/artifact-frontend:e2e";
/// The tag the examples' `# syntax=` lines name.
const EXAMPLES_IMAGE: &str = "127.0.0.1:5000/artifact-frontend:dev";
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const TITLE_KEY: &str = "org.opencontainers.image.title";

struct Ctx {
    fx: Fixtures,
    tmp: tempfile::TempDir,
}

/// How the build reaches our frontend.
#[derive(Clone, Copy)]
enum Via {
    /// `# syntax=<image>` on the first line of the spec file.
    SyntaxLine,
    /// `--build-arg BUILDKIT_SYNTAX=<image>`, spec file without a directive.
    BuildArg,
}

impl Ctx {
    /// The daemon this context's cases run on.
    fn daemon(&self) -> &Daemon {
        self.fx.daemon()
    }

    /// `docker buildx build` where the daemon comes with buildx, else
    /// `docker build` (BuildKit through the classic client).
    fn docker_build(&self) -> std::process::Command {
        let mut cmd = self.fx.docker();
        if self.daemon().buildx.is_some() {
            cmd.arg("buildx");
        }
        cmd.arg("build");
        cmd
    }

    fn dir(&self, name: &str) -> PathBuf {
        let d = self.tmp.path().join(name);
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// `docker build` of `context` exporting to `out` as a local directory.
    fn build(&self, context: &Path, via: Via, args: &[(&str, &str)], out: &Path) -> Result<Output> {
        self.build_with(context, via, args, &[], out)
    }

    /// [`Ctx::build`] with more `docker build` flags (`--no-cache`).
    fn build_with(
        &self,
        context: &Path,
        via: Via,
        args: &[(&str, &str)],
        flags: &[&str],
        out: &Path,
    ) -> Result<Output> {
        let spec = match via {
            Via::SyntaxLine => format!("# syntax={IMAGE}\n"),
            Via::BuildArg => "# an artifact spec file\n".to_string(),
        };
        std::fs::write(context.join("Dockerfile"), spec)?;
        let mut cmd = self.docker_build();
        cmd.arg("--progress=plain").args(flags);
        if let Via::BuildArg = via {
            cmd.args(["--build-arg", &format!("BUILDKIT_SYNTAX={IMAGE}")]);
        }
        for (k, v) in args {
            cmd.args(["--build-arg", &format!("{k}={v}")]);
        }
        cmd.arg("--output")
            .arg(format!("type=local,dest={}", out.display()));
        cmd.arg(context);
        let output = cmd.output().context("running docker build")?;
        Ok(output)
    }

    /// `docker build -f <dir>/<file> <dir>` (the file's own `# syntax=`).
    fn build_file(
        &self,
        dir: &Path,
        file: &str,
        args: &[(&str, &str)],
        out: &Path,
    ) -> Result<Output> {
        self.build_file_with(dir, file, args, &[], out)
    }

    /// [`Ctx::build_file`] with more `docker build` flags (`--no-cache`).
    fn build_file_with(
        &self,
        dir: &Path,
        file: &str,
        args: &[(&str, &str)],
        flags: &[&str],
        out: &Path,
    ) -> Result<Output> {
        let mut cmd = self.docker_build();
        cmd.args(["--progress=plain", "-f"])
            .arg(dir.join(file))
            .args(flags);
        for (k, v) in args {
            cmd.args(["--build-arg", &format!("{k}={v}")]);
        }
        cmd.arg("--output")
            .arg(format!("type=local,dest={}", out.display()))
            .arg(dir);
        cmd.output().context("running docker build")
    }

    fn build_ok(&self, context: &Path, via: Via, args: &[(&str, &str)], out: &Path) -> Result<()> {
        let o = self.build(context, via, args, out)?;
        ensure!(
            o.status.success(),
            "docker build failed:\n{}",
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(())
    }

    fn build_err(&self, context: &Path, args: &[(&str, &str)]) -> Result<String> {
        let out = self.tmp.path().join("unused-out");
        let o = self.build(context, Via::SyntaxLine, args, &out)?;
        ensure!(!o.status.success(), "docker build unexpectedly succeeded");
        Ok(String::from_utf8_lossy(&o.stderr).into_owned())
    }
}

/// A build context holding the reference vector's input files.
fn vector_context(ctx: &Ctx, name: &str) -> Result<PathBuf> {
    let d = ctx.dir(name);
    std::fs::create_dir_all(d.join("sub"))?;
    for f in ["model.bin", "sub/cfg.json"] {
        std::fs::copy(format!("{VECTOR}/input/{f}"), d.join(f))?;
    }
    Ok(d)
}

fn vector_args() -> Vec<(&'static str, String)> {
    vector_options(&vector_layers())
}

/// The reference vector through `# syntax=`: byte-identical to what the
/// reference `artifact.v0` wrote, valid per fsck, and skopeo carries it to
/// the registry and back unchanged.
fn reference_vector_via_syntax(ctx: &Ctx) -> Result<()> {
    let c = vector_context(ctx, "vector")?;
    let out = ctx.dir("vector-out");
    ctx.build_ok(&c, Via::SyntaxLine, &borrow(&vector_args()), &out)?;
    let got = tree(&out)?;
    let want = tree(&Path::new(VECTOR).join("expected"))?;
    ensure!(
        got == want,
        "layout differs from the reference vector: {:?}",
        got.keys().collect::<Vec<_>>()
    );
    let summary = fsck_layout(&out)?;
    ensure!(
        summary.manifests.len() == 1 && summary.blob_count == 4,
        "{summary:?}"
    );
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/vector")?;
    Ok(())
}

/// `BUILDKIT_SYNTAX` reaches the same frontend; a second build gives the
/// same bytes.
fn build_arg_syntax_is_reproducible(ctx: &Ctx) -> Result<()> {
    let c = vector_context(ctx, "buildarg")?;
    let a = ctx.dir("buildarg-a");
    let b = ctx.dir("buildarg-b");
    let mut args = vector_args();
    args.push(("SOURCE_DATE_EPOCH", "1700000000".into()));
    ctx.build_ok(&c, Via::BuildArg, &borrow(&args), &a)?;
    // Again without BuildKit's cache, after touching every input file: the
    // hashing step runs again (so the bytes come from the content, not a
    // cache hit) and gives the same layout.
    for f in ["model.bin", "sub/cfg.json"] {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890);
        std::fs::File::options()
            .write(true)
            .open(c.join(f))?
            .set_modified(t)?;
    }
    let o = ctx.build_with(&c, Via::BuildArg, &borrow(&args), &["--no-cache"], &b)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{log}");
    ensure!(
        !hashing_cached(&log)?,
        "--no-cache did not hash again:\n{log}"
    );
    ensure!(tree(&a)? == tree(&b)?, "two builds differ");
    ensure!(
        tree(&a)? == tree(&Path::new(VECTOR).join("expected"))?,
        "differs from vector"
    );
    // SOURCE_DATE_EPOCH pins file times, so a tar export is reproducible too.
    let mtime = std::fs::metadata(a.join("index.json"))?.modified()?;
    let secs = mtime.duration_since(std::time::UNIX_EPOCH)?.as_secs();
    ensure!(secs == 1_700_000_000, "index.json mtime {secs}");
    Ok(())
}

/// A symlink inside the context resolves to its target's bytes; one that
/// points outside the context never reads the host's file.
fn symlinks_stay_inside_the_root(ctx: &Ctx) -> Result<()> {
    let c = vector_context(ctx, "links")?;
    std::os::unix::fs::symlink("model.bin", c.join("link.bin"))?;
    std::os::unix::fs::symlink("/etc/hostname", c.join("escape.bin"))?;
    let out = ctx.dir("links-out");
    let layers = r#"[{"path":"link.bin","mediaType":"application/octet-stream"}]"#;
    ctx.build_ok(
        &c,
        Via::SyntaxLine,
        &[
            (CONFIG, "application/vnd.oci.empty.v1+json"),
            (TYPE, "application/vnd.example+type"),
            (LAYERS, layers),
        ],
        &out,
    )?;
    let summary = fsck_layout(&out)?;
    let layer = &summary.manifests[0].manifest["layers"][0];
    ensure!(
        layer["digest"]
            == "sha256:62e1cb3d236c6ee44130c54bf720f87b2ba1b0d58965634af9a3c3e541a462ef",
        "{layer}"
    );

    // Never the host's file; and the message says why the file the user
    // sees is not there for the build.
    let layers = r#"[{"path":"escape.bin","mediaType":"application/octet-stream"}]"#;
    for mode in ["auto", "gateway"] {
        let err = ctx.build_err(
            &c,
            &[(CONFIG, "a/b"), (LAYERS, layers), ("artifact.hash", mode)],
        )?;
        ensure!(
            err.contains(
                r#"layer 1 ("escape.bin"): escape.bin is a link to /etc/hostname, outside the build context"#
            ),
            "{mode}: {err}"
        );
    }
    Ok(())
}

/// Bad input fails the build with our message, naming the layer and path.
fn bad_input_fails_with_our_message(ctx: &Ctx) -> Result<()> {
    let c = vector_context(ctx, "bad")?;
    let err = ctx.build_err(
        &c,
        &[
            (CONFIG, "a/b"),
            (LAYERS, r#"[{"path":"../../etc/passwd","mediaType":"a/b"}]"#),
        ],
    )?;
    ensure!(
        err.contains(r#"invalid layer 1 path "../../etc/passwd""#),
        "{err}"
    );
    // Missing is told by asking the daemon (is the name in its directory?),
    // on both hashing paths: a missing directory on the way and a link that
    // leads nowhere included (one that leads out of the root is named as
    // such: symlinks_stay_inside_the_root).
    std::os::unix::fs::symlink("gone.bin", c.join("dangling.bin"))?;
    for mode in ["auto", "gateway"] {
        for missing in ["missing.bin", "no/such/dir/missing.bin", "dangling.bin"] {
            let layers = format!(
                r#"[{{"path":"model.bin","mediaType":"a/b"}},{{"path":"{missing}","mediaType":"a/b"}}]"#
            );
            let err = ctx.build_err(
                &c,
                &[(CONFIG, "a/b"), (LAYERS, &layers), ("artifact.hash", mode)],
            )?;
            ensure!(
                err.contains(&format!(
                    r#"layer 2 ("{missing}") does not exist in the build context"#
                )),
                "{mode}: {err}"
            );
        }
    }
    let err = ctx.build_err(&c, &[(LAYERS, "[]")])?;
    ensure!(
        err.contains("containerimage.artifact.config.mediatype is required"),
        "{err}"
    );
    Ok(())
}

/// Hashing in the worker (the default) and through the gateway give the
/// same bytes; and a rebuild with unchanged input reuses the worker's
/// result instead of hashing again.
fn worker_and_gateway_hashing_agree_and_cache(ctx: &Ctx) -> Result<()> {
    let c = vector_context(ctx, "modes")?;
    let want = tree(&Path::new(VECTOR).join("expected"))?;
    for mode in ["exec", "gateway"] {
        let out = ctx.dir(&format!("modes-{mode}"));
        let mut args = vector_args();
        args.push(("artifact.hash", mode.into()));
        let o = ctx.build(&c, Via::SyntaxLine, &borrow(&args), &out)?;
        let log = String::from_utf8_lossy(&o.stderr);
        ensure!(o.status.success(), "{mode}: {log}");
        ensure!(
            tree(&out)? == want,
            "{mode}: differs from the reference vector"
        );
        ensure!(
            log.contains("[artifact] hashing and writing") == (mode == "exec"),
            "{mode}: {log}"
        );
    }
    // Same input again: BuildKit answers the hashing exec from its cache.
    let out = ctx.dir("modes-again");
    let o = ctx.build(&c, Via::SyntaxLine, &borrow(&vector_args()), &out)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{log}");
    ensure!(hashing_cached(&log)?, "the rebuild hashed again:\n{log}");
    ensure!(tree(&out)? == want, "rebuild differs");
    Ok(())
}

/// The hashing step is cached by the files and the paths only: editing an
/// annotation re-runs nothing but the op writing the documents.
fn metadata_edit_does_not_rehash(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("metadata-edit");
    std::fs::write(c.join("weights.bin"), vec![7u8; 1 << 20])?;
    let file = |v: &str| {
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.v1\n\
             LAYER application/octet-stream weights.bin\nANNOTATION org.example.version={v}\n"
        )
    };
    std::fs::write(c.join("Artifactfile"), file("1"))?;
    let first = ctx.dir("metadata-edit-1");
    let o = ctx.build_file(&c, "Artifactfile", &[], &first)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(c.join("Artifactfile"), file("2"))?;
    let second = ctx.dir("metadata-edit-2");
    let o = ctx.build_file(&c, "Artifactfile", &[], &second)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{log}");
    ensure!(
        hashing_cached(&log)?,
        "an annotation edit hashed again:\n{log}"
    );
    let (manifest, _) = manifest_of(&second)?;
    ensure!(
        manifest["annotations"]["org.example.version"] == "2",
        "{manifest}"
    );
    let (before, _) = manifest_of(&first)?;
    ensure!(
        before["layers"] == manifest["layers"],
        "same layer, same descriptor"
    );
    Ok(())
}

/// Whether every hashing step of the worker (one per big file, one for
/// the small files) was answered from BuildKit's cache.
fn hashing_cached(log: &str) -> Result<bool> {
    let steps = hashing_steps(log);
    ensure!(!steps.is_empty(), "no hashing step in the progress output");
    Ok(steps.iter().all(|(_, cached)| *cached))
}

/// The worker's hashing steps in a `--progress=plain` log: what each
/// hashed (its name after "hashing and writing") and whether BuildKit had
/// it cached.
fn hashing_steps(log: &str) -> Vec<(String, bool)> {
    steps_named(log, "[artifact] hashing and writing ")
}

/// The steps of a `--progress=plain` log whose names start with `prefix`:
/// the rest of each name, and whether BuildKit had the step cached.
fn steps_named(log: &str, prefix: &str) -> Vec<(String, bool)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    for l in log.lines() {
        let Some(at) = l.find(prefix) else { continue };
        let id = l.split_whitespace().next().unwrap_or_default().to_string();
        if !steps.iter().any(|(i, _)| *i == id) {
            steps.push((id, l[at + prefix.len()..].to_string()));
        }
    }
    steps
        .into_iter()
        .map(|(id, what)| {
            let cached = log.lines().any(|l| l == format!("{id} CACHED"));
            (what, cached)
        })
        .collect()
}

/// Big and small files, a glob among them, written by the worker: the
/// layout is the same as when everything goes through the gateway.
fn big_and_small_files_through_the_worker(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("bigfiles");
    std::fs::create_dir_all(c.join("weights"))?;
    let big: Vec<u8> = (0..(65u32 << 20)).map(|i| (i % 251) as u8).collect();
    std::fs::write(c.join("weights/a.bin"), &big)?;
    std::fs::write(c.join("weights/b.bin"), &big[..1000])?;
    std::fs::write(c.join("notes.txt"), "small")?;
    let file = format!(
        "# syntax={IMAGE}\nARTIFACT application/vnd.example.big.v1\nLAYER application/octet-stream weights/*.bin\n\
         LAYER text/plain notes.txt\n"
    );
    std::fs::write(c.join("Artifactfile"), file)?;
    let (worker, gateway) = (ctx.dir("bigfiles-worker"), ctx.dir("bigfiles-gateway"));
    let o = ctx.build_file(&c, "Artifactfile", &[], &worker)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{log}");
    ensure!(
        log.contains("weights/a.bin: 65.0 MiB hashed and written"),
        "the worker reports the big file: {log}"
    );
    // Through the gateway a glob can't be expanded: name the files.
    let file = format!(
        "# syntax={IMAGE}\nARTIFACT application/vnd.example.big.v1\nLAYER --title=a.bin application/octet-stream weights/a.bin\n\
         LAYER --title=b.bin application/octet-stream weights/b.bin\nLAYER text/plain notes.txt\n"
    );
    std::fs::write(c.join("Artifactfile"), file)?;
    let o = ctx.build_file(
        &c,
        "Artifactfile",
        &[("artifact.hash", "gateway")],
        &gateway,
    )?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fsck_layout(&worker)?;
    ensure!(
        tree(&worker)? == tree(&gateway)?,
        "worker and gateway layouts differ"
    );
    Ok(())
}

/// Writes `n` one-line text files at `path(i)` under `dir` and lists them,
/// in order, in `dir/layers.json` (for `containerimage.artifact.layers=@`).
fn listed_files(dir: &Path, n: usize, path: impl Fn(usize) -> String) -> Result<()> {
    let mut layers = Vec::new();
    for i in 0..n {
        let name = path(i);
        let file = dir.join(&name);
        std::fs::create_dir_all(file.parent().context("a file has a parent")?)?;
        std::fs::write(file, format!("file {i}\n"))?;
        layers.push(serde_json::json!({"path": name, "mediaType": "text/plain"}));
    }
    std::fs::write(dir.join("layers.json"), serde_json::to_vec(&layers)?)?;
    Ok(())
}

/// More layers than one FileOp takes, through the gateway (parts chained
/// op on op) and through the worker: the same layout.
fn many_layers_through_the_gateway(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("gwmany");
    listed_files(&c, 150, |i| format!("f/{i:03}.txt"))?;
    let args = [
        (CONFIG, "application/vnd.oci.empty.v1+json"),
        (TYPE, "application/vnd.example.many"),
        (LAYERS, "@layers.json"),
    ];
    let (worker, gateway) = (ctx.dir("gwmany-worker"), ctx.dir("gwmany-gateway"));
    ctx.build_ok(&c, Via::SyntaxLine, &args, &worker)?;
    let mut gw_args = args.to_vec();
    gw_args.push(("artifact.hash", "gateway"));
    let o = ctx.build(&c, Via::SyntaxLine, &gw_args, &gateway)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "{log}");
    ensure!(
        log.contains("copying layer blobs, part 3"),
        "copied in parts: {log}"
    );
    ensure!(
        fsck_layout(&gateway)?.blob_count == 152,
        "150 layers, config, manifest"
    );
    ensure!(
        tree(&worker)? == tree(&gateway)?,
        "worker and gateway layouts differ"
    );
    Ok(())
}

/// 10,000 layers in one artifact (the reference breaks near 400), listed
/// in a file because one option can't hold that many.
fn ten_thousand_layers(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("many");
    listed_files(&c, 10_000, |i| format!("files/f{i:05}.txt"))?;
    let out = ctx.dir("many-out");
    let start = Instant::now();
    ctx.build_ok(
        &c,
        Via::SyntaxLine,
        &[
            (CONFIG, "application/vnd.oci.empty.v1+json"),
            (TYPE, "application/vnd.example.many"),
            (LAYERS, "@layers.json"),
        ],
        &out,
    )?;
    eprintln!(
        "    10,000 layers built in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    let summary = fsck_layout(&out)?;
    let n = summary.manifests[0].manifest["layers"]
        .as_array()
        .map(Vec::len);
    ensure!(n == Some(10_000), "{n:?} layers");
    ensure!(summary.blob_count == 10_002, "{} blobs", summary.blob_count);
    Ok(())
}

/// The manifest of a one-manifest layout, and its tag.
fn manifest_of(out: &Path) -> Result<(serde_json::Value, Option<String>)> {
    let summary = fsck_layout(out)?;
    ensure!(
        summary.manifests.len() == 1,
        "{} manifests",
        summary.manifests.len()
    );
    let m = &summary.manifests[0];
    let tag = m.descriptor["annotations"]["org.opencontainers.image.ref.name"]
        .as_str()
        .map(String::from);
    Ok((m.manifest.clone(), tag))
}

fn python(script: &str, args: &[&str]) -> Result<String> {
    let o = std::process::Command::new("python3")
        .arg(Path::new(ROOT).join("tests/tools").join(script))
        .args(args)
        .output()
        .context("running python3")?;
    ensure!(
        o.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Every example builds through `# syntax=`, twice to the same bytes,
/// passes fsck, travels to the registry and back with skopeo, and an
/// independent ORAS client pulls its files back under their titles.
fn examples_build_reproducibly_and_pull_with_oras(ctx: &Ctx) -> Result<()> {
    for (name, spec, title_count) in [
        ("files", "Artifactfile", 2),
        ("docs-tar", "Artifactfile", 3),
        ("modelpack", "Modelfile", 3),
        ("helm-chart", "Artifactfile", 1),
        ("wasm", "Artifactfile", 1),
    ] {
        let dir = Path::new(ROOT).join("examples").join(name);
        let (a, b) = (
            ctx.dir(&format!("ex-{name}-a")),
            ctx.dir(&format!("ex-{name}-b")),
        );
        for out in [&a, &b] {
            let o = ctx.build_file(&dir, spec, &[], out)?;
            ensure!(
                o.status.success(),
                "{name}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        ensure!(tree(&a)? == tree(&b)?, "{name}: two builds differ");
        let (manifest, tag) = manifest_of(&a)?;
        // A Modelfile has no TAG; an Artifactfile example has one.
        ensure!(
            tag.is_some() == (spec == "Artifactfile"),
            "{name}: tag {tag:?}"
        );
        let repo = format!("e2e/{name}");
        ctx.fx.skopeo_roundtrip(&a, tag.as_deref(), &repo)?;
        let pulled = ctx.dir(&format!("ex-{name}-oras"));
        let got: serde_json::Value = serde_json::from_str(&python(
            "oras_pull.py",
            &[
                &format!("{}/{repo}:e2e", ctx.fx.registry),
                pulled.to_str().unwrap(),
            ],
        )?)?;
        let layers = manifest["layers"].as_array().context("layers")?;
        ensure!(
            layers.len() == title_count,
            "{name}: {} layers",
            layers.len()
        );
        for l in layers {
            let title = l["annotations"]["org.opencontainers.image.title"]
                .as_str()
                .context("untitled layer")?;
            // ORAS unpacks a tar it recognizes as a directory it pushed.
            let unpacked = got[title]["dir"].is_array();
            ensure!(
                unpacked || got[title] == l["digest"],
                "{name}: ORAS pulled {got} but layer {title} is {}",
                l["digest"]
            );
        }
        example_specifics(name, &a, &manifest, &got, &pulled)?;
    }
    Ok(())
}

fn blob(out: &Path, digest: &serde_json::Value) -> Result<Vec<u8>> {
    let hex = digest
        .as_str()
        .context("digest")?
        .trim_start_matches("sha256:");
    Ok(std::fs::read(out.join("blobs/sha256").join(hex))?)
}

fn tar_names(data: &[u8], gzip: bool) -> Result<Vec<String>> {
    let reader: Box<dyn std::io::Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(data))
    } else {
        Box::new(data)
    };
    let mut a = tar::Archive::new(reader);
    let mut names = Vec::new();
    for e in a.entries()? {
        names.push(e?.path()?.to_string_lossy().into_owned());
    }
    Ok(names)
}

/// What each example promises beyond the common checks.
fn example_specifics(
    name: &str,
    out: &Path,
    m: &serde_json::Value,
    got: &serde_json::Value,
    pulled: &Path,
) -> Result<()> {
    let layers = &m["layers"];
    match name {
        "files" => {
            ensure!(
                m["annotations"]["org.opencontainers.image.version"] == "1.2.0",
                "{m}"
            );
            ensure!(
                layers[0]["annotations"]["org.opencontainers.image.description"] == "Release notes",
                "{m}"
            );
            let notes = std::fs::read(Path::new(ROOT).join("examples/files/NOTES.md"))?;
            ensure!(
                std::fs::read(pulled.join("NOTES.md"))? == notes,
                "NOTES.md bytes differ"
            );
        }
        "docs-tar" => {
            ensure!(
                layers[0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip",
                "{m}"
            );
            let names = tar_names(&blob(out, &layers[0]["digest"])?, true)?;
            ensure!(
                names
                    == [
                        "site/",
                        "site/guide.md",
                        "site/img/",
                        "site/img/logo.gif",
                        "site/index.md"
                    ],
                "{names:?}"
            );
            // ORAS's directory convention: pulled back as the directory.
            let dir = serde_json::json!({"dir": ["guide.md", "img/logo.gif", "index.md"]});
            ensure!(got["site"] == dir, "ORAS gave site as {}", got["site"]);
            let a = &layers[0]["annotations"];
            ensure!(a["io.deis.oras.content.unpack"] == "true", "{a}");
            let mut tar = Vec::new();
            std::io::Read::read_to_end(
                &mut flate2::read::GzDecoder::new(blob(out, &layers[0]["digest"])?.as_slice()),
                &mut tar,
            )?;
            let diff_id = format!(
                "sha256:{}",
                hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&tar))
            );
            ensure!(a["io.deis.oras.content.digest"] == diff_id.as_str(), "{a}");
            let titles: Vec<&str> = (1..3)
                .filter_map(|i| layers[i]["annotations"]["org.opencontainers.image.title"].as_str())
                .collect();
            ensure!(
                titles == ["guide.md", "index.md"],
                "glob matches in sorted order: {titles:?}"
            );
        }
        "modelpack" => {
            // Schema-valid, diffIds of the layers, every file restored.
            let dir = Path::new(ROOT).join("examples/modelpack");
            let files = ["config.json", "model.safetensors", "README.md"]
                .into_iter()
                .map(|f| Ok((f.to_string(), std::fs::read(dir.join(f))?)))
                .collect::<Result<std::collections::BTreeMap<_, _>>>()?;
            let (_, config) = modelpack::check_model(out, &files, None)?;
            ensure!(
                config["descriptor"]["name"] == "tiny-model"
                    && config["config"]["precision"] == "float32",
                "{config}"
            );
        }
        "helm-chart" => {
            ensure!(
                m.get("artifactType").is_none(),
                "Helm sets no artifactType: {m}"
            );
            let names = tar_names(&blob(out, &layers[0]["digest"])?, true)?;
            ensure!(
                names.contains(&"mychart/Chart.yaml".to_string()),
                "{names:?}"
            );
        }
        "wasm" => {
            ensure!(layers[0]["mediaType"] == "application/wasm", "{m}");
            ensure!(
                m["annotations"]["org.opencontainers.image.description"]
                    == "An empty wasip1 module",
                "{m}"
            );
        }
        _ => {}
    }
    Ok(())
}

/// A bad Artifactfile fails with the offending line shown, a suggestion
/// for a misspelled directive, and missing files named with their source.
fn artifactfile_errors_point_at_the_line(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("badfile");
    std::fs::write(c.join("a.txt"), "a")?;
    let run = |body: &str| -> Result<String> {
        std::fs::write(c.join("Artifactfile"), format!("# syntax={IMAGE}\n{body}"))?;
        let o = ctx.build_file(&c, "Artifactfile", &[], &ctx.tmp.path().join("unused"))?;
        ensure!(!o.status.success(), "build of a bad file succeeded");
        Ok(String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let err = run("ARTIFACT application/x.test\nLAYR text/plain a.txt\n")?;
    ensure!(
        err.contains("Artifactfile:3: unknown instruction \"LAYR\" (did you mean \"LAYER\"?)"),
        "{err}"
    );
    ensure!(
        err.contains("3 | LAYR text/plain a.txt"),
        "the offending line is shown: {err}"
    );
    let err = run("ARTIFACT application/x.test\nLAYER --titel=x text/plain a.txt\n")?;
    ensure!(err.contains("did you mean \"--title\""), "{err}");
    let err =
        run("ARTIFACT application/x.test\nLAYER text/plain a.txt\nLAYER text/plain nope.txt\n")?;
    ensure!(
        err.contains("Artifactfile:4: layer 2 (\"nope.txt\") does not exist in the build context (local \"context\")"),
        "{err}"
    );
    let err = run("LAYER text/plain a.txt\n")?;
    ensure!(
        err.contains("ARTIFACT is required when there is no CONFIG"),
        "{err}"
    );
    Ok(())
}

/// SOURCE_DATE_EPOCH sets `created`; no layers gives the OCI 1.1 empty layer.
fn created_from_epoch_and_empty_layer(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("empty");
    std::fs::write(
        c.join("Artifactfile"),
        format!("# syntax={IMAGE}\nARTIFACT application/vnd.example.marker.v1\n"),
    )?;
    let out = ctx.dir("empty-out");
    let o = ctx.build_file(
        &c,
        "Artifactfile",
        &[("SOURCE_DATE_EPOCH", "1700000000")],
        &out,
    )?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    ensure!(
        m["annotations"]["org.opencontainers.image.created"] == "2023-11-14T22:13:20Z",
        "{m}"
    );
    ensure!(
        m["layers"][0]["mediaType"] == "application/vnd.oci.empty.v1+json",
        "{m}"
    );
    ensure!(m["layers"][0]["size"] == 2, "{m}");
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/empty")?;
    Ok(())
}

/// `FROM <image>`: layers come from an image's filesystem (here our own
/// image, whose one file is the frontend binary).
fn layers_from_an_image(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("fromimage");
    std::fs::write(
        c.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.binary.v1\nFROM {IMAGE}\nLAYER application/octet-stream artifact-frontend\n"
        ),
    )?;
    let out = ctx.dir("fromimage-out");
    let o = ctx.build_file(&c, "Artifactfile", &[], &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    let layer = &m["layers"][0];
    ensure!(
        layer["annotations"]["org.opencontainers.image.title"] == "artifact-frontend",
        "{m}"
    );
    // The image holds one binary per platform; the daemon runs ours.
    let binary = Path::new(ROOT)
        .join("target")
        .join(support::images::host_triple()?)
        .join("release/artifact-frontend");
    use sha2::Digest as _;
    let want = format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(std::fs::read(binary)?))
    );
    ensure!(
        layer["digest"] == want.as_str(),
        "layer {} is not the image's binary {want}",
        layer["digest"]
    );
    Ok(())
}

const BUSYBOX: &str = "127.0.0.1:5000/e2e/busybox:latest";
const PRODUCER: &str = "127.0.0.1:5000/e2e/producer-frontend:latest";

/// `docker build` of `context` with our image as BUILDKIT_SYNTAX.
/// `RUN` gets no network: the test daemon has no bridge.
fn wrapped(ctx: &Ctx, context: &Path, args: &[(&str, &str)], out: &Path) -> Result<Output> {
    let mut cmd = ctx.docker_build();
    cmd.args([
        "--progress=plain",
        "--network=none",
        "--build-arg",
        &format!("BUILDKIT_SYNTAX={IMAGE}"),
    ]);
    for (k, v) in args {
        cmd.args(["--build-arg", &format!("{k}={v}")]);
    }
    cmd.arg("--output")
        .arg(format!("type=local,dest={}", out.display()))
        .arg(context);
    cmd.output().context("running docker build")
}

/// Wrap mode over a Dockerfile: a stage that produces a file with `RUN`,
/// packaged with the layers given as options.
fn wrap_dockerfile_stage_with_run(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("wrap-df");
    std::fs::write(
        c.join("Dockerfile"),
        format!(
            "FROM {BUSYBOX} AS train\nRUN mkdir /out && echo \"trained weights\" > /out/model.bin\n\
             FROM scratch\nCOPY --from=train /out/ /\n"
        ),
    )?;
    let out = ctx.dir("wrap-df-out");
    let o = wrapped(
        ctx,
        &c,
        &[
            ("artifact.frontend", "dockerfile.v0"),
            (TYPE, "application/vnd.example.model.v1"),
            (CONFIG, "application/vnd.oci.empty.v1+json"),
            (
                LAYERS,
                r#"[{"path":"model.bin","mediaType":"application/octet-stream"}]"#,
            ),
        ],
        &out,
    )?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    ensure!(
        blob(&out, &m["layers"][0]["digest"])? == b"trained weights\n",
        "{m}"
    );
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/wrap-dockerfile")?;
    Ok(())
}

/// A frontend that sets the `containerimage.artifact*` keys on its
/// result, wrapped by options, gives byte for byte the layout the contract
/// gives for the same files and keys; two platforms give two manifests.
fn wrap_frontend_matches_contract(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("wrap-fe");
    std::fs::write(
        c.join("Dockerfile"),
        "# wrapped: the producer frontend builds the files\n",
    )?;
    let out = ctx.dir("wrap-fe-out");
    let args = [
        ("artifact.frontend", "gateway.v0"),
        ("artifact.frontend.source", PRODUCER),
    ];
    let o = wrapped(ctx, &c, &args, &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // The same files and keys through the contract.
    let files = ctx.dir("wrap-fe-files");
    std::fs::create_dir_all(files.join("model"))?;
    std::fs::write(files.join("model/weights.bin"), "trained weights\n")?;
    std::fs::write(files.join("model/config.json"), r#"{"hidden_size":2}"#)?;
    let layers = r#"[{"path":"model/weights.bin","mediaType":"application/vnd.cncf.model.weight.v1.raw","annotations":{"org.opencontainers.image.title":"weights.bin"}},{"path":"model/config.json","mediaType":"application/vnd.cncf.model.weight.config.v1.raw","annotations":{"org.opencontainers.image.title":"config.json"}}]"#;
    let direct = ctx.dir("wrap-fe-direct");
    ctx.build_ok(
        &files,
        Via::SyntaxLine,
        &[
            (TYPE, "application/vnd.cncf.model.manifest.v1+json"),
            (CONFIG, "application/vnd.oci.empty.v1+json"),
            (LAYERS, layers),
        ],
        &direct,
    )?;
    ensure!(
        tree(&out)? == tree(&direct)?,
        "wrapped and direct layouts differ"
    );

    let multi = ctx.dir("wrap-fe-multi");
    let mut args = args.to_vec();
    args.push(("platforms", "linux/amd64,linux/arm64"));
    let o = wrapped(ctx, &c, &args, &multi)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = fsck_layout(&multi)?;
    let platforms = summary.platforms();
    ensure!(platforms == ["linux/amd64", "linux/arm64"], "{platforms:?}");
    let weights: Vec<Vec<u8>> = summary
        .manifests
        .iter()
        .map(|m| blob(&multi, &m.manifest["layers"][0]["digest"]))
        .collect::<Result<_>>()?;
    ensure!(
        weights[1] == b"trained weights for linux/arm64\n",
        "{:?}",
        String::from_utf8_lossy(&weights[1])
    );
    Ok(())
}

/// An inner build that fails shows its own error, through ours.
fn wrap_inner_failure_shows_its_error(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("wrap-fail");
    std::fs::write(
        c.join("Dockerfile"),
        format!("FROM {BUSYBOX}\nRUN echo training; exit 3\n"),
    )?;
    let o = wrapped(
        ctx,
        &c,
        &[
            ("artifact.frontend", "dockerfile.v0"),
            (CONFIG, "a/b"),
            (LAYERS, "[]"),
        ],
        &ctx.tmp.path().join("unused"),
    )?;
    let err = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "a failing inner build succeeded");
    ensure!(
        err.contains("the wrapped dockerfile.v0 build failed"),
        "{err}"
    );
    ensure!(
        err.contains("exit code: 3"),
        "the inner error is shown: {err}"
    );
    Ok(())
}

/// One end-to-end case.
type Case = fn(&Ctx) -> Result<()>;

/// Why a case does not apply to a daemon: a case returns this (through
/// [`skip`]) instead of passing or failing, and the reason is printed.
#[derive(Debug)]
struct Skip(String);

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Skip {}

/// Ends a case as skipped, with the reason.
fn skip(reason: impl Into<String>) -> Result<()> {
    Err(Skip(reason.into()).into())
}

/// Runs the cases the filter picks on `ctx`'s daemon, checking after each
/// that its dockerd still runs (see [`tally`]).
fn run_all(ctx: &mut Ctx) -> Tally {
    let cases: &[(&str, Case)] = &[
        ("reference_vector_via_syntax", reference_vector_via_syntax),
        (
            "build_arg_syntax_is_reproducible",
            build_arg_syntax_is_reproducible,
        ),
        (
            "symlinks_stay_inside_the_root",
            symlinks_stay_inside_the_root,
        ),
        (
            "bad_input_fails_with_our_message",
            bad_input_fails_with_our_message,
        ),
        (
            "worker_and_gateway_hashing_agree_and_cache",
            worker_and_gateway_hashing_agree_and_cache,
        ),
        (
            "metadata_edit_does_not_rehash",
            metadata_edit_does_not_rehash,
        ),
        (
            "big_and_small_files_through_the_worker",
            big_and_small_files_through_the_worker,
        ),
        (
            "many_layers_through_the_gateway",
            many_layers_through_the_gateway,
        ),
        ("ten_thousand_layers", ten_thousand_layers),
        (
            "examples_build_reproducibly_and_pull_with_oras",
            examples_build_reproducibly_and_pull_with_oras,
        ),
        (
            "artifactfile_errors_point_at_the_line",
            artifactfile_errors_point_at_the_line,
        ),
        (
            "created_from_epoch_and_empty_layer",
            created_from_epoch_and_empty_layer,
        ),
        ("layers_from_an_image", layers_from_an_image),
        (
            "wrap_dockerfile_stage_with_run",
            wrap_dockerfile_stage_with_run,
        ),
        (
            "wrap_frontend_matches_contract",
            wrap_frontend_matches_contract,
        ),
        (
            "wrap_inner_failure_shows_its_error",
            wrap_inner_failure_shows_its_error,
        ),
    ];
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let cases: Vec<(&str, Case)> = cases
        .iter()
        .chain(modelpack::CASES)
        .chain(correctness::CASES)
        .chain(buildx::CASES)
        .chain(compose::CASES)
        .chain(push::CASES)
        .chain(pull::CASES)
        .chain(rebuild::CASES)
        .chain(newcomer::CASES)
        .chain(readme_run::CASES)
        .filter(|(name, _)| filter.as_deref().is_none_or(|f| name.contains(f)))
        .copied()
        .collect();
    let names: Vec<&str> = cases.iter().map(|(name, _)| *name).collect();
    let daemon = ctx.daemon().name;
    tally::run_cases(daemon, &names, &mut Cases { ctx, cases }, &mut |line| {
        eprintln!("{line}");
    })
}

/// The cases of one daemon, run by [`tally::run_cases`].
struct Cases<'a> {
    ctx: &'a mut Ctx,
    cases: Vec<(&'static str, Case)>,
}

impl tally::Runner for Cases<'_> {
    fn run(&mut self, name: &str) -> Outcome {
        let Some((_, case)) = self.cases.iter().find(|(n, _)| *n == name) else {
            return Outcome::Failed(format!("no case {name}"));
        };
        let start = Instant::now();
        match case(self.ctx) {
            Ok(()) => Outcome::Passed(start.elapsed()),
            Err(e) if e.downcast_ref::<Skip>().is_some() => Outcome::Skipped(e.to_string()),
            Err(e) => Outcome::Failed(format!("{e:#}")),
        }
    }

    /// Asks the fixtures by dockerd's PID; a dead daemon's log is kept
    /// under `target/e2e-logs/`, since dropping the fixtures deletes it.
    fn death(&mut self, during: &str) -> Option<tally::Death> {
        let logs = Path::new(ROOT).join("target/e2e-logs");
        self.ctx.fx.dockerd_death(&logs, during)
    }
}

/// The daemons to run on: `ARTIFACT_E2E_DAEMONS` (comma-separated names),
/// else all three.
fn daemons(root: &Path) -> Result<Vec<Daemon>> {
    let all = ["docker-20.10", "docker-28.5", "docker-28.5-containerd"];
    let wanted = std::env::var("ARTIFACT_E2E_DAEMONS").unwrap_or_else(|_| all.join(","));
    wanted
        .split(',')
        .filter(|n| !n.is_empty())
        .map(|name| match name {
            "docker-20.10" => Daemon::docker20(),
            "docker-28.5" => Daemon::docker28(root, false),
            "docker-28.5-containerd" => Daemon::docker28(root, true),
            other => {
                anyhow::bail!("ARTIFACT_E2E_DAEMONS: unknown daemon {other:?} (known: {all:?})")
            }
        })
        .collect()
}

/// Starts `daemon` (reusing the registry when one answers) and pushes the
/// images the cases use.
fn start(daemon: Daemon, root: &Path, images: &Path) -> Result<Ctx> {
    let fx = Fixtures::start_daemon(daemon)?;
    let frontend = root.join("target/frontend-image");
    fx.push_image(&frontend, "dev", IMAGE)?;
    fx.push_image(&frontend, "dev", EXAMPLES_IMAGE)?;
    fx.push_image(&images.join("busybox-image"), "latest", BUSYBOX)?;
    fx.push_image(&root.join("target/producer-image"), "dev", PRODUCER)?;
    // ARTIFACT_E2E_KEEP=1 leaves every case's inputs and outputs behind (to
    // compare the layouts two builds of the frontend write).
    let tmp = tempfile::Builder::new()
        .prefix("afx-e2e.")
        .disable_cleanup(std::env::var_os("ARTIFACT_E2E_KEEP").is_some())
        .tempdir()?;
    if std::env::var_os("ARTIFACT_E2E_KEEP").is_some() {
        eprintln!("[{}] keeping {}", fx.daemon().name, tmp.path().display());
    }
    Ok(Ctx { fx, tmp })
}

/// Why the suite can't run on this machine, unless told it must
/// (`ARTIFACT_E2E=require`, as `scripts/test` and CI say): a plain
/// `cargo test` without root or Docker runs the hermetic tests and says
/// the end-to-end suite was skipped.
fn cannot_run_here() -> Option<String> {
    match std::env::var("ARTIFACT_E2E").as_deref() {
        Ok("skip") => return Some("ARTIFACT_E2E=skip".into()),
        Ok("require") => return None,
        _ => {}
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("it starts private dockerds, which needs root".into());
    }
    let dockerd = ["/usr/sbin/dockerd", "/usr/bin/dockerd"];
    if !dockerd.iter().any(|p| Path::new(p).is_file()) {
        return Some("dockerd is not installed (Debian's docker.io)".into());
    }
    None
}

fn main() -> ExitCode {
    if let Some(why) = cannot_run_here() {
        println!(
            "e2e: the end-to-end suite was skipped: {why}. Run it with scripts/test as root \
             (it installs Docker, a registry, skopeo and ORAS), or set ARTIFACT_E2E=require."
        );
        return ExitCode::SUCCESS;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let images = match tempfile::Builder::new().prefix("afx-img.").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("e2e setup failed: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let setup = || -> Result<Vec<Daemon>> {
        let daemons = daemons(root)?;
        support::build_frontend_image(root)?;
        support::images::busybox(images.path())?;
        support::images::producer_frontend(root)?;
        Ok(daemons)
    };
    let daemons = match setup() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("e2e setup failed: {e:#}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    // The first context that started the registry keeps it (and its daemon)
    // until the end; the others stop their daemon when their cases are done.
    let mut keeper: Option<Ctx> = None;
    let (mut passed, mut failed, mut skipped, mut not_run) = (0, 0, 0, 0);
    let mut summary = Vec::new();
    for daemon in daemons {
        let name = daemon.name;
        let started = Instant::now();
        let mut ctx = match start(daemon, root, images.path()) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("[{name}] e2e setup failed: {e:#}");
                failed += 1;
                summary.push(format!("{name}: setup failed"));
                continue;
            }
        };
        // A daemon that died is reported by run_all; the next one still
        // runs.
        let t = run_all(&mut ctx);
        passed += t.passed;
        failed += t.failed;
        skipped += t.skipped;
        not_run += t.not_run.len();
        summary.push(format!(
            "{name}: {} in {:.0}s",
            t.summary(),
            started.elapsed().as_secs_f64()
        ));
        if keeper.is_none() && ctx.fx.registry_pid().is_some() {
            keeper = Some(ctx);
        }
    }
    drop(keeper);
    if passed + failed + skipped + not_run == 0 {
        eprintln!("e2e: no case matches the filter");
        failed = 1;
    }
    for line in &summary {
        println!("e2e: {line}");
    }
    // scripts/test reads the first three counts of this line.
    if not_run == 0 {
        println!("e2e: {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!(
            "e2e: {passed} passed, {failed} failed, {skipped} skipped, {not_run} not run on a dead daemon"
        );
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
