//! How a build names its output: `artifact.tag` tags the one entry of a
//! file that gives no `TAG` (a Modelfile has none), so `oci:out:<tag>`
//! and a push by tag can address it.

use std::fs;

use super::{Own, build, context, serving};

fn entries(layout: &std::path::Path) -> Vec<(String, String)> {
    let index: serde_json::Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["digest"].as_str().unwrap().to_string(),
                d["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_modelfile_model_is_tagged_by_artifact_tag() {
    let ctx = context(&[
        ("config.json", b"{}"),
        ("model.safetensors", b"weights"),
        ("Modelfile", b"NAME tiny\n"),
    ]);
    let solver = serving(ctx.path());
    let untagged = build(&solver, &[("filename", "Modelfile")], Own::FrontendBin)
        .await
        .unwrap();
    let before = entries(&untagged);
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1, "", "no tag without the option");
    let tagged = build(
        &solver,
        &[
            ("filename", "Modelfile"),
            ("build-arg:artifact.tag", "v1,latest"),
        ],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    let after = entries(&tagged);
    // One entry per tag, both the model the untagged build wrote.
    assert_eq!(
        after,
        vec![
            (before[0].0.clone(), "v1".to_string()),
            (before[0].0.clone(), "latest".to_string())
        ]
    );
}

#[tokio::test]
async fn an_artifactfile_with_tags_refuses_a_second_way_of_tagging() {
    let ctx = context(&[
        ("a.txt", b"a"),
        (
            "Artifactfile",
            b"ARTIFACT application/vnd.example.v1\nLAYER text/plain a.txt\nTAG v0\n",
        ),
    ]);
    let solver = serving(ctx.path());
    let err = build(&solver, &[("artifact.tag", "v1")], Own::FrontendBin)
        .await
        .unwrap_err();
    assert!(
        err.message.contains("tagged already (v0"),
        "{}",
        err.message
    );
}
