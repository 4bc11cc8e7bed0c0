//! Tests of `error.rs`: the kind decides the code, context never changes
//! it, and the message is the whole chain.

use super::*;
use crate::gateway::{CODE_FAILED_PRECONDITION, CODE_INVALID_ARGUMENT, StatusDetail};

fn located(message: &str) -> UserError {
    let mut e = UserError::new(message);
    e.details.push(StatusDetail {
        type_url: "github.com/moby/buildkit/errdefs.Source+json".into(),
        json: br#"{"ranges":[]}"#.to_vec(),
    });
    e
}

#[test]
fn a_user_error_stays_the_users_through_any_context() {
    let r: Result<()> = Err(located("LAYER needs a path").into());
    let e = r
        .context("planning")
        .with_context(|| "artifact")
        .unwrap_err();
    assert!(matches!(e.kind(), Kind::User(_)));
    let ret = e.to_return();
    assert_eq!(ret.code, CODE_INVALID_ARGUMENT);
    assert_eq!(ret.message, "artifact: planning: LAYER needs a path");
    assert_eq!(ret.details.len(), 1, "the source location travels");
}

#[test]
fn a_daemon_error_keeps_buildkits_code() {
    let rpc = RpcError {
        rpc: "Solve",
        status: tonic::Status::new(tonic::Code::NotFound, "docker.io/x/y:1: not found"),
    };
    let e = Error::from(rpc).context("the image x/y:1 could not be built");
    let ret = e.to_return();
    assert_eq!(ret.code, tonic::Code::NotFound as i32);
    assert_eq!(
        ret.message,
        "the image x/y:1 could not be built: Solve: docker.io/x/y:1: not found"
    );
}

#[test]
fn a_missing_cap_is_a_failed_precondition_naming_the_cap() {
    let e = Error::from(MissingCap {
        kind: "LLB",
        cap: "exec.mount.bind".into(),
        purpose: "hash layers inside the worker".into(),
    });
    let ret = e.to_return();
    assert_eq!(ret.code, CODE_FAILED_PRECONDITION);
    assert!(ret.message.contains("exec.mount.bind"), "{}", ret.message);
}

#[test]
fn bugs_and_missing_values_are_internal_and_never_code_zero() {
    let none: Option<u8> = None;
    let e = none.context("request 3 was not hashed").unwrap_err();
    assert!(matches!(e.kind(), Kind::Internal(_)));
    assert_eq!(e.to_return().code, 2);
    let io = std::io::Error::other("disk on fire");
    let e = Error::internal(anyhow::Error::new(io).context("writing")).context("blobs");
    assert_eq!(e.to_string(), "blobs: writing: disk on fire");
}

#[test]
fn llb_and_read_errors_are_sorted_by_variant() {
    let bad_ref = LlbError::InvalidImageRef {
        reference: "UPPER:case".into(),
        reason: "uppercase".into(),
    };
    assert!(matches!(Error::from(bad_ref).kind(), Kind::User(_)));
    let bad_def = LlbError::InvalidDefinition {
        reason: "no ops".into(),
    };
    assert!(matches!(Error::from(bad_def).kind(), Kind::Internal(_)));
    let big = ReadError::TooBig {
        path: "layers.json".into(),
        size: 10,
        max: 1,
    };
    assert!(matches!(Error::from(big).kind(), Kind::User(_)));
}

#[test]
fn a_file_that_changed_while_read_is_the_users_and_says_so() {
    let changed = ReadError::Changed(crate::gateway::ChangedWhileRead {
        path: "model.bin".into(),
        expected: 10,
        found: 4,
    });
    let e = Error::from(changed).context("layer 1");
    assert!(matches!(e.kind(), Kind::User(_)));
    assert_eq!(e.to_return().code, CODE_INVALID_ARGUMENT);
    assert!(
        e.to_string()
            .starts_with("layer 1: model.bin changed while it was read (4 bytes where 10"),
        "{e}"
    );
}
