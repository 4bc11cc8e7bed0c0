//! A job as a work list, and the work's results as the report. Globs are
//! expanded before anything is written, so every blob to write is known,
//! in order, before the threads start; each result is then put back under
//! the entry it answers, in the place of its match.

use std::path::PathBuf;

use super::glob;
use super::job::{BlobReport, EntryError, EntryListing, EntryReport, Found, Job, Listing, Report};

/// One unit of work: a single path of an entry (a glob expands to many).
pub(super) struct Task {
    /// Index of its entry in the job.
    pub entry: usize,
    /// Its place among the entry's blobs (the match's, for a glob).
    pub slot: usize,
    /// The path to read, relative to the entry's input root.
    pub path: String,
}

/// What one task gave; `None` when no thread got to report it.
pub(super) type Outcome = Option<Result<BlobReport, EntryError>>;

/// The tasks of a job, and the reports of its entries so far (errors
/// found while expanding globs).
pub(super) struct Work {
    entries: Vec<EntryReport>,
    /// Every blob to write, entry by entry, matches in sorted order.
    pub tasks: Vec<Task>,
    /// OCI layouts the globs passed over: (input, directory).
    pub skipped_layouts: Vec<(usize, String)>,
}

impl Work {
    /// Expands `job` into tasks; `root(i)` is where input `i` is.
    pub fn expand(job: &Job, root: &dyn Fn(usize) -> PathBuf) -> Work {
        let mut entries = blank(job);
        let mut tasks = Vec::new();
        let mut skipped_layouts = Vec::new();
        for (i, e) in job.entries.iter().enumerate() {
            let paths = if e.glob {
                match glob::expand_noting(&root(e.source), &e.path, &e.pack) {
                    Ok(x) => {
                        let skipped = x.skipped_layouts.into_iter().map(|d| (e.source, d));
                        skipped_layouts.extend(skipped);
                        if x.matches.is_empty() {
                            Err(EntryError::NoMatch)
                        } else {
                            Ok(x.matches)
                        }
                    }
                    Err(e) => Err(e),
                }
            } else {
                Ok(vec![e.path.clone()])
            };
            match paths {
                Ok(paths) => tasks.extend(paths.into_iter().enumerate().map(|(slot, path)| Task {
                    entry: i,
                    slot,
                    path,
                })),
                Err(e) => entries[i].error = Some(e),
            }
        }
        skipped_layouts.sort();
        skipped_layouts.dedup();
        Work {
            entries,
            tasks,
            skipped_layouts,
        }
    }

    /// The listing: each task's outcome (`found[t]` answers
    /// `self.tasks[t]`) under its entry. An entry with an error lists
    /// nothing.
    pub fn listing(self, found: Vec<Result<Found, EntryError>>) -> Listing {
        let Work {
            entries,
            tasks,
            skipped_layouts,
        } = self;
        let mut listed: Vec<EntryListing> = entries
            .into_iter()
            .map(|e| EntryListing {
                id: e.id,
                found: Vec::new(),
                error: e.error,
            })
            .collect();
        for (task, r) in tasks.iter().zip(found) {
            let entry = &mut listed[task.entry];
            match r {
                Ok(f) => entry.found.push(f),
                Err(e) => {
                    entry.error.get_or_insert(e);
                }
            }
        }
        for e in &mut listed {
            if e.error.is_some() {
                e.found.clear();
            }
        }
        Listing {
            entries: listed,
            skipped_layouts,
        }
    }

    /// The report: each task's outcome (`outcomes[t]` answers
    /// `self.tasks[t]`) under its entry. An entry with an error reports no
    /// partial blobs.
    pub fn report(self, outcomes: Vec<Outcome>) -> Report {
        let Work {
            mut entries, tasks, ..
        } = self;
        for (task, r) in tasks.iter().zip(outcomes) {
            let report = &mut entries[task.entry];
            match r {
                Some(Ok(b)) => {
                    debug_assert_eq!(report.blobs.len(), task.slot);
                    report.blobs.push(b);
                }
                Some(Err(e)) => {
                    report.error.get_or_insert(e);
                }
                None => {
                    report.error.get_or_insert(EntryError::Io {
                        path: task.path.clone(),
                        detail: "the worker thread stopped".into(),
                    });
                }
            }
        }
        for r in &mut entries {
            if r.error.is_some() {
                r.blobs.clear();
            }
        }
        Report { entries }
    }
}

/// The report when nothing can be written (the blob directory can't be
/// made): every entry fails with `detail`.
pub(super) fn unwritable(job: &Job, detail: &str) -> Report {
    let mut entries = blank(job);
    for (r, entry) in entries.iter_mut().zip(&job.entries) {
        r.error = Some(EntryError::Io {
            path: entry.path.clone(),
            detail: detail.to_string(),
        });
    }
    Report { entries }
}

/// One report per entry, naming its request, with nothing in it yet.
fn blank(job: &Job) -> Vec<EntryReport> {
    job.entries
        .iter()
        .map(|e| EntryReport {
            id: e.id,
            ..Default::default()
        })
        .collect()
}
