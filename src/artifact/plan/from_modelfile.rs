//! The plan for a Modelfile: a CNCF ModelPack model from the build
//! context's files.
//!
//! Each `CONFIG`/`MODEL`/`CODE`/`DOC`/`DATASET` line becomes one request
//! (a path, or a glob the worker expands); a file or directory it names
//! becomes one layer. A Modelfile that names no files packages the whole
//! context, each file classified by modctl's rules. The layers' order,
//! media types and annotations, and the config with their DiffIDs, are
//! settled once the files are hashed (see the layout stage's
//! `modelpack` module).

use std::collections::{BTreeMap, BTreeSet};

use crate::blobtool::{Compression, PackOptions, is_glob, literal_prefix, unquote};
use crate::gateway::{Gateway, UserError};
use crate::modelfile::{self, Meta, Modelfile};
use crate::modelpack::{self, ModelConfig, Packing, classify};

use crate::artifact::error::Result;
use crate::artifact::path::normalize_layer_path;
use crate::artifact::request::Config;

use super::types::{BlobRequest, ConfigSource, Input, LayerPlan, ManifestPlan, ModelPlan, Plan};
use super::warnings::{self, Note};
use crate::artifact::inputs::sources::{self, transfer_paths};
use crate::artifact::inputs::spec_file::{SpecFile, located};
use crate::artifact::inputs::{context, lookup};

/// Files a directory packaged without a list takes its metadata from, as
/// `modctl modelfile generate` does (later files win).
const HUB_CONFIGS: [&str; 2] = ["config.json", "generation_config.json"];
/// Largest such file we read.
const MAX_HUB_CONFIG: u64 = 1 << 20;

/// Parses the Modelfile and plans the model.
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config, file: SpecFile) -> Result<Plan> {
    let text = String::from_utf8_lossy(&file.data).into_owned();
    let parsed = modelfile::parse(&text).map_err(|e| located(&file, e.lines, e.message))?;
    let packing = cfg.spec_file.packing;
    let epoch = cfg.epoch;
    let classified = parsed.files.is_empty();
    let weightless: Vec<Note> = weightless(&parsed, &file.filename).into_iter().collect();
    warnings::show_notes(gw, Some(&file), &weightless).await?;
    let (layers, kinds) = if classified {
        let whole = LayerPlan {
            blob: whole_context(&file.filename, packing),
            media_type: modelpack::layer_media_type(modelpack::Kind::Model, packing, false),
            annotations: BTreeMap::new(),
            default_title: false,
            label: Some("the build context".to_string()),
            fixed: None,
        };
        (vec![whole], vec![None])
    } else {
        named_layers(&parsed, packing, &file)?
    };
    let requests: Vec<&BlobRequest> = layers.iter().map(|l| &l.blob).collect();
    // What the walk skips is never transferred either: a `.git` or a hub
    // cache costs nothing, and editing the Modelfile leaves the context, and
    // so the hashing step's cache key, as it was.
    let exclude: BTreeSet<String> = requests
        .iter()
        .flat_map(|r| &r.pack.skip)
        .map(|name| format!("**/{}", any_case(name)))
        .collect();
    let exclude: Vec<String> = exclude.into_iter().collect();
    let glob_dirs: Vec<String> = requests
        .iter()
        .filter(|r| r.glob)
        .map(|r| literal_prefix(&r.path).0)
        .collect();
    let filter = context::filter(gw, &cfg.sessions, file.ignore.as_ref(), &glob_dirs).await?;
    let context = sources::build_context(
        gw,
        &cfg.sessions,
        transfer_paths(&requests.iter().map(|r| r.wanted()).collect::<Vec<_>>()).as_deref(),
        &exclude,
        &filter,
    )
    .await?;
    let mut config = model_config(&parsed);
    if classified {
        fill_from_hub_config(gw, &context, &mut config).await?;
    }
    Ok(Plan {
        inputs: vec![context],
        manifests: vec![ManifestPlan {
            id: None,
            tags: Vec::new(),
            platform: None,
            artifact_type: Some(modelpack::ARTIFACT_TYPE.to_string()),
            config_media_type: modelpack::CONFIG_MEDIA_TYPE.to_string(),
            config: ConfigSource::Model,
            layers,
            empty_layer_if_none: false,
            annotations: BTreeMap::new(),
            subject: None,
            model: Some(ModelPlan {
                kinds,
                packing,
                config,
                classified,
            }),
        }],
        epoch,
        spec_file: Some(file),
        result_metadata: BTreeMap::new(),
        ..Default::default()
    })
}

/// How the worker packs a request's files under `packing`.
fn request(path: String, given: &str, packing: Packing) -> BlobRequest {
    let glob = is_glob(&path);
    BlobRequest {
        id: Default::default(),
        input: 0,
        glob,
        path: if glob { path } else { unquote(&path) },
        given: given.to_string(),
        allow_dir: true,
        compression: match packing {
            Packing::TarGzip => Compression::Gzip,
            Packing::TarZstd => Compression::Zstd,
            Packing::Raw | Packing::Tar => Compression::None,
        },
        pack: PackOptions {
            tar_files: packing.tars_files(),
            path_names: true,
            ..Default::default()
        },
        allow_no_match: true,
        lines: None,
        expect: None,
    }
}

