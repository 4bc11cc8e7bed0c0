//! End-to-end cases of what only a newer client and daemon do: buildx's
//! named contexts, tar output, multi-platform flag and bake, the source
//! rendering of errors, and pulling our image by platform. Each case skips
//! (saying why) on a daemon that cannot do it.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, ensure};
use sha2::Digest as _;

use crate::support::fsck_layout;
use crate::{BUSYBOX, Case, Ctx, IMAGE, PRODUCER, blob, manifest_of, skip, tar_names, tree};

/// The cases of this file, run on every daemon after the others.
pub const CASES: &[(&str, Case)] = &[
    (
        "buildx_named_contexts_feed_from",
        buildx_named_contexts_feed_from,
    ),
    (
        "buildx_tar_output_is_an_oci_archive",
        buildx_tar_output_is_an_oci_archive,
    ),
    (
        "buildx_platforms_through_wrap_mode",
        buildx_platforms_through_wrap_mode,
    ),
    (
        "buildx_bake_contexts_feed_an_artifactfile",
        buildx_bake_contexts_feed_an_artifactfile,
    ),
    (
        "buildx_renders_the_offending_line",
        buildx_renders_the_offending_line,
    ),
    ("image_pulled_by_platform", image_pulled_by_platform),
    (
        "buildx_push_wraps_the_layout_in_an_image",
        buildx_push_wraps_the_layout_in_an_image,
    ),
];

/// Skips the case unless the daemon comes with buildx.
fn needs_buildx(ctx: &Ctx) -> Result<()> {
    if ctx.daemon().buildx.is_none() {
        return skip(format!(
            "needs buildx; {} here has only the classic client (Debian 12 ships no buildx)",
            ctx.daemon().name
        ));
    }
    Ok(())
}

/// Runs a prepared command, failing with its stderr.
fn run_ok(cmd: &mut Command, what: &str) -> Result<String> {
    let o = cmd.output().with_context(|| format!("running {what}"))?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "{what} failed:\n{log}");
    Ok(log)
}

fn sha256_of(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(data)))
}

/// The layer digests of a one-manifest layout, in order.
fn layer_digests(out: &Path) -> Result<Vec<String>> {
    let (m, _) = manifest_of(out)?;
    Ok(m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .map(|l| l["digest"].as_str().unwrap_or_default().to_string())
        .collect())
}

/// `--build-context NAME=<dir>` and `NAME=docker-image://<ref>` feed
/// `FROM NAME` lines of an Artifactfile.
fn buildx_named_contexts_feed_from(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("named");
    let weights = ctx.dir("named-weights");
    std::fs::write(weights.join("model.bin"), "weights from a named context\n")?;
    std::fs::write(
        c.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.named.v1\n\
             FROM weights\nLAYER application/octet-stream model.bin\n\
             FROM tools\nLAYER application/octet-stream bin/busybox\n"
        ),
    )?;
    let out = ctx.dir("named-out");
    run_ok(
        ctx.docker_build()
            .args(["--progress=plain", "-f"])
            .arg(c.join("Artifactfile"))
            .arg("--build-context")
            .arg(format!("weights={}", weights.display()))
            .arg("--build-context")
            .arg(format!("tools=docker-image://{BUSYBOX}"))
            .arg("--output")
            .arg(format!("type=local,dest={}", out.display()))
            .arg(&c),
        "docker buildx build --build-context",
    )?;
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .context("no busybox binary")?;
    let want = vec![
        sha256_of(b"weights from a named context\n"),
        sha256_of(&std::fs::read(busybox)?),
    ];
    ensure!(
        layer_digests(&out)? == want,
        "layers are not the contexts' files"
    );
    Ok(())
}

