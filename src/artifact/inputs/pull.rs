//! `FROM oci://<registry>/<repository>(:<tag>|@sha256:<hex>)`: a manifest
//! or index in a registry, pulled by our binary in the worker (see
//! [`crate::registry::pull`]) into an OCI layout, which is then an input
//! like a layout named context: `INCLUDE`, `LAYERS` and a ModelPack base
//! read it the same way.
//!
//! Two steps, so that BuildKit's cache does the caching. A tag is resolved
//! by an exec marked `ignore_cache` (the tag may have moved since the last
//! build); the fetch is an exec whose job names the digest, so BuildKit
//! keys it by the digest and a second build with the tag unchanged finds
//! it cached and fetches nothing. A digest reference needs no resolve.
//!
//! A failed fetch reports its error with an empty layout, and BuildKit
//! caches that step too; so a fetch that reports an error runs once more
//! with `ignore_cache` before the error is the build's: a cached failure
//! (a registry down last time) is never the answer.

use crate::gateway::{Gateway, UserError};
use crate::llb::State;
use crate::oci::reference::Origin;
use crate::registry::{self, PullJob, PullReport};

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::request::{Config, NETWORK_KEY, RegistryAccess};

use super::Input;
use super::worker::{RegistryExec, Worker, for_registry};
use super::{lookup, solve};

/// Largest pull report we read back.
const MAX_REPORT: u64 = 1 << 20;

/// The layout `reference` (as the parser wrote it, without `oci://`)
/// names, pulled; errors are the user's, for the FROM line.
pub async fn input<G: Gateway>(gw: &G, cfg: &Config, reference: &str) -> Result<Input> {
    let worker = for_registry(
        gw,
        cfg,
        "FROM oci://",
        "copy the manifest into an OCI layout (skopeo copy docker://<reference> oci:<dir>) and \
         pass the directory as a named context instead: --build-context <name>=<dir>",
    )
    .await?;
    let origin = Origin::parse(reference).map_err(UserError::new)?;
    let pull = Pull {
        gw,
        cfg,
        worker: &worker,
        reference,
    };
    let digest = match &origin.digest {
        Some(d) => d.clone(),
        None => pull.resolve().await?,
    };
    let layout = match pull.fetch(&digest, false).await? {
        Ok(layout) => layout,
        Err(cached) => {
            tracing::info!(reference, "the fetch reported {cached}; fetching again");
            pull.fetch(&digest, true).await?.map_err(UserError::new)?
        }
    };
    Ok(Input::whole(
        layout,
        format!("registry manifest oci://{reference}"),
    ))
}

/// One `FROM oci://` line's pull.
struct Pull<'a, G> {
    gw: &'a G,
    cfg: &'a Config,
    worker: &'a Worker,
    reference: &'a str,
}

impl<G: Gateway> Pull<'_, G> {
    /// The digest the tag names now.
    async fn resolve(&self) -> Result<String> {
        let (report, _) = self.run(None, true).await?;
        if let Some(e) = report.error {
            return Err(UserError::new(e).into());
        }
        let resolved = report
            .resolved
            .ok_or_else(|| Error::bug("the resolve step reported no digest"))?;
        tracing::info!(reference = self.reference, digest = %resolved.digest, "resolved");
        Ok(resolved.digest)
    }

    /// The layout of `digest`, or the error the fetch reported.
    async fn fetch(&self, digest: &str, again: bool) -> Result<Result<State, String>> {
        let (report, layout) = self.run(Some(digest), again).await?;
        if let Some(e) = report.error {
            return Ok(Err(e));
        }
        if let Some(f) = &report.fetched {
            tracing::info!(
                reference = self.reference,
                digest,
                manifests = f.manifests,
                blobs = f.blobs,
                bytes = f.bytes,
                "fetched (or found in BuildKit's cache)"
            );
        }
        layout
            .map(Ok)
            .ok_or_else(|| Error::bug("the fetch step has no layout output"))
    }

    /// Runs the pull step for `digest` (resolve with `None`); its report,
    /// and the layout a fetch wrote.
    async fn run(
        &self,
        digest: Option<&str>,
        ignore_cache: bool,
    ) -> Result<(PullReport, Option<State>)> {
        let states = step(
            self.worker,
            &self.cfg.registry,
            self.reference,
            digest,
            ignore_cache,
        )?;
        let mut states = states.into_iter();
        let report_state = states
            .next()
            .ok_or_else(|| Error::bug("the pull step has no report output"))?;
        let (to, doing) = match digest {
            None => ("resolve a tag in a registry", "resolving"),
            Some(_) => ("fetch a manifest from a registry", "fetching"),
        };
        // With host networking, the likeliest failure of the step: the
        // client did not allow it.
        let how = match self.cfg.registry.network_host {
            true => format!(
                " with host networking ({NETWORK_KEY}=host needs the client's --allow \
                 network.host, and on the daemon the network.host entitlement)"
            ),
            false => String::new(),
        };
        let doing = format!("{doing} oci://{}{how}", self.reference);
        let report_ref = solve::checked(self.gw, &report_state, to, &doing).await?;
        // A daemon that solves lazily (BuildKit 0.8) runs the step, and
        // refuses a network the client did not allow, only when its result
        // is read.
        lookup::built(self.gw, &report_ref).await.context(doing)?;
        let raw = self
            .gw
            .read_all(&report_ref, registry::pull::REPORT_FILE, MAX_REPORT)
            .await
            .context("reading the pull's report")?;
        let report: PullReport = serde_json::from_slice(&raw)
            .map_err(Error::internal)
            .context("reading the pull's report")?;
        Ok((report, states.next()))
    }
}

/// The exec of a pull step of `reference`: a fetch of `digest`, or the
/// resolve of its tag (`None`); its report, and the fetch's layout.
fn step(
    worker: &Worker,
    access: &RegistryAccess,
    reference: &str,
    digest: Option<&str>,
    ignore_cache: bool,
) -> Result<Vec<State>> {
    let job = PullJob {
        reference: reference.to_string(),
        digest: digest.map(str::to_string),
        insecure: access.insecure.clone(),
    };
    let mut outputs = vec![registry::REPORT_DIR];
    if digest.is_some() {
        outputs.push(registry::pull::OUT_DIR);
    }
    let name = match digest {
        None => format!("[artifact] resolve oci://{reference}"),
        Some(d) => format!("[artifact] fetch oci://{reference} ({d})"),
    };
    worker.registry_exec(RegistryExec {
        subcommand: registry::pull::SUBCOMMAND,
        job: serde_json::to_string(&job).map_err(Error::internal)?,
        inputs: Vec::new(),
        outputs,
        network_host: access.network_host,
        ignore_cache,
        name,
    })
}

#[cfg(test)]
#[path = "pull_tests.rs"]
mod tests;
