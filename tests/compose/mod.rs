//! End-to-end composition on real BuildKit: a layout as a build input (the
//! result of a `FROM dockerfile:` build everywhere, a `--build-context`
//! directory and a bake `target:` where buildx is), an adapter over a base
//! model that stays a schema-valid ModelPack model, and a bundle of
//! included artifacts, referrers and an index that skopeo carries to the
//! registry and back unchanged, reproducible without the cache.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::modelpack::{check_model, check_model_annotated};
use crate::push::registry_manifest;
use crate::support::{copy_dir, fsck_layout, pull_image, skopeo};
use crate::{BUSYBOX, Case, Ctx, IMAGE, ROOT, python, skip, tree};

/// The cases of this file.
pub const CASES: &[(&str, Case)] = &[
    (
        "compose_an_adapter_over_a_base_model",
        compose_an_adapter_over_a_base_model,
    ),
    (
        "compose_a_bundle_from_a_named_context",
        compose_a_bundle_from_a_named_context,
    ),
    (
        "compose_examples_adapter_and_bundle",
        compose_examples_adapter_and_bundle,
    ),
    (
        "compose_bad_layouts_are_named_at_their_line",
        compose_bad_layouts_are_named_at_their_line,
    ),
    (
        "compose_includes_keep_every_digest_and_tag",
        compose_includes_keep_every_digest_and_tag,
    ),
    (
        "compose_bake_target_context_includes_the_other_target",
        compose_bake_target_context_includes_the_other_target,
    ),
    (
        "compose_includes_manifests_near_a_registrys_limit",
        compose_includes_manifests_near_a_registrys_limit,
    ),
];

/// The time every model here is stamped with (as `modelpack::check_model`
/// expects it).
const EPOCH: &str = "1700000000";

fn files(list: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    list.iter()
        .map(|(p, d)| (p.to_string(), d.as_bytes().to_vec()))
        .collect()
}

fn write(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    for (p, d) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        std::fs::write(path, d)?;
    }
    Ok(())
}

/// Builds `spec` of `dir` into `out`; fails with the build's log.
fn build_ok(ctx: &Ctx, dir: &Path, spec: &str, flags: &[&str], out: &Path) -> Result<String> {
    build_args_ok(ctx, dir, spec, &[], flags, out)
}

/// [`build_ok`] with build args besides SOURCE_DATE_EPOCH.
fn build_args_ok(
    ctx: &Ctx,
    dir: &Path,
    spec: &str,
    args: &[(&str, &str)],
    flags: &[&str],
    out: &Path,
) -> Result<String> {
    let mut all = vec![("SOURCE_DATE_EPOCH", EPOCH)];
    all.extend_from_slice(args);
    let o = ctx.build_file_with(dir, spec, &all, flags, out)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "docker build of {spec} failed:\n{log}");
    Ok(log)
}

pub fn index_entries(layout: &Path) -> Result<Vec<Value>> {
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json"))?)?;
    Ok(index["manifests"].as_array().context("manifests")?.clone())
}

/// The `index.json` entries of `layout`, once it passes fsck and holds no
/// blob nothing names.
pub fn checked_entries(layout: &Path) -> Result<Vec<Value>> {
    let summary = fsck_layout(layout)?;
    ensure!(
        summary.blob_count == summary.referenced_blob_count,
        "{}: blobs nothing names",
        layout.display()
    );
    index_entries(layout)
}

fn blob_bytes(layout: &Path, digest: &Value) -> Result<Vec<u8>> {
    let hex = digest
        .as_str()
        .and_then(|d| d.strip_prefix("sha256:"))
        .context("digest")?;
    Ok(std::fs::read(layout.join("blobs/sha256").join(hex))?)
}

pub fn blob_json(layout: &Path, digest: &Value) -> Result<Value> {
    Ok(serde_json::from_slice(&blob_bytes(layout, digest)?)?)
}

/// A base model built from a Modelfile, in `<name>-out`.
pub fn base_model(ctx: &Ctx, name: &str) -> Result<(PathBuf, BTreeMap<String, Vec<u8>>)> {
    base_model_packed(ctx, name, "raw")
}

