//! Reading the spec file the way BuildKit's Dockerfile frontend reads a
//! Dockerfile: from frontend input `dockerfile`, else the client's local
//! `dockerfile` directory (or the one `dockerfilekey` names), with its own
//! `<file>.dockerignore` beside it.

use crate::gateway::{Gateway, UserError};
use crate::llb::State;

use crate::artifact::error::{Context as _, Result};
use crate::artifact::inputs::spec_file::SpecFile;
use crate::artifact::path::normalize_layer_path;
use crate::artifact::request::Config;

use super::ignore;
use super::sources;

/// Largest spec file we read.
const MAX_FILE: u64 = 4 << 20;

/// The spec file, from frontend input `dockerfile` or the local
/// `dockerfile` directory (or the one `dockerfilekey` names), as the
/// Dockerfile frontend does.
pub async fn read<G: Gateway>(gw: &G, cfg: &Config) -> Result<SpecFile> {
    let filename = cfg.spec_file.filename.clone();
    let path = normalize_layer_path(&filename)
        .map_err(|why| UserError::new(format!("filename {filename:?}: {why}")))?;
    let key = cfg.spec_file.dockerfile_key.as_deref();
    let own_ignore = format!("{path}.dockerignore");
    let inputs = gw.inputs().await?;
    let (state, describe) = match (key, inputs.get("dockerfile")) {
        (None, Some(def)) => (
            State::from_definition(def)?,
            "frontend input \"dockerfile\"".to_string(),
        ),
        _ => {
            let name = key.unwrap_or("dockerfile");
            let i = sources::local_dir(
                &cfg.sessions,
                name,
                Some(&[path.clone(), own_ignore.clone()]),
                "definition directory",
            );
            (i.state, i.describe)
        }
    };
    let hint = || {
        format!(
            "reading the Artifactfile {filename:?} from the {describe}; with buildctl pass \
             `--local dockerfile=<dir> --opt filename=<name>`, or describe the artifact with the \
             containerimage.artifact.* options instead"
        )
    };
    let r = gw
        .solve(state.marshal().into_pb())
        .await
        .with_context(hint)?;
    let data = gw.read_all(&r, &path, MAX_FILE).await.with_context(hint)?;
    // Its own ignore file, when there is one beside it.
    let ignore = ignore::read(gw, &r, &own_ignore, &describe).await?;
    Ok(SpecFile {
        filename,
        data,
        ignore,
        vertex: state.vertex_digest().map(str::to_string),
    })
}
