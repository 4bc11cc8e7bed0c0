//! Stage four: the layout. From the plan and the blobs it gave, the JSON
//! documents (configs we write, manifests, `index.json`, a ModelPack
//! model's config) with the bytes Go's `encoding/json` writes, and the LLB
//! that puts them and the blobs into one OCI image layout.

mod assemble;
mod batches;
mod documents;
mod modelpack;

use crate::gateway::{Gateway, SolvedRef};
use crate::llb::{State, caps};

use super::blobs::{BlobsAt, Produced};
use super::error::Result;
use super::inputs::solve;
use super::plan::{BlobRequest, Plan};
use super::request::epoch;
use crate::blobtool::BlobReport;

use documents::Documents;

/// Writes the layout of `plan`'s artifact around the blobs `produced`
/// gave, and solves it.
pub async fn write<G: Gateway>(gw: &G, plan: &Plan, produced: &Produced) -> Result<SolvedRef> {
    Ok(write_state(gw, plan, produced).await?.1)
}

/// [`write`], with the LLB of the layout too (a later step mounts it).
pub async fn write_state<G: Gateway>(
    gw: &G,
    plan: &Plan,
    produced: &Produced,
) -> Result<(State, SolvedRef)> {
    let docs = Documents::of(plan, &produced.blobs)?;
    let (layout, inline) = (&docs.layout, &docs.inline);
    let mtime_ns = plan.epoch.map(epoch::nanos);
    let merge = gw.caps().has_llb(caps::MERGE_OP);
    let (state, batches) = match &produced.at {
        BlobsAt::Written(parts) => (
            assemble::layout_on_blobs(parts.clone(), inline, layout, merge, mtime_ns),
            Vec::new(),
        ),
        BlobsAt::Inputs => {
            // Every blob is copied from its input.
            let copies: Vec<assemble::Copy> = plan
                .requests()
                .iter()
                .filter_map(|(_, r)| Some((r, produced.blobs.get(&r.id)?)))
                .flat_map(|(r, blobs)| blobs.iter().map(|b| copy_of(plan, r, b)))
                .collect();
            assemble::layout_state(&copies, inline, layout, merge, mtime_ns)
        }
    };
    let _built = batches::build(gw, &batches).await?;
    let layout_ref = solve::checked(
        gw,
        &state,
        "assemble the OCI layout",
        "assembling the OCI layout",
    )
    .await?;
    tracing::info!(manifests = layout.manifests.len(), "artifact layout ready");
    Ok((state, layout_ref))
}

/// Where BuildKit copies blob `b` from: its input, at the path it was
/// found at (a glob's match, for a glob).
fn copy_of(plan: &Plan, r: &BlobRequest, b: &BlobReport) -> assemble::Copy {
    assemble::Copy {
        from: plan.inputs[r.input].state.clone(),
        src: format!("/{}", b.path),
        hex: b.digest.hex().to_string(),
    }
}
