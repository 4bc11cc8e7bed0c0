//! The `artifact.v0` frontend: files of a build in, an OCI artifact layout
//! out.
//!
//! What to build comes from the contract of BuildKit's reference
//! (moby/buildkit PR #6574: options `containerimage.artifact.type`,
//! `.config.mediatype` and `.layers`, see [`contract`]), from an
//! Artifactfile (see [`from_file`]) or from a Modelfile (a CNCF ModelPack
//! model, see [`from_modelfile`]); each becomes a [`plan::Plan`]. The plan
//! is executed the same way: blobs hashed and written (in the worker when
//! the daemon can run our image, else through the gateway), the manifest
//! and `index.json` written with the bytes Go's `encoding/json` gives, and
//! LLB returned that assembles the layout.

mod assemble;
mod blobs;
mod config;
mod contract;
mod dialect;
mod documents;
mod error;
mod from_file;
mod from_modelfile;
mod hash;
mod ignore;
mod input;
mod lookup;
mod model_layers;
mod path;
mod plan;
mod spec;
mod subrequest;
mod time;
mod wrap;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;

use crate::blobtool::{BlobReport, RequestId};
use crate::gateway::{Bridge, Gateway, Options, RpcError, SolvedRef, UserError};
use crate::llb::Definition;

pub use config::{Config, HASH_MODE_KEY, HashMode, Mode};
use documents::Documents;
pub use error::{Context, Error, Kind, Result};
pub use path::{clean, normalize_layer_path};
pub use spec::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, LAYERS_KEY, LayerSpec, Layers, MAX_LAYERS_FILE, TYPE_KEY,
    parse_layers,
};

/// The title annotation `oras pull` and `podman artifact extract` name
/// files by.
pub const TITLE: &str = "org.opencontainers.image.title";

/// What a successful build returns: the layout ref and result metadata.
pub struct BuildResult {
    /// The layout filesystem (empty for a subrequest's answer).
    pub layout: SolvedRef,
    /// Metadata for the exporters.
    pub metadata: BTreeMap<String, Vec<u8>>,
}

/// Runs the build and sends `Return` exactly once: the layout on success,
/// an error (never code 0) on failure, including a panic in our code, which
/// would otherwise surface only as "frontend grpc server closed
/// unexpectedly". The caller exits 0 afterwards.
pub async fn serve(bridge: Bridge, opts: &Options) -> Result<(), RpcError> {
    let outcome = match AssertUnwindSafe(build(&bridge, opts)).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(Error::bug(format!(
                "artifact frontend bug (please report it): panic: {what}"
            )))
        }
    };
    match outcome {
        Ok(res) => bridge.return_result(res.layout, res.metadata).await,
        Err(e) => {
            let err = e.to_return();
            tracing::warn!("build failed: {}", err.message);
            bridge.return_error(&err).await
        }
    }
}

/// Runs the frontend against a connected gateway.
pub async fn build<G: Gateway>(gw: &G, opts: &Options) -> Result<BuildResult> {
    // The door: below here only the typed configuration is read.
    let cfg = Config::from_options(opts)?;
    if let Some(answer) = subrequest::handle(&cfg) {
        return answer;
    }
    let caps = gw.caps();
    caps.require_gateway("solve.base", "solve the build input")?;
    caps.require_gateway("statfile", "check that each layer is a regular file")?;
    caps.require_gateway("readfile", "read layer files")?;
    let plan = match &cfg.mode {
        Mode::Wrap { frontend, source } => {
            wrap::plan(gw, &cfg, frontend, source.as_deref()).await?
        }
        Mode::Contract => contract::plan(gw, &cfg).await?,
        Mode::SpecFile => from_file::plan(gw, &cfg).await?,
    };
    let plan = plan.numbered();
    tracing::info!(
        manifests = plan.manifests.len(),
        inputs = plan.inputs.len(),
        "plan ready"
    );
    execute(gw, &cfg, &plan).await
}

/// Blobs of every plan request, and where they are.
struct Produced {
    /// Per request: the blobs (several for a glob).
    blobs: BTreeMap<RequestId, Vec<BlobReport>>,
    /// `Some`: the worker wrote them into this state. `None`: copy them
    /// from the inputs.
    dir: Option<crate::llb::State>,
}

