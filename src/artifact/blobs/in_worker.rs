//! Hashing in the worker, in three steps:
//!
//! 1. list: one exec expands every glob and checks every path (as writing
//!    would), with sizes; it only stats, so it costs little when it runs
//!    again after an edit;
//! 2. split: the paths become [`units`](super::units), a big file or a
//!    directory each, small files together;
//! 3. write: one exec per unit, each mounting only its paths where it
//!    can and naming nothing but them, so BuildKit keeps every unit whose
//!    files did not change, whatever was added around them.
//!
//! The answer is every request's blobs, and the units' outputs, which the
//! layout puts together.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;

use crate::blobtool::{
    BlobReport, Compression, Entry, EntryError, EntryId, EntryListing, Found, Job, Listing,
    PackOptions, Report,
};
use crate::gateway::Gateway;
use crate::llb::{Mount, State};

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::plan::{BlobRequest, Plan, RequestId};

use super::units::{self, Task, Unit};
use super::worker::{self, Failure, Run, Worker};

/// What the worker wrote.
pub struct Written {
    /// Per unit, the filesystem holding its `blobs/sha256/`, and about how
    /// many bytes that is.
    pub parts: Vec<(State, u64)>,
    /// Per request, its blobs (several for a glob).
    pub blobs: BTreeMap<RequestId, Vec<BlobReport>>,
    /// OCI layouts globs passed over: (input, directory).
    pub skipped_layouts: Vec<(usize, String)>,
}

/// Lists, splits and writes the blobs of every request of `plan`.
pub async fn write<G: Gateway>(
    gw: &G,
    worker: &Worker,
    plan: &Plan,
    ignore_cache: bool,
) -> Result<Written, Failure> {
    let requests = plan.requests();
    let listing = list(gw, worker, plan, ignore_cache)
        .await
        .map_err(Failure::Exec)?;
    let found = answers(gw, plan, &requests, listing.entries)
        .await
        .map_err(Failure::Final)?;
    let (tasks, asked_by, per_request) = tasks(&requests, &found);
    let units = units::split(&tasks);
    let runs = units
        .iter()
        .map(|u| worker.run(gw, unit_run(plan, &tasks, u), ignore_cache));
    let ran = try_join_all(runs).await.map_err(Failure::Exec)?;
    let mut written: Vec<Option<BlobReport>> = vec![None; tasks.len()];
    let mut parts = Vec::new();
    for (unit, ran) in units.iter().zip(ran) {
        let report = parse::<Report>(&ran.report, "blob report").map_err(Failure::Final)?;
        for e in report.entries {
            // The unit numbers its own entries.
            let t = unit.tasks.get(e.id.0 as usize).copied();
            let (Some(&asker), Some(slot)) = (
                t.and_then(|t| asked_by.get(t)),
                t.and_then(|t| written.get_mut(t)),
            ) else {
                return Err(Failure::Final(Error::bug(format!(
                    "the blob report answers entry {}, which was not asked",
                    e.id
                ))));
            };
            let (what, r) = &requests[asker];
            match (e.error, e.blobs.into_iter().next()) {
                (Some(problem), _) => {
                    return Err(Failure::Final(plan.explain(what, r, &problem).into()));
                }
                (None, Some(b)) => *slot = Some(b),
                (None, None) => {}
            }
        }
        let blobs = ran
            .blobs
            .context("a writing exec without output")
            .map_err(Failure::Final)?;
        parts.push((blobs, unit.bytes(&tasks)));
    }
    let mut blobs = BTreeMap::new();
    for (id, ts) in per_request {
        let mut mine = Vec::with_capacity(ts.len());
        for t in ts {
            let b = written[t]
                .clone()
                .with_context(|| format!("the blob report has no answer for {}", tasks[t].path))
                .map_err(Failure::Final)?;
            mine.push(b);
        }
        blobs.insert(id, mine);
    }
    Ok(Written {
        parts,
        blobs,
        skipped_layouts: listing.skipped_layouts,
    })
}

/// Runs the listing of every request.
async fn list<G: Gateway>(
    gw: &G,
    worker: &Worker,
    plan: &Plan,
    ignore_cache: bool,
) -> Result<Listing> {
    let requests = plan.requests();
    let job = Job {
        list: true,
        entries: requests
            .iter()
            .enumerate()
            .map(|(i, (_, r))| Entry {
                id: EntryId(i as u32),
                source: r.input,
                path: r.path.clone(),
                shown: None,
                glob: r.glob,
                allow_dir: r.allow_dir,
                compression: r.compression,
                pack: r.pack.clone(),
            })
            .collect(),
        mtime: plan.epoch,
    };
    let mounts: Vec<Mount> = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| worker::whole(i, &input.state))
        .collect();
    let run = Run {
        name: format!(
            "[artifact] listing the files of {} paths",
            job.entries.len()
        ),
        job,
        mounts,
        writes: false,
    };
    let ran = worker.run(gw, run, ignore_cache).await?;
    parse(&ran.report, "listing")
}

fn parse<T: serde::de::DeserializeOwned>(raw: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(raw)
        .map_err(Error::internal)
        .with_context(|| format!("parsing the blob writer's {what}"))
}

