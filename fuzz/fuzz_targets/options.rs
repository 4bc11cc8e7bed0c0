//! Option parsing: the input is a set of `BUILDKIT_FRONTEND_OPT_<n>`
//! values (one per line), read as buildkitd passes them, then validated as
//! the artifact contract's options; and the same text as a layers list.
//! Either a typed spec or a user error, never a panic.
#![no_main]

use artifact_frontend::artifact::{ArtifactSpec, parse_layers};
use artifact_frontend::gateway::from_env;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let vars = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (format!("BUILDKIT_FRONTEND_OPT_{i}"), l.to_string()));
    let opts = from_env(vars);
    if let Ok(spec) = ArtifactSpec::from_options(&opts) {
        assert!(!spec.config_media_type.is_empty());
    }
    if let Ok(layers) = parse_layers(&text, "fuzz") {
        for l in layers {
            assert!(!l.media_type.is_empty());
            assert!(!l.path.starts_with('/') && !l.path.split('/').any(|c| c == ".."));
        }
    }
});
