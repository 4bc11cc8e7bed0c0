//! ExecOp: run a process in the worker with filesystems mounted.

use std::collections::BTreeMap;

use crate::proto::pb;

use super::state::State;
use super::{CUSTOM_NAME, caps};

/// A mount of an exec.
#[derive(Clone, Debug)]
pub enum Mount {
    /// `state` mounted read-only at `dest`.
    ReadOnly {
        /// Where.
        dest: String,
        /// What.
        state: State,
    },
    /// One path of `state` (a file or a directory, links followed inside
    /// its root) mounted read-only at `dest`. BuildKit keys the exec's
    /// cache by that path's content alone, so a change elsewhere in
    /// `state` leaves the exec cached.
    Selected {
        /// Where.
        dest: String,
        /// What.
        state: State,
        /// The path in it, absolute.
        path: String,
    },
    /// An empty writable directory at `dest` whose contents after the
    /// process exits become one of the exec's outputs.
    Output {
        /// Where.
        dest: String,
    },
    /// The client's secret `id` as a file at `dest`, readable by root
    /// only. BuildKit keeps its bytes out of the cache key and of every
    /// layer; `optional`: the exec runs without it when the client passed
    /// none.
    Secret {
        /// Where (a file).
        dest: String,
        /// The secret's id (`--secret id=<id>,src=...`).
        id: String,
        /// Whether the exec may run without it.
        optional: bool,
    },
}

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct ExecOptions {
    /// argv.
    pub args: Vec<String>,
    /// `KEY=value` environment.
    pub env: Vec<String>,
    /// Working directory.
    pub cwd: String,
    /// Run without network (the exec needs none).
    pub network_none: bool,
    /// Run in the host's network namespace (needs the client's
    /// `--allow network.host`); wins over `network_none`.
    pub network_host: bool,
    /// Progress name.
    pub custom_name: String,
    /// Run even when BuildKit has the result cached (`--no-cache`).
    pub ignore_cache: bool,
}

/// A finished exec definition; its outputs are the writable mounts, in the
/// order they were given.
#[derive(Clone, Debug)]
pub struct ExecState {
    outputs: Vec<State>,
}

impl ExecState {
    /// Output `i` (the `i`th [`Mount::Output`]), if there is one.
    pub fn output(&self, i: usize) -> Option<&State> {
        self.outputs.get(i)
    }
}

impl State {
    /// Runs a process with this state as its root filesystem plus
    /// `mounts`. The root is writable (BuildKit creates mount points in it)
    /// but its changes are discarded.
    ///
    /// A scratch root is an empty writable directory: BuildKit wants an
    /// output for it, which no [`ExecState::output`] returns (BuildKit
    /// numbers outputs in mount order, so it is output 0 of the op). With a
    /// scratch root, the root is no overlay with an upper directory, whose
    /// unmount would flush every byte the exec wrote to disk before the
    /// step could end.
    pub fn run(&self, opts: &ExecOptions, mounts: &[Mount]) -> ExecState {
        let mut inputs: Vec<State> = Vec::new();
        let input_index = |st: &State, inputs: &mut Vec<State>| -> i64 {
            match st.input() {
                None => -1,
                Some(edge) => {
                    if let Some(i) = inputs.iter().position(|s| s.input() == Some(edge.clone())) {
                        return i as i64;
                    }
                    inputs.push(st.clone());
                    inputs.len() as i64 - 1
                }
            }
        };
        let root_input = input_index(self, &mut inputs);
        let scratch_root = root_input < 0;
        let mut pb_mounts = vec![pb::Mount {
            input: root_input,
            dest: "/".into(),
            output: if scratch_root { 0 } else { -1 },
            readonly: false,
            ..Default::default()
        }];
        let mut n_outputs = i64::from(scratch_root);
        let mut selected = false;
        let mut secret = false;
        for m in mounts {
            pb_mounts.push(match m {
                Mount::ReadOnly { dest, state } => pb::Mount {
                    input: input_index(state, &mut inputs),
                    dest: dest.clone(),
                    output: -1,
                    readonly: true,
                    ..Default::default()
                },
                Mount::Selected { dest, state, path } => {
                    selected = true;
                    pb::Mount {
                        input: input_index(state, &mut inputs),
                        selector: path.clone(),
                        dest: dest.clone(),
                        output: -1,
                        readonly: true,
                        ..Default::default()
                    }
                }
                Mount::Secret { dest, id, optional } => {
                    secret = true;
                    secret_mount(dest, id, *optional)
                }
                Mount::Output { dest } => {
                    n_outputs += 1;
                    pb::Mount {
                        input: -1,
                        dest: dest.clone(),
                        output: n_outputs - 1,
                        ..Default::default()
                    }
                }
            });
        }
        let caps = exec_caps(opts, selected, secret);
        let op = pb::Op {
            inputs: inputs.iter().filter_map(State::input).collect(),
            op: Some(pb::op::Op::Exec(pb::ExecOp {
                meta: Some(pb::Meta {
                    args: opts.args.clone(),
                    env: opts.env.clone(),
                    cwd: opts.cwd.clone(),
                    user: String::new(),
                    remove_mount_stubs_recursive: false,
                }),
                mounts: pb_mounts,
                network: network(opts) as i32,
                security: pb::SecurityMode::Sandbox as i32,
            })),
            ..Default::default()
        };
        let metadata = pb::OpMetadata {
            description: BTreeMap::from([(CUSTOM_NAME.to_string(), opts.custom_name.clone())]),
            caps,
            ignore_cache: opts.ignore_cache,
        };
        let refs: Vec<&State> = inputs.iter().collect();
        let outputs = (i64::from(scratch_root)..n_outputs)
            .map(|i| State::from_op(&op, &refs, metadata.clone(), i))
            .collect();
        ExecState { outputs }
    }
}

/// The caps an exec with these options and mounts needs.
fn exec_caps(opts: &ExecOptions, selected: bool, secret: bool) -> BTreeMap<String, bool> {
    let mut caps = BTreeMap::from([
        (caps::EXEC_META_BASE.to_string(), true),
        (caps::EXEC_MOUNT_BIND.to_string(), true),
    ]);
    if opts.network_none || opts.network_host {
        caps.insert(caps::EXEC_META_NETWORK.to_string(), true);
    }
    if selected {
        caps.insert(caps::EXEC_MOUNT_SELECTOR.to_string(), true);
    }
    if secret {
        caps.insert(caps::EXEC_MOUNT_SECRET.to_string(), true);
    }
    caps
}

/// The exec's network mode.
fn network(opts: &ExecOptions) -> pb::NetMode {
    if opts.network_host {
        pb::NetMode::Host
    } else if opts.network_none {
        pb::NetMode::None
    } else {
        pb::NetMode::Unset
    }
}

/// Secret `id` as a file at `dest`, root's alone.
fn secret_mount(dest: &str, id: &str, optional: bool) -> pb::Mount {
    pb::Mount {
        input: -1,
        dest: dest.to_string(),
        output: -1,
        mount_type: pb::MountType::Secret as i32,
        secret_opt: Some(pb::SecretOpt {
            id: id.to_string(),
            uid: 0,
            gid: 0,
            mode: 0o400,
            optional,
        }),
        ..Default::default()
    }
}
