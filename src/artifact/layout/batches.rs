//! Many copy parts built a group at a time, before the layout that holds
//! them all.
//!
//! BuildKit runs every op of a definition that is ready at once. Blobs
//! copied from the inputs (the gateway path) come in parts of 15 files,
//! each its own op on scratch, so 10,000 files made ~670 copies at once:
//! Docker 28.5's dockerd grew from 65 MB to 580 MB (57,789 goroutines), and
//! at 30,000 files to 1.14 GB, and died in the e2e suite. Solving the
//! groups of parts first, one after another, keeps at most one group
//! copying; the layout solved after them reuses them (BuildKit runs a
//! vertex solved earlier in the same build once: same op digest). One at a
//! time, not a few at once, because Docker 20.10's BuildKit fails some
//! concurrent calls ("flightcontrol: exceeded retry timeout").

use crate::gateway::{Gateway, SolvedRef};
use crate::llb::State;

use crate::artifact::error::{Context as _, Result};
use crate::artifact::inputs::{lookup, solve};

/// Solves each of `batches` in turn and makes the daemon build it (one
/// that solves lazily, as BuildKit 0.8 does, would otherwise build them all
/// at once with the layout). The refs are kept until the layout is solved.
pub async fn build<G: Gateway>(gw: &G, batches: &[State]) -> Result<Vec<SolvedRef>> {
    let mut built = Vec::with_capacity(batches.len());
    for (i, batch) in batches.iter().enumerate() {
        let doing = format!(
            "copying the layer blobs (group {} of {})",
            i + 1,
            batches.len()
        );
        let r = solve::checked(gw, batch, "copy the layer blobs", &doing).await?;
        lookup::built(gw, &r).await.context(doing)?;
        built.push(r);
    }
    Ok(built)
}
