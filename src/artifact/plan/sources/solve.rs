//! Solving a graph of ours: the daemon's caps checked first, so a daemon
//! too old for an op says which cap it lacks (instead of BuildKit's
//! "unknown API capability"), and the failure named by what it was for.

use crate::gateway::{Gateway, SolvedRef};
use crate::llb::State;

use crate::artifact::error::{Context as _, Result};

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
