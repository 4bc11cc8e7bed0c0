//! The error half of `Return`: a `google.rpc.Status` built from our error.

use prost::Message;
use prost_types::Any;

use crate::proto::google::rpc::Status;

/// gRPC `Unknown`, used when nothing more precise applies.
const CODE_UNKNOWN: i32 = 2;
/// gRPC `InvalidArgument`, for bad user input.
pub const CODE_INVALID_ARGUMENT: i32 = 3;

/// A typed error detail, as BuildKit attaches them: an `Any` whose type
/// URL ends in `+json` and whose value is JSON (not protobuf).
#[derive(Clone, Debug, PartialEq)]
pub struct StatusDetail {
    /// Full type URL, e.g. `github.com/moby/buildkit/errdefs.Source+json`.
    pub type_url: String,
    /// JSON value.
    pub json: Vec<u8>,
}

/// An RPC to buildkitd failed. Keeps BuildKit's own status so its details
/// (failing vertex, source location, stack) reach the user unchanged.
#[derive(Debug, thiserror::Error)]
#[error("{rpc}: {}", .status.message())]
pub struct RpcError {
    /// Which call failed.
    pub rpc: &'static str,
    /// What buildkitd answered.
    pub status: tonic::Status,
}

/// A failure that is the user's input, not the daemon or us: reported with
/// `InvalidArgument` and the details given (e.g. a source location).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    /// What is wrong and how to fix it.
    pub message: String,
    /// Extra details for BuildKit's CLI.
    pub details: Vec<StatusDetail>,
}

impl UserError {
    /// A user error with no details.
    pub fn new(message: impl Into<String>) -> UserError {
        UserError {
            message: message.into(),
            details: Vec::new(),
        }
    }
}

/// The error we hand to `Return`.
#[derive(Clone, Debug, PartialEq)]
pub struct ReturnError {
    /// Non-zero gRPC code: buildkitd rejects a Return whose error is code 0.
    pub code: i32,
    /// The whole cause chain on one line.
    pub message: String,
    /// Details to forward.
    pub details: Vec<Any>,
}

impl ReturnError {
    /// Builds the Return error for `err`: the message is the whole context
    /// chain; code and details come from the innermost BuildKit status or
    /// user error in the chain.
    pub fn from_error(err: &anyhow::Error) -> ReturnError {
        let mut out = ReturnError {
            code: CODE_UNKNOWN,
            message: format!("{err:#}"),
            details: Vec::new(),
        };
        for cause in err.chain() {
            if let Some(rpc) = cause.downcast_ref::<RpcError>() {
                let code = rpc.status.code() as i32;
                out.code = if code == 0 { CODE_UNKNOWN } else { code };
                if let Ok(st) = Status::decode(rpc.status.details()) {
                    out.details = st.details;
                }
            } else if let Some(user) = cause.downcast_ref::<UserError>() {
                out.code = CODE_INVALID_ARGUMENT;
                out.details = user
                    .details
                    .iter()
                    .map(|d| Any {
                        type_url: d.type_url.clone(),
                        value: d.json.clone(),
                    })
                    .collect();
            }
        }
        out
    }

    /// The protobuf message.
    pub fn to_status(&self) -> Status {
        Status {
            code: self.code,
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_errors_are_invalid_argument_with_chain() {
        let err = anyhow::Error::new(UserError::new("layer 0: bad path")).context("artifact");
        let r = ReturnError::from_error(&err);
        assert_eq!(r.code, CODE_INVALID_ARGUMENT);
        assert_eq!(r.message, "artifact: layer 0: bad path");
    }

    #[test]
    fn buildkit_status_details_are_forwarded() {
        let detail = Any {
            type_url: "github.com/moby/buildkit/errdefs.Vertex+json".into(),
            value: br#"{"digest":"sha256:x"}"#.to_vec(),
        };
        let st = Status {
            code: 2,
            message: "failed".into(),
            details: vec![detail.clone()],
        };
        let status = tonic::Status::with_details(
            tonic::Code::Unknown,
            "process failed",
            st.encode_to_vec().into(),
        );
        let err = anyhow::Error::new(RpcError {
            rpc: "Solve",
            status,
        })
        .context("solving input");
        let r = ReturnError::from_error(&err);
        assert_eq!(r.code, 2);
        assert_eq!(r.details, vec![detail]);
        assert_eq!(r.message, "solving input: Solve: process failed");
    }

    #[test]
    fn plain_errors_never_get_code_zero() {
        let r = ReturnError::from_error(&anyhow::anyhow!("boom"));
        assert_ne!(r.code, 0);
    }
}
