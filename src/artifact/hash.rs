//! Digests of layer files, read through the gateway.
//!
//! Each file is checked with `StatFile` (it must be a regular file; links
//! resolve inside the input root) and read with ranged `ReadFile` calls.
//! Reads are pipelined within a file and files are hashed concurrently, with
//! a global cap on bytes in flight so memory stays small whatever the
//! artifact's size.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt, stream};
use sha2::{Digest as _, Sha256};
use tokio::sync::Semaphore;

use crate::gateway::{Bridge, FileRange, RpcError, SolvedRef, UserError};

use super::spec::LayerSpec;

/// Bytes per ReadFile call: well under buildkitd's 16 MiB message cap.
const CHUNK: u64 = 2 << 20;
/// Chunks in flight at once, across all files (so at most 16 MiB buffered).
const CHUNKS_IN_FLIGHT: usize = 8;
/// Reads pipelined within one file.
const CHUNKS_PER_FILE: usize = 4;
/// Files in progress at once.
const FILES_IN_FLIGHT: usize = 8;

/// Go's `os.FileMode` type bits, which is what StatFile's `mode` carries:
/// dir, symlink, device, named pipe, socket, char device, irregular.
const MODE_TYPE_BITS: u32 =
    (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
const MODE_DIR: u32 = 1 << 31;

/// Size and digest of one layer file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes.
    pub size: u64,
    /// `sha256:<hex>`.
    pub digest: String,
}

/// Hashes every distinct layer path, returning one entry per layer.
pub async fn hash_layers(
    bridge: &Bridge,
    input: &SolvedRef,
    layers: &[LayerSpec],
    source: &str,
) -> anyhow::Result<Vec<FileDigest>> {
    let permits = Arc::new(Semaphore::new(CHUNKS_IN_FLIGHT));
    // The first layer naming a path is the one errors are reported for.
    let mut first_use: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, l) in layers.iter().enumerate() {
        first_use.entry(l.path.as_str()).or_insert(i);
    }
    let hashed: BTreeMap<&str, FileDigest> = stream::iter(first_use.iter())
        .map(|(path, i)| {
            let permits = permits.clone();
            async move {
                let d = hash_file(bridge, input, &layers[*i], *i, source, permits).await?;
                anyhow::Ok((*path, d))
            }
        })
        .buffer_unordered(FILES_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(layers
        .iter()
        .map(|l| hashed[l.path.as_str()].clone())
        .collect())
}

async fn hash_file(
    bridge: &Bridge,
    input: &SolvedRef,
    layer: &LayerSpec,
    index: usize,
    source: &str,
    permits: Arc<Semaphore>,
) -> anyhow::Result<FileDigest> {
    let what = || format!("layer {index} ({:?})", layer.given_path);
    let stat = bridge
        .stat_file(input, &layer.path)
        .await
        .map_err(|e| not_found_or(e, what(), source))?;
    if stat.mode & MODE_DIR != 0 {
        return Err(problem(&what(), Problem::Directory, source).into());
    }
    if stat.mode & MODE_TYPE_BITS != 0 {
        return Err(problem(&what(), Problem::Irregular, source).into());
    }
    let size = u64::try_from(stat.size).unwrap_or(0);
    let ranges = (0..size.div_ceil(CHUNK)).map(|k| FileRange {
        offset: k * CHUNK,
        length: CHUNK.min(size - k * CHUNK),
    });
    let mut chunks = stream::iter(ranges)
        .map(|range| {
            let permits = permits.clone();
            async move {
                // Closed never happens: we own the semaphore.
                let permit = permits.acquire_owned().await?;
                let data = bridge.read_file(input, &layer.path, Some(range)).await?;
                anyhow::Ok((range, data, permit))
            }
        })
        .buffered(CHUNKS_PER_FILE);
    let mut hasher = Sha256::new();
    while let Some((range, data, _permit)) =
        chunks.try_next().await.map_err(|e| e.context(what()))?
    {
        if data.len() as u64 != range.length {
            anyhow::bail!(
                "{}: the file changed while it was read (expected {} bytes at offset {}, got {})",
                what(),
                range.length,
                range.offset,
                data.len()
            );
        }
        hasher.update(&data);
    }
    Ok(FileDigest {
        size,
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
    })
}

/// A missing file is the user's to fix; anything else is BuildKit's error.
fn not_found_or(e: RpcError, what: String, source: &str) -> anyhow::Error {
    let msg = e.status.message().to_ascii_lowercase();
    if e.status.code() == tonic::Code::NotFound
        || msg.contains("no such file")
        || msg.contains("not found")
    {
        return problem(&what, Problem::Missing, source).into();
    }
    anyhow::Error::new(e).context(what)
}

/// Why a layer path can't be a layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Nothing at that path.
    Missing,
    /// A directory.
    Directory,
    /// A device, socket or pipe.
    Irregular,
}

/// The message for `what` (e.g. `layer 2 ("a.bin")`) having `p` in `source`.
pub fn problem(what: &str, p: Problem, source: &str) -> UserError {
    UserError::new(match p {
        Problem::Missing => format!(
            "{what} does not exist in the {source}; check the path (it is relative to the input root)"
        ),
        Problem::Directory => format!(
            "{what} is a directory in the {source}; a layer must be a single file: \
             list its files as separate layers or pack it into a tar first"
        ),
        Problem::Irregular => {
            format!("{what} is not a regular file in the {source}; a layer must be a regular file")
        }
    })
}
