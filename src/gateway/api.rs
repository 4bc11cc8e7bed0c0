//! [`Gateway`]: the few calls the artifact logic makes to buildkitd.
//!
//! The logic is written against this trait, not the gRPC client, so that it
//! can run in-process against a fake that solves our LLB itself (the
//! worker's exec included) and be tested without a daemon. [`Bridge`] is
//! the real one; `Return` stays on it alone, so a build can't send it.
//!
//! [`Bridge`]: super::Bridge

use std::collections::BTreeMap;
use std::future::Future;

use crate::proto::fstypes::Stat;
use crate::proto::pb;

use super::caps::Caps;
use super::status::RpcError;
use super::types::{FileRange, FrontendResult, SolvedRef, Warning};

/// Bytes per ranged read of a whole file: well under buildkitd's 16 MiB
/// message limit.
const READ_CHUNK: u64 = 4 << 20;

/// Why a whole file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// It is larger than the caller allows.
    #[error("{path} is {size} bytes, more than the {max} allowed")]
    TooBig {
        /// The file.
        path: String,
        /// Its size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The daemon refused a read.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// It changed while it was read.
    #[error(transparent)]
    Changed(#[from] ChangedWhileRead),
}

/// A file of the input that changed while it was read: its size is not
/// what its stat said. The input's problem (something still writes to it),
/// said the same way wherever it is found: reading through the gateway,
/// hashing through the gateway, or packing in the worker.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, thiserror::Error)]
#[error(
    "{path} changed while it was read ({found} bytes where {expected} were expected); \
     build again once nothing writes to it"
)]
pub struct ChangedWhileRead {
    /// The file.
    pub path: String,
    /// The bytes its stat promised (or up to the range read).
    pub expected: u64,
    /// The bytes it had.
    pub found: u64,
}

/// What the frontend asks of buildkitd while it builds.
///
/// Futures are `Send` so an implementation may be driven from any runtime
/// thread.
pub trait Gateway: Sync {
    /// The daemon's caps, from `Ping`.
    fn caps(&self) -> &Caps;

    /// Definitions the caller passed as frontend inputs (none on daemons
    /// without the `frontend.inputs` cap). Asked of the daemon once per
    /// build, however often it is called.
    fn inputs(
        &self,
    ) -> impl Future<Output = Result<&BTreeMap<String, pb::Definition>, RpcError>> + Send;

    /// Solves `def` and returns its single result. Solving may be lazy:
    /// errors in the graph may surface on the first read.
    fn solve(
        &self,
        def: pb::Definition,
    ) -> impl Future<Output = Result<SolvedRef, RpcError>> + Send;

    /// Runs frontend `frontend` with `opts` and `inputs`, as a client would,
    /// and returns its result and the metadata it set.
    fn solve_frontend(
        &self,
        frontend: &str,
        opts: BTreeMap<String, String>,
        inputs: BTreeMap<String, pb::Definition>,
    ) -> impl Future<Output = Result<FrontendResult, RpcError>> + Send;

    /// Stats `path` inside `r`, symlinks resolved within the ref's root.
    fn stat_file(
        &self,
        r: &SolvedRef,
        path: &str,
    ) -> impl Future<Output = Result<Stat, RpcError>> + Send;

    /// Reads `path` (or a range of it) from `r`. Whole-file reads above
    /// 16 MiB fail on the daemon: read big files in ranges.
    fn read_file(
        &self,
        r: &SolvedRef,
        path: &str,
        range: Option<FileRange>,
    ) -> impl Future<Output = Result<Vec<u8>, RpcError>> + Send;

    /// The entries of directory `dir` of `r` whose names match `pattern`
    /// (a glob; empty matches all). Symlinks in `dir` resolve within the
    /// ref's root.
    fn read_dir(
        &self,
        r: &SolvedRef,
        dir: &str,
        pattern: &str,
    ) -> impl Future<Output = Result<Vec<Stat>, RpcError>> + Send;

    /// Shows `warning` with the build's output (daemons with the
    /// `gateway.warnings` cap).
    fn warn(&self, warning: Warning) -> impl Future<Output = Result<(), RpcError>> + Send;

    /// Resolves an image reference to its manifest digest and config JSON.
    fn resolve_image_config(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<(String, Vec<u8>), RpcError>> + Send;

    /// Reads a whole file of `r` in ranges, so its size is bounded by
    /// `max` and not by the message limit.
    fn read_all(
        &self,
        r: &SolvedRef,
        path: &str,
        max: u64,
    ) -> impl Future<Output = Result<Vec<u8>, ReadError>> + Send {
        async move {
            let stat = self.stat_file(r, path).await?;
            self.read_stated(r, path, &stat, max).await
        }
    }

    /// [`Gateway::read_all`] for a file already stat'ed, so callers that
    /// check the stat themselves don't stat twice.
    fn read_stated(
        &self,
        r: &SolvedRef,
        path: &str,
        stat: &Stat,
        max: u64,
    ) -> impl Future<Output = Result<Vec<u8>, ReadError>> + Send {
        async move {
            let size = u64::try_from(stat.size).unwrap_or(0);
            if size > max {
                return Err(ReadError::TooBig {
                    path: path.to_string(),
                    size,
                    max,
                });
            }
            let mut out = Vec::with_capacity(size as usize);
            while (out.len() as u64) < size {
                let offset = out.len() as u64;
                let length = (size - offset).min(READ_CHUNK);
                let chunk = self
                    .read_file(r, path, Some(FileRange { offset, length }))
                    .await?;
                if chunk.is_empty() {
                    return Err(ChangedWhileRead {
                        path: path.to_string(),
                        expected: size,
                        found: offset,
                    }
                    .into());
                }
                out.extend_from_slice(&chunk);
            }
            Ok(out)
        }
    }
}
