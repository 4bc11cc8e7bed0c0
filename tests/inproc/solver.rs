//! An in-process [`Gateway`] that solves the frontend's LLB itself, on
//! directories of a temporary dir, so the whole build (planning, hashing in
//! the worker or through the gateway, the layout) runs in a unit test.
//!
//! It interprets what this frontend emits and nothing more: local and image
//! sources (from directories the test registers), FileOps (mkdir, mkfile,
//! copy) and two ExecOps: the blob writer, which it runs with
//! [`blobtool::run`] over the exec's mounts as the worker would, and the
//! registry pull (`FROM oci://`), run with [`registry::pull::pull`] against
//! whatever registry the test started. Anything
//! else is an error, so a new kind of op can't pass unnoticed. It is no
//! substitute for BuildKit (the end-to-end suite runs that); it is what
//! lets the planning and producing logic be tested on every path without a
//! daemon. Every call is counted, so tests can assert what was asked.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use super::util::caps;
use artifact_frontend::blobtool::{self, Job};
use artifact_frontend::gateway::{
    Caps, FileRange, FrontendResult, Gateway, RpcError, SolvedRef, Warning,
};
use artifact_frontend::proto::fstypes::Stat;
use artifact_frontend::proto::pb;
use artifact_frontend::registry::{self, PullJob};
use prost::Message as _;
use sha2::{Digest as _, Sha256};

/// Go's `os.FileMode` type bits, as StatFile reports them.
const GO_DIR: u32 = 1 << 31;
const GO_PIPE: u32 = 1 << 25;
const GO_SOCKET: u32 = 1 << 24;
const GO_DEVICE: u32 = 1 << 26;
const GO_SYMLINK: u32 = 1 << 27;

/// `meta`'s mode as Go's `os.FileMode` bits, as the daemon sends them.
fn go_mode(meta: &fs::Metadata) -> u32 {
    let t = meta.file_type();
    let kind = if t.is_dir() {
        GO_DIR
    } else if t.is_symlink() {
        GO_SYMLINK
    } else if t.is_fifo() {
        GO_PIPE
    } else if t.is_socket() {
        GO_SOCKET
    } else if t.is_block_device() || t.is_char_device() {
        GO_DEVICE
    } else {
        0
    };
    kind | (meta.mode_bits() & 0o7777)
}

/// Every cap the frontend may ask for, gateway and LLB.
const GATEWAY_CAPS: &[&str] = &[
    "solve.base",
    "statfile",
    "readfile",
    "readdir",
    "resolveimage",
    "frontend.inputs",
    "proto.refarray",
    "gateway.solve.evaluate",
];
const LLB_CAPS: &[&str] = &[
    "source.local",
    "source.local.sessionid",
    "source.local.followpaths",
    "source.local.includepatterns",
    "source.local.excludepatterns",
    "source.local.sharedkeyhint",
    "source.image",
    "file.base",
    "exec.meta.base",
    "exec.meta.network",
    "exec.mount.bind",
    "exec.mount.selector",
    "exec.mount.secret",
    "constraints",
    "platform",
    "meta.description",
];

/// What the fake was asked, for assertions.
#[derive(Debug, Default, Clone)]
pub struct Calls {
    /// Definitions solved.
    pub solves: usize,
    /// The names of their steps (`llb.customname`), as progress shows them.
    pub steps: Vec<String>,
    /// Blob-writer execs run that write blobs.
    pub execs: usize,
    /// Blob-writer execs run that only list.
    pub listings: usize,
    /// The paths the writing execs mounted one by one (selectors).
    pub selected: Vec<String>,
    /// Warnings sent with the Warn call.
    pub warnings: Vec<Warning>,
    /// The most paths and patterns one local source carried (follow,
    /// include and exclude), and the most bytes of them.
    pub local_patterns: (usize, usize),
    /// The files each local source sent, by source solved (relative,
    /// sorted).
    pub local_sent: Vec<Vec<String>>,
    /// Whether an exec asked to ignore the cache.
    pub execs_ignoring_cache: usize,
    /// Registry pull steps run: the digest a fetch named (`None` for a
    /// resolve), and whether it asked to ignore the cache.
    pub pulls: Vec<(Option<String>, bool)>,
    /// StatFile calls.
    pub stats: usize,
    /// ReadFile calls.
    pub reads: usize,
    /// Inputs calls.
    pub inputs: usize,
    /// Every definition sent to Solve, as it went over the wire.
    pub definitions: Vec<Vec<u8>>,
}

/// The fake daemon.
pub struct Solver {
    caps: Caps,
    work: tempfile::TempDir,
    locals: BTreeMap<String, PathBuf>,
    images: BTreeMap<String, PathBuf>,
    /// OCI artifacts in the registry, by reference: their configs. The
    /// image source fails on them as BuildKit's does.
    artifacts: BTreeMap<String, Vec<u8>>,
    inputs: BTreeMap<String, pb::Definition>,
    /// Solved results, by ref id.
    refs: Mutex<Vec<PathBuf>>,
    /// Outputs of every op solved, by op digest: BuildKit's cache, which
    /// makes a vertex solved twice in one build run once (an op that
    /// ignores the cache under `<digest>-ignorecache`, apart).
    cache: Mutex<BTreeMap<String, Vec<Option<PathBuf>>>>,
    /// How many layers each FileOp output stacks: each one on a base adds
    /// one, as on Docker's overlay2, which refuses more than 128 lower
    /// layers ("max depth exceeded").
    depths: Mutex<BTreeMap<PathBuf, usize>>,
    calls: Mutex<Calls>,
    /// When set, execs fail as on a daemon that can't run our image.
    exec_fails: bool,
    /// Most paths and patterns the client takes for one local source:
    /// BuildKit sends them in gRPC headers, and buildctl 0.32 and buildx
    /// 0.36 refuse 500 (HTTP 431) while taking 490.
    client_paths: usize,
    /// Solve lazily, as BuildKit 0.8 does: a failing definition gives a
    /// ref whose first read fails.
    lazy: bool,
    /// Refs whose build failed (lazy mode), with the error.
    failed: Mutex<BTreeMap<String, String>>,
    /// A path whose StatFile fails (the daemon's trouble, not the file's).
    flaky_stat: Option<String>,
    /// Paths whose next StatFile and ReadFile fail once each, as BuildKit
    /// 0.8 fails some concurrent calls ("flightcontrol: exceeded retry
    /// timeout").
    fails_once: Mutex<BTreeMap<String, (bool, bool)>>,
}

