//! Wrap mode: run another build ourselves and package its result.
//!
//! In BuildKit's proposal a frontend (AIKit, say) sets
//! `containerimage.artifact*` metadata on its result and a step patched
//! into the daemon turns that result into an OCI layout. On stock BuildKit
//! we are that step from the outside: `artifact.frontend` names the inner
//! frontend, we solve it through the gateway with the user's options and
//! inputs, read the artifact metadata it set, and package its files with
//! the same validation and bytes as the contract. A multi-platform result
//! gives one manifest per platform.

use std::collections::BTreeMap;

use oci_spec::image::{Arch, Os, Platform, PlatformBuilder};
use serde_json::Value;

use crate::gateway::{FrontendResult, Gateway, UserError};
use crate::llb::State;

use super::config::Config;
use super::contract;
use super::error::{Context as _, Error, Result};
use super::plan::{Input, Plan};
use super::spec::{
    self, ArtifactSpec, CONFIG_MEDIATYPE_KEY, LAYERS_KEY, LayerSpec, Layers, TYPE_KEY,
};

/// Set by a frontend on its result to ask for an artifact.
pub const ARTIFACT_KEY: &str = "containerimage.artifact";
/// BuildKit's multi-platform result description.
const PLATFORMS_KEY: &str = "refs.platforms";

/// Runs build `frontend` (with image `source` for `gateway.v0`) with the
/// user's options (`user`: [`Config::forwarded`]) plus `extra`, and our
/// inputs; waits for it to finish so
/// its errors are reported as its own.
pub async fn run_inner<G: Gateway>(
    gw: &G,
    user: &BTreeMap<String, String>,
    frontend: &str,
    source: Option<&str>,
    extra: &BTreeMap<String, String>,
) -> Result<FrontendResult> {
    let mut forwarded = user.clone();
    if frontend == "dockerfile.v0" {
        // The Dockerfile frontend forwards to a `# syntax=` image only when
        // `cmdline` is absent. The file it reads may be the one whose
        // syntax line selected us: without this it would run us again,
        // forever.
        forwarded.insert("cmdline".to_string(), String::new());
    }
    if let Some(source) = source {
        forwarded.insert("source".to_string(), source.to_string());
    }
    forwarded.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let inputs = gw.inputs().await?;
    let failed = || format!("the wrapped {frontend} build failed");
    let result = gw
        .solve_frontend(frontend, forwarded, inputs.clone())
        .await
        .with_context(failed)?;
    // Solves can be lazy (older daemons ignore `evaluate`): touch each
    // result so a failing build fails here, with its own error, even if no
    // layer reads from it.
    for r in result.single.iter().chain(result.refs.values()) {
        let solved = crate::gateway::SolvedRef { id: r.id.clone() };
        super::lookup::built(gw, &solved)
            .await
            .with_context(failed)?;
    }
    Ok(result)
}

/// Runs the inner build and plans the artifact of its result.
pub async fn plan<G: Gateway>(
    gw: &G,
    cfg: &Config,
    frontend: &str,
    source: Option<&str>,
) -> Result<Plan> {
    let source = source.filter(|_| frontend == "gateway.v0");
    let result = run_inner(gw, &cfg.forwarded, frontend, source, &BTreeMap::new()).await?;
    let described = match source {
        Some(s) => format!("result of {s}"),
        None => format!("result of the wrapped {frontend} build"),
    };

    // One (platform, ref) per manifest.
    let mut targets: Vec<(Option<(String, Platform)>, crate::proto::gw::Ref)> = Vec::new();
    match &result.single {
        Some(r) if result.refs.is_empty() => targets.push((None, r.clone())),
        _ => {
            for (id, platform) in platforms(&result.metadata)? {
                let r = result.refs.get(&id).with_context(|| {
                    format!("the wrapped build lists platform {id} in {PLATFORMS_KEY} but returned no result for it")
                })?;
                targets.push((Some((id, platform)), r.clone()));
            }
            if targets.is_empty() {
                return Err(Error::bug(format!(
                    "the wrapped build returned several results without {PLATFORMS_KEY} to tell them apart"
                )));
            }
        }
    }

    let spec_from_opts = cfg.contract.as_ref();
    let mut inputs = Vec::new();
    let mut manifests = Vec::new();
    for (i, (platform, r)) in targets.iter().enumerate() {
        let def = r.def.as_ref().with_context(|| {
            "BuildKit returned the wrapped build's result without its definition; wrap mode needs a daemon \
             that returns result definitions (BuildKit 0.8 or newer)"
        })?;
        let pid = platform.as_ref().map(|(id, _)| id.as_str());
        inputs.push(Input {
            state: State::from_definition(def)?,
            describe: match pid {
                Some(p) => format!("{described} for {p}"),
                None => described.clone(),
            },
        });
        let (artifact_type, config_media_type, layers) = match from_metadata(&result.metadata, pid)?
        {
            Some(found) => found,
            None => match spec_from_opts {
                Some(spec) => (
                    spec.artifact_type.clone(),
                    spec.config_media_type.clone(),
                    inline_layers(spec)?,
                ),
                None => {
                    return Err(UserError::new(format!(
                        "the wrapped build set no artifact metadata: its frontend should set {ARTIFACT_KEY}, \
                         {TYPE_KEY}, {CONFIG_MEDIATYPE_KEY} and {LAYERS_KEY} on its result, or pass \
                         {CONFIG_MEDIATYPE_KEY} and {LAYERS_KEY} as options (--opt, or --build-arg with docker)"
                    ))
                    .into());
                }
            },
        };
        manifests.push(contract::manifest(
            artifact_type,
            config_media_type,
            layers,
            i,
            platform.as_ref().map(|(_, p)| p.clone()),
        ));
    }
    Ok(Plan {
        inputs,
        manifests,
        tags: Vec::new(),
        epoch: cfg.epoch,
        spec_file: None,
        result_metadata: kept_metadata(&result.metadata),
    })
}