/// `-o type=tar` gives the layout as an OCI archive that skopeo reads, with
/// the same manifest as `type=local`.
fn buildx_tar_output_is_an_oci_archive(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("tarout");
    std::fs::write(c.join("notes.txt"), "tar export\n")?;
    std::fs::write(
        c.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.tar.v1\n\
             LAYER text/plain notes.txt\nTAG v1\n"
        ),
    )?;
    let tar = ctx.dir("tarout-out").join("layout.tar");
    let local = ctx.dir("tarout-local");
    for output in [
        format!("type=tar,dest={}", tar.display()),
        format!("type=local,dest={}", local.display()),
    ] {
        run_ok(
            ctx.docker_build()
                .args(["--progress=plain", "-f"])
                .arg(c.join("Artifactfile"))
                .args([
                    "--build-arg",
                    "SOURCE_DATE_EPOCH=1700000000",
                    "--output",
                    &output,
                ])
                .arg(&c),
            &format!("docker buildx build -o {output}"),
        )?;
    }
    let archive = Command::new("skopeo")
        .args(["inspect", "--raw"])
        .arg(format!("oci-archive:{}:v1", tar.display()))
        .output()?;
    ensure!(
        archive.status.success(),
        "skopeo inspect oci-archive: {}",
        String::from_utf8_lossy(&archive.stderr)
    );
    let (m, _) = manifest_of(&local)?;
    let want = serde_json::to_vec(&m)?;
    let got: serde_json::Value = serde_json::from_slice(&archive.stdout)?;
    ensure!(
        serde_json::to_vec(&got)? == want,
        "the archive's manifest differs from type=local's"
    );
    Ok(())
}

/// `--platform linux/amd64,linux/arm64` reaches the wrapped producer
/// frontend, and the layout gets one manifest per platform.
fn buildx_platforms_through_wrap_mode(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("bx-multi");
    std::fs::write(
        c.join("Dockerfile"),
        "# wrapped: the producer builds the files\n",
    )?;
    let out = ctx.dir("bx-multi-out");
    let o = ctx
        .docker_build()
        .args(["--progress=plain", "--platform", "linux/amd64,linux/arm64"])
        .args(["--build-arg", &format!("BUILDKIT_SYNTAX={IMAGE}")])
        .args(["--build-arg", "artifact.frontend=gateway.v0"])
        .args([
            "--build-arg",
            &format!("artifact.frontend.source={PRODUCER}"),
        ])
        .arg("--output")
        .arg(format!("type=local,dest={}", out.display()))
        .arg(&c)
        .output()?;
    let log = String::from_utf8_lossy(&o.stderr);
    let refused = "Multi-platform build is not supported for the docker driver";
    if !o.status.success() && !ctx.daemon().containerd_store && log.contains(refused) {
        return skip(format!(
            "buildx refuses it without the containerd image store (\"{refused}\")"
        ));
    }
    ensure!(
        o.status.success(),
        "docker buildx build --platform linux/amd64,linux/arm64:\n{log}"
    );
    let summary = fsck_layout(&out)?;
    let platforms = summary.platforms();
    ensure!(platforms == ["linux/amd64", "linux/arm64"], "{platforms:?}");
    // The producer built each platform's files for that platform.
    let weights = blob(&out, &summary.manifests[1].manifest["layers"][0]["digest"])?;
    ensure!(
        weights == b"trained weights for linux/arm64\n",
        "{:?}",
        String::from_utf8_lossy(&weights)
    );
    Ok(())
}

/// `docker buildx bake` with a target whose `contexts` (a directory, an
/// image) feed the `FROM` lines of an Artifactfile.
fn buildx_bake_contexts_feed_an_artifactfile(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("bake");
    std::fs::create_dir_all(c.join("weights"))?;
    std::fs::write(c.join("weights/model.bin"), "baked weights\n")?;
    std::fs::write(
        c.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.bake.v1\n\
             FROM weights\nLAYER application/octet-stream model.bin\n\
             FROM tools\nLAYER application/octet-stream bin/busybox\n"
        ),
    )?;
    let out = c.join("out");
    std::fs::write(
        c.join("docker-bake.hcl"),
        format!(
            "target \"model\" {{\n  dockerfile = \"Artifactfile\"\n  contexts = {{\n    \
             weights = \"./weights\"\n    tools = \"docker-image://{BUSYBOX}\"\n  }}\n  \
             output = [\"type=local,dest=out\"]\n}}\n"
        ),
    )?;
    run_ok(
        ctx.fx
            .docker()
            .current_dir(&c)
            .args(["buildx", "bake", "--progress=plain", "model"]),
        "docker buildx bake",
    )?;
    let digests = layer_digests(&out)?;
    ensure!(
        digests.first() == Some(&sha256_of(b"baked weights\n")),
        "{digests:?}"
    );
    ensure!(digests.len() == 2, "{digests:?}");
    Ok(())
}