/// buildkitd's limit on one gRPC message (containerd's default), which a
/// Solve request must keep to.
const DAEMON_MAX_MESSAGE: usize = 16 << 20;

/// Layers one filesystem may stack (overlay2's `maxDepth` plus its base).
const MAX_DEPTH: usize = 129;

/// Where the blob writer's binary is in the frontend image we register.
pub const OWN_BINARY: &str = "/artifact-frontend";
/// The frontend image's reference.
pub const OWN_IMAGE: &str = "docker.io/example/artifact-frontend:test";

fn fail(rpc: &'static str, code: tonic::Code, message: String) -> RpcError {
    RpcError {
        rpc,
        status: tonic::Status::new(code, message),
    }
}

impl Solver {
    /// A fake with every cap and the frontend's own image registered.
    pub fn new() -> Solver {
        let work = tempfile::tempdir().unwrap();
        let own = work.path().join("own-image");
        fs::create_dir_all(&own).unwrap();
        fs::write(own.join(OWN_BINARY.trim_start_matches('/')), b"#!binary").unwrap();
        Solver {
            caps: Caps::from_pong(&caps(GATEWAY_CAPS), &caps(LLB_CAPS)),
            work,
            locals: BTreeMap::new(),
            images: BTreeMap::from([(OWN_IMAGE.to_string(), own)]),
            artifacts: BTreeMap::new(),
            inputs: BTreeMap::new(),
            refs: Mutex::new(Vec::new()),
            cache: Mutex::new(BTreeMap::new()),
            depths: Mutex::new(BTreeMap::new()),
            calls: Mutex::new(Calls::default()),
            exec_fails: false,
            client_paths: 490,
            lazy: false,
            failed: Mutex::new(BTreeMap::new()),
            flaky_stat: None,
            fails_once: Mutex::new(BTreeMap::new()),
        }
    }

    /// Serves `dir` as the client's local directory `name`.
    pub fn local(mut self, name: &str, dir: &Path) -> Solver {
        self.locals.insert(name.to_string(), dir.to_path_buf());
        self
    }

    /// Serves `dir` as image `reference` (normalized, as the LLB names it).
    pub fn image(mut self, reference: &str, dir: &Path) -> Solver {
        self.images.insert(reference.to_string(), dir.to_path_buf());
        self
    }

    /// Passes `def` as frontend input `name`.
    pub fn input(mut self, name: &str, def: pb::Definition) -> Solver {
        self.inputs.insert(name.to_string(), def);
        self
    }

    /// Makes the client refuse a local source of more than `n` paths and
    /// patterns, as today's clients refuse a few hundred.
    pub fn client_taking_paths(mut self, n: usize) -> Solver {
        self.client_paths = n;
        self
    }

    /// Has an OCI artifact whose config's media type is `config` at
    /// `reference` in the registry: pulling it as an image, or resolving its
    /// config, fails as on BuildKit.
    pub fn artifact(mut self, reference: &str, config: &[u8]) -> Solver {
        self.artifacts
            .insert(reference.to_string(), config.to_vec());
        self
    }

    /// Makes every exec fail, as a daemon that can't run our image does.
    pub fn failing_execs(mut self) -> Solver {
        self.exec_fails = true;
        self
    }

    /// Solves lazily, as BuildKit 0.8 does.
    pub fn lazy(mut self) -> Solver {
        self.lazy = true;
        self
    }

    /// Makes StatFile of `path` fail as a troubled daemon's does.
    /// Makes the first StatFile and the first ReadFile of `path` fail.
    pub fn failing_once(self, path: &str) -> Solver {
        self.fails_once
            .lock()
            .unwrap()
            .insert(path.to_string(), (true, true));
        self
    }

    /// Whether this call (a stat or a read) of `path` is one to fail.
    fn fail_now(&self, path: &str, stat: bool) -> Option<RpcError> {
        let mut once = self.fails_once.lock().unwrap();
        let (s, r) = once.get_mut(path)?;
        let pending = if stat { s } else { r };
        if !*pending {
            return None;
        }
        *pending = false;
        let rpc = if stat { "StatFile" } else { "ReadFile" };
        Some(fail(
            rpc,
            tonic::Code::Unknown,
            "flightcontrol: exceeded retry timeout".into(),
        ))
    }

    pub fn flaky_stat(mut self, path: &str) -> Solver {
        self.flaky_stat = Some(path.to_string());
        self
    }

    /// The daemon's caps.
    pub fn with_caps(mut self, gateway: &[&str], llb: &[&str]) -> Solver {
        self.caps = Caps::from_pong(&caps(gateway), &caps(llb));
        self
    }

