//! Running the blob writer (see [`crate::blobtool`]) inside the worker.
//!
//! The frontend runs its own image as an ExecOp. The image is the exact
//! one buildkitd started us from: `frontend.bin` (BuildKit 0.10+) holds
//! its definition, and on older daemons the `source` option names it,
//! which we pin to a digest so a moved tag can't swap binaries.
//!
//! No mount of such an exec is an overlay with an upper directory: its
//! unmount flushes everything the exec wrote to disk before the step ends
//! (seen with strace on Docker 20.10: 0.8 s for 2 GiB). So the root is
//! scratch, and our binary is copied out of our image onto scratch (once:
//! BuildKit caches the copy by the image's digest) and mounted from there,
//! because Docker mounts an image's layers with a writable layer on top.

use prost::Message as _;
use serde::Deserialize;

use crate::blobtool::{self, Job};
use crate::gateway::{Gateway, cap};
use crate::llb::{self, ExecOptions, ImageRef, Mount, State, caps};
use crate::proto::pb;

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::inputs::solve;
use crate::artifact::request::Config;

/// Where our binary is mounted in the exec, whose root is scratch.
const SELF_MOUNT: &str = "/frontend";
/// Its name there.
const SELF_NAME: &str = "artifact-frontend";
/// Where our image keeps the binary (its entrypoint).
const DEFAULT_BINARY: &str = "/artifact-frontend";
/// Largest report we read back (about 150 bytes a blob).
const MAX_REPORT: u64 = 256 << 20;

/// Our binary, ready to run in the worker.
pub struct Worker {
    /// A scratch filesystem holding only the binary.
    tool: State,
}

impl Worker {
    /// The scratch filesystem holding our binary, for an exec of another
    /// subcommand (the registry push): mount it at [`SELF_MOUNT`] and run
    /// [`Worker::binary`].
    pub fn tool(&self) -> &State {
        &self.tool
    }

    /// Where the binary is, with the tool mounted at [`SELF_MOUNT`].
    pub fn binary() -> String {
        format!("{SELF_MOUNT}/{SELF_NAME}")
    }
}

/// Where [`Worker::tool`] is mounted.
pub const TOOL_MOUNT: &str = SELF_MOUNT;

/// The worker, when the daemon can run processes and we can tell which
/// image we run from; `None` sends the build through the gateway.
pub async fn find<G: Gateway>(gw: &G, cfg: &Config) -> Result<Option<Worker>> {
    let exec = [caps::EXEC_META_BASE, caps::EXEC_MOUNT_BIND].map(String::from);
    if gw.caps().require_llb(&exec, "").is_err() {
        return Ok(None);
    }
    let found = self_image(gw, cfg.own_definition.as_deref(), cfg.own_image.as_deref()).await?;
    Ok(found.map(|(image, binary)| Worker {
        tool: State::scratch().file(
            llb::FileActions::new().copy(
                &image,
                &format!("/{}", binary.trim_start_matches('/')),
                &format!("/{SELF_NAME}"),
                llb::CopyOptions {
                    follow_symlinks: true,
                    ..Default::default()
                },
            ),
            "[artifact] worker binary",
        ),
    }))
}

