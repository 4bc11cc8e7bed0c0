//! Stage one: the request. What the build asks for, read once at the door
//! into a typed, validated [`Config`] (phase two of option handling; phase
//! one, [`crate::gateway::Options`], is the raw strings buildkitd passed):
//! the `artifact.v0` contract's options, which spec file language a file
//! is in, SOURCE_DATE_EPOCH, and queries that are not builds at all
//! (subrequests). Nothing here talks to the daemon.

mod config;
mod contract_options;
mod dialect;
pub mod epoch;
mod push;
pub mod subrequest;

pub use config::{
    Config, DEFAULT_FILENAME, HASH_MODE_KEY, HashMode, Mode, PACKING_KEY, Sessions,
    SpecFileOptions, TAG_KEY, WRAP_FRONTEND_KEY, WRAP_SOURCE_KEY,
};
pub use contract_options::{
    ArtifactSpec, CONFIG_MEDIATYPE_KEY, LAYERS_KEY, LayerSpec, Layers, MAX_LAYERS_FILE, TYPE_KEY,
    parse_layers,
};
pub use dialect::{DIALECT_KEY, Dialect, of as dialect_of};
pub use push::{INSECURE_KEY, MOUNT_FROM_KEY, NETWORK_KEY, PUSH_KEY, PushRequest, RegistryAccess};
