//! The values the gateway's calls take and give, shared by the
//! [`Gateway`](super::Gateway) trait and the gRPC client that implements
//! it.

use std::collections::BTreeMap;

use crate::proto::gw;

/// A result BuildKit solved for us. An empty id is the empty filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SolvedRef {
    /// Ref id, valid for this frontend run only.
    pub id: String,
}

/// What a frontend solve gave back: one result, or one per key (per
/// platform, for multi-platform builds), and the metadata the frontend set.
#[derive(Clone, Debug, Default)]
pub struct FrontendResult {
    /// The single result, when there is one.
    pub single: Option<gw::Ref>,
    /// Results by key, when there are several.
    pub refs: BTreeMap<String, gw::Ref>,
    /// Metadata the frontend put on its result.
    pub metadata: BTreeMap<String, Vec<u8>>,
}

/// A byte range of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRange {
    /// First byte.
    pub offset: u64,
    /// Number of bytes.
    pub length: u64,
}

/// A frontend BuildKit runs for us (an inner build), as a client names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frontend {
    /// BuildKit's built-in Dockerfile frontend.
    Dockerfile,
    /// A frontend image, run by BuildKit's gateway frontend.
    Gateway {
        /// The image.
        image: String,
    },
}

impl Frontend {
    /// `dockerfile.v0`.
    pub const DOCKERFILE: &str = "dockerfile.v0";
    /// `gateway.v0`.
    pub const GATEWAY: &str = "gateway.v0";
    /// Both names, for messages.
    pub const NAMES: [&str; 2] = [Frontend::DOCKERFILE, Frontend::GATEWAY];

    /// The frontend a client names `name`, with `image` for `gateway.v0`;
    /// `None` for a name BuildKit has no frontend for.
    pub fn from_name(name: &str, image: Option<String>) -> Option<Result<Frontend, MissingImage>> {
        match name {
            Frontend::DOCKERFILE => Some(Ok(Frontend::Dockerfile)),
            Frontend::GATEWAY => Some(
                image
                    .map(|image| Frontend::Gateway { image })
                    .ok_or(MissingImage),
            ),
            _ => None,
        }
    }

    /// The name a Solve request gives it.
    pub fn name(&self) -> &'static str {
        match self {
            Frontend::Dockerfile => Frontend::DOCKERFILE,
            Frontend::Gateway { .. } => Frontend::GATEWAY,
        }
    }

    /// The options that select it besides its name: `source=<image>` for
    /// a frontend image.
    pub fn own_opts(&self) -> Option<(&'static str, &str)> {
        match self {
            Frontend::Dockerfile => None,
            Frontend::Gateway { image } => Some(("source", image)),
        }
    }
}

/// `gateway.v0` named without the image to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingImage;

/// A warning for the build's output, as BuildKit's Dockerfile frontend
/// sends its lint findings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warning {
    /// The vertex it belongs to (the op that loaded the file it is about).
    pub vertex: String,
    /// The one-line warning.
    pub short: String,
    /// The file it points into: its name and bytes, and the lines.
    pub source: Option<(String, Vec<u8>, u32, u32)>,
}
