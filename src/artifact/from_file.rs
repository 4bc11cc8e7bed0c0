//! The plan for an Artifactfile: read the file the way the Dockerfile
//! frontend reads a Dockerfile, parse it, and resolve its sources.

use std::collections::BTreeMap;

use crate::artifactfile::{self, Artifactfile, Lines, ParseOptions, Source, Subject};
use crate::blobtool::{Compression, is_glob, literal_prefix, unquote};
use crate::gateway::{Gateway, UserError};
use crate::llb::State;
use crate::oci::{self, EMPTY_JSON_MEDIA_TYPE};

use super::config::Config;
use super::dialect::{self, Dialect};
use super::error::{Context as _, Result};
use super::ignore::{self, Ignore};
use super::input;
use super::path::normalize_layer_path;
use super::plan::{
    BlobRequest, ConfigSource, Input, LayerPlan, ManifestPlan, Plan, SpecFile, located,
};
use super::{TITLE, time};

/// Largest Artifactfile we read.
const MAX_FILE: u64 = 4 << 20;
/// The `created` annotation, set from SOURCE_DATE_EPOCH.
const CREATED: &str = "org.opencontainers.image.created";

/// Reads the spec file and plans from it: an Artifactfile here, a
/// Modelfile in [`super::from_modelfile`] (see [`super::dialect`]).
pub async fn plan<G: Gateway>(gw: &G, cfg: &Config) -> Result<Plan> {
    let file = read_spec_file(gw, cfg).await?;
    let text = String::from_utf8_lossy(&file.data).into_owned();
    if dialect::of(cfg.spec_file.dialect, &file.filename, &text)? == Dialect::Modelfile {
        return super::from_modelfile::plan(gw, cfg, file).await;
    }
    let parse_opts = ParseOptions {
        build_args: cfg.spec_file.build_args.clone(),
        named_contexts: cfg.spec_file.named_contexts.clone(),
    };
    let parsed =
        artifactfile::parse(&text, &parse_opts).map_err(|e| at(&file, e.lines, e.message))?;
    resolve(gw, cfg, parsed, file).await
}

fn at(file: &SpecFile, lines: Lines, message: String) -> UserError {
    located(file, lines, message)
}

/// The Artifactfile, from frontend input `dockerfile` or the local
/// `dockerfile` directory (or the one `dockerfilekey` names), as the
/// Dockerfile frontend does.
async fn read_spec_file<G: Gateway>(gw: &G, cfg: &Config) -> Result<SpecFile> {
    let filename = cfg.spec_file.filename.clone();
    let path = normalize_layer_path(&filename)
        .map_err(|why| UserError::new(format!("filename {filename:?}: {why}")))?;
    let key = cfg.spec_file.dockerfile_key.as_deref();
    let own_ignore = format!("{path}.dockerignore");
    let inputs = gw.inputs().await?;
    let (state, describe) = match (key, inputs.get("dockerfile")) {
        (None, Some(def)) => (
            State::from_definition(def)?,
            "frontend input \"dockerfile\"".to_string(),
        ),
        _ => {
            let name = key.unwrap_or("dockerfile");
            let i = input::local_dir(
                &cfg.sessions,
                name,
                Some(&[path.clone(), own_ignore.clone()]),
                "definition directory",
            );
            (i.state, i.describe)
        }
    };
    let hint = || {
        format!(
            "reading the Artifactfile {filename:?} from the {describe}; with buildctl pass \
             `--local dockerfile=<dir> --opt filename=<name>`, or describe the artifact with the \
             containerimage.artifact.* options instead"
        )
    };
    let r = gw
        .solve(state.marshal().into_pb())
        .await
        .with_context(hint)?;
    let data = gw.read_all(&r, &path, MAX_FILE).await.with_context(hint)?;
    // Its own ignore file, when there is one beside it.
    let ignore = ignore::read(gw, &r, &own_ignore, &describe).await?;
    Ok(SpecFile {
        filename,
        data,
        ignore,
    })
}

