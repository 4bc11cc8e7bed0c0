//! The LLB that writes the layout: one FileOp for everything.

use std::collections::BTreeSet;

use crate::llb::{CopyOptions, FileActions, State};
use crate::oci::Layout;

use super::hash::FileDigest;
use super::spec::LayerSpec;

/// Builds the layout filesystem: `blobs/sha256/` with the config, each
/// distinct layer blob copied from `input`, the manifest, then `index.json`
/// and `oci-layout`. All actions share one FileOp so the layer count is not
/// bounded by overlay depth. `mtime_ns` pins file times (SOURCE_DATE_EPOCH)
/// so a `type=tar` export is reproducible too.
pub fn layout_state(
    input: &State,
    layers: &[LayerSpec],
    digests: &[FileDigest],
    layout: &Layout,
    mtime_ns: Option<i64>,
) -> State {
    let blob = |hex: &str| format!("/blobs/sha256/{hex}");
    let mut written: BTreeSet<&str> = BTreeSet::new();
    let mut actions = FileActions::new()
        .mkdir("/blobs/sha256", 0o755, true, mtime_ns)
        .mkfile(
            &blob(layout.config.hex()),
            0o644,
            layout.config.data.clone(),
            mtime_ns,
        );
    written.insert(layout.config.hex());
    for (layer, d) in layers.iter().zip(digests) {
        let hex = d.digest.trim_start_matches("sha256:");
        // Layers with the same content share one blob.
        if !written.insert(hex) {
            continue;
        }
        actions = actions.copy(
            input,
            &format!("/{}", layer.path),
            &blob(hex),
            CopyOptions {
                follow_symlinks: true,
                create_dest_path: false,
                timestamp: mtime_ns,
            },
        );
    }
    let actions = actions
        .mkfile(
            &blob(layout.manifest.hex()),
            0o644,
            layout.manifest.data.clone(),
            mtime_ns,
        )
        .mkfile("/index.json", 0o644, layout.index_json.clone(), mtime_ns)
        .mkfile("/oci-layout", 0o644, layout.oci_layout.clone(), mtime_ns);
    State::scratch().file(actions, "[artifact] assembling OCI layout")
}
