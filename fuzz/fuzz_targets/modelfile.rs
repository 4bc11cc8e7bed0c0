//! The Modelfile parser on any text: a model whose file lines are unique
//! and non-empty, or an error at a line of the file; never a panic.
#![no_main]

use artifact_frontend::modelfile::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = text.split('\n').count() as u32;
    match parse(&text) {
        Ok(f) => {
            for (i, a) in f.files.iter().enumerate() {
                assert!(!a.pattern.is_empty());
                assert!(a.lines.start >= 1 && a.lines.start <= lines);
                for b in &f.files[i + 1..] {
                    assert!(a.kind != b.kind || a.pattern != b.pattern, "repeat kept");
                }
            }
            for (_, value, _) in &f.meta {
                assert!(!value.is_empty());
            }
        }
        Err(e) => assert!(e.lines.start >= 1 && e.lines.start <= lines),
    }
});
