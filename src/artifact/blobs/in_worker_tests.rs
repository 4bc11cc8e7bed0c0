//! Tests of `in_worker.rs`: which requests share a blob.

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
