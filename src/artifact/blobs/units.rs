//! Which blobs are written together. BuildKit caches an exec as a whole,
//! so one exec writing every blob would hash a 140 GB model again for a
//! typo in its model card. Each big file (and each directory, packed as a
//! tar) is written by an exec of its own that mounts only that path, so
//! BuildKit keys it by that path's content alone: the card's edit costs
//! the card. Small files share one exec; they are cheap to hash again.
//!
//! Pure: the listing in, the units out, so the rule is tested here.

use sha2::{Digest as _, Sha256};

use crate::blobtool::{Compression, PackOptions};

/// A file of this many bytes or more is written by an exec of its own.
pub const BIG_FILE: u64 = 64 << 20;
/// Most execs of their own; beyond, big files and directories share execs
/// by a hash of their path (so one changed file costs its share).
pub const MAX_SEPARATE: usize = 32;
/// Most paths one exec mounts one by one; an exec of more small files
/// mounts their inputs whole (then any change to an input writes its small
/// files again).
pub const MAX_SELECTED: usize = 64;

/// One blob to write: a path of an input, packed one way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Which input.
    pub input: usize,
    /// The path asked for (what the blob is reported as).
    pub path: String,
    /// Where its links lead: what is mounted and read.
    pub resolved: String,
    /// A directory, packed as a tar.
    pub dir: bool,
    /// Its bytes (a directory's: of the files under it).
    pub size: u64,
    /// How a tar of it is compressed.
    pub compression: Compression,
    /// How it is packed.
    pub pack: PackOptions,
    /// For a blob taken from an OCI layout, that layout (`layout "base"`):
    /// its bytes are copied and checked against their digest, not new.
    pub layout: Option<String>,
}

/// Tasks written by one exec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Indexes into the task list, in the order the exec writes them: by
    /// path, so that where the tasks stand in the plan (which a line added
    /// above them changes) is not part of the exec.
    pub tasks: Vec<usize>,
    /// Mount the tasks' inputs whole, not each path alone.
    pub whole: bool,
}

impl Unit {
    /// The bytes it writes, about (before compression).
    pub fn bytes(&self, tasks: &[Task]) -> u64 {
        self.tasks.iter().map(|&t| tasks[t].size).sum()
    }

    /// Its step's name, saying what it does: new files are hashed and
    /// written (`hashing and writing model.bin`, `... 4 files`), blobs
    /// taken from a layout are copied and checked against their digests
    /// (`copying and checking 3 blobs of layout "base"`), with about how
    /// many MiB in all.
    pub fn name(&self, tasks: &[Task]) -> String {
        let (taken, new): (Vec<&Task>, Vec<&Task>) = self
            .tasks
            .iter()
            .map(|&t| &tasks[t])
            .partition(|t| t.layout.is_some());
        let mut doing = Vec::new();
        match new.as_slice() {
            [] => {}
            [one] => doing.push(format!("hashing and writing {}", one.path)),
            many => doing.push(format!("hashing and writing {} files", many.len())),
        }
        if !taken.is_empty() {
            let mut layouts: Vec<&str> = taken.iter().filter_map(|t| t.layout.as_deref()).collect();
            layouts.sort_unstable();
            layouts.dedup();
            let blobs = match taken.len() {
                1 => "1 blob".to_string(),
                n => format!("{n} blobs"),
            };
            let of = match layouts.as_slice() {
                [one] => one.to_string(),
                many => format!("{} layouts", many.len()),
            };
            doing.push(format!("copying and checking {blobs} of {of}"));
        }
        let mib = self.bytes(tasks) as f64 / 1048576.0;
        format!("[artifact] {} ({mib:.1} MiB)", doing.join(", "))
    }
}

/// The units that write `tasks`, ordered by their first task. Which tasks
/// share a unit, and their order in it, depend on the tasks alone, never
/// on their places in the list or on their input's number.
pub fn split(tasks: &[Task]) -> Vec<Unit> {
    let (separate, small): (Vec<usize>, Vec<usize>) =
        (0..tasks.len()).partition(|&t| tasks[t].dir || tasks[t].size >= BIG_FILE);
    let mut units: Vec<Unit> = if separate.len() <= MAX_SEPARATE {
        separate
            .into_iter()
            .map(|t| Unit {
                tasks: vec![t],
                whole: false,
            })
            .collect()
    } else {
        let mut buckets: Vec<Vec<usize>> = vec![Vec::new(); MAX_SEPARATE];
        for t in separate {
            buckets[bucket(&tasks[t])].push(t);
        }
        buckets
            .into_iter()
            .filter(|b| !b.is_empty())
            .map(|b| Unit {
                whole: nested(tasks, &b),
                tasks: b,
            })
            .collect()
    };
    if !small.is_empty() {
        units.push(Unit {
            whole: small.len() > MAX_SELECTED || nested(tasks, &small),
            tasks: small,
        });
    }
    for u in &mut units {
        // Stable: the same path of two inputs keeps the plan's order.
        u.tasks.sort_by(|&a, &b| {
            (&tasks[a].resolved, &tasks[a].path).cmp(&(&tasks[b].resolved, &tasks[b].path))
        });
    }
    units.sort_by_key(|u| u.tasks.iter().min().copied());
    units
}

/// A bucket for `t`, the same on every build: by its path alone (an
/// input's number changes when a `FROM` line is added above it).
fn bucket(t: &Task) -> usize {
    let h = Sha256::new_with_prefix(&t.resolved).finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    (u64::from_be_bytes(first) % MAX_SEPARATE as u64) as usize
}

/// Whether two of `unit`'s paths would be mounted one inside (or over)
/// the other, which read-only mounts can't be.
fn nested(tasks: &[Task], unit: &[usize]) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    let paths: Vec<(usize, &str)> = unit
        .iter()
        .map(|&t| (tasks[t].input, tasks[t].resolved.as_str()))
        .collect();
    // The same path twice is two mounts over one another.
    if !paths.iter().all(|p| seen.insert(*p)) {
        return true;
    }
    paths.iter().any(|(input, path)| {
        path.match_indices('/')
            .any(|(i, _)| seen.contains(&(*input, &path[..i])))
    })
}

#[cfg(test)]
#[path = "units_tests.rs"]
mod tests;
