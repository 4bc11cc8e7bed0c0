//! The LLB that writes the layout.
//!
//! With blobs written by the worker, only the JSON documents are added on
//! top. Through the gateway, layer files are copied from their inputs in
//! FileOps. The reference `artifact.v0` stacks one op per layer; every op is
//! one more overlay lower dir, and the mount fails near 400 layers. We chain
//! actions inside a FileOp instead, but a chain can't be long either: the
//! BuildKit in Docker 20.10 fails chains copying from one input with
//! "flightcontrol: exceeded retry timeout" around 450 actions. So blobs are
//! copied in parts of at most [`ACTIONS_PER_OP`] actions, each its own op on
//! scratch, gathered into the layout by copying their `blobs/sha256`
//! directories, in a fan-in tree if there are many. Small artifacts, the
//! common case, stay one op.

use std::collections::BTreeSet;

use crate::llb::{CopyOptions, FileActions, State};
use crate::oci::{Blob, Layout};

/// Longest action chain we put in one FileOp.
pub const ACTIONS_PER_OP: usize = 64;

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

/// Builds the layout filesystem on scratch: `inline` blobs written from
/// bytes, each distinct `copies` blob copied from its input, then the
/// manifest, `index.json` and `oci-layout`. `mtime_ns` pins file times
/// (SOURCE_DATE_EPOCH) so a `type=tar` export is reproducible too.
pub fn layout_state(
    copies: &[Copy],
    inline: &[Blob],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let mut written: BTreeSet<&str> = BTreeSet::new();
    let mut actions = FileActions::new().mkdir(BLOBS, 0o755, true, mtime_ns);
    for b in inline {
        if written.insert(b.hex()) {
            actions = actions.mkfile(
                &format!("{BLOBS}/{}", b.hex()),
                0o644,
                b.data.clone(),
                mtime_ns,
            );
        }
    }
    let copies: Vec<&Copy> = copies.iter().filter(|c| written.insert(&c.hex)).collect();
    let file_copy = CopyOptions {
        follow_symlinks: true,
        timestamp: mtime_ns,
        ..Default::default()
    };
    // mkdir, inline blobs, manifests, index.json, oci-layout.
    let fixed = 3 + inline.len() + layout.manifests.len();
    if copies.len() + fixed <= ACTIONS_PER_OP {
        for c in &copies {
            actions = actions.copy(
                &c.from,
                &c.src,
                &format!("{BLOBS}/{}", c.hex),
                file_copy.clone(),
            );
        }
    } else {
        let parts: Vec<State> = copies
            .chunks(ACTIONS_PER_OP - 1)
            .enumerate()
            .map(|(i, chunk)| {
                let mut a = FileActions::new().mkdir(BLOBS, 0o755, true, mtime_ns);
                for c in chunk {
                    a = a.copy(
                        &c.from,
                        &c.src,
                        &format!("{BLOBS}/{}", c.hex),
                        file_copy.clone(),
                    );
                }
                State::scratch().file(
                    a,
                    &format!("[artifact] copying layer blobs, part {}", i + 1),
                )
            })
            .collect();
        for part in gather(parts, ACTIONS_PER_OP.saturating_sub(fixed).max(2), mtime_ns) {
            actions = actions.copy(&part, BLOBS, BLOBS, dir_contents(mtime_ns));
        }
    }
    State::scratch().file(
        documents(actions, layout, mtime_ns),
        "[artifact] assembling OCI layout",
    )
}

/// The layout on top of blobs the worker already wrote: only `inline`
/// blobs and the JSON documents are added.
pub fn layout_on_blobs(
    blobs: &State,
    inline: &[Blob],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let mut actions = FileActions::new();
    for b in inline {
        actions = actions.mkfile(
            &format!("{BLOBS}/{}", b.hex()),
            0o644,
            b.data.clone(),
            mtime_ns,
        );
    }
    blobs.file(
        documents(actions, layout, mtime_ns),
        "[artifact] writing OCI layout index",
    )
}

/// Appends the manifest blob, `index.json` and `oci-layout`: written last,
/// once every blob they point to is in place.
fn documents(mut actions: FileActions, layout: &Layout, mtime_ns: Option<i64>) -> FileActions {
    for m in &layout.manifests {
        actions = actions.mkfile(
            &format!("{BLOBS}/{}", m.hex()),
            0o644,
            m.data.clone(),
            mtime_ns,
        );
    }
    actions
        .mkfile("/index.json", 0o644, layout.index_json.clone(), mtime_ns)
        .mkfile("/oci-layout", 0o644, layout.oci_layout.clone(), mtime_ns)
}

fn dir_contents(mtime_ns: Option<i64>) -> CopyOptions {
    CopyOptions {
        dir_copy_contents: true,
        create_dest_path: true,
        timestamp: mtime_ns,
        ..Default::default()
    }
}

/// Merges parts (each holding some of `blobs/sha256`) until at most `max`
/// remain, `max - 1` parts per merging op.
fn gather(mut parts: Vec<State>, max: usize, mtime_ns: Option<i64>) -> Vec<State> {
    while parts.len() > max {
        parts = parts
            .chunks(max - 1)
            .map(|group| {
                let mut a = FileActions::new().mkdir(BLOBS, 0o755, true, mtime_ns);
                for p in group {
                    a = a.copy(p, BLOBS, BLOBS, dir_contents(mtime_ns));
                }
                State::scratch().file(a, "[artifact] gathering layer blobs")
            })
            .collect();
    }
    parts
}
