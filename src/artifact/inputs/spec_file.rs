//! The spec file (an Artifactfile or a Modelfile), kept for the whole
//! build so that an error about any of its lines can point at it: BuildKit's
//! clients print the lines under the message.

use base64::Engine as _;

use crate::artifactfile::Lines;
use crate::gateway::{StatusDetail, UserError};

use crate::artifact::error::{Error, Kind};

use super::ignore::Ignore;

/// The Artifactfile, kept for error locations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecFile {
    /// Its name, as the user gave it.
    pub filename: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Its own ignore file (`<filename>.dockerignore` beside it), parsed.
    pub ignore: Option<Ignore>,
    /// The vertex that loaded it, which warnings about it attach to.
    pub vertex: Option<String>,
}

/// BuildKit's source-location error detail type.
pub const SOURCE_DETAIL: &str = "github.com/moby/buildkit/errdefs.Source+json";

/// An error at `lines` of the file. The source detail makes current
/// clients print the lines; the message quotes them too, for clients that
/// don't (Docker 20.10's, for one).
pub fn located(file: &SpecFile, lines: Lines, message: impl std::fmt::Display) -> UserError {
    let text = String::from_utf8_lossy(&file.data);
    let excerpt: String = text
        .lines()
        .enumerate()
        .skip(lines.start.saturating_sub(1) as usize)
        .take((lines.end.saturating_sub(lines.start) + 1).min(5) as usize)
        .map(|(i, l)| {
            format!(
                "\n {:>4} | {}",
                i + 1,
                l.chars().take(200).collect::<String>()
            )
        })
        .collect();
    let mut err = UserError::new(format!(
        "{}:{}: {message}{excerpt}",
        file.filename, lines.start
    ));
    err.details.push(source_detail(file, lines));
    err
}

/// The errdefs.Source detail, as Go's encoding/json writes it.
pub fn source_detail(file: &SpecFile, lines: Lines) -> StatusDetail {
    let json = serde_json::json!({
        "info": {
            "filename": file.filename,
            "data": base64::engine::general_purpose::STANDARD.encode(&file.data),
            "language": "Dockerfile",
        },
        "ranges": [{"start": {"line": lines.start}, "end": {"line": lines.end}}],
    });
    StatusDetail {
        type_url: SOURCE_DETAIL.to_string(),
        json: json.to_string().into_bytes(),
    }
}

/// `e`, placed at `lines` of the file, where the line does `what` (`FROM`,
/// a layout's name), if anything: a user error gets the excerpt (unless it
/// has one already), any other error the location as a detail and
/// `<file>:<line>` as its context.
pub fn at_line(file: &SpecFile, lines: Lines, what: Option<&str>, e: Error) -> Error {
    match e.kind() {
        Kind::User(u) if u.details.iter().any(|d| d.type_url == SOURCE_DETAIL) => e,
        Kind::User(u) => {
            let mut placed = located(file, lines, &u.message);
            placed.details.extend(u.details.iter().cloned());
            placed.into()
        }
        _ => {
            let at = match what {
                Some(w) => format!("{}:{}: {w}", file.filename, lines.start),
                None => format!("{}:{}", file.filename, lines.start),
            };
            e.context(at).located(source_detail(file, lines))
        }
    }
}
