//! `artifact-frontend blobs`: what our binary does inside BuildKit's
//! worker. It writes the blobs (see [`crate::blobtool`]) and then, from
//! their digests and the job's [`LayoutSpec`], the layout's documents,
//! with the same code the frontend runs, so the exec's output is the whole
//! layout. The frontend computes the documents again from the report and
//! uses this output as is only when its `index.json` digest matches.

use std::path::Path;

use crate::blobtool::{self, Report};
use crate::oci::Blob;

use super::documents::LayoutSpec;

/// The layout spec, next to the job file.
pub const LAYOUT_FILE: &str = "layout.json";

/// Runs the job found in the standard mounts. Problems with the inputs go
/// in the report (the frontend turns them into messages naming the layer);
/// only a broken setup is an error here.
pub fn run() -> Result<(), String> {
    let job = blobtool::read_job()?;
    let spec: LayoutSpec = blobtool::read_json(&Path::new(blobtool::JOB_DIR).join(LAYOUT_FILE))?;
    let mut report = blobtool::run_mounted(&job);
    report.documents = write_documents(&spec, &report, Path::new(blobtool::OUT_DIR), job.mtime)?;
    blobtool::write_report(&report)
}

/// Writes the documents into `out` when every blob is there; returns the
/// digest of the `index.json` written. With a problem in the report (a
/// missing file, a title used twice) nothing is written: the frontend
/// finds the same problem and reports it.
fn write_documents(
    spec: &LayoutSpec,
    report: &Report,
    out: &Path,
    mtime: Option<i64>,
) -> Result<Option<String>, String> {
    if report.entries.iter().any(|e| e.error.is_some()) {
        return Ok(None);
    }
    let blobs: Vec<_> = report.entries.iter().map(|e| e.blobs.clone()).collect();
    let Ok(docs) = spec.documents(&blobs) else {
        return Ok(None);
    };
    let dir = out.join("blobs/sha256");
    let write = |path: &Path, data: &[u8]| {
        blobtool::write_file(path, data, mtime)
            .map_err(|e| format!("writing {}: {e}", path.display()))
    };
    for b in docs.inline.iter().chain(&docs.layout.manifests) {
        write(&dir.join(b.hex()), &b.data)?;
    }
    write(&out.join("oci-layout"), &docs.layout.oci_layout)?;
    // Last: its presence means the layout is complete.
    write(&out.join("index.json"), &docs.layout.index_json)?;
    blobtool::seal_dirs(out, mtime).map_err(|e| format!("setting directory times: {e}"))?;
    Ok(Some(Blob::new(docs.layout.index_json).digest))
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
