//! Stage three: the blobs. Every file the plan asks for becomes a blob
//! with its digest and size, one of two ways, chosen in [`produce`] and
//! nowhere else:
//!
//! - in the worker (`in_worker`): where the daemon can run processes, our
//!   own binary runs as ExecOps over the inputs and writes
//!   `blobs/sha256/<hex>` next to the data (one read of each file, globs
//!   and directory tars included), big files each in an exec of its own
//!   that BuildKit caches by that file's content (see `units`);
//! - through the gateway (`gateway`): files are stat'ed and read with
//!   ranged `ReadFile` calls, and the layout copies them from their inputs.
//!
//! Either way the answer is a [`Produced`]: per request, the blobs it gave,
//! and where their bytes are.

mod gateway;
mod in_worker;
mod missing;
mod units;
mod worker;

pub use worker::{Worker, find as find_worker};

use std::collections::BTreeMap;

use crate::blobtool::BlobReport;
use crate::gateway::{Gateway, UserError};
use crate::llb::State;
use crate::oci::reader::Mismatch;

use super::error::{Error, Result};
use super::inputs::oci_layout::damaged;
use super::plan::warnings::{self, Note};
use super::plan::{Plan, RequestId};
use super::request::{Config, HASH_MODE_KEY, HashMode};

/// Blobs of every plan request, and where they are.
pub struct Produced {
    /// Per request: the blobs (several for a glob).
    pub blobs: BTreeMap<RequestId, Vec<BlobReport>>,
    /// Where their bytes are.
    pub at: BlobsAt,
    /// OCI layouts that globs passed over: (input, directory).
    pub skipped_layouts: Vec<(usize, String)>,
}

/// Where the bytes of produced blobs are.
pub enum BlobsAt {
    /// The worker wrote them into `blobs/sha256/` of these states (one per
    /// unit), each with about how many bytes it holds.
    Written(Vec<(State, u64)>),
    /// They are the files of the plan's inputs, at the paths reported.
    Inputs,
}

/// Hashes the plan's blobs, in the worker when possible (one read of each
/// file, cached by content, no flood of gateway calls), else through the
/// gateway.
pub async fn produce<G: Gateway>(gw: &G, cfg: &Config, plan: &Plan) -> Result<Produced> {
    let produced = hashed(gw, cfg, plan).await?;
    verify(plan, &produced.blobs)?;
    let notes = unmatched(plan, &produced.blobs);
    warnings::show_notes(gw, plan.spec_file.as_ref(), &notes).await?;
    Ok(produced)
}

/// A warning at the line of each glob that matched nothing where that is
/// no error (a Modelfile's, as modctl takes it): the model would miss those
/// files in silence, be it a typo in the pattern or a `.dockerignore`
/// that leaves them out.
fn unmatched(plan: &Plan, blobs: &BTreeMap<RequestId, Vec<BlobReport>>) -> Vec<Note> {
    plan.requests()
        .into_iter()
        .filter(|(_, r)| r.glob && r.allow_no_match && r.lines.is_some())
        .filter(|(_, r)| blobs.get(&r.id).is_none_or(Vec::is_empty))
        .map(|(what, r)| Note {
            short: format!(
                "{what} matches no files in the {}, so nothing is packaged for it; check the \
                 pattern (it is relative to the build context, and case matters)",
                plan.inputs[r.input].describe
            ),
            lines: r.lines,
        })
        .collect()
}

/// The blobs, hashed where [`produce`] says.
async fn hashed<G: Gateway>(gw: &G, cfg: &Config, plan: &Plan) -> Result<Produced> {
    for input in &plan.inputs {
        let caps = input.state.marshal().required_caps();
        gw.caps().require_llb(&caps, "load the artifact input")?;
    }
    if let Some(found) = choose_worker(gw, cfg, plan).await? {
        // `--no-cache` hashes again.
        match in_worker::write(gw, &found, plan, cfg.no_cache).await {
            Ok(w) => {
                return Ok(Produced {
                    blobs: w.blobs,
                    at: BlobsAt::Written(w.parts),
                    skipped_layouts: w.skipped_layouts,
                });
            }
            Err(worker::Failure::Exec(e)) if cfg.hash == HashMode::Auto => {
                tracing::warn!("hashing in the worker failed, using the gateway: {e}");
            }
            Err(worker::Failure::Exec(e) | worker::Failure::Final(e)) => return Err(e),
        }
    }
    Ok(Produced {
        blobs: gateway::hash(gw, plan).await?,
        at: BlobsAt::Inputs,
        skipped_layouts: Vec::new(),
    })
}

/// Checks every blob taken from a layout against the descriptor that
/// reached it: the hash that wrote (or read) it is the check, so a damaged
/// layout fails naming the blob, with no second read.
fn verify(plan: &Plan, blobs: &BTreeMap<RequestId, Vec<BlobReport>>) -> Result<()> {
    for (what, r) in plan.requests() {
        let Some(e) = &r.expect else {
            continue;
        };
        let got = blobs.get(&r.id).map(Vec::as_slice).unwrap_or_default();
        let [b] = got else {
            return Err(Error::bug(format!(
                "{what}: {} blobs for one file",
                got.len()
            )));
        };
        if b.digest != e.digest || b.size != e.size {
            return Err(plan
                .error_at(
                    r.lines,
                    damaged(
                        &what,
                        &Mismatch {
                            named: (e.digest.clone(), e.size),
                            found: (b.digest.clone(), b.size),
                        },
                    ),
                )
                .into());
        }
    }
    Ok(())
}

/// The worker to hash in, or `None` for the gateway: what `artifact.hash`
/// asks, and what the daemon can do.
async fn choose_worker<G: Gateway>(
    gw: &G,
    cfg: &Config,
    plan: &Plan,
) -> Result<Option<worker::Worker>> {
    if cfg.hash == HashMode::Gateway || plan.requests().is_empty() {
        return Ok(None);
    }
    match worker::find(gw, cfg).await {
        Ok(Some(found)) => Ok(Some(found)),
        Ok(None) if cfg.hash == HashMode::Auto => Ok(None),
        Ok(None) => Err(UserError::new(format!(
            "{HASH_MODE_KEY}=exec needs the daemon to run processes and to know this \
             frontend's image (the `source` option); use {HASH_MODE_KEY}=gateway"
        ))
        .into()),
        Err(e) if cfg.hash == HashMode::Auto => {
            tracing::warn!("hashing through the gateway: {e}");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