/// Our own image as a state, and the binary to run in it. `None` when we
/// can't tell which image we run from.
async fn self_image<G: Gateway>(
    gw: &G,
    definition: Option<&[u8]>,
    source: Option<&str>,
) -> Result<Option<(State, String)>> {
    if let Some(bytes) = definition {
        let def = pb::Definition::decode(bytes)
            .map_err(Error::internal)
            .context("decoding frontend.bin")?;
        return Ok(Some((
            State::from_definition(&def)?,
            DEFAULT_BINARY.to_string(),
        )));
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
    Ok(Some((llb::image(&pinned, None), entrypoint(&config))))
}

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

/// One run of the blob writer: its job, what it mounts, and its name in
/// the progress output.
pub struct Run {
    /// The job.
    pub job: Job,
    /// The inputs, mounted under `/in`.
    pub mounts: Vec<Mount>,
    /// The step's name.
    pub name: String,
    /// Whether it writes blobs (else it only lists).
    pub writes: bool,
}

/// What a run left: its blobs (when it writes) and its report.
pub struct Ran {
    /// The filesystem holding `blobs/sha256/`.
    pub blobs: Option<State>,
    /// The report's bytes.
    pub report: Vec<u8>,
}

/// Why the worker gave no blobs, which decides whether the gateway may
/// still be tried.
#[derive(Debug)]
pub enum Failure {
    /// An exec could not be run or its report not read (a daemon that
    /// can't run our image, say): hashing through the gateway may work.
    Exec(Error),
    /// It ran and reported: a problem it found in the input is the
    /// user's, and a bad report is ours; the gateway would not do better.
    Final(Error),
}

/// A run as LLB: the exec's blobs output (when it writes) and its report
/// output.
pub struct Exec {
    /// The filesystem holding `blobs/sha256/`.
    pub blobs: Option<State>,
    /// The filesystem holding the report.
    pub report: State,
}

impl Worker {
    /// Runs `run` (again even if BuildKit has it cached, with
    /// `ignore_cache`) and reads its report back.
    pub async fn run<G: Gateway>(&self, gw: &G, run: Run, ignore_cache: bool) -> Result<Ran> {
        let exec = self.exec(run, ignore_cache)?;
        let report_ref = solve::checked(
            gw,
            &exec.report,
            "hash layers inside the worker",
            "hashing layers in the worker",
        )
        .await?;
        let report = gw
            .read_all(&report_ref, blobtool::REPORT_FILE, MAX_REPORT)
            .await
            .context("reading the blob writer's report")?;
        Ok(Ran {
            blobs: exec.blobs,
            report,
        })
    }

    /// The exec that runs `run`: everything in its op (arguments, mount
    /// paths, the job file) comes from `run` alone, which is what BuildKit
    /// keys its cache by, beside the content of what it mounts.
    pub fn exec(&self, run: Run, ignore_cache: bool) -> Result<Exec> {
        let job_state = State::scratch().file(
            llb::FileActions::new().mkfile(
                &format!("/{}", blobtool::JOB_FILE),
                0o644,
                serde_json::to_vec(&run.job).map_err(Error::internal)?,
                None,
            ),
            "[artifact] blob writer's job",
        );
        let mut mounts = run.mounts;
        mounts.push(Mount::ReadOnly {
            dest: SELF_MOUNT.into(),
            state: self.tool.clone(),
        });
        mounts.push(Mount::ReadOnly {
            dest: blobtool::JOB_DIR.into(),
            state: job_state,
        });
        if run.writes {
            mounts.push(Mount::Output {
                dest: blobtool::OUT_DIR.into(),
            });
        }
        mounts.push(Mount::Output {
            dest: blobtool::REPORT_DIR.into(),
        });
        let exec = State::scratch().run(
            &ExecOptions {
                args: vec![
                    format!("{SELF_MOUNT}/{SELF_NAME}"),
                    blobtool::SUBCOMMAND.to_string(),
                ],
                env: vec![format!("PATH={SELF_MOUNT}")],
                cwd: "/".to_string(),
                network_none: true,
                ignore_cache,
                custom_name: run.name,
                ..Default::default()
            },
            &mounts,
        );
        let (blobs, report) = match run.writes {
            true => (exec.output(0).cloned(), exec.output(1)),
            false => (None, exec.output(0)),
        };
        let report = report
            .cloned()
            .context("the blob writer's exec has no report output")?;
        Ok(Exec { blobs, report })
    }
}

/// Input `state` mounted whole where the writer looks for the job's input
/// number `input`.
pub fn whole(input: usize, state: &State) -> Mount {
    Mount::ReadOnly {
        dest: format!("{}/{input}", blobtool::INPUT_DIR),
        state: state.clone(),
    }
}

/// Path `path` of input `state` mounted alone, where the writer looks for
/// it in the job's input number `input`.
pub fn selected(input: usize, state: &State, path: &str) -> Mount {
    Mount::Selected {
        dest: format!("{}/{input}/{path}", blobtool::INPUT_DIR),
        state: state.clone(),
        path: format!("/{path}"),
    }
}

#[cfg(test)]
impl Worker {
    /// A worker whose binary is in `tool`.
    pub fn with_tool(tool: State) -> Worker {
        Worker { tool }
    }
}