    /// Every cap, and `gateway.warnings` (BuildKit 0.11+): warnings are
    /// sent with the Warn call, recorded in [`Calls::warnings`].
    pub fn with_warnings(self) -> Solver {
        let gateway: Vec<&str> = GATEWAY_CAPS
            .iter()
            .copied()
            .chain(["gateway.warnings"])
            .collect();
        self.with_caps(&gateway, LLB_CAPS)
    }

    /// What was asked so far.
    pub fn calls(&self) -> Calls {
        self.calls.lock().unwrap().clone()
    }

    /// The directory of a solved ref.
    pub fn dir(&self, r: &SolvedRef) -> PathBuf {
        self.ref_dir(r).unwrap()
    }

    /// The directory of `r`, or the error of its (lazy) build.
    fn root(&self, r: &SolvedRef, rpc: &'static str) -> Result<PathBuf, RpcError> {
        if let Some(e) = self.failed.lock().unwrap().get(&r.id) {
            return Err(fail(rpc, tonic::Code::Unknown, e.clone()));
        }
        self.ref_dir(r)
            .ok_or_else(|| fail(rpc, tonic::Code::NotFound, format!("no ref {}", r.id)))
    }

    fn ref_dir(&self, r: &SolvedRef) -> Option<PathBuf> {
        let i: usize = r.id.strip_prefix("ref-")?.parse().ok()?;
        self.refs.lock().unwrap().get(i).cloned()
    }

    /// A new empty directory for a result.
    fn scratch(&self) -> PathBuf {
        let mut refs = self.refs.lock().unwrap();
        let dir = self.work.path().join(format!("fs-{}", refs.len()));
        fs::create_dir_all(&dir).unwrap();
        // Reserve the slot so names stay unique.
        refs.push(dir.clone());
        dir
    }

    fn register(&self, dir: PathBuf) -> SolvedRef {
        let mut refs = self.refs.lock().unwrap();
        refs.push(dir);
        SolvedRef {
            id: format!("ref-{}", refs.len() - 1),
        }
    }

    /// Solves a whole definition to a directory.
    fn solve_def(&self, def: &pb::Definition) -> Result<PathBuf, String> {
        let Some((terminal, ops)) = def.def.split_last() else {
            return Ok(self.scratch());
        };
        let terminal = pb::Op::decode(terminal.as_slice()).map_err(|e| e.to_string())?;
        let mut graph = Graph {
            solver: self,
            ops: ops
                .iter()
                .map(|b| Ok((digest(b), pb::Op::decode(b.as_slice())?)))
                .collect::<Result<_, prost::DecodeError>>()
                .map_err(|e| e.to_string())?,
            metadata: &def.metadata,
        };
        match terminal.inputs.first() {
            Some(edge) => graph.output(edge),
            None => Ok(self.scratch()),
        }
    }
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// One definition being solved: its ops and the outputs solved so far.
struct Graph<'a> {
    solver: &'a Solver,
    ops: BTreeMap<String, pb::Op>,
    metadata: &'a BTreeMap<String, pb::OpMetadata>,
}

