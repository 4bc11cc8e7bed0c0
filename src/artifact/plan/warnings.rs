//! Warnings for the build's output: a typo that would pass in silence
//! (BuildKit's lint rules, such as `UndefinedVar`), a glob that matches
//! nothing, a manifest the contract writes although a spec forbids it.
//! One about a line of the spec file points at it, as BuildKit's
//! Dockerfile frontend shows its own findings. Daemons without the
//! `gateway.warnings` cap (BuildKit before 0.11: Docker 20.10), and
//! warnings about no file (the contract's options), are shown as a step of
//! their own instead, which every client prints.

use crate::artifactfile::{Lines, Warning as Finding};
use crate::gateway::{Gateway, Warning, cap};
use crate::llb::{FileActions, State};

use crate::artifact::error::{Context as _, Result};

use crate::artifact::inputs::lookup;
use crate::artifact::inputs::spec_file::SpecFile;

/// One warning: its one line, and the lines of the spec file it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The one-line warning.
    pub short: String,
    /// Where in the spec file, if it is about a line of one.
    pub lines: Option<Lines>,
}

/// Shows every finding about `file`.
pub async fn show<G: Gateway>(gw: &G, file: &SpecFile, findings: &[Finding]) -> Result<()> {
    let notes: Vec<Note> = findings
        .iter()
        .map(|f| Note {
            short: f.to_string(),
            lines: Some(f.lines),
        })
        .collect();
    show_notes(gw, Some(file), &notes).await
}

/// Shows `notes`, those with lines pointing into `file`.
pub async fn show_notes<G: Gateway>(gw: &G, file: Option<&SpecFile>, notes: &[Note]) -> Result<()> {
    for n in notes {
        let short = &n.short;
        let located = file.zip(n.lines);
        let at = located.map(|(f, lines)| format!("{}:{}", f.filename, lines.start));
        match &at {
            Some(at) => tracing::warn!("{at}: {short}"),
            None => tracing::warn!("{short}"),
        }
        let vertex = file.and_then(|f| f.vertex.clone());
        match (vertex, gw.caps().has_gateway(cap::WARNINGS)) {
            (Some(vertex), true) => {
                let warning = Warning {
                    vertex,
                    short: short.clone(),
                    source: located
                        .map(|(f, l)| (f.filename.clone(), f.data.clone(), l.start, l.end)),
                };
                gw.warn(warning).await.with_context(|| {
                    format!("sending a warning about {}", at.as_deref().unwrap_or(short))
                })?;
            }
            _ => {
                // A step named by the warning, run so that the progress
                // output shows it.
                let name = match &at {
                    Some(at) => format!("[artifact] WARN: {short} ({at})"),
                    None => format!("[artifact] WARN: {short}"),
                };
                let step = State::scratch().file(
                    FileActions::new().mkdir("/warning", 0o755, false, None),
                    &name,
                );
                let r = gw.solve(step.marshal().into_pb()).await?;
                lookup::built(gw, &r).await?;
            }
        }
    }
    Ok(())
}

/// Shows `short`, a warning about `lines` of `file` (what the build did
/// that the file did not say, such as a tag dropped).
pub async fn show_at<G: Gateway>(
    gw: &G,
    file: &SpecFile,
    lines: Lines,
    short: String,
) -> Result<()> {
    let note = Note {
        short,
        lines: Some(lines),
    };
    show_notes(gw, Some(file), &[note]).await
}
