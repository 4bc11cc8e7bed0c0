//! Phase two of option handling (phase one, [`crate::gateway::Options`],
//! is the raw strings buildkitd passed): every option the frontend
//! understands is read here, once, at the door, into a typed and validated
//! [`Config`], with its key and its error message. Nothing below
//! `artifact::build` sees the raw map. Each key may also come as
//! `build-arg:<key>`, which is how `docker build --build-arg` reaches a
//! `# syntax=` frontend.

use std::collections::BTreeMap;

use crate::gateway::{Frontend, Options, UserError};
use crate::modelpack::Packing;

use super::contract_options::{self, ArtifactSpec};
use super::dialect::{DIALECT_KEY, Dialect};
use super::epoch;

/// Where layer files are hashed.
pub const HASH_MODE_KEY: &str = "artifact.hash";
/// The inner frontend of wrap mode: `dockerfile.v0`, or `gateway.v0` with
/// [`WRAP_SOURCE_KEY`].
pub const WRAP_FRONTEND_KEY: &str = "artifact.frontend";
/// The inner frontend's image, for `gateway.v0`.
pub const WRAP_SOURCE_KEY: &str = "artifact.frontend.source";
/// How a Modelfile's files are packed: `raw`, `tar`, `tar+gzip`, `tar+zstd`.
pub const PACKING_KEY: &str = "artifact.modelpack.layers";
/// Tags for the output's one `index.json` entry, comma-separated, when
/// the spec file gives none (a Modelfile has no `TAG`).
pub const TAG_KEY: &str = "artifact.tag";
/// A client's query instead of a build.
pub const SUBREQUEST_KEY: &str = "requestid";
/// BuildKit's `--no-cache` (empty: every step; else Dockerfile stages).
const NO_CACHE_KEY: &str = "no-cache";
/// The spec file's name, in the definition directory.
const FILENAME_KEY: &str = "filename";
/// Which local directory holds the spec file (default `dockerfile`).
const DOCKERFILE_KEY_KEY: &str = "dockerfilekey";
/// The image buildkitd started us from (on daemons without `frontend.bin`).
const SOURCE_KEY: &str = "source";

/// Default spec file name when the build names none (buildx always does).
pub const DEFAULT_FILENAME: &str = "Artifactfile";

/// Where layer files are hashed: in the worker when the daemon can run our
/// image, else through the gateway; or one of them forced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashMode {
    /// The worker if possible, else the gateway.
    Auto,
    /// The worker, or fail.
    Exec,
    /// The gateway.
    Gateway,
}

/// What the build asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Run another frontend and package its result.
    Wrap(Frontend),
    /// The `containerimage.artifact.*` options describe the artifact.
    Contract,
    /// An Artifactfile or a Modelfile does.
    SpecFile,
}

/// The spec file and what it is read with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecFileOptions {
    /// Its name, in the definition directory.
    pub filename: String,
    /// The local directory that holds it, when not `dockerfile`.
    pub dockerfile_key: Option<String>,
    /// `artifact.dialect`, when given.
    pub dialect: Option<Dialect>,
    /// How a Modelfile's files are packed.
    pub packing: Packing,
    /// `--build-arg NAME=value`, by name.
    pub build_args: BTreeMap<String, String>,
    /// Named contexts (`context:NAME`), by name.
    pub named_contexts: BTreeMap<String, String>,
}

/// Client sessions owning local directories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sessions {
    /// The frontend's own session.
    default: String,
    /// `local-sessionid:NAME` (bake shares directories across targets).
    by_name: BTreeMap<String, String>,
}

impl Sessions {
    /// The session to read local directory `name` from.
    pub fn for_local(&self, name: &str) -> &str {
        self.by_name.get(name).unwrap_or(&self.default)
    }
}

