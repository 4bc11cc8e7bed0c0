//! [`Definition`]: a marshalled graph, ready for `Solve`.

use std::collections::BTreeSet;

use crate::proto::pb;

/// A marshalled LLB graph: ops in dependency order, the terminal op last,
/// and per-op metadata keyed by op digest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Definition {
    pb: pb::Definition,
}

impl Definition {
    pub(super) fn new(pb: pb::Definition) -> Definition {
        Definition { pb }
    }

    /// The protobuf message to send.
    pub fn to_pb(&self) -> pb::Definition {
        self.pb.clone()
    }

    /// Consumes the definition into its protobuf message.
    pub fn into_pb(self) -> pb::Definition {
        self.pb
    }

    /// The first exec among the ops, and whether its metadata says to
    /// ignore the cache: what the tests of a step of our own look at.
    #[cfg(test)]
    pub fn first_exec(&self) -> Option<(pb::ExecOp, bool)> {
        use prost::Message as _;
        self.pb.def.iter().find_map(|b| {
            let op = pb::Op::decode(b.as_slice()).ok()?;
            let Some(pb::op::Op::Exec(e)) = op.op else {
                return None;
            };
            let digest = crate::digest::Digest::of(b).to_string();
            Some((e, self.pb.metadata.get(&digest)?.ignore_cache))
        })
    }

    /// Number of ops, the terminal op included.
    pub fn len(&self) -> usize {
        self.pb.def.len()
    }

    /// Whether this is the empty (scratch) definition.
    pub fn is_empty(&self) -> bool {
        self.pb.def.is_empty()
    }

    /// Every LLB cap the ops declare they need. buildkitd rejects a
    /// definition naming a cap it lacks; checking these against Ping first
    /// lets us say which feature is missing.
    pub fn required_caps(&self) -> BTreeSet<String> {
        self.pb
            .metadata
            .values()
            .flat_map(|m| m.caps.iter().filter(|(_, on)| **on).map(|(k, _)| k.clone()))
            .collect()
    }
}
