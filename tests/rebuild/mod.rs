//! End-to-end cases for the builds users live in: the second one, and the
//! ones that name thousands of files.
//!
//! - A model's card edited, or one shard replaced: the build's own
//!   progress output shows the other files' hashing steps answered from
//!   BuildKit's cache, and the layout differs only where it must.
//! - The README's command twice, its `out/` inside the context: the
//!   second model has the same layers as the first (no packaged layout).
//! - 10,000 files at the context's top (worker and gateway), 2,000 LAYER
//!   lines with names of 200+ bytes, 1,000 MODEL lines: every client
//!   builds them (one local source carries at most 100 paths) and the
//!   gateway path stacks no deeper than the daemon allows.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::*;

/// `len` bytes that differ with `seed` (so two shards are two blobs).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        // xorshift64: cheap bytes nobody will compress or dedupe.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A model directory: two shards above the size that gets its own
/// hashing step, a config and a card, and a zero-config Modelfile.
fn model_dir(ctx: &Ctx, name: &str) -> Result<PathBuf> {
    let d = ctx.dir(name);
    std::fs::write(
        d.join("model-00001-of-00002.safetensors"),
        noise(70 << 20, 1),
    )?;
    std::fs::write(
        d.join("model-00002-of-00002.safetensors"),
        noise(70 << 20, 2),
    )?;
    std::fs::write(d.join("config.json"), br#"{"model_type":"tiny"}"#)?;
    std::fs::write(d.join("README.md"), b"# tiny\n\nA model card.\n")?;
    std::fs::write(
        d.join("Modelfile"),
        format!("# syntax={IMAGE}\nNAME tiny\n"),
    )?;
    Ok(d)
}

/// The model's layers by file path (`org.cncf.model.filepath`), and its
/// DiffIDs in order.
fn layers_by_path(out: &Path) -> Result<(BTreeMap<String, serde_json::Value>, Vec<String>)> {
    let (m, _) = manifest_of(out)?;
    let config: serde_json::Value = serde_json::from_slice(&blob(out, &m["config"]["digest"])?)?;
    let layers = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .map(|l| {
            let path = l["annotations"]["org.cncf.model.filepath"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (path, l.clone())
        })
        .collect();
    let ids = config["modelfs"]["diffIds"]
        .as_array()
        .context("diffIds")?
        .iter()
        .map(|d| d.as_str().unwrap_or_default().to_string())
        .collect();
    Ok((layers, ids))
}

/// Builds `dir`'s Modelfile into `out` and gives the progress log.
fn build_model(ctx: &Ctx, dir: &Path, out: &Path) -> Result<String> {
    let o = ctx.build_file(dir, "Modelfile", &[], out)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "build failed:\n{log}");
    Ok(log)
}

/// Which hashing steps ran (not answered from the cache), by what they
/// hashed.
fn hashed(log: &str) -> Vec<String> {
    hashing_steps(log)
        .into_iter()
        .filter(|(_, cached)| !cached)
        .map(|(what, _)| what)
        .collect()
}

/// Editing the model card hashes the card (with the other small files),
/// never the weights; replacing one shard hashes that shard alone. The
/// layouts differ only in the changed file's layer, its DiffID and what
/// points at them.
fn a_card_edit_hashes_only_the_card(ctx: &Ctx) -> Result<()> {
    let d = model_dir(ctx, "card")?;
    let (a, b, c) = (ctx.dir("card-a"), ctx.dir("card-b"), ctx.dir("card-c"));
    let first = build_model(ctx, &d, &a)?;
    ensure!(
        hashed(&first).len() == 3,
        "first build: {:?}",
        hashed(&first)
    );

    std::fs::write(d.join("README.md"), b"# tiny\n\nA model card, fixed.\n")?;
    let log = build_model(ctx, &d, &b)?;
    let ran = hashed(&log);
    ensure!(
        ran.len() == 1 && ran[0].starts_with("2 files"),
        "after the card edit, only the small files' step may run: {ran:?}\n{log}"
    );
    let ((la, ia), (lb, ib)) = (layers_by_path(&a)?, layers_by_path(&b)?);
    for (path, layer) in &la {
        let same = lb.get(path) == Some(layer);
        ensure!(
            same == (path != "README.md"),
            "{path}: {layer} vs {:?}",
            lb.get(path)
        );
    }
    let changed: Vec<usize> = (0..ia.len()).filter(|&i| ia[i] != ib[i]).collect();
    ensure!(changed.len() == 1, "one DiffID changes: {ia:?} {ib:?}");

    std::fs::write(
        d.join("model-00002-of-00002.safetensors"),
        noise(70 << 20, 3),
    )?;
    let log = build_model(ctx, &d, &c)?;
    let ran = hashed(&log);
    ensure!(
        ran.len() == 1 && ran[0].starts_with("model-00002-of-00002.safetensors"),
        "after replacing a shard, only its step may run: {ran:?}\n{log}"
    );
    let lc = layers_by_path(&c)?.0;
    for (path, layer) in &lb {
        let same = lc.get(path) == Some(layer);
        ensure!(same != path.starts_with("model-00002"), "{path}");
    }
    Ok(())
}

/// Fails unless `log` shows both weights' hashing steps, each answered
/// from the cache.
fn weights_cached(log: &str, after: &str) -> Result<()> {
    let weights: Vec<(String, bool)> = hashing_steps(log)
        .into_iter()
        .filter(|(what, _)| what.starts_with("model-0000"))
        .collect();
    ensure!(
        weights.len() == 2 && weights.iter().all(|(_, cached)| *cached),
        "after {after}, the weights' steps must be CACHED: {weights:?}\n{log}"
    );
    Ok(())
}

/// Adding a file beside the weights (`LICENSE` in a directory whose
/// Modelfile names no files, which sorts before them), a `LAYER` line
/// above them, or a `FROM` line above them (which makes the context a
/// later input) hashes what was added, with the other small files; the
/// weights' steps are answered from the cache every time.
fn adding_a_file_or_a_line_leaves_the_weights_cached(ctx: &Ctx) -> Result<()> {
    let d = model_dir(ctx, "added")?;
    // Weights and a card of their own: the daemon's cache holds the other
    // cases' (their small files' step would be CACHED on the first build).
    for (i, seed) in [(1, 11), (2, 12)] {
        let shard = d.join(format!("model-0000{i}-of-00002.safetensors"));
        std::fs::write(shard, noise(70 << 20, seed))?;
    }
    std::fs::write(
        d.join("README.md"),
        b"# tiny\n\nThe card of the added case.\n",
    )?;
    let first = build_model(ctx, &d, &ctx.dir("added-a"))?;
    ensure!(
        hashed(&first).len() == 3,
        "first build: {:?}",
        hashed(&first)
    );
    std::fs::write(d.join("LICENSE"), b"Apache-2.0\n")?;
    let out = ctx.dir("added-b");
    let log = build_model(ctx, &d, &out)?;
    weights_cached(&log, "adding LICENSE")?;
    let ran = hashed(&log);
    ensure!(
        ran.len() == 1 && ran[0].starts_with("3 files"),
        "only the small files' step runs: {ran:?}"
    );
    ensure!(
        layers_by_path(&out)?.0.contains_key("LICENSE"),
        "the model has LICENSE"
    );

    // An Artifactfile naming the weights, then lines added above them.
    let spec = |above: &str| {
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.model.v1\n{above}\
             LAYER application/octet-stream model-00001-of-00002.safetensors\n\
             LAYER application/octet-stream model-00002-of-00002.safetensors\n\
             LAYER text/markdown README.md\n"
        )
    };
    let build = |above: &str, out: &str| -> Result<String> {
        std::fs::write(d.join("Artifactfile"), spec(above))?;
        let o = ctx.build_file(&d, "Artifactfile", &[], &ctx.dir(out))?;
        let log = String::from_utf8_lossy(&o.stderr).into_owned();
        ensure!(o.status.success(), "build failed:\n{log}");
        Ok(log)
    };
    build("", "added-c")?;
    let log = build("LAYER text/plain LICENSE\n", "added-d")?;
    weights_cached(&log, "adding a LAYER line above them")?;
    let log = build(
        &format!(
            "FROM {IMAGE}\nLAYER application/octet-stream artifact-frontend\nFROM context\n\
             LAYER text/plain LICENSE\n"
        ),
        "added-e",
    )?;
    weights_cached(&log, "adding a FROM line above them")?;
    Ok(())
}

