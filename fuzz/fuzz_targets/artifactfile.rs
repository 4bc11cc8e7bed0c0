//! The Artifactfile parser on any text: it returns a model or an error
//! with lines inside the file, and never panics.
#![no_main]

use std::collections::BTreeMap;

use artifact_frontend::artifactfile::{ParseOptions, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = ParseOptions {
        build_args: BTreeMap::from([("VERSION".to_string(), "1.0".to_string())]),
        named_contexts: BTreeMap::from([("weights".to_string(), "local:weights".to_string())]),
    };
    if let Err(e) = parse(&text, &opts) {
        let lines = text.split('\n').count() as u32;
        assert!(e.lines.start >= 1 && e.lines.start <= e.lines.end && e.lines.end <= lines);
        assert!(!e.message.is_empty());
    }
});