/// Hashes the plan's blobs, in the worker when possible (one read of each
/// file, cached by content, no flood of gateway calls), else through the
/// gateway.
async fn produce<G: Gateway>(gw: &G, cfg: &Config, plan: &plan::Plan) -> Result<Produced> {
    for input in &plan.inputs {
        check_caps(gw, &input.state.marshal(), "load the artifact input")?;
    }
    let mode = cfg.hash;
    let exec_caps = ["exec.meta.base", "exec.mount.bind"].map(String::from);
    let worker = match mode {
        HashMode::Gateway => None,
        _ if plan.requests().is_empty() => None,
        _ => match blobs::self_image(gw, cfg.own_definition.as_deref(), cfg.own_image.as_deref())
            .await
        {
            Ok(Some(found)) if gw.caps().require_llb(&exec_caps, "").is_ok() => Some(found),
            Ok(_) if mode == HashMode::Auto => None,
            Ok(_) => {
                return Err(UserError::new(format!(
                    "{HASH_MODE_KEY}=exec needs the daemon to run processes and to know this \
                     frontend's image (the `source` option); use {HASH_MODE_KEY}=gateway"
                ))
                .into());
            }
            Err(e) if mode == HashMode::Auto => {
                tracing::warn!("hashing through the gateway: {e}");
                None
            }
            Err(e) => return Err(e),
        },
    };
    if let Some((image, binary)) = worker {
        // `--no-cache` hashes again.
        match blobs::write_in_worker(gw, &image, &binary, plan, cfg.no_cache).await {
            Ok(w) => {
                return Ok(Produced {
                    blobs: w.blobs,
                    dir: Some(w.dir),
                });
            }
            Err(blobs::WorkerFailure::Exec(e)) if mode == HashMode::Auto => {
                tracing::warn!("hashing in the worker failed, using the gateway: {e}");
            }
            Err(blobs::WorkerFailure::Exec(e) | blobs::WorkerFailure::Final(e)) => return Err(e),
        }
    }
    let mut refs = Vec::new();
    for input in &plan.inputs {
        let r = gw
            .solve(input.state.marshal().into_pb())
            .await
            .with_context(|| format!("solving the {}", input.describe))?;
        refs.push(r);
    }
    let blobs = hash::hash_requests(gw, &refs, plan)
        .await?
        .into_iter()
        .map(|(id, (path, d))| {
            let blob = BlobReport {
                path,
                dir: false,
                mode: d.mode,
                size: d.size,
                file_size: d.size,
                diff_id: d.digest.clone(),
                digest: d.digest,
            };
            (id, vec![blob])
        })
        .collect();
    Ok(Produced { blobs, dir: None })
}

/// Executes a plan: blobs, documents, the layout's LLB.
async fn execute<G: Gateway>(gw: &G, cfg: &Config, plan: &plan::Plan) -> Result<BuildResult> {
    let produced = produce(gw, cfg, plan).await?;
    tracing::info!(worker = produced.dir.is_some(), "blobs ready");
    let docs = Documents::of(plan, &produced.blobs)?;
    let (layout, inline) = (&docs.layout, &docs.inline);
    let mtime_ns = plan.epoch.map(|s| s.saturating_mul(1_000_000_000));
    let state = match &produced.dir {
        Some(dir) => assemble::layout_on_blobs(dir, inline, layout, mtime_ns),
        None => {
            // Every blob is copied from its input.
            let copies: Vec<assemble::Copy> = plan
                .requests()
                .iter()
                .filter_map(|(_, r)| Some((r, produced.blobs.get(&r.id)?)))
                .flat_map(|(r, blobs)| blobs.iter().map(|b| copy_of(plan, r, b)))
                .collect();
            assemble::layout_state(&copies, inline, layout, mtime_ns)
        }
    };
    let def = state.marshal();
    check_caps(gw, &def, "assemble the OCI layout")?;
    let layout_ref = gw
        .solve(def.into_pb())
        .await
        .context("assembling the OCI layout")?;
    tracing::info!(manifests = layout.manifests.len(), "artifact layout ready");
    Ok(BuildResult {
        layout: layout_ref,
        metadata: plan.result_metadata.clone(),
    })
}

/// Where BuildKit copies blob `b` from: its input, at the path it was
/// found at (a glob's match, for a glob).
fn copy_of(plan: &plan::Plan, r: &plan::BlobRequest, b: &BlobReport) -> assemble::Copy {
    assemble::Copy {
        from: plan.inputs[r.input].state.clone(),
        src: format!("/{}", b.path),
        hex: b.digest.trim_start_matches("sha256:").to_string(),
    }
}

fn check_caps<G: Gateway>(gw: &G, def: &Definition, purpose: &str) -> Result<()> {
    Ok(gw.caps().require_llb(&def.required_caps(), purpose)?)
}
