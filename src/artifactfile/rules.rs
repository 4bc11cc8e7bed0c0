//! What the specs forbid, refused at its line: a manifest that OCI 1.1 or
//! CNCF ModelPack calls invalid is never written, however the file asks
//! for it.
//!
//! - OCI 1.1: `artifactType` MUST be set when the config is the empty
//!   descriptor (`CONFIG application/vnd.oci.empty.v1+json` without
//!   `ARTIFACT`).
//! - ModelPack: an `ARTIFACT` of type
//!   `application/vnd.cncf.model.manifest.v1+json` needs the config media
//!   type `application/vnd.cncf.model.config.v1+json` and a config that
//!   lists every layer's DiffID. `CONFIG` with that type and no file would
//!   be `{}`, which no ModelPack client reads; without `CONFIG`, the config
//!   can only be derived from a ModelPack model that `LAYERS` extends
//!   (whether its layout holds one is known when the build reads it). A
//!   model of plain files is a Modelfile's job, which generates the config.
//!
//! Only what the file's text shows is checked here; the rest is checked
//! where the layouts are read.

use crate::modelpack;
use crate::oci::EMPTY_JSON_MEDIA_TYPE;

use super::items::{ArtifactDecl, Item, LayerEntry};
use super::model::ParseError;

/// How to package files as a ModelPack model instead.
const WRITE_A_MODELFILE: &str = "to package files as a ModelPack model, write a Modelfile \
     (MODEL, CONFIG, CODE, DOC lines; it generates the config with every layer's DiffID)";

/// The first artifact of `items` that the specs forbid, as an error at
/// the line that makes it so.
pub(super) fn check(items: &[Item]) -> Result<(), ParseError> {
    for item in items {
        if let Item::Artifact(a) = item {
            check_artifact(a)?;
        }
    }
    Ok(())
}

fn check_artifact(a: &ArtifactDecl) -> Result<(), ParseError> {
    let artifact_type = a.artifact_type.as_ref().map(|(t, _)| t.as_str());
    if let (Some(c), None) = (&a.config, artifact_type)
        && c.media_type == EMPTY_JSON_MEDIA_TYPE
    {
        return Err(ParseError {
            message: format!(
                "CONFIG {EMPTY_JSON_MEDIA_TYPE} is the empty descriptor, and OCI 1.1 requires \
                 an artifactType then: add `ARTIFACT <artifactType>` (e.g. \
                 `ARTIFACT application/vnd.example.thing.v1`)"
            ),
            lines: c.lines,
        });
    }
    if artifact_type != Some(modelpack::ARTIFACT_TYPE) {
        return Ok(());
    }
    let model = modelpack::ARTIFACT_TYPE;
    let config_type = modelpack::CONFIG_MEDIA_TYPE;
    match &a.config {
        Some(c) if c.media_type != config_type => Err(ParseError {
            message: format!(
                "CONFIG {}: an ARTIFACT of type {model} is a ModelPack model, whose config media \
                 type must be {config_type}; {WRITE_A_MODELFILE}",
                super::quote(&c.media_type)
            ),
            lines: c.lines,
        }),
        Some(c) if c.path.is_none() => Err(ParseError {
            message: format!(
                "CONFIG {config_type} without a file would make the model's config `{{}}`, which \
                 no ModelPack client reads (it must list every layer's DiffID): name the config \
                 file, leave CONFIG out to extend the config of the ModelPack model LAYERS takes, \
                 or {WRITE_A_MODELFILE}"
            ),
            lines: c.lines,
        }),
        None if !a.layers.iter().any(|l| matches!(l, LayerEntry::Layout(_))) => Err(ParseError {
            message: format!(
                "ARTIFACT {model} is a ModelPack model, whose config must list every layer's \
                 DiffID, and an Artifactfile derives that config only from a ModelPack model it \
                 extends (LAYERS <layout>); {WRITE_A_MODELFILE}, or give the config: \
                 CONFIG {config_type} <file>"
            ),
            lines: a.artifact_type.as_ref().map_or(a.lines, |(_, l)| *l),
        }),
        // A config file of one's own is taken as it is; a model that
        // `LAYERS` extends is checked when its layout is read.
        Some(_) | None => Ok(()),
    }
}
