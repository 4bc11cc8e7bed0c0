//! The `containerimage.artifact.*` options become a typed, validated
//! [`ArtifactSpec`] (part of reading every option at the door, see
//! [`super::Config`]).
//!
//! These are the keys of BuildKit's artifact contract (moby/buildkit PR
//! #6574). Each may also come as `build-arg:<key>`, which is how `docker
//! build --build-arg` users reach a `# syntax=` frontend.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::gateway::{Options, UserError};

use crate::artifact::path::normalize_layer_path;

/// The manifest's `artifactType`.
pub const TYPE_KEY: &str = "containerimage.artifact.type";
/// The config descriptor's media type (required).
pub const CONFIG_MEDIATYPE_KEY: &str = "containerimage.artifact.config.mediatype";
/// JSON array of `{path, mediaType, annotations?}`, or `@<path>` naming a
/// file of the input that holds that array.
pub const LAYERS_KEY: &str = "containerimage.artifact.layers";

/// Largest layers file we read (one ReadFile, under the 16 MiB message cap).
pub const MAX_LAYERS_FILE: u64 = 8 << 20;

/// Where the layer list comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layers {
    /// Given inline in the option.
    Inline(Vec<LayerSpec>),
    /// `@<path>`: read from this file of the input. Options reach the
    /// frontend as environment variables, and Linux caps one variable at
    /// 128 KiB, so a list of thousands of layers can only come this way.
    File {
        /// Cleaned path inside the input.
        path: String,
        /// The option that named it, for messages.
        key: String,
    },
}

/// One layer: a file of the input and how to describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerSpec {
    /// Cleaned path, relative to the input root.
    pub path: String,
    /// The path as the user wrote it, for messages.
    pub given_path: String,
    /// Descriptor media type.
    pub media_type: String,
    /// Descriptor annotations.
    pub annotations: BTreeMap<String, String>,
}

/// What to build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactSpec {
    /// Manifest and index descriptor `artifactType`, when set.
    pub artifact_type: Option<String>,
    /// Config media type.
    pub config_media_type: String,
    /// Layers, in manifest order.
    pub layers: Layers,
}

impl ArtifactSpec {
    /// Validates the artifact options.
    pub fn from_options(opts: &Options) -> Result<ArtifactSpec, UserError> {
        let artifact_type = opts
            .get_or_build_arg(TYPE_KEY)
            .map(|(v, _)| v.to_string())
            .filter(|v| !v.is_empty());
        let config_media_type = match opts.get_or_build_arg(CONFIG_MEDIATYPE_KEY) {
            Some((v, _)) if !v.is_empty() => v.to_string(),
            _ => {
                return Err(UserError::new(format!(
                    "option {CONFIG_MEDIATYPE_KEY} is required: set it to the config blob's \
                     media type, e.g. `--opt {CONFIG_MEDIATYPE_KEY}=application/vnd.oci.empty.v1+json` \
                     (buildctl) or `--build-arg {CONFIG_MEDIATYPE_KEY}=...` (docker build)"
                )));
            }
        };
        let layers = match opts.get_or_build_arg(LAYERS_KEY) {
            Some((raw, key)) => match raw.trim_start().strip_prefix('@') {
                Some(file) => Layers::File {
                    path: normalize_layer_path(file.trim()).map_err(|why| {
                        UserError::new(format!("option {key}: invalid layers file {file:?}: {why}"))
                    })?,
                    key,
                },
                None => Layers::Inline(parse_layers(raw, &key)?),
            },
            None => {
                return Err(UserError::new(format!(
                    "option {LAYERS_KEY} is required: a JSON array such as \
                     '[{{\"path\":\"model.bin\",\"mediaType\":\"application/octet-stream\"}}]' \
                     (use '[]' for an artifact without layers)"
                )));
            }
        };
        Ok(ArtifactSpec {
            artifact_type,
            config_media_type,
            layers,
        })
    }
}

/// Field names of a layer entry. Matched case-insensitively, as Go's
/// `encoding/json` matches struct fields, so inputs the reference accepts
/// are accepted here too.
const LAYER_FIELDS: [&str; 3] = ["path", "mediaType", "annotations"];

/// Parses a layer list: `key` names where it came from in messages.
pub fn parse_layers(raw: &str, key: &str) -> Result<Vec<LayerSpec>, UserError> {
    let value: Value = serde_json::from_str(raw).map_err(|e| {
        UserError::new(format!(
            "option {key} is not valid JSON ({e}): expected an array of \
             {{\"path\", \"mediaType\", \"annotations\"}} objects"
        ))
    })?;
    let items = match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items,
        other => {
            return Err(UserError::new(format!(
                "option {key} must be a JSON array of layers, got {}",
                kind(&other)
            )));
        }
    };
    items
        .into_iter()
        .enumerate()
        // Users count layers from 1.
        .map(|(i, item)| parse_layer(i + 1, item, key))
        .collect()
}

fn parse_layer(i: usize, item: Value, key: &str) -> Result<LayerSpec, UserError> {
    let Value::Object(fields) = item else {
        return Err(UserError::new(format!(
            "{key}: layer {i} must be an object like {{\"path\":...,\"mediaType\":...}}, got {}",
            kind(&item)
        )));
    };
    let mut path = None;
    let mut media_type = None;
    let mut annotations = BTreeMap::new();
    for (name, v) in fields {
        let field = LAYER_FIELDS.iter().find(|f| f.eq_ignore_ascii_case(&name));
        let want_string = |v: Value, what: &str| match v {
            Value::String(s) => Ok(s),
            Value::Null => Ok(String::new()),
            other => Err(UserError::new(format!(
                "{key}: layer {i} {what} must be a string, got {}",
                kind(&other)
            ))),
        };
        match field.copied() {
            Some("path") => path = Some(want_string(v, "path")?),
            Some("mediaType") => media_type = Some(want_string(v, "mediaType")?),
            Some(_) => match v {
                Value::Null => {}
                Value::Object(m) => {
                    for (k, v) in m {
                        let v = want_string(v, &format!("annotation {k:?}"))?;
                        annotations.insert(k, v);
                    }
                }
                other => {
                    return Err(UserError::new(format!(
                        "{key}: layer {i} annotations must be an object of strings, got {}",
                        kind(&other)
                    )));
                }
            },
            None => {
                let hint = crate::suggest::did_you_mean(&name, &LAYER_FIELDS);
                return Err(UserError::new(format!(
                    "{key}: layer {i} has unknown field {name:?}{hint}; \
                     a layer has \"path\", \"mediaType\" and optional \"annotations\""
                )));
            }
        }
    }
    let given_path = path.unwrap_or_default();
    let path = normalize_layer_path(&given_path).map_err(|why| {
        UserError::new(format!(
            "{key}: invalid layer {i} path {given_path:?}: {why}"
        ))
    })?;
    let media_type = media_type.unwrap_or_default();
    if media_type.is_empty() {
        return Err(UserError::new(format!(
            "{key}: layer {i} ({given_path:?}) needs a \"mediaType\", e.g. \"application/octet-stream\""
        )));
    }
    Ok(LayerSpec {
        path,
        given_path,
        media_type,
        annotations,
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
