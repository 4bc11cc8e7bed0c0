use super::*;
use crate::modelpack::{ModelConfig, Packing};

fn blob(path: &str, size: u64, dir: bool) -> BlobReport {
    let hex = format!("{:0>64}", size);
    BlobReport {
        path: path.to_string(),
        dir,
        mode: 0o644,
        size,
        file_size: if dir { 0 } else { size },
        digest: format!("sha256:{hex}").parse().unwrap(),
        diff_id: format!("sha256:{}", hex.replace('0', "d")).parse().unwrap(),
    }
}

fn plan(kinds: Vec<Option<Kind>>, packing: Packing) -> ModelPlan {
    ModelPlan {
        kinds,
        packing,
        config: ModelConfig {
            name: "m".into(),
            ..Default::default()
        },
        classified: false,
    }
}

/// The error `build` gives for `reports`, all named by one MODEL line.
fn refused(reports: Vec<BlobReport>) -> String {
    let reports = [reports];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    build(
        &plan(vec![Some(Kind::Model)], Packing::Raw),
        &refs,
        "Modelfile",
        None,
    )
    .err()
    .map(|e| e.message)
    .unwrap_or_default()
}

fn annotation<'a>(d: &'a Descriptor, key: &str) -> &'a str {
    d.annotations().as_ref().unwrap()[key].as_str()
}

