//! Stage two: what comes in. Every place an artifact's files come from is
//! found, solved and opened here, before anything is planned: the spec
//! file (and its own ignore file), the client's local directories less
//! what `.dockerignore` excludes, frontend inputs, images, named contexts,
//! the results of inner builds, and OCI layouts among them, opened and
//! their `index.json` read. The plan stage only decides from what was
//! gathered; the later stages use the helpers for reading an input
//! (`lookup`, `solve`).

pub mod artifactfile;
pub mod context;
pub mod ignore;
pub mod inner_build;
pub mod lookup;
pub mod oci_layout;
pub mod read_spec_file;
pub mod solve;
pub mod sources;
pub mod spec_file;
pub mod transfer;

use crate::llb::State;

pub use spec_file::{SOURCE_DETAIL, SpecFile, at_line, located, source_detail};

/// A filesystem layer files come from.
#[derive(Clone, Debug)]
pub struct Input {
    /// The files.
    pub state: State,
    /// e.g. `build context (local "context")`, for messages.
    pub describe: String,
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
