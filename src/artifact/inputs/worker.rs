//! Our own binary, run in the worker: the blob writer, the registry push
//! and the registry pull (`FROM oci://`) are all ExecOps of it. Found here,
//! in the inputs stage, because a pull is an input.
//!
//! The image is the exact one buildkitd started us from: `frontend.bin`
//! (BuildKit 0.10+) holds its definition, and on older daemons the
//! `source` option names it, which we pin to a digest so a moved tag can't
//! swap binaries. Our binary is copied out of it onto scratch (once:
//! BuildKit caches the copy by the image's digest) and mounted from there,
//! because Docker mounts an image's layers with a writable layer on top.
//!
//! The push and the pull share [`Worker::registry_exec`]: the job as the
//! one argument, the secrets `registry` and `registry-ca` as optional
//! secret mounts (never in the job, so never in a log or a cache key), and
//! the network `artifact.network` asks for.

use prost::Message as _;
use serde::Deserialize;

use crate::gateway::{Gateway, UserError, cap};
use crate::llb::{self, ExecOptions, ImageRef, Mount, State, caps};
use crate::proto::pb;
use crate::registry;

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::request::Config;

/// Where our binary is mounted in the exec, whose root is scratch.
const SELF_MOUNT: &str = "/frontend";
/// Its name there.
const SELF_NAME: &str = "artifact-frontend";
/// Where our image keeps the binary (its entrypoint).
const DEFAULT_BINARY: &str = "/artifact-frontend";
/// Our binary, ready to run in the worker.
pub struct Worker {
    /// A scratch filesystem holding only the binary.
    tool: State,
}

impl Worker {
    /// The scratch filesystem holding our binary, for an exec of a
    /// subcommand: mount it at [`TOOL_MOUNT`] and run [`Worker::binary`].
    pub fn tool(&self) -> &State {
        &self.tool
    }

    /// Where the binary is, with the tool mounted at [`SELF_MOUNT`].
    pub fn binary() -> String {
        format!("{SELF_MOUNT}/{SELF_NAME}")
    }
}

/// Where [`Worker::tool`] is mounted.
pub const TOOL_MOUNT: &str = SELF_MOUNT;

/// The worker a registry step runs in, for `who` (`artifact.push`, `FROM
/// oci://`): the caps it needs checked (running our binary, mounting the
/// secrets), else a user's error saying what to do `instead` on a daemon
/// that does not say which image we run from.
pub async fn for_registry<G: Gateway>(
    gw: &G,
    cfg: &Config,
    who: &str,
    instead: &str,
) -> Result<Worker> {
    let needs = [caps::EXEC_META_BASE, caps::EXEC_MOUNT_BIND].map(String::from);
    gw.caps()
        .require_llb(&needs, &format!("run {who} in the worker"))?;
    gw.caps().require_llb(
        &[caps::EXEC_MOUNT_SECRET.to_string()],
        &format!("pass the registry credentials (the secret \"registry\") to {who}"),
    )?;
    find(gw, cfg).await?.ok_or_else(|| {
        Error::from(UserError::new(format!(
            "{who} runs this frontend's image in the worker, and this daemon does not say \
             which image that is (no frontend.bin, no source option); {instead}"
        )))
    })
}

/// The worker, when the daemon can run processes and we can tell which
/// image we run from; `None` sends the build through the gateway.
pub async fn find<G: Gateway>(gw: &G, cfg: &Config) -> Result<Option<Worker>> {
    let exec = [caps::EXEC_META_BASE, caps::EXEC_MOUNT_BIND].map(String::from);
    if gw.caps().require_llb(&exec, "").is_err() {
        return Ok(None);
    }
    let found = self_image(gw, cfg.own_definition.as_deref(), cfg.own_image.as_deref()).await?;
    Ok(found.map(|(image, binary)| Worker {
        tool: State::scratch().file(
            llb::FileActions::new().copy(
                &image,
                &format!("/{}", binary.trim_start_matches('/')),
                &format!("/{SELF_NAME}"),
                llb::CopyOptions {
                    follow_symlinks: true,
                    ..Default::default()
                },
            ),
            "[artifact] worker binary",
        ),
    }))
}

