//! The gateway client: how this program talks to buildkitd.
//!
//! buildkitd starts the frontend with its options in the environment and
//! serves the `LLBBridge` gRPC service over the frontend's stdin/stdout.
//! This module parses those options, connects over stdio, negotiates
//! capabilities with `Ping`, wraps the RPCs the frontend uses, and makes
//! sure `Return` is sent exactly once. The frontend's logic sees only the
//! [`Gateway`] trait, so it can also run against an in-process fake.

mod api;
mod caps;
mod client;
mod options;
mod status;
mod types;

pub use api::{ChangedWhileRead, Gateway, ReadError};
pub use caps::{Caps, MissingCap, id as cap};
pub use client::{Bridge, ConnectError, MAX_MESSAGE};
pub use options::{FRONTEND_BIN, Options, from_env};
pub use status::{
    CODE_FAILED_PRECONDITION, CODE_INVALID_ARGUMENT, ReturnError, RpcError, StatusDetail, UserError,
};
pub use types::{FileRange, Frontend, FrontendResult, MissingImage, SolvedRef, Warning};
