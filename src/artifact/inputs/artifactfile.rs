//! The inputs an Artifactfile names, gathered in one pass before the
//! plan is made: one per `FROM` source (the build context transferring only
//! what the file uses), one per named context that only `LAYERS` or
//! `INCLUDE` name, each solved (so a failing input fails at its line), and
//! every OCI layout among them opened, its `index.json` read.

use std::collections::BTreeMap;

use crate::artifactfile::{Artifactfile, LayoutRef, Lines, Source};
use crate::blobtool::literal_prefix;
use crate::gateway::{Gateway, UserError};
use crate::llb::State;

use crate::artifact::error::{Context as _, Error, Kind, Result};
use crate::artifact::request::Config;

use super::context::{self, Filter};
use super::inner_build::{self, InnerBuild};
use super::oci_layout::LayoutInput;
use super::pull;
use super::solve;
use super::sources::{self, transfer_paths};
use super::spec_file::{SpecFile, at_line, located};
use super::{Input, Wanted};

/// The inputs, and which of them each layout name is.
pub struct Inputs {
    /// Per `FROM` source in order, then the named contexts only layouts
    /// name.
    pub inputs: Vec<Input>,
    /// Named contexts read as layouts: name to index in `inputs`.
    pub named_layouts: BTreeMap<String, usize>,
    /// The layouts, opened, by index in `inputs`.
    pub layouts: BTreeMap<usize, LayoutInput>,
}

impl Inputs {
    /// The input a layout reference reads.
    pub fn of(&self, r: &LayoutRef) -> Option<usize> {
        match r.source {
            Some(i) => Some(i),
            None => self.named_layouts.get(&r.name).copied(),
        }
    }

    /// The input layout reference `r` reads, and its layout, opened.
    pub fn layout(&self, r: &LayoutRef) -> Result<(usize, &LayoutInput)> {
        let i = self
            .of(r)
            .ok_or_else(|| Error::bug(format!("layout {:?} has no input", r.name)))?;
        let layout = self
            .layouts
            .get(&i)
            .ok_or_else(|| Error::bug(format!("layout {:?} was not opened", r.name)))?;
        Ok((i, layout))
    }
}

/// Every input: the `FROM` sources (from the build context only what
/// `wanted` names, unless a layout is read from it), then the named
/// contexts `layouts` name that no `FROM` line does; then every layout
/// opened, each once.
pub async fn gather<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: &Artifactfile,
    wanted: &[Wanted<'_>],
    layouts: &[&LayoutRef],
    file: &SpecFile,
) -> Result<Inputs> {
    let mut inputs = from_sources(gw, cfg, f, wanted, layouts, file).await?;
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
        .map_err(|e| at_line(file, r.lines, Some(&r.name), e))?;
        named_layouts.insert(r.name.clone(), inputs.len());
        inputs.push(input);
    }
    let mut gathered = Inputs {
        inputs,
        named_layouts,
        layouts: BTreeMap::new(),
    };
    for r in layouts {
        let i = gathered
            .of(r)
            .ok_or_else(|| Error::bug(format!("layout {:?} has no input", r.name)))?;
        if gathered.layouts.contains_key(&i) {
            continue;
        }
        let opened = open_layout(gw, &gathered.inputs[i], &r.name)
            .await
            .map_err(|e| at_line(file, r.lines, None, e))?;
        gathered.layouts.insert(i, opened);
    }
    Ok(gathered)
}

/// The layout at the root of `input`, called `name` in the file.
async fn open_layout<G: Gateway>(gw: &G, input: &Input, name: &str) -> Result<LayoutInput> {
    let root = solve::checked(
        gw,
        &input.state,
        "read an OCI layout",
        &format!("loading the {}", input.describe),
    )
    .await?;
    LayoutInput::open(gw, name, root, &input.describe).await
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
    sources::named(gw, &cfg.sessions, name, value)
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
    wanted: &[Wanted<'_>],
    layouts: &[&LayoutRef],
    file: &SpecFile,
) -> Result<Vec<Input>> {
    // What globs of the context start in: where OCI layouts are looked for.
    let glob_dirs: Vec<String> = wanted
        .iter()
        .filter(|w| {
            w.glob
                && matches!(
                    f.sources.get(w.input).map(|s| &s.source),
                    Some(Source::Context)
                )
        })
        .map(|w| literal_prefix(w.path).0)
        .collect();
    let mut inputs = Vec::new();
    let mut context_filter: Option<Filter> = None;
    for (i, from) in f.sources.iter().enumerate() {
        let lines = from.lines.unwrap_or(Lines { start: 1, end: 1 });
        let at = |message: String| located(file, lines, message);
        let input = match &from.source {
            Source::Context => {
                let mine: Vec<Wanted> = wanted.iter().copied().filter(|w| w.input == i).collect();
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
                sources::build_context(gw, &cfg.sessions, paths.as_deref(), &[], filter).await?
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
                checked.map_err(|e| at_line(file, lines, Some("FROM"), e))?
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
        Source::Named { name, value } => sources::named(gw, &cfg.sessions, name, value)
            .await
            .map_err(|e| at(format!("FROM {name}: {e:#}")).into()),
        Source::Image(r) => {
            sources::image(r).map_err(|e| at(format!("FROM {r}: {}", e.message)).into())
        }
        Source::Registry(r) => pull::input(gw, cfg, r).await.map_err(|e| match e.kind() {
            Kind::User(_) => at(format!("FROM oci://{r}: {e:#}")).into(),
            _ => e,
        }),
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
    Ok(Input::whole(
        State::from_definition(def)?,
        format!("result of {what}"),
    ))
}
