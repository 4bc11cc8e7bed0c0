//! Stage two: what comes in. Every place an artifact's files come from is
//! found, solved and opened here, before anything is planned: the spec
//! file (and its own ignore file), the client's local directories less
//! what `.dockerignore` excludes, frontend inputs, images, named contexts,
//! the results of inner builds, manifests pulled from registries
//! (`FROM oci://`), and OCI layouts among them, opened and
//! their `index.json` read. The plan stage only decides from what was
//! gathered; the later stages use the helpers for reading an input
//! (`lookup`, `solve`).

pub mod artifactfile;
pub mod context;
pub mod ignore;
pub mod inner_build;
pub mod lookup;
pub mod oci_layout;
pub mod pull;
pub mod read_spec_file;
pub mod solve;
pub mod sources;
pub mod spec_file;
pub mod transfer;
pub mod worker;

use crate::llb::{LocalOptions, State};

pub use spec_file::{SOURCE_DETAIL, SpecFile, at_line, located, source_detail};

/// A filesystem layer files come from.
#[derive(Clone, Debug)]
pub struct Input {
    /// The files.
    pub state: State,
    /// e.g. `build context (local "context")`, for messages.
    pub describe: String,
    /// For a directory of the client: how it was asked for, so that other
    /// paths of it can be (only the named ones are sent).
    pub local: Option<LocalSource>,
}

/// A directory the client shares, as a build asks for it.
#[derive(Clone, Debug)]
pub struct LocalSource {
    /// Its name (`context`, a named context's directory).
    pub name: String,
    /// What is sent of it, and how.
    pub options: LocalOptions,
}

impl LocalSource {
    /// The source op that asks for it.
    pub fn state(&self) -> State {
        crate::llb::local(&self.name, &self.options)
    }
}

impl Input {
    /// Files of an input as they are, whole.
    pub fn whole(state: State, describe: String) -> Input {
        Input {
            state,
            describe,
            local: None,
        }
    }

    /// The files of a directory of the client, as `source` asks for them.
    pub fn local(source: LocalSource, describe: String) -> Input {
        Input {
            state: source.state(),
            describe,
            local: Some(source),
        }
    }

    /// The input with the paths matching `patterns` in it: a directory of
    /// the client sends those (under a transfer cache of its own, so the
    /// main one is kept), any other input is whole already.
    pub fn with_paths(&self, patterns: Vec<String>, what: &str) -> State {
        let Some(local) = &self.local else {
            return self.state.clone();
        };
        let options = LocalOptions {
            follow_paths: patterns,
            shared_key_hint: format!("{}-{what}", local.options.shared_key_hint),
            custom_name: format!("[artifact] {what} in {}", self.describe),
            ..local.options.clone()
        };
        crate::llb::local(&local.name, &options)
    }
}

/// A path the plan reads from input `input`: what decides which paths of
/// a local source are transferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted<'a> {
    /// Index into the inputs.
    pub input: usize,
    /// Cleaned path relative to the input root (a pattern when `glob`).
    pub path: &'a str,
    /// Whether `path` is a glob.
    pub glob: bool,
}
