//! The `artifact.v0` contract: `containerimage.artifact.*` options (or
//! their `build-arg:` forms) describe the artifact; the result must match
//! the reference byte for byte.
//!
//! So what the reference writes is written, even where a spec forbids it
//! (the empty config without an artifactType; a ModelPack model whose
//! config is `{}`): such a build says so in a warning ([`findings`]) and
//! goes on, as the same keys would on a daemon running the reference.

use std::collections::{BTreeMap, BTreeSet};

use crate::blobtool::Compression;
use crate::gateway::{Gateway, UserError};
use crate::modelpack;
use crate::oci::EMPTY_JSON_MEDIA_TYPE;

use crate::artifact::error::{Context as _, Result};
use crate::artifact::request::{
    CONFIG_MEDIATYPE_KEY, Config, LayerSpec, Layers, MAX_LAYERS_FILE, TYPE_KEY, parse_layers,
};

use super::types::{BlobRequest, ConfigSource, LayerPlan, ManifestPlan, Plan};
use super::warnings::Note;
use crate::artifact::inputs::{lookup, solve, sources};

/// The plan for the contract's options.
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config) -> Result<Plan> {
    let spec = cfg
        .contract
        .as_ref()
        .context("contract mode without the contract's options")?;
    let layers = match &spec.layers {
        Layers::Inline(l) => l.clone(),
        Layers::File { path, key } => read_layers_file(gw, cfg, path, key).await?,
    };
    let paths: Vec<String> = layers.iter().map(|l| l.path.clone()).collect();
    let input = sources::contract_input(gw, &cfg.sessions, &paths, "context").await?;
    Ok(Plan {
        inputs: vec![input],
        manifests: vec![manifest(
            spec.artifact_type.clone(),
            spec.config_media_type.clone(),
            layers,
            0,
            None,
        )],
        epoch: cfg.epoch,
        spec_file: None,
        result_metadata: BTreeMap::new(),
        ..Default::default()
    })
}

/// The contract's manifest for `layers` of input `input`: config `{}`,
/// exactly the reference's shape.
pub fn manifest(
    artifact_type: Option<String>,
    config_media_type: String,
    layers: Vec<LayerSpec>,
    input: usize,
    platform: Option<oci_spec::image::Platform>,
) -> ManifestPlan {
    ManifestPlan {
        id: None,
        tags: Vec::new(),
        platform,
        artifact_type,
        config_media_type,
        config: ConfigSource::Inline(b"{}".to_vec()),
        layers: layers.into_iter().map(|l| layer(l, input)).collect(),
        empty_layer_if_none: false,
        annotations: BTreeMap::new(),
        subject: None,
        model: None,
    }
}

/// What the contract's `manifests` (the options', or a wrapped build's
/// keys) ask that OCI 1.1 or ModelPack forbids, each said once.
pub fn findings(manifests: &[ManifestPlan]) -> Vec<Note> {
    let mut said = BTreeSet::new();
    for m in manifests {
        let artifact_type = m.artifact_type.as_deref();
        if artifact_type.is_none() && m.config_media_type == EMPTY_JSON_MEDIA_TYPE {
            said.insert(format!(
                "{CONFIG_MEDIATYPE_KEY} is the empty descriptor's ({EMPTY_JSON_MEDIA_TYPE}) and \
                 {TYPE_KEY} is not set, but OCI 1.1 requires an artifactType then: registries and \
                 tools may refuse this manifest; set {TYPE_KEY}"
            ));
        }
        if artifact_type == Some(modelpack::ARTIFACT_TYPE)
            || m.config_media_type == modelpack::CONFIG_MEDIA_TYPE
        {
            said.insert(format!(
                "this is a ModelPack model ({TYPE_KEY}={}, {CONFIG_MEDIATYPE_KEY}={}), but the \
                 contract's config is `{{}}`, which no ModelPack client reads (a ModelPack config \
                 lists every layer's DiffID); build the model from a Modelfile, which generates \
                 its config",
                artifact_type.unwrap_or_default(),
                m.config_media_type
            ));
        }
    }
    said.into_iter()
        .map(|short| Note { short, lines: None })
        .collect()
}

fn layer(l: LayerSpec, input: usize) -> LayerPlan {
    LayerPlan {
        blob: BlobRequest {
            input,
            path: l.path,
            given: l.given_path,
            glob: false,
            // The reference takes single files only.
            allow_dir: false,
            compression: Compression::None,
            ..Default::default()
        },
        media_type: l.media_type,
        annotations: l.annotations,
        default_title: false,
        label: None,
        fixed: None,
    }
}

/// Reads and parses a `@file` layer list from the input.
async fn read_layers_file<G: Gateway>(
    gw: &G,
    cfg: &Config,
    path: &str,
    key: &str,
) -> Result<Vec<LayerSpec>> {
    let cache = "context-layers-file";
    let input = sources::contract_input(gw, &cfg.sessions, &[path.to_string()], cache).await?;
    let r = solve::input(gw, &input).await?;
    let missing = || {
        UserError::new(format!(
            "option {key}: layers file {path:?} does not exist in the {}",
            input.describe
        ))
    };
    let Some(stat) = lookup::stat(gw, &r, path, &input.describe)
        .await?
        .regular_file()
    else {
        return Err(missing().into());
    };
    let data = gw
        .read_stated(&r, path, &stat, MAX_LAYERS_FILE)
        .await
        .with_context(|| format!("option {key}: reading layers file {path:?}"))?;
    let text = String::from_utf8(data).map_err(|_| {
        UserError::new(format!(
            "option {key}: layers file {path:?} is not UTF-8 JSON"
        ))
    })?;
    Ok(parse_layers(&text, &format!("{key} (file {path:?})"))?)
}
