//! The `artifact.v0` frontend: files of a build in, an OCI artifact layout
//! out, in five stages, each a folder that imports only the ones before it:
//!
//! 1. [`request`]: the options, read once at the door into a typed
//!    [`Config`] (the contract's `containerimage.artifact.*` keys, which
//!    spec file language, subrequests);
//! 2. [`inputs`]: what comes in (the spec file, local directories less
//!    what `.dockerignore` excludes, images, named contexts, inner builds,
//!    OCI layouts), found, solved and opened;
//! 3. [`plan`]: what to build, whichever way it was asked (the contract,
//!    an Artifactfile, a Modelfile, a wrapped build), as one [`plan::Plan`]:
//!    inputs, blob requests, manifests;
//! 4. [`blobs`]: each requested file hashed and written, in the worker
//!    when the daemon can run our image, else through the gateway;
//! 5. [`layout`]: the documents written with the bytes Go's
//!    `encoding/json` gives, and the LLB that assembles the layout;
//! 6. [`push`]: with `artifact.push`, the layout sent to a registry from
//!    the worker, before `Return`, so a failed push fails the build.
//!
//! `error` is below all of them: a failure's kind, fixed where it is
//! made, decides the code `Return` carries.

pub mod blobs;
mod error;
pub mod inputs;
pub mod layout;
pub mod path;
pub mod plan;
pub mod push;
pub mod request;

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt as _;

use crate::gateway::{Bridge, Gateway, Options, RpcError, SolvedRef, cap};

pub use crate::oci::TITLE;
pub use error::{Context, Error, Kind, Result, Unsupported};
pub use path::{clean, normalize_layer_path};
pub use request::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, Config, HASH_MODE_KEY, HashMode, LAYERS_KEY, LayerSpec,
    Layers, MAX_LAYERS_FILE, Mode, TYPE_KEY, parse_layers,
};

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

/// Runs the frontend against a connected gateway: the four stages.
pub async fn build<G: Gateway>(gw: &G, opts: &Options) -> Result<BuildResult> {
    // The door: below here only the typed configuration is read.
    let cfg = Config::from_options(opts)?;
    if let Some(answer) = request::subrequest::answer(&cfg) {
        return Ok(BuildResult {
            layout: SolvedRef { id: String::new() },
            metadata: answer?,
        });
    }
    let caps = gw.caps();
    caps.require_gateway(cap::SOLVE_BASE, "solve the build input")?;
    caps.require_gateway(cap::STAT_FILE, "check that each layer is a regular file")?;
    caps.require_gateway(cap::READ_FILE, "read layer files")?;
    let plan = plan::make(gw, &cfg).await?;
    tracing::info!(
        manifests = plan.manifests.len(),
        inputs = plan.inputs.len(),
        "plan ready"
    );
    let produced = blobs::produce(gw, &cfg, &plan).await?;
    tracing::info!(
        worker = matches!(produced.at, blobs::BlobsAt::Written(_)),
        "blobs ready"
    );
    let (state, layout) = layout::write_state(gw, &plan, &produced).await?;
    if let Some(req) = &cfg.push {
        push::run(gw, &cfg, req, &state).await?;
    }
    Ok(BuildResult {
        layout,
        metadata: plan.result_metadata,
    })
}
