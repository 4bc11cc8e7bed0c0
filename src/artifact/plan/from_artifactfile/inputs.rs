//! The inputs an Artifactfile names: one per `FROM` source (the build
//! context transferring only what the file uses), and one per named
//! context that only `LAYERS` or `INCLUDE` name.

use std::collections::BTreeMap;

use crate::artifactfile::{Artifactfile, LayoutRef, Lines, Source};
use crate::blobtool::literal_prefix;
use crate::gateway::{Gateway, UserError};
use crate::llb::State;

use crate::artifact::error::{Context as _, Error, Kind, Result};
use crate::artifact::plan::sources::context::{self, Filter};
use crate::artifact::plan::sources::inner_build::{self, InnerBuild};
use crate::artifact::plan::sources::input::{self, transfer_paths};
use crate::artifact::plan::sources::solve;
use crate::artifact::plan::spec_file::{SpecFile, located, source_detail};
use crate::artifact::plan::types::{BlobRequest, Input};
use crate::artifact::request::Config;

/// The inputs, and which of them each layout name is.
pub struct Inputs {
    /// Per `FROM` source in order, then the named contexts only layouts
    /// name.
    pub inputs: Vec<Input>,
    /// Named contexts read as layouts: name to index in `inputs`.
    pub named_layouts: BTreeMap<String, usize>,
}

impl Inputs {
    /// The input a layout reference reads.
    pub fn of(&self, r: &LayoutRef) -> Option<usize> {
        match r.source {
            Some(i) => Some(i),
            None => self.named_layouts.get(&r.name).copied(),
        }
    }
}

/// Every input: the `FROM` sources (from the build context only what
/// `requests` use, unless a layout is read from it), then the named
/// contexts `layouts` name that no `FROM` line does.
pub async fn resolve<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: &Artifactfile,
    requests: &[&BlobRequest],
    layouts: &[&LayoutRef],
    file: &SpecFile,
) -> Result<Inputs> {
    let mut inputs = from_sources(gw, cfg, f, requests, layouts, file).await?;
    let mut named_layouts = BTreeMap::new();
    for r in layouts.iter().filter(|r| r.source.is_none()) {
        if named_layouts.contains_key(&r.name) {
            continue;
        }
        let value = cfg.spec_file.named_contexts.get(&r.name).ok_or_else(|| {
            // The parser only lets defined names through.
            Error::bug(format!("layout {:?} is no named context", r.name))
        })?;
        let at = |message: String| located(file, r.lines, message);
        let found = layout_context(gw, cfg, &r.name, value, &at).await;
        let input = match found {
            Ok(input) => ensure_built(gw, input).await,
            Err(e) => Err(e),
        }
        .map_err(|e| match e.kind() {
            Kind::User(_) => e,
            _ => e
                .context(format!("{}:{}: {}", file.filename, r.lines.start, r.name))
                .located(source_detail(file, r.lines)),
        })?;
        named_layouts.insert(r.name.clone(), inputs.len());
        inputs.push(input);
    }
    Ok(Inputs {
        inputs,
        named_layouts,
    })
}

/// A named context read as an OCI layout.
async fn layout_context<G: Gateway>(
    gw: &G,
    cfg: &Config,
    name: &str,
    value: &str,
    at: &impl Fn(String) -> UserError,
) -> Result<Input> {
    if let Some(why) = not_a_layout_context(name, value) {
        return Err(at(why).into());
    }
    input::named(gw, &cfg.sessions, name, value)
        .await
        .map_err(|e| match e.kind() {
            Kind::User(_) => at(format!("{name}: {e:#}")).into(),
            _ => e,
        })
}

/// Why named context `name`=`value` can't be read as an OCI layout, if it
/// can't: BuildKit delivers `oci-layout://` contexts (buildx's form) as an
/// image's files, unpacked, and can't read an artifact from one at all, so
/// the manifests and blobs are gone by the time a frontend sees them.
fn not_a_layout_context(name: &str, value: &str) -> Option<String> {
    value.starts_with("oci-layout://").then(|| {
        format!(
            "{name} is given as an oci-layout:// context, which BuildKit unpacks into an \
             image's files, so its manifests and blobs can't be read as they are; pass the \
             layout's directory instead: --build-context {name}=<dir> (buildctl: --local \
             {name}=<dir> --opt context:{name}=local:{name})"
        )
    })
}

