//! Marshal tests: decode what we produce and check it the way buildkitd
//! reads it, plus pinned digests so an accidental change to op bytes (and
//! so to every cache key) shows up here first.

use prost::Message;

use super::*;
use crate::proto::pb;

fn ops(def: &Definition) -> Vec<pb::Op> {
    def.to_pb()
        .def
        .iter()
        .map(|b| pb::Op::decode(b.as_slice()).unwrap())
        .collect()
}

fn ctx() -> State {
    local(
        "context",
        &LocalOptions {
            session_id: "sess".into(),
            follow_paths: vec!["b".into(), "a".into()],
            shared_key_hint: "context".into(),
            ..Default::default()
        },
    )
}

#[test]
fn digests_are_sha256_of_the_exact_bytes_and_pinned() {
    let def = ctx().marshal().into_pb();
    assert_eq!(def.def.len(), 2, "source op + terminal op");
    let digest = digest_of(&def.def[0]);
    assert_eq!(
        digest, "sha256:245b1349320abd5899e2ae5e2e87ecf7b0655dd277d6882afe02db8102437414",
        "the local source's bytes changed: every cache key changes with them"
    );
    assert_eq!(def.metadata.keys().collect::<Vec<_>>(), vec![&digest]);
    let terminal = pb::Op::decode(def.def[1].as_slice()).unwrap();
    assert_eq!(terminal.inputs, vec![pb::Input { digest, index: 0 }]);
    assert!(terminal.op.is_none());
}

#[test]
fn op_bytes_are_plain_protobuf() {
    // Op.source (field 3) holding SourceOp.identifier (field 1), written
    // out by hand: what buildkitd decodes and re-hashes.
    let def = local("x", &LocalOptions::default()).marshal().into_pb();
    let mut want = vec![0x1a, 11, 0x0a, 9];
    want.extend_from_slice(b"local://x");
    assert_eq!(def.def[0], want);
}

#[test]
fn same_graph_same_bytes() {
    // Attribute maps are BTreeMaps: insertion order can't leak into bytes.
    assert_eq!(ctx().marshal(), ctx().marshal());
    let a = State::scratch().file(FileActions::new().mkdir("/x", 0o755, true, None), "n");
    let b = State::scratch().file(FileActions::new().mkdir("/x", 0o755, true, None), "n");
    assert_eq!(a.marshal(), b.marshal());
}

#[test]
fn file_actions_chain_inside_one_op() {
    let input = ctx();
    let st = State::scratch().file(
        FileActions::new()
            .mkdir("/blobs", 0o755, true, None)
            .copy(&input, "/a", "/blobs/a", CopyOptions::default())
            .copy(
                &input,
                "/b",
                "/blobs/b",
                CopyOptions {
                    follow_symlinks: true,
                    timestamp: Some(9),
                    ..Default::default()
                },
            )
            .mkfile("/index.json", 0o644, b"{}".to_vec(), Some(7)),
        "assemble",
    );
    let def = st.marshal();
    let all = ops(&def);
    assert_eq!(all.len(), 3, "source, file op, terminal");
    let Some(pb::op::Op::File(f)) = &all[1].op else {
        panic!("not a file op")
    };
    assert_eq!(
        all[1].inputs.len(),
        1,
        "the copy source is one input, used twice"
    );
    let io: Vec<(i64, i64, i64)> = f
        .actions
        .iter()
        .map(|a| (a.input, a.secondary_input, a.output))
        .collect();
    // Scratch base (-1); each next action reads the previous result
    // (inputs + j - 1); copies read input 0; only the last is an output.
    assert_eq!(io, vec![(-1, -1, -1), (1, 0, -1), (2, 0, -1), (3, -1, 0)]);
    let Some(pb::file_action::Action::Mkfile(m)) = &f.actions[3].action else {
        panic!()
    };
    assert_eq!((m.timestamp, m.mode), (7, 0o644));
    let Some(pb::file_action::Action::Mkdir(d)) = &f.actions[0].action else {
        panic!()
    };
    assert_eq!(d.timestamp, -1, "unset times are -1, not the epoch");
    let copies: Vec<(bool, i64, i32)> = f.actions[1..3]
        .iter()
        .filter_map(|a| match &a.action {
            Some(pb::file_action::Action::Copy(c)) => Some((c.follow_symlink, c.timestamp, c.mode)),
            _ => None,
        })
        .collect();
    assert_eq!(
        copies,
        [(false, -1, -1), (true, 9, -1)],
        "every copy option is marshalled"
    );
    assert!(def.required_caps().contains("file.base"));
}

#[test]
fn imported_definitions_keep_their_bytes_and_appear_once() {
    let received = ctx().marshal().into_pb();
    let imported = State::from_definition(&received).unwrap();
    let st = State::scratch().file(
        FileActions::new()
            .copy(&imported, "/a", "/a", CopyOptions::default())
            .copy(&ctx(), "/b", "/b", CopyOptions::default()),
        "copy",
    );
    let def = st.marshal().into_pb();
    assert_eq!(
        def.def[0], received.def[0],
        "imported op kept byte for byte"
    );
    assert_eq!(
        def.def.len(),
        3,
        "the same op imported and built is emitted once"
    );
    assert!(
        State::from_definition(&pb::Definition::default())
            .unwrap()
            .is_scratch()
    );
    let bad = pb::Definition {
        def: vec![
            received.def[0].clone(),
            pb::Op {
                inputs: vec![pb::Input {
                    digest: "sha256:nope".into(),
                    index: 0,
                }],
                ..Default::default()
            }
            .encode_to_vec(),
        ],
        ..Default::default()
    };
    assert!(State::from_definition(&bad).is_err());
}