/// [`base_model`] with its files packed as `packing` says
/// (`artifact.modelpack.layers`).
fn base_model_packed(
    ctx: &Ctx,
    name: &str,
    packing: &str,
) -> Result<(PathBuf, BTreeMap<String, Vec<u8>>)> {
    let dir = ctx.dir(name);
    let base = files(&[
        ("config.json", "{\"architectures\":[\"TinyForCausalLM\"]}"),
        ("model.safetensors", "base weights"),
        ("README.md", "# tiny\n"),
    ]);
    write(&dir, &base)?;
    std::fs::write(
        dir.join("Modelfile"),
        format!(
            "# syntax={IMAGE}\nNAME tiny\nCONFIG config.json\nMODEL model.safetensors\nDOC README.md\n"
        ),
    )?;
    let out = ctx.dir(&format!("{name}-out"));
    let packing = [("artifact.modelpack.layers", packing)];
    build_args_ok(ctx, &dir, "Modelfile", &packing, &[], &out)?;
    Ok((out, base))
}

/// An adapter over a base model read from a layout (here the result of a
/// Dockerfile build copying it, which every daemon runs): the base's
/// layers keep their descriptors, the config is the base's with every
/// DiffID, the model is schema-valid and every file comes back. The base's
/// layers are `tar+gzip`, so a DiffID taken for a digest (or the other way
/// round) shows: each DiffID is checked against the unpacked content.
fn compose_an_adapter_over_a_base_model(ctx: &Ctx) -> Result<()> {
    let (base, mut all) = base_model_packed(ctx, "cmp-base", "tar+gzip")?;
    let dir = ctx.dir("cmp-adapter");
    copy_dir(&base, &dir.join("base"))?;
    std::fs::write(dir.join("adapter.safetensors"), "lora weights")?;
    std::fs::write(dir.join("Dockerfile.base"), "FROM scratch\nCOPY base/ /\n")?;
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nFROM dockerfile:Dockerfile.base AS base\nFROM context\n\
             ARTIFACT application/vnd.cncf.model.manifest.v1+json\n\
             LAYERS base\n\
             LAYER application/vnd.cncf.model.weight.v1.raw adapter.safetensors\n"
        ),
    )?;
    let out = ctx.dir("cmp-adapter-out");
    build_ok(ctx, &dir, "Artifactfile", &[], &out)?;
    all.insert("adapter.safetensors".into(), b"lora weights".to_vec());
    let created = serde_json::json!({"org.opencontainers.image.created": "2023-11-14T22:13:20Z"});
    let (m, config) = check_model_annotated(&out, &all, Some(EPOCH), Some(&created))?;
    let base_summary = fsck_layout(&base)?;
    let base_m = &base_summary.manifests[0].manifest;
    let n = base_m["layers"].as_array().context("layers")?.len();
    let layers = m["layers"].as_array().context("layers")?;
    ensure!(
        layers[..n] == base_m["layers"].as_array().context("layers")?[..],
        "the base's layers changed:\n{}\n{}",
        m["layers"],
        base_m["layers"]
    );
    let base_config = blob_json(&base, &base_m["config"]["digest"])?;
    ensure!(
        config["config"] == base_config["config"] && config["descriptor"]["name"] == "tiny",
        "{config}"
    );
    let base_ids = base_config["modelfs"]["diffIds"]
        .as_array()
        .context("diffIds")?;
    ensure!(
        config["modelfs"]["diffIds"].as_array().context("diffIds")?[..n] == base_ids[..],
        "the base's DiffIDs changed: {config}"
    );
    ensure!(
        layers[..n]
            .iter()
            .zip(base_ids)
            .all(|(l, id)| l["digest"] != *id),
        "the base's layers are not compressed: a DiffID swapped for a digest would not show"
    );
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/compose-adapter")?;
    Ok(())
}