impl Graph<'_> {
    /// The directory of `edge`. Each op runs once per solver (outputs are
    /// never written after their op ran: later ops work on copies).
    fn output(&mut self, edge: &pb::Input) -> Result<PathBuf, String> {
        // As BuildKit's solver loads vertices: one that ignores the cache
        // is a vertex of its own (it runs again even when the same op ran
        // in this build), and one that doesn't merges with it.
        let ignore = self
            .metadata
            .get(&edge.digest)
            .is_some_and(|m| m.ignore_cache);
        let without_cache = format!("{}-ignorecache", edge.digest);
        let cached = {
            let cache = self.solver.cache.lock().unwrap();
            match cache.get(&without_cache) {
                Some(outputs) => Some(outputs.clone()),
                None if ignore => None,
                None => cache.get(&edge.digest).cloned(),
            }
        };
        let key = if ignore {
            without_cache
        } else {
            edge.digest.clone()
        };
        let outputs = match cached {
            Some(outputs) => outputs,
            None => {
                let op = self
                    .ops
                    .get(&edge.digest)
                    .cloned()
                    .ok_or_else(|| format!("op {} is not in the definition", edge.digest))?;
                let outputs = self.run(&edge.digest, &op)?;
                let mut cache = self.solver.cache.lock().unwrap();
                cache.insert(key, outputs.clone());
                outputs
            }
        };
        outputs
            .get(edge.index as usize)
            .cloned()
            .flatten()
            .ok_or_else(|| format!("op {} has no output {}", edge.digest, edge.index))
    }

    /// Input `i` of `op` (`-1` is scratch).
    fn input(&mut self, op: &pb::Op, i: i64) -> Result<PathBuf, String> {
        match usize::try_from(i).ok().and_then(|i| op.inputs.get(i)) {
            Some(edge) => self.output(&edge.clone()),
            None => Ok(self.solver.scratch()),
        }
    }

    fn run(&mut self, digest: &str, op: &pb::Op) -> Result<Vec<Option<PathBuf>>, String> {
        match &op.op {
            Some(pb::op::Op::Source(src)) => Ok(vec![Some(self.source(src)?)]),
            Some(pb::op::Op::File(file)) => self.file(op, file),
            Some(pb::op::Op::Exec(exec)) => {
                let ignore_cache = self.metadata.get(digest).is_some_and(|m| m.ignore_cache);
                self.exec(op, exec, ignore_cache)
            }
            Some(pb::op::Op::Merge(merge)) => {
                // Later inputs layered over earlier ones.
                let out = self.solver.scratch();
                for m in &merge.inputs {
                    let from = self.input(op, m.input)?;
                    copy_tree(&from, &out, "", &Transfer::all())?;
                }
                Ok(vec![Some(out)])
            }
            None => Err("an op with no kind".into()),
        }
    }

    fn source(&mut self, src: &pb::SourceOp) -> Result<PathBuf, String> {
        let out = self.solver.scratch();
        if let Some(name) = src.identifier.strip_prefix("local://") {
            let from = self
                .solver
                .locals
                .get(name)
                .ok_or_else(|| format!("no local directory {name:?} in this session"))?;
            let list = |key: &str| -> Vec<String> {
                src.attrs
                    .get(key)
                    .and_then(|v| serde_json::from_str(v).ok())
                    .unwrap_or_default()
            };
            let (follow, include, exclude) = (
                list("local.followpaths"),
                list("local.includepattern"),
                list("local.excludepatterns"),
            );
            {
                let all = || follow.iter().chain(&include).chain(&exclude);
                let bytes = all().map(String::len).sum::<usize>();
                let mut calls = self.solver.calls.lock().unwrap();
                let (n, b) = calls.local_patterns;
                calls.local_patterns = (n.max(all().count()), b.max(bytes));
                if all().count() > self.solver.client_paths {
                    return Err("unexpected HTTP status code received from server: 431 \
                                (Request Header Fields Too Large)"
                        .into());
                }
            }
            let follow = follow_links(from, &follow);
            let filter = Transfer::new(&follow, &include, &exclude)?;
            copy_tree(from, &out, "", &filter)?;
            let sent = files_below(&out, "");
            self.solver.calls.lock().unwrap().local_sent.push(sent);
            return Ok(out);
        }
        if let Some(reference) = src.identifier.strip_prefix("docker-image://") {
            if let Some(config) = self.solver.artifacts.get(reference) {
                // What BuildKit 0.8 and 0.25 say of an artifact.
                return Err(unknown_type(config));
            }
            // A pinned reference is served by the image it pins.
            let name = reference.split('@').next().unwrap_or(reference);
            let from = self
                .solver
                .images
                .get(reference)
                .or_else(|| self.solver.images.get(name))
                .ok_or_else(|| format!("{reference}: not found"))?;
            copy_tree(from, &out, "", &Transfer::all())?;
            return Ok(out);
        }
        Err(format!(
            "source {} is not served by this fake",
            src.identifier
        ))
    }

    fn file(&mut self, op: &pb::Op, file: &pb::FileOp) -> Result<Vec<Option<PathBuf>>, String> {
        let n_inputs = op.inputs.len() as i64;
        let mut results: Vec<PathBuf> = Vec::new();
        let mut output = None;
        // The stack the op's output sits on: its first action's base.
        let below = match file.actions.first().map(|a| a.input) {
            Some(i) if (0..n_inputs).contains(&i) => {
                let base = self.input(op, i)?;
                self.solver
                    .depths
                    .lock()
                    .unwrap()
                    .get(&base)
                    .copied()
                    .unwrap_or(1)
            }
            _ => 0,
        };
        if below + 1 > MAX_DEPTH {
            return Err(format!(
                "failed to prepare: max depth exceeded ({})",
                below + 1
            ));
        }
        for action in &file.actions {
            // Inputs below `n_inputs` are the op's; above, earlier actions'.
            let base = if action.input >= n_inputs {
                // An action's result feeds only the next one in our chains:
                // it is worked on in place, not copied again.
                results[(action.input - n_inputs) as usize].clone()
            } else {
                let from = self.input(op, action.input)?;
                let copy = self.solver.scratch();
                copy_tree(&from, &copy, "", &Transfer::all())?;
                copy
            };
            match &action.action {
                Some(pb::file_action::Action::Mkdir(m)) => {
                    let path = base.join(m.path.trim_start_matches('/'));
                    if m.make_parents {
                        fs::create_dir_all(&path)
                    } else {
                        fs::create_dir(&path)
                    }
                    .map_err(|e| format!("mkdir {}: {e}", m.path))?;
                    chmod(&path, m.mode)?;
                }
                Some(pb::file_action::Action::Mkfile(m)) => {
                    let path = base.join(m.path.trim_start_matches('/'));
                    fs::write(&path, &m.data).map_err(|e| format!("mkfile {}: {e}", m.path))?;
                    chmod(&path, m.mode)?;
                    stamp(&path, m.timestamp)?;
                }
                Some(pb::file_action::Action::Copy(c)) => {
                    let from = if action.secondary_input >= n_inputs {
                        results[(action.secondary_input - n_inputs) as usize].clone()
                    } else {
                        self.input(op, action.secondary_input)?
                    };
                    copy_action(&from, &base, c)?;
                }
                other => return Err(format!("file action {other:?} is not served by this fake")),
            }
            if action.output == 0 {
                self.solver
                    .depths
                    .lock()
                    .unwrap()
                    .insert(base.clone(), below + 1);
                output = Some(base.clone());
            }
            results.push(base);
        }
        Ok(vec![output])
    }

    fn exec(
        &mut self,
        op: &pb::Op,
        exec: &pb::ExecOp,
        ignore_cache: bool,
    ) -> Result<Vec<Option<PathBuf>>, String> {
        if self.solver.exec_fails {
            return Err("process \"/frontend/artifact-frontend blobs\" did not complete successfully: exec format error".into());
        }
        let args = exec
            .meta
            .as_ref()
            .map(|m| m.args.clone())
            .unwrap_or_default();
        if args.get(1).map(String::as_str) == Some(registry::pull::SUBCOMMAND) {
            return self.pull(op, exec, &args, ignore_cache);
        }
        if args.get(1).map(String::as_str) != Some(blobtool::SUBCOMMAND) {
            return Err(format!("exec {args:?} is not served by this fake"));
        }
        let mut at: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut outputs: Vec<Option<PathBuf>> = Vec::new();
        // Inputs mounted path by path, as BuildKit's selectors do: only
        // the selected path is there, where the exec asked for it.
        let mut selected_roots: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut selected = Vec::new();
        for m in &exec.mounts {
            let dir = self.input(op, m.input)?;
            if m.output >= 0 {
                let slot = m.output as usize;
                outputs.resize(outputs.len().max(slot + 1), None);
                outputs[slot] = Some(dir.clone());
            }
            if m.selector.is_empty() {
                at.insert(m.dest.clone(), dir);
                continue;
            }
            let path = m.selector.trim_start_matches('/');
            let input_dest = m
                .dest
                .strip_suffix(path)
                .and_then(|d| d.strip_suffix('/'))
                .ok_or_else(|| format!("mount {} does not end in its selector", m.dest))?;
            let src = blobtool::resolve_in_root(&dir, path)
                .filter(|p| p.exists())
                .ok_or_else(|| format!("mount selector {}: no such file", m.selector))?;
            let root = selected_roots
                .entry(input_dest.to_string())
                .or_insert_with(|| self.solver.scratch())
                .clone();
            let dest = root.join(path);
            fs::create_dir_all(dest.parent().unwrap()).map_err(|e| e.to_string())?;
            if src.is_dir() {
                fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
                copy_tree(&src, &dest, "", &Transfer::all())?;
            } else {
                fs::copy(&src, &dest).map_err(|e| e.to_string())?;
            }
            selected.push(m.selector.clone());
        }
        at.extend(selected_roots);
        // The mounts the worker's blob writer reads and writes.
        let mounted = |p: &str| {
            at.get(p)
                .cloned()
                .ok_or_else(|| format!("the exec has no mount at {p}"))
        };
        let binary = mounted("/frontend")?.join("artifact-frontend");
        if !binary.is_file() {
            return Err(format!("{}: no such file", args[0]));
        }
        let job: Job = serde_json::from_slice(
            &fs::read(mounted(blobtool::JOB_DIR)?.join(blobtool::JOB_FILE))
                .map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        let inputs: BTreeMap<usize, PathBuf> = at
            .iter()
            .filter_map(|(dest, dir)| {
                let i = dest.strip_prefix(blobtool::INPUT_DIR)?.strip_prefix('/')?;
                Some((i.parse().ok()?, dir.clone()))
            })
            .collect();
        let root = |i: usize| inputs.get(&i).cloned().unwrap_or_default();
        let report = if job.list {
            self.solver.calls.lock().unwrap().listings += 1;
            serde_json::to_vec(&blobtool::list(&job, &root))
        } else {
            let mut calls = self.solver.calls.lock().unwrap();
            calls.execs += 1;
            calls.execs_ignoring_cache += usize::from(ignore_cache);
            calls.selected.extend(selected);
            drop(calls);
            serde_json::to_vec(&blobtool::run(&job, &root, &mounted(blobtool::OUT_DIR)?))
        };
        fs::write(
            mounted(blobtool::REPORT_DIR)?.join(blobtool::REPORT_FILE),
            report.map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        Ok(outputs)
    }
}

impl Graph<'_> {
    /// The registry pull's exec: the job (its last argument) run on a
    /// thread of its own (the pull is async, this fake is not), its
    /// report and layout written where the exec mounts its outputs.
    fn pull(
        &mut self,
        op: &pb::Op,
        exec: &pb::ExecOp,
        args: &[String],
        ignore_cache: bool,
    ) -> Result<Vec<Option<PathBuf>>, String> {
        let job: PullJob =
            serde_json::from_str(args.get(2).ok_or("no job")?).map_err(|e| e.to_string())?;
        let mut outputs: Vec<Option<PathBuf>> = Vec::new();
        let mut at: BTreeMap<String, PathBuf> = BTreeMap::new();
        for m in &exec.mounts {
            let dir = self.input(op, m.input)?;
            if m.output >= 0 {
                let slot = m.output as usize;
                outputs.resize(outputs.len().max(slot + 1), None);
                outputs[slot] = Some(dir.clone());
            }
            at.insert(m.dest.clone(), dir);
        }
        let report_dir = at
            .get(registry::REPORT_DIR)
            .cloned()
            .ok_or("no report mount")?;
        let out = at
            .get(registry::pull::OUT_DIR)
            .cloned()
            .unwrap_or_else(|| self.solver.scratch());
        self.solver
            .calls
            .lock()
            .unwrap()
            .pulls
            .push((job.digest.clone(), ignore_cache));
        let report = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let r = rt.block_on(registry::pull::pull(&job, &out, None, None));
            Ok::<_, String>(r.unwrap_or_else(|e| registry::PullReport {
                error: Some(e),
                ..Default::default()
            }))
        })
        .join()
        .map_err(|_| "the pull panicked".to_string())??;
        fs::write(
            report_dir.join(registry::pull::REPORT_FILE),
            serde_json::to_vec(&report).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
        Ok(outputs)
    }
}