/// Every regular file of the context, but what modctl skips: hidden files,
/// Python caches, Modelfiles, and this spec file and its own ignore file
/// whatever their names.
fn whole_context(spec: &str, packing: Packing) -> BlobRequest {
    let mut skip: Vec<String> = classify::SKIP.iter().map(|s| s.to_string()).collect();
    skip.extend(
        own_names(spec)
            .into_iter()
            .filter(|own| !modelpack::is_skipped(own)),
    );
    let mut r = request("**".to_string(), ".", packing);
    r.pack.files_only = true;
    r.pack.skip = skip;
    r
}

/// The spec file's base name, and its own ignore file's
/// (`<spec>.dockerignore`), as patterns matching just them. Globs never
/// match them, nor are they transferred with the context: they describe
/// the model, they are not part of it, and editing `NAME` must not change
/// the input the hashing step is cached by.
fn own_names(spec: &str) -> Vec<String> {
    let base = spec.rsplit('/').next().unwrap_or(spec);
    if base.is_empty() {
        return Vec::new();
    }
    vec![
        globset::escape(base),
        globset::escape(&format!("{base}.dockerignore")),
    ]
}

/// `name` as a `.dockerignore` pattern matching it in any case (BuildKit
/// matches those case-sensitively; modctl skips names in any case).
fn any_case(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// One request per file line, each with the category it names.
fn named_layers(
    parsed: &Modelfile,
    packing: Packing,
    file: &SpecFile,
) -> Result<(Vec<LayerPlan>, Vec<Option<modelpack::Kind>>), UserError> {
    let own = file.filename.rsplit('/').next().unwrap_or(&file.filename);
    // A line naming the spec file itself gets it; then it is transferred.
    let own_named = parsed.files.iter().any(|l| {
        let base = l.pattern.rsplit('/').next().unwrap_or(&l.pattern);
        !is_glob(&l.pattern) && base.eq_ignore_ascii_case(own)
    });
    let mut layers = Vec::new();
    let mut kinds = Vec::new();
    for line in &parsed.files {
        let directive = line.kind.directive();
        let path = normalize_layer_path(&line.pattern).map_err(|why| {
            located(
                file,
                line.lines,
                format!("{directive} {:?}: {why}", line.pattern),
            )
        })?;
        let mut blob = request(path, &line.pattern, packing);
        blob.lines = Some(line.lines);
        if blob.glob && !own_named {
            blob.pack.skip.extend(own_names(&file.filename));
        }
        layers.push(LayerPlan {
            blob,
            media_type: modelpack::layer_media_type(line.kind, packing, false),
            annotations: BTreeMap::new(),
            default_title: false,
            label: Some(format!("{directive} {:?}", line.pattern)),
            fixed: None,
        });
        kinds.push(Some(line.kind));
    }
    Ok((layers, kinds))
}

/// A warning for a Modelfile that names files but no weights: its model
/// has no weight layer, which is what a ModelPack client loads. (MODEL
/// lines that find nothing are refused once the files are known.) One that
/// names no files is classified, by modctl's rules.
fn weightless(parsed: &Modelfile, filename: &str) -> Option<Note> {
    let first = parsed.files.first()?;
    if parsed
        .files
        .iter()
        .any(|l| l.kind == modelpack::Kind::Model)
    {
        return None;
    }
    Some(Note {
        short: format!(
            "{filename} has no MODEL line, so the model has no weights (a ModelPack client \
             loads a model's weights from its weight layers); name the weight files with \
             MODEL <path or glob>"
        ),
        lines: Some(first.lines),
    })
}

/// The config fields the Modelfile sets.
fn model_config(f: &Modelfile) -> ModelConfig {
    let get = |m| f.get(m).unwrap_or_default().to_string();
    ModelConfig {
        name: get(Meta::Name),
        family: get(Meta::Family),
        architecture: get(Meta::Arch),
        format: get(Meta::Format),
        param_size: get(Meta::ParamSize),
        precision: get(Meta::Precision),
        quantization: get(Meta::Quantization),
    }
}

/// PRECISION, FAMILY and ARCH the Modelfile leaves out, from a hub model's
/// `config.json`/`generation_config.json` (`torch_dtype`, `model_type`,
/// and `transformers_version` meaning a transformer), as
/// `modctl modelfile generate` fills them in. A file that is absent or not
/// a JSON object is passed over, as modctl does.
async fn fill_from_hub_config<G: Gateway>(
    gw: &G,
    context: &Input,
    config: &mut ModelConfig,
) -> Result<()> {
    let root = gw.solve(context.state.marshal().into_pb()).await?;
    let mut keys: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for name in HUB_CONFIGS {
        let found =
            lookup::optional_file(gw, &root, name, &context.describe, MAX_HUB_CONFIG).await?;
        let Some(data) = found else {
            continue;
        };
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(&data) {
            keys.extend(m);
        }
    }
    let text = |k: &str| keys.get(k).and_then(|v| v.as_str()).map(str::to_string);
    if config.precision.is_empty() {
        config.precision = text("torch_dtype").unwrap_or_default();
    }
    if config.family.is_empty() {
        config.family = text("model_type").unwrap_or_default();
    }
    if config.architecture.is_empty() && keys.contains_key("transformers_version") {
        config.architecture = "transformer".to_string();
    }
    Ok(())
}

#[cfg(test)]
#[path = "from_modelfile_tests.rs"]
mod tests;
