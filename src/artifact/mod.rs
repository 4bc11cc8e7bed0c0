//! The `artifact.v0` frontend: files of a build result in, an OCI artifact
//! layout out.
//!
//! The contract is BuildKit's (moby/buildkit PR #6574): options
//! `containerimage.artifact.type`, `.config.mediatype` and `.layers` say
//! what to build; the files come from frontend input `input` (or the only
//! input, or the local build context). We hash each layer file, write the
//! config, manifest and `index.json` with the same bytes as the reference,
//! and return LLB that assembles the layout in one FileOp.

mod assemble;
mod hash;
mod input;
mod path;
mod spec;
pub mod suggest;

use std::collections::BTreeMap;

use std::panic::AssertUnwindSafe;

use anyhow::Context as _;
use futures_util::FutureExt as _;

use crate::gateway::{Bridge, Options, ReturnError, RpcError, SolvedRef, UserError};
use crate::llb::Definition;
use crate::oci::{self, LayoutBuilder};

pub use path::{clean, normalize_layer_path};
pub use spec::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, LAYERS_KEY, LayerSpec, Layers, MAX_LAYERS_FILE, TYPE_KEY,
};

/// What a successful build returns: the layout ref and result metadata.
pub struct BuildResult {
    /// The layout filesystem.
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
            Err(anyhow::anyhow!(
                "artifact frontend bug (please report it): panic: {what}"
            ))
        }
    };
    match outcome {
        Ok(res) => bridge.return_result(res.layout, res.metadata).await,
        Err(e) => {
            let err = ReturnError::from_error(&e);
            tracing::warn!("build failed: {}", err.message);
            bridge.return_error(&err).await
        }
    }
}

/// Runs the frontend against a connected gateway.
pub async fn build(bridge: &Bridge, opts: &Options) -> anyhow::Result<BuildResult> {
    let spec = ArtifactSpec::from_options(opts)?;
    let caps = bridge.caps();
    caps.require_gateway("solve.base", "solve the build input")?;
    caps.require_gateway("statfile", "check that each layer is a regular file")?;
    caps.require_gateway("readfile", "hash layer files")?;

    let layer_specs = match &spec.layers {
        Layers::Inline(l) => l.clone(),
        Layers::File { path, key } => read_layers_file(bridge, opts, path, key).await?,
    };
    let paths: Vec<String> = layer_specs.iter().map(|l| l.path.clone()).collect();
    let (input, input_ref) = solve_input(bridge, opts, &paths).await?;

    let digests = hash::hash_layers(bridge, &input_ref, &layer_specs, &input.describe).await?;
    tracing::info!(layers = layer_specs.len(), "hashed layer files");

    let layers = layer_specs
        .iter()
        .zip(&digests)
        .map(|(l, d)| oci::descriptor(&l.media_type, &d.digest, d.size, &l.annotations))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UserError::new(format!("invalid layer descriptor: {e}")))?;
    let layout = LayoutBuilder {
        artifact_type: spec.artifact_type.clone(),
        config_media_type: spec.config_media_type.clone(),
        config_data: b"{}".to_vec(),
        layers,
    }
    .build()
    .map_err(|e| UserError::new(format!("invalid artifact metadata: {e}")))?;

    let mtime_ns = spec
        .source_date_epoch
        .map(|s| s.saturating_mul(1_000_000_000));
    let state = assemble::layout_state(&input.state, &layer_specs, &digests, &layout, mtime_ns);
    let def = state.marshal();
    check_caps(bridge, &def, "assemble the OCI layout")?;
    let layout_ref = bridge
        .solve(def.into_pb())
        .await
        .context("assembling the OCI layout")?;
    tracing::info!(manifest = %layout.manifest.digest, "artifact layout ready");
    Ok(BuildResult {
        layout: layout_ref,
        metadata: BTreeMap::new(),
    })
}

/// Resolves and solves the input, transferring only `paths` from a local
/// context.
async fn solve_input(
    bridge: &Bridge,
    opts: &Options,
    paths: &[String],
) -> anyhow::Result<(input::Input, SolvedRef)> {
    let input = input::resolve(bridge, opts, paths).await?;
    let def = input.state.marshal();
    check_caps(bridge, &def, "load the artifact input")?;
    let solved = bridge
        .solve(def.into_pb())
        .await
        .with_context(|| format!("solving the {}", input.describe))?;
    Ok((input, solved))
}

/// Reads and parses a `@file` layer list from the input.
async fn read_layers_file(
    bridge: &Bridge,
    opts: &Options,
    path: &str,
    key: &str,
) -> anyhow::Result<Vec<LayerSpec>> {
    let (input, r) = solve_input(bridge, opts, &[path.to_string()]).await?;
    let missing = || {
        UserError::new(format!(
            "option {key}: layers file {path:?} does not exist in the {}",
            input.describe
        ))
    };
    let stat = bridge.stat_file(&r, path).await.map_err(|_| missing())?;
    if stat.mode & (1 << 31) != 0 || stat.size < 0 {
        return Err(missing().into());
    }
    if stat.size as u64 > MAX_LAYERS_FILE {
        return Err(UserError::new(format!(
            "option {key}: layers file {path:?} is {} bytes; the limit is {MAX_LAYERS_FILE}",
            stat.size
        ))
        .into());
    }
    let data = bridge.read_file(&r, path, None).await?;
    let text = String::from_utf8(data).map_err(|_| {
        UserError::new(format!(
            "option {key}: layers file {path:?} is not UTF-8 JSON"
        ))
    })?;
    Ok(spec::parse_layers(
        &text,
        &format!("{key} (file {path:?})"),
    )?)
}

fn check_caps(bridge: &Bridge, def: &Definition, purpose: &str) -> anyhow::Result<()> {
    Ok(bridge.caps().require_llb(&def.required_caps(), purpose)?)
}
