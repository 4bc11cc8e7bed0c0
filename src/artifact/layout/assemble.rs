//! The LLB that writes the layout: blobs from where they are, then the
//! documents on top.
//!
//! Blobs may be in several filesystems: one per exec that wrote them (see
//! the blobs stage's units), or, through the gateway, in the inputs at
//! their own paths. They become one filesystem without a deep stack of
//! ops, because BuildKit's snapshotters limit how many layers one
//! filesystem may stack (Docker's overlay2: 128, "max depth exceeded"):
//!
//! - where the daemon has MergeOp (BuildKit 0.10+ with a snapshotter that
//!   merges, such as Docker's containerd image store), parts are merged
//!   without copying a byte;
//! - elsewhere (Docker 20.10, Docker's classic store, which announces
//!   MergeOp disabled), parts are gathered by copying: each gathering op
//!   sits on the largest part of its group (whose bytes stay where they
//!   are) and copies the others' `blobs/sha256/*` onto it, at most
//!   [`ACTIONS_PER_OP`] parts per op, groups of groups for more. The stack
//!   grows by one op per level, and a level takes 16 times as many parts.
//!
//! Copies from the inputs come in parts of at most [`ACTIONS_PER_OP`]
//! actions, each its own op on scratch: the BuildKit in Docker 20.10 fails
//! long chains copying from one input with "flightcontrol: exceeded retry
//! timeout" (every time near 450 actions, now and then at 64). Many
//! parts are built a group at a time before the whole ([`super::batches`]).

use std::collections::BTreeSet;

use crate::llb::{CopyOptions, FileActions, State};
use crate::oci::{Blob, Layout};

/// Longest action chain we put in one FileOp. BuildKit 0.8 fails chains
/// copying from one input every time at ~450 actions and now and then at
/// 64 ("flightcontrol: exceeded retry timeout"); 16 has held.
pub const ACTIONS_PER_OP: usize = 16;

const BLOBS: &str = "/blobs/sha256";

/// A blob to copy from an input: the state, the path in it, the digest hex.
pub struct Copy {
    /// Where from.
    pub from: State,
    /// Absolute path inside `from`.
    pub src: String,
    /// Blob file name.
    pub hex: String,
}

/// Filesystems holding `blobs/sha256/`, each with about how many bytes.
pub type Parts = Vec<(State, u64)>;

fn blob_path(hex: &str) -> String {
    format!("{BLOBS}/{hex}")
}

fn mkdir(actions: FileActions, mtime_ns: Option<i64>) -> FileActions {
    actions.mkdir(BLOBS, 0o755, true, mtime_ns)
}

/// Copies blob `c` from its input (following a link inside that root).
fn copy_blob(actions: FileActions, c: &Copy, mtime_ns: Option<i64>) -> FileActions {
    let opts = CopyOptions {
        follow_symlinks: true,
        timestamp: mtime_ns,
        wildcard: false,
    };
    actions.copy(&c.from, &c.src, &blob_path(&c.hex), opts)
}

/// Writes blobs we have the bytes of.
fn write_inline(mut actions: FileActions, inline: &[Blob], mtime_ns: Option<i64>) -> FileActions {
    for b in inline {
        actions = actions.mkfile(&blob_path(b.hex()), 0o644, b.data.clone(), mtime_ns);
    }
    actions
}

/// Distinct copies, leaving out blobs `inline` already writes.
fn distinct<'a>(copies: &'a [Copy], inline: &[Blob]) -> Vec<&'a Copy> {
    let mut seen: BTreeSet<&str> = inline.iter().map(Blob::hex).collect();
    copies.iter().filter(|c| seen.insert(&c.hex)).collect()
}

/// Builds the layout filesystem from blobs in their inputs: `inline`
/// blobs written from bytes, each distinct `copies` blob copied from its
/// input, then the manifests, `index.json` and `oci-layout`. `mtime_ns`
/// pins file times (SOURCE_DATE_EPOCH) so a `type=tar` export is
/// reproducible too. A small artifact is one op.
///
/// With it come the batches to build first, one after another (see
/// [`super::batches`]): none unless the parts are more than one batch.
pub fn layout_state(
    copies: &[Copy],
    inline: &[Blob],
    layout: &Layout,
    merge: bool,
    mtime_ns: Option<i64>,
) -> (State, Vec<State>) {
    let copies = distinct(copies, inline);
    // mkdir, inline blobs, manifests, index.json, oci-layout.
    let fixed = 3 + inline.len() + layout.manifests.len();
    if copies.len() + fixed <= ACTIONS_PER_OP {
        let actions = copies
            .iter()
            .fold(mkdir(FileActions::new(), mtime_ns), |a, c| {
                copy_blob(a, c, mtime_ns)
            });
        let actions = write_inline(actions, inline, mtime_ns);
        let state = State::scratch().file(
            documents(actions, layout, mtime_ns),
            "[artifact] assembling OCI layout",
        );
        return (state, Vec::new());
    }
    let parts: Parts = copies
        .chunks(ACTIONS_PER_OP - 1)
        .enumerate()
        .map(|(i, chunk)| {
            let actions = chunk
                .iter()
                .fold(mkdir(FileActions::new(), mtime_ns), |a, c| {
                    copy_blob(a, c, mtime_ns)
                });
            let name = format!("[artifact] copying layer blobs, part {}", i + 1);
            (State::scratch().file(actions, &name), chunk.len() as u64)
        })
        .collect();
    let (base, batches) = combine_in_batches(parts, merge, mtime_ns);
    (on_base(&base, inline, layout, mtime_ns), batches)
}

