//! What a file builds: artifacts, manifests taken from OCI layouts
//! (`INCLUDE`), and image indexes over both ([`Item`]), each with the lines
//! it came from. Items refer to each other by id (`SUBJECT <id>`,
//! `MANIFEST <id>...`); the parser has checked that every id is defined
//! once and that the references form no cycle, so a later stage can build
//! the items in dependency order without checking again.

use std::collections::BTreeMap;

use super::model::{ConfigLine, LayerLine, Lines, Subject};

/// One thing the file builds, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// `ARTIFACT`, or the lines of a file that has none.
    Artifact(ArtifactDecl),
    /// `INCLUDE`: a manifest (or index) copied from an OCI layout.
    Include(IncludeDecl),
    /// `INDEX`: an image index over other items.
    Index(IndexDecl),
}

impl Item {
    /// The id others refer to it by, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Item::Artifact(a) => a.id.as_deref(),
            Item::Include(i) => i.id.as_deref(),
            Item::Index(i) => Some(&i.id),
        }
    }

    /// The line that starts it.
    pub fn lines(&self) -> Lines {
        match self {
            Item::Artifact(a) => a.lines,
            Item::Include(i) => i.lines,
            Item::Index(i) => i.lines,
        }
    }

    /// `artifact`, `include` or `index`, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Artifact(_) => "artifact",
            Item::Include(_) => "include",
            Item::Index(_) => "index",
        }
    }
}

/// `ARTIFACT <artifactType> [AS <id>]` and the `CONFIG`, `LAYER`, `LAYERS`,
/// `ANNOTATION`, `TAG` and `SUBJECT` lines after it (until the next
/// `ARTIFACT` or `INDEX`). A file's lines before its first `ARTIFACT`
/// belong to that artifact, as they did before files had several; a file
/// with no `ARTIFACT` line has one artifact made of those lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactDecl {
    /// `AS <id>`.
    pub id: Option<String>,
    /// `ARTIFACT <artifactType>`, with its lines; `None` for a file with no
    /// `ARTIFACT` line.
    pub artifact_type: Option<(String, Lines)>,
    /// The `CONFIG` line (a second one is an error).
    pub config: Option<ConfigLine>,
    /// `LAYER` and `LAYERS` lines, in order.
    pub layers: Vec<LayerEntry>,
    /// `ANNOTATION <key>=<value>` lines, later keys overriding earlier ones.
    pub annotations: BTreeMap<String, String>,
    /// `TAG <name>` lines, in order (each becomes a `ref.name`).
    pub tags: Vec<(String, Lines)>,
    /// `SUBJECT`, with its lines.
    pub subject: Option<(Subject, Lines)>,
    /// The `ARTIFACT` line; without one, the first line that belongs to
    /// the artifact (line 1 for a file with no directive at all).
    pub lines: Lines,
}

/// One entry of an artifact's layer list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerEntry {
    /// `LAYER`: files of a source.
    File(LayerLine),
    /// `LAYERS <layout ref>`: the layers of a manifest in an OCI layout,
    /// in its order, at this place in the list.
    Layout(LayoutRef),
}

/// `<name>[:<tag>|@sha256:<hex>]`: a manifest in an OCI layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutRef {
    /// A named context (a key of `ParseOptions::named_contexts`) or a
    /// `FROM <source> AS <name>` alias defined before this line.
    pub name: String,
    /// For an alias, the index of its source in `Artifactfile::sources`;
    /// `None` for a named context. An alias may not take a named
    /// context's name, so the two never compete.
    pub source: Option<usize>,
    /// Which entry of the layout's `index.json`.
    pub pick: Pick,
    /// The line it is on.
    pub lines: Lines,
}

/// Which manifest of an OCI layout's `index.json` a [`LayoutRef`] means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pick {
    /// No tag or digest: the layout's only entry (more than one is an
    /// error, found when the layout is read).
    Only,
    /// `:<tag>`: the entry whose `org.opencontainers.image.ref.name` is
    /// this (OCI/Docker tag grammar, checked).
    Tag(String),
    /// `@sha256:<hex>`: the entry with this digest.
    Digest(crate::digest::Digest),
}

/// `INCLUDE [--tag=<tag>]... <layout ref> [AS <id>]`: the manifest (or
/// index), its config and its blobs copied as they are, as one more
/// top-level entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncludeDecl {
    /// What to copy.
    pub from: LayoutRef,
    /// `--tag=`: the tags its entry gets instead of those the layout gives
    /// it (`None`: the layout's; empty: none, for `--tag=` alone).
    pub tags: Option<Vec<String>>,
    /// `AS <id>`.
    pub id: Option<String>,
    /// The `INCLUDE` line.
    pub lines: Lines,
}

/// `INDEX <artifactType> AS <id>` and the `MANIFEST`, `ANNOTATION` and
/// `TAG` lines after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexDecl {
    /// `AS <id>` (required: an index is made to be referred to).
    pub id: String,
    /// The index's `artifactType`.
    pub artifact_type: String,
    /// `MANIFEST <id>...`: the member items' ids, in order, each with its
    /// line. At least one; never this index, nor an index that contains it.
    pub members: Vec<(String, Lines)>,
    /// `ANNOTATION <key>=<value>` lines, later keys overriding earlier ones.
    pub annotations: BTreeMap<String, String>,
    /// `TAG <name>` lines, in order.
    pub tags: Vec<(String, Lines)>,
    /// The `INDEX` line.
    pub lines: Lines,
}
