//! A typed, deterministic LLB builder.
//!
//! This follows BuildKit's `client/llb`: a [`State`] is an immutable value
//! naming one output of a vertex in the build graph (or scratch), and every
//! operation returns a new `State` linked to the ones it was built from.
//! Unlike Go, a vertex is marshalled as soon as it is built, so malformed
//! input fails at construction, not at `Marshal` time, and the op bytes we
//! hash are exactly the bytes we send: a vertex digest is the SHA-256 of
//! those bytes and buildkitd recomputes it.
//!
//! Nothing here does I/O; the gateway client sends the [`Definition`] that
//! [`State::marshal`] produces.

pub mod caps;
mod definition;
mod exec;
mod file;
mod merge;
mod source;
mod state;
#[cfg(test)]
mod tests;

pub use definition::Definition;
pub use exec::{ExecOptions, ExecState, Mount};
pub use file::{CopyOptions, FileActions};
pub use source::{ImageRef, LocalOptions, image, local};
pub use state::{LlbError, State};

/// `sha256:<hex>` of op bytes: how LLB names a vertex.
pub(crate) fn digest_of(bytes: &[u8]) -> String {
    crate::digest::Digest::of(bytes).to_string()
}

/// `description` key BuildKit shows as the vertex name in progress output.
pub const CUSTOM_NAME: &str = "llb.customname";