/// fsutil's `FollowLinks`: the follow paths, with the links along each
/// one resolved (inside `root`) and their targets added, recursively. A
/// wildcard is expanded only in the component being looked at (so `d/*`
/// follows the links directly in `d`, `d/*/*` none below them), as there.
fn follow_links(root: &Path, paths: &[String]) -> Vec<String> {
    let mut resolved = BTreeSet::new();
    for p in paths {
        follow_link(root, p, &mut resolved, 0);
    }
    resolved.into_iter().collect()
}

fn follow_link(root: &Path, p: &str, resolved: &mut BTreeSet<String>, depth: usize) {
    if depth > 40 {
        return;
    }
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut current = String::new();
    for (i, part) in parts.iter().enumerate() {
        current = if current.is_empty() {
            part.to_string()
        } else {
            format!("{current}/{part}")
        };
        let rest = parts[i + 1..].join("/");
        let targets = read_symlink(root, &current, true);
        if !targets.is_empty() {
            resolved.insert(current.clone());
            for t in targets {
                follow_link(root, &format!("{t}/{rest}"), resolved, depth + 1);
            }
            return;
        }
        if rest.is_empty() {
            resolved.insert(current);
            return;
        }
    }
}

/// The targets of link `p` (relative to `root`, clamped inside it), or of
/// the links its last component matches when that is a wildcard.
fn read_symlink(root: &Path, p: &str, wildcard: bool) -> Vec<String> {
    let (dir, base) = p.rsplit_once('/').unwrap_or(("", p));
    let unescaped = base
        .char_indices()
        .filter(|(i, _)| *i == 0 || base.as_bytes()[i - 1] != b'\\')
        .any(|(_, c)| matches!(c, '*' | '?' | '['));
    if wildcard && unescaped {
        let Ok(m) = glob(base).map(|g| g.compile_matcher()) else {
            return Vec::new();
        };
        let Ok(entries) = fs::read_dir(root.join(dir)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| m.is_match(n))
            .collect();
        names.sort();
        return names
            .iter()
            .flat_map(|n| read_symlink(root, &format!("{dir}/{n}"), false))
            .collect();
    }
    let Ok(target) = fs::read_link(root.join(p)) else {
        return Vec::new();
    };
    let target = target.to_string_lossy().into_owned();
    let joined = match target.starts_with('/') {
        true => target,
        false => format!("{dir}/{target}"),
    };
    // Clamped at the root, as Go's filepath.Join("/", ...) does.
    let mut out: Vec<&str> = Vec::new();
    for c in joined.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    vec![out.join("/")]
}

