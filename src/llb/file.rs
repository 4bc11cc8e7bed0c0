//! FileOp: mkdir, mkfile and copy actions chained inside one op.
//!
//! Putting many actions in one FileOp matters at scale: BuildKit's
//! reference `artifact.v0` stacked one op per copied layer, and each op adds
//! an overlay lower dir, which breaks near 400 layers. A chain of actions in
//! a single op has no such limit.

use std::collections::BTreeMap;

use crate::proto::pb;

use super::CUSTOM_NAME;
use super::state::State;

/// Options for a copy action.
#[derive(Clone, Debug, Default)]
pub struct CopyOptions {
    /// Resolve a symlink at `src` and copy what it points to (inside the
    /// source root).
    pub follow_symlinks: bool,
    /// Modification time in Unix nanoseconds; `None` keeps the source's.
    pub timestamp: Option<i64>,
    /// `src` is a pattern (`/blobs/sha256/*`): every match is copied into
    /// `dest`, a directory; no match copies nothing.
    pub wildcard: bool,
}

#[derive(Clone, Debug)]
enum Action {
    Mkdir {
        path: String,
        mode: i32,
        make_parents: bool,
        timestamp: Option<i64>,
    },
    Mkfile {
        path: String,
        mode: i32,
        data: Vec<u8>,
        timestamp: Option<i64>,
    },
    Copy {
        from: State,
        src: String,
        dest: String,
        opts: CopyOptions,
    },
}

/// An ordered chain of file actions, each applied to the result of the one
/// before, like Go's `llb.Mkdir(...).Mkfile(...).Copy(...)`.
#[derive(Clone, Debug, Default)]
pub struct FileActions {
    actions: Vec<Action>,
}

impl FileActions {
    /// An empty chain.
    pub fn new() -> FileActions {
        FileActions::default()
    }

    /// Number of actions.
    pub fn len(&self) -> usize {
        self.actions.len()
    }

    /// Whether the chain is empty.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Creates directory `path` with `mode` (parents too when asked).
    pub fn mkdir(
        mut self,
        path: &str,
        mode: i32,
        make_parents: bool,
        timestamp: Option<i64>,
    ) -> Self {
        self.actions.push(Action::Mkdir {
            path: path.to_string(),
            mode,
            make_parents,
            timestamp,
        });
        self
    }

    /// Writes `data` to `path` with `mode`; the parent must exist.
    pub fn mkfile(mut self, path: &str, mode: i32, data: Vec<u8>, timestamp: Option<i64>) -> Self {
        self.actions.push(Action::Mkfile {
            path: path.to_string(),
            mode,
            data,
            timestamp,
        });
        self
    }

    /// Copies `src` from `from` to `dest` in the chain's filesystem.
    pub fn copy(mut self, from: &State, src: &str, dest: &str, opts: CopyOptions) -> Self {
        self.actions.push(Action::Copy {
            from: from.clone(),
            src: src.to_string(),
            dest: dest.to_string(),
            opts,
        });
        self
    }
}

impl State {
    /// Applies `actions` to this state in one FileOp, named `name` in
    /// progress output. An empty chain returns this state unchanged.
    pub fn file(&self, actions: FileActions, name: &str) -> State {
        let FileActions { actions } = actions;
        if actions.is_empty() {
            return self.clone();
        }
        // Inputs: the base state (unless scratch), then each distinct copy
        // source once, in first-use order.
        let mut inputs: Vec<State> = Vec::new();
        let mut input_index: BTreeMap<(String, i64), i64> = BTreeMap::new();
        let mut index_of = |st: &State, inputs: &mut Vec<State>| -> i64 {
            let Some(edge) = st.input() else { return -1 };
            *input_index
                .entry((edge.digest, edge.index))
                .or_insert_with(|| {
                    inputs.push(st.clone());
                    inputs.len() as i64 - 1
                })
        };
        let base = index_of(self, &mut inputs);
        let secondaries: Vec<i64> = actions
            .iter()
            .map(|a| match a {
                Action::Copy { from, .. } => index_of(from, &mut inputs),
                _ => -1,
            })
            .collect();
        let n_inputs = inputs.len() as i64;
        let last = actions.len() - 1;
        let ts = |t: Option<i64>| t.unwrap_or(-1);
        let mut caps = BTreeMap::new();
        caps.insert(super::caps::FILE_BASE.to_string(), true);
        let pb_actions = actions
            .iter()
            .enumerate()
            .map(|(j, a)| {
                let action = match a {
                    Action::Mkdir {
                        path,
                        mode,
                        make_parents,
                        timestamp,
                    } => pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                        path: path.clone(),
                        mode: *mode,
                        make_parents: *make_parents,
                        owner: None,
                        timestamp: ts(*timestamp),
                    }),
                    Action::Mkfile {
                        path,
                        mode,
                        data,
                        timestamp,
                    } => pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                        path: path.clone(),
                        mode: *mode,
                        data: data.clone(),
                        owner: None,
                        timestamp: ts(*timestamp),
                    }),
                    Action::Copy {
                        src, dest, opts, ..
                    } => pb::file_action::Action::Copy(pb::FileActionCopy {
                        src: src.clone(),
                        dest: dest.clone(),
                        mode: -1,
                        follow_symlink: opts.follow_symlinks,
                        timestamp: ts(opts.timestamp),
                        allow_wildcard: opts.wildcard,
                        allow_empty_wildcard: opts.wildcard,
                        ..Default::default()
                    }),
                };
                pb::FileAction {
                    // The first action works on the base; each later one on
                    // the result of the action before it.
                    input: if j == 0 {
                        base
                    } else {
                        n_inputs + j as i64 - 1
                    },
                    secondary_input: secondaries[j],
                    output: if j == last { 0 } else { -1 },
                    action: Some(action),
                }
            })
            .collect();
        let op = pb::Op {
            inputs: inputs.iter().filter_map(|s| s.input()).collect(),
            op: Some(pb::op::Op::File(pb::FileOp {
                actions: pb_actions,
            })),
            ..Default::default()
        };
        let mut description = BTreeMap::new();
        description.insert(CUSTOM_NAME.to_string(), name.to_string());
        let metadata = pb::OpMetadata {
            description,
            caps,
            ..Default::default()
        };
        let refs: Vec<&State> = inputs.iter().collect();
        State::from_op(&op, &refs, metadata, 0)
    }
}