/// `--build-context base=<layout>` feeds INCLUDE; a signature refers to the
/// included model by id; an index bundles the model and a card. The layout
/// lists all of it in file order, skopeo pushes the tagged index with every
/// member and brings it back unchanged, and a rebuild without the cache
/// after touching every file gives the same bytes.
fn compose_a_bundle_from_a_named_context(ctx: &Ctx) -> Result<()> {
    if ctx.daemon().buildx.is_none() {
        return skip("--build-context needs buildx (Debian 12's Docker has none)");
    }
    let (base, _) = base_model(ctx, "cmp-named-base")?;
    let dir = ctx.dir("cmp-named");
    write(
        &dir,
        &files(&[("card.md", "# card\n"), ("model.sig", "signed")]),
    )?;
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nINCLUDE base AS model\n\
             ARTIFACT application/vnd.example.signature.v1 AS sig\nSUBJECT model\n\
             LAYER application/vnd.example.signature model.sig\n\
             ARTIFACT application/vnd.example.card.v1 AS card\nSUBJECT model\n\
             LAYER text/markdown card.md\n\
             INDEX application/vnd.example.bundle.v1 AS bundle\nMANIFEST model card\nTAG v1\n"
        ),
    )?;
    let named = format!("base={}", base.display());
    let out = ctx.dir("cmp-named-out");
    build_ok(
        ctx,
        &dir,
        "Artifactfile",
        &["--build-context", &named],
        &out,
    )?;
    let listed = checked_entries(&out)?;
    let base_entry = &index_entries(&base)?[0];
    ensure!(listed.len() == 4, "{listed:?}");
    ensure!(
        listed[0]["digest"] == base_entry["digest"],
        "INCLUDE changed the model"
    );
    for referrer in &listed[1..3] {
        let m = blob_json(&out, &referrer["digest"])?;
        ensure!(m["subject"]["digest"] == base_entry["digest"], "{m}");
    }
    let index = blob_json(&out, &listed[3]["digest"])?;
    ensure!(
        index["artifactType"] == "application/vnd.example.bundle.v1",
        "{index}"
    );
    let members: Vec<&Value> = index["manifests"]
        .as_array()
        .context("manifests")?
        .iter()
        .map(|m| &m["digest"])
        .collect();
    ensure!(
        members == [&listed[0]["digest"], &listed[2]["digest"]],
        "{index}"
    );
    // Pushed with its members and referrers; skopeo reads the index back
    // unchanged. (skopeo 1.9 cannot push it: it rewrites an index that
    // carries artifactType.)
    let repo = format!("{}/e2e/compose-bundle", ctx.fx.registry);
    let out_dir = out.to_str().context("path")?;
    let pushed = python("push_layout.py", &[out_dir, "v1", &repo])?;
    ensure!(pushed.trim() == listed[3]["digest"], "{pushed}");
    let remote = format!("docker://{repo}:v1");
    let raw = skopeo(&["inspect", "--raw", "--tls-verify=false", &remote])?;
    ensure!(
        raw.stdout == blob_bytes(&out, &listed[3]["digest"])?,
        "the registry's index differs from the layout's"
    );

    // The same bytes again, from nothing cached and every file touched.
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890);
    for f in ["card.md", "model.sig", "Artifactfile"] {
        std::fs::File::options()
            .append(true)
            .open(dir.join(f))?
            .set_modified(t)?;
    }
    let again = ctx.dir("cmp-named-again");
    build_ok(
        ctx,
        &dir,
        "Artifactfile",
        &["--no-cache", "--build-context", &named],
        &again,
    )?;
    ensure!(
        std::fs::read(out.join("index.json"))? == std::fs::read(again.join("index.json"))?,
        "a rebuild without the cache wrote another index.json"
    );
    Ok(())
}