/// The layout from blobs already in `blobs/sha256/` of `parts`: the parts
/// made one ([`combine`]), then the inline blobs and the documents on top.
pub fn layout_on_blobs(
    parts: Parts,
    inline: &[Blob],
    layout: &Layout,
    merge: bool,
    mtime_ns: Option<i64>,
) -> State {
    on_base(&combine(parts, merge, mtime_ns), inline, layout, mtime_ns)
}

/// The inline blobs and the documents on `base`, the blobs made one.
fn on_base(base: &State, inline: &[Blob], layout: &Layout, mtime_ns: Option<i64>) -> State {
    // Nothing was written (a model whose globs matched nothing, say): the
    // blob directory is ours to make.
    let start = match base.is_scratch() {
        true => mkdir(FileActions::new(), mtime_ns),
        false => FileActions::new(),
    };
    let actions = write_inline(start, inline, mtime_ns);
    base.file(
        documents(actions, layout, mtime_ns),
        "[artifact] writing OCI layout index",
    )
}

/// `parts` as one filesystem: merged, or gathered onto the largest.
///
/// Gathered, the smallest part comes last, in an op of its own: it is the
/// small files' (a model card, a config), the part that changes most, and
/// its change then re-runs a copy of small files, not of the weights, whose
/// gathering BuildKit keeps.
pub fn combine(parts: Parts, merge: bool, mtime_ns: Option<i64>) -> State {
    combine_in_batches(parts, merge, mtime_ns).0
}

/// [`combine`], with the batches that build `parts` a group at a time
/// when there are more than one group: gathered, the first level's groups,
/// which the whole reuses; merged, a merge of each group, which leaves the
/// whole as it is.
fn combine_in_batches(mut parts: Parts, merge: bool, mtime_ns: Option<i64>) -> (State, Vec<State>) {
    let mut batches = Vec::new();
    if merge {
        let states: Vec<State> = parts.into_iter().map(|(s, _)| s).collect();
        if states.len() > ACTIONS_PER_OP {
            batches = (states.chunks(ACTIONS_PER_OP))
                .enumerate()
                .map(|(i, group)| {
                    let name = format!("[artifact] merging blobs (group {})", i + 1);
                    State::merge(group, &name)
                })
                .collect();
        }
        return (
            State::merge(&states, "[artifact] merging the blobs"),
            batches,
        );
    }
    if parts.len() > 2 {
        let smallest = (0..parts.len())
            .min_by_key(|&i| (parts[i].1, std::cmp::Reverse(i)))
            .unwrap_or(0);
        let last = parts.remove(smallest);
        let rest = gather_all(parts, mtime_ns, &mut batches);
        return (
            gather(&[rest, last], mtime_ns, "the smallest part").0,
            batches,
        );
    }
    (gather_all(parts, mtime_ns, &mut batches).0, batches)
}

/// `parts` gathered in groups, groups of groups, until one is left; the
/// first level's groups go to `batches` when there are more than one.
fn gather_all(mut parts: Parts, mtime_ns: Option<i64>, batches: &mut Vec<State>) -> (State, u64) {
    let mut level = 1;
    while parts.len() > 1 {
        parts = parts
            .chunks(ACTIONS_PER_OP)
            .enumerate()
            .map(|(i, group)| gather(group, mtime_ns, &format!("level {level}, group {}", i + 1)))
            .collect();
        if level == 1 && parts.len() > 1 {
            batches.extend(parts.iter().map(|(s, _)| s.clone()));
        }
        level += 1;
    }
    parts.pop().unwrap_or_else(|| (State::scratch(), 0))
}

/// One gathering op: the group's largest part, with the others'
/// `blobs/sha256/*` copied onto it.
fn gather(group: &[(State, u64)], mtime_ns: Option<i64>, which: &str) -> (State, u64) {
    let Some(largest) = (0..group.len()).max_by_key(|&i| (group[i].1, std::cmp::Reverse(i))) else {
        return (State::scratch(), 0);
    };
    if group.len() == 1 {
        return group[0].clone();
    }
    let opts = CopyOptions {
        follow_symlinks: false,
        timestamp: mtime_ns,
        wildcard: true,
    };
    let actions = group
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != largest)
        .fold(FileActions::new(), |a, (_, (from, _))| {
            a.copy(
                from,
                &format!("{BLOBS}/*"),
                &format!("{BLOBS}/"),
                opts.clone(),
            )
        });
    let bytes = group
        .iter()
        .fold(0u64, |sum, (_, b)| sum.saturating_add(*b));
    let name = format!("[artifact] gathering blobs ({which})");
    (group[largest].0.file(actions, &name), bytes)
}

/// Appends the manifest blobs, `index.json` and `oci-layout`: written last,
/// once every blob they point to is in place.
fn documents(mut actions: FileActions, layout: &Layout, mtime_ns: Option<i64>) -> FileActions {
    for m in &layout.manifests {
        actions = actions.mkfile(&blob_path(m.hex()), 0o644, m.data.clone(), mtime_ns);
    }
    actions
        .mkfile("/index.json", 0o644, layout.index_json.clone(), mtime_ns)
        .mkfile("/oci-layout", 0o644, layout.oci_layout.clone(), mtime_ns)
}

#[cfg(test)]
#[path = "assemble_tests.rs"]
mod tests;