/// Our own image as a state, and the binary to run in it. `None` when we
/// can't tell which image we run from.
async fn self_image<G: Gateway>(
    gw: &G,
    definition: Option<&[u8]>,
    source: Option<&str>,
) -> Result<Option<(State, String)>> {
    if let Some(bytes) = definition {
        let def = pb::Definition::decode(bytes)
            .map_err(Error::internal)
            .context("decoding frontend.bin")?;
        return Ok(Some((
            State::from_definition(&def)?,
            DEFAULT_BINARY.to_string(),
        )));
    }
    let Some(source) = source else {
        return Ok(None);
    };
    if !gw.caps().has_gateway(cap::RESOLVE_IMAGE) {
        return Ok(None);
    }
    let reference = ImageRef::parse(source)?;
    let (digest, config) = gw
        .resolve_image_config(reference.as_str())
        .await
        .with_context(|| format!("resolving the frontend image {source}"))?;
    let pinned = match reference.as_str().split_once('@') {
        Some(_) => reference,
        None => ImageRef::parse(&format!("{reference}@{digest}"))?,
    };
    Ok(Some((llb::image(&pinned, None), entrypoint(&config))))
}

/// The part of an image config we read: `config.Entrypoint`.
#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    config: Option<ExecConfig>,
}

#[derive(Deserialize)]
struct ExecConfig {
    #[serde(rename = "Entrypoint", default)]
    entrypoint: Option<Vec<String>>,
}

/// The image's entrypoint binary (the image config's `Entrypoint[0]`).
fn entrypoint(config: &[u8]) -> String {
    serde_json::from_slice::<ImageConfig>(config)
        .ok()
        .and_then(|c| c.config?.entrypoint?.into_iter().next())
        .unwrap_or_else(|| DEFAULT_BINARY.to_string())
}

/// An exec of our binary that speaks to a registry.
pub struct RegistryExec {
    /// The subcommand (`push`, `pull`).
    pub subcommand: &'static str,
    /// Its job, as JSON.
    pub job: String,
    /// What it reads, mounted read-only.
    pub inputs: Vec<Mount>,
    /// Where its outputs are mounted, in the order of the states given back.
    pub outputs: Vec<&'static str>,
    /// Run in the host's network namespace.
    pub network_host: bool,
    /// Run on every build, even when BuildKit has the step cached.
    pub ignore_cache: bool,
    /// The step's name in the progress output.
    pub name: String,
}

impl Worker {
    /// The exec `e`, with our binary and the registry secrets mounted; its
    /// outputs, in the order `e.outputs` names them.
    pub fn registry_exec(&self, e: RegistryExec) -> Result<Vec<State>> {
        let secret = |id: &str| Mount::Secret {
            dest: format!("{}/{id}", registry::SECRETS_DIR),
            id: id.to_string(),
            optional: true,
        };
        let mut mounts = e.inputs;
        mounts.push(Mount::ReadOnly {
            dest: TOOL_MOUNT.into(),
            state: self.tool.clone(),
        });
        mounts.push(secret(registry::SECRET_ID));
        mounts.push(secret(registry::CA_SECRET_ID));
        mounts.extend(e.outputs.iter().map(|dest| Mount::Output {
            dest: (*dest).to_string(),
        }));
        let run = State::scratch().run(
            &ExecOptions {
                args: vec![Worker::binary(), e.subcommand.to_string(), e.job],
                env: vec![format!("PATH={TOOL_MOUNT}")],
                cwd: "/".to_string(),
                network_host: e.network_host,
                ignore_cache: e.ignore_cache,
                custom_name: e.name,
                ..Default::default()
            },
            &mounts,
        );
        (0..e.outputs.len())
            .map(|i| {
                run.output(i).cloned().ok_or_else(|| {
                    Error::bug(format!("the {} exec has no output {i}", e.subcommand))
                })
            })
            .collect()
    }
}

#[cfg(test)]
impl Worker {
    /// A worker whose binary is in `tool`.
    pub fn with_tool(tool: State) -> Worker {
        Worker { tool }
    }
}

/// The secret mounts of a registry exec, as (id, optional): what the push's
/// and the pull's tests check.
#[cfg(test)]
pub fn secret_mounts(e: &pb::ExecOp) -> Vec<(String, bool)> {
    e.mounts
        .iter()
        .filter_map(|m| m.secret_opt.as_ref().map(|s| (s.id.clone(), s.optional)))
        .collect()
}
