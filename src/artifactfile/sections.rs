//! Which item a line belongs to. `ARTIFACT` and `INDEX` lines each start a
//! section that runs to the next of them; `CONFIG`, `LAYER`, `LAYERS`,
//! `ANNOTATION`, `TAG` and `SUBJECT` go to the open section. The lines
//! before the first section form an implicit artifact that the first
//! `ARTIFACT` line takes over, so a file written before there were
//! several artifacts (`ARTIFACT` anywhere, or none) means what it meant.
//! `INCLUDE` is an item of its own and leaves the open section open.
//!
//! Ids are checked for uniqueness here, line by line; that every used id
//! is defined, and that no references go round, is checked once the file
//! is read ([`super::graph`]).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use super::items::{ArtifactDecl, IncludeDecl, IndexDecl, Item};
use super::model::Lines;
use super::quote;

/// The section being read.
enum Open {
    /// Before any `ARTIFACT` or `INDEX` line, with the implicit artifact
    /// once a line made it.
    Start(Option<ArtifactDecl>),
    /// After an `ARTIFACT` line.
    Artifact(ArtifactDecl),
    /// After an `INDEX` line, with the ids `MANIFEST` gave it so far (to
    /// refuse one listed twice without a search per member).
    Index(IndexDecl, HashMap<String, Lines>),
}

/// The items of a file as its lines are read.
pub(super) struct Sections {
    /// Items done, in file order.
    items: Vec<Item>,
    /// `INCLUDE`s read while `open` was, which follow it in file order.
    includes: Vec<Item>,
    open: Open,
    /// Where each id was defined.
    ids: HashMap<String, Lines>,
    /// The first `ARTIFACT` line without `AS`: a file has one such.
    unnamed: Option<Lines>,
    /// Each tag with the number of the section it is on, and its first
    /// line: one tag on two manifests would make `index.json` ambiguous.
    tags: HashMap<String, (usize, Lines)>,
    /// The open section's number (0 for the implicit artifact).
    section: usize,
}

impl Sections {
    pub fn new() -> Self {
        Sections {
            items: Vec::new(),
            includes: Vec::new(),
            open: Open::Start(None),
            ids: HashMap::new(),
            unnamed: None,
            tags: HashMap::new(),
            section: 0,
        }
    }

    /// The artifact `instruction` (at `lines`) goes to: the open one, or
    /// the implicit one before any section. Refused in an index.
    pub fn artifact(
        &mut self,
        instruction: &str,
        lines: Lines,
    ) -> Result<&mut ArtifactDecl, String> {
        match &mut self.open {
            Open::Start(implicit) => Ok(implicit.get_or_insert_with(|| implicit_artifact(lines))),
            Open::Artifact(artifact) => Ok(artifact),
            Open::Index(index, _) => Err(format!(
                "{instruction} is for an artifact, but the lines after INDEX (line {}) make an \
                 index, which takes only MANIFEST, ANNOTATION and TAG: start an artifact before \
                 this line with ARTIFACT <artifactType> [AS <id>]",
                index.lines.start
            )),
        }
    }

    /// The open section's annotations (an index's, or an artifact's).
    pub fn annotations(&mut self, lines: Lines) -> &mut BTreeMap<String, String> {
        match &mut self.open {
            Open::Start(implicit) => {
                &mut implicit
                    .get_or_insert_with(|| implicit_artifact(lines))
                    .annotations
            }
            Open::Artifact(artifact) => &mut artifact.annotations,
            Open::Index(index, _) => &mut index.annotations,
        }
    }

    /// `TAG <tag>` on the open section. A tag may repeat on one manifest
    /// (as it always could), not name two.
    pub fn tag(&mut self, tag: String, lines: Lines) -> Result<(), String> {
        match self.tags.entry(tag.clone()) {
            Entry::Occupied(first) if first.get().0 != self.section => {
                return Err(format!(
                    "TAG {} is on another manifest already (first on line {}); a tag names one \
                     entry of index.json: give each its own",
                    quote(&tag),
                    first.get().1.start
                ));
            }
            Entry::Occupied(_) => {}
            Entry::Vacant(slot) => {
                slot.insert((self.section, lines));
            }
        }
        let tags = match &mut self.open {
            Open::Start(implicit) => {
                &mut implicit
                    .get_or_insert_with(|| implicit_artifact(lines))
                    .tags
            }
            Open::Artifact(artifact) => &mut artifact.tags,
            Open::Index(index, _) => &mut index.tags,
        };
        tags.push((tag, lines));
        Ok(())
    }

