//! [`State`] and the vertices behind it.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost::Message;

use crate::proto::pb;

use super::digest_of;

/// Errors building or importing LLB.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlbError {
    /// A definition received from BuildKit could not be decoded.
    #[error("invalid LLB definition: {reason}")]
    InvalidDefinition {
        /// What was wrong with it.
        reason: String,
    },
    /// An image reference could not be parsed.
    #[error("invalid image reference {reference:?}: {reason}")]
    InvalidImageRef {
        /// The reference as given.
        reference: String,
        /// What was wrong with it.
        reason: String,
    },
}

/// One output of a vertex, or scratch (an empty filesystem).
///
/// Cloning is cheap: vertices are shared behind `Arc`s.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub(super) output: Option<Output>,
}

/// The edge a [`State`] stands for: output `index` of vertex `digest`, plus
/// the vertex that owns it so marshal can walk the graph.
#[derive(Clone, Debug)]
pub(super) struct Output {
    pub(super) vertex: Arc<Vertex>,
    pub(super) digest: String,
    pub(super) index: i64,
}

/// A marshalled op and what it depends on.
#[derive(Debug)]
pub(super) struct Vertex {
    /// Ops this vertex contributes to a definition, in dependency order.
    /// One for ops we build; many for a definition we import.
    pub(super) ops: Vec<MarshalledOp>,
    /// Vertices whose ops must be emitted before ours.
    pub(super) inputs: Vec<Arc<Vertex>>,
}

/// Op bytes with their digest and metadata, ready for a definition.
#[derive(Debug, Clone)]
pub(super) struct MarshalledOp {
    pub(super) digest: String,
    pub(super) bytes: Vec<u8>,
    pub(super) metadata: Option<pb::OpMetadata>,
}

impl State {
    /// The empty filesystem.
    pub fn scratch() -> State {
        State { output: None }
    }

    /// Whether this is scratch.
    pub fn is_scratch(&self) -> bool {
        self.output.is_none()
    }

    /// The digest of the vertex this state is an output of (what BuildKit
    /// attaches progress and warnings to); `None` for scratch.
    pub fn vertex_digest(&self) -> Option<&str> {
        self.output.as_ref().map(|o| o.digest.as_str())
    }

    /// The reference this state pulls, when it is an image source
    /// (`docker-image://<ref>`) and nothing else: what an error about it
    /// can look up.
    pub fn image_source(&self) -> Option<String> {
        let o = self.output.as_ref()?;
        let op = o.vertex.ops.iter().find(|m| m.digest == o.digest)?;
        match pb::Op::decode(op.bytes.as_slice()).ok()?.op? {
            pb::op::Op::Source(s) => s
                .identifier
                .strip_prefix("docker-image://")
                .map(str::to_string),
            _ => None,
        }
    }

    /// Wraps a freshly built op whose inputs are `inputs` (already listed in
    /// `op.inputs`), taking output `index` of it.
    pub(super) fn from_op(
        op: &pb::Op,
        inputs: &[&State],
        metadata: pb::OpMetadata,
        index: i64,
    ) -> State {
        let bytes = op.encode_to_vec();
        let digest = digest_of(&bytes);
        let vertex = Vertex {
            ops: vec![MarshalledOp {
                digest: digest.clone(),
                bytes,
                metadata: Some(metadata),
            }],
            inputs: inputs
                .iter()
                .filter_map(|s| s.output.as_ref().map(|o| o.vertex.clone()))
                .collect(),
        };
        State {
            output: Some(Output {
                vertex: Arc::new(vertex),
                digest,
                index,
            }),
        }
    }

    /// The LLB edge for this state, or `None` for scratch.
    pub(super) fn input(&self) -> Option<pb::Input> {
        self.output.as_ref().map(|o| pb::Input {
            digest: o.digest.clone(),
            index: o.index,
        })
    }

    /// Imports a definition BuildKit gave us (a frontend input, or a
    /// result's `def`) so it can be used inside our own graph: its ops are
    /// kept byte for byte and the state is the edge its terminal op names.
    /// This is what Go's `llb.NewDefinitionOp` does.
    pub fn from_definition(def: &pb::Definition) -> Result<State, LlbError> {
        let Some((terminal, ops)) = def.def.split_last() else {
            return Ok(State::scratch());
        };
        let terminal =
            pb::Op::decode(terminal.as_slice()).map_err(|e| LlbError::InvalidDefinition {
                reason: format!("terminal op does not decode: {e}"),
            })?;
        let Some(edge) = terminal.inputs.first() else {
            return Ok(State::scratch());
        };
        if edge.index < 0 {
            return Err(LlbError::InvalidDefinition {
                reason: format!("terminal op names negative output {}", edge.index),
            });
        }
        let ops: Vec<MarshalledOp> = ops
            .iter()
            .map(|bytes| {
                let digest = digest_of(bytes);
                MarshalledOp {
                    metadata: def.metadata.get(&digest).cloned(),
                    digest,
                    bytes: bytes.clone(),
                }
            })
            .collect();
        if !ops.iter().any(|op| op.digest == edge.digest) {
            return Err(LlbError::InvalidDefinition {
                reason: format!(
                    "terminal op names {} which is not in the definition",
                    edge.digest
                ),
            });
        }
        Ok(State {
            output: Some(Output {
                vertex: Arc::new(Vertex {
                    ops,
                    inputs: Vec::new(),
                }),
                digest: edge.digest.clone(),
                index: edge.index,
            }),
        })
    }

    /// Serializes the graph that ends in this state: every op once, inputs
    /// before the ops that use them, then the terminal op. Scratch gives an
    /// empty definition, which BuildKit solves to an empty result.
    pub fn marshal(&self) -> super::Definition {
        let Some(out) = &self.output else {
            return super::Definition::default();
        };
        let mut seen = BTreeMap::new();
        let mut def = Vec::new();
        // Iterative post-order walk: a graph of 10,000 ops must not recurse
        // 10,000 deep.
        let mut stack: Vec<(Arc<Vertex>, bool)> = vec![(out.vertex.clone(), false)];
        let mut visited_vertices = std::collections::HashSet::new();
        while let Some((v, expanded)) = stack.pop() {
            if expanded {
                for op in &v.ops {
                    if seen.contains_key(&op.digest) {
                        continue;
                    }
                    seen.insert(op.digest.clone(), op.metadata.clone().unwrap_or_default());
                    def.push(op.bytes.clone());
                }
                continue;
            }
            if !visited_vertices.insert(Arc::as_ptr(&v)) {
                continue;
            }
            stack.push((v.clone(), true));
            for input in v.inputs.iter().rev() {
                stack.push((input.clone(), false));
            }
        }
        let terminal = pb::Op {
            inputs: vec![pb::Input {
                digest: out.digest.clone(),
                index: out.index,
            }],
            ..Default::default()
        };
        def.push(terminal.encode_to_vec());
        super::Definition::new(pb::Definition {
            def,
            metadata: seen,
            source: None,
        })
    }
}
