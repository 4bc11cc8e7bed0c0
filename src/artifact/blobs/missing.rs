//! What a request that gave no blob is told: the plan words it
//! ([`Plan::explain`]); a path that is not there also gets the path of the
//! input that differs from it only in case, if there is one (a name that
//! worked on the user's case-insensitive disk: `READMe.md` for
//! `README.md`). Only this error path pays for looking.

use crate::blobtool::{EntryError, quote_any_case};
use crate::gateway::Gateway;

use crate::artifact::error::Error;
use crate::artifact::inputs::lookup;
use crate::artifact::plan::{BlobRequest, Plan};

/// Why request `r` (called `what`) gave no blob (`e`), for the user: for a
/// path that is not there, with the path of the input that differs from it
/// only in case, if there is one (a name that worked on a case-insensitive
/// disk). Only this error path pays for looking.
pub async fn explain<G: Gateway>(
    gw: &G,
    plan: &Plan,
    what: &str,
    r: &BlobRequest,
    e: &EntryError,
) -> Error {
    let near = match e {
        EntryError::Missing if r.expect.is_none() && !r.glob => near_in_case(gw, plan, r).await,
        _ => None,
    };
    plan.explain_near(what, r, e, near.as_deref()).into()
}

/// The path of `r`'s input that is `r`'s but for case. Only the named
/// paths of a directory of the client were sent, so the input is asked
/// again for every case of this one.
async fn near_in_case<G: Gateway>(gw: &G, plan: &Plan, r: &BlobRequest) -> Option<String> {
    let input = &plan.inputs[r.input];
    let probe = input.with_paths(vec![quote_any_case(&r.path)], "looking for other cases");
    let solved = gw.solve(probe.marshal().into_pb()).await.ok()?;
    lookup::case_variant(gw, &solved, &r.path).await
}
