//! The LLB that writes the layout.
//!
//! With blobs written by the worker, the JSON documents go on top of its
//! output in one FileOp. Through the gateway, layer files are copied from their inputs in FileOps.
//! The reference `artifact.v0` stacks one op per layer, and the overlay
//! mount fails near 400 layers. Chaining actions inside one FileOp avoids
//! that, but a chain can't be long either: the BuildKit in Docker 20.10
//! fails chains copying from one input with "flightcontrol: exceeded retry
//! timeout" around 450 actions (and, now and then, at 64). So the gateway
//! path copies in parts of at most [`ACTIONS_PER_OP`] actions; small
//! artifacts stay one op.

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

fn blob_path(hex: &str) -> String {
    format!("{BLOBS}/{hex}")
}

/// Copies blob `c` from its input (following a link inside that root).
fn copy_blob(actions: FileActions, c: &Copy, mtime_ns: Option<i64>) -> FileActions {
    let opts = CopyOptions {
        follow_symlinks: true,
        timestamp: mtime_ns,
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

/// Builds the layout filesystem on scratch: `inline` blobs written from
/// bytes, each distinct `copies` blob copied from its input, then the
/// manifests, `index.json` and `oci-layout`. `mtime_ns` pins file times
/// (SOURCE_DATE_EPOCH) so a `type=tar` export is reproducible too.
pub fn layout_state(
    copies: &[Copy],
    inline: &[Blob],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let copies = distinct(copies, inline);
    let mkdir = || FileActions::new().mkdir(BLOBS, 0o755, true, mtime_ns);
    // mkdir, inline blobs, manifests, index.json, oci-layout.
    let fixed = 3 + inline.len() + layout.manifests.len();
    let (base, mut actions) = if copies.len() + fixed <= ACTIONS_PER_OP {
        let actions = copies
            .iter()
            .fold(mkdir(), |a, c| copy_blob(a, c, mtime_ns));
        (State::scratch(), actions)
    } else {
        // Too many for one op: copy in parts, each op on top of the one
        // before. (Parts side by side would need merging, and BuildKit 0.8
        // can't merge directories: a copy with dirCopyContents nests, and a
        // wildcard copy from an exec's output finds nothing.)
        let mut base = State::scratch();
        for (i, chunk) in copies.chunks(ACTIONS_PER_OP - 1).enumerate() {
            let start = if i == 0 { mkdir() } else { FileActions::new() };
            let part = chunk.iter().fold(start, |a, c| copy_blob(a, c, mtime_ns));
            base = base.file(
                part,
                &format!("[artifact] copying layer blobs, part {}", i + 1),
            );
        }
        (base, FileActions::new())
    };
    actions = write_inline(actions, inline, mtime_ns);
    base.file(
        documents(actions, layout, mtime_ns),
        "[artifact] assembling OCI layout",
    )
}

/// The layout from blobs the worker wrote: the inline blobs and the
/// documents go on top of its output.
pub fn layout_on_blobs(
    blobs: &State,
    inline: &[Blob],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let actions = write_inline(FileActions::new(), inline, mtime_ns);
    blobs.file(
        documents(actions, layout, mtime_ns),
        "[artifact] writing OCI layout index",
    )
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