/// One input per FROM source. From the local build context only what the
/// file uses is transferred: the named paths, or the directory a glob
/// starts in (everything, for a glob at the top).
async fn from_sources<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: &Artifactfile,
    requests: &[&BlobRequest],
    layouts: &[&LayoutRef],
    file: &SpecFile,
) -> Result<Vec<Input>> {
    // What globs of the context start in: where OCI layouts are looked for.
    let glob_dirs: Vec<String> = requests
        .iter()
        .filter(|r| {
            r.glob
                && matches!(
                    f.sources.get(r.input).map(|s| &s.source),
                    Some(Source::Context)
                )
        })
        .map(|r| literal_prefix(&r.path).0)
        .collect();
    let mut inputs = Vec::new();
    let mut context_filter: Option<Filter> = None;
    for (i, from) in f.sources.iter().enumerate() {
        let lines = from.lines.unwrap_or(Lines { start: 1, end: 1 });
        let at = |message: String| located(file, lines, message);
        let input = match &from.source {
            Source::Context => {
                let mine: Vec<&BlobRequest> =
                    requests.iter().copied().filter(|r| r.input == i).collect();
                // A layout read from the context needs all of it.
                let paths = match layouts.iter().any(|r| r.source == Some(i)) {
                    true => None,
                    false => transfer_paths(&mine),
                };
                // Read once, however many FROM lines name the context.
                let filter = match &context_filter {
                    Some(known) => known,
                    None => context_filter.insert(
                        context::filter(gw, &cfg.sessions, file.ignore.as_ref(), &glob_dirs)
                            .await?,
                    ),
                };
                input::build_context(gw, &cfg.sessions, paths.as_deref(), &[], filter).await?
            }
            other => {
                let as_layout = layouts.iter().any(|r| r.source == Some(i));
                let found = match other {
                    Source::Named { name, value } if as_layout => {
                        match not_a_layout_context(name, value) {
                            Some(why) => Err(at(why).into()),
                            None => from_input(gw, cfg, other, &at).await,
                        }
                    }
                    _ => from_input(gw, cfg, other, &at).await,
                };
                // Built now, so that an input that fails (a named context
                // the client does not share, a Dockerfile stage that fails)
                // fails at its FROM line, not in a later step.
                let checked = match found {
                    Ok(input) => ensure_built(gw, input).await,
                    Err(e) => Err(e),
                };
                checked.map_err(|e| match e.kind() {
                    // Already said at its line.
                    Kind::User(_) => e,
                    _ => e
                        .context(format!("{}:{}: FROM", file.filename, lines.start))
                        .located(source_detail(file, lines)),
                })?
            }
        };
        inputs.push(input);
    }
    Ok(inputs)
}

/// The input a `FROM` line names (not the context).
async fn from_input<G: Gateway>(
    gw: &G,
    cfg: &Config,
    source: &Source,
    at: &impl Fn(String) -> UserError,
) -> Result<Input> {
    match source {
        Source::Context => Err(Error::bug("the context is no FROM input")),
        Source::Named { name, value } => input::named(gw, &cfg.sessions, name, value)
            .await
            .map_err(|e| at(format!("FROM {name}: {e:#}")).into()),
        Source::Image(r) => {
            input::image(r).map_err(|e| at(format!("FROM {r}: {}", e.message)).into())
        }
        Source::Build { by, opts } => {
            let build = InnerBuild::of_from_line(by, opts);
            built_input(gw, cfg, &build, at).await
        }
    }
}

/// `input`, once the daemon has built it (its root lists).
async fn ensure_built<G: Gateway>(gw: &G, input: Input) -> Result<Input> {
    solve::input(gw, &input).await?;
    Ok(input)
}

/// The result of a `FROM dockerfile:`/`FROM frontend:` line's build, as an
/// input (one platform: its files are one filesystem).
async fn built_input<G: Gateway>(
    gw: &G,
    cfg: &Config,
    build: &InnerBuild,
    at: &impl Fn(String) -> UserError,
) -> Result<Input> {
    let what = build.describe();
    // `filename` and `dockerfilekey` named this Artifactfile: the inner
    // build gets only the file its line names.
    let mut user = cfg.forwarded.clone();
    user.remove("filename");
    user.remove("dockerfilekey");
    let result = inner_build::run(gw, &user, build).await?;
    let r = match (&result.single, result.refs.len()) {
        (Some(r), 0) => r,
        _ => {
            return Err(at(format!(
                "FROM {what} gave one result per platform; build one platform (e.g. platform=linux/amd64)"
            ))
            .into());
        }
    };
    let def = r
        .def
        .as_ref()
        .with_context(|| format!("FROM {what}: the daemon returned no definition"))?;
    Ok(Input {
        state: State::from_definition(def)?,
        describe: format!("result of {what}"),
    })
}
