//! What every test crate of `artifact-frontend` shares (in the manner of
//! ripgrep's `tests/util.rs`): the reference vector and its options, option
//! pairs as the frontend reads them, a directory's files as a map, caps as
//! `Ping` answers them. The e2e suite, the in-process builds and the fake
//! gateway's protocol tests include it with `#[path = "util/mod.rs"]`.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use artifact_frontend::proto::apicaps::ApiCap;

/// The reference vector: what the reference `artifact.v0` wrote for its
/// input, byte for byte (`expected/`), and its layer list.
pub const VECTOR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/basic");

/// `containerimage.artifact.type`.
pub const TYPE: &str = "containerimage.artifact.type";
/// `containerimage.artifact.config.mediatype`.
pub const CONFIG: &str = "containerimage.artifact.config.mediatype";
/// `containerimage.artifact.layers`.
pub const LAYERS: &str = "containerimage.artifact.layers";

/// The reference vector's options, with `layers` as its layer list (the
/// vector's own: [`vector_layers`]).
pub fn vector_options(layers: &str) -> Vec<(&'static str, String)> {
    vec![
        (TYPE, "application/vnd.example.artifact.v1".into()),
        (CONFIG, "application/vnd.example.config.v1+json".into()),
        (LAYERS, layers.to_string()),
    ]
}

/// The reference vector's layer list.
pub fn vector_layers() -> String {
    std::fs::read_to_string(format!("{VECTOR}/layers.json")).expect("the vector's layers.json")
}

/// `pairs` as the borrowed pairs the option helpers take.
pub fn borrow<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Every file under `dir`, by relative path, with its bytes.
pub fn tree(dir: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(dir) {
                out.insert(rel.to_string_lossy().into_owned(), std::fs::read(&p)?);
            }
        }
    }
    Ok(out)
}

/// Caps as `Ping` lists them, each enabled.
pub fn caps(ids: &[&str]) -> Vec<ApiCap> {
    ids.iter()
        .map(|id| ApiCap {
            id: id.to_string(),
            enabled: true,
            ..Default::default()
        })
        .collect()
}
