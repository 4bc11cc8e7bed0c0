//! OCI image layouts as inputs: a source whose root holds `oci-layout` and
//! `index.json` (a `--build-context base=./out` directory, a bake target's
//! output, a `FROM` build's result). BuildKit's own image source would
//! unpack a layout into a filesystem and can't read an artifact at all, so
//! we read the layout ourselves: [`crate::oci::reader`] does the reading,
//! through the gateway's file calls given here ([`InputFiles`]), and this
//! file words what it finds wrong for the user, naming the layout as the
//! Artifactfile does. The blobs an entry reaches (configs, layers) are not
//! read here: the blobs stage copies them, checking each against its
//! digest on the way, and words a mismatch as [`damaged`] does.
//!
//! Links resolve inside the input's root, as everywhere else.

use oci_spec::image::Descriptor;

use crate::artifactfile::Pick;
use crate::digest::Digest;
use crate::gateway::{Gateway, SolvedRef, UserError};
use crate::oci::reader::{
    self, EntryContent, FileRead, LayoutError, LayoutFiles, LayoutIndex, MAX_DOCUMENT,
    ManifestParts, Mismatch, blob_path, tag_of,
};

use crate::artifact::error::{Context as _, Error, Result};

use super::lookup::{self, MODE_TYPE_BITS, PathStat};

/// Most entries or members a message lists.
const MAX_LISTED: usize = 10;

/// A layout opened: its name (for messages), where it is, and its
/// `index.json`.
pub struct LayoutInput {
    /// What the Artifactfile calls it.
    pub name: String,
    /// Its input, solved.
    root: SolvedRef,
    /// Its input, for messages (`named context "base"`).
    describe: String,
    /// Its `index.json`.
    index: LayoutIndex,
}

/// The files of an input, as the layout reader reads them: through the
/// gateway, links kept inside the input's root.
pub struct InputFiles<'a, G> {
    gw: &'a G,
    root: &'a SolvedRef,
    describe: &'a str,
}

impl<G: Gateway> LayoutFiles for InputFiles<'_, G> {
    type Error = Error;

    async fn read(&self, path: &str, max: u64) -> Result<FileRead> {
        let stat = match lookup::stat(self.gw, self.root, path, self.describe).await? {
            PathStat::Stat(stat) => stat,
            PathStat::Missing => return Ok(FileRead::Missing),
            PathStat::LinkOutside { link, target } => {
                return Ok(FileRead::LinkOutside { link, target });
            }
        };
        if stat.mode & MODE_TYPE_BITS != 0 {
            return Ok(FileRead::NotRegular);
        }
        let size = u64::try_from(stat.size).unwrap_or(0);
        if size > max {
            return Ok(FileRead::TooLarge(size));
        }
        let data = self
            .gw
            .read_stated(self.root, path, &stat, max)
            .await
            .with_context(|| format!("reading {path} from the {}", self.describe))?;
        Ok(FileRead::Bytes(data))
    }
}

/// Why `what` (a blob a descriptor names) is not in the `source` (an
/// input's description), where `path` should be: one wording wherever a
/// layout's blob is found missing.
pub fn incomplete(what: &str, source: &str, path: &str) -> String {
    format!(
        "{what} is missing from the {source} (a descriptor names it, but there is no {path}): \
         the layout is incomplete; copy or build it again"
    )
}

/// Why `what` (a blob taken from a layout) is refused: its bytes are not
/// what its descriptor names. One wording for documents read here and
/// blobs copied by the blobs stage.
pub fn damaged(what: &str, m: &Mismatch) -> String {
    format!("{what} {m}; the layout is damaged: copy or build it again")
}

/// `platform` as `os/arch[/variant]`.
fn platform_of(d: &Descriptor) -> Option<String> {
    let p = d.platform().as_ref()?;
    let mut s = format!("{}/{}", p.os(), p.architecture());
    if let Some(v) = p.variant() {
        s = format!("{s}/{v}");
    }
    Some(s)
}

