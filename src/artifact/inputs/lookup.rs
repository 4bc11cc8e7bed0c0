//! Finding a path in a solved input, telling "not there" from "the input
//! failed" from "the daemon failed" by asking, never by reading messages.
//!
//! A failed StatFile says little: daemons differ in the code and wording
//! they give a missing path, and one that solves lazily (BuildKit 0.8)
//! builds the input on its first read, so an input that failed to build
//! (an image that does not exist, say) looks the same as a missing file.
//! So when a stat fails we ask two questions the daemon answers
//! structurally: can the input's root be listed (else the input failed,
//! and BuildKit's own error is the answer), and is the name in its parent
//! directory (else the path is missing). Only the error path pays for the
//! extra calls.

use crate::blobtool::{quote, quote_any_case};
use crate::gateway::{Gateway, RpcError, SolvedRef};
use crate::proto::fstypes::Stat;

use crate::artifact::error::{Context as _, Error, Result};

/// A pattern no file has: listing with it makes the daemon build the ref
/// and send nothing back.
const NOTHING: &str = ".artifact-none";

/// Go's `os.FileMode` type bits, which is what StatFile's `mode` carries:
/// dir, symlink, device, named pipe, socket, char device, irregular.
pub const MODE_TYPE_BITS: u32 =
    (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
/// Go's `os.ModeDir`.
pub const MODE_DIR: u32 = 1 << 31;
/// Go's `os.ModeSymlink`.
pub const MODE_SYMLINK: u32 = 1 << 27;

/// What a path of an input is.
#[derive(Debug)]
pub enum PathStat {
    /// There: its stat (symlinks followed inside the root).
    Stat(Stat),
    /// Not there.
    Missing,
    /// Not there for the build: `link` (on the way) points out of the
    /// input's root, at `target`.
    LinkOutside {
        /// The link.
        link: String,
        /// Where it points.
        target: String,
    },
}

impl PathStat {
    /// The stat, when the path is a regular file.
    pub fn regular_file(self) -> Option<Stat> {
        match self {
            PathStat::Stat(s) if s.mode & MODE_TYPE_BITS == 0 => Some(s),
            _ => None,
        }
    }
}

/// Why `what` can't be read: `link` on its way points at `target`, out of
/// `source` (an input's description). One wording for layers and layouts.
pub fn link_outside(what: &str, link: &str, target: &str, source: &str) -> String {
    format!(
        "{what}: {link} is a link to {target}, outside the {source}, where the build can't \
         follow it; copy what it points to into the context, or name a path inside it"
    )
}

/// The error of the `describe`d input that failed to build, named as that
/// input's: when the client refused the list of paths the transfer asked
/// for, that cause first, since BuildKit's own words (a status code, a
/// ReadDir) don't say it. Our local sources stay under the limit
/// ([`super::transfer::MAX_PATTERNS`]), so this is a budget we missed: worth
/// a report.
pub fn not_built(describe: &str) -> impl FnOnce(RpcError) -> Error + '_ {
    move |e| {
        let what = if e.is_header_refusal() {
            format!(
                "the {describe} could not be built: the client refused the list of paths the \
                 build asked it to send (too many paths for its request headers); name a \
                 directory or a glob instead of many files, and report this as a bug of the \
                 frontend"
            )
        } else {
            format!("the {describe} could not be built")
        };
        Error::from(e).context(what)
    }
}

/// Looks up `path` in `input` (the `describe`d source, solved).
pub async fn stat<G: Gateway>(
    gw: &G,
    input: &SolvedRef,
    path: &str,
    describe: &str,
) -> Result<PathStat> {
    let failed = match gw.stat_file(input, path).await {
        Ok(stat) => return Ok(PathStat::Stat(stat)),
        Err(e) => e,
    };
    built(gw, input).await.map_err(not_built(describe))?;
    let there = match exists(gw, input, path).await {
        Presence::There => true,
        Presence::Missing => false,
        Presence::LinkOutside { link, target } => {
            return Ok(PathStat::LinkOutside { link, target });
        }
    };
    if there {
        // There, but the daemon failed to stat it: BuildKit 0.8 fails
        // concurrent calls on one ref now and then ("flightcontrol:
        // exceeded retry timeout"), so ask again before its answer is the
        // error.
        return match again(|| gw.stat_file(input, path)).await {
            Ok(stat) => Ok(PathStat::Stat(stat)),
            Err(_) => Err(failed).with_context(|| format!("{path} in the {describe}")),
        };
    }
    Ok(PathStat::Missing)
}

/// Pauses between further tries of a read that failed on a file that is
/// there.
const RETRY_DELAYS_MS: [u64; 3] = [50, 250, 1000];

