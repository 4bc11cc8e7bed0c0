//! The error half of `Return`: a `google.rpc.Status` built from our error.

use prost::Message;
use prost_types::Any;

use crate::proto::google::rpc::Status;

/// gRPC `Unknown`, used when nothing more precise applies.
const CODE_UNKNOWN: i32 = 2;
/// gRPC `InvalidArgument`, for bad user input.
pub const CODE_INVALID_ARGUMENT: i32 = 3;
/// gRPC `FailedPrecondition`, for a daemon that lacks what we need.
pub const CODE_FAILED_PRECONDITION: i32 = 9;

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

impl RpcError {
    /// Whether the client refused to send a local source's files because
    /// the request's headers were too large: BuildKit passes a local
    /// source's paths and patterns to the client in gRPC headers, and
    /// today's clients (buildctl 0.32, buildx 0.36) answer a few hundred
    /// with HTTP 431 or an HTTP/2 PROTOCOL_ERROR. Read from the message,
    /// as nothing else carries it, and only to say the cause.
    pub fn is_header_refusal(&self) -> bool {
        let m = self.status.message();
        m.contains("431") && m.contains("Request Header Fields Too Large")
            || m.contains("PROTOCOL_ERROR")
    }

    /// The media type an image pull met and could not follow, when the
    /// daemon says so: containerd walks an image's children by media type
    /// and stops at one it does not know ("encountered unknown type <t>;
    /// children may not be fetched"), which is what an OCI artifact's
    /// config or layer is to it. Read from the message, as nothing else
    /// carries it, and only to say the cause.
    pub fn unknown_media_type(&self) -> Option<&str> {
        const SAYS: &str = "encountered unknown type ";
        let m = self.status.message();
        let rest = &m[m.find(SAYS)? + SAYS.len()..];
        let end = rest.find([';', ' ', ',']).unwrap_or(rest.len());
        Some(&rest[..end]).filter(|t| t.contains('/'))
    }
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
    /// The user's input is wrong: `InvalidArgument`, with the details the
    /// error carries (a source location, say).
    pub fn user(message: String, e: &UserError) -> ReturnError {
        ReturnError {
            code: CODE_INVALID_ARGUMENT,
            message,
            details: e
                .details
                .iter()
                .map(|d| Any {
                    type_url: d.type_url.clone(),
                    value: d.json.clone(),
                })
                .collect(),
        }
    }

    /// A call to buildkitd failed: its code and details, forwarded (never
    /// code 0).
    pub fn daemon(message: String, e: &RpcError) -> ReturnError {
        let code = e.status.code() as i32;
        ReturnError {
            code: if code == 0 { CODE_UNKNOWN } else { code },
            message,
            details: Status::decode(e.status.details())
                .map(|st| st.details)
                .unwrap_or_default(),
        }
    }

    /// The daemon can't do what was asked: `FailedPrecondition`.
    pub fn failed_precondition(message: String) -> ReturnError {
        ReturnError {
            code: CODE_FAILED_PRECONDITION,
            message,
            details: Vec::new(),
        }
    }

    /// Anything else: `Unknown`.
    pub fn unknown(message: String) -> ReturnError {
        ReturnError {
            code: CODE_UNKNOWN,
            message,
            details: Vec::new(),
        }
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
    fn an_unknown_media_type_is_read_from_containerds_words() {
        let e = |m: &str| RpcError {
            rpc: "Solve",
            status: tonic::Status::unknown(m.to_string()),
        };
        let said = e(
            "ReadDir: failed to load cache key: encountered unknown type \
                       application/vnd.oci.empty.v1+json; children may not be fetched",
        );
        assert_eq!(
            said.unknown_media_type(),
            Some("application/vnd.oci.empty.v1+json")
        );
        assert_eq!(e("failed to resolve: not found").unknown_media_type(), None);
        assert_eq!(e("encountered unknown type ;").unknown_media_type(), None);
    }

    #[test]
    fn user_errors_are_invalid_argument_with_details() {
        let mut e = UserError::new("bad path");
        e.details.push(StatusDetail {
            type_url: "github.com/moby/buildkit/errdefs.Source+json".into(),
            json: br#"{"locations":[]}"#.to_vec(),
        });
        let r = ReturnError::user("artifact: bad path".into(), &e);
        assert_eq!(r.code, CODE_INVALID_ARGUMENT);
        assert_eq!(r.message, "artifact: bad path");
        assert_eq!(r.details.len(), 1);
        assert_eq!(r.details[0].value, e.details[0].json);
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
        let e = RpcError {
            rpc: "Solve",
            status,
        };
        let r = ReturnError::daemon("solving input: Solve: process failed".into(), &e);
        assert_eq!(r.code, 2);
        assert_eq!(r.details, vec![detail]);
    }

    #[test]
    fn header_refusals_are_told_apart() {
        let e = |m: &str| RpcError {
            rpc: "ReadDir",
            status: tonic::Status::unknown(m),
        };
        assert!(e("unexpected HTTP status code received from server: 431 (Request Header Fields Too Large)").is_header_refusal());
        assert!(
            e("http2: server connection error from localhost: connection error: PROTOCOL_ERROR")
                .is_header_refusal()
        );
        assert!(!e("failed to compute cache key: \"/f431.txt\" not found").is_header_refusal());
    }

    #[test]
    fn no_kind_gives_code_zero() {
        let ok = RpcError {
            rpc: "Solve",
            status: tonic::Status::new(tonic::Code::Ok, "odd"),
        };
        assert_ne!(ReturnError::daemon(String::new(), &ok).code, 0);
        assert_ne!(ReturnError::unknown(String::new()).code, 0);
        assert_ne!(ReturnError::failed_precondition(String::new()).code, 0);
    }
}
