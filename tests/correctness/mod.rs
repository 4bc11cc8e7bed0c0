//! End-to-end cases for answers that used to be wrong just beside the
//! paths the other cases walk: globs whose matches share a file name,
//! globs through symlinked directories, and an I/O problem found by the
//! worker (which must be reported, not hidden behind a fallback).

use super::*;

/// `docker [buildx] build -f <dir>/Artifactfile --network=none <dir>`.
fn build_artifactfile(ctx: &Ctx, dir: &Path, body: &str, out: &Path) -> Result<Output> {
    std::fs::write(
        dir.join("Artifactfile"),
        format!("# syntax={IMAGE}\n{body}"),
    )?;
    ctx.build_file_with(dir, "Artifactfile", &[], &["--network=none"], out)
}

fn titles(m: &serde_json::Value) -> Vec<String> {
    m["layers"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|l| {
                    l["annotations"][super::TITLE_KEY]
                        .as_str()
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A glob whose matches share a file name builds, each match titled by
/// its path below the glob's directory, and ORAS writes them as distinct
/// files; a `--title` on such a glob is refused, saying why.
fn glob_matches_with_one_name_get_distinct_titles(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-titles");
    for (p, text) in [
        ("docs/a/README.md", "a\n"),
        ("docs/b/README.md", "b\n"),
        ("docs/c.md", "c\n"),
    ] {
        std::fs::create_dir_all(dir.join(p).parent().context("parent")?)?;
        std::fs::write(dir.join(p), text)?;
    }
    let out = ctx.dir("fix-titles-out");
    let body = "ARTIFACT application/vnd.example.docs.v1\nLAYER text/markdown docs/**/README.md\nLAYER text/markdown docs/c.md\n";
    let o = build_artifactfile(ctx, &dir, body, &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    ensure!(
        titles(&m) == ["a/README.md", "b/README.md", "c.md"],
        "{:?}",
        titles(&m)
    );
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/fix-titles")?;
    let pulled = ctx.dir("fix-titles-oras");
    python(
        "oras_pull.py",
        &[
            &format!("{}/e2e/fix-titles:e2e", ctx.fx.registry),
            pulled.to_str().context("path")?,
        ],
    )?;
    for (p, text) in [
        ("a/README.md", "a\n"),
        ("b/README.md", "b\n"),
        ("c.md", "c\n"),
    ] {
        ensure!(
            std::fs::read_to_string(pulled.join(p))? == text,
            "ORAS wrote {p} wrong"
        );
    }
    let o = build_artifactfile(
        ctx,
        &dir,
        "ARTIFACT application/vnd.example.docs.v1\nLAYER --title=README.md text/markdown docs/**/README.md\n",
        &out,
    )?;
    let err = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "a --title on a many-file glob built");
    ensure!(
        err.contains("Artifactfile:3: layer 1 (\"docs/**/README.md\"): a title names one file, but the glob matched 2 (docs/a/README.md, docs/b/README.md)"),
        "{err}"
    );
    Ok(())
}

/// A glob through a symlinked directory matches what a plain path through
/// it names.
fn globs_follow_symlinked_directories_like_paths(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-links");
    std::fs::create_dir_all(dir.join("real"))?;
    std::fs::write(dir.join("real/x.txt"), "x\n")?;
    std::os::unix::fs::symlink("real", dir.join("link"))?;
    let out = ctx.dir("fix-links-out");
    let body = "ARTIFACT application/vnd.example.t.v1\nLAYER text/plain link/*.txt\nLAYER --title=same.txt text/plain link/x.txt\n";
    let o = build_artifactfile(ctx, &dir, body, &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    let layers = m["layers"].as_array().context("layers")?;
    ensure!(
        layers.len() == 2 && layers[0]["digest"] == layers[1]["digest"],
        "{m}"
    );
    ensure!(blob(&out, &layers[0]["digest"])? == b"x\n", "{m}");
    Ok(())
}

/// The worker finds a pipe in a directory it packs: the user is told
/// which file, instead of being sent down the gateway path with a message
/// that the daemon can't run the worker.
fn worker_io_problems_name_the_file(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-io");
    std::fs::write(
        dir.join("Dockerfile.stage"),
        format!("FROM {BUSYBOX}\nRUN mkdir /d && echo a > /d/a && mkfifo /d/pipe\n"),
    )?;
    let body = "ARTIFACT application/vnd.example.t.v1\nFROM dockerfile:Dockerfile.stage\nLAYER application/vnd.example.dir.v1.tar d\n";
    let o = build_artifactfile(ctx, &dir, body, &ctx.dir("fix-io-out"))?;
    let err = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "a directory holding a pipe was packed");
    ensure!(
        err.contains("Artifactfile:4: layer 1 (\"d\"): can't be packed")
            && err.contains("d/pipe is a device, socket or pipe"),
        "{err}"
    );
    ensure!(!err.contains("can't run"), "{err}");
    Ok(())
}

/// An input that fails to build (an image that does not exist) shows
/// BuildKit's own error, not "does not exist" for the layer: on daemons
/// that solve lazily the failure first surfaces when a file is read.
fn a_failed_input_shows_its_own_error(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-input");
    // On both hashing paths: the worker's exec fails with the input, the
    // gateway's first read does.
    for hash in ["auto", "gateway"] {
        let body = "ARTIFACT application/vnd.example.t.v1\nFROM 127.0.0.1:5000/e2e/no-such-image:1\nLAYER text/plain a.txt\n";
        std::fs::write(
            dir.join("Artifactfile"),
            format!("# syntax={IMAGE}\n{body}"),
        )?;
        let out = ctx.dir(&format!("fix-input-out-{hash}"));
        let args = [("artifact.hash", hash)];
        let o = ctx.build_file_with(&dir, "Artifactfile", &args, &["--network=none"], &out)?;
        let err = String::from_utf8_lossy(&o.stderr);
        ensure!(
            !o.status.success(),
            "{hash}: a layer from a missing image built"
        );
        ensure!(
            err.contains("no-such-image"),
            "{hash}: BuildKit's error names the image:\n{err}"
        );
        ensure!(
            !err.contains("does not exist in the"),
            "{hash}: the layer is blamed for its input's failure:\n{err}"
        );
    }
    Ok(())
}

/// A file whose name has glob characters (`w[1].bin`) is packaged when the
/// Artifactfile quotes them, on both hashing paths: BuildKit treats the
/// paths a local source transfers as patterns, so they go quoted.
fn quoted_glob_characters_name_the_file(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-quoted");
    std::fs::write(dir.join("w[1].bin"), "the file\n")?;
    std::fs::write(dir.join("w1.bin"), "what the glob matches\n")?;
    let body = "ARTIFACT application/vnd.example.t.v1\nLAYER text/plain 'w\\[1\\].bin'\n";
    std::fs::write(
        dir.join("Artifactfile"),
        format!("# syntax={IMAGE}\n{body}"),
    )?;
    for hash in ["auto", "gateway"] {
        let out = ctx.dir(&format!("fix-quoted-out-{hash}"));
        let args = [("artifact.hash", hash)];
        let o = ctx.build_file_with(&dir, "Artifactfile", &args, &["--network=none"], &out)?;
        ensure!(
            o.status.success(),
            "{hash}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (m, _) = manifest_of(&out)?;
        ensure!(titles(&m) == ["w[1].bin"], "{hash}: {:?}", titles(&m));
        ensure!(m["layers"][0]["size"] == 9, "{hash}: {}", m["layers"][0]);
    }
    Ok(())
}

/// `.dockerignore` keeps files out of the context as `docker build` users
/// expect, with fsutil's own rules (`**`, a directory with all it holds,
/// `!` exceptions): out of a directory's tar, and not there when named,
/// which the message then mentions.
fn dockerignore_leaves_files_out(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("fix-ignore");
    for (p, text) in [
        ("site/index.html", "<p>hi</p>"),
        ("site/draft.tmp", "scratch"),
        ("secrets/key", "private"),
        ("secrets/public.pem", "public"),
        (".dockerignore", "**/*.tmp\nsecrets\n!secrets/public.pem\n"),
    ] {
        std::fs::create_dir_all(dir.join(p).parent().context("parent")?)?;
        std::fs::write(dir.join(p), text)?;
    }
    let out = ctx.dir("fix-ignore-out");
    let body = "ARTIFACT application/vnd.example.t.v1\nLAYER application/vnd.oci.image.layer.v1.tar site\nLAYER application/x-pem-file secrets/public.pem\n";
    let o = build_artifactfile(ctx, &dir, body, &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    let hex = m["layers"][0]["digest"]
        .as_str()
        .context("digest")?
        .trim_start_matches("sha256:");
    let file = std::fs::File::open(out.join("blobs/sha256").join(hex))?;
    let names: Vec<String> = tar::Archive::new(file)
        .entries()?
        .map(|e| Ok(e?.path()?.to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    ensure!(names == ["site/", "site/index.html"], "{names:?}");
    ensure!(m["layers"][1]["size"] == 6, "{}", m["layers"][1]);

    let body = "ARTIFACT application/vnd.example.t.v1\nLAYER text/plain secrets/key\n";
    let o = build_artifactfile(ctx, &dir, body, &ctx.dir("fix-ignore-out2"))?;
    let err = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "an ignored file was packaged");
    ensure!(
        err.contains("less what .dockerignore excludes"),
        "the message does not mention .dockerignore:\n{err}"
    );
    Ok(())
}

/// The cases.
pub const CASES: &[(&str, Case)] = &[
    (
        "dockerignore_leaves_files_out",
        dockerignore_leaves_files_out,
    ),
    (
        "quoted_glob_characters_name_the_file",
        quoted_glob_characters_name_the_file,
    ),
    (
        "glob_matches_with_one_name_get_distinct_titles",
        glob_matches_with_one_name_get_distinct_titles,
    ),
    (
        "globs_follow_symlinked_directories_like_paths",
        globs_follow_symlinked_directories_like_paths,
    ),
    (
        "worker_io_problems_name_the_file",
        worker_io_problems_name_the_file,
    ),
    (
        "a_failed_input_shows_its_own_error",
        a_failed_input_shows_its_own_error,
    ),
];
