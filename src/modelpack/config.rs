//! The two JSON documents ModelPack adds to an artifact: the model config
//! blob and the per-layer file metadata annotation. Both are written with
//! the bytes Go's `encoding/json` gives model-spec's structs (field order,
//! `omitempty`, `\u003c`-style escapes), as modctl writes them, and both
//! take their times from SOURCE_DATE_EPOCH, never from the clock or the
//! disk, so the same files give the same digests on every machine.

use crate::oci::gojson::Object;

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
        let mut out = String::new();
        let mut doc = Object::begin(&mut out);
        let mut d = doc.object("descriptor");
        d.str_opt("createdAt", created_at);
        d.str_opt("family", Some(&self.family));
        d.str_opt("name", Some(&self.name));
        d.end();
        let mut fs = doc.object("modelfs");
        fs.str("type", "layers");
        fs.str_list("diffIds", diff_ids);
        fs.end();
        let mut c = doc.object("config");
        c.str_opt("architecture", Some(&self.architecture));
        c.str_opt("format", Some(&self.format));
        c.str_opt("paramSize", Some(&self.param_size));
        c.str_opt("precision", Some(&self.precision));
        c.str_opt("quantization", Some(&self.quantization));
        c.end();
        doc.end();
        out.into_bytes()
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
    let mut out = String::new();
    let mut o = Object::begin(&mut out);
    o.str("name", m.name);
    o.num("mode", u64::from(m.mode & 0o777));
    o.num("uid", 0);
    o.num("gid", 0);
    o.num("size", m.size);
    o.str("mtime", m.mtime);
    o.num("typeflag", if m.dir { 5 } else { 0 });
    o.end();
    out
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;

/// The config of a model extended by new layers: the base's, its
/// `modelfs.diffIds` covering every layer (given in order) and its
/// `createdAt` from SOURCE_DATE_EPOCH (none without one: the base's time
/// is not the new model's).
pub fn extended(
    base: &serde_json::Value,
    diff_ids: &[crate::digest::Digest],
    created_at: Option<&str>,
) -> Result<serde_json::Value, String> {
    let mut config = base.clone();
    let obj = config
        .as_object_mut()
        .ok_or("the base model's config is not a JSON object")?;
    let modelfs = obj
        .entry("modelfs")
        .or_insert_with(|| serde_json::json!({"type": "layers"}));
    let modelfs = modelfs
        .as_object_mut()
        .ok_or("the base model's modelfs is not a JSON object")?;
    modelfs.insert(
        "diffIds".to_string(),
        diff_ids.iter().map(|d| d.to_string()).collect(),
    );
    // The base's time is not the new model's, and the clock is never
    // read: SOURCE_DATE_EPOCH's, or none (as a Modelfile build writes).
    let descriptor = obj
        .entry("descriptor")
        .or_insert_with(|| serde_json::json!({}));
    if let Some(d) = descriptor.as_object_mut() {
        match created_at {
            Some(at) => d.insert("createdAt".to_string(), at.into()),
            None => d.remove("createdAt"),
        };
    }
    Ok(config)
}
