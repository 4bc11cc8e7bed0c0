//! The Go-compatible JSON writer: any string, and any descriptor made of
//! fuzzed media type and annotations, read back by serde_json as the same
//! value.
#![no_main]

use std::collections::BTreeMap;

use artifact_frontend::digest::Digest;
use artifact_frontend::oci::{descriptor, gojson};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut out = String::new();
    gojson::write_string(&mut out, &text);
    let back: String = serde_json::from_str(&out).expect("write_string wrote invalid JSON");
    assert_eq!(back, text);

    let mut parts = text.split('\0');
    let media_type = parts.next().unwrap_or_default();
    let annotations: BTreeMap<String, String> = parts
        .collect::<Vec<_>>()
        .chunks(2)
        .map(|kv| (kv[0].to_string(), kv.get(1).copied().unwrap_or_default().to_string()))
        .collect();
    let digest = Digest::of(b"blob");
    let Ok(d) = descriptor(media_type, &digest, 42, &annotations) else {
        return;
    };
    let mut json = String::new();
    gojson::write_descriptor(&mut json, &d);
    let v: serde_json::Value = serde_json::from_str(&json).expect("invalid descriptor JSON");
    assert_eq!(v["mediaType"], media_type);
    assert_eq!(v["digest"], digest.to_string());
    assert_eq!(v["size"], 42);
    let got: BTreeMap<String, String> = v
        .get("annotations")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .unwrap_or_default();
    assert_eq!(got, annotations);
});
