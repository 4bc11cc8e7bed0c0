//! Solving a graph of ours: the daemon's caps checked first, so a daemon
//! too old for an op says which cap it lacks (instead of BuildKit's
//! "unknown API capability"), and the failure named by what it was for;
//! an input's failure named as that input's, with the cause BuildKit's
//! words don't say.

use crate::gateway::{Gateway, SolvedRef};
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
    solved.map_err(lookup::not_built(&input.describe))
}

/// Solves `state`, which the build needs `to` ("assemble the OCI layout")
/// and is `doing` meanwhile ("assembling the OCI layout", its failure's
/// context).
pub async fn checked<G: Gateway>(
    gw: &G,
    state: &State,
    to: &str,
    doing: &str,
) -> Result<SolvedRef> {
    let def = state.marshal();
    gw.caps().require_llb(&def.required_caps(), to)?;
    gw.solve(def.into_pb()).await.context(doing)
}