/// `items` joined, the first [`MAX_LISTED`] of them.
fn some_of(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(MAX_LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX_LISTED {
        s.push_str(", ...");
    }
    s
}

impl LayoutInput {
    /// Opens the layout at the root of `root` (the input `describe`d).
    pub async fn open<G: Gateway>(
        gw: &G,
        name: &str,
        root: SolvedRef,
        describe: &str,
    ) -> Result<LayoutInput> {
        let files = InputFiles {
            gw,
            root: &root,
            describe,
        };
        let opened = LayoutIndex::open(&files).await;
        let mut layout = LayoutInput {
            name: name.to_string(),
            describe: describe.to_string(),
            index: LayoutIndex::default(),
            root,
        };
        layout.index = opened.map_err(|e| layout.explain(e))?;
        Ok(layout)
    }

    fn files<'a, G>(&'a self, gw: &'a G) -> InputFiles<'a, G> {
        InputFiles {
            gw,
            root: &self.root,
            describe: &self.describe,
        }
    }

    /// The entries of its `index.json`, in order.
    pub fn entries(&self) -> &[Descriptor] {
        self.index.entries()
    }

    /// The entry `pick` names: a tag or digest at any depth of nested
    /// indexes, or the layout's one document.
    pub async fn pick<G: Gateway>(&self, gw: &G, pick: &Pick) -> Result<Descriptor> {
        let files = self.files(gw);
        let picked = match pick {
            Pick::Only => self.index.sole_entry(),
            Pick::Tag(tag) => self.index.find_tag(&files, tag).await,
            Pick::Digest(digest) => self.index.find_digest(&files, digest).await,
        };
        picked.map_err(|e| self.explain(e))
    }

    /// The bytes of document `d` (a manifest, an index, a config), checked
    /// against its digest and size.
    pub async fn document<G: Gateway>(&self, gw: &G, d: &Descriptor) -> Result<Vec<u8>> {
        reader::document(&self.files(gw), d)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Everything `top` reaches: the documents (itself, and for an index
    /// its members, recursively) and the blobs they name.
    pub async fn content<G: Gateway>(&self, gw: &G, top: &Descriptor) -> Result<EntryContent> {
        reader::content(&self.files(gw), top)
            .await
            .map_err(|e| self.explain(e))
    }

    /// The config and layers of manifest `d` (what `LAYERS` takes).
    pub async fn manifest<G: Gateway>(&self, gw: &G, d: &Descriptor) -> Result<ManifestParts> {
        reader::manifest(&self.files(gw), d)
            .await
            .map_err(|e| self.explain(e))
    }

    /// The DiffIDs of `layers` layers an image config lists, if `config`
    /// is one that lists as many.
    pub async fn image_diff_ids<G: Gateway>(
        &self,
        gw: &G,
        config: &Descriptor,
        layers: usize,
    ) -> Result<Option<Vec<Digest>>> {
        reader::image_diff_ids(&self.files(gw), config, layers)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Whether `d` is a non-distributable blob this layout does not hold.
    pub async fn elsewhere<G: Gateway>(&self, gw: &G, d: &Descriptor) -> Result<bool> {
        reader::elsewhere(&self.files(gw), d)
            .await
            .map_err(|e| self.explain(e))
    }

    /// Its entries for a message: its tags, and the untagged ones' digests.
    fn listed(&self) -> String {
        let tags: Vec<String> = self.index.tags().into_iter().map(String::from).collect();
        let mut untagged: Vec<String> = Vec::new();
        for d in self.entries().iter().filter(|d| tag_of(d).is_none()) {
            let digest = d.digest().to_string();
            if !untagged.contains(&digest) {
                untagged.push(digest);
            }
        }
        match (tags.is_empty(), untagged.is_empty()) {
            (false, true) => format!("its tags: {}", some_of(&tags)),
            (true, _) => format!("its entries: {}", some_of(&untagged)),
            (false, false) => format!(
                "its tags: {}; untagged: {}",
                some_of(&tags),
                some_of(&untagged)
            ),
        }
    }

    /// The members of an index, as picks that work: `<name>@<digest>`
    /// with each one's platform (or artifact type).
    fn members(&self, children: &[Descriptor]) -> String {
        let picks: Vec<String> = children
            .iter()
            .map(|c| {
                let what = platform_of(c)
                    .or_else(|| c.artifact_type().as_ref().map(ToString::to_string))
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default();
                format!("{}@{}{what}", self.name, c.digest())
            })
            .collect();
        some_of(&picks)
    }

    /// What the reader found wrong, worded for the user.
    fn explain(&self, e: LayoutError<Error>) -> Error {
        let name = &self.name;
        let describe = &self.describe;
        let message = match e {
            LayoutError::Files(e) => return e.context(format!("reading the layout {name}")),
            LayoutError::NotALayout { missing } => format!(
                "{name} ({describe}) is not an OCI image layout: it has no {missing} at its \
                 root; give the directory a build wrote with -o type=local (it holds \
                 oci-layout, index.json and blobs/)"
            ),
            LayoutError::LinkOutside { link, target, .. } => {
                lookup::link_outside(name, &link, &target, describe)
            }
            LayoutError::TooLarge { path, size } => format!(
                "{name}: {path} is {size} bytes, more than the {MAX_DOCUMENT} a manifest, an \
                 index or index.json may have"
            ),
            LayoutError::Missing { digest } => incomplete(
                &format!("{name}: blob {digest}"),
                describe,
                &blob_path(&digest),
            ),
            LayoutError::Damaged { mismatch } => {
                damaged(&format!("{name}: blob {}", mismatch.named.0), &mismatch)
            }
            LayoutError::NoEntry => format!("{name} has no entry in its index.json"),
            LayoutError::SeveralEntries(n) => format!(
                "{name} has {n} entries in its index.json; pick one with {name}:<tag> or \
                 {name}@sha256:<hex> ({})",
                self.listed()
            ),
            LayoutError::NoTag(tag) => {
                let tags = self.index.tags();
                format!(
                    "{name} has no tag {tag:?}{} ({})",
                    crate::suggest::did_you_mean(&tag, &tags),
                    self.listed()
                )
            }
            LayoutError::NoDigest(digest) => {
                format!("{name} has no entry {digest} ({})", self.listed())
            }
            LayoutError::NotAManifest {
                descriptor,
                children,
            } => {
                let what = format!(
                    "{name}: {} is {}, not a manifest: LAYERS takes the layers of one manifest",
                    descriptor.digest(),
                    reader::what_is(&descriptor)
                );
                match children.is_empty() {
                    true => what,
                    false => format!(
                        "{what}; pick one of its members: {}",
                        self.members(&children)
                    ),
                }
            }
            e @ (LayoutError::IndexJson(_)
            | LayoutError::BadDigest { .. }
            | LayoutError::Unparsable { .. }
            | LayoutError::TooManyDocuments
            | LayoutError::NoConfig(_)) => format!("{name}: {e}"),
        };
        UserError::new(message).into()
    }
}
