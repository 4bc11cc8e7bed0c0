//! Tests of `assemble.rs`: however many blobs, the layout's filesystem is
//! a shallow stack of small ops (overlay2 refuses more than 128 layers),
//! merged without copies where the daemon can.

use prost::Message as _;

use super::*;
use crate::digest::Digest;
use crate::llb::{LocalOptions, local};
use crate::oci::{IndexEntry, ManifestBuilder, descriptor};
use crate::proto::pb;

fn layout() -> Layout {
    let config = descriptor(
        "application/vnd.oci.empty.v1+json",
        &Digest::of(b"{}"),
        2,
        &Default::default(),
    )
    .unwrap();
    let manifest = ManifestBuilder {
        artifact_type: Some("application/x".into()),
        config,
        layers: Vec::new(),
        annotations: Default::default(),
        subject: None,
        platform: None,
    };
    let blob = manifest.build().unwrap();
    let entry = IndexEntry {
        descriptor: manifest.descriptor(&blob).unwrap(),
        tags: Vec::new(),
    };
    crate::oci::layout(&[entry], vec![blob]).unwrap()
}

fn copies(n: usize) -> Vec<Copy> {
    let input = local("context", &LocalOptions::default());
    (0..n)
        .map(|i| Copy {
            from: input.clone(),
            src: format!("/f{i}"),
            hex: Digest::of(i.to_string().as_bytes()).hex().to_string(),
        })
        .collect()
}

/// The ops of `state`'s definition, by digest, and the terminal's input.
fn graph(state: &State) -> (std::collections::BTreeMap<String, pb::Op>, String) {
    let def = state.marshal().into_pb();
    let (terminal, ops) = def.def.split_last().unwrap();
    let ops = ops
        .iter()
        .map(|b| {
            (
                crate::llb::digest_of(b),
                pb::Op::decode(b.as_slice()).unwrap(),
            )
        })
        .collect();
    let end = pb::Op::decode(terminal.as_slice()).unwrap().inputs[0]
        .digest
        .clone();
    (ops, end)
}

/// How many FileOps stack on one another under `digest` (each one's
/// first action works on its base input).
fn depth(ops: &std::collections::BTreeMap<String, pb::Op>, digest: &str) -> usize {
    let op = &ops[digest];
    match &op.op {
        Some(pb::op::Op::File(f)) => {
            let base = f.actions[0].input;
            1 + usize::try_from(base)
                .ok()
                .and_then(|b| op.inputs.get(b))
                .map_or(0, |i| depth(ops, &i.digest))
        }
        _ => 1,
    }
}

#[test]
fn ten_thousand_blobs_through_the_gateway_stay_shallow_and_small() {
    let (state, _) = layout_state(&copies(10_000), &[], &layout(), false, None);
    let (ops, end) = graph(&state);
    let deepest = depth(&ops, &end);
    assert!(deepest <= 6, "{deepest} ops stacked");
    for op in ops.values() {
        if let Some(pb::op::Op::File(f)) = &op.op {
            assert!(
                f.actions.len() <= ACTIONS_PER_OP,
                "{} actions",
                f.actions.len()
            );
        }
    }
    let copied: usize = ops
        .values()
        .filter_map(|op| {
            match &op.op {
            Some(pb::op::Op::File(f)) => Some(f.actions.iter().filter(|a| {
                matches!(&a.action, Some(pb::file_action::Action::Copy(c)) if !c.allow_wildcard)
            }).count()),
            _ => None,
        }
        })
        .sum();
    assert_eq!(copied, 10_000, "every blob copied from its input once");
}

/// The copy parts in `ops`: FileOps whose copies are not wildcards.
fn copy_parts(ops: &std::collections::BTreeMap<String, pb::Op>) -> Vec<String> {
    ops.iter()
        .filter(|(_, op)| {
            match &op.op {
            Some(pb::op::Op::File(f)) => f.actions.iter().any(|a| {
                matches!(&a.action, Some(pb::file_action::Action::Copy(c)) if !c.allow_wildcard)
            }),
            _ => false,
        }
        })
        .map(|(d, _)| d.clone())
        .collect()
}

