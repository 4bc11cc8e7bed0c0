//! Stage six: the push (`artifact.push`). The layout the build assembled
//! goes to a registry from the worker, where its bytes are: our own binary
//! runs as an ExecOp (`artifact-frontend push`, see [`crate::registry`])
//! with the layout mounted read-only, the BuildKit secrets `registry` (a
//! Docker `config.json`) and `registry-ca` (a PEM CA) as optional secret
//! mounts, and the network a build step gets (the host's with
//! `artifact.network=host`, which the client allows with `--allow
//! network.host`).
//!
//! The exec is marked `ignore_cache`, so it runs on every build that asks
//! for it (the registry may have lost the tag since) while everything
//! under it stays cached: an unchanged rebuild with a push costs the push's
//! HEAD requests. The frontend solves it before `Return`, so a failed push
//! fails the build; the result is still the layout.

use crate::gateway::{Gateway, UserError};
use crate::llb::{Mount, State};
use crate::registry::{self, Job, Report};

use super::error::{Context as _, Error, Result};
use super::inputs::worker::{RegistryExec, Worker, for_registry};
use super::inputs::{lookup, solve};
use super::request::{Config, PushRequest};

/// Largest push report we read back.
const MAX_REPORT: u64 = 16 << 20;

/// Pushes `layout` as `req` says; fails the build when the push fails.
pub async fn run<G: Gateway>(
    gw: &G,
    cfg: &Config,
    req: &PushRequest,
    layout: &State,
) -> Result<Report> {
    let worker = for_registry(
        gw,
        cfg,
        super::request::PUSH_KEY,
        "push the layout with skopeo or oras instead (see the README's Pushing)",
    )
    .await?;
    let state = exec(&worker, req, layout)?;
    let doing = if req.network_host {
        format!(
            "pushing to {} with host networking ({}=host needs the client's \
             --allow network.host, and on the daemon the network.host entitlement)",
            req.target,
            super::request::NETWORK_KEY
        )
    } else {
        format!("pushing to {}", req.target)
    };
    let report_ref = solve::checked(gw, &state, "push the layout to the registry", &doing).await?;
    // A daemon that solves lazily (BuildKit 0.8) runs the step, and refuses
    // a network the client did not allow, only when its result is read.
    lookup::built(gw, &report_ref).await.context(doing)?;
    let raw = gw
        .read_all(&report_ref, registry::REPORT_FILE, MAX_REPORT)
        .await
        .context("reading the push's report")?;
    let report: Report = serde_json::from_slice(&raw)
        .map_err(Error::internal)
        .context("reading the push's report")?;
    if let Some(e) = &report.error {
        return Err(UserError::new(format!("{}: {e}", super::request::PUSH_KEY)).into());
    }
    for p in &report.outcome.pushed {
        tracing::info!(reference = %p.reference, digest = %p.digest, "pushed");
    }
    Ok(report)
}

/// The push's exec; its output is the report.
fn exec(worker: &Worker, req: &PushRequest, layout: &State) -> Result<State> {
    let job = Job {
        target: req.raw.clone(),
        insecure: req.insecure.clone(),
        mount_from: req.mount_from.clone(),
    };
    let outputs = worker.registry_exec(RegistryExec {
        subcommand: registry::SUBCOMMAND,
        job: serde_json::to_string(&job).map_err(Error::internal)?,
        inputs: vec![Mount::ReadOnly {
            dest: registry::LAYOUT_DIR.into(),
            state: layout.clone(),
        }],
        outputs: vec![registry::REPORT_DIR],
        network_host: req.network_host,
        // Every build that asks pushes: the registry may have lost the
        // tag since. Only this step runs again; its inputs stay cached.
        ignore_cache: true,
        name: format!("[artifact] push to {}", req.target),
    })?;
    outputs
        .into_iter()
        .next()
        .ok_or_else(|| Error::bug("the push's exec has no report output"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::pb;
    use crate::registry::Target;

    fn request(network_host: bool) -> PushRequest {
        PushRequest {
            target: Target::parse("artifact.push", "127.0.0.1:5000/m:v1").unwrap(),
            raw: "127.0.0.1:5000/m:v1".into(),
            network_host,
            insecure: vec!["10.0.0.1:5000".into()],
            mount_from: Vec::new(),
        }
    }

    #[test]
    fn the_push_runs_every_time_over_the_layout_with_optional_secrets() {
        let layout = crate::llb::State::scratch();
        let tool = Worker::with_tool(crate::llb::State::scratch());
        let def = exec(&tool, &request(true), &layout).unwrap().marshal();
        let (e, ignore_cache) = def.first_exec().unwrap();
        assert!(ignore_cache, "the push must run on every build");
        assert_eq!(e.network, pb::NetMode::Host as i32);
        let meta = e.meta.clone().unwrap();
        assert_eq!(meta.args[1], registry::SUBCOMMAND);
        let job: Job = serde_json::from_str(&meta.args[2]).unwrap();
        assert_eq!(job.target, "127.0.0.1:5000/m:v1");
        assert_eq!(job.insecure, ["10.0.0.1:5000"]);
        let secrets = crate::artifact::inputs::worker::secret_mounts(&e);
        assert_eq!(
            secrets,
            [
                ("registry".to_string(), true),
                ("registry-ca".to_string(), true)
            ]
        );
        let layout_mount = e
            .mounts
            .iter()
            .find(|m| m.dest == registry::LAYOUT_DIR)
            .unwrap();
        assert!(layout_mount.readonly);
        // The default network otherwise.
        let (e, _) = exec(&tool, &request(false), &layout)
            .unwrap()
            .marshal()
            .first_exec()
            .unwrap();
        assert_eq!(e.network, pb::NetMode::Unset as i32);
    }
}
