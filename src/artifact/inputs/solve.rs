//! Solving a graph of ours: the daemon's caps checked first, so a daemon
//! too old for an op says which cap it lacks (instead of BuildKit's
//! "unknown API capability"), and the failure named by what it was for;
//! an input's failure named as that input's, with the cause BuildKit's
//! words don't say.

use prost::Message as _;

use crate::gateway::{Gateway, MAX_MESSAGE, RpcError, SolvedRef, UserError};
use crate::llb::State;

use super::Input;
use crate::artifact::error::{Context as _, Result};

use super::lookup;

/// Solves `input`, a source of the artifact's files, and makes the daemon
/// build it (a daemon that solves lazily, as BuildKit 0.8 does, would
/// otherwise fail on the first file asked for, and the error would name
/// that file instead of the input).
pub async fn input<G: Gateway>(gw: &G, input: &Input) -> Result<SolvedRef> {
    let solved = match gw.solve(input.state.marshal().into_pb()).await {
        Ok(r) => lookup::built(gw, &r).await.map(|()| r),
        Err(e) => Err(e),
    };
    match solved {
        Ok(r) => Ok(r),
        Err(e) => match not_an_image(gw, input, &e).await {
            Some(why) => Err(why.into()),
            None => Err(lookup::not_built(&input.describe)(e)),
        },
    }
}

/// Why `input`, an image source that failed with `failed`, is no image,
/// if it is an OCI artifact (a model, a chart): BuildKit's image source
/// can't pull one, and says so in containerd's words ("encountered unknown
/// type …; children may not be fetched") or with a dump of Go structs
/// ("mismatched image rootfs and manifest layers"). Asked only when the
/// solve failed: by the config the reference resolves to (no `rootfs`), or
/// by the media type the daemon could not follow.
async fn not_an_image<G: Gateway>(gw: &G, input: &Input, failed: &RpcError) -> Option<UserError> {
    let reference = input.state.image_source()?;
    let why = match gw.resolve_image_config(&reference).await {
        Ok((_, config)) => {
            let config: serde_json::Value = serde_json::from_slice(&config).ok()?;
            if config.pointer("/rootfs/type").and_then(|t| t.as_str()) == Some("layers") {
                return None;
            }
            "its config has no rootfs".to_string()
        }
        Err(e) => {
            let unknown = e
                .unknown_media_type()
                .or_else(|| failed.unknown_media_type())?;
            format!("it holds {unknown}, which no image holds")
        }
    };
    Some(UserError::new(format!(
        "the {} is not a container image but an OCI artifact ({why}), and BuildKit's image \
         source can only unpack images; to use its layers or include it, copy it into an OCI \
         layout and pass that directory as a named context: `skopeo copy \
         docker://{reference} oci:<dir>`, then `--build-context <name>=<dir>` and \
         `LAYERS <name>` or `INCLUDE <name>` in the Artifactfile",
        input.describe
    )))
}

/// Solves `state`, which the build needs `to` ("assemble the OCI layout")
/// and is `doing` meanwhile ("assembling the OCI layout", its failure's
/// context). A definition BuildKit would refuse for its size is refused
/// here, naming the limit, instead of as a broken connection.
pub async fn checked<G: Gateway>(
    gw: &G,
    state: &State,
    to: &str,
    doing: &str,
) -> Result<SolvedRef> {
    let def = state.marshal();
    gw.caps().require_llb(&def.required_caps(), to)?;
    let def = def.into_pb();
    within_message(def.encoded_len(), to)?;
    gw.solve(def).await.context(doing)
}

/// Refuses a definition of `bytes` that one gRPC message to BuildKit can't
/// carry (the request around it takes a few bytes more: a margin of 64 KiB
/// covers them).
fn within_message(bytes: usize, to: &str) -> Result<(), UserError> {
    if bytes + (64 << 10) <= MAX_MESSAGE {
        return Ok(());
    }
    Err(UserError::new(format!(
        "the LLB to {to} comes to {}, more than the {} BuildKit takes in one gRPC message; \
         build fewer files or layers at a time (split the artifacts over several builds)",
        mib(bytes),
        mib(MAX_MESSAGE)
    )))
}

/// `n` bytes in MiB, for messages.
pub fn mib(n: usize) -> String {
    format!("{:.1} MiB", n as f64 / f64::from(1 << 20))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_definition_past_one_message_is_refused_naming_the_limit() {
        assert!(super::within_message(15 << 20, "assemble the OCI layout").is_ok());
        let err = super::within_message(17 << 20, "assemble the OCI layout").unwrap_err();
        assert!(
            err.message.starts_with(
                "the LLB to assemble the OCI layout comes to 17.0 MiB, more than the 16.0 MiB"
            ),
            "{}",
            err.message
        );
    }
}
