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
use serde::Deserialize;

use crate::gateway::{Frontend, Gateway, UserError};
use crate::llb::State;

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::request::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, Config, LAYERS_KEY, LayerSpec, Layers, TYPE_KEY,
    parse_layers,
};

use super::from_contract;
use super::types::{Input, Plan};
use crate::artifact::inputs::inner_build::{self, InnerBuild};

/// Set by a frontend on its result to ask for an artifact.
pub const ARTIFACT_KEY: &str = "containerimage.artifact";
/// BuildKit's multi-platform result description.
const PLATFORMS_KEY: &str = "refs.platforms";

/// Runs the inner build and plans the artifact of its result.
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config, frontend: &Frontend) -> Result<Plan> {
    let build = InnerBuild {
        frontend: frontend.clone(),
        extra: BTreeMap::new(),
    };
    let result = inner_build::run(gw, &cfg.forwarded, &build).await?;
    let described = match frontend {
        Frontend::Gateway { image } => format!("result of {image}"),
        Frontend::Dockerfile => format!("result of the wrapped {} build", frontend.name()),
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
        let def = r.def.as_ref().ok_or_else(|| {
            Error::unsupported(
                "return the wrapped build's result with its definition, which wrap mode needs",
                "BuildKit 0.8",
            )
        })?;
        let pid = platform.as_ref().map(|(id, _)| id.as_str());
        inputs.push(Input::whole(
            State::from_definition(def)?,
            match pid {
                Some(p) => format!("{described} for {p}"),
                None => described.clone(),
            },
        ));
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
        manifests.push(from_contract::manifest(
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
        epoch: cfg.epoch,
        spec_file: None,
        result_metadata: kept_metadata(&result.metadata),
        ..Default::default()
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
        Some((key, raw)) => parse_layers(&raw, &format!("result metadata {key}"))?,
        None => {
            return Err(UserError::new(format!(
                "the wrapped build set {ARTIFACT_KEY} but not {LAYERS_KEY}: it must list the layers"
            ))
            .into());
        }
    };
    Ok(Some((artifact_type, config, layers)))
}

/// `refs.platforms`, as BuildKit writes it (Go's `exptypes.Platforms`).
#[derive(Deserialize)]
struct PlatformsKey {
    #[serde(rename = "Platforms", default)]
    platforms: Vec<PlatformEntry>,
}

/// One result's key and platform.
#[derive(Deserialize)]
struct PlatformEntry {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Platform")]
    platform: GoPlatform,
}

/// Go's `ocispecs.Platform` as `encoding/json` writes it.
#[derive(Deserialize)]
struct GoPlatform {
    architecture: String,
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(rename = "os.version", default)]
    os_version: Option<String>,
    #[serde(rename = "os.features", default)]
    os_features: Option<Vec<String>>,
}

/// `refs.platforms`: each result's key and platform, in order.
fn platforms(md: &BTreeMap<String, Vec<u8>>) -> Result<Vec<(String, Platform)>> {
    let Some(raw) = md.get(PLATFORMS_KEY) else {
        return Ok(Vec::new());
    };
    let key: PlatformsKey = serde_json::from_slice(raw)
        .map_err(Error::internal)
        .with_context(|| format!("the wrapped build's {PLATFORMS_KEY}"))?;
    key.platforms
        .into_iter()
        .map(|p| {
            let q = p.platform;
            let mut b = PlatformBuilder::default()
                .architecture(Arch::from(q.architecture.as_str()))
                .os(Os::from(q.os.as_str()));
            if let Some(v) = q.variant.filter(|v| !v.is_empty()) {
                b = b.variant(v);
            }
            if let Some(v) = q.os_version.filter(|v| !v.is_empty()) {
                b = b.os_version(v);
            }
            if let Some(f) = q.os_features.filter(|f| !f.is_empty()) {
                b = b.os_features(f);
            }
            Ok((p.id, b.build().map_err(Error::internal)?))
        })
        .collect()
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
#[path = "from_wrapped_build_tests.rs"]
mod tests;