/// Which paths of a local directory are transferred. As in fsutil, follow
/// paths are patterns (BuildKit adds them to the include patterns), so a
/// name with glob characters must come quoted; a path is kept when it is,
/// is below or is a parent of a match. Exclude patterns are
/// patternmatcher's: in order, the last to match a path or one of its
/// parents wins, and `!` marks an exception.
struct Transfer {
    /// Per follow path, a matcher per component.
    follow: Vec<Vec<globset::GlobMatcher>>,
    /// Include patterns, matched against the whole path: a file is sent
    /// when one matches it, a directory is looked into.
    include: Vec<globset::GlobMatcher>,
    /// Exclude patterns in order, `true` for an exception.
    exclude: Vec<(bool, globset::GlobMatcher)>,
}

fn glob(pattern: &str) -> Result<globset::Glob, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| e.to_string())
}

impl Transfer {
    fn all() -> Transfer {
        Transfer {
            follow: Vec::new(),
            include: Vec::new(),
            exclude: Vec::new(),
        }
    }

    fn new(follow: &[String], include: &[String], exclude: &[String]) -> Result<Transfer, String> {
        let include = include
            .iter()
            .map(|p| Ok(glob(p)?.compile_matcher()))
            .collect::<Result<_, String>>()?;
        let exclude = exclude
            .iter()
            .map(|p| {
                let (exception, p) = match p.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, p.as_str()),
                };
                Ok((
                    exception,
                    glob(p.trim_start_matches('/'))?.compile_matcher(),
                ))
            })
            .collect::<Result<_, String>>()?;
        let follow = follow
            .iter()
            .map(|p| {
                p.trim_start_matches("./")
                    .trim_matches('/')
                    .split('/')
                    .map(|c| Ok(glob(c)?.compile_matcher()))
                    .collect::<Result<Vec<_>, String>>()
            })
            .collect::<Result<_, _>>()?;
        Ok(Transfer {
            follow,
            include,
            exclude,
        })
    }

    /// Whether `rel` is excluded.
    fn excluded(&self, rel: &str) -> bool {
        let parts: Vec<&str> = rel.split('/').collect();
        let mut excluded = false;
        for (exception, m) in &self.exclude {
            let hit = (1..=parts.len()).any(|n| m.is_match(parts[..n].join("/")));
            if hit {
                excluded = !exception;
            }
        }
        excluded
    }

    /// Whether `rel` goes over, and whether to look below it.
    fn keeps(&self, rel: &str) -> (bool, bool) {
        let parts: Vec<&str> = rel.split('/').collect();
        let followed = self.follow.is_empty()
            || self
                .follow
                .iter()
                .any(|f| f.iter().zip(&parts).all(|(m, part)| m.is_match(part)));
        if !followed {
            return (false, false);
        }
        if !self.include.is_empty() && !self.include.iter().any(|m| m.is_match(rel)) {
            // Not sent itself; a directory is looked into for matches.
            return (false, !self.excluded(rel));
        }
        let excluded = self.excluded(rel);
        // Below an excluded directory only an exception can bring a path
        // back.
        let look_below = !excluded || self.exclude.iter().any(|(exception, _)| *exception);
        (!excluded, look_below)
    }
}

