//! Where the artifact's files come from.

use std::collections::BTreeMap;

use crate::gateway::{Bridge, Options};
use crate::llb::{self, LocalOptions, State};
use crate::proto::pb;

/// The frontend input the artifact contract names.
pub const INPUT_KEY: &str = "input";

/// The input filesystem and a name for it in messages.
pub struct Input {
    /// The files.
    pub state: State,
    /// e.g. `frontend input "input"` or `local context "context"`.
    pub describe: String,
}

/// Picks the input: frontend input `input` (what BuildKit's postprocessor
/// passes), else the only input given, else a `context` input (bake), else
/// the local build context. For the local context only the layer paths are
/// transferred (`followpaths`, which also brings symlink targets), so a
/// large context costs nothing beyond the files packaged.
pub async fn resolve(
    bridge: &Bridge,
    opts: &Options,
    layer_paths: &[String],
) -> anyhow::Result<Input> {
    let inputs = bridge.inputs().await?;
    if let Some((name, def)) = pick(&inputs) {
        return Ok(Input {
            state: State::from_definition(def)?,
            describe: format!("frontend input {name:?}"),
        });
    }
    let name = "context";
    let mut follow_paths: Vec<String> = layer_paths.to_vec();
    follow_paths.sort();
    follow_paths.dedup();
    let local = LocalOptions {
        session_id: opts.local_session(name),
        // An empty followpaths list would mean "everything"; with no layers
        // nothing needs transferring, so ask for a path that is not there.
        follow_paths: if follow_paths.is_empty() {
            vec![".artifact-no-layers".to_string()]
        } else {
            follow_paths
        },
        shared_key_hint: name.to_string(),
        custom_name: "[artifact] load build context".to_string(),
        ..Default::default()
    };
    Ok(Input {
        state: llb::local(name, &local),
        describe: format!("build context (local {name:?})"),
    })
}

fn pick(inputs: &BTreeMap<String, pb::Definition>) -> Option<(&String, &pb::Definition)> {
    inputs
        .get_key_value(INPUT_KEY)
        .or_else(|| (inputs.len() == 1).then(|| inputs.iter().next()).flatten())
        .or_else(|| inputs.get_key_value("context"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defs(keys: &[&str]) -> BTreeMap<String, pb::Definition> {
        keys.iter()
            .map(|k| (k.to_string(), pb::Definition::default()))
            .collect()
    }

    #[test]
    fn input_key_wins_then_single_then_context() {
        assert_eq!(
            pick(&defs(&["a", "input"])).map(|p| p.0.as_str()),
            Some("input")
        );
        assert_eq!(pick(&defs(&["only"])).map(|p| p.0.as_str()), Some("only"));
        assert_eq!(
            pick(&defs(&["context", "dockerfile"])).map(|p| p.0.as_str()),
            Some("context")
        );
        assert!(pick(&defs(&["a", "b"])).is_none());
        assert!(pick(&defs(&[])).is_none());
    }
}
