//! Warnings about the spec file (BuildKit's lint rules, such as
//! `UndefinedVar`, and what the build decided that the file did not say):
//! a typo that would pass in silence is shown with the build's output,
//! pointing at its line, as BuildKit's Dockerfile frontend shows its own. Daemons without the `gateway.warnings` cap (BuildKit
//! before 0.11: Docker 20.10) show it as a step of its own instead.

use crate::artifactfile::{Lines, Warning as Finding};
use crate::gateway::{Gateway, Warning, cap};
use crate::llb::{FileActions, State};

use crate::artifact::error::{Context as _, Result};

use crate::artifact::inputs::lookup;
use crate::artifact::inputs::spec_file::SpecFile;

/// Shows every finding about `file`.
pub async fn show<G: Gateway>(gw: &G, file: &SpecFile, findings: &[Finding]) -> Result<()> {
    for f in findings {
        show_at(gw, file, f.lines, f.to_string()).await?;
    }
    Ok(())
}

/// Shows `short`, a warning about `lines` of `file` (a lint finding, or
/// what the build did that the file did not say, such as a tag dropped).
pub async fn show_at<G: Gateway>(
    gw: &G,
    file: &SpecFile,
    lines: Lines,
    short: String,
) -> Result<()> {
    let at = format!("{}:{}", file.filename, lines.start);
    tracing::warn!("{at}: {short}");
    match (&file.vertex, gw.caps().has_gateway(cap::WARNINGS)) {
        (Some(vertex), true) => {
            let warning = Warning {
                vertex: vertex.clone(),
                short,
                source: Some((
                    file.filename.clone(),
                    file.data.clone(),
                    lines.start,
                    lines.end,
                )),
            };
            gw.warn(warning)
                .await
                .with_context(|| format!("sending a warning about {at}"))?;
        }
        _ => {
            // A step named by the warning, run so that the progress
            // output shows it.
            let step = State::scratch().file(
                FileActions::new().mkdir("/warning", 0o755, false, None),
                &format!("[artifact] WARN: {short} ({at})"),
            );
            let r = gw.solve(step.marshal().into_pb()).await?;
            lookup::built(gw, &r).await?;
        }
    }
    Ok(())
}