/// A layout as users get them from skopeo and from us: an image (busybox,
/// copied by skopeo), an artifact we built, and a plain image index over
/// both, each tagged; it reaches the file as a `FROM dockerfile:` result,
/// so every daemon runs this.
fn library_layout(ctx: &Ctx, dir: &Path) -> Result<PathBuf> {
    let lib = dir.join("lib");
    pull_image(BUSYBOX, &format!("oci:{}:busybox", lib.display()))?;
    let card_dir = ctx.dir("cmp-lib-card");
    write(&card_dir, &files(&[("card.md", "# card\n")]))?;
    std::fs::write(
        card_dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.card.v1\n\
             LAYER text/markdown card.md\n"
        ),
    )?;
    let card_out = ctx.dir("cmp-lib-card-out");
    build_ok(ctx, &card_dir, "Artifactfile", &[], &card_out)?;
    copy_dir(&card_out.join("blobs"), &lib.join("blobs"))?;

    let mut busybox = index_entries(&lib)?[0].clone();
    let mut card = index_entries(&card_out)?[0].clone();
    card["annotations"] = json!({"org.opencontainers.image.ref.name": "card"});
    // The index's members carry no tag, busybox's its platform, and none
    // an artifactType: skopeo 1.9 drops that field from an index it
    // copies, which changes the digest it was told to keep.
    let member = |entry: &Value| -> Result<Value> {
        let mut m = entry.clone();
        let fields = m.as_object_mut().context("descriptor")?;
        fields.remove("annotations");
        fields.remove("artifactType");
        Ok(m)
    };
    let mut image = member(&busybox)?;
    image["platform"] = json!({"architecture": "amd64", "os": "linux"});
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [image, member(&card)?],
    }))?;
    let hex = hex::encode(Sha256::digest(&index));
    std::fs::write(lib.join("blobs/sha256").join(&hex), &index)?;
    busybox["annotations"] = json!({"org.opencontainers.image.ref.name": "busybox"});
    let all = json!({
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": format!("sha256:{hex}"),
        "size": index.len(),
        "annotations": {"org.opencontainers.image.ref.name": "all"},
    });
    std::fs::write(
        lib.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [busybox, card, all]}))?,
    )?;
    fsck_layout(&lib)?;
    std::fs::write(dir.join("Dockerfile.lib"), "FROM scratch\nCOPY lib/ /\n")?;
    Ok(lib)
}

/// The blob files of a layout, by name.
fn blob_names(layout: &Path) -> Result<Vec<String>> {
    let mut names = std::fs::read_dir(layout.join("blobs/sha256"))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

/// INCLUDE of a whole layout gives its `index.json` entries back as they
/// were (digests, sizes, tags) with exactly its blobs, and skopeo copies
/// the included image index with both members to the registry and back,
/// digests preserved; INCLUDE of one tag brings that index with its
/// children and can be the subject of a new artifact.
fn compose_includes_keep_every_digest_and_tag(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("cmp-lib");
    let lib = library_layout(ctx, &dir)?;
    std::fs::write(dir.join("note.txt"), "reviewed")?;
    let spec = |body: &str| {
        std::fs::write(
            dir.join("Artifactfile"),
            format!(
                "# syntax={IMAGE}\nFROM dockerfile:Dockerfile.lib AS lib\nFROM context\n{body}"
            ),
        )
    };

    spec("INCLUDE lib\n")?;
    let whole = ctx.dir("cmp-lib-whole");
    build_ok(ctx, &dir, "Artifactfile", &[], &whole)?;
    ensure!(
        checked_entries(&whole)? == index_entries(&lib)?,
        "the whole layout's entries changed"
    );
    ensure!(
        blob_names(&whole)? == blob_names(&lib)?,
        "other blobs than the input's"
    );
    ctx.fx
        .skopeo_roundtrip(&whole, Some("all"), "e2e/compose-include")?;

    spec(
        "INCLUDE lib:all AS all\n\
         ARTIFACT application/vnd.example.review.v1 AS review\nSUBJECT all\n\
         LAYER text/plain note.txt\n",
    )?;
    let tagged = ctx.dir("cmp-lib-tagged");
    build_ok(ctx, &dir, "Artifactfile", &[], &tagged)?;
    let listed = checked_entries(&tagged)?;
    let all = &index_entries(&lib)?[2];
    ensure!(listed.len() == 2 && listed[0] == *all, "{listed:?}");
    let summary = fsck_layout(&tagged)?;
    ensure!(
        summary.manifests.len() == 4,
        "the index, its two members and the review: {}",
        summary.manifests.len()
    );
    let review = blob_json(&tagged, &listed[1]["digest"])?;
    ensure!(
        review["subject"]["digest"] == all["digest"]
            && review["subject"]["mediaType"] == "application/vnd.oci.image.index.v1+json",
        "{review}"
    );
    Ok(())
}

/// bake: one target builds a model, another includes it through a
/// `target:` context, and both land in one layout.
fn compose_bake_target_context_includes_the_other_target(ctx: &Ctx) -> Result<()> {
    if ctx.daemon().buildx.is_none() {
        return skip("bake needs buildx (Debian 12's Docker has none)");
    }
    let dir = ctx.dir("cmp-bake");
    write(
        &dir,
        &files(&[
            ("model.safetensors", "baked weights"),
            ("card.md", "# card\n"),
        ]),
    )?;
    std::fs::write(
        dir.join("Modelfile"),
        format!("# syntax={IMAGE}\nNAME baked\nMODEL model.safetensors\n"),
    )?;
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nINCLUDE model AS model\n\
             ARTIFACT application/vnd.example.card.v1 AS card\nSUBJECT model\n\
             LAYER text/markdown card.md\n"
        ),
    )?;
    std::fs::write(
        dir.join("docker-bake.hcl"),
        "target \"model\" {\n  dockerfile = \"Modelfile\"\n  output = [\"type=local,dest=model-out\"]\n}\n\
         target \"bundle\" {\n  dockerfile = \"Artifactfile\"\n  contexts = {\n    model = \"target:model\"\n  }\n  \
         output = [\"type=local,dest=out\"]\n}\n",
    )?;
    let o = ctx
        .fx
        .docker()
        .current_dir(&dir)
        .args(["buildx", "bake", "--progress=plain", "model", "bundle"])
        .output()?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(o.status.success(), "docker buildx bake failed:\n{log}");
    fsck_layout(&dir.join("out"))?;
    let model = index_entries(&dir.join("model-out"))?;
    let listed = index_entries(&dir.join("out"))?;
    ensure!(listed.len() == 2, "{listed:?}");
    ensure!(
        listed[0]["digest"] == model[0]["digest"],
        "{listed:?} {model:?}"
    );
    let card = blob_json(&dir.join("out"), &listed[1]["digest"])?;
    ensure!(card["subject"]["digest"] == model[0]["digest"], "{card}");
    Ok(())
}