/// Every option the frontend reads, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// A subrequest instead of a build.
    pub subrequest: Option<String>,
    /// What to build.
    pub mode: Mode,
    /// The contract's options, when any is given (wrap mode falls back to
    /// them when the inner result sets no artifact keys).
    pub contract: Option<ArtifactSpec>,
    /// The spec file, for [`Mode::SpecFile`].
    pub spec_file: SpecFileOptions,
    /// Where layer files are hashed.
    pub hash: HashMode,
    /// `--no-cache` for every step: hash again.
    pub no_cache: bool,
    /// `SOURCE_DATE_EPOCH`, in seconds.
    pub epoch: Option<i64>,
    /// `artifact.tag`: tags for the output's one entry.
    pub tags: Vec<String>,
    /// `artifact.push` and its options: where the layout goes.
    pub push: Option<super::push::PushRequest>,
    /// How build steps reach registries (the push, `FROM oci://`).
    pub registry: super::push::RegistryAccess,
    /// Our own image's definition (`frontend.bin`, BuildKit 0.10+).
    pub own_definition: Option<Vec<u8>>,
    /// The `source` option: our own image, on daemons without
    /// `frontend.bin`.
    pub own_image: Option<String>,
    /// Local directory sessions.
    pub sessions: Sessions,
    /// What an inner build gets: the user's options without ours and
    /// without what addressed us (`source`, `cmdline`, the syntax build
    /// arg that selected us).
    pub forwarded: BTreeMap<String, String>,
}

impl Config {
    /// Reads and validates `opts`; the first problem is the error.
    pub fn from_options(opts: &Options) -> Result<Config, UserError> {
        known_keys_only(opts)?;
        let get = |k: &str| opts.get_or_build_arg(k).filter(|(v, _)| !v.is_empty());
        let mode = match get(WRAP_FRONTEND_KEY) {
            Some((name, key)) => {
                let image = get(WRAP_SOURCE_KEY).map(|(s, _)| s.to_string());
                Mode::Wrap(wrapped_frontend(name, &key, image)?)
            }
            None if contract_given(opts) => Mode::Contract,
            None => Mode::SpecFile,
        };
        let contract = match (&mode, contract_given(opts)) {
            (Mode::Contract, _) | (Mode::Wrap(_), true) => Some(ArtifactSpec::from_options(opts)?),
            _ => None,
        };
        Ok(Config {
            subrequest: opts
                .get(SUBREQUEST_KEY)
                .filter(|id| !id.is_empty())
                .map(str::to_string),
            mode,
            contract,
            spec_file: SpecFileOptions {
                filename: opts
                    .get(FILENAME_KEY)
                    .filter(|f| !f.is_empty())
                    .unwrap_or(DEFAULT_FILENAME)
                    .to_string(),
                dockerfile_key: opts
                    .get(DOCKERFILE_KEY_KEY)
                    .filter(|k| !k.is_empty())
                    .map(str::to_string),
                dialect: dialect(opts)?,
                packing: packing(opts)?,
                build_args: prefixed(opts, "build-arg:"),
                named_contexts: prefixed(opts, "context:"),
            },
            hash: hash_mode(opts)?,
            no_cache: opts
                .get_or_build_arg(NO_CACHE_KEY)
                .is_some_and(|(v, _)| v.is_empty()),
            epoch: epoch::source_date_epoch(opts)?,
            tags: tags(opts)?,
            push: super::push::from_options(opts)?,
            registry: super::push::access(opts)?,
            own_definition: opts.frontend_bin.clone(),
            own_image: opts
                .get(SOURCE_KEY)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            sessions: Sessions {
                default: opts.session_id.clone(),
                by_name: prefixed(opts, "local-sessionid:"),
            },
            forwarded: forwarded(opts),
        })
    }
}

/// Every option in our namespaces (`artifact.*`, and the contract's
/// `containerimage.artifact.*`), for "did you mean".
const OURS: [&str; 13] = [
    HASH_MODE_KEY,
    TAG_KEY,
    super::push::PUSH_KEY,
    super::push::NETWORK_KEY,
    super::push::INSECURE_KEY,
    super::push::MOUNT_FROM_KEY,
    WRAP_FRONTEND_KEY,
    WRAP_SOURCE_KEY,
    PACKING_KEY,
    DIALECT_KEY,
    contract_options::TYPE_KEY,
    contract_options::CONFIG_MEDIATYPE_KEY,
    contract_options::LAYERS_KEY,
];

/// Refuses a key in our namespaces that we don't know: a typo there
/// (`artifact.frontnd`) would otherwise be ignored in silence, and the
/// build would do something else than asked.
fn known_keys_only(opts: &Options) -> Result<(), UserError> {
    for key in opts.opts.keys() {
        let bare = key.strip_prefix("build-arg:").unwrap_or(key);
        let ours = bare.starts_with("artifact.") || bare.starts_with("containerimage.artifact.");
        if ours && !OURS.contains(&bare) {
            return Err(UserError::new(format!(
                "{key} is not an option of the artifact frontend{}; its options are {}",
                crate::suggest::did_you_mean(bare, &OURS),
                OURS.join(", ")
            )));
        }
    }
    Ok(())
}

