//! End-to-end pulls (`FROM oci://`): a base model pushed to the fixtures'
//! registry is pulled by digest and extended by an adapter, the fixtures'
//! busybox is pulled by tag and included, and an index bundles the two,
//! over the host's network (the fixtures' dockerds run with
//! `--bridge=none`, so a build step reaches 127.0.0.1 only through
//! `artifact.network=host`). The adapter keeps the base's layers as the
//! registry has them, the included image keeps its digest, and a second
//! build resolves the tag again but fetches nothing: every fetch step is
//! CACHED. A tag the repository lacks fails at its line, listing the tags.

use std::path::Path;

use anyhow::{Context, Result, ensure};
use sha2::{Digest as _, Sha256};

use crate::compose::{base_model, blob_json, checked_entries, index_entries};
use crate::push::{host_network, registry_manifest};
use crate::support::skopeo;
use crate::{BUSYBOX, Case, Ctx, IMAGE, steps_named};

/// The cases of this file.
pub const CASES: &[(&str, Case)] = &[
    (
        "pull_a_base_by_digest_and_an_image_by_tag_into_a_bundle",
        pull_a_base_by_digest_and_an_image_by_tag_into_a_bundle,
    ),
    (
        "a_pull_that_cannot_be_done_says_why_at_its_line",
        a_pull_that_cannot_be_done_says_why_at_its_line,
    ),
];

/// `docker build` of `dir`'s Artifactfile into `out` with host networking;
/// whether it succeeded, and its log.
fn build(ctx: &Ctx, dir: &Path, out: &Path) -> Result<(bool, String)> {
    let mut cmd = ctx.docker_build();
    cmd.args(["--progress=plain", "-f"])
        .arg(dir.join("Artifactfile"))
        .args(["--build-arg", "SOURCE_DATE_EPOCH=1700000000"]);
    host_network(ctx, &mut cmd, true);
    cmd.arg("--output")
        .arg(format!("type=local,dest={}", out.display()))
        .arg(dir);
    let o = cmd.output().context("running docker build")?;
    Ok((
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn pull_a_base_by_digest_and_an_image_by_tag_into_a_bundle(ctx: &Ctx) -> Result<()> {
    let (base, _) = base_model(ctx, "pull-base")?;
    let repo = format!("{}/e2e/pull-base-{}", ctx.fx.registry, ctx.daemon().name);
    skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        "--preserve-digests",
        &format!("oci:{}", base.display()),
        &format!("docker://{repo}:v1"),
    ])?;
    let base_digest = sha256(&registry_manifest(&format!("{repo}:v1"), None)?);
    ensure!(
        index_entries(&base)?[0]["digest"] == base_digest.as_str(),
        "skopeo changed the base's manifest on the way to the registry"
    );
    let busybox_digest = sha256(&registry_manifest(BUSYBOX, None)?);

    let dir = ctx.dir("pull");
    std::fs::write(dir.join("adapter.safetensors"), "lora weights")?;
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\n\
             FROM oci://{repo}@{base_digest} AS base\n\
             FROM oci://{BUSYBOX} AS runtime\n\
             FROM context\n\
             ARTIFACT application/vnd.cncf.model.manifest.v1+json AS adapter\n\
             LAYERS base\n\
             LAYER application/vnd.cncf.model.weight.v1.raw adapter.safetensors\n\
             INCLUDE runtime AS rt\n\
             INDEX application/vnd.example.airgap-bundle.v1 AS bundle\n\
             MANIFEST adapter rt\n\
             TAG v1\n"
        ),
    )?;
    let out = ctx.dir("pull-out");
    let (ok, log) = build(ctx, &dir, &out)?;
    ensure!(ok, "the build with pulls failed:\n{log}");
    let fetches = steps_named(&log, "[artifact] fetch oci://");
    ensure!(
        fetches.len() == 2,
        "not two fetch steps: {fetches:?}\n{log}"
    );
    let resolves = steps_named(&log, "[artifact] resolve oci://");
    ensure!(
        resolves.len() == 1 && resolves[0].0.starts_with(BUSYBOX),
        "the tag was not resolved (and only the tag): {resolves:?}"
    );

    let entries = checked_entries(&out)?;
    ensure!(entries.len() == 3, "adapter, runtime, bundle: {entries:?}");
    ensure!(
        entries[1]["digest"] == busybox_digest.as_str(),
        "the included busybox is not the registry's: {} vs {busybox_digest}",
        entries[1]["digest"]
    );
    let adapter = blob_json(&out, &entries[0]["digest"])?;
    let base_manifest = blob_json(&base, &serde_json::json!(base_digest))?;
    let base_layers = base_manifest["layers"].as_array().context("layers")?;
    let layers = adapter["layers"].as_array().context("layers")?;
    ensure!(
        layers.len() == base_layers.len() + 1 && layers[..base_layers.len()] == base_layers[..],
        "the adapter does not keep the base's layers:\n{}\n{}",
        adapter["layers"],
        base_manifest["layers"]
    );
    let bundle = blob_json(&out, &entries[2]["digest"])?;
    ensure!(
        bundle["manifests"][1]["digest"] == busybox_digest.as_str(),
        "{bundle}"
    );

    // Again, unchanged: the tag is resolved again, nothing is fetched.
    let out2 = ctx.dir("pull-out2");
    let (ok, log) = build(ctx, &dir, &out2)?;
    ensure!(ok, "the second build failed:\n{log}");
    let fetches = steps_named(&log, "[artifact] fetch oci://");
    ensure!(
        !fetches.is_empty() && fetches.iter().all(|(_, cached)| *cached),
        "a fetch ran again with the tag unchanged: {fetches:?}\n{log}"
    );
    let resolves = steps_named(&log, "[artifact] resolve oci://");
    ensure!(
        resolves.len() == 1 && !resolves[0].1,
        "the tag was not resolved again: {resolves:?}\n{log}"
    );
    ensure!(
        std::fs::read(out.join("index.json"))? == std::fs::read(out2.join("index.json"))?,
        "the second build's layout differs"
    );

    // A tag the repository lacks: its line, and the tags there are.
    let bad = ctx.dir("pull-bad");
    let missing = BUSYBOX.replace(":latest", ":no-such-tag");
    std::fs::write(
        bad.join("Artifactfile"),
        format!("# syntax={IMAGE}\nFROM oci://{missing} AS runtime\nINCLUDE runtime\n"),
    )?;
    let (ok, log) = build(ctx, &bad, &ctx.dir("pull-bad-out"))?;
    ensure!(!ok, "a missing tag built:\n{log}");
    ensure!(
        log.contains("no tag no-such-tag in repository e2e/busybox; its tags: latest"),
        "the error does not list the tags:\n{log}"
    );
    ensure!(
        log.contains("Artifactfile:2"),
        "the error has no line:\n{log}"
    );
    Ok(())
}

