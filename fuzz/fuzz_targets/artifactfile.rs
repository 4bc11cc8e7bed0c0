//! The Artifactfile parser on any text: it returns a model or an error
//! with lines inside the file, and never panics. A model holds together:
//! every source index it holds is a source, and its items can be built in
//! an order (each id defined, no reference cycle).
#![no_main]

use std::collections::BTreeMap;

use artifact_frontend::artifactfile::{
    Artifactfile, Item, LayerEntry, LayoutRef, ParseOptions, parse,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = ParseOptions {
        build_args: BTreeMap::from([("VERSION".to_string(), "1.0".to_string())]),
        named_contexts: BTreeMap::from([
            ("weights".to_string(), "local:weights".to_string()),
            ("base".to_string(), "oci-layout://base".to_string()),
        ]),
    };
    match parse(&text, &opts) {
        Err(e) => {
            let lines = text.split('\n').count() as u32;
            assert!(e.lines.start >= 1 && e.lines.start <= e.lines.end && e.lines.end <= lines);
            assert!(!e.message.is_empty());
        }
        Ok(f) => holds_together(&f),
    }
});

fn holds_together(f: &Artifactfile) {
    let n = f.sources.len();
    let layout_ok = |r: &LayoutRef| r.source.is_none_or(|s| s < n);
    for item in &f.items {
        match item {
            Item::Artifact(a) => {
                assert!(a.config.as_ref().is_none_or(|c| c.source < n));
                assert!(a.layers.iter().all(|l| match l {
                    LayerEntry::File(l) => l.source < n,
                    LayerEntry::Layout(r) => layout_ok(r),
                }));
            }
            Item::Include(i) => assert!(layout_ok(&i.from)),
            Item::Index(i) => assert!(!i.members.is_empty()),
        }
    }
    assert!(!f.items.is_empty());
    let mut order = f.build_order().expect("parse checked the references");
    order.sort_unstable();
    assert!(order.into_iter().eq(0..f.items.len()));
}