/// `examples/adapter` and `examples/bundle`, built as their READMEs say
/// from the model `examples/modelpack` builds (and, for the bundle, a
/// runtime image copied into a layout by skopeo): the adapter is a valid
/// ModelPack model over the example's files; the bundle lists the model
/// and the runtime unchanged, the card and the SBOM as the model's
/// referrers, and the release index over the model and the runtime, which
/// the registry takes with all it reaches.
fn compose_examples_adapter_and_bundle(ctx: &Ctx) -> Result<()> {
    if ctx.daemon().buildx.is_none() {
        return skip("the examples' --build-context needs buildx (Debian 12's Docker has none)");
    }
    let ex = ctx.dir("cmp-examples");
    for name in ["modelpack", "adapter", "bundle"] {
        copy_dir(&Path::new(ROOT).join("examples").join(name), &ex.join(name))?;
    }
    // Builds example `dir` with named contexts `named` (`NAME=<dir>`) and
    // `flags`.
    let built = |dir: &str, named: &[String], flags: &[&str]| -> Result<PathBuf> {
        let d = ex.join(dir);
        let spec = if dir == "modelpack" {
            "Modelfile"
        } else {
            "Artifactfile"
        };
        let mut flags: Vec<&str> = flags.to_vec();
        flags.extend(named.iter().flat_map(|n| ["--build-context", n.as_str()]));
        let o = ctx.build_file_with(&d, spec, &[], &flags, &d.join("out"))?;
        ensure!(
            o.status.success(),
            "{dir}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(d.join("out"))
    };
    let model = built("modelpack", &[], &[])?;
    let model_entry = index_entries(&model)?[0].clone();

    let adapter = built("adapter", &[format!("base={}", model.display())], &[])?;
    let mut files: BTreeMap<String, Vec<u8>> = tree(&ex.join("modelpack"))?
        .into_iter()
        .filter(|(p, _)| ["config.json", "model.safetensors", "README.md"].contains(&p.as_str()))
        .collect();
    files.insert(
        "adapter.safetensors".into(),
        std::fs::read(ex.join("adapter/adapter.safetensors"))?,
    );
    check_model(&adapter, &files, None)?;

    // The runtime pulled by the build (FROM oci://), the release pushed
    // by it (artifact.push), from the fixtures' registry on the loopback.
    let runtime_digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(registry_manifest(BUSYBOX, None)?))
    );
    let repo = format!("{}/e2e/compose-release", ctx.fx.registry);
    let (runtime, push) = (
        format!("RUNTIME={BUSYBOX}"),
        format!("artifact.push={repo}"),
    );
    let out = built(
        "bundle",
        &[format!("model={}", model.display())],
        &[
            "--build-arg",
            &runtime,
            "--build-arg",
            &push,
            "--build-arg",
            "artifact.network=host",
            "--allow",
            "network.host",
        ],
    )?;
    let listed = checked_entries(&out)?;
    let types: Vec<&str> = listed
        .iter()
        .map(|e| e["artifactType"].as_str().unwrap_or("-"))
        .collect();
    ensure!(
        types
            == [
                "application/vnd.cncf.model.manifest.v1+json",
                "-",
                "application/vnd.example.model-card.v1",
                "application/spdx+json",
                "application/vnd.example.model-bundle.v1"
            ],
        "{listed:?}"
    );
    ensure!(
        listed[0]["digest"] == model_entry["digest"],
        "the model changed"
    );
    ensure!(
        listed[1]["digest"] == runtime_digest.as_str(),
        "the runtime is not the registry's: {}",
        listed[1]
    );
    ensure!(
        listed[1]["annotations"]["org.opencontainers.image.ref.name"] == "latest",
        "the runtime's tag: {}",
        listed[1]
    );
    for referrer in &listed[2..4] {
        let m = blob_json(&out, &referrer["digest"])?;
        ensure!(m["subject"]["digest"] == model_entry["digest"], "{m}");
    }
    let pushed = registry_manifest(&format!("{repo}:release"), None)?;
    let pushed = format!("sha256:{}", hex::encode(Sha256::digest(&pushed)));
    ensure!(
        pushed == listed[4]["digest"],
        "the registry's release is {pushed}, the layout's {}",
        listed[4]
    );
    Ok(())
}

