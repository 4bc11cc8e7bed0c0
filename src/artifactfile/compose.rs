//! The directives that put several things in one file: `ARTIFACT` (with
//! `AS`), `INDEX`, `MANIFEST`, `INCLUDE` and `LAYERS`. Each checks its own
//! words; [`Sections`] decides what the line belongs to.

use super::args::{count, exactly, non_empty};
use super::flags::{Flags, split_flags};
use super::items::{IncludeDecl, LayerEntry};
use super::layout::{LayoutNames, layout_ref};
use super::model::Lines;
use super::names::{check_id, check_ref_name, is_id, split_as};
use super::quote;
use super::sections::Sections;
use super::words::Word;

const LAYOUT_REF: &str = "<name>[:<tag>|@sha256:<hex>]";

/// `ARTIFACT <artifactType> [AS <id>]`.
pub(super) fn artifact(
    words: Vec<Word>,
    lines: Lines,
    sections: &mut Sections,
) -> Result<(), String> {
    let (_, args) = split_flags("ARTIFACT", words, &[])?;
    let (args, id) = split_as("ARTIFACT", args)?;
    let [artifact_type] = count("ARTIFACT", args, "ARTIFACT <artifactType> [AS <id>]")?;
    non_empty(&artifact_type, "ARTIFACT", "artifact type")?;
    if let Some(id) = &id {
        check_id("ARTIFACT", id)?;
    }
    sections.start_artifact(artifact_type, id, lines)
}

/// `INDEX <artifactType> AS <id>`.
pub(super) fn index(words: Vec<Word>, lines: Lines, sections: &mut Sections) -> Result<(), String> {
    const USAGE: &str = "INDEX <artifactType> AS <id>";
    let (_, args) = split_flags("INDEX", words, &[])?;
    let (args, id) = split_as("INDEX", args)?;
    let [artifact_type] = count("INDEX", args, USAGE)?;
    non_empty(&artifact_type, "INDEX", "artifact type")?;
    let Some(id) = id else {
        return Err(format!(
            "INDEX needs an id, which its MANIFEST lines' members and SUBJECT lines refer to it \
             by: {USAGE}"
        ));
    };
    check_id("INDEX", &id)?;
    sections.start_index(artifact_type, id, lines)
}

/// `MANIFEST <id>...`: members of the open index.
pub(super) fn manifest(
    words: Vec<Word>,
    lines: Lines,
    sections: &mut Sections,
) -> Result<(), String> {
    let (_, ids) = split_flags("MANIFEST", words, &[])?;
    if ids.is_empty() {
        return Err("MANIFEST needs one or more ids: MANIFEST <id>...".to_string());
    }
    if let Some(bad) = ids.iter().find(|id| !is_id(id)) {
        // `MANIFEST base:v1` most likely means a layout's manifest.
        let hint = if bad.contains([':', '@']) {
            "; to list a manifest from an OCI layout, INCLUDE it AS <id> and list that id"
        } else {
            ""
        };
        return Err(format!(
            "MANIFEST {} is not an id: MANIFEST lists ids given with AS to this file's \
             ARTIFACT, INCLUDE and INDEX lines (letters, digits, '.', '_' and '-'){hint}",
            quote(bad)
        ));
    }
    sections.manifest(ids, lines)
}

/// `INCLUDE [--tag=<tag>]... <layout ref> [AS <id>]`.
pub(super) fn include(
    words: Vec<Word>,
    lines: Lines,
    sections: &mut Sections,
    names: &LayoutNames,
) -> Result<(), String> {
    let (flags, args) = split_flags("INCLUDE", words, &[("--tag", "<tag>")])?;
    let (args, id) = split_as("INCLUDE", args)?;
    let usage = format!("INCLUDE [--tag=<tag>]... {LAYOUT_REF} [AS <id>]");
    let [word] = count("INCLUDE", args, &usage)?;
    if let Some(id) = &id {
        check_id("INCLUDE", id)?;
    }
    let from = layout_ref("INCLUDE", &word, lines, names)?;
    let tags = match flags.is_empty() {
        true => None,
        false => Some(include_tags(flags)?),
    };
    sections.include(IncludeDecl {
        from,
        tags,
        id,
        lines,
    })
}

/// The tags `--tag=` flags give an `INCLUDE`'s entry, each once; `--tag=`
/// alone gives none.
fn include_tags(flags: Flags) -> Result<Vec<String>, String> {
    let given = flags.len();
    let mut tags: Vec<String> = Vec::new();
    for (_, tag) in flags {
        if tag.is_empty() {
            if given > 1 {
                return Err(
                    "INCLUDE --tag= drops every tag the layout gives, and other --tag flags \
                     give some: use --tag= alone, or only --tag=<tag> flags"
                        .to_string(),
                );
            }
            continue;
        }
        check_ref_name("INCLUDE --tag", &tag)?;
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// `LAYERS <layout ref>`: that manifest's layers, here in the list.
pub(super) fn layers(
    words: Vec<Word>,
    lines: Lines,
    sections: &mut Sections,
    names: &LayoutNames,
) -> Result<(), String> {
    let artifact = sections.artifact("LAYERS", lines)?;
    let [word] = exactly("LAYERS", words, &format!("LAYERS {LAYOUT_REF}"))?;
    let layout = layout_ref("LAYERS", &word, lines, names)?;
    artifact.layers.push(LayerEntry::Layout(layout));
    Ok(())
}
