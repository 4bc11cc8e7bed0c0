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
mod blobs;
mod hash;
mod input;
mod path;
mod spec;
mod subrequest;
pub mod suggest;

use std::collections::BTreeMap;

use std::panic::AssertUnwindSafe;

use anyhow::Context as _;
use futures_util::FutureExt as _;

use crate::gateway::{Bridge, Options, ReturnError, RpcError, SolvedRef, UserError};
use crate::llb::{self, Definition};
use crate::oci::{self, LayoutBuilder};

pub use path::{clean, normalize_layer_path};
pub use spec::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, LAYERS_KEY, LayerSpec, Layers, MAX_LAYERS_FILE, TYPE_KEY,
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
    if let Some(answer) = subrequest::handle(opts) {
        return answer;
    }
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
    let blobs = write_blobs(bridge, opts, &spec, &layer_specs, &paths).await?;
    let digests = &blobs.digests;
    tracing::info!(layers = layer_specs.len(), "hashed layer files");

    let layers = layer_specs
        .iter()
        .zip(digests)
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
    let state = match &blobs.written {
        Some(dir) => assemble::layout_on_blobs(dir, &layout, mtime_ns),
        None => assemble::layout_state(&blobs.input, &layer_specs, digests, &layout, mtime_ns),
    };
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

/// Option choosing where layer files are hashed: `auto` (in the worker when
/// the daemon can run our image, else through the gateway), `exec` or
/// `gateway`.
pub const HASH_MODE_KEY: &str = "artifact.hash";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashMode {
    Auto,
    Exec,
    Gateway,
}

fn hash_mode(opts: &Options) -> Result<HashMode, UserError> {
    match opts.get_or_build_arg(HASH_MODE_KEY) {
        None => Ok(HashMode::Auto),
        Some((v, key)) => match v {
            "" | "auto" => Ok(HashMode::Auto),
            "exec" => Ok(HashMode::Exec),
            "gateway" => Ok(HashMode::Gateway),
            other => Err(UserError::new(format!(
                "{key}={other:?} is not a hash mode: use auto, exec or gateway"
            ))),
        },
    }
}

/// Layer digests, plus where the blobs are: already written by the worker
/// (`written`), or still to be copied from `input`.
struct Blobs {
    input: llb::State,
    written: Option<llb::State>,
    digests: Vec<hash::FileDigest>,
}

/// Hashes the layers, in the worker when possible (one read of each file,
/// cached by content, no flood of gateway calls), else through the gateway.
async fn write_blobs(
    bridge: &Bridge,
    opts: &Options,
    spec: &ArtifactSpec,
    layers: &[LayerSpec],
    paths: &[String],
) -> anyhow::Result<Blobs> {
    let mode = hash_mode(opts)?;
    let input = input::resolve(bridge, opts, paths).await?;
    check_caps(bridge, &input.state.marshal(), "load the artifact input")?;
    let exec_caps = ["exec.meta.base", "exec.mount.bind"].map(String::from);
    let worker = match mode {
        HashMode::Gateway => None,
        _ if layers.is_empty() => None,
        _ => match blobs::self_image(bridge, opts).await {
            Ok(Some(found)) if bridge.caps().require_llb(&exec_caps, "").is_ok() => Some(found),
            Ok(_) if mode == HashMode::Auto => None,
            Ok(_) => {
                return Err(UserError::new(format!(
                    "{HASH_MODE_KEY}=exec needs the daemon to run processes and to know this \
                     frontend's image (the `source` option); use {HASH_MODE_KEY}=gateway"
                ))
                .into());
            }
            Err(e) if mode == HashMode::Auto => {
                tracing::warn!("hashing through the gateway: {e:#}");
                None
            }
            Err(e) => return Err(e),
        },
    };
    if let Some((image, binary)) = worker {
        let done = blobs::write_in_worker(
            bridge,
            &image,
            &binary,
            &input.state,
            &input.describe,
            layers,
            spec.source_date_epoch,
        )
        .await;
        match done {
            Ok((dir, digests)) => {
                return Ok(Blobs {
                    input: input.state,
                    written: Some(dir),
                    digests,
                });
            }
            // A user error (a missing file, say) would fail the same way
            // through the gateway; anything else may be the exec itself.
            Err(e) if mode == HashMode::Auto && e.downcast_ref::<UserError>().is_none() => {
                tracing::warn!("hashing in the worker failed, using the gateway: {e:#}");
            }
            Err(e) => return Err(e),
        }
    }
    let solved = bridge
        .solve(input.state.marshal().into_pb())
        .await
        .with_context(|| format!("solving the {}", input.describe))?;
    let digests = hash::hash_layers(bridge, &solved, layers, &input.describe).await?;
    Ok(Blobs {
        input: input.state,
        written: None,
        digests,
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