/// The files and links below `root`'s directory `rel`, relative, sorted.
fn files_below(root: &Path, rel: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(root.join(rel)) else {
        return out;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let child = match rel.is_empty() {
            true => name,
            false => format!("{rel}/{name}"),
        };
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(files_below(root, &child)),
            _ => out.push(child),
        }
    }
    out.sort();
    out
}

/// Copies the tree under `from` into `to` (links as links).
fn copy_tree(from: &Path, to: &Path, rel: &str, filter: &Transfer) -> Result<(), String> {
    let entries = fs::read_dir(from.join(rel)).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let child = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let (keep, look_below) = filter.keeps(&child);
        let (src, dst) = (from.join(&child), to.join(&child));
        let meta = fs::symlink_metadata(&src).map_err(|e| e.to_string())?;
        if meta.is_dir() && look_below {
            if keep {
                fs::create_dir_all(&dst).map_err(|e| e.to_string())?;
                fs::set_permissions(&dst, meta.permissions()).map_err(|e| e.to_string())?;
            }
            copy_tree(from, to, &child, filter)?;
            continue;
        }
        if !keep {
            continue;
        }
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        if meta.is_dir() {
            fs::create_dir_all(&dst).map_err(|e| e.to_string())?;
        } else if meta.file_type().is_symlink() {
            let target = fs::read_link(&src).map_err(|e| e.to_string())?;
            std::os::unix::fs::symlink(target, &dst).map_err(|e| e.to_string())?;
        } else if meta.is_file() {
            fs::copy(&src, &dst).map_err(|e| format!("{}: {e}", src.display()))?;
        } else {
            // Pipes and sockets: recreated as what they are.
            let c = std::ffi::CString::new(dst.to_string_lossy().as_bytes()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            let rc = unsafe { libc::mknod(c.as_ptr(), meta.mode_bits(), 0) };
            if rc != 0 {
                return Err(format!(
                    "mknod {}: {}",
                    dst.display(),
                    std::io::Error::last_os_error()
                ));
            }
        }
    }
    Ok(())
}

trait ModeBits {
    fn mode_bits(&self) -> u32;
}

impl ModeBits for fs::Metadata {
    fn mode_bits(&self) -> u32 {
        std::os::unix::fs::MetadataExt::mode(self)
    }
}

