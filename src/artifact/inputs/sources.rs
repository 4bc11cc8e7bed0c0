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

use super::context::{self, Filter};
use super::lookup;
use super::transfer::{self, Budget, Cut};

/// The frontend input the artifact contract names.
pub const INPUT_KEY: &str = "input";

/// A follow path no file has: what asks for nothing (an empty list would
/// mean everything).
const NOTHING: &str = ".artifact-nothing";
/// Most rounds of searching the directories a cut sends whole for OCI
/// layouts (each round's layouts, left out, take room, which can cut the
/// list higher).
const MAX_SEARCH_ROUNDS: usize = 4;

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
    let local = Local {
        name: "context",
        key,
        exclude: &[],
        what: "build context",
    };
    let describe = "build context (local \"context\")".to_string();
    let cut = plan(Some(paths), &[]);
    let source = local
        .with_link_targets(gw, sessions, Some(paths), cut, &describe)
        .await?;
    Ok(Input::local(source, describe))
}

/// A spec file's build context: a `context` frontend input (bake) or the
/// local `context` directory, transferring only `paths` when given and
/// nothing that `filter` (the ignore file, OCI layouts not in `paths`) or
/// `exclude` (patterns of our own) leaves out. The patterns all count in
/// the budget of what the client takes; a long list of paths cut to
/// directories has those searched for old outputs (OCI layouts) too, and
/// named links the cut does not follow have their targets sent.
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
    let mut filter = filter.clone();
    let mut rounds = 0;
    let (layouts, patterns, cut) = loop {
        let layouts = filter.layouts_to_skip(paths.unwrap_or_default());
        // The user's patterns first: ours (the last to match wins) can't be
        // undone by an exception in an ignore file.
        let mut patterns = filter.ignore.patterns.clone();
        patterns.extend(exclude.iter().cloned());
        patterns.extend(layouts.iter().map(|d| quote(d)));
        let cut = plan(paths, &patterns);
        rounds += 1;
        let searched = rounds <= MAX_SEARCH_ROUNDS
            && context::search_cut(gw, sessions, &mut filter, &cut.whole).await?;
        if !searched {
            break (layouts, patterns, cut);
        }
    };
    let ignore = &filter.ignore;
    let mut describe = "build context (local \"context\")".to_string();
    if let (Some(file), false) = (&ignore.file, ignore.is_empty()) {
        describe = format!("build context (local \"context\", less what {file} excludes)");
    }
    // The one progress line that says what is left out: this step's name.
    let what = match layouts.is_empty() {
        true => "build context".to_string(),
        false => format!(
            "build context, leaving out OCI layout {} (an earlier build's output; name it \
             to package it)",
            layouts
                .iter()
                .map(|d| format!("{d}/"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let local = Local {
        name: "context",
        key: "context",
        exclude: &patterns,
        what: &what,
    };
    let source = local
        .with_link_targets(gw, sessions, paths, cut, &describe)
        .await?;
    Ok(Input::local(source, describe))
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

/// A local directory the client shares as `name`, for a few paths (the
/// spec file and its ignore file) or all of it. With `paths`, only those
/// are transferred (`followpaths` also brings symlink targets), so a large
/// directory costs nothing beyond the files packaged.
pub fn local_dir(sessions: &Sessions, name: &str, paths: Option<&[String]>, what: &str) -> Input {
    let local = Local {
        name,
        key: name,
        exclude: &[],
        what,
    };
    Input::local(
        local.source(sessions, &plan(paths, &[]), what),
        format!("{what} (local {name:?})"),
    )
}

/// What asks for `paths` (`None`: everything) beside `exclude`.
fn plan(paths: Option<&[String]>, exclude: &[String]) -> Cut {
    match paths {
        Some([]) => Cut {
            follow: Some(vec![NOTHING.to_string()]),
            ..Cut::default()
        },
        Some(p) => transfer::cut(p, Budget::beside(exclude)),
        None => Cut::default(),
    }
}

/// A local source of the client's directory `name`, less what `exclude`
/// matches, its transfer cached on the client's side under `key`, named
/// `what` in progress output.
struct Local<'a> {
    name: &'a str,
    key: &'a str,
    exclude: &'a [String],
    what: &'a str,
}

impl Local<'_> {
    /// The source asking for what `cut` says, its step named
    /// `[artifact] load <what> "<name>"`.
    fn source(&self, sessions: &Sessions, cut: &Cut, what: &str) -> LocalSource {
        let options = LocalOptions {
            session_id: sessions.for_local(self.name).to_string(),
            follow_paths: cut.follow.clone().unwrap_or_default(),
            exclude_patterns: self.exclude.to_vec(),
            shared_key_hint: self.key.to_string(),
            custom_name: format!("[artifact] load {what} {:?}", self.name),
            ..Default::default()
        };
        LocalSource {
            name: self.name.to_string(),
            options,
        }
    }

    /// The source for `cut` of `paths`; when the cut sends named paths
    /// two or more levels below a directory (which the client does not
    /// follow), it is transferred first and their directories listed, and
    /// if some are links to what it did not send, the source is one that
    /// also asks for their targets (under a cache key of its own, or each
    /// build would shrink the client's cache to the first and send the
    /// targets again).
    async fn with_link_targets<G: Gateway>(
        &self,
        gw: &G,
        sessions: &Sessions,
        paths: Option<&[String]>,
        cut: Cut,
        describe: &str,
    ) -> Result<LocalSource> {
        let source = self.source(sessions, &cut, self.what);
        let (Some(paths), false) = (paths, cut.unfollowed.is_empty()) else {
            return Ok(source);
        };
        let state = source.state();
        let solved = match gw.solve(state.marshal().into_pb()).await {
            Ok(r) => lookup::built(gw, &r).await.map(|()| r),
            Err(e) => Err(e),
        };
        let r = solved.map_err(lookup::not_built(describe))?;
        let targets = transfer::missing_targets(gw, &r, &cut).await;
        if targets.is_empty() {
            return Ok(source);
        }
        let mut all = paths.to_vec();
        all.extend(targets.iter().cloned());
        let key = format!("{}-links", self.key);
        let with = Local { key: &key, ..*self };
        let what = format!(
            "{} and what {} of its links point to",
            self.what,
            targets.len()
        );
        Ok(with.source(sessions, &plan(Some(&all), self.exclude), &what))
    }
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
