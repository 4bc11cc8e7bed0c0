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

use crate::blobtool::{BlobReport, EntryError};
use crate::digest::Digest;
use crate::gateway::{ChangedWhileRead, FileRange, Gateway, SolvedRef, UserError};

use crate::artifact::error::{Context as _, Error, Result};
use crate::artifact::inputs::lookup::{self, MODE_DIR, MODE_TYPE_BITS, PathStat};
use crate::artifact::inputs::solve;
use crate::artifact::plan::{BlobRequest, Plan, RequestId};

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

/// Size and digest of one layer file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Bytes.
    pub size: u64,
    /// Its digest.
    pub digest: Digest,
    /// Permission bits.
    pub mode: u32,
}

/// Hashes every request of `plan` through the gateway: per request, the
/// one blob it gives, the file itself (the layout copies it from its
/// input). Globs and tars need the worker: they are refused here with a
/// message saying so.
pub async fn hash<G: Gateway>(gw: &G, plan: &Plan) -> Result<BTreeMap<RequestId, Vec<BlobReport>>> {
    let mut refs = Vec::new();
    for input in &plan.inputs {
        let r = solve::input(gw, input).await?;
        refs.push(r);
    }
    let hashed = hash_requests(gw, &refs, plan).await?;
    Ok(hashed
        .into_iter()
        .map(|(id, (path, d))| {
            let blob = BlobReport {
                path,
                dir: false,
                mode: d.mode,
                size: d.size,
                file_size: d.size,
                diff_id: d.digest.clone(),
                digest: d.digest,
            };
            (id, vec![blob])
        })
        .collect())
}

/// What the gateway path says of work only the worker does (`doing`, for
/// request `what`), and what to do instead.
fn worker_only(plan: &Plan, r: &BlobRequest, what: &str, doing: &str, instead: &str) -> Error {
    let message =
        format!("{what}: {doing} inside the worker, which this daemon can't run; {instead}");
    plan.error_at(r.lines, message).into()
}

/// [`hash`]'s work (`refs[i]` is input `i` solved): per request, the path
/// hashed and its digest.
async fn hash_requests<G: Gateway>(
    gw: &G,
    refs: &[SolvedRef],
    plan: &Plan,
) -> Result<BTreeMap<RequestId, (String, FileDigest)>> {
    let requests = plan.requests();
    for (what, r) in &requests {
        if r.glob {
            let instead = "list the files instead";
            return Err(worker_only(plan, r, what, "globs are expanded", instead));
        }
        if r.pack.tar_files {
            let instead = "use raw layers";
            return Err(worker_only(
                plan,
                r,
                what,
                "files are packed as tars",
                instead,
            ));
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
                let d = hash_file(gw, &refs[r.input], plan, what, r, permits).await?;
                Ok::<_, Error>((*key, d))
            }
        })
        .buffer_unordered(FILES_IN_FLIGHT)
        .try_collect()
        .await?;
    requests
        .iter()
        .map(|(what, r)| {
            let d = hashed
                .get(&(r.input, r.path.as_str()))
                .with_context(|| format!("{what} was not hashed"))?;
            Ok((r.id, (r.path.clone(), d.clone())))
        })
        .collect()
}

async fn hash_file<G: Gateway>(
    gw: &G,
    input: &SolvedRef,
    plan: &Plan,
    label: &str,
    req: &BlobRequest,
    permits: Arc<Semaphore>,
) -> Result<FileDigest> {
    let what = || label.to_string();
    let at = |e: EntryError| -> Error { plan.explain(label, req, &e).into() };
    let describe = &plan.inputs[req.input].describe;
    let stat = match lookup::stat(gw, input, &req.path, describe)
        .await
        .with_context(what)?
    {
        PathStat::Stat(stat) => stat,
        PathStat::Missing => {
            return Err(super::missing::explain(gw, plan, label, req, &EntryError::Missing).await);
        }
        PathStat::LinkOutside { link, target } => {
            return Err(at(EntryError::LinkOutside { link, target }));
        }
    };
    if stat.mode & MODE_DIR != 0 {
        if req.allow_dir {
            let doing = "it is a directory, and directories are packed as tars";
            return Err(worker_only(
                plan,
                req,
                label,
                doing,
                "list its files instead",
            ));
        }
        return Err(at(EntryError::Directory));
    }
    if stat.mode & MODE_TYPE_BITS != 0 {
        return Err(at(EntryError::Irregular));
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
                let permit = permits.acquire_owned().await.map_err(Error::internal)?;
                // The file is there (its stat said so): a failed read is
                // asked again before it fails the build.
                let data = lookup::again(|| gw.read_file(input, &req.path, Some(range))).await?;
                Ok::<_, Error>((range, data, permit))
            }
        })
        .buffered(CHUNKS_PER_FILE);
    let mut hasher = Sha256::new();
    while let Some((range, data, _permit)) =
        chunks.try_next().await.map_err(|e| e.context(what()))?
    {
        if data.len() as u64 != range.length {
            let changed = ChangedWhileRead {
                path: req.path.clone(),
                expected: size,
                found: range.offset + data.len() as u64,
            };
            return Err(Error::from(UserError::new(changed.to_string())).context(what()));
        }
        hasher.update(&data);
    }
    Ok(FileDigest {
        size,
        digest: Digest::from_hasher(hasher),
        mode: stat.mode & 0o777,
    })
}