/// The exec op of `def`, after checking its mounts: (dest, input,
/// output, readonly) each.
fn assert_exec_mounts(def: &Definition, want: &[(&str, i64, i64, bool)]) -> pb::ExecOp {
    let exec = ops(def)
        .into_iter()
        .find_map(|o| match o.op {
            Some(pb::op::Op::Exec(x)) => Some(x),
            _ => None,
        })
        .unwrap();
    let mounts: Vec<(&str, i64, i64, bool)> = exec
        .mounts
        .iter()
        .map(|m| (m.dest.as_str(), m.input, m.output, m.readonly))
        .collect();
    assert_eq!(mounts, want);
    exec
}

#[test]
fn exec_outputs_are_the_writable_mounts() {
    let img = image(&ImageRef::parse("busybox").unwrap(), None);
    let e = img.run(
        &ExecOptions {
            args: vec!["/x".into()],
            cwd: "/".into(),
            network_none: true,
            ..Default::default()
        },
        &[
            Mount::ReadOnly {
                dest: "/in".into(),
                state: ctx(),
            },
            Mount::Output {
                dest: "/out".into(),
            },
            Mount::Output { dest: "/r".into() },
        ],
    );
    let (o0, o1) = (
        e.output(0).unwrap().marshal(),
        e.output(1).unwrap().marshal(),
    );
    let t0 = ops(&o0).pop().unwrap().inputs[0].clone();
    let t1 = ops(&o1).pop().unwrap().inputs[0].clone();
    assert_eq!(t0.digest, t1.digest, "one exec");
    assert_eq!((t0.index, t1.index), (0, 1));
    assert!(e.output(2).is_none());
    let exec = assert_exec_mounts(
        &o0,
        &[
            ("/", 0, -1, false),
            ("/in", 1, -1, true),
            ("/out", -1, 0, false),
            ("/r", -1, 1, false),
        ],
    );
    assert_eq!(exec.network, pb::NetMode::None as i32);
}

#[test]
fn scratch_root_gets_a_discarded_output() {
    let img = image(&ImageRef::parse("busybox").unwrap(), None);
    let e = State::scratch().run(
        &ExecOptions {
            args: vec!["/bin/x".into()],
            cwd: "/".into(),
            ..Default::default()
        },
        &[
            Mount::ReadOnly {
                dest: "/bin".into(),
                state: img,
            },
            Mount::Output {
                dest: "/out".into(),
            },
        ],
    );
    // output(0) is still the first writable mount; the root's is not handed out.
    assert!(e.output(1).is_none());
    let o = ops(&e.output(0).unwrap().marshal()).pop().unwrap();
    assert_eq!(o.inputs[0].index, 1);
    assert_exec_mounts(
        &e.output(0).unwrap().marshal(),
        &[
            ("/", -1, 0, false),
            ("/bin", 0, -1, true),
            ("/out", -1, 1, false),
        ],
    );
}

#[test]
fn image_refs_normalize_like_docker() {
    for (i, o) in [
        ("alpine", "docker.io/library/alpine:latest"),
        ("user/app:1", "docker.io/user/app:1"),
        (
            "127.0.0.1:5000/artifact-frontend:dev",
            "127.0.0.1:5000/artifact-frontend:dev",
        ),
        ("localhost/x", "localhost/x:latest"),
        (
            "ghcr.io/o/r@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
            "ghcr.io/o/r@sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        ),
    ] {
        assert_eq!(ImageRef::parse(i).unwrap().as_str(), o);
    }
    for bad in ["", "a b", "x@sha256:12", "Upper"] {
        assert!(ImageRef::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn ignore_cache_marks_only_the_exec() {
    let run = |ignore_cache| {
        State::scratch()
            .run(
                &ExecOptions {
                    args: vec!["/x".into()],
                    cwd: "/".into(),
                    ignore_cache,
                    ..Default::default()
                },
                &[
                    Mount::ReadOnly {
                        dest: "/in".into(),
                        state: ctx(),
                    },
                    Mount::Output {
                        dest: "/out".into(),
                    },
                ],
            )
            .output(0)
            .unwrap()
            .marshal()
    };
    let marked = |def: &crate::llb::Definition| {
        def.to_pb()
            .metadata
            .values()
            .filter(|m| m.ignore_cache)
            .count()
    };
    assert_eq!(marked(&run(true)), 1);
    assert_eq!(marked(&run(false)), 0);
}

#[test]
fn secret_mounts_and_host_network_are_marked_and_capped() {
    let e = State::scratch().run(
        &ExecOptions {
            args: vec!["/x".into()],
            cwd: "/".into(),
            network_host: true,
            ..Default::default()
        },
        &[
            Mount::Secret {
                dest: "/run/secrets/registry".into(),
                id: "registry".into(),
                optional: true,
            },
            Mount::Output { dest: "/r".into() },
        ],
    );
    let def = e.output(0).unwrap().marshal();
    let exec = assert_exec_mounts(
        &def,
        &[
            ("/", -1, 0, false),
            ("/run/secrets/registry", -1, -1, false),
            ("/r", -1, 1, false),
        ],
    );
    let m = &exec.mounts[1];
    assert_eq!(m.mount_type, pb::MountType::Secret as i32);
    let opt = m.secret_opt.as_ref().unwrap();
    assert_eq!(
        (opt.id.as_str(), opt.mode, opt.optional),
        ("registry", 0o400, true)
    );
    assert_eq!(exec.network, pb::NetMode::Host as i32);
    let caps = def.required_caps();
    assert!(caps.contains(caps::EXEC_MOUNT_SECRET), "{caps:?}");
    assert!(caps.contains(caps::EXEC_META_NETWORK), "{caps:?}");
}