fn inline_layers(spec: &ArtifactSpec) -> Result<Vec<LayerSpec>> {
    match &spec.layers {
        Layers::Inline(l) => Ok(l.clone()),
        Layers::File { key, .. } => Err(UserError::new(format!(
            "{key}=@<file> reads the build context; in wrap mode give the layers inline, or have the wrapped \
             frontend set {LAYERS_KEY} on its result"
        ))
        .into()),
    }
}

/// What a result's artifact keys say: artifactType, config media type,
/// layers.
type ArtifactKeys = (Option<String>, String, Vec<LayerSpec>);

/// The artifact keys of a result, per platform (`<key>/<platform>` wins
/// over `<key>`), validated as the contract validates options.
fn from_metadata(
    md: &BTreeMap<String, Vec<u8>>,
    platform: Option<&str>,
) -> Result<Option<ArtifactKeys>> {
    let get = |k: &str| -> Option<(String, String)> {
        let scoped = platform.map(|p| format!("{k}/{p}"));
        scoped
            .and_then(|s| md.get(&s).map(|v| (s, v.clone())))
            .or_else(|| md.get(k).map(|v| (k.to_string(), v.clone())))
            .map(|(key, v)| (key, String::from_utf8_lossy(&v).into_owned()))
    };
    if get(ARTIFACT_KEY).is_none() {
        return Ok(None);
    }
    let artifact_type = get(TYPE_KEY).map(|(_, v)| v).filter(|v| !v.is_empty());
    let config = get(CONFIG_MEDIATYPE_KEY).map(|(_, v)| v).filter(|v| !v.is_empty()).ok_or_else(|| {
        UserError::new(format!(
            "the wrapped build set {ARTIFACT_KEY} but not {CONFIG_MEDIATYPE_KEY}: the config media type is required"
        ))
    })?;
    let layers = match get(LAYERS_KEY) {
        Some((key, raw)) => spec::parse_layers(&raw, &format!("result metadata {key}"))?,
        None => {
            return Err(UserError::new(format!(
                "the wrapped build set {ARTIFACT_KEY} but not {LAYERS_KEY}: it must list the layers"
            ))
            .into());
        }
    };
    Ok(Some((artifact_type, config, layers)))
}

/// `refs.platforms`: `{"Platforms":[{"ID":..,"Platform":{..}}]}`, in order.
fn platforms(md: &BTreeMap<String, Vec<u8>>) -> Result<Vec<(String, Platform)>> {
    let Some(raw) = md.get(PLATFORMS_KEY) else {
        return Ok(Vec::new());
    };
    let v: Value = serde_json::from_slice(raw)
        .map_err(Error::internal)
        .with_context(|| format!("the wrapped build's {PLATFORMS_KEY}"))?;
    let mut out = Vec::new();
    for p in v["Platforms"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let id = p["ID"]
            .as_str()
            .context("a platform without an ID")?
            .to_string();
        let q = &p["Platform"];
        let mut b = PlatformBuilder::default()
            .architecture(Arch::from(q["architecture"].as_str().unwrap_or_default()))
            .os(Os::from(q["os"].as_str().unwrap_or_default()));
        if let Some(variant) = q["variant"].as_str().filter(|s| !s.is_empty()) {
            b = b.variant(variant);
        }
        out.push((id, b.build().map_err(Error::internal)?));
    }
    Ok(out)
}

/// The inner result's metadata that still applies to a layout: not the
/// artifact keys we consumed, the image config (a layout is no image), or
/// the platform map of refs we no longer return.
fn kept_metadata(md: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    md.iter()
        .filter(|(k, _)| {
            !(k.starts_with(ARTIFACT_KEY)
                || k.starts_with("containerimage.config")
                || k.as_str() == PLATFORMS_KEY)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
#[path = "wrap_tests.rs"]
mod tests;
