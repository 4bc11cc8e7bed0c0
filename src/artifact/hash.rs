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

use super::plan::{BlobRequest, Plan};

/// Bytes per ReadFile call: well under buildkitd's 16 MiB message cap.
const CHUNK: u64 = 2 << 20;
/// Chunks in flight at once, across all files (so at most 16 MiB buffered).
const CHUNKS_IN_FLIGHT: usize = 8;
/// Reads pipelined within one file.
const CHUNKS_PER_FILE: usize = 4;
/// Files in progress at once. More buys nothing on two cores, and the
/// BuildKit in Docker 20.10 starts failing concurrent StatFile/ReadFile calls
/// on one ref with "flightcontrol: exceeded retry timeout" at 32.
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
    /// Permission bits.
    pub mode: u32,
}

/// Hashes every request of `plan` through the gateway (`refs[i]` is input
/// `i` solved), one entry per request. Globs and directory tars need the
/// worker: they are refused here with a message saying so.
pub async fn hash_requests(
    bridge: &Bridge,
    refs: &[SolvedRef],
    plan: &Plan,
) -> anyhow::Result<Vec<FileDigest>> {
    let requests = plan.requests();
    for (what, r) in &requests {
        if r.glob {
            return Err(plan
                .error_at(
                    r.lines,
                    format!("{what}: globs are expanded inside the worker, which this daemon can't run; list the files instead"),
                )
                .into());
        }
        if r.pack.tar_files {
            return Err(plan
                .error_at(
                    r.lines,
                    format!("{what}: files are packed as tars inside the worker, which this daemon can't run; use raw layers"),
                )
                .into());
        }
    }
    let permits = Arc::new(Semaphore::new(CHUNKS_IN_FLIGHT));
    // Each distinct file once; the first request naming it reports errors.
    let mut first_use: BTreeMap<(usize, &str), usize> = BTreeMap::new();
    for (i, (_, r)) in requests.iter().enumerate() {
        first_use.entry((r.input, r.path.as_str())).or_insert(i);
    }
    let hashed: BTreeMap<(usize, &str), FileDigest> = stream::iter(first_use.iter())
        .map(|(key, i)| {
            let permits = permits.clone();
            let (what, r) = &requests[*i];
            async move {
                let d = hash_file(bridge, &refs[r.input], plan, what, r, permits).await?;
                anyhow::Ok((*key, d))
            }
        })
        .buffer_unordered(FILES_IN_FLIGHT)
        .try_collect()
        .await?;
    Ok(requests
        .iter()
        .map(|(_, r)| hashed[&(r.input, r.path.as_str())].clone())
        .collect())
}

async fn hash_file(
    bridge: &Bridge,
    input: &SolvedRef,
    plan: &Plan,
    label: &str,
    req: &BlobRequest,
    permits: Arc<Semaphore>,
) -> anyhow::Result<FileDigest> {
    let what = || label.to_string();
    let source = plan.inputs[req.input].describe.as_str();
    let at = |p: Problem| -> anyhow::Error {
        plan.error_at(req.lines, problem(label, p, source).message)
            .into()
    };
    let stat = match bridge.stat_file(input, &req.path).await {
        Ok(s) => s,
        Err(e) if is_not_found(&e) => return Err(at(Problem::Missing)),
        Err(e) => return Err(anyhow::Error::new(e).context(what())),
    };
    if stat.mode & MODE_DIR != 0 {
        if req.allow_dir {
            return Err(plan
                .error_at(
                    req.lines,
                    format!("{label} is a directory: packing it as a tar happens inside the worker, which this daemon can't run"),
                )
                .into());
        }
        return Err(at(Problem::Directory));
    }
    if stat.mode & MODE_TYPE_BITS != 0 {
        return Err(at(Problem::Irregular));
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
                let data = bridge.read_file(input, &req.path, Some(range)).await?;
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
        mode: stat.mode & 0o777,
    })
}

/// Whether BuildKit said the path does not exist.
fn is_not_found(e: &RpcError) -> bool {
    let msg = e.status.message().to_ascii_lowercase();
    e.status.code() == tonic::Code::NotFound
        || msg.contains("no such file")
        || msg.contains("not found")
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