/// What a user gets wrong naming a registry source, through the daemon:
/// a registry that does not answer, a digest the repository lacks, a
/// reference without a registry. Each fails at its FROM line, saying what
/// is wrong, and the daemon builds the next one.
fn a_pull_that_cannot_be_done_says_why_at_its_line(ctx: &Ctx) -> Result<()> {
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let zeros = format!("sha256:{}", "0".repeat(64));
    let repo = BUSYBOX.rsplit_once(':').context("BUSYBOX has a tag")?.0;
    let cases = [
        (
            "down",
            format!("127.0.0.1:{port}/e2e/x:v1"),
            format!("cannot reach registry 127.0.0.1:{port}"),
        ),
        (
            "no-such-digest",
            format!("{repo}@{zeros}"),
            format!("has no manifest {zeros} in repository e2e/busybox"),
        ),
        (
            "no-registry",
            "busybox:1.36".to_string(),
            "names no registry".to_string(),
        ),
    ];
    for (name, reference, says) in cases {
        let dir = ctx.dir(&format!("pull-wrong-{name}"));
        std::fs::write(
            dir.join("Artifactfile"),
            format!("# syntax={IMAGE}\nFROM oci://{reference} AS base\nINCLUDE base\n"),
        )?;
        let (ok, log) = build(ctx, &dir, &ctx.dir(&format!("pull-wrong-{name}-out")))?;
        ensure!(!ok, "{name}: it built:\n{log}");
        ensure!(
            log.contains(&says) && log.contains("Artifactfile:2"),
            "{name}: the error does not say {says:?} at line 2:\n{log}"
        );
    }
    Ok(())
}