/// `call` (a read of something known to be there) tried up to three more
/// times while it fails; the last failure is the answer. Reads are
/// idempotent, and a daemon under load (BuildKit 0.8's flightcontrol)
/// fails some that succeed when asked again.
pub async fn again<T, F, Fut>(mut call: F) -> Result<T, RpcError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, RpcError>>,
{
    let mut last = call().await;
    for ms in RETRY_DELAYS_MS {
        if last.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
        last = call().await;
    }
    last
}

/// The bytes of `path` in `input` when it is there as a regular file (or a
/// link to one), else `None`: for files a build may or may not have (an
/// ignore file, a hub model's configs). Its directory is asked first, so
/// an absent file costs one call, not a failed stat and the probes after it.
pub async fn optional_file<G: Gateway>(
    gw: &G,
    input: &SolvedRef,
    path: &str,
    describe: &str,
    max: u64,
) -> Result<Option<Vec<u8>>> {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    match gw.read_dir(input, &format!("/{dir}"), &quote(name)).await {
        Ok(entries) if entries.iter().any(|e| e.path == name) => {}
        // The root that won't list is a failed input; any other directory
        // that won't list is not one, and nothing is below it.
        Err(e) if dir.is_empty() => return Err(not_built(describe)(e)),
        Ok(_) | Err(_) => return Ok(None),
    }
    let Some(stat) = stat(gw, input, path, describe).await?.regular_file() else {
        return Ok(None);
    };
    let data = gw
        .read_stated(input, path, &stat, max)
        .await
        .with_context(|| format!("reading {path} from the {describe}"))?;
    Ok(Some(data))
}

/// Makes the daemon build `r` (listing its root, which is cheap), so that
/// a build that failed says so now, with BuildKit's own error.
pub async fn built<G: Gateway>(gw: &G, r: &SolvedRef) -> Result<(), RpcError> {
    gw.read_dir(r, "/", NOTHING).await.map(drop)
}

/// What a walk down a path's directories found.
enum Presence {
    /// Every component is listed.
    There,
    /// One is not (or a link at the end leads nowhere).
    Missing,
    /// A link on the way leads out of the root.
    LinkOutside { link: String, target: String },
}

/// Whether `target`, the target of a link at `link` (relative to the
/// root), leads out of the root: absolute, or above it with `..`.
fn leads_out(link: &str, target: &str) -> bool {
    let mut depth = link.split('/').count() as isize - 1;
    target.starts_with('/')
        || target.split('/').any(|c| {
            match c {
                ".." => depth -= 1,
                "" | "." => {}
                _ => depth += 1,
            }
            depth < 0
        })
}

/// The path of `input` that is `path` but for the case of its letters
/// (`README.md` for `READMe.md`), when there is one: walking down from the
/// root, each component is looked for in any case in the directory before
/// it. A hint for a path that is missing, so any failure gives `None`.
pub async fn case_variant<G: Gateway>(gw: &G, input: &SolvedRef, path: &str) -> Option<String> {
    let mut found = String::new();
    for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
        let dir = format!("/{found}");
        let listed = gw.read_dir(input, &dir, &quote_any_case(part)).await.ok()?;
        let names = listed.iter().map(|e| e.path.as_str());
        // The name as it is, else the one that differs in case only.
        let name = match listed.iter().any(|e| e.path == part) {
            true => part,
            false => crate::suggest::same_but_case(part, names)?,
        };
        if !found.is_empty() {
            found.push('/');
        }
        found.push_str(name);
    }
    (found != path).then_some(found)
}

/// Whether every component of `path` is listed in the directory before it,
/// walking down from the root (which is known to list).
async fn exists<G: Gateway>(gw: &G, input: &SolvedRef, path: &str) -> Presence {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    // Walk down from the root: the first component not listed in its
    // parent is where the path stops existing.
    let mut dir = String::from("/");
    let last = parts.len().saturating_sub(1);
    for (i, part) in parts.into_iter().enumerate() {
        if part == ".." {
            // Confined paths have none; be safe and let the stat speak.
            return Presence::There;
        }
        // The pattern is the name, quoted: ReadDir's patterns are fsutil's.
        let listed = match gw.read_dir(input, &dir, &quote(part)).await {
            Ok(entries) => entries,
            // The root lists, so a parent that doesn't is not a directory
            // (or not there): nothing can be below it.
            Err(_) => return Presence::Missing,
        };
        let Some(entry) = listed.iter().find(|e| e.path == part) else {
            return Presence::Missing;
        };
        let at = format!("{}/{part}", dir.trim_end_matches('/'));
        if entry.mode & MODE_SYMLINK != 0 {
            let link = at.trim_start_matches('/').to_string();
            if leads_out(&link, &entry.linkname) {
                return Presence::LinkOutside {
                    link,
                    target: entry.linkname.clone(),
                };
            }
            // A link whose stat failed leads nowhere: missing, as the
            // worker says too. (A link on the way is followed by the next
            // listing.)
            if i == last {
                return Presence::Missing;
            }
        }
        dir = at;
    }
    Presence::There
}
