//! Files that come from another build: wrap mode's inner build, and the
//! result of a `FROM dockerfile:`/`FROM frontend:` line. We run it through
//! the gateway with the user's options and inputs, and wait for it, so its
//! failure is reported as its own.

use std::collections::BTreeMap;

use crate::artifactfile::BuildBy;
use crate::gateway::{Frontend, FrontendResult, Gateway, SolvedRef};

use crate::artifact::error::{Context as _, Result};

use super::lookup;

/// A build to run: which frontend, and options of its own on top of the
/// user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InnerBuild {
    /// The frontend.
    pub frontend: Frontend,
    /// Options of this build (a `FROM` line's `key=value`s and file name).
    pub extra: BTreeMap<String, String>,
}

impl InnerBuild {
    /// The build a `FROM` line asks for: run `by`, with options `opts`.
    pub fn of_from_line(by: &BuildBy, opts: &BTreeMap<String, String>) -> InnerBuild {
        let mut extra = opts.clone();
        let frontend = match by {
            BuildBy::Dockerfile(file) => {
                extra.insert("filename".to_string(), file.clone());
                Frontend::Dockerfile
            }
            BuildBy::Frontend(image) => Frontend::Gateway {
                image: image.clone(),
            },
        };
        InnerBuild { frontend, extra }
    }

    /// How its `FROM` line names it: `frontend:<image>`,
    /// `dockerfile:<file>`, or the frontend's name.
    pub fn describe(&self) -> String {
        match (&self.frontend, self.extra.get("filename")) {
            (Frontend::Gateway { image }, _) => format!("frontend:{image}"),
            (Frontend::Dockerfile, Some(f)) => format!("dockerfile:{f}"),
            (Frontend::Dockerfile, None) => Frontend::DOCKERFILE.to_string(),
        }
    }
}

/// Runs `build` with the user's options (`user`: the request's forwarded
/// options) plus its own, and our inputs; waits for it to finish so its
/// errors are reported as its own.
pub async fn run<G: Gateway>(
    gw: &G,
    user: &BTreeMap<String, String>,
    build: &InnerBuild,
) -> Result<FrontendResult> {
    let mut forwarded = user.clone();
    if build.frontend == Frontend::Dockerfile {
        // The Dockerfile frontend forwards to a `# syntax=` image only when
        // `cmdline` is absent. The file it reads may be the one whose
        // syntax line selected us: without this it would run us again,
        // forever.
        forwarded.insert("cmdline".to_string(), String::new());
    }
    if let Some((key, value)) = build.frontend.own_opts() {
        forwarded.insert(key.to_string(), value.to_string());
    }
    forwarded.extend(build.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let inputs = gw.inputs().await?;
    let name = build.frontend.name();
    let failed = || format!("the wrapped {name} build failed");
    let result = gw
        .solve_frontend(name, forwarded, inputs.clone())
        .await
        .with_context(failed)?;
    // Solves can be lazy (older daemons ignore `evaluate`): touch each
    // result so a failing build fails here, with its own error, even if no
    // layer reads from it.
    for r in result.single.iter().chain(result.refs.values()) {
        let solved = SolvedRef { id: r.id.clone() };
        lookup::built(gw, &solved).await.with_context(failed)?;
    }
    Ok(result)
}
