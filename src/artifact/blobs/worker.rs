//! Writing blobs inside the worker (see [`crate::blobtool`]).
//!
//! The frontend runs its own image as an ExecOp over the inputs. The image
//! is the exact one buildkitd started us from: `frontend.bin` (BuildKit
//! 0.10+) holds its definition, and on older daemons the `source` option
//! names it, which we pin to a digest so a moved tag can't swap binaries.

use std::collections::BTreeMap;

use prost::Message as _;
use serde::Deserialize;

use crate::blobtool::{self, BlobReport, Entry, EntryError, EntryReport, Job, Report, RequestId};
use crate::gateway::{Gateway, cap};
use crate::llb::{self, ExecOptions, ImageRef, Mount, State, caps};
use crate::proto::pb;

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::plan::Plan;
use crate::artifact::request::Config;

/// Where our binary is mounted in the exec, whose root is scratch (see
/// [`write`]).
const SELF_MOUNT: &str = "/frontend";
/// Its name there.
const SELF_NAME: &str = "artifact-frontend";

/// Largest report we read back (about 150 bytes a blob).
const MAX_REPORT: u64 = 256 << 20;

/// Our own image, and the binary to run in it.
pub struct Worker {
    /// The image, pinned.
    image: State,
    /// The binary's path in it.
    binary: String,
}

/// The worker, when the daemon can run processes and we can tell which
/// image we run from; `None` sends the build through the gateway.
pub async fn find<G: Gateway>(gw: &G, cfg: &Config) -> Result<Option<Worker>> {
    let exec = [caps::EXEC_META_BASE, caps::EXEC_MOUNT_BIND].map(String::from);
    if gw.caps().require_llb(&exec, "").is_err() {
        return Ok(None);
    }
    self_image(gw, cfg.own_definition.as_deref(), cfg.own_image.as_deref()).await
}

/// Our own image as a state, and the binary to run in it. `None` when we
/// can't tell which image we run from.
async fn self_image<G: Gateway>(
    gw: &G,
    definition: Option<&[u8]>,
    source: Option<&str>,
) -> Result<Option<Worker>> {
    if let Some(bytes) = definition {
        let def = pb::Definition::decode(bytes)
            .map_err(Error::internal)
            .context("decoding frontend.bin")?;
        return Ok(Some(Worker {
            image: State::from_definition(&def)?,
            binary: DEFAULT_BINARY.to_string(),
        }));
    }
    let Some(source) = source else {
        return Ok(None);
    };
    if !gw.caps().has_gateway(cap::RESOLVE_IMAGE) {
        return Ok(None);
    }
    let reference = ImageRef::parse(source)?;
    let (digest, config) = gw
        .resolve_image_config(reference.as_str())
        .await
        .with_context(|| format!("resolving the frontend image {source}"))?;
    let pinned = match reference.as_str().split_once('@') {
        Some(_) => reference,
        None => ImageRef::parse(&format!("{reference}@{digest}"))?,
    };
    Ok(Some(Worker {
        image: llb::image(&pinned, None),
        binary: entrypoint(&config),
    }))
}

/// Where our image keeps the binary (its entrypoint).
const DEFAULT_BINARY: &str = "/artifact-frontend";

/// The part of an image config we read: `config.Entrypoint`.
#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    config: Option<ExecConfig>,
}

#[derive(Deserialize)]
struct ExecConfig {
    #[serde(rename = "Entrypoint", default)]
    entrypoint: Option<Vec<String>>,
}

/// The image's entrypoint binary (the image config's `Entrypoint[0]`).
fn entrypoint(config: &[u8]) -> String {
    serde_json::from_slice::<ImageConfig>(config)
        .ok()
        .and_then(|c| c.config?.entrypoint?.into_iter().next())
        .unwrap_or_else(|| DEFAULT_BINARY.to_string())
}

/// Blobs the worker wrote: the state holding `blobs/sha256/`, and per
/// request of [`Plan::requests`] the blobs it gave (several for a glob).
pub struct Written {
    /// The filesystem with `blobs/sha256/`.
    pub dir: State,
    /// Per request.
    pub blobs: BTreeMap<RequestId, Vec<BlobReport>>,
}

/// Runs the blob writer for every request of `plan`.
///
/// No mount of the exec may be an overlay with an upper directory: its
/// unmount flushes everything the exec wrote to disk before the step ends
/// (seen with strace on Docker 20.10: 0.8 s for 2 GiB). So the root is
/// scratch, and our binary is copied out of our image onto scratch (once:
/// BuildKit caches the copy by the image's digest) and mounted from there,
/// because Docker mounts an image's layers with a writable layer on top.
pub async fn write<G: Gateway>(
    gw: &G,
    worker: &Worker,
    plan: &Plan,
    ignore_cache: bool,
) -> Result<Written, Failure> {
    let (dir, raw) = run(gw, worker, plan, ignore_cache)
        .await
        .map_err(Failure::Exec)?;
    let blobs = read_report(plan, &raw).map_err(Failure::Final)?;
    Ok(Written { dir, blobs })
}

