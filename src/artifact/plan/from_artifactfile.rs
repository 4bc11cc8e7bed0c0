//! The plan for an Artifactfile: parse it, then resolve what it names
//! (ripgrep's parse-then-resolve): paths confined to their source root,
//! each `FROM` turned into an input, defaults applied.

use std::collections::BTreeMap;

use oci_spec::image::Descriptor;

use crate::artifactfile::{self, Artifactfile, Lines, ParseOptions, Source, Subject};
use crate::blobtool::{Compression, is_glob, literal_prefix, unquote};
use crate::gateway::{Gateway, UserError};
use crate::llb::State;
use crate::oci::{self, EMPTY_JSON_MEDIA_TYPE, TITLE};

use crate::artifact::error::{Context as _, Error, Kind, Result};
use crate::artifact::path::normalize_layer_path;
use crate::artifact::request::{Config, DIALECT_KEY, epoch};

use super::sources::context::{self, Filter};
use super::sources::inner_build::{self, InnerBuild};
use super::sources::input::{self, transfer_paths};
use super::sources::lookup;
use super::spec_file::{SpecFile, located, source_detail};
use super::types::{BlobRequest, ConfigSource, Input, LayerPlan, ManifestPlan, Plan};
use super::warnings;

/// The `created` annotation, set from SOURCE_DATE_EPOCH.
const CREATED: &str = "org.opencontainers.image.created";

/// Parses the Artifactfile and plans its artifact.
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config, file: SpecFile) -> Result<Plan> {
    let text = String::from_utf8_lossy(&file.data).into_owned();
    let parse_opts = ParseOptions {
        build_args: cfg.spec_file.build_args.clone(),
        named_contexts: cfg.spec_file.named_contexts.clone(),
    };
    let parsed =
        artifactfile::parse(&text, &parse_opts).map_err(|e| located(&file, e.lines, e.message))?;
    warnings::show(gw, &file, &parsed.warnings).await?;
    resolve(gw, cfg, parsed, file).await
}

/// Turns the parsed file into a plan.
async fn resolve<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: Artifactfile,
    file: SpecFile,
) -> Result<Plan> {
    let (config_media_type, config) = config(&f, &file)?;
    let layers = f
        .layers
        .iter()
        .map(|l| {
            let mut annotations = l.annotations.clone();
            if let Some(t) = &l.title {
                annotations.insert(TITLE.to_string(), t.clone());
            }
            Ok(LayerPlan {
                blob: blob_request(&file, l.source, &l.path, l.lines, true, &l.media_type)?,
                media_type: l.media_type.clone(),
                annotations,
                default_title: true,
                label: None,
            })
        })
        .collect::<Result<Vec<_>, UserError>>()?;
    let mut annotations = f.annotations.clone();
    if let Some(e) = cfg.epoch {
        annotations
            .entry(CREATED.to_string())
            .or_insert_with(|| epoch::rfc3339(e));
    }
    let subject = subject(&f, &file)?;
    let inputs = resolve_inputs(gw, cfg, &f, &layers, &config, &file).await?;
    Ok(Plan {
        inputs,
        manifests: vec![ManifestPlan {
            platform: None,
            artifact_type: f.artifact_type.map(|(t, _)| t),
            config_media_type,
            config,
            layers,
            empty_layer_if_none: true,
            annotations,
            subject,
            model: None,
        }],
        tags: f.tags.into_iter().map(|(t, _)| t).collect(),
        epoch: cfg.epoch,
        spec_file: Some(file),
        result_metadata: BTreeMap::new(),
    })
}

/// What `given` (a path of source `source`, at `lines`) asks the blobs
/// stage for: a file, or a directory or glob where `allow_dir`.
fn blob_request(
    file: &SpecFile,
    source: usize,
    given: &str,
    lines: Lines,
    allow_dir: bool,
    media: &str,
) -> Result<BlobRequest, UserError> {
    let path = normalize_layer_path(given)
        .map_err(|why| located(file, lines, format!("path {given:?}: {why}")))?;
    let glob = allow_dir && is_glob(&path);
    Ok(BlobRequest {
        input: source,
        glob,
        path: if glob { path } else { unquote(&path) },
        given: given.to_string(),
        allow_dir,
        compression: Compression::for_media_type(media),
        lines: Some(lines),
        ..Default::default()
    })
}

/// The config's media type and content: CONFIG's file or `{}`, else the
/// OCI 1.1 empty descriptor (which needs an ARTIFACT type).
fn config(f: &Artifactfile, file: &SpecFile) -> Result<(String, ConfigSource), UserError> {
    match &f.config {
        Some(c) => {
            let content = match &c.path {
                Some(p) => ConfigSource::File(blob_request(file, c.source, p, c.lines, false, "")?),
                None => ConfigSource::Inline(b"{}".to_vec()),
            };
            Ok((c.media_type.clone(), content))
        }
        None if f.artifact_type.is_none() => Err(UserError::new(format!(
            "{}: ARTIFACT is required when there is no CONFIG: OCI 1.1 needs an artifactType \
             when the config is the empty descriptor; add e.g. `ARTIFACT application/vnd.example.thing.v1` \
             (for a ModelPack model of the context's files, write a Modelfile: name the file \
             Modelfile or pass --build-arg {DIALECT_KEY}=modelfile)",
            file.filename,
        ))),
        None => Ok((
            EMPTY_JSON_MEDIA_TYPE.to_string(),
            ConfigSource::Inline(b"{}".to_vec()),
        )),
    }
}

/// SUBJECT's descriptor, when there is one.
fn subject(f: &Artifactfile, file: &SpecFile) -> Result<Option<Descriptor>, UserError> {
    let Some((s, lines)) = &f.subject else {
        return Ok(None);
    };
    let (media_type, digest, size) = match s {
        Subject::Descriptor {
            media_type,
            digest,
            size,
        }
        | Subject::Reference {
            media_type,
            digest,
            size,
            ..
        } => (media_type, digest, *size),
    };
    oci::descriptor(media_type, digest, size, &BTreeMap::new())
        .map(Some)
        .map_err(|e| located(file, *lines, format!("SUBJECT: {e}")))
}

/// One input per FROM source. From the local build context only what the
/// file uses is transferred: the named paths, or the directory a glob
/// starts in (everything, for a glob at the top).
async fn resolve_inputs<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: &Artifactfile,
    layers: &[LayerPlan],
    config: &ConfigSource,
    file: &SpecFile,
) -> Result<Vec<Input>> {
    let mut requests: Vec<&BlobRequest> = layers.iter().map(|l| &l.blob).collect();
    if let ConfigSource::File(r) = config {
        requests.push(r);
    }
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
                // Read once, however many FROM lines name the context.
                let filter = match &context_filter {
                    Some(known) => known,
                    None => context_filter.insert(
                        context::filter(gw, &cfg.sessions, file.ignore.as_ref(), &glob_dirs)
                            .await?,
                    ),
                };
                input::build_context(
                    gw,
                    &cfg.sessions,
                    transfer_paths(&mine).as_deref(),
                    &[],
                    filter,
                )
                .await?
            }
            other => {
                let found = from_input(gw, cfg, other, &at).await;
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
    let r = gw
        .solve(input.state.marshal().into_pb())
        .await
        .with_context(|| format!("the {} could not be built", input.describe))?;
    lookup::built(gw, &r)
        .await
        .with_context(|| format!("the {} could not be built", input.describe))?;
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
