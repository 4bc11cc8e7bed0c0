//! The two JSON documents ModelPack adds to an artifact: the model config
//! blob and the per-layer file metadata annotation. Both are written with
//! the bytes Go's `encoding/json` gives model-spec's structs (field order,
//! `omitempty`, `\u003c`-style escapes), as modctl writes them, and both
//! take their times from SOURCE_DATE_EPOCH, never from the clock or the
//! disk, so the same files give the same digests on every machine.

use crate::oci::gojson::write_string;

/// The config's `descriptor` and `config` fields a Modelfile can set.
/// Empty strings are left out, as Go's `omitempty` does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelConfig {
    /// `descriptor.name` (`NAME`).
    pub name: String,
    /// `descriptor.family` (`FAMILY`).
    pub family: String,
    /// `config.architecture` (`ARCH`).
    pub architecture: String,
    /// `config.format` (`FORMAT`).
    pub format: String,
    /// `config.paramSize` (`PARAMSIZE`).
    pub param_size: String,
    /// `config.precision` (`PRECISION`).
    pub precision: String,
    /// `config.quantization` (`QUANTIZATION`).
    pub quantization: String,
}

impl ModelConfig {
    /// The config blob: `created_at` (RFC 3339) goes in
    /// `descriptor.createdAt` when given; `diff_ids` are the layers'
    /// DiffIDs in manifest order.
    pub fn to_json(&self, created_at: Option<&str>, diff_ids: &[String]) -> Vec<u8> {
        let mut out = String::from("{\"descriptor\":{");
        OmitEmpty::new(&mut out)
            .field("createdAt", created_at.unwrap_or_default())
            .field("family", &self.family)
            .field("name", &self.name);
        out.push_str("},\"modelfs\":{\"type\":\"layers\",\"diffIds\":[");
        for (i, d) in diff_ids.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&mut out, d);
        }
        out.push_str("]},\"config\":{");
        OmitEmpty::new(&mut out)
            .field("architecture", &self.architecture)
            .field("format", &self.format)
            .field("paramSize", &self.param_size)
            .field("precision", &self.precision)
            .field("quantization", &self.quantization);
        out.push_str("}}");
        out.into_bytes()
    }
}

/// String fields of one JSON object with Go's `omitempty`: empty values
/// are left out, the rest comma-separated in the order written.
struct OmitEmpty<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> OmitEmpty<'a> {
    fn new(out: &'a mut String) -> Self {
        OmitEmpty { out, first: true }
    }

    fn field(&mut self, key: &str, value: &str) -> &mut Self {
        if !value.is_empty() {
            if !self.first {
                self.out.push(',');
            }
            self.first = false;
            write_string(self.out, key);
            self.out.push(':');
            write_string(self.out, value);
        }
        self
    }
}

/// What `org.cncf.model.file.metadata+json` says about one file. uid and
/// gid are always 0 and the time is the build's, so the annotation (and
/// with it the manifest digest) depends on the file alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMetadata<'a> {
    /// The file's base name.
    pub name: &'a str,
    /// Permission bits (`0o644` is written as 420, as Go does).
    pub mode: u32,
    /// Bytes (0 for a directory).
    pub size: u64,
    /// RFC 3339 time (SOURCE_DATE_EPOCH, or the Unix epoch).
    pub mtime: &'a str,
    /// A directory (tar typeflag 5) rather than a regular file (0).
    pub dir: bool,
}

/// The annotation's value: model-spec's `FileMetadata` as Go writes it.
pub fn file_metadata_json(m: &FileMetadata) -> String {
    let mut out = String::from("{\"name\":");
    write_string(&mut out, m.name);
    out.push_str(&format!(
        ",\"mode\":{},\"uid\":0,\"gid\":0,\"size\":{},\"mtime\":",
        m.mode & 0o777,
        m.size
    ));
    write_string(&mut out, m.mtime);
    out.push_str(&format!(",\"typeflag\":{}}}", if m.dir { 5 } else { 0 }));
    out
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
