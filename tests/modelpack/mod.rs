//! End-to-end cases for Modelfiles: CNCF ModelPack models built by the
//! real daemon from modctl's format, judged by independent means: the
//! official config schema (python-jsonschema, Draft 2020-12, formats
//! asserted), an unpacker written here from the spec's rules (a raw layer
//! is the file at its `filepath`; a tar layer is extracted) that must give
//! back every original file byte for byte, skopeo and ORAS.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;

use sha2::{Digest as _, Sha256};

use super::*;

const EPOCH: &str = "1700000000";
const EPOCH_RFC3339: &str = "2023-11-14T22:13:20Z";

/// The official ModelPack config schema, beside the repository as the
/// project's shared reference material.
pub fn schema() -> Result<PathBuf> {
    let p = Path::new(ROOT).join("../shared/reference/modelpack-schema/config-schema.json");
    ensure!(
        p.is_file(),
        "the ModelPack config schema is missing at {}: the schema check can't be skipped",
        p.display()
    );
    Ok(p)
}

/// A small hub-style model: relative path → bytes.
fn model_files() -> BTreeMap<String, Vec<u8>> {
    let shard = |seed: u8| -> Vec<u8> {
        (0..(1 << 20) + 123)
            .map(|i: u32| (i.wrapping_mul(31) as u8) ^ seed)
            .collect()
    };
    let mut f = BTreeMap::new();
    let mut put = |p: &str, d: Vec<u8>| {
        f.insert(p.to_string(), d);
    };
    put(
        "config.json",
        br#"{"model_type":"qwen3","torch_dtype":"bfloat16","transformers_version":"4.51.0"}"#
            .to_vec(),
    );
    put("tokenizer.json", br#"{"version":"1.0"}"#.to_vec());
    for i in 1..=3u8 {
        put(&format!("model-0000{i}-of-00003.safetensors"), shard(i));
    }
    put("weights dir/extra.bin", shard(9));
    put("scripts/run.py", b"print('hi')\n".to_vec());
    put("README.md", b"# tiny\n".to_vec());
    put("LICENSE", b"Apache-2.0\n".to_vec());
    put("data/train.jsonl", b"{\"q\":1}\n".to_vec());
    put("data/eval/part-0.jsonl", b"{\"q\":2}\n".to_vec());
    f
}

const MODELFILE: &str = "\
# A tiny chat model, packaged with modctl's Modelfile
NAME tiny-chat
ARCH transformer
FAMILY qwen3
FORMAT safetensors
PARAMSIZE 1.1b
PRECISION bfloat16
CONFIG config.json
CONFIG tokenizer.json
MODEL model-*.safetensors
MODEL \"weights dir/extra.bin\"
model model-00001-of-00003.safetensors
CODE scripts/*.py
DOC README.md
DOC LICENSE
DOC *.nomatch
DATASET data
";

fn write_files(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<()> {
    for (p, d) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        std::fs::write(&path, d)?;
    }
    Ok(())
}

/// A context holding the model and `spec_name` with `body` under our
/// `# syntax=` line.
fn model_context(ctx: &Ctx, name: &str, spec_name: &str, body: &str) -> Result<PathBuf> {
    let dir = ctx.dir(name);
    write_files(&dir, &model_files())?;
    std::fs::write(dir.join(spec_name), format!("# syntax={IMAGE}\n{body}"))?;
    Ok(dir)
}

fn build_spec_ok(
    ctx: &Ctx,
    dir: &Path,
    spec: &str,
    args: &[(&str, &str)],
    flags: &[&str],
    out: &Path,
) -> Result<String> {
    let o = ctx.build_file_with(dir, spec, args, flags, out)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "docker build failed:\n{log}");
    Ok(log)
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// What a ModelPack layer holds, by the spec's rules, undoing its
/// encoding: the tar (decompressed) or the raw file.
fn layer_content(media_type: &str, blob: &[u8]) -> Result<Vec<u8>> {
    Ok(if media_type.ends_with(".tar+gzip") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(blob).read_to_end(&mut out)?;
        out
    } else if media_type.ends_with(".tar+zstd") {
        zstd::decode_all(blob)?
    } else {
        blob.to_vec()
    })
}

/// A relative path that stays inside the directory it is unpacked to.
fn safe_path(p: &str) -> Result<&str> {
    ensure!(
        !p.is_empty() && !p.starts_with('/') && !p.split('/').any(|c| c == ".."),
        "unsafe path {p:?} in the artifact"
    );
    Ok(p)
}

/// The checks every Modelfile-built model must pass; gives the manifest
/// and the config. `files` are the originals the layers must restore.
pub fn check_model(
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    epoch: Option<&str>,
) -> Result<(serde_json::Value, serde_json::Value)> {
    check_model_annotated(out, files, epoch, None)
}

/// [`check_model`] of a model whose manifest has `annotations` (an
/// Artifactfile's, which stamps `org.opencontainers.image.created`); a
/// Modelfile's has none.
pub fn check_model_annotated(
    out: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    epoch: Option<&str>,
    annotations: Option<&serde_json::Value>,
) -> Result<(serde_json::Value, serde_json::Value)> {
    support::fsck_layout(out)?;
    let (m, _) = manifest_of(out)?;
    ensure!(
        m["artifactType"] == "application/vnd.cncf.model.manifest.v1+json",
        "{m}"
    );
    ensure!(
        m["config"]["mediaType"] == "application/vnd.cncf.model.config.v1+json",
        "{m}"
    );
    ensure!(
        m.get("annotations") == annotations,
        "manifest annotations {annotations:?} only: {m}"
    );
    let config_path = out.join("blobs/sha256").join(
        m["config"]["digest"]
            .as_str()
            .context("config digest")?
            .trim_start_matches("sha256:"),
    );
    python(
        "validate_json.py",
        &[
            schema()?.to_str().context("path")?,
            config_path.to_str().context("path")?,
        ],
    )?;
    let config: serde_json::Value = serde_json::from_slice(&std::fs::read(&config_path)?)?;
    ensure!(
        config["descriptor"]["createdAt"].as_str() == epoch.map(|_| EPOCH_RFC3339),
        "createdAt comes from SOURCE_DATE_EPOCH only: {config}"
    );
    let layers = m["layers"].as_array().context("layers")?;
    let diff_ids = config["modelfs"]["diffIds"].as_array().context("diffIds")?;
    ensure!(
        layers.len() == diff_ids.len(),
        "{} layers, {} diffIds",
        layers.len(),
        diff_ids.len()
    );
    let unpacked = tempfile::tempdir()?;
    let mut restored: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (l, diff_id) in layers.iter().zip(diff_ids) {
        let media_type = l["mediaType"].as_str().context("mediaType")?;
        ensure!(
            media_type.starts_with("application/vnd.cncf.model."),
            "{media_type}"
        );
        let data = blob(out, &l["digest"])?;
        let content = layer_content(media_type, &data)?;
        ensure!(
            &sha256(&content) == diff_id,
            "{media_type}: diffId {diff_id} is not the digest of the uncompressed content"
        );
        let a = &l["annotations"];
        let path = safe_path(a["org.cncf.model.filepath"].as_str().context("filepath")?)?;
        let meta: serde_json::Value = serde_json::from_str(
            a["org.cncf.model.file.metadata+json"]
                .as_str()
                .context("metadata")?,
        )?;
        ensure!(
            meta["uid"] == 0
                && meta["gid"] == 0
                && meta["mtime"] == epoch.map_or("1970-01-01T00:00:00Z", |_| EPOCH_RFC3339),
            "{path}: metadata must not copy the disk's owner or time: {meta}"
        );
        ensure!(
            a["org.opencontainers.image.title"]
                .as_str()
                .is_some_and(|t| t.starts_with(path)),
            "{path}: title {}",
            a["org.opencontainers.image.title"]
        );
        if media_type.ends_with(".raw") {
            ensure!(
                meta["size"] == content.len() && meta["typeflag"] == 0,
                "{meta}"
            );
            restored.insert(path.to_string(), content);
            continue;
        }
        let mut archive = tar::Archive::new(content.as_slice());
        for entry in archive.entries()? {
            let mut entry = entry?;
            let h = entry.header();
            ensure!(
                h.uid()? == 0 && h.gid()? == 0 && h.username()?.unwrap_or("").is_empty(),
                "{path}: a tar entry carries an owner"
            );
            ensure!(
                h.mtime()? == epoch.map_or(0, |e| e.parse().unwrap_or(0)),
                "{path}: a tar entry carries the disk's time"
            );
            let name = entry.path()?.to_string_lossy().into_owned();
            let name = safe_path(name.trim_end_matches('/'))?.to_string();
            ensure!(
                name == path || name.starts_with(&format!("{path}/")),
                "{path}: tar entry {name} is outside it"
            );
            if entry.header().entry_type().is_file() {
                let mut d = Vec::new();
                entry.read_to_end(&mut d)?;
                restored.insert(name, d);
            }
        }
    }
    // Restore to disk too, as a user's unpacker would, and compare.
    for (p, d) in &restored {
        let target = unpacked.path().join(p);
        std::fs::create_dir_all(target.parent().context("parent")?)?;
        std::fs::write(target, d)?;
    }
    let back: BTreeMap<String, Vec<u8>> = tree(unpacked.path())?.into_iter().collect();
    ensure!(
        &back == files,
        "unpacked files differ from the originals: got {:?}, want {:?}",
        back.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    Ok((m, config))
}

/// A Modelfile builds a schema-valid model in modctl's layer order, every
/// file comes back byte for byte, skopeo carries it to the registry and
/// back, and ORAS pulls each file under its title.
fn modelfile_builds_a_valid_model(ctx: &Ctx) -> Result<()> {
    let dir = model_context(ctx, "mp-raw", "Modelfile", MODELFILE)?;
    let out = ctx.dir("mp-raw-out");
    build_spec_ok(
        ctx,
        &dir,
        "Modelfile",
        &[("SOURCE_DATE_EPOCH", EPOCH)],
        &[],
        &out,
    )?;
    let files = model_files();
    let (m, config) = check_model(&out, &files, Some(EPOCH))?;
    let kinds: Vec<(&str, &str)> = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .map(|l| {
            (
                l["mediaType"].as_str().unwrap_or_default(),
                l["annotations"]["org.cncf.model.filepath"]
                    .as_str()
                    .unwrap_or_default(),
            )
        })
        .collect();
    let p = "application/vnd.cncf.model.";
    ensure!(
        kinds
            == [
                (&*format!("{p}weight.config.v1.raw"), "config.json"),
                (&format!("{p}weight.config.v1.raw"), "tokenizer.json"),
                (
                    &format!("{p}weight.v1.raw"),
                    "model-00001-of-00003.safetensors"
                ),
                (
                    &format!("{p}weight.v1.raw"),
                    "model-00002-of-00003.safetensors"
                ),
                (
                    &format!("{p}weight.v1.raw"),
                    "model-00003-of-00003.safetensors"
                ),
                (&format!("{p}weight.v1.raw"), "weights dir/extra.bin"),
                (&format!("{p}code.v1.raw"), "scripts/run.py"),
                (&format!("{p}doc.v1.raw"), "LICENSE"),
                (&format!("{p}doc.v1.raw"), "README.md"),
                (&format!("{p}dataset.v1.tar"), "data"),
            ]
            .map(|(a, b)| (a as &str, b)),
        "layer order and types: {kinds:?}"
    );
    ensure!(
        config["descriptor"]
            == serde_json::json!({"createdAt": EPOCH_RFC3339, "family": "qwen3", "name": "tiny-chat"})
            && config["config"]
                == serde_json::json!({"architecture": "transformer", "format": "safetensors",
                    "paramSize": "1.1b", "precision": "bfloat16"}),
        "{config}"
    );
    ctx.fx.skopeo_roundtrip(&out, None, "e2e/modelpack-raw")?;
    let pulled = ctx.dir("mp-raw-oras");
    let got: serde_json::Value = serde_json::from_str(&python(
        "oras_pull.py",
        &[
            &format!("{}/e2e/modelpack-raw:e2e", ctx.fx.registry),
            pulled.to_str().context("path")?,
        ],
    )?)?;
    for (path, data) in &files {
        if path.starts_with("data/") {
            continue;
        }
        ensure!(
            got[path.as_str()] == sha256(data).as_str(),
            "ORAS wrote {path} as {}: {got}",
            got[path.as_str()]
        );
    }
    ensure!(
        got["data.tar"].is_string() || got["data.tar"]["dir"].is_array(),
        "the dataset tar is pulled as data.tar: {got}"
    );
    Ok(())
}

/// Every tar packing (`artifact.modelpack.layers`) restores the same
/// files, with the diffIds of the uncompressed tars.
fn modelfile_tar_packings_restore_the_files(ctx: &Ctx) -> Result<()> {
    let dir = model_context(ctx, "mp-tar", "Modelfile", MODELFILE)?;
    for packing in ["tar", "tar+gzip", "tar+zstd"] {
        let out = ctx.dir(&format!("mp-out-{}", packing.replace('+', "-")));
        build_spec_ok(
            ctx,
            &dir,
            "Modelfile",
            &[("artifact.modelpack.layers", packing)],
            &[],
            &out,
        )?;
        let (m, _) = check_model(&out, &model_files(), None)?;
        let suffix = format!(".v1.{packing}");
        ensure!(
            m["layers"]
                .as_array()
                .context("layers")?
                .iter()
                .all(|l| l["mediaType"]
                    .as_str()
                    .is_some_and(|t| t.ends_with(&suffix))),
            "{packing}: {m}"
        );
    }
    Ok(())
}

/// Rebuilt without the cache after every file's time and owner changed:
/// the same bytes, raw and tar. One changed byte in one shard changes
/// that layer's digest and diffId and nothing else of the layers.
fn modelfile_is_reproducible_without_the_cache(ctx: &Ctx) -> Result<()> {
    // Named Dockerfile: recognised as a Modelfile by its directives.
    let dir = model_context(ctx, "mp-repro", "Dockerfile", MODELFILE)?;
    let args = |packing| {
        [
            ("SOURCE_DATE_EPOCH", EPOCH),
            ("artifact.modelpack.layers", packing),
        ]
    };
    let mut first = Vec::new();
    for packing in ["raw", "tar+gzip"] {
        let out = ctx.dir(&format!("mp-repro-{packing}-a"));
        build_spec_ok(ctx, &dir, "Dockerfile", &args(packing), &[], &out)?;
        first.push(tree(&out)?);
    }
    for (p, _) in model_files() {
        let path = dir.join(&p);
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890);
        std::fs::File::options()
            .write(true)
            .open(&path)?
            .set_modified(t)?;
        std::os::unix::fs::chown(&path, Some(4321), Some(4321))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    }
    for (i, packing) in ["raw", "tar+gzip"].into_iter().enumerate() {
        let out = ctx.dir(&format!("mp-repro-{packing}-b"));
        build_spec_ok(
            ctx,
            &dir,
            "Dockerfile",
            &args(packing),
            &["--no-cache"],
            &out,
        )?;
        ensure!(
            tree(&out)? == first[i],
            "{packing}: rebuilt without the cache after touching every file, the layout differs"
        );
    }
    let (before, before_cfg) = layers_and_diff_ids(&ctx.tmp.path().join("mp-repro-raw-a"))?;
    let shard = dir.join("model-00002-of-00003.safetensors");
    let mut data = std::fs::read(&shard)?;
    data[1000] ^= 0xff;
    std::fs::write(&shard, data)?;
    let out = ctx.dir("mp-repro-changed");
    build_spec_ok(ctx, &dir, "Dockerfile", &args("raw"), &[], &out)?;
    let (after, after_cfg) = layers_and_diff_ids(&out)?;
    let changed: Vec<usize> = (0..before.len())
        .filter(|&i| before[i] != after[i])
        .collect();
    let changed_ids: Vec<usize> = (0..before_cfg.len())
        .filter(|&i| before_cfg[i] != after_cfg[i])
        .collect();
    ensure!(
        changed == [3] && changed_ids == [3],
        "one changed shard changed layers {changed:?} and diffIds {changed_ids:?}"
    );
    // Its globs start at the top, so the whole context is sent, but not the
    // spec file: editing NAME does not hash again.
    let spec = std::fs::read_to_string(dir.join("Dockerfile"))?;
    std::fs::write(
        dir.join("Dockerfile"),
        spec.replace("NAME tiny-chat", "NAME tiny-chat-2"),
    )?;
    let log = build_spec_ok(
        ctx,
        &dir,
        "Dockerfile",
        &args("raw"),
        &[],
        &ctx.dir("mp-repro-renamed"),
    )?;
    ensure!(hashing_cached(&log)?, "a NAME edit hashed again:\n{log}");
    Ok(())
}

/// The layer digests and the config's diffIds of a one-model layout.
fn layers_and_diff_ids(out: &Path) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    let (m, _) = manifest_of(out)?;
    let config: serde_json::Value = serde_json::from_slice(&blob(out, &m["config"]["digest"])?)?;
    let digests = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .map(|l| l["digest"].clone())
        .collect();
    let ids = config["modelfs"]["diffIds"]
        .as_array()
        .context("diffIds")?
        .clone();
    Ok((digests, ids))
}

/// A Modelfile naming no files packages the context as modctl's
/// `modelfile generate` would list it: classified by name, hidden files,
/// caches and the Modelfile left out, metadata from config.json. A second
/// build with only NAME changed does not hash again.
fn modelfile_without_files_classifies_the_context(ctx: &Ctx) -> Result<()> {
    let dir = model_context(ctx, "mp-zero", "Modelfile", "")?;
    let expected = model_files();
    for (p, d) in [
        (".gitattributes", &b"*.safetensors filter=lfs"[..]),
        (".cache/huggingface/download/x.lock", b""),
        ("scripts/__pycache__/run.cpython-311.pyc", b"\x00pyc"),
        ("scripts/old.pyc", b"\x00pyc"),
    ] {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        std::fs::write(path, d)?;
    }
    let out = ctx.dir("mp-zero-out");
    build_spec_ok(ctx, &dir, "Modelfile", &[], &[], &out)?;
    let (m, config) = check_model(&out, &expected, None)?;
    ensure!(
        config["config"]
            == serde_json::json!({"architecture": "transformer", "precision": "bfloat16"})
            && config["descriptor"] == serde_json::json!({"family": "qwen3"}),
        "metadata from config.json: {config}"
    );
    let by_path: BTreeMap<&str, &str> = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .map(|l| {
            (
                l["annotations"]["org.cncf.model.filepath"]
                    .as_str()
                    .unwrap_or_default(),
                l["mediaType"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let p = "application/vnd.cncf.model.";
    for (path, kind) in [
        ("config.json", "weight.config"),
        ("data/train.jsonl", "weight.config"),
        ("model-00001-of-00003.safetensors", "weight"),
        ("weights dir/extra.bin", "weight"),
        ("scripts/run.py", "code"),
        ("README.md", "doc"),
        ("LICENSE", "doc"),
    ] {
        ensure!(
            by_path.get(path) == Some(&&*format!("{p}{kind}.v1.raw")),
            "{path}: {:?}",
            by_path.get(path)
        );
    }
    ensure!(
        m["layers"][0]["annotations"]["org.cncf.model.file.mediatype.untested"] == "true",
        "guessed categories are marked untested: {m}"
    );
    // Only metadata changed: the hashing step is answered from the cache.
    std::fs::write(
        dir.join("Modelfile"),
        format!("# syntax={IMAGE}\nNAME renamed\n"),
    )?;
    let out2 = ctx.dir("mp-zero-renamed");
    let log = build_spec_ok(ctx, &dir, "Modelfile", &[], &[], &out2)?;
    ensure!(hashing_cached(&log)?, "a NAME edit hashed again:\n{log}");
    let (_, config2) = check_model(&out2, &expected, None)?;
    ensure!(config2["descriptor"]["name"] == "renamed", "{config2}");
    Ok(())
}

/// A bad Modelfile fails with its line shown and the fix named.
fn modelfile_errors_point_at_the_line(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("mp-bad");
    std::fs::write(dir.join("a.bin"), "a")?;
    let run = |body: &str, args: &[(&str, &str)]| -> Result<String> {
        std::fs::write(dir.join("Modelfile"), format!("# syntax={IMAGE}\n{body}"))?;
        let o = ctx.build_file(&dir, "Modelfile", args, &ctx.tmp.path().join("unused"))?;
        ensure!(!o.status.success(), "a bad Modelfile built:\n{body}");
        Ok(String::from_utf8_lossy(&o.stderr).into_owned())
    };
    for (body, args, want) in [
        (
            "NAME m\nMODLE a.bin\n",
            &[][..],
            &[
                "Modelfile:3: unknown directive \"MODLE\" (did you mean \"MODEL\"?)",
                "3 | MODLE a.bin",
            ][..],
        ),
        (
            "NAME m\nNAME n\n",
            &[],
            &["Modelfile:3: NAME is given twice (first on line 2)"],
        ),
        (
            "FAMILY \"\"\n",
            &[],
            &["Modelfile:2: FAMILY has an empty argument"],
        ),
        (
            "MODEL a.bin\nMODEL weights/missing.bin\n",
            &[],
            &["Modelfile:3: MODEL \"weights/missing.bin\" does not exist in the build context"],
        ),
        (
            "MODEL a.bin # the weights\n",
            &[],
            &["Modelfile:2: MODEL takes one argument, got 4"],
        ),
        (
            "MODEL a.bin\n",
            &[("artifact.modelpack.layers", "zip")],
            &[
                "artifact.modelpack.layers=\"zip\" is not a ModelPack layer packing: use one of raw, tar, tar+gzip, tar+zstd",
            ],
        ),
        ("DOC *.md\n", &[], &["globs match no files"]),
    ] {
        let err = run(body, args)?;
        for w in want {
            ensure!(err.contains(w), "want {w:?} in:\n{err}");
        }
    }
    Ok(())
}

/// Where the daemon can't run the worker, literal raw files go through
/// the gateway: the same layout as the worker's, byte for byte.
fn modelfile_through_the_gateway_matches_the_worker(ctx: &Ctx) -> Result<()> {
    let body = "NAME tiny\nCONFIG config.json\nMODEL model-00002-of-00003.safetensors\n\
                MODEL \"weights dir/extra.bin\"\nDOC README.md\n";
    let dir = model_context(ctx, "mp-gw", "Modelfile", body)?;
    std::fs::set_permissions(
        dir.join("README.md"),
        std::fs::Permissions::from_mode(0o600),
    )?;
    let mut trees = Vec::new();
    for mode in ["exec", "gateway"] {
        let out = ctx.dir(&format!("mp-gw-{mode}"));
        let log = build_spec_ok(
            ctx,
            &dir,
            "Modelfile",
            &[("artifact.hash", mode), ("SOURCE_DATE_EPOCH", EPOCH)],
            &[],
            &out,
        )?;
        ensure!(
            log.contains("[artifact] hashing and writing") == (mode == "exec"),
            "{mode}: {log}"
        );
        trees.push(tree(&out)?);
        if mode == "gateway" {
            let (m, _) = manifest_of(&out)?;
            let readme = &m["layers"][3]["annotations"]["org.cncf.model.file.metadata+json"];
            ensure!(
                readme.as_str().is_some_and(|s| s.contains("\"mode\":384")),
                "the mode comes from the file: {readme}"
            );
        }
    }
    ensure!(trees[0] == trees[1], "worker and gateway layouts differ");
    Ok(())
}

/// The Modelfile cases.
pub const CASES: &[(&str, Case)] = &[
    (
        "modelfile_builds_a_valid_model",
        modelfile_builds_a_valid_model,
    ),
    (
        "modelfile_tar_packings_restore_the_files",
        modelfile_tar_packings_restore_the_files,
    ),
    (
        "modelfile_is_reproducible_without_the_cache",
        modelfile_is_reproducible_without_the_cache,
    ),
    (
        "modelfile_without_files_classifies_the_context",
        modelfile_without_files_classifies_the_context,
    ),
    (
        "modelfile_errors_point_at_the_line",
        modelfile_errors_point_at_the_line,
    ),
    (
        "modelfile_through_the_gateway_matches_the_worker",
        modelfile_through_the_gateway_matches_the_worker,
    ),
];
