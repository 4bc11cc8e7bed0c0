//! [`Error`]: why a build failed, as data.
//!
//! Every failure is one of four kinds, fixed where it is made and never
//! guessed later: the user's input (`InvalidArgument`, with the source
//! location as a detail), a call to buildkitd that failed (its status
//! forwarded whole, so BuildKit's CLI shows the failing vertex), a daemon
//! too old for what we need (`FailedPrecondition`, naming the cap), or
//! anything else, which is ours (`Unknown`). Context is added on the way up,
//! as anyhow does, without changing the kind; `Return` is built from the
//! kind by a `match`, with no downcast and no reading of messages.

use std::fmt;

use crate::gateway::{MissingCap, ReadError, ReturnError, RpcError, StatusDetail, UserError};
use crate::llb::LlbError;

/// What went wrong, which decides the code `Return` carries.
#[derive(Debug)]
pub enum Kind {
    /// The user's input; the message says how to fix it.
    User(UserError),
    /// A call to buildkitd failed, or a build it ran for us did.
    Daemon(RpcError),
    /// The daemon is too old for what we need.
    Unsupported(Unsupported),
    /// Our bug, or the environment's: nothing the user wrote.
    Internal(anyhow::Error),
}

/// What a daemon lacks.
#[derive(Debug, thiserror::Error)]
pub enum Unsupported {
    /// A capability it does not announce.
    #[error(transparent)]
    Cap(#[from] MissingCap),
    /// Something it does without a capability to ask about.
    #[error("this BuildKit does not {lacks}; upgrade buildkitd (or Docker) to {release} or newer")]
    Feature {
        /// What it does not do.
        lacks: &'static str,
        /// The first release that does.
        release: &'static str,
    },
}

/// A failed build: a [`Kind`] and the context it was found in.
#[derive(Debug)]
pub struct Error {
    kind: Kind,
    /// Outermost first.
    context: Vec<String>,
    /// Where in the spec file it happened (BuildKit's source detail), when
    /// the kind itself does not say.
    located: Option<Box<StatusDetail>>,
}

/// A result whose error is an [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An internal error: a bug of ours or a broken environment.
    pub fn internal(e: impl Into<anyhow::Error>) -> Error {
        Kind::Internal(e.into()).into()
    }

    /// An internal error with this message.
    pub fn bug(message: impl fmt::Display) -> Error {
        Error::internal(anyhow::anyhow!("{message}"))
    }

    /// The daemon does not do `lacks`; `release` is the first that does.
    pub fn unsupported(lacks: &'static str, release: &'static str) -> Error {
        Kind::Unsupported(Unsupported::Feature { lacks, release }).into()
    }

    /// What went wrong.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// This error, in the context of `what` (the outermost context so far).
    pub fn context(mut self, what: impl fmt::Display) -> Error {
        self.context.insert(0, what.to_string());
        self
    }

    /// This error, as found at the place `detail` (a source location)
    /// points to: BuildKit's clients print those lines under the message.
    /// A user error already says where it is, and keeps its place.
    pub fn located(mut self, detail: StatusDetail) -> Error {
        if !matches!(self.kind, Kind::User(_)) {
            self.located = Some(Box::new(detail));
        }
        self
    }

    /// What `Return` says: the code and details by kind, and the whole
    /// context chain as the message.
    pub fn to_return(&self) -> ReturnError {
        let message = self.to_string();
        let mut ret = match &self.kind {
            Kind::User(e) => ReturnError::user(message, e),
            Kind::Daemon(e) => ReturnError::daemon(message, e),
            Kind::Unsupported(_) => ReturnError::failed_precondition(message),
            Kind::Internal(_) => ReturnError::unknown(message),
        };
        if let Some(d) = &self.located {
            // Ours first: the client shows the place in the user's file
            // before the places of the build that failed under it.
            ret.details.insert(
                0,
                prost_types::Any {
                    type_url: d.type_url.clone(),
                    value: d.json.clone(),
                },
            );
        }
        ret
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.context {
            write!(f, "{c}: ")?;
        }
        match &self.kind {
            Kind::User(e) => write!(f, "{e}"),
            Kind::Daemon(e) => write!(f, "{e}"),
            Kind::Unsupported(e) => write!(f, "{e}"),
            Kind::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<Kind> for Error {
    fn from(kind: Kind) -> Error {
        Error {
            kind,
            context: Vec::new(),
            located: None,
        }
    }
}

impl From<UserError> for Error {
    fn from(e: UserError) -> Error {
        Kind::User(e).into()
    }
}

impl From<RpcError> for Error {
    fn from(e: RpcError) -> Error {
        Kind::Daemon(e).into()
    }
}

impl From<MissingCap> for Error {
    fn from(e: MissingCap) -> Error {
        Kind::Unsupported(e.into()).into()
    }
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::TooBig { .. } | ReadError::Changed(_) => {
                UserError::new(e.to_string()).into()
            }
            ReadError::Rpc(rpc) => rpc.into(),
        }
    }
}

impl From<LlbError> for Error {
    fn from(e: LlbError) -> Error {
        match e {
            // A reference someone typed.
            LlbError::InvalidImageRef { .. } => UserError::new(e.to_string()).into(),
            // A definition BuildKit gave us.
            LlbError::InvalidDefinition { .. } => Error::internal(e),
        }
    }
}

/// `.context()` for results whose error becomes an [`Error`].
pub trait Context<T> {
    /// Adds `what` as the outermost context.
    fn context(self, what: impl fmt::Display) -> Result<T>;
    /// Adds the context `what()` gives, computed only on error.
    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.map_err(|e| e.into().context(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.map_err(|e| e.into().context(what()))
    }
}

/// A missing value where one must be is ours: a bug, with `what` as its
/// message.
impl<T> Context<T> for Option<T> {
    fn context(self, what: impl fmt::Display) -> Result<T> {
        self.ok_or_else(|| Error::bug(what))
    }

    fn with_context<D: fmt::Display>(self, what: impl FnOnce() -> D) -> Result<T> {
        self.ok_or_else(|| Error::bug(what()))
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