/// The README's command, `docker buildx build -f Modelfile -o
/// type=local,dest=out .`, run twice in a directory whose Modelfile names
/// no files: `out/` is inside the context, and the second model has the
/// same layers as the first, the build saying it left the layout out.
fn readme_command_twice_gives_the_same_model(ctx: &Ctx) -> Result<()> {
    let d = ctx.dir("twice");
    std::fs::write(d.join("model.safetensors"), noise(1 << 20, 7))?;
    std::fs::write(d.join("config.json"), br#"{"model_type":"tiny"}"#)?;
    std::fs::write(
        d.join("Modelfile"),
        format!("# syntax={IMAGE}\nNAME tiny\n"),
    )?;
    let run = || -> Result<String> {
        // As the README writes it (plus plain progress, to read it).
        let mut cmd = ctx.docker_build();
        cmd.current_dir(&d).args([
            "--progress=plain",
            "-f",
            "Modelfile",
            "-o",
            "type=local,dest=out",
            ".",
        ]);
        let o = cmd.output()?;
        let log = String::from_utf8_lossy(&o.stderr).into_owned();
        ensure!(o.status.success(), "{log}");
        Ok(log)
    };
    run()?;
    let first = layers_by_path(&d.join("out"))?.0;
    ensure!(first.len() == 2, "model and config: {:?}", first.keys());
    let log = run()?;
    let second = layers_by_path(&d.join("out"))?.0;
    ensure!(
        first == second,
        "the second run packaged something else: {:?}",
        second.keys()
    );
    ensure!(
        log.contains("leaving out OCI layout out/"),
        "the build says it left the layout out:\n{log}"
    );
    Ok(())
}

/// 10,000 files at the context's top, listed in `@layers.json`, hashed in
/// the worker and through the gateway: the same layout.
fn ten_thousand_files_at_the_top_on_both_paths(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("top");
    listed_files(&c, 10_000, |i| format!("f{i:05}.txt"))?;
    let args = [
        (CONFIG, "application/vnd.oci.empty.v1+json"),
        (TYPE, "application/vnd.example.many"),
        (LAYERS, "@layers.json"),
    ];
    let (worker, gateway) = (ctx.dir("top-worker"), ctx.dir("top-gateway"));
    ctx.build_ok(&c, Via::SyntaxLine, &args, &worker)?;
    let summary = fsck_layout(&worker)?;
    ensure!(summary.blob_count == 10_002, "{} blobs", summary.blob_count);
    let mut gw_args = args.to_vec();
    gw_args.push(("artifact.hash", "gateway"));
    let start = Instant::now();
    ctx.build_ok(&c, Via::SyntaxLine, &gw_args, &gateway)?;
    eprintln!(
        "    10,000 files through the gateway in {:.1}s",
        start.elapsed().as_secs_f64()
    );
    ensure!(tree(&worker)? == tree(&gateway)?, "the two paths differ");
    Ok(())
}

/// 2,000 LAYER lines whose names are over 200 bytes long.
fn two_thousand_layer_lines_with_long_names(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("lines");
    let long = "n".repeat(200);
    let mut spec = format!("# syntax={IMAGE}\nARTIFACT application/vnd.example.files.v1\n");
    for i in 0..2_000 {
        let name = format!("d{}/{long}-{i:04}.txt", i % 8);
        std::fs::create_dir_all(c.join(format!("d{}", i % 8)))?;
        std::fs::write(c.join(&name), format!("file {i}\n"))?;
        writeln!(spec, "LAYER text/plain {name}")?;
    }
    std::fs::write(c.join("Artifactfile"), spec)?;
    let out = ctx.dir("lines-out");
    let o = ctx.build_file(&c, "Artifactfile", &[], &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = manifest_of(&out)?.0["layers"].as_array().map(Vec::len);
    ensure!(n == Some(2_000), "{n:?} layers");
    Ok(())
}

/// A Modelfile of 1,000 MODEL lines.
fn a_thousand_model_lines(ctx: &Ctx) -> Result<()> {
    let c = ctx.dir("shards");
    let mut spec = format!("# syntax={IMAGE}\nNAME many\n");
    std::fs::create_dir_all(c.join("shards"))?;
    for i in 0..1_000 {
        let name = format!("shards/part-{i:04}.bin");
        std::fs::write(c.join(&name), format!("shard {i}\n"))?;
        writeln!(spec, "MODEL {name}")?;
    }
    std::fs::write(c.join("Modelfile"), spec)?;
    let out = ctx.dir("shards-out");
    build_model(ctx, &c, &out)?;
    let (layers, ids) = layers_by_path(&out)?;
    ensure!(
        layers.len() == 1_000 && ids.len() == 1_000,
        "{}",
        layers.len()
    );
    Ok(())
}

pub const CASES: &[(&str, Case)] = &[
    (
        "a_card_edit_hashes_only_the_card",
        a_card_edit_hashes_only_the_card,
    ),
    (
        "adding_a_file_or_a_line_leaves_the_weights_cached",
        adding_a_file_or_a_line_leaves_the_weights_cached,
    ),
    (
        "readme_command_twice_gives_the_same_model",
        readme_command_twice_gives_the_same_model,
    ),
    (
        "ten_thousand_files_at_the_top_on_both_paths",
        ten_thousand_files_at_the_top_on_both_paths,
    ),
    (
        "two_thousand_layer_lines_with_long_names",
        two_thousand_layer_lines_with_long_names,
    ),
    ("a_thousand_model_lines", a_thousand_model_lines),
];