#[test]
fn many_parts_come_in_batches_the_whole_reuses() {
    for merge in [false, true] {
        let (state, batches) = layout_state(&copies(10_000), &[], &layout(), merge, None);
        let (whole, _) = graph(&state);
        let mut parts = std::collections::BTreeSet::new();
        for batch in &batches {
            let (ops, _) = graph(batch);
            let these = copy_parts(&ops);
            assert!(
                these.len() <= ACTIONS_PER_OP,
                "{} parts in a batch",
                these.len()
            );
            parts.extend(these);
        }
        // Every copy part but the smallest (gathered last, on its own) is
        // built in some batch, under the digest the whole has (so BuildKit
        // reuses it).
        let all = copy_parts(&whole);
        assert_eq!(all.len(), 10_000_usize.div_ceil(ACTIONS_PER_OP - 1));
        let left = all.iter().filter(|d| !parts.contains(*d)).count();
        assert!(left <= 1, "{left} parts left to the whole, merge: {merge}");
    }
}

#[test]
fn small_artifacts_are_one_op() {
    let (state, batches) = layout_state(&copies(5), &[], &layout(), false, None);
    assert!(batches.is_empty(), "a small artifact is built in one solve");
    let (ops, end) = graph(&state);
    assert_eq!(ops.len(), 2, "the input and one FileOp");
    assert_eq!(depth(&ops, &end), 1);
}

#[test]
fn parts_merge_without_copies_where_the_daemon_can() {
    let (state, _) = layout_state(&copies(100), &[], &layout(), true, None);
    let (ops, end) = graph(&state);
    let merges: Vec<&pb::MergeOp> = ops
        .values()
        .filter_map(|op| match &op.op {
            Some(pb::op::Op::Merge(m)) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(merges.len(), 1);
    assert_eq!(
        merges[0].inputs.len(),
        100usize.div_ceil(ACTIONS_PER_OP - 1)
    );
    assert_eq!(depth(&ops, &end), 2, "the documents op sits on the merge");
    assert!(state.marshal().required_caps().contains("mergeop"));
}

#[test]
fn gathering_keeps_the_largest_part_in_place_and_adds_the_smallest_last() {
    let part = |name: &str| local(name, &LocalOptions::default());
    let parts = vec![
        (part("shard-1"), 1 << 30),
        (part("small"), 5),
        (part("shard-2"), (1 << 30) + 1),
    ];
    let digest = |s: &State| graph(s).1;
    let (shard1, small, shard2) = (
        digest(&parts[0].0),
        digest(&parts[1].0),
        digest(&parts[2].0),
    );
    let state = combine(parts, false, None);
    let (ops, end) = graph(&state);
    let file = |d: &str| match &ops[d].op {
        Some(pb::op::Op::File(f)) => (f.clone(), ops[d].inputs.clone()),
        other => panic!("{other:?}"),
    };
    let input = |(f, inputs): &(pb::FileOp, Vec<pb::Input>), action: usize, secondary: bool| {
        let a = &f.actions[action];
        let i = if secondary {
            a.secondary_input
        } else {
            a.input
        };
        inputs[usize::try_from(i).unwrap()].digest.clone()
    };
    // The last op copies the small files onto the weights' gathering,
    // which a change of the small files leaves as it is.
    let last = file(&end);
    assert_eq!(last.0.actions.len(), 1);
    assert_eq!(input(&last, 0, true), small);
    let weights = file(&input(&last, 0, false));
    assert_eq!(
        input(&weights, 0, false),
        shard2,
        "the largest stays in place"
    );
    assert_eq!(input(&weights, 0, true), shard1);
}
