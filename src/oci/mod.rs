//! OCI artifacts: descriptors, the manifest, `index.json` and `oci-layout`,
//! written, and a layout read back ([`reader`]); registry references
//! ([`reference`]), which the Artifactfile and the registry client both read.
//!
//! The data model is oci-spec's. The bytes are our own: every JSON document
//! is written the way Go's `encoding/json` writes the image-spec structs
//! (their field order, `omitempty` rules, sorted map keys, no whitespace and
//! Go's HTML-safe escaping), so for the same input we produce the same
//! digests as BuildKit's reference `artifact.v0` and other Go tooling.
//! oci-spec's own serde output differs in descriptor field order and keeps
//! annotations in a `HashMap`, so it is never used for bytes we hash.

pub mod gojson;
mod layout;
pub mod reader;
pub mod reference;

pub use layout::{
    Blob, EMPTY_JSON_MEDIA_TYPE, IndexBuilder, IndexEntry, Layout, ManifestBuilder, REF_NAME,
    TITLE, descriptor, layout, untagged,
};
