//! Tests of `in_worker.rs`: the exec that writes a unit is the same op
//! whatever else the plan holds, so BuildKit keeps it cached when a file
//! or a line is added elsewhere.

use crate::artifact::plan::Input;
use crate::blobtool::Found;
use crate::llb::{self, ImageRef, LocalOptions};

use super::units::BIG_FILE;
use super::*;

const WEIGHTS: &str = "model.safetensors";

/// The build context. The same state in every plan here: BuildKit keys a
/// path mounted alone by its content, so the transfer list a new line
/// changes does not reach the exec's key; what the exec's own op holds is
/// what these tests are about.
fn context() -> Input {
    Input::whole(
        llb::local("context", &LocalOptions::default()),
        "build context".into(),
    )
}

fn image() -> Input {
    Input::whole(
        llb::image(&ImageRef::parse("busybox").unwrap(), None),
        "image busybox".into(),
    )
}

/// A request for `path` of input `input` (a glob when it is one).
fn request(input: usize, path: &str) -> BlobRequest {
    BlobRequest {
        input,
        path: path.into(),
        given: path.into(),
        glob: crate::blobtool::is_glob(path),
        allow_dir: true,
        ..Default::default()
    }
}

fn found(path: &str) -> Found {
    Found {
        path: path.into(),
        resolved: None,
        dir: false,
        size: if path == WEIGHTS { BIG_FILE } else { 100 },
    }
}

/// The digest of the exec op that writes [`WEIGHTS`], for a plan of
/// `inputs` and `requests`, each with what the listing found for it.
fn weights_step(inputs: Vec<Input>, requests: &[(BlobRequest, &[&str])]) -> String {
    let plan = Plan {
        inputs,
        epoch: Some(0),
        ..Default::default()
    };
    let labelled: Vec<(String, &BlobRequest)> =
        requests.iter().map(|(r, _)| (r.path.clone(), r)).collect();
    let listed: Vec<Vec<Found>> = requests
        .iter()
        .map(|(_, paths)| paths.iter().map(|p| found(p)).collect())
        .collect();
    let (tasks, _, _) = tasks(&labelled, &listed);
    let units = units::split(&tasks);
    let [unit] = units
        .iter()
        .filter(|u| u.tasks.iter().any(|&t| tasks[t].path == WEIGHTS))
        .collect::<Vec<_>>()[..]
    else {
        panic!("one unit writes the weights: {units:?}");
    };
    assert_eq!(unit.tasks.len(), 1, "the weights have a step of their own");
    let exec = Worker::with_tool(image().state)
        .exec(unit_run(&plan, &tasks, unit), false)
        .unwrap();
    let blobs = exec.blobs.expect("a writing exec has a blobs output");
    blobs.vertex_digest().unwrap().to_string()
}

#[test]
fn a_file_added_beside_the_weights_leaves_their_step_as_it_was() {
    // A Modelfile that names no files: one glob over the context, its
    // matches sorted; `LICENSE` sorts before the weights.
    let before = weights_step(
        vec![context()],
        &[(request(0, "**"), &["README.md", "config.json", WEIGHTS])],
    );
    let after = weights_step(
        vec![context()],
        &[(
            request(0, "**"),
            &["LICENSE", "README.md", "config.json", WEIGHTS],
        )],
    );
    assert_eq!(before, after);
}

#[test]
fn a_layer_line_above_the_weights_leaves_their_step_as_it_was() {
    let before = weights_step(
        vec![context()],
        &[
            (request(0, WEIGHTS), &[WEIGHTS]),
            (request(0, "README.md"), &["README.md"]),
        ],
    );
    let after = weights_step(
        vec![context()],
        &[
            (request(0, "LICENSE"), &["LICENSE"]),
            (request(0, WEIGHTS), &[WEIGHTS]),
            (request(0, "README.md"), &["README.md"]),
        ],
    );
    assert_eq!(before, after);
    // Lines reordered: the same.
    let reordered = weights_step(
        vec![context()],
        &[
            (request(0, "README.md"), &["README.md"]),
            (request(0, WEIGHTS), &[WEIGHTS]),
        ],
    );
    assert_eq!(before, reordered);
}

#[test]
fn a_from_line_above_the_weights_leaves_their_step_as_it_was() {
    let before = weights_step(vec![context()], &[(request(0, WEIGHTS), &[WEIGHTS])]);
    // `FROM busybox`, a layer of it, then `FROM context` and the weights,
    // which are now the second input.
    let after = weights_step(
        vec![image(), context()],
        &[
            (request(0, "bin/busybox"), &["bin/busybox"]),
            (request(1, WEIGHTS), &[WEIGHTS]),
        ],
    );
    assert_eq!(before, after);
}

#[test]
fn the_weights_step_changes_with_what_it_writes() {
    let plain = weights_step(vec![context()], &[(request(0, WEIGHTS), &[WEIGHTS])]);
    let mut tarred = request(0, WEIGHTS);
    tarred.pack.tar_files = true;
    assert_ne!(
        plain,
        weights_step(vec![context()], &[(tarred, &[WEIGHTS])])
    );
    // The same path of another input is another file.
    let other = weights_step(vec![image()], &[(request(0, WEIGHTS), &[WEIGHTS])]);
    assert_ne!(plain, other);
}

/// Which requests share a blob: one path packed one way.
mod shared_blobs {
    use crate::artifact::plan::{BlobRequest, RequestId};
    use crate::blobtool::{Compression, Found};

    fn request(id: u32, compression: Compression) -> BlobRequest {
        BlobRequest {
            id: RequestId(id),
            path: "docs".into(),
            allow_dir: true,
            compression,
            ..Default::default()
        }
    }

    #[test]
    fn one_path_packed_one_way_is_one_blob() {
        let (plain, gzip, again) = (
            request(0, Compression::None),
            request(1, Compression::Gzip),
            request(2, Compression::None),
        );
        let requests = [
            ("layer 1".to_string(), &plain),
            ("layer 2".to_string(), &gzip),
            ("layer 3".to_string(), &again),
        ];
        let docs = Found {
            path: "docs".into(),
            resolved: None,
            dir: true,
            size: 3,
        };
        let found = vec![vec![docs]; 3];
        let (tasks, asked_by, per_request) = super::tasks(&requests, &found);
        assert_eq!(tasks.len(), 2, "a plain tar and a gzip one");
        assert_eq!(asked_by, [0, 1]);
        let given: Vec<Vec<usize>> = per_request.into_iter().map(|(_, t)| t).collect();
        assert_eq!(given, [vec![0], vec![1], vec![0]]);
    }
}
