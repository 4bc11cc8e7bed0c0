//! MergeOp: several filesystems as one, each layered on the ones before it,
//! without copying their files (BuildKit 0.10+ with a snapshotter that can
//! merge; Docker's classic image store announces the cap as disabled).

use std::collections::BTreeMap;

use crate::proto::pb;

use super::state::State;
use super::{CUSTOM_NAME, caps};

impl State {
    /// `states` merged in order, named `name` in progress output. Scratch
    /// inputs add nothing and are left out; one input left is itself.
    pub fn merge(states: &[State], name: &str) -> State {
        let inputs: Vec<&State> = states.iter().filter(|s| !s.is_scratch()).collect();
        match inputs.as_slice() {
            [] => return State::scratch(),
            [one] => return (*one).clone(),
            _ => {}
        }
        let op = pb::Op {
            inputs: inputs.iter().filter_map(|s| s.input()).collect(),
            op: Some(pb::op::Op::Merge(pb::MergeOp {
                inputs: (0..inputs.len() as i64)
                    .map(|input| pb::MergeInput { input })
                    .collect(),
            })),
            ..Default::default()
        };
        let metadata = pb::OpMetadata {
            description: BTreeMap::from([(CUSTOM_NAME.to_string(), name.to_string())]),
            caps: BTreeMap::from([(caps::MERGE_OP.to_string(), true)]),
            ..Default::default()
        };
        State::from_op(&op, &inputs, metadata, 0)
    }
}
