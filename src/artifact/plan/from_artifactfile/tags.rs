//! Whose a tag is when an `INCLUDE` brings one in. The file's own tags
//! (its `TAG` lines, and `INCLUDE --tag=`) are what it says; a tag an
//! included layout gave its entry is only inherited. So an inherited tag
//! the file names itself yields (`INCLUDE model:latest` with `TAG latest`
//! on the bundle: latest is the bundle now), and the build says which it
//! dropped; two inherited tags on different manifests are refused, naming
//! the fix (`INCLUDE --tag=`). Two of the file's own tags that collide are
//! the layout stage's to refuse, once every digest is known.

use std::collections::BTreeMap;

use crate::artifactfile::{IncludeDecl, Item, LayoutRef, Lines, Pick};
use crate::gateway::UserError;

use crate::artifact::inputs::spec_file::{SpecFile, located};
use crate::artifact::plan::items::IncludePlan;

/// An inherited tag the file's own took, for a warning at `lines`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedTag {
    /// The `INCLUDE` line that brought it.
    pub lines: Lines,
    /// What to tell the user.
    pub message: String,
}

/// `r` as the file wrote it.
fn written(r: &LayoutRef) -> String {
    match &r.pick {
        Pick::Only => r.name.clone(),
        Pick::Tag(tag) => format!("{}:{tag}", r.name),
        Pick::Digest(digest) => format!("{}@{digest}", r.name),
    }
}

/// Settles the tags of `includes` (the plans of the file's `INCLUDE`
/// items, in order) against the file's own: an inherited tag the file
/// names itself is dropped (each reported), and one inherited twice for
/// different manifests is an error at the second `INCLUDE`.
pub fn settle(
    items: &[Item],
    includes: &mut [IncludePlan],
    file: &SpecFile,
) -> Result<Vec<DroppedTag>, UserError> {
    let decls: Vec<&IncludeDecl> = items
        .iter()
        .filter_map(|i| match i {
            Item::Include(inc) => Some(inc),
            _ => None,
        })
        .collect();
    let mut own: BTreeMap<&str, Lines> = BTreeMap::new();
    for item in items {
        let tags: Vec<(&str, Lines)> = match item {
            Item::Artifact(a) => a.tags.iter().map(|(t, l)| (t.as_str(), *l)).collect(),
            Item::Index(ix) => ix.tags.iter().map(|(t, l)| (t.as_str(), *l)).collect(),
            Item::Include(inc) => inc
                .tags
                .iter()
                .flatten()
                .map(|t| (t.as_str(), inc.lines))
                .collect(),
        };
        for (tag, lines) in tags {
            own.entry(tag).or_insert(lines);
        }
    }
    let mut dropped = Vec::new();
    // Each inherited tag: the digest it names, and the INCLUDE it came with.
    let mut inherited: BTreeMap<String, (String, &IncludeDecl)> = BTreeMap::new();
    for (inc, plan) in decls.iter().zip(includes.iter_mut()) {
        if inc.tags.is_some() {
            continue;
        }
        for entry in &mut plan.entries {
            let digest = entry.descriptor.digest().to_string();
            let mut kept = Vec::new();
            for tag in std::mem::take(&mut entry.tags) {
                if let Some(line) = own.get(tag.as_str()) {
                    dropped.push(DroppedTag {
                        lines: inc.lines,
                        message: format!(
                            "INCLUDE {} brings the tag {tag:?}, which this file gives on line {} \
                             instead: the included entry is listed without it (INCLUDE \
                             --tag=<tag> gives it tags of its own)",
                            written(&inc.from),
                            line.start
                        ),
                    });
                    continue;
                }
                match inherited.get(&tag) {
                    Some((other, first)) if *other != digest => {
                        return Err(located(
                            file,
                            inc.lines,
                            format!(
                                "tag {tag:?} comes with both INCLUDE {} (line {}, {other}) and \
                                 INCLUDE {} ({digest}), and a tag names one manifest: give \
                                 one of them tags of its own with INCLUDE --tag=<tag> <ref>, or \
                                 none with INCLUDE --tag= <ref>",
                                written(&first.from),
                                first.lines.start,
                                written(&inc.from),
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        inherited.insert(tag.clone(), (digest.clone(), inc));
                    }
                }
                kept.push(tag);
            }
            entry.tags = kept;
        }
    }
    Ok(dropped)
}
