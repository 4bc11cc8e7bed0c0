//! [`Artifactfile`]: the whole parsed file, its sources and the items it
//! builds, with the order to build them in.

use std::collections::BTreeMap;

use super::items::{ArtifactDecl, Item};
use super::model::{FromLine, ParseError, Warning};

/// The whole file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Artifactfile {
    /// Sources; index 0 is the implicit build context.
    pub sources: Vec<FromLine>,
    /// What the file builds, in file order: today's files (no `INDEX`,
    /// `INCLUDE` or second `ARTIFACT`) give exactly one
    /// [`Item::Artifact`], also when empty; a file of `INCLUDE` lines only
    /// gives only [`Item::Include`]s.
    pub items: Vec<Item>,
    /// What looks like a mistake but does not stop the build, in line order
    /// (at most [`super::MAX_WARNINGS`]). The frontend passes each to BuildKit
    /// (the gateway's `Warn`), which shows it as the Dockerfile frontend
    /// shows its lint warnings.
    pub warnings: Vec<Warning>,
}

impl Artifactfile {
    /// The artifacts, in file order.
    pub fn artifacts(&self) -> impl Iterator<Item = &ArtifactDecl> {
        self.items.iter().filter_map(|item| match item {
            Item::Artifact(a) => Some(a),
            _ => None,
        })
    }

    /// Each id, with the index in [`Artifactfile::items`] of the item it
    /// names (an id names one item).
    pub fn ids(&self) -> BTreeMap<&str, usize> {
        let ids = self.items.iter().enumerate();
        ids.filter_map(|(i, item)| Some((item.id()?, i))).collect()
    }

    /// Indexes into [`Artifactfile::items`], each item after the items it
    /// refers to (its `SUBJECT`, an index's `MANIFEST`s), else in file
    /// order: the order to build them in, since a manifest's digest
    /// covers its subject's and an index's its members'. Never an error
    /// for a model [`super::parse`] returned; it checked the same.
    pub fn build_order(&self) -> Result<Vec<usize>, ParseError> {
        super::graph::build_order(&self.items)
    }
}