#[test]
fn grouped_sorted_deduplicated_and_listed_in_the_config() {
    // MODEL b*, CONFIG c.json, MODEL a.bin, DOC a.bin (already a weight).
    let reports = [
        vec![blob("b2.bin", 2, false), blob("b1.bin", 1, false)],
        vec![blob("c.json", 3, false)],
        vec![blob("a.bin", 4, false)],
        vec![blob("a.bin", 4, false), blob("docs", 5, true)],
    ];
    let kinds = vec![
        Some(Kind::Model),
        Some(Kind::Config),
        Some(Kind::Model),
        Some(Kind::Doc),
    ];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let built = build(
        &plan(kinds, Packing::Raw),
        &refs,
        "Modelfile",
        Some(1_700_000_000),
    )
    .unwrap();
    let order: Vec<(&str, &str)> = built
        .layers
        .iter()
        .map(|d| (annotation(d, modelpack::FILEPATH), d.media_type().as_ref()))
        .collect();
    assert_eq!(
        order,
        [
            ("c.json", "application/vnd.cncf.model.weight.config.v1.raw"),
            ("a.bin", "application/vnd.cncf.model.weight.v1.raw"),
            ("b1.bin", "application/vnd.cncf.model.weight.v1.raw"),
            ("b2.bin", "application/vnd.cncf.model.weight.v1.raw"),
            ("docs", "application/vnd.cncf.model.doc.v1.tar"),
        ]
    );
    let d = &built.layers[4];
    assert_eq!(annotation(d, TITLE), "docs.tar");
    assert_eq!(annotation(d, modelpack::UNTESTED), "false");
    assert!(annotation(d, modelpack::FILE_METADATA).contains(r#""typeflag":5"#));
    let config: serde_json::Value = serde_json::from_slice(&built.config.data).unwrap();
    let want: Vec<String> = [3, 4, 1, 2, 5]
        .iter()
        .map(|s| blob("x", *s, false).diff_id.to_string())
        .collect();
    assert_eq!(config["modelfs"]["diffIds"], serde_json::json!(want));
    assert_eq!(config["descriptor"]["createdAt"], "2023-11-14T22:13:20Z");
    assert_eq!(config["descriptor"]["name"], "m");
}

#[test]
fn tar_packing_titles_and_metadata() {
    let reports = [vec![blob("sub/w.bin", 10, false)]];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let mut b = reports[0][0].clone();
    b.file_size = 7;
    let with_inner = [vec![b]];
    let refs2: Vec<&Vec<BlobReport>> = with_inner.iter().collect();
    let built = build(
        &plan(vec![Some(Kind::Model)], Packing::TarZstd),
        &refs2,
        "Modelfile",
        None,
    )
    .unwrap();
    let d = &built.layers[0];
    assert_eq!(
        d.media_type().as_ref(),
        "application/vnd.cncf.model.weight.v1.tar+zstd"
    );
    assert_eq!(annotation(d, TITLE), "sub/w.bin.tar.zst");
    assert_eq!(
        annotation(d, modelpack::FILE_METADATA),
        r#"{"name":"w.bin","mode":420,"uid":0,"gid":0,"size":7,"mtime":"1970-01-01T00:00:00Z","typeflag":0}"#
    );
    let config: serde_json::Value = serde_json::from_slice(&built.config.data).unwrap();
    assert!(
        config["descriptor"].get("createdAt").is_none(),
        "no epoch, no time"
    );
    assert!(
        build(
            &plan(vec![Some(Kind::Model)], Packing::Raw),
            &refs,
            "Modelfile",
            None
        )
        .is_ok()
    );
}

#[test]
fn classified_files_are_marked_untested_and_need_a_model() {
    let reports = [vec![
        blob("README.md", 1, false),
        blob("config.json", 2, false),
        blob("model.safetensors", 3, false),
    ]];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let mut p = plan(vec![None], Packing::Raw);
    p.classified = true;
    let built = build(&p, &refs, "Modelfile", None).unwrap();
    let kinds: Vec<&str> = built
        .layers
        .iter()
        .map(|d| d.media_type().as_ref())
        .collect();
    assert_eq!(
        kinds,
        [
            "application/vnd.cncf.model.weight.config.v1.raw",
            "application/vnd.cncf.model.weight.v1.raw",
            "application/vnd.cncf.model.doc.v1.raw",
        ]
    );
    assert_eq!(annotation(&built.layers[0], modelpack::UNTESTED), "true");

    let docs_only = [vec![blob("README.md", 1, false)]];
    let refs: Vec<&Vec<BlobReport>> = docs_only.iter().collect();
    let e = build(&p, &refs, "Modelfile", None).err().unwrap();
    assert!(
        e.message.contains("no weights, code or data set"),
        "{}",
        e.message
    );
}

#[test]
fn no_files_at_all_is_an_error_naming_the_fix() {
    let m = refused(vec![]);
    assert!(m.contains("globs match no files"), "{m}");
}

#[test]
fn model_lines_that_find_no_weights_are_refused() {
    // MODEL model-*.safetensors (nothing), DOC README.md.
    let reports = [vec![], vec![blob("README.md", 1, false)]];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let p = plan(vec![Some(Kind::Model), Some(Kind::Doc)], Packing::Raw);
    let e = build(&p, &refs, "Modelfile", None).err().unwrap();
    assert!(
        e.message.contains(
            "Modelfile: its MODEL lines match no files, so the model would have no weights"
        ),
        "{}",
        e.message
    );
    // A weight named by a CONFIG line too is one layer, in the config
    // group: the MODEL line did find it.
    let reports = [
        vec![blob("w.json", 1, false)],
        vec![blob("w.json", 1, false)],
    ];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let p = plan(vec![Some(Kind::Config), Some(Kind::Model)], Packing::Raw);
    assert!(build(&p, &refs, "Modelfile", None).is_ok());
    // No MODEL line: not refused here (the plan warns about it).
    let reports = [vec![blob("README.md", 1, false)]];
    let refs: Vec<&Vec<BlobReport>> = reports.iter().collect();
    let p = plan(vec![Some(Kind::Doc)], Packing::Raw);
    assert!(build(&p, &refs, "Modelfile", None).is_ok());
}

#[test]
fn colliding_titles_are_refused() {
    let m = refused(vec![blob("x.tar", 1, false), blob("x", 2, true)]);
    assert!(m.contains("would both be pulled as \"x.tar\""), "{m}");
}
