//! Where the artifact's files come from: frontend inputs, local
//! directories of the client, images, named contexts.

use std::collections::BTreeMap;

use crate::blobtool::{literal_prefix, quote};
use crate::gateway::{Gateway, UserError};
use crate::llb::{self, ImageRef, LocalOptions, State};
use crate::proto::pb;

use super::{Input, LocalSource, Wanted};
use crate::artifact::error::Result;
use crate::artifact::request::Sessions;

use super::context::Filter;

/// Most paths and patterns one local source carries. BuildKit sends them
/// to the client in the headers of one gRPC call, and today's clients
/// refuse a few hundred (buildctl 0.32 and buildx 0.36 answer 490 and fail
/// at 500: "431 Request Header Fields Too Large", or PROTOCOL_ERROR), while
/// older ones take thousands. Longer lists of files are sent by directory.
pub const MAX_PATTERNS: usize = 100;
/// Most bytes of them (each also costs 32 bytes of header overhead).
pub const MAX_PATTERN_BYTES: usize = 64 << 10;

/// The frontend input the artifact contract names.
pub const INPUT_KEY: &str = "input";

/// The contract's input: frontend input `input` (what BuildKit's
/// postprocessor passes), else the only input given, else a `context` input
/// (bake), else the local build context. `key` names the client's transfer
/// cache of the local context: reads of other paths of it (the layers file)
/// take a key of their own, or each build would send the context again
/// after the other read shrank the cache to its one file.
pub async fn contract_input<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    paths: &[String],
    key: &str,
) -> Result<Input> {
    let inputs = gw.inputs().await?;
    if let Some((name, def)) = pick(inputs) {
        return Ok(Input::whole(
            State::from_definition(def)?,
            format!("frontend input {name:?}"),
        ));
    }
    let local = local_source(sessions, "context", key, Some(paths), &[], "build context");
    Ok(Input {
        state: llb::local(&local.name, &local.options),
        describe: "build context (local \"context\")".to_string(),
        local: Some(local),
    })
}

