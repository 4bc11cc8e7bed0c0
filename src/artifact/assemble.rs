//! The LLB that writes the layout.
//!
//! The reference `artifact.v0` stacks one FileOp per layer; every op is one
//! more overlay lower dir, and the mount fails near 400 layers. We chain
//! actions inside a FileOp instead, but a chain can't be arbitrarily long
//! either (BuildKit resolves action inputs recursively, and the one in
//! Docker 20.10 gives up on a 10,000-action chain). So layer blobs are copied
//! in parts of at most [`ACTIONS_PER_OP`] actions, each part its own op on
//! scratch, and the parts are gathered into the layout by copying their
//! `blobs/sha256` directories, in a fan-in tree if there are many. Small
//! artifacts, the common case, stay one op.

use std::collections::BTreeSet;

use crate::llb::{CopyOptions, FileActions, State};
use crate::oci::Layout;

use super::hash::FileDigest;
use super::spec::LayerSpec;

/// Longest action chain we put in one FileOp.
pub const ACTIONS_PER_OP: usize = 64;

const BLOBS: &str = "/blobs/sha256";

/// Builds the layout filesystem: `blobs/sha256/` with the config, each
/// distinct layer blob copied from `input`, the manifest, `index.json` and
/// `oci-layout`. `mtime_ns` pins file times (SOURCE_DATE_EPOCH) so a
/// `type=tar` export is reproducible too.
pub fn layout_state(
    input: &State,
    layers: &[LayerSpec],
    digests: &[FileDigest],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let blob = |hex: &str| format!("{BLOBS}/{hex}");
    // Layers with the same content share one blob; a layer equal to the
    // config is already written by mkfile.
    let mut written: BTreeSet<&str> = BTreeSet::from([layout.config.hex()]);
    let copies: Vec<(String, String)> = layers
        .iter()
        .zip(digests)
        .filter_map(|(layer, d)| {
            let hex = d.digest.trim_start_matches("sha256:");
            written
                .insert(hex)
                .then(|| (format!("/{}", layer.path), blob(hex)))
        })
        .collect();
    let file_copy = CopyOptions {
        follow_symlinks: true,
        timestamp: mtime_ns,
        ..Default::default()
    };
    let mut actions = FileActions::new()
        .mkdir(BLOBS, 0o755, true, mtime_ns)
        .mkfile(
            &blob(layout.config.hex()),
            0o644,
            layout.config.data.clone(),
            mtime_ns,
        );
    // mkdir, config, manifest, index.json, oci-layout.
    let fixed = 5;
    if copies.len() + fixed <= ACTIONS_PER_OP {
        for (src, dest) in &copies {
            actions = actions.copy(input, src, dest, file_copy.clone());
        }
    } else {
        let parts: Vec<State> = copies
            .chunks(ACTIONS_PER_OP - 1)
            .enumerate()
            .map(|(i, chunk)| {
                let mut a = FileActions::new().mkdir(BLOBS, 0o755, true, mtime_ns);
                for (src, dest) in chunk {
                    a = a.copy(input, src, dest, file_copy.clone());
                }
                State::scratch().file(
                    a,
                    &format!("[artifact] copying layer blobs, part {}", i + 1),
                )
            })
            .collect();
        for part in gather(parts, ACTIONS_PER_OP - fixed, mtime_ns) {
            actions = actions.copy(&part, BLOBS, BLOBS, dir_contents(mtime_ns));
        }
    }
    State::scratch().file(
        documents(actions, layout, mtime_ns),
        "[artifact] assembling OCI layout",
    )
}

/// Appends the manifest blob, `index.json` and `oci-layout`: written last,
/// once every blob they point to is in place.
fn documents(actions: FileActions, layout: &Layout, mtime_ns: Option<i64>) -> FileActions {
    actions
        .mkfile(
            &format!("{BLOBS}/{}", layout.manifest.hex()),
            0o644,
            layout.manifest.data.clone(),
            mtime_ns,
        )
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

/// The layout on top of blobs the worker already wrote: only the JSON
/// documents are added.
pub fn layout_on_blobs(blobs: &State, layout: &Layout, mtime_ns: Option<i64>) -> State {
    let config = FileActions::new().mkfile(
        &format!("{BLOBS}/{}", layout.config.hex()),
        0o644,
        layout.config.data.clone(),
        mtime_ns,
    );
    blobs.file(
        documents(config, layout, mtime_ns),
        "[artifact] writing OCI layout index",
    )
}