/// A bad line is shown by buildx from the source location we attach:
/// the file name and line, the line itself marked `>>>`.
fn buildx_renders_the_offending_line(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("bx-badline");
    std::fs::write(c.join("a.txt"), "a")?;
    std::fs::write(
        c.join("Artifactfile"),
        format!("# syntax={IMAGE}\nARTIFACT application/x.test\nLAYR text/plain a.txt\n"),
    )?;
    let o = ctx
        .docker_build()
        .args(["--progress=plain", "-f"])
        .arg(c.join("Artifactfile"))
        .arg("--output")
        .arg(format!(
            "type=local,dest={}",
            ctx.tmp.path().join("unused").display()
        ))
        .arg(&c)
        .output()?;
    let err = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "a bad Artifactfile built");
    ensure!(
        err.contains("Artifactfile:3\n--------------------"),
        "{err}"
    );
    ensure!(err.contains("3 | >>> LAYR text/plain a.txt"), "{err}");
    Ok(())
}

/// The daemon pulls our multi-platform image's variant by platform: a
/// Dockerfile `FROM` our image, built for linux/arm64 and linux/amd64,
/// exports that platform's binary (checked by its ELF machine).
fn image_pulled_by_platform(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("byplatform");
    std::fs::write(c.join("Dockerfile"), format!("FROM {IMAGE}\n"))?;
    for (platform, machine) in [("linux/arm64", 183u16), ("linux/amd64", 62)] {
        let out = ctx.dir(&format!("byplatform-{}", platform.replace('/', "-")));
        run_ok(
            ctx.docker_build()
                .args(["--progress=plain", "--platform", platform])
                .arg("--output")
                .arg(format!("type=local,dest={}", out.display()))
                .arg(&c),
            &format!("docker build --platform {platform}"),
        )?;
        let files = tree(&out)?;
        let binary = files
            .get("artifact-frontend")
            .with_context(|| format!("{platform}: no /artifact-frontend in the image"))?;
        ensure!(
            binary.len() > 20 && &binary[..4] == b"\x7fELF",
            "{platform}: not ELF"
        );
        let got = u16::from_le_bytes([binary[18], binary[19]]);
        ensure!(
            got == machine,
            "{platform}: ELF machine {got}, want {machine}"
        );
    }
    Ok(())
}

/// What the README warns about: `--push` (`type=image,push=true`) does
/// not push our manifest but an ordinary image whose one layer holds the
/// layout's files.
fn buildx_push_wraps_the_layout_in_an_image(ctx: &Ctx) -> Result<()> {
    needs_buildx(ctx)?;
    let c = ctx.dir("bx-push");
    std::fs::write(c.join("notes.txt"), "pushed by mistake\n")?;
    std::fs::write(
        c.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.push.v1\nLAYER text/plain notes.txt\n"
        ),
    )?;
    let name = format!("{}/e2e/pushed:{}", ctx.fx.registry, ctx.daemon().name);
    run_ok(
        ctx.docker_build()
            .args(["--progress=plain", "-f"])
            .arg(c.join("Artifactfile"))
            .arg("--output")
            .arg(format!("type=image,name={name},push=true"))
            .arg(&c),
        "docker buildx build --push",
    )?;
    // skopeo picks the image (not an attestation) from an index, if any.
    let copy = ctx.dir("bx-push-copy");
    crate::support::pull_image(&name, &format!("dir:{}", copy.display()))?;
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(copy.join("manifest.json"))?)?;
    ensure!(
        m.get("artifactType").is_none(),
        "an artifact was pushed: {m}"
    );
    ensure!(
        m["config"]["mediaType"].as_str().is_some_and(|t| {
            t == "application/vnd.oci.image.config.v1+json"
                || t == "application/vnd.docker.container.image.v1+json"
        }),
        "not an image config: {m}"
    );
    // Its layers hold the layout's files.
    let mut names = Vec::new();
    for layer in m["layers"].as_array().context("layers")? {
        let hex = layer["digest"].as_str().unwrap_or_default();
        let data = std::fs::read(copy.join(hex.trim_start_matches("sha256:")))?;
        names.extend(tar_names(&data, true)?);
    }
    for want in ["oci-layout", "index.json", "blobs/sha256/"] {
        ensure!(
            names
                .iter()
                .any(|n| n.trim_start_matches("./").starts_with(want)),
            "no {want} in the pushed image: {names:?}"
        );
    }
    Ok(())
}