/// A spec file's build context: a `context` frontend input (bake) or the
/// local `context` directory, transferring only `paths` when given and
/// nothing that `filter` (the ignore file, OCI layouts not in `paths`) or
/// `exclude` (patterns of our own) leaves out.
pub async fn build_context<G: Gateway>(
    gw: &G,
    sessions: &Sessions,
    paths: Option<&[String]>,
    exclude: &[String],
    filter: &Filter,
) -> Result<Input> {
    let inputs = gw.inputs().await?;
    if let Some(def) = inputs.get("context") {
        return Ok(Input::whole(
            State::from_definition(def)?,
            "frontend input \"context\"".into(),
        ));
    }
    let ignore = &filter.ignore;
    let layouts = filter.layouts_to_skip(paths.unwrap_or_default());
    // The user's patterns first: ours (the last to match wins) can't be
    // undone by an exception in an ignore file.
    let mut patterns = ignore.patterns.clone();
    patterns.extend(exclude.iter().cloned());
    patterns.extend(layouts.iter().map(|d| quote(d)));
    let mut input = local_input(sessions, "context", paths, &patterns, "build context");
    if let (Some(file), false) = (&ignore.file, ignore.is_empty()) {
        input.describe = format!("build context (local \"context\", less what {file} excludes)");
    }
    if !layouts.is_empty() {
        // The one progress line that says so: this step's name.
        let local = local_source(
            sessions,
            "context",
            "context",
            paths,
            &patterns,
            &format!(
                "build context, leaving out OCI layout {} (an earlier build's output; name it \
                 to package it)",
                layouts
                    .iter()
                    .map(|d| format!("{d}/"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        input.state = llb::local(&local.name, &local.options);
        input.local = Some(local);
    }
    Ok(input)
}

/// What of the local build context `wanted` needs transferred: the named
/// paths, or the directory a glob starts in; `None` (everything) for a
/// glob at the top.
pub fn transfer_paths(wanted: &[Wanted]) -> Option<Vec<String>> {
    let mut paths = Vec::new();
    for w in wanted {
        if w.glob {
            let (prefix, _) = literal_prefix(w.path);
            if prefix.is_empty() {
                return None;
            }
            paths.push(prefix);
        } else {
            paths.push(w.path.to_string());
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
    let local = local_source(sessions, name, name, paths, exclude, what);
    Input {
        state: llb::local(&local.name, &local.options),
        describe: format!("{what} (local {name:?})"),
        local: Some(local),
    }
}

/// The local source of [`local_input`], named `what` in progress output,
/// its transfer cached on the client's side under `key`.
fn local_source(
    sessions: &Sessions,
    name: &str,
    key: &str,
    paths: Option<&[String]>,
    exclude: &[String],
    what: &str,
) -> LocalSource {
    let budget = MAX_PATTERNS
        .saturating_sub(exclude.len())
        .max(MAX_PATTERNS / 4);
    let follow_paths = match paths {
        // An empty list would mean "everything"; ask for nothing instead.
        Some([]) => vec![".artifact-nothing".to_string()],
        Some(p) => follow_paths(p, budget).unwrap_or_default(),
        None => Vec::new(),
    };
    let options = LocalOptions {
        session_id: sessions.for_local(name).to_string(),
        follow_paths,
        exclude_patterns: exclude.to_vec(),
        shared_key_hint: key.to_string(),
        custom_name: format!("[artifact] load {what} {name:?}"),
        ..Default::default()
    };
    LocalSource {
        name: name.to_string(),
        options,
    }
}

/// The follow paths that transfer `paths`, at most `budget` of them: the
/// paths themselves, else their directories a level up at a time, else
/// `None` (everything: 10,000 files at the top have no directory to share).
/// Follow paths are patterns to BuildKit (fsutil includes them): a name
/// with glob characters goes quoted so that it matches only itself.
///
/// What it costs: files of those directories the build does not name are
/// sent too, and BuildKit's cache key of the small files' hashing step
/// covers them (a big file's step is keyed by that file alone).
pub fn follow_paths(paths: &[String], budget: usize) -> Option<Vec<String>> {
    let depth = paths
        .iter()
        .map(|p| p.split('/').count())
        .max()
        .unwrap_or(0);
    (1..=depth).rev().find_map(|keep| {
        let mut cut: Vec<String> = paths
            .iter()
            .map(|p| p.split('/').take(keep).collect::<Vec<_>>().join("/"))
            .collect();
        cut.sort();
        cut.dedup();
        // A path inside another one listed is sent with it.
        let all = cut.clone();
        cut.retain(|p| {
            !p.match_indices('/')
                .any(|(i, _)| all.binary_search(&p[..i].to_string()).is_ok())
        });
        let quoted: Vec<String> = cut.iter().map(|p| quote(p)).collect();
        let bytes: usize = quoted.iter().map(|p| p.len() + 32).sum();
        (quoted.len() <= budget && bytes <= MAX_PATTERN_BYTES).then_some(quoted)
    })
}

/// The filesystem of image `reference`.
pub fn image(reference: &str) -> Result<Input, UserError> {
    let r = ImageRef::parse(reference).map_err(|e| UserError::new(e.to_string()))?;
    Ok(Input::whole(
        llb::image(&r, None),
        format!("image {reference}"),
    ))
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
        return Ok(Input::whole(
            State::from_definition(def)?,
            format!("context {name:?} (frontend input {key:?})"),
        ));
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
    fn long_lists_are_sent_by_directory_within_the_budget() {
        let few: Vec<String> = ["b", "a[1]", "d/x", "a[1]"].map(String::from).to_vec();
        assert_eq!(
            follow_paths(&few, MAX_PATTERNS),
            Some(vec!["a\\[1\\]".into(), "b".into(), "d/x".into()])
        );
        let in_dirs: Vec<String> = (0..1000).map(|i| format!("d{}/sub/f{i}", i % 10)).collect();
        let sent = follow_paths(&in_dirs, MAX_PATTERNS).unwrap();
        assert_eq!(sent.len(), 10, "{sent:?}");
        assert!(sent.iter().all(|p| p.ends_with("/sub")), "{sent:?}");
        let at_top: Vec<String> = (0..10_000).map(|i| format!("f{i}.txt")).collect();
        assert_eq!(follow_paths(&at_top, MAX_PATTERNS), None, "everything");
        // A path inside another one is sent with it.
        let nested = ["w".to_string(), "w/a.bin".to_string()];
        assert_eq!(follow_paths(&nested, MAX_PATTERNS), Some(vec!["w".into()]));
        // Long names count by bytes too.
        let long: Vec<String> = (0..90)
            .map(|i| format!("d/{}{i}", "n".repeat(1000)))
            .collect();
        assert_eq!(follow_paths(&long, MAX_PATTERNS), Some(vec!["d".into()]));
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
