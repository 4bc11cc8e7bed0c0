//! Where the artifact's files come from: frontend inputs, local
//! directories of the client, images, named contexts.

use std::collections::BTreeMap;

use crate::blobtool::{literal_prefix, quote};
use crate::gateway::{Gateway, UserError};
use crate::llb::{self, ImageRef, LocalOptions, State};
use crate::proto::pb;

use crate::artifact::error::Result;
use crate::artifact::plan::types::{BlobRequest, Input};
use crate::artifact::request::Sessions;

use super::ignore::Ignore;

/// The frontend input the artifact contract names.
pub const INPUT_KEY: &str = "input";

/// The contract's input: frontend input `input` (what BuildKit's
/// postprocessor passes), else the only input given, else a `context` input
/// (bake), else the local build context.
pub async fn contract_input<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    paths: &[String],
) -> Result<Input> {
    let inputs = gw.inputs().await?;
    if let Some((name, def)) = pick(inputs) {
        return Ok(Input {
            state: State::from_definition(def)?,
            describe: format!("frontend input {name:?}"),
        });
    }
    Ok(local_dir(sessions, "context", Some(paths), "build context"))
}

/// A spec file's build context: a `context` frontend input (bake) or the
/// local `context` directory, transferring only `paths` when given and
/// nothing that `ignore` or `exclude` (patterns of our own) excludes.
pub async fn build_context<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    paths: Option<&[String]>,
    exclude: &[String],
    ignore: &Ignore,
) -> Result<Input> {
    let inputs = gw.inputs().await?;
    if let Some(def) = inputs.get("context") {
        return Ok(Input {
            state: State::from_definition(def)?,
            describe: "frontend input \"context\"".into(),
        });
    }
    // The user's patterns first: ours (the last to match wins) can't be
    // undone by an exception in an ignore file.
    let mut patterns = ignore.patterns.clone();
    patterns.extend(exclude.iter().cloned());
    let mut input = local_input(sessions, "context", paths, &patterns, "build context");
    if let (Some(file), false) = (&ignore.file, ignore.is_empty()) {
        input.describe = format!("build context (local \"context\", less what {file} excludes)");
    }
    Ok(input)
}

/// What of the local build context `requests` need transferred: the named
/// paths, or the directory a glob starts in; `None` (everything) for a
/// glob at the top.
pub fn transfer_paths(requests: &[&BlobRequest]) -> Option<Vec<String>> {
    let mut paths = Vec::new();
    for r in requests {
        if r.glob {
            let (prefix, _) = literal_prefix(&r.path);
            if prefix.is_empty() {
                return None;
            }
            paths.push(prefix);
        } else {
            paths.push(r.path.clone());
        }
    }
    Some(paths)
}

/// A local directory the client shares as `name`. With `paths`, only those
/// are transferred (`followpaths` also brings symlink targets), so a large
/// directory costs nothing beyond the files packaged.
pub fn local_dir(sessions: &Sessions, name: &str, paths: Option<&[String]>, what: &str) -> Input {
    local_input(sessions, name, paths, &[], what)
}

/// [`local_dir`], leaving out what matches `exclude`.
fn local_input(
    sessions: &Sessions,
    name: &str,
    paths: Option<&[String]>,
    exclude: &[String],
    what: &str,
) -> Input {
    // Follow paths are patterns to BuildKit (fsutil includes them): a
    // name with glob characters must match only itself.
    let follow_paths = paths.map(|p| {
        let mut p: Vec<String> = p.iter().map(|p| quote(p)).collect();
        p.sort();
        p.dedup();
        // An empty list would mean "everything"; ask for nothing instead.
        if p.is_empty() {
            p.push(".artifact-nothing".into());
        }
        p
    });
    let local = LocalOptions {
        session_id: sessions.for_local(name).to_string(),
        follow_paths: follow_paths.unwrap_or_default(),
        exclude_patterns: exclude.to_vec(),
        shared_key_hint: name.to_string(),
        custom_name: format!("[artifact] load {what} {name:?}"),
        ..Default::default()
    };
    Input {
        state: llb::local(name, &local),
        describe: format!("{what} (local {name:?})"),
    }
}

/// The filesystem of image `reference`.
pub fn image(reference: &str) -> Result<Input, UserError> {
    let r = ImageRef::parse(reference).map_err(|e| UserError::new(e.to_string()))?;
    Ok(Input {
        state: llb::image(&r, None),
        describe: format!("image {reference}"),
    })
}

/// A named context's value (`--build-context NAME=VALUE`, option
/// `context:NAME`): `local:DIR`, `docker-image://REF` or `input:KEY`.
pub async fn named<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    name: &str,
    value: &str,
) -> Result<Input> {
    if let Some(local) = value.strip_prefix("local:") {
        return Ok(local_dir(
            sessions,
            local,
            None,
            &format!("context {name:?}, directory"),
        ));
    }
    if let Some(r) = value.strip_prefix("docker-image://") {
        let mut input = image(r)?;
        input.describe = format!("context {name:?} (image {r})");
        return Ok(input);
    }
    if let Some(key) = value.strip_prefix("input:") {
        let inputs = gw.inputs().await?;
        let def = inputs.get(key).ok_or_else(|| {
            UserError::new(format!(
                "context {name:?} names frontend input {key:?}, which this build does not have (it has: {})",
                inputs.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        return Ok(Input {
            state: State::from_definition(def)?,
            describe: format!("context {name:?} (frontend input {key:?})"),
        });
    }
    Err(UserError::new(format!(
        "context {name:?}={value:?} is not supported here: use a local directory, docker-image://REF or input:KEY"
    ))
    .into())
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
