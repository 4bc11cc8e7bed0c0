//! `artifact.tag`: the tags a build gives its output's one `index.json`
//! entry when the spec file gives none. A Modelfile has no `TAG`, and
//! without a tag neither `oci-layout://out:<tag>`, `skopeo copy
//! oci:out:<tag>` nor a push by tag can address the model; the option
//! names it without a digest copied out of `index.json`.

use crate::gateway::UserError;

use crate::artifact::request::TAG_KEY;

use super::items::Node;
use super::types::Plan;

impl Plan {
    /// The plan with `tags` on its one top-level entry. Refused where that
    /// would be ambiguous: the file tags its output already, or
    /// `index.json` lists more than one entry.
    pub fn tagged(mut self, tags: &[String]) -> Result<Plan, UserError> {
        if tags.is_empty() {
            return Ok(self);
        }
        let given = tags.join(",");
        let listing = self.listing();
        let existing = self.tags_given();
        if !existing.is_empty() {
            return Err(UserError::new(format!(
                "{TAG_KEY}={given}: the output is tagged already ({}, by the spec file or a \
                 layout it includes); give the tags one way: drop {TAG_KEY}, or the file's TAG \
                 lines",
                existing.join(", ")
            )));
        }
        let entries: usize = listing.iter().map(|n| self.entries_of(*n)).sum();
        match (listing.as_slice(), entries) {
            ([Node::Manifest(i)], _) => self.manifests[*i].tags = tags.to_vec(),
            ([Node::Index(i)], _) => self.indexes[*i].tags = tags.to_vec(),
            ([Node::Include(i)], 1) => self.includes[*i].entries[0].tags = tags.to_vec(),
            _ => {
                return Err(UserError::new(format!(
                    "{TAG_KEY}={given} tags the output's one index.json entry, but this build \
                     lists {entries} ({}); tag each in the file with TAG lines",
                    self.describe_entries(&listing)
                )));
            }
        }
        Ok(self)
    }

    /// Every tag the plan gives already, in order.
    fn tags_given(&self) -> Vec<String> {
        let manifests = self.manifests.iter().flat_map(|m| m.tags.iter());
        let indexes = self.indexes.iter().flat_map(|i| i.tags.iter());
        let included = self
            .includes
            .iter()
            .flat_map(|i| i.entries.iter().flat_map(|e| e.tags.iter()));
        manifests.chain(indexes).chain(included).cloned().collect()
    }

    /// How many `index.json` entries `node` gives.
    fn entries_of(&self, node: Node) -> usize {
        match node {
            Node::Include(i) => self.includes[i].entries.len(),
            Node::Manifest(_) | Node::Index(_) => 1,
        }
    }

    /// The entries `listing` gives, for a message: ids where the file gave
    /// them, platforms where a wrapped build gave several.
    fn describe_entries(&self, listing: &[Node]) -> String {
        let name = |node: &Node| match *node {
            Node::Manifest(i) => {
                let m = &self.manifests[i];
                match (&m.id, &m.platform) {
                    (Some(id), _) => format!("artifact {id}"),
                    (None, Some(p)) => format!("{}/{}", p.os(), p.architecture()),
                    (None, None) => format!("manifest {}", i + 1),
                }
            }
            Node::Index(i) => format!("index {}", self.indexes[i].id),
            Node::Include(i) => match &self.includes[i].id {
                Some(id) => format!("include {id}"),
                None => format!("include {}", i + 1),
            },
        };
        listing.iter().map(name).collect::<Vec<_>>().join(", ")
    }
}

#[cfg(test)]
#[path = "output_tags_tests.rs"]
mod tests;