/// Why the worker gave no blobs, which decides whether the gateway may
/// still be tried.
#[derive(Debug)]
pub enum Failure {
    /// The exec could not be run or its report not read (a daemon that
    /// can't run our image, say): hashing through the gateway may work.
    Exec(Error),
    /// It ran and reported: a problem it found in the input is the
    /// user's, and a bad report is ours; the gateway would not do better.
    Final(Error),
}

/// Runs the blob writer; gives its output (the blobs) and its report.
async fn run<G: Gateway>(
    gw: &G,
    worker: &Worker,
    plan: &Plan,
    ignore_cache: bool,
) -> Result<(State, Vec<u8>)> {
    let requests = plan.requests();
    let job = Job {
        entries: requests
            .iter()
            .map(|(_, r)| Entry {
                id: r.id,
                source: r.input,
                path: r.path.clone(),
                glob: r.glob,
                allow_dir: r.allow_dir,
                compression: r.compression,
                pack: r.pack.clone(),
            })
            .collect(),
        mtime: plan.epoch,
    };
    let job_state = State::scratch().file(
        llb::FileActions::new().mkfile(
            &format!("/{}", blobtool::JOB_FILE),
            0o644,
            serde_json::to_vec(&job).map_err(Error::internal)?,
            None,
        ),
        "[artifact] layer list",
    );
    let mut mounts: Vec<Mount> = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| Mount::ReadOnly {
            dest: format!("{}/{i}", blobtool::INPUT_DIR),
            state: input.state.clone(),
        })
        .collect();
    let tool = State::scratch().file(
        llb::FileActions::new().copy(
            &worker.image,
            &format!("/{}", worker.binary.trim_start_matches('/')),
            &format!("/{SELF_NAME}"),
            llb::CopyOptions {
                follow_symlinks: true,
                ..Default::default()
            },
        ),
        "[artifact] worker binary",
    );
    mounts.push(Mount::ReadOnly {
        dest: SELF_MOUNT.into(),
        state: tool,
    });
    mounts.push(Mount::ReadOnly {
        dest: blobtool::JOB_DIR.into(),
        state: job_state,
    });
    mounts.push(Mount::Output {
        dest: blobtool::OUT_DIR.into(),
    });
    mounts.push(Mount::Output {
        dest: blobtool::REPORT_DIR.into(),
    });
    let binary = format!("{SELF_MOUNT}/{SELF_NAME}");
    let exec = State::scratch().run(
        &ExecOptions {
            args: vec![binary, blobtool::SUBCOMMAND.to_string()],
            env: vec![format!("PATH={SELF_MOUNT}")],
            cwd: "/".to_string(),
            network_none: true,
            ignore_cache,
            custom_name: format!(
                "[artifact] hashing and writing blobs for {} paths",
                job.entries.len()
            ),
        },
        &mounts,
    );
    let (Some(dir), Some(report)) = (exec.output(0), exec.output(1)) else {
        return Err(Error::bug("exec has no outputs"));
    };
    let def = report.marshal();
    gw.caps()
        .require_llb(&def.required_caps(), "hash layers inside the worker")?;
    let report_ref = gw
        .solve(def.into_pb())
        .await
        .context("hashing layers in the worker")?;
    let raw = gw
        .read_all(&report_ref, blobtool::REPORT_FILE, MAX_REPORT)
        .await
        .context("reading the blob report")?;
    Ok((dir.clone(), raw))
}

/// The blobs of every request of `plan`, from the worker's report: each
/// request answered exactly once, by its id.
fn read_report(plan: &Plan, raw: &[u8]) -> Result<BTreeMap<RequestId, Vec<BlobReport>>> {
    let requests = plan.requests();
    let report: Report = serde_json::from_slice(raw)
        .map_err(Error::internal)
        .context("parsing the blob report")?;
    let mut reports: BTreeMap<RequestId, EntryReport> = BTreeMap::new();
    for e in report.entries {
        if let Some(dup) = reports.insert(e.id, e) {
            return Err(Error::bug(format!(
                "the blob report answers request {} twice",
                dup.id
            )));
        }
    }
    let mut blobs = BTreeMap::new();
    for (what, r) in &requests {
        let e = reports
            .remove(&r.id)
            .with_context(|| format!("the blob report has no answer for {what}"))?;
        let found = match &e.error {
            None => e.blobs,
            Some(EntryError::NoMatch) if r.allow_no_match => Vec::new(),
            Some(problem) => return Err(plan.explain(what, r, problem).into()),
        };
        blobs.insert(r.id, found);
    }
    if let Some(extra) = reports.keys().next() {
        return Err(Error::bug(format!(
            "the blob report answers request {extra}, which was not asked"
        )));
    }
    Ok(blobs)
}
