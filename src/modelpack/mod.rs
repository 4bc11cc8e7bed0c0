//! The CNCF ModelPack format (model-spec v1), as far as a packager needs it:
//! the artifact and config media types, the five layer categories and four
//! encodings, modctl's rules for classifying a model directory's files
//! ([`mod@classify`]), and the documents we generate: the model config and the
//! per-layer file annotations ([`config`]).
//!
//! Pure data and functions, no I/O: the frontend decides which files go in,
//! this module says how ModelPack names and describes them.

pub mod classify;
pub mod config;
mod media;

pub use classify::{classify, is_skipped};
pub use config::{FileMetadata, ModelConfig, file_metadata_json};
pub use media::{
    ARTIFACT_TYPE, CONFIG_MEDIA_TYPE, FILE_METADATA, FILEPATH, Kind, Packing, UNTESTED,
    layer_media_type,
};

#[cfg(test)]
mod tests;
