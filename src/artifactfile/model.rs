//! The parsed Artifactfile: what each directive asked for, with the lines
//! it came from so errors can point at them. What the file builds is in
//! [`super::items`]; this module has the lines those are made of, and
//! [`super::file`] the whole.

use std::collections::BTreeMap;

/// A 1-based, inclusive line range in the Artifactfile (a directive with
/// `\` continuations spans several lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lines {
    /// First line, 1-based.
    pub start: u32,
    /// Last line, 1-based, inclusive.
    pub end: u32,
}

/// Where files come from (`FROM`). Index 0 of [`Artifactfile::sources`] is
/// always the implicit build context.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// The main build context (`FROM context`, and the default).
    Context,
    /// `FROM <name>` where the build has a named context `context:<name>`
    /// (e.g. `--build-context NAME=...`): the option's value, unparsed
    /// (`local:DIR`, `docker-image://REF`, `input:KEY`, ...).
    Named {
        /// The name after FROM.
        name: String,
        /// The value of option `context:<name>`.
        value: String,
    },
    /// `FROM <image reference>` (optionally written `docker-image://REF`):
    /// the image's root filesystem.
    Image(String),
    /// `FROM oci://<registry>/<repository>(:<tag>|@sha256:<hex>)`: a
    /// manifest or index in a registry, pulled into an OCI layout (its root
    /// holds `oci-layout`, `index.json` and `blobs/`), read as a layout
    /// named context is. The reference as [`crate::oci::reference::Origin`]
    /// writes it, without `oci://`.
    Registry(String),
    /// `FROM dockerfile:<file> [key=value]...` or `FROM frontend:<image>
    /// [key=value]...`: the result of a build, run with the build's own
    /// options plus these (e.g. `target=weights`).
    Build {
        /// What runs it.
        by: BuildBy,
        /// Extra frontend options.
        opts: BTreeMap<String, String>,
    },
}

/// What runs a `FROM` line's build.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BuildBy {
    /// BuildKit's Dockerfile frontend, on this Dockerfile (in the
    /// definition directory).
    Dockerfile(String),
    /// This frontend image.
    Frontend(String),
}

/// One `FROM` line (or the implicit context). `FROM` lines that name the
/// same source share one entry, so each source is resolved once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FromLine {
    /// What it names.
    pub source: Source,
    /// `FROM <source> AS <alias>`: a name for the source
    /// (`[a-z0-9][a-z0-9._-]*`, unique in the file), which a later
    /// `FROM <alias>` means again, and `INCLUDE` and `LAYERS` read an OCI
    /// layout from.
    pub alias: Option<String>,
    /// The first `FROM` line naming the source; `None` for the implicit
    /// context.
    pub lines: Option<Lines>,
}

/// `CONFIG <mediaType> [<path>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigLine {
    /// Media type of the config blob.
    pub media_type: String,
    /// File whose bytes are the config; `None` means `{}`.
    pub path: Option<String>,
    /// Index into [`Artifactfile::sources`] in effect on this line.
    pub source: usize,
    /// Where.
    pub lines: Lines,
}

/// `LAYER [--title=<name>] [--annotation=<key>=<value>]... <mediaType> <path>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayerLine {
    /// Layer media type.
    pub media_type: String,
    /// Path as written (after variable expansion), relative to the source
    /// root; may contain glob characters (`*`, `?`, `[...]`).
    pub path: String,
    /// `--title`, if given.
    pub title: Option<String>,
    /// `--annotation` flags, in order, later keys overriding earlier ones.
    pub annotations: BTreeMap<String, String>,
    /// Index into [`Artifactfile::sources`] in effect on this line.
    pub source: usize,
    /// Where.
    pub lines: Lines,
}

/// `SUBJECT ...`: the manifest this artifact refers to. The forms are told
/// apart by their text: a JSON descriptor starts with `{`, a reference has
/// `@` and flags, an id has neither.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A JSON OCI descriptor (`{"mediaType":..,"digest":..,"size":..}`).
    Descriptor {
        /// Media type.
        media_type: String,
        /// The manifest's digest.
        digest: crate::digest::Digest,
        /// Size in bytes.
        size: u64,
    },
    /// `SUBJECT [--media-type=<t>] --size=<n> <ref>@sha256:<hex>`.
    Reference {
        /// The reference as written (with its digest).
        reference: String,
        /// Media type (default `application/vnd.oci.image.manifest.v1+json`).
        media_type: String,
        /// The digest taken from the reference.
        digest: crate::digest::Digest,
        /// `--size`.
        size: u64,
    },
    /// `SUBJECT <id>`: an `ARTIFACT`, `INCLUDE` or `INDEX` of the same file
    /// (defined somewhere in it; the subject is built first).
    Id(String),
}

/// The most warnings one file gives: the first ones say what is wrong, and
/// a generated file must not flood the build output.
pub const MAX_WARNINGS: usize = 100;

/// A probable mistake that the build goes on past, at some lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Which check found it.
    pub rule: Rule,
    /// What was found and, where possible, the fix ("did you mean ...?"),
    /// worded as BuildKit's rule of the same name words it.
    pub message: String,
    /// The directive it is on.
    pub lines: Lines,
}

/// `UndefinedVar: Usage of undefined variable '$X'`: the one-line form
/// BuildKit's linter gives a warning (its `short`), the line aside.
impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule.name(), self.message)
    }
}

/// The checks behind [`Warning`]s. Each is a rule of BuildKit's Dockerfile
/// linter, with its name and meaning, so users meet what they know.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// A `$NAME` that no `ARG` declared before it: it expands to nothing.
    /// `${NAME:-default}` handles that case and is not reported.
    UndefinedVar,
}

impl Rule {
    /// The rule's name in BuildKit (`UndefinedVar`).
    pub fn name(self) -> &'static str {
        match self {
            Rule::UndefinedVar => "UndefinedVar",
        }
    }

    /// BuildKit's one-line description of the rule (a warning's detail).
    pub fn description(self) -> &'static str {
        match self {
            Rule::UndefinedVar => "Variables should be defined before their use",
        }
    }
}

/// A problem with the file, at some lines.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong and, where possible, the fix ("did you mean ...?").
    pub message: String,
    /// The offending lines.
    pub lines: Lines,
}