/// Whether any contract option is given.
fn contract_given(opts: &Options) -> bool {
    [
        contract_options::CONFIG_MEDIATYPE_KEY,
        contract_options::LAYERS_KEY,
        contract_options::TYPE_KEY,
    ]
    .iter()
    .any(|k| opts.get_or_build_arg(k).is_some())
}

/// The frontend `artifact.frontend` names (given as `key`).
fn wrapped_frontend(name: &str, key: &str, image: Option<String>) -> Result<Frontend, UserError> {
    match Frontend::from_name(name, image) {
        Some(Ok(frontend)) => Ok(frontend),
        Some(Err(_)) => Err(UserError::new(format!(
            "{WRAP_FRONTEND_KEY}={} needs {WRAP_SOURCE_KEY}=<frontend image> \
             (the image of the frontend to wrap)",
            Frontend::GATEWAY
        ))),
        None => Err(UserError::new(format!(
            "{key}={name:?} is not a frontend BuildKit runs{}: use {} (a Dockerfile) or {} with \
             {WRAP_SOURCE_KEY}=<frontend image>",
            crate::suggest::did_you_mean(name, &Frontend::NAMES),
            Frontend::DOCKERFILE,
            Frontend::GATEWAY,
        ))),
    }
}

fn hash_mode(opts: &Options) -> Result<HashMode, UserError> {
    match opts.get_or_build_arg(HASH_MODE_KEY) {
        None => Ok(HashMode::Auto),
        Some((v, key)) => match v {
            "" | "auto" => Ok(HashMode::Auto),
            "exec" => Ok(HashMode::Exec),
            "gateway" => Ok(HashMode::Gateway),
            other => Err(UserError::new(format!(
                "{key}={other:?} is not a hash mode: use auto, exec or gateway"
            ))),
        },
    }
}

/// `artifact.tag=a,b`: each tag checked as a `TAG` line's is. One option
/// key holds one value (a repeated `--opt` or `--build-arg` keeps the
/// last), so several tags are comma-separated.
fn tags(opts: &Options) -> Result<Vec<String>, UserError> {
    let Some((v, key)) = opts.get_or_build_arg(TAG_KEY) else {
        return Ok(Vec::new());
    };
    let mut tags: Vec<String> = Vec::new();
    for tag in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        crate::artifactfile::check_ref_name(&key, tag).map_err(UserError::new)?;
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_string());
        }
    }
    Ok(tags)
}

fn dialect(opts: &Options) -> Result<Option<Dialect>, UserError> {
    let Some((v, key)) = opts.get_or_build_arg(DIALECT_KEY) else {
        return Ok(None);
    };
    match v.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "artifactfile" => Ok(Some(Dialect::Artifactfile)),
        "modelfile" => Ok(Some(Dialect::Modelfile)),
        _ => Err(UserError::new(format!(
            "{key}={v:?} is not a spec file dialect: use artifactfile or modelfile"
        ))),
    }
}

fn packing(opts: &Options) -> Result<Packing, UserError> {
    match opts.get_or_build_arg(PACKING_KEY) {
        None | Some(("", _)) => Ok(Packing::Raw),
        Some((v, key)) => Packing::parse(v).ok_or_else(|| {
            UserError::new(format!(
                "{key}={v:?} is not a ModelPack layer packing: use one of {}",
                Packing::NAMES.join(", ")
            ))
        }),
    }
}

/// Options whose key starts with `prefix`, by the rest of the key.
fn prefixed(opts: &Options, prefix: &str) -> BTreeMap<String, String> {
    opts.opts
        .iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|n| (n.to_string(), v.clone())))
        .collect()
}

/// The user's options an inner build gets.
fn forwarded(opts: &Options) -> BTreeMap<String, String> {
    let ours = |k: &str| {
        let k = k.strip_prefix("build-arg:").unwrap_or(k);
        k.starts_with("artifact.")
            || k.starts_with("containerimage.artifact")
            || k == "BUILDKIT_SYNTAX"
    };
    opts.opts
        .iter()
        .filter(|(k, _)| !ours(k) && *k != SOURCE_KEY && *k != "cmdline")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