/// What a user gets wrong about a layout input, on every daemon (the
/// layout reaching the file as a `FROM dockerfile:` result): a directory
/// that is no layout, a tag the layout does not have, a blob whose bytes
/// are not its digest's. Each fails at its line, saying what to do.
fn compose_bad_layouts_are_named_at_their_line(ctx: &Ctx) -> Result<()> {
    let (base, _) = base_model(ctx, "cmp-bad-base")?;
    let dir = ctx.dir("cmp-bad");
    copy_dir(&base, &dir.join("layout"))?;
    std::fs::write(dir.join("notes.txt"), "not a layout")?;
    std::fs::write(
        dir.join("Dockerfile.layout"),
        "FROM scratch\nCOPY layout/ /\n",
    )?;
    std::fs::write(
        dir.join("Dockerfile.plain"),
        "FROM scratch\nCOPY notes.txt /\n",
    )?;
    let fails = |body: &str, says: &[&str]| -> Result<()> {
        std::fs::write(
            dir.join("Artifactfile"),
            format!("# syntax={IMAGE}\n{body}"),
        )?;
        let out = ctx.dir("cmp-bad-out");
        let o = ctx.build_file_with(&dir, "Artifactfile", &[], &[], &out)?;
        let log = String::from_utf8_lossy(&o.stderr);
        ensure!(!o.status.success(), "{body}: built");
        for s in says {
            ensure!(log.contains(s), "{body}: no {s:?} in:\n{log}");
        }
        Ok(())
    };
    fails(
        "FROM dockerfile:Dockerfile.plain AS notes\nFROM context\nINCLUDE notes\n",
        &["Artifactfile:4", "oci-layout"],
    )?;
    fails(
        "FROM dockerfile:Dockerfile.layout AS base\nFROM context\nINCLUDE base:v9\n",
        &["Artifactfile:4", "no tag \"v9\""],
    )?;
    // One byte of the model's weights changed, its size kept.
    let m = fsck_layout(&base)?.manifests[0].manifest.clone();
    let weights = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .find(|l| l["annotations"]["org.cncf.model.filepath"] == "model.safetensors")
        .context("the weights layer")?["digest"]
        .as_str()
        .context("digest")?
        .to_string();
    let path = dir
        .join("layout/blobs/sha256")
        .join(weights.trim_start_matches("sha256:"));
    let mut data = std::fs::read(&path)?;
    data[0] ^= 1;
    std::fs::write(&path, data)?;
    fails(
        "FROM dockerfile:Dockerfile.layout AS base\nFROM context\nARTIFACT application/vnd.example.x.v1\nLAYERS base\n",
        &["Artifactfile:5", &weights, "does not match its descriptor"],
    )?;
    Ok(())
}