fn chmod(path: &Path, mode: i32) -> Result<(), String> {
    if mode >= 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode as u32))
            .map_err(|e| format!("chmod {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Sets a file's mtime to `ns` nanoseconds after the epoch (`-1`: leave).
fn stamp(path: &Path, ns: i64) -> Result<(), String> {
    if ns >= 0 {
        let file = fs::File::options()
            .write(true)
            .open(path)
            .map_err(|e| e.to_string())?;
        file.set_modified(UNIX_EPOCH + Duration::from_nanos(ns as u64))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A copy action: `src` of `from` (resolved inside it) to `dest` of `to`;
/// with a wildcard, every match of `src` into directory `dest`.
fn copy_action(from: &Path, to: &Path, c: &pb::FileActionCopy) -> Result<(), String> {
    if c.allow_wildcard {
        let (dir, pattern) = c.src.rsplit_once('/').unwrap_or(("", &c.src));
        let matcher = glob(pattern)?.compile_matcher();
        let dest = to.join(c.dest.trim_start_matches('/'));
        fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
        let dir = from.join(dir.trim_start_matches('/'));
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(_) if c.allow_empty_wildcard => return Ok(()),
            Err(e) => return Err(format!("copy {}: {e}", c.src)),
        };
        for e in entries {
            let e = e.map_err(|e| e.to_string())?;
            if matcher.is_match(e.file_name()) {
                let to = dest.join(e.file_name());
                fs::copy(e.path(), &to).map_err(|e| e.to_string())?;
                stamp(&to, c.timestamp)?;
            }
        }
        return Ok(());
    }
    let rel = c.src.trim_start_matches('/');
    let src = if c.follow_symlink {
        blobtool::resolve_in_root(from, rel)
    } else {
        Some(from.join(rel))
    }
    .filter(|p| fs::symlink_metadata(p).is_ok())
    .ok_or_else(|| format!("copy {}: no such file or directory", c.src))?;
    let dest = to.join(c.dest.trim_start_matches('/'));
    if src.is_dir() {
        fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
        return copy_tree(&src, &dest, "", &Transfer::all());
    }
    fs::copy(&src, &dest).map_err(|e| format!("copy {} to {}: {e}", c.src, c.dest))?;
    stamp(&dest, c.timestamp)
}

impl Gateway for Solver {
    fn caps(&self) -> &Caps {
        &self.caps
    }

    async fn inputs(&self) -> Result<&BTreeMap<String, pb::Definition>, RpcError> {
        self.calls.lock().unwrap().inputs += 1;
        Ok(&self.inputs)
    }

    async fn solve(&self, def: pb::Definition) -> Result<SolvedRef, RpcError> {
        let wire = def.encode_to_vec();
        let size = wire.len();
        {
            let mut calls = self.calls.lock().unwrap();
            calls.solves += 1;
            calls.definitions.push(wire);
            let named = def
                .metadata
                .values()
                .filter_map(|m| m.description.get("llb.customname"));
            calls.steps.extend(named.cloned());
        }
        // buildkitd's limit on one message: a request past it never
        // reaches the solver.
        if size > DAEMON_MAX_MESSAGE {
            return Err(fail(
                "Solve",
                tonic::Code::ResourceExhausted,
                format!("grpc: received message larger than max ({size} vs. 16777216)"),
            ));
        }
        match self.solve_def(&def) {
            Ok(dir) => Ok(self.register(dir)),
            Err(e) if self.lazy => {
                let r = self.register(self.work.path().join("failed"));
                self.failed.lock().unwrap().insert(r.id.clone(), e);
                Ok(r)
            }
            Err(e) => Err(fail("Solve", tonic::Code::Unknown, e)),
        }
    }

    async fn solve_frontend(
        &self,
        frontend: &str,
        _: BTreeMap<String, String>,
        _: BTreeMap<String, pb::Definition>,
    ) -> Result<FrontendResult, RpcError> {
        Err(fail(
            "Solve",
            tonic::Code::Unimplemented,
            format!("frontend {frontend} is not served by this fake"),
        ))
    }

    async fn stat_file(&self, r: &SolvedRef, path: &str) -> Result<Stat, RpcError> {
        self.calls.lock().unwrap().stats += 1;
        let root = self.root(r, "StatFile")?;
        if let Some(e) = self.fail_now(path, true) {
            return Err(e);
        }
        if self.flaky_stat.as_deref() == Some(path) {
            // What a daemon says when a snapshot went away under it: "not
            // found", of something that is not the file.
            return Err(fail(
                "StatFile",
                tonic::Code::Unknown,
                "failed to mount snapshot sha256:4f3c: not found".into(),
            ));
        }
        let found = blobtool::resolve_in_root(&root, path).ok_or_else(|| {
            fail(
                "StatFile",
                tonic::Code::Unknown,
                format!("stat {path}: no such file or directory"),
            )
        })?;
        let meta = fs::metadata(&found)
            .map_err(|e| fail("StatFile", tonic::Code::Unknown, e.to_string()))?;
        Ok(Stat {
            path: path.to_string(),
            mode: go_mode(&meta),
            size: meta.len() as i64,
            ..Default::default()
        })
    }

    async fn read_file(
        &self,
        r: &SolvedRef,
        path: &str,
        range: Option<FileRange>,
    ) -> Result<Vec<u8>, RpcError> {
        self.calls.lock().unwrap().reads += 1;
        let root = self.root(r, "ReadFile")?;
        if let Some(e) = self.fail_now(path, false) {
            return Err(e);
        }
        let found = blobtool::resolve_in_root(&root, path).ok_or_else(|| {
            fail(
                "ReadFile",
                tonic::Code::NotFound,
                format!("{path}: no such file"),
            )
        })?;
        let data =
            fs::read(found).map_err(|e| fail("ReadFile", tonic::Code::Unknown, e.to_string()))?;
        Ok(match range {
            None => data,
            Some(FileRange { offset, length }) => {
                let start = (offset as usize).min(data.len());
                let end = (start + length as usize).min(data.len());
                data[start..end].to_vec()
            }
        })
    }

    async fn read_dir(
        &self,
        r: &SolvedRef,
        dir: &str,
        pattern: &str,
    ) -> Result<Vec<Stat>, RpcError> {
        let root = self.root(r, "ReadDir")?;
        let found = blobtool::resolve_in_root(&root, dir)
            .filter(|p| p.is_dir())
            .ok_or_else(|| {
                fail(
                    "ReadDir",
                    tonic::Code::Unknown,
                    format!("{dir}: not a directory"),
                )
            })?;
        let matcher = globset::Glob::new(if pattern.is_empty() { "*" } else { pattern })
            .map_err(|e| fail("ReadDir", tonic::Code::InvalidArgument, e.to_string()))?
            .compile_matcher();
        let mut out = Vec::new();
        for e in
            fs::read_dir(found).map_err(|e| fail("ReadDir", tonic::Code::Unknown, e.to_string()))?
        {
            let e = e.map_err(|e| fail("ReadDir", tonic::Code::Unknown, e.to_string()))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if matcher.is_match(&name) {
                // Entries are not followed: a link is listed as a link.
                let meta = e
                    .metadata()
                    .map_err(|e| fail("ReadDir", tonic::Code::Unknown, e.to_string()))?;
                let linkname = fs::read_link(e.path())
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(Stat {
                    path: name,
                    mode: go_mode(&meta),
                    size: meta.len() as i64,
                    linkname,
                    ..Default::default()
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    async fn warn(&self, warning: Warning) -> Result<(), RpcError> {
        self.calls.lock().unwrap().warnings.push(warning);
        Ok(())
    }

    async fn resolve_image_config(&self, reference: &str) -> Result<(String, Vec<u8>), RpcError> {
        if let Some(config) = self.artifacts.get(reference) {
            return Err(fail(
                "ResolveImageConfig",
                tonic::Code::Unknown,
                unknown_type(config),
            ));
        }
        if !self.images.contains_key(reference) {
            return Err(fail(
                "ResolveImageConfig",
                tonic::Code::NotFound,
                format!("{reference}: not found"),
            ));
        }
        let config = serde_json::json!({"config": {"Entrypoint": [OWN_BINARY]}});
        Ok((
            digest(reference.as_bytes()),
            config.to_string().into_bytes(),
        ))
    }
}

/// containerd's words for a media type it can't follow, as BuildKit passes
/// them on when an artifact is pulled as an image.
fn unknown_type(media_type: &[u8]) -> String {
    format!(
        "failed to load cache key: encountered unknown type {}; children may not be fetched",
        String::from_utf8_lossy(media_type)
    )
}
