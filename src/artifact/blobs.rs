//! Writing layer blobs inside the worker (see [`crate::blobtool`]).
//!
//! The frontend runs its own image as an ExecOp over the input. The image
//! is the exact one buildkitd started us from: `frontend.bin` (BuildKit
//! 0.10+) holds its definition, and on older daemons the `source` option
//! names it, which we pin to a digest so a moved tag can't swap binaries.

use anyhow::Context as _;
use prost::Message as _;

use crate::blobtool::{self, FileReport, Job, Report};
use crate::gateway::{Bridge, Options};
use crate::llb::{self, ExecOptions, ImageRef, Mount, State};
use crate::proto::pb;

use super::hash::{FileDigest, Problem, problem};
use super::spec::LayerSpec;

/// Where BuildKit 0.10+ puts the frontend's own image definition.
const FRONTEND_BIN: &str = "/run/config/buildkit/metadata/frontend.bin";

/// Largest report we read back (about 100 bytes a layer).
const MAX_REPORT: u64 = 256 << 20;

/// Our own image as a state, and the binary to run in it. `None` when we
/// can't tell which image we run from (then the gateway path is used).
pub async fn self_image(
    bridge: &Bridge,
    opts: &Options,
) -> anyhow::Result<Option<(State, String)>> {
    if let Ok(bytes) = std::fs::read(FRONTEND_BIN) {
        let def = pb::Definition::decode(bytes.as_slice()).context("decoding frontend.bin")?;
        return Ok(Some((State::from_definition(&def)?, default_binary())));
    }
    let Some(source) = opts.get("source").filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if !bridge.caps().has_gateway("resolveimage") {
        return Ok(None);
    }
    let reference = ImageRef::parse(source)?;
    let (digest, config) = bridge
        .resolve_image_config(reference.as_str())
        .await
        .with_context(|| format!("resolving the frontend image {source}"))?;
    let pinned = match reference.as_str().split_once('@') {
        Some(_) => reference,
        None => ImageRef::parse(&format!("{reference}@{digest}"))?,
    };
    Ok(Some((llb::image(&pinned, None), entrypoint(&config))))
}

fn default_binary() -> String {
    "/artifact-frontend".to_string()
}

/// The image's entrypoint binary (the image config's `Entrypoint[0]`).
fn entrypoint(config: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(config)
        .ok()
        .and_then(|v| v["config"]["Entrypoint"][0].as_str().map(str::to_string))
        .unwrap_or_else(default_binary)
}

/// Runs the blob writer over `input` for `layers`. Gives the state holding
/// `blobs/sha256/` and each layer's size and digest.
pub async fn write_in_worker(
    bridge: &Bridge,
    image: &State,
    binary: &str,
    input: &State,
    describe: &str,
    layers: &[LayerSpec],
    mtime: Option<i64>,
) -> anyhow::Result<(State, Vec<FileDigest>)> {
    let mut paths: Vec<String> = layers.iter().map(|l| l.path.clone()).collect();
    paths.sort();
    paths.dedup();
    let job = Job { paths, mtime };
    let job_state = State::scratch().file(
        llb::FileActions::new().mkfile(
            &format!("/{}", blobtool::JOB_FILE),
            0o644,
            serde_json::to_vec(&job)?,
            None,
        ),
        "[artifact] layer list",
    );
    let exec = image.run(
        &ExecOptions {
            args: vec![binary.to_string(), blobtool::SUBCOMMAND.to_string()],
            env: vec!["PATH=/".to_string()],
            cwd: "/".to_string(),
            network_none: true,
            custom_name: format!(
                "[artifact] hashing and writing {} layer blobs",
                job.paths.len()
            ),
        },
        &[
            Mount::ReadOnly {
                dest: blobtool::INPUT_DIR.into(),
                state: input.clone(),
            },
            Mount::ReadOnly {
                dest: blobtool::JOB_DIR.into(),
                state: job_state,
            },
            Mount::Output {
                dest: blobtool::OUT_DIR.into(),
            },
            Mount::Output {
                dest: blobtool::REPORT_DIR.into(),
            },
        ],
    );
    let (Some(blobs), Some(report)) = (exec.output(0), exec.output(1)) else {
        anyhow::bail!("exec has no outputs");
    };
    let def = report.marshal();
    bridge
        .caps()
        .require_llb(&def.required_caps(), "hash layers inside the worker")?;
    let report_ref = bridge
        .solve(def.into_pb())
        .await
        .context("hashing layers in the worker")?;
    let raw = bridge
        .read_all(&report_ref, blobtool::REPORT_FILE, MAX_REPORT)
        .await
        .context("reading the blob report")?;
    let report: Report = serde_json::from_slice(&raw).context("parsing the blob report")?;
    let digests = match_layers(layers, &job.paths, &report, describe)?;
    Ok((blobs.clone(), digests))
}

/// Maps the report (one entry per distinct path) back onto the layers,
/// turning per-file problems into messages that name the layer.
fn match_layers(
    layers: &[LayerSpec],
    paths: &[String],
    report: &Report,
    describe: &str,
) -> anyhow::Result<Vec<FileDigest>> {
    anyhow::ensure!(
        report.files.len() == paths.len(),
        "blob report has the wrong number of entries"
    );
    let by_path: std::collections::BTreeMap<&str, &FileReport> =
        report.files.iter().map(|f| (f.path.as_str(), f)).collect();
    layers
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let what = format!("layer {i} ({:?})", l.given_path);
            let f = by_path
                .get(l.path.as_str())
                .with_context(|| format!("{what}: missing from the blob report"))?;
            match (f.error.as_deref(), f.size, &f.digest) {
                (None, Some(size), Some(digest)) => Ok(FileDigest {
                    size,
                    digest: digest.clone(),
                }),
                (Some("missing"), ..) => Err(problem(&what, Problem::Missing, describe).into()),
                (Some("directory"), ..) => Err(problem(&what, Problem::Directory, describe).into()),
                (Some("irregular"), ..) => Err(problem(&what, Problem::Irregular, describe).into()),
                _ => anyhow::bail!(
                    "{what}: writing its blob failed: {}",
                    f.detail.as_deref().unwrap_or("unknown error")
                ),
            }
        })
        .collect()
}
