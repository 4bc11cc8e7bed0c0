//! The Artifactfile: a Dockerfile-style text file that says which files of
//! a build make up an OCI artifact, and with what metadata.
//!
//! ```text
//! # syntax=example/artifact-frontend
//! ARG VERSION=1.0
//! ARTIFACT application/vnd.example.thing.v1
//! FROM context
//! CONFIG application/vnd.example.config.v1+json config.json
//! LAYER --title=thing.tgz application/vnd.example.layer.v1.tar+gzip \
//!       dist/thing-${VERSION}.tgz
//! ANNOTATION org.opencontainers.image.version=${VERSION}
//! TAG v${VERSION}
//! SUBJECT --size=1234 registry.example/app@sha256:<64 hex digits>
//! ```
//!
//! One directive per line (keywords case-insensitive, `\` continues a line,
//! `#` lines are comments); arguments are words with shell-like quoting and
//! `$NAME` / `${NAME}` / `${NAME:-default}` substitution from `ARG` lines
//! and `--build-arg`s, with Dockerfile's rules. Directives: `ARG`,
//! `ARTIFACT`, `CONFIG`, `LAYER`, `LAYERS`, `ANNOTATION`, `TAG`, `FROM`,
//! `SUBJECT`, `INCLUDE`, `INDEX`, `MANIFEST`.
//!
//! A file can also build several things, take manifests and layers from
//! OCI layouts, and put an image index over them:
//!
//! ```text
//! FROM dockerfile:Dockerfile.tools target=layout AS tools
//! FROM context
//! ARTIFACT application/vnd.example.model.v1 AS amd64
//! LAYERS base:v1
//! LAYER application/vnd.example.weights amd64/weights.bin
//! ARTIFACT application/vnd.example.model.v1 AS arm64
//! LAYERS base@sha256:<64 hex digits>
//! LAYER application/vnd.example.weights arm64/weights.bin
//! INCLUDE tools:latest AS cli
//! INDEX application/vnd.example.bundle.v1 AS bundle
//! MANIFEST amd64 arm64 cli
//! TAG v1
//! ARTIFACT application/vnd.example.signature.v1 AS sig
//! SUBJECT bundle
//! LAYER application/vnd.example.signature sig.bin
//! ```
//!
//! - `ARTIFACT <artifactType> [AS <id>]` and `INDEX <artifactType> AS <id>`
//!   each start a section that runs to the next of them. `CONFIG`,
//!   `LAYER`, `LAYERS`, `SUBJECT` go to the open artifact (in an index
//!   they are errors); `ANNOTATION` and `TAG` to the open artifact or
//!   index; `MANIFEST <id>...` adds members to the open index. Lines before
//!   the first section belong to the first `ARTIFACT`, or, with none, to
//!   the file's one artifact, so a file with one `ARTIFACT` (or none)
//!   means what it always meant; a file has at most one `ARTIFACT` without
//!   an id.
//! - `FROM <source> AS <name>` names a source (`[a-z0-9][a-z0-9._-]*`);
//!   like any `FROM` it is also where the lines after it read files, until
//!   the next `FROM` (`FROM context` goes back to the build context).
//!   A layout reference `<name>[:<tag>|@sha256:<hex>]` (after `INCLUDE`
//!   and `LAYERS`) is the OCI layout in a named context or in a source so
//!   named on an earlier line, and picks its entry by tag (which may be a
//!   full reference, `base:localhost/x:1`), by digest (in `index.json` or
//!   in the indexes it lists, at any depth), or as the only one.
//! - `INCLUDE [--tag=<tag>]... <layout ref> [AS <id>]` copies that manifest
//!   as an item of its own, with the tags the layout gives it, or those
//!   `--tag` gives instead (`--tag=` alone: none); `LAYERS <layout ref>`
//!   puts its layers into the artifact's list, where the line is. A file
//!   may be `INCLUDE` lines only.
//! - Ids (`[a-zA-Z0-9][a-zA-Z0-9._-]*`) of `ARTIFACT`, `INCLUDE` and
//!   `INDEX` share one namespace. `SUBJECT <id>` and `MANIFEST <id>` may
//!   name an item defined further down; once the whole file is read, each
//!   must name one, and no chain of them may come back to where it started
//!   (a manifest's digest covers its subject's, an index's its members').
//!   [`Artifactfile::build_order`] is the order to build the items in.
//!
//! This module only turns text into the [`Artifactfile`] model: it reads no
//! files and checks no paths beyond being non-empty, and no layout: what a
//! layout reference names is looked up when the build runs. `FROM` image
//! references are checked as BuildKit will check them
//! ([`crate::llb::ImageRef`]), to fail at their line rather than in
//! BuildKit; so is an artifact that OCI 1.1 or ModelPack forbids, as far
//! as its lines show (`rules`). Later stages resolve sources, confine and
//! glob paths, read layouts, and assemble the layout. Errors carry the offending [`Lines`]
//! so the caller can point at them; messages say what to change. What is
//! likely a mistake but need not stop the build (a variable no `ARG`
//! declared) is a [`Warning`] in [`Artifactfile::warnings`], named after
//! the BuildKit lint rule that finds the same in a Dockerfile. [`parse`]
//! never panics and stays linear in its input, whatever the input (it is
//! user-controlled).

pub mod file;
pub mod items;
pub mod model;

mod args;
mod compose;
mod flags;
mod from;
mod graph;
mod layout;
mod lines;
mod lint;
mod names;
mod parser;
mod rules;
mod sections;
mod subject;
mod words;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use file::*;
pub use items::*;
pub use model::*;
pub use names::check_ref_name;
pub use parser::INSTRUCTIONS;

/// What the build supplies besides the file itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// `--build-arg NAME=value`: overrides the default of `ARG NAME`. Only
    /// names declared with `ARG` are visible (Dockerfile semantics).
    pub build_args: BTreeMap<String, String>,
    /// Named contexts: frontend option `context:NAME` → value, keyed by
    /// `NAME` (without the `context:` prefix). `FROM NAME` refers to one,
    /// and so does a layout reference (`INCLUDE NAME:tag`, `LAYERS NAME`).
    pub named_contexts: BTreeMap<String, String>,
}

/// Parses an Artifactfile. The first problem found is returned, with the
/// lines of the directive it is on; warnings come with the model, in
/// [`Artifactfile::warnings`].
pub fn parse(text: &str, opts: &ParseOptions) -> Result<Artifactfile, ParseError> {
    parser::parse(text, opts)
}

/// `s` quoted and escaped for an error message, cut short if long: user
/// input can be huge or hold control characters.
pub(crate) fn quote(s: &str) -> String {
    const MAX_CHARS: usize = 60;
    match s.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{:?}...", s.get(..cut).unwrap_or_default()),
        None => format!("{s:?}"),
    }
}

/// "Did you mean" for a misspelled name; long inputs are not typos, and
/// skipping them keeps the edit-distance cost bounded.
fn suggest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if given.len() > 64 {
        return None;
    }
    crate::suggest::nearest(given, candidates)
}

/// ` (did you mean "X"?)` for a close candidate, else nothing (see
/// [`crate::suggest::did_you_mean`]); words longer than any name get none.
fn did_you_mean(given: &str, candidates: &[&str]) -> String {
    if given.len() > 64 {
        return String::new();
    }
    crate::suggest::did_you_mean(given, candidates)
}