/// The bytes of each manifest of [`big_manifests`]: under the 4 MiB a
/// registry takes for one manifest, and five of them over the 16 MiB
/// BuildKit takes in one gRPC message.
const BIG_MANIFEST: usize = (39 << 20) / 10;

/// A layout in `dir` of `n` manifests of about [`BIG_MANIFEST`] bytes,
/// tagged `m1`, `m2`...: each names its own one-byte layer some 37,000
/// times (a manifest may name a blob more than once), so the documents are
/// big and the blobs tiny.
fn big_manifests(dir: &Path, n: usize) -> Result<()> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let put = |data: &[u8]| -> Result<String> {
        let hex = hex::encode(Sha256::digest(data));
        std::fs::write(blobs.join(&hex), data)?;
        Ok(format!("sha256:{hex}"))
    };
    let config = put(b"{}")?;
    let mut entries = Vec::new();
    for i in 1..=n {
        let layer = put(&[b'0' + u8::try_from(i)?])?;
        let descriptor =
            format!(r#"{{"mediaType":"application/octet-stream","digest":"{layer}","size":1}}"#);
        let head = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.example.big.v1","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{config}","size":2}},"layers":["#
        );
        let count = (BIG_MANIFEST - head.len() - 2) / (descriptor.len() + 1);
        let mut manifest = head;
        manifest.push_str(&vec![descriptor.as_str(); count].join(","));
        manifest.push_str("]}");
        let digest = put(manifest.as_bytes())?;
        entries.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": manifest.len(),
            "annotations": {"org.opencontainers.image.ref.name": format!("m{i}")},
            "artifactType": "application/vnd.example.big.v1",
        }));
    }
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": entries}))?,
    )?;
    Ok(())
}

/// INCLUDE of a layout holding five manifests of 3.9 MiB (each under a
/// registry's 4 MiB limit, 19.5 MiB together) gives them back byte for
/// byte: they are copied from the input, never carried in the request
/// that assembles the layout (which BuildKit takes up to 16 MiB, and which
/// failed with "h2 protocol error" when it carried them). Every daemon
/// runs it (the layout reaches the file as a `FROM dockerfile:` result).
fn compose_includes_manifests_near_a_registrys_limit(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("cmp-big");
    let big = dir.join("big");
    big_manifests(&big, 5)?;
    let input = fsck_layout(&big)?;
    ensure!(
        input.manifests.iter().all(|m| m.descriptor["size"]
            .as_u64()
            .is_some_and(|s| s > 4_000_000 && s < 4 << 20)),
        "the input's manifests are not near 4 MiB"
    );
    std::fs::write(dir.join("Dockerfile.big"), "FROM scratch\nCOPY big/ /\n")?;
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nFROM dockerfile:Dockerfile.big AS big\nFROM context\nINCLUDE big\n"
        ),
    )?;
    let out = ctx.dir("cmp-big-out");
    build_ok(ctx, &dir, "Artifactfile", &[], &out)?;
    ensure!(
        checked_entries(&out)? == index_entries(&big)?,
        "the entries changed"
    );
    ensure!(
        blob_names(&out)? == blob_names(&big)?,
        "other blobs than the input's"
    );
    for m in &input.manifests {
        ensure!(
            blob_bytes(&out, &m.descriptor["digest"])?
                == blob_bytes(&big, &m.descriptor["digest"])?,
            "manifest {} changed",
            m.digest
        );
    }
    Ok(())
}