/// Per request (in [`Plan::requests`] order), what it names: each answered
/// exactly once; a problem found is explained at its line.
async fn answers<G: Gateway>(
    gw: &G,
    plan: &Plan,
    requests: &[(String, &BlobRequest)],
    listed: Vec<EntryListing>,
) -> Result<Vec<Vec<Found>>> {
    let mut found: Vec<Option<Vec<Found>>> = vec![None; requests.len()];
    for e in listed {
        let i = e.id.0 as usize;
        let (Some(slot), Some((what, r))) = (found.get_mut(i), requests.get(i)) else {
            return Err(Error::bug(format!(
                "the listing answers entry {}, which was not asked",
                e.id
            )));
        };
        if slot.is_some() {
            return Err(Error::bug(format!("the listing answers {what} twice")));
        }
        *slot = Some(match &e.error {
            None => e.found,
            Some(EntryError::NoMatch) if r.allow_no_match => Vec::new(),
            Some(problem) => return Err(super::missing::explain(gw, plan, what, r, problem).await),
        });
    }
    found
        .into_iter()
        .zip(requests)
        .map(|(f, (what, _))| f.with_context(|| format!("the listing has no answer for {what}")))
        .collect()
}

/// The distinct blobs to write; per blob, the first request (its index)
/// that asked for it, which a problem writing it is explained by; and per
/// request which blobs it gives, in order. Two requests naming one path
/// packed one way share its blob.
type Tasks = (Vec<Task>, Vec<usize>, Vec<(RequestId, Vec<usize>)>);

/// What decides a blob's bytes: a path of an input, and how it is packed.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct TaskKey {
    input: usize,
    path: String,
    compression: Compression,
    pack: PackOptions,
}

fn tasks(requests: &[(String, &BlobRequest)], found: &[Vec<Found>]) -> Tasks {
    let mut tasks: Vec<Task> = Vec::new();
    let mut asked_by = Vec::new();
    let mut index: BTreeMap<TaskKey, usize> = BTreeMap::new();
    let mut per_request = Vec::new();
    for (i, ((_, r), found)) in requests.iter().zip(found).enumerate() {
        let pack = PackOptions {
            tar_files: r.pack.tar_files,
            path_names: r.pack.path_names,
            ..Default::default()
        };
        let mut mine = Vec::new();
        for f in found {
            let key = TaskKey {
                input: r.input,
                path: f.path.clone(),
                compression: r.compression,
                pack: pack.clone(),
            };
            let t = *index.entry(key).or_insert_with(|| {
                tasks.push(Task {
                    input: r.input,
                    path: f.path.clone(),
                    resolved: f.resolved.clone().unwrap_or_else(|| f.path.clone()),
                    dir: f.dir,
                    size: f.size,
                    compression: r.compression,
                    pack: pack.clone(),
                    layout: r.expect.as_ref().map(|e| e.layout.clone()),
                });
                asked_by.push(i);
                tasks.len() - 1
            });
            mine.push(t);
        }
        per_request.push((r.id, mine));
    }
    (tasks, asked_by, per_request)
}

/// The exec that writes `unit`. Its op holds the unit's own files and
/// nothing of their places in the plan, because BuildKit keys the exec by
/// its op (and the content of what it mounts): entries are numbered within
/// the unit (the report is read back through [`Unit::tasks`]), and inputs
/// by the order the unit first mounts them (`/in/0`, `/in/1`), not by their
/// `FROM` line. So a file or a line added, removed or moved elsewhere (a
/// `LICENSE`, a `LAYER` line above, a `FROM` line) leaves the exec cached.
fn unit_run(plan: &Plan, tasks: &[Task], unit: &Unit) -> Run {
    // Per unit-local input number, the plan's input.
    let mut inputs: Vec<usize> = Vec::new();
    let own: Vec<(usize, &Task)> = unit
        .tasks
        .iter()
        .map(|&t| {
            let task = &tasks[t];
            let n = match inputs.iter().position(|&i| i == task.input) {
                Some(n) => n,
                None => {
                    inputs.push(task.input);
                    inputs.len() - 1
                }
            };
            (n, task)
        })
        .collect();
    let entries = own
        .iter()
        .enumerate()
        .map(|(k, &(n, task))| Entry {
            id: EntryId(k as u32),
            source: n,
            path: task.resolved.clone(),
            shown: (task.resolved != task.path).then(|| task.path.clone()),
            glob: false,
            allow_dir: true,
            compression: task.compression,
            pack: task.pack.clone(),
        })
        .collect();
    let mounts = if unit.whole {
        inputs
            .iter()
            .enumerate()
            .map(|(n, &i)| worker::whole(n, &plan.inputs[i].state))
            .collect()
    } else {
        own.iter()
            .map(|&(n, task)| worker::selected(n, &plan.inputs[task.input].state, &task.resolved))
            .collect()
    };
    Run {
        job: Job {
            list: false,
            entries,
            mtime: plan.epoch,
        },
        mounts,
        name: unit.name(tasks),
        writes: true,
    }
}

#[cfg(test)]
#[path = "in_worker_tests.rs"]
mod tests;
