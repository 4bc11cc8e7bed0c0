//! Running the blob writer (see [`crate::blobtool`]) inside the worker,
//! as an ExecOp of our own binary ([`Worker`], found by
//! [`crate::artifact::inputs::worker`]).
//!
//! No mount of such an exec is an overlay with an upper directory: its
//! unmount flushes everything the exec wrote to disk before the step ends
//! (seen with strace on Docker 20.10: 0.8 s for 2 GiB). So the root is
//! scratch, and the outputs are mounts of their own.

use crate::blobtool::{self, Job};
use crate::gateway::Gateway;
use crate::llb::{self, ExecOptions, Mount, State};

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::inputs::solve;

pub use crate::artifact::inputs::worker::{TOOL_MOUNT, Worker, find};

/// Largest report we read back (about 150 bytes a blob).
const MAX_REPORT: u64 = 256 << 20;

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
            dest: TOOL_MOUNT.into(),
            state: self.tool().clone(),
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
                args: vec![Worker::binary(), blobtool::SUBCOMMAND.to_string()],
                env: vec![format!("PATH={TOOL_MOUNT}")],
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