/// Turns the parsed file into a plan: sources become inputs, paths are
/// confined to their source root, defaults applied.
async fn resolve<G: Gateway>(
    gw: &G,
    cfg: &Config,
    f: Artifactfile,
    file: SpecFile,
) -> Result<Plan> {
    let epoch = cfg.epoch;
    let request = |source: usize, given: &str, lines: Lines, allow_dir: bool, media: &str| {
        let path = normalize_layer_path(given)
            .map_err(|why| at(&file, lines, format!("path {given:?}: {why}")))?;
        let glob = allow_dir && is_glob(&path);
        Ok::<_, UserError>(BlobRequest {
            input: source,
            glob,
            path: if glob { path } else { unquote(&path) },
            given: given.to_string(),
            allow_dir,
            compression: Compression::for_media_type(media),
            lines: Some(lines),
            ..Default::default()
        })
    };
    let (config_media_type, config) = match &f.config {
        Some(c) => match &c.path {
            Some(p) => (
                c.media_type.clone(),
                ConfigSource::File(request(c.source, p, c.lines, false, "")?),
            ),
            None => (c.media_type.clone(), ConfigSource::Inline(b"{}".to_vec())),
        },
        None => {
            if f.artifact_type.is_none() {
                return Err(UserError::new(format!(
                    "{}: ARTIFACT is required when there is no CONFIG: OCI 1.1 needs an artifactType \
                     when the config is the empty descriptor; add e.g. `ARTIFACT application/vnd.example.thing.v1` \
                     (for a ModelPack model of the context's files, write a Modelfile: name the file \
                     Modelfile or pass --build-arg {}=modelfile)",
                    file.filename,
                    super::dialect::DIALECT_KEY
                ))
                .into());
            }
            (
                EMPTY_JSON_MEDIA_TYPE.to_string(),
                ConfigSource::Inline(b"{}".to_vec()),
            )
        }
    };
    let mut layers = Vec::new();
    for l in &f.layers {
        let mut annotations = l.annotations.clone();
        if let Some(t) = &l.title {
            annotations.insert(TITLE.to_string(), t.clone());
        }
        layers.push(LayerPlan {
            blob: request(l.source, &l.path, l.lines, true, &l.media_type)?,
            media_type: l.media_type.clone(),
            annotations,
            default_title: true,
            label: None,
        });
    }
    let mut annotations = f.annotations.clone();
    if let Some(e) = epoch {
        annotations
            .entry(CREATED.to_string())
            .or_insert_with(|| time::rfc3339(e));
    }
    let subject = match &f.subject {
        None => None,
        Some((s, lines)) => {
            let (media_type, digest, size) = match s {
                Subject::Descriptor {
                    media_type,
                    digest,
                    size,
                } => (media_type, digest, *size),
                Subject::Reference {
                    media_type,
                    digest,
                    size,
                    ..
                } => (media_type, digest, *size),
            };
            Some(
                oci::descriptor(media_type, digest, size, &BTreeMap::new())
                    .map_err(|e| at(&file, *lines, format!("SUBJECT: {e}")))?,
            )
        }
    };
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
        epoch,
        spec_file: Some(file),
        result_metadata: BTreeMap::new(),
    })
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
    let mut inputs = Vec::new();
    let mut context_ignore: Option<Ignore> = None;
    for (i, from) in f.sources.iter().enumerate() {
        let lines = from.lines.unwrap_or(Lines { start: 1, end: 1 });
        let input = match &from.source {
            Source::Context => {
                let mine: Vec<&BlobRequest> =
                    requests.iter().copied().filter(|r| r.input == i).collect();
                // Read once, however many FROM lines name the context.
                let ignore = match &context_ignore {
                    Some(known) => known,
                    None => {
                        context_ignore.insert(ignore::for_context(gw, &cfg.sessions, file).await?)
                    }
                };
                input::build_context(
                    gw,
                    &cfg.sessions,
                    transfer_paths(&mine).as_deref(),
                    &[],
                    ignore,
                )
                .await?
            }
            Source::Named { name, value } => input::named(gw, &cfg.sessions, name, value)
                .await
                .map_err(|e| at(file, lines, format!("FROM {name}: {e:#}")))?,
            Source::Image(r) => {
                input::image(r).map_err(|e| at(file, lines, format!("FROM {r}: {}", e.message)))?
            }
            Source::Build {
                frontend,
                source,
                filename,
                opts: extra,
            } => {
                let mut extra = extra.clone();
                if let Some(f) = filename {
                    extra.insert("filename".to_string(), f.clone());
                }
                let what = match (source, filename) {
                    (Some(s), _) => format!("frontend:{s}"),
                    (None, Some(f)) => format!("dockerfile:{f}"),
                    (None, None) => frontend.clone(),
                };
                // `filename` and `dockerfilekey` named this Artifactfile:
                // the inner build gets only the file its line names.
                let mut inner = cfg.forwarded.clone();
                inner.remove("filename");
                inner.remove("dockerfilekey");
                let result =
                    super::wrap::run_inner(gw, &inner, frontend, source.as_deref(), &extra).await?;
                let r = match (&result.single, result.refs.len()) {
                    (Some(r), 0) => r.clone(),
                    _ => {
                        return Err(at(
                            file,
                            lines,
                            format!("FROM {what} gave one result per platform; build one platform (e.g. platform=linux/amd64)"),
                        )
                        .into());
                    }
                };
                let def = r
                    .def
                    .as_ref()
                    .with_context(|| format!("FROM {what}: the daemon returned no definition"))?;
                Input {
                    state: State::from_definition(def)?,
                    describe: format!("result of {what}"),
                }
            }
        };
        inputs.push(input);
    }
    Ok(inputs)
}