    /// `ARTIFACT <artifact_type> [AS <id>]` at `lines`.
    pub fn start_artifact(
        &mut self,
        artifact_type: String,
        id: Option<String>,
        lines: Lines,
    ) -> Result<(), String> {
        match (&id, self.unnamed) {
            (None, Some(first)) => {
                return Err(format!(
                    "ARTIFACT is given twice (first on line {}); keep one, or give each \
                     artifact an id to build several: ARTIFACT <artifactType> AS <id>",
                    first.start
                ));
            }
            (None, None) => self.unnamed = Some(lines),
            (Some(id), _) => self.define(id, lines)?,
        }
        let artifact_type = Some((artifact_type, lines));
        self.open = match std::mem::replace(&mut self.open, Open::Start(None)) {
            // The lines so far were this artifact's all along.
            Open::Start(Some(implicit)) => Open::Artifact(ArtifactDecl {
                id,
                artifact_type,
                lines,
                ..implicit
            }),
            done => {
                self.close(done);
                self.section += 1;
                Open::Artifact(ArtifactDecl {
                    id,
                    artifact_type,
                    lines,
                    ..implicit_artifact(lines)
                })
            }
        };
        Ok(())
    }

    /// `INDEX <artifact_type> AS <id>` at `lines`.
    pub fn start_index(
        &mut self,
        artifact_type: String,
        id: String,
        lines: Lines,
    ) -> Result<(), String> {
        if let Open::Start(Some(implicit)) = &self.open {
            // An index cannot list it (it has no id), and its TAG or
            // ANNOTATION lines were most likely meant for the index.
            return Err(format!(
                "the lines before INDEX (from line {}) are an artifact's, but no ARTIFACT line \
                 starts it: in a file with an INDEX, start each artifact with \
                 ARTIFACT <artifactType> AS <id>, and put the index's TAG and ANNOTATION lines \
                 after its INDEX line",
                implicit.lines.start
            ));
        }
        self.define(&id, lines)?;
        let done = std::mem::replace(&mut self.open, Open::Start(None));
        self.close(done);
        self.section += 1;
        let index = IndexDecl {
            id,
            artifact_type,
            members: Vec::new(),
            annotations: BTreeMap::new(),
            tags: Vec::new(),
            lines,
        };
        self.open = Open::Index(index, HashMap::new());
        Ok(())
    }

    /// `MANIFEST <id>...` at `lines`: members of the open index.
    pub fn manifest(&mut self, ids: Vec<String>, lines: Lines) -> Result<(), String> {
        let Open::Index(index, listed) = &mut self.open else {
            return Err("MANIFEST lists the members of an index: put it after \
                        INDEX <artifactType> AS <id>"
                .to_string());
        };
        for id in ids {
            match listed.entry(id.clone()) {
                Entry::Occupied(first) => {
                    return Err(format!(
                        "MANIFEST {} is listed twice in index {} (first on line {}); keep one",
                        quote(&id),
                        quote(&index.id),
                        first.get().start
                    ));
                }
                Entry::Vacant(slot) => {
                    slot.insert(lines);
                }
            }
            index.members.push((id, lines));
        }
        Ok(())
    }

    /// `INCLUDE ... [AS <id>]`.
    pub fn include(&mut self, include: IncludeDecl) -> Result<(), String> {
        if let Some(id) = &include.id {
            self.define(id, include.lines)?;
        }
        let include = Item::Include(include);
        match self.open {
            Open::Start(None) => self.items.push(include),
            _ => self.includes.push(include),
        }
        Ok(())
    }

    /// The items, in file order; a file with none has the one (empty)
    /// artifact it always had.
    pub fn finish(mut self) -> Vec<Item> {
        let done = std::mem::replace(&mut self.open, Open::Start(None));
        self.close(done);
        if self.items.is_empty() {
            let first = Lines { start: 1, end: 1 };
            self.items.push(Item::Artifact(implicit_artifact(first)));
        }
        self.items
    }

    /// Ends the section `done` (taken out of `open`).
    fn close(&mut self, done: Open) {
        match done {
            Open::Start(None) => {}
            Open::Start(Some(artifact)) | Open::Artifact(artifact) => {
                self.items.push(Item::Artifact(artifact));
            }
            Open::Index(index, _) => self.items.push(Item::Index(index)),
        }
        self.items.append(&mut self.includes);
    }

    /// Records that `id` is defined at `lines`.
    fn define(&mut self, id: &str, lines: Lines) -> Result<(), String> {
        match self.ids.entry(id.to_string()) {
            Entry::Occupied(first) => Err(format!(
                "the id {} is given twice (first on line {}); ARTIFACT, INCLUDE and INDEX ids \
                 name one thing each",
                quote(id),
                first.get().start
            )),
            Entry::Vacant(slot) => {
                slot.insert(lines);
                Ok(())
            }
        }
    }
}

/// An artifact with nothing yet, first met at `lines`.
fn implicit_artifact(lines: Lines) -> ArtifactDecl {
    ArtifactDecl {
        id: None,
        artifact_type: None,
        config: None,
        layers: Vec::new(),
        annotations: BTreeMap::new(),
        tags: Vec::new(),
        subject: None,
        lines,
    }
}
