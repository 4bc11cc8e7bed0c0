//! Composition in process: OCI layouts given as named contexts, read by
//! `INCLUDE` and `LAYERS`, several artifacts, `SUBJECT <id>` and `INDEX`
//! in one file, and the errors a damaged or mistaken input gets. The
//! layouts read are ones this frontend wrote in an earlier build, as a user
//! would chain them.

use std::fs;
use std::path::{Path, PathBuf};

use artifact_frontend::gateway::{CODE_INVALID_ARGUMENT, ReturnError};
use serde_json::Value;

use super::hand_layout::{EMPTY, HandLayout, IMAGE_CONFIG, for_platform, tagged};
use super::solver::{Calls, Solver};
use super::{Own, assert_says, build, context, support};

/// A base layout of one untagged entry: a model with two layers and a config, built
/// by this frontend from a Modelfile (a ModelPack model). Its layers are
/// `tar+gzip`, so a DiffID is not the layer's digest: taking one for the
/// other shows.
async fn base_model(dir: &Path) -> PathBuf {
    let ctx = context(&[
        ("config.json", b"{\"architectures\":[\"Tiny\"]}"),
        ("model.safetensors", b"base weights"),
        (
            "Modelfile",
            b"NAME tiny\nCONFIG config.json\nMODEL model.safetensors\n",
        ),
    ]);
    let solver = Solver::new()
        .local("context", ctx.path())
        .local("dockerfile", ctx.path());
    let pairs = [
        ("filename", "Modelfile"),
        ("build-arg:artifact.modelpack.layers", "tar+gzip"),
    ];
    let layout = build(&solver, &pairs, Own::FrontendBin).await.unwrap();
    support::copy_dir(&layout, dir).unwrap();
    dir.to_path_buf()
}

/// A plain layout holding two tagged artifacts, `a` and `b`.
async fn two_tags(dir: &Path) -> PathBuf {
    let ctx = context(&[("a.txt", b"a"), ("b.txt", b"b")]);
    let body = b"ARTIFACT application/vnd.example.a.v1 AS a\nLAYER text/plain a.txt\nTAG a\n\
                 ARTIFACT application/vnd.example.b.v1 AS b\nLAYER text/plain b.txt\nTAG b\n";
    fs::write(ctx.path().join("Artifactfile"), body).unwrap();
    let solver = Solver::new()
        .local("context", ctx.path())
        .local("dockerfile", ctx.path());
    let layout = build(&solver, &[], Own::FrontendBin).await.unwrap();
    support::copy_dir(&layout, dir).unwrap();
    dir.to_path_buf()
}

/// Builds `body` as the Artifactfile of a context holding `files`, with
/// each of `layouts` served as the named context of its name.
async fn compose(
    files: &[(&str, &[u8])],
    body: &str,
    layouts: &[(&str, &Path)],
    own: Own,
) -> Result<PathBuf, ReturnError> {
    compose_calls(files, body, layouts, own).await.0
}

/// As [`compose`], with the calls the build made (its warnings).
async fn compose_calls(
    files: &[(&str, &[u8])],
    body: &str,
    layouts: &[(&str, &Path)],
    own: Own,
) -> (Result<PathBuf, ReturnError>, Calls) {
    let ctx = context(files);
    fs::write(ctx.path().join("Artifactfile"), body).unwrap();
    let mut solver = Solver::new()
        .with_warnings()
        .local("context", ctx.path())
        .local("dockerfile", ctx.path());
    let mut opts = Vec::new();
    for (name, dir) in layouts {
        solver = solver.local(name, dir);
        opts.push((format!("context:{name}"), format!("local:{name}")));
    }
    if own == Own::Unknown {
        opts.push(("artifact.hash".into(), "gateway".into()));
    }
    let pairs: Vec<(&str, &str)> = opts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let built = build(&solver, &pairs, own).await.map(|layout| {
        // The layout lives in the solver's directory: keep a copy past it.
        let keep = tempfile::tempdir().unwrap().keep();
        support::copy_dir(&layout, &keep).unwrap();
        keep
    });
    (built, solver.calls())
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    let hex = digest.strip_prefix("sha256:").unwrap();
    fs::read(layout.join("blobs/sha256").join(hex)).unwrap()
}

fn json(layout: &Path, digest: &str) -> Value {
    serde_json::from_slice(&blob(layout, digest)).unwrap()
}

fn entries(layout: &Path) -> Vec<Value> {
    let index: Value =
        serde_json::from_slice(&fs::read(layout.join("index.json")).unwrap()).unwrap();
    index["manifests"].as_array().unwrap().clone()
}

fn tag(entry: &Value) -> Option<&str> {
    entry["annotations"]["org.opencontainers.image.ref.name"].as_str()
}

#[tokio::test]
async fn an_included_manifest_is_copied_byte_for_byte_with_its_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = two_tags(&tmp.path().join("base")).await;
    let base_entries = entries(&base);
    for own in [Own::FrontendBin, Own::Unknown] {
        // One tag, under an id of its own.
        let out = compose(&[], "INCLUDE base:b AS bee\n", &[("base", &base)], own)
            .await
            .unwrap();
        support::fsck_layout(&out).unwrap();
        let got = entries(&out);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0]["digest"], base_entries[1]["digest"]);
        assert_eq!(tag(&got[0]), Some("b"), "the include keeps its tag");
        let d = got[0]["digest"].as_str().unwrap();
        assert_eq!(blob(&out, d), blob(&base, d));

        // The whole layout: every entry, tags kept, in the layout's order.
        let out = compose(&[], "INCLUDE base\n", &[("base", &base)], own)
            .await
            .unwrap();
        let summary = support::fsck_layout(&out).unwrap();
        assert_eq!(entries(&out), base_entries);
        assert_eq!(
            summary.blob_count,
            support::fsck_layout(&base).unwrap().blob_count
        );
    }
}

/// Whether `needle` occurs in `haystack`.
fn holds(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn included_documents_are_copied_from_the_layout_not_carried_in_the_llb() {
    let tmp = tempfile::tempdir().unwrap();
    let base = two_tags(&tmp.path().join("base")).await;
    let bundle = compose(
        &[],
        "INCLUDE base:a AS a\nINCLUDE base:b AS b\n\
         INDEX application/vnd.example.bundle.v1 AS all\nMANIFEST a b\nTAG all\n",
        &[("base", &base)],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    // Listed and reached from the index: each once.
    let documents: std::collections::BTreeMap<String, Vec<u8>> = support::fsck_layout(&bundle)
        .unwrap()
        .manifests
        .iter()
        .map(|m| (m.digest.clone(), blob(&bundle, &m.digest)))
        .collect();
    assert_eq!(documents.len(), 3, "the index and its two members");
    for own in [Own::FrontendBin, Own::Unknown] {
        let (out, calls) =
            compose_calls(&[], "INCLUDE bundle:all\n", &[("bundle", &bundle)], own).await;
        let out = out.unwrap();
        let summary = support::fsck_layout(&out).unwrap();
        assert_eq!(summary.manifests.len(), 3);
        assert!(!calls.definitions.is_empty());
        for (digest, doc) in &documents {
            assert_eq!(&blob(&out, digest), doc, "the document, byte for byte");
            for def in &calls.definitions {
                assert!(
                    !holds(def, doc),
                    "a Solve request carries the included document {digest}"
                );
            }
        }
    }
}

#[tokio::test]
async fn an_included_index_brings_its_children() {
    let tmp = tempfile::tempdir().unwrap();
    let base = two_tags(&tmp.path().join("base")).await;
    let bundle = compose(
        &[],
        "INCLUDE base:a AS a\nINCLUDE base:b AS b\n\
         INDEX application/vnd.example.bundle.v1 AS all\nMANIFEST a b\nTAG all\n",
        &[("base", &base)],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    let listed = entries(&bundle);
    assert_eq!(listed.len(), 3, "a, b and the index: {listed:?}");
    let index = &listed[2];
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    assert_eq!(index["artifactType"], "application/vnd.example.bundle.v1");
    let body = json(&bundle, index["digest"].as_str().unwrap());
    let members: Vec<&Value> = body["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["digest"])
        .collect();
    assert_eq!(members, [&listed[0]["digest"], &listed[1]["digest"]]);

    // Including the index alone brings both members' blobs.
    let out = compose(
        &[],
        "INCLUDE bundle:all\n",
        &[("bundle", &bundle)],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    let summary = support::fsck_layout(&out).unwrap();
    assert_eq!(entries(&out).len(), 1);
    assert_eq!(summary.manifests.len(), 3, "the index and its two members");
    assert_eq!(summary.blob_count, summary.referenced_blob_count);
}

#[tokio::test]
async fn an_adapter_on_a_base_model_is_a_modelpack_model_reusing_its_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let base = base_model(&tmp.path().join("base")).await;
    let base_manifest = support::fsck_layout(&base).unwrap().manifests[0]
        .manifest
        .clone();
    let base_config = json(&base, base_manifest["config"]["digest"].as_str().unwrap());
    let base_digests: Vec<&Value> = base_manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["digest"])
        .collect();
    let base_diff_ids: Vec<&Value> = base_config["modelfs"]["diffIds"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(base_diff_ids.len(), 2);
    for (digest, diff_id) in base_digests.iter().zip(&base_diff_ids) {
        assert_ne!(digest, diff_id, "a gzip layer's DiffID is not its digest");
    }
    for own in [Own::FrontendBin, Own::Unknown] {
        let out = compose(
            &[("adapter.safetensors", b"lora")],
            "ARTIFACT application/vnd.cncf.model.manifest.v1+json\n\
             LAYERS base\n\
             LAYER application/vnd.cncf.model.weight.v1.raw adapter.safetensors\n",
            &[("base", &base)],
            own,
        )
        .await
        .unwrap();
        let summary = support::fsck_layout(&out).unwrap();
        let manifest = &summary.manifests[0].manifest;
        let layers = manifest["layers"].as_array().unwrap();
        let base_layers = base_manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), base_layers.len() + 1);
        assert_eq!(
            &layers[..base_layers.len()],
            &base_layers[..],
            "descriptors unchanged"
        );
        assert_eq!(
            manifest["config"]["mediaType"],
            "application/vnd.cncf.model.config.v1+json"
        );
        let config = json(&out, manifest["config"]["digest"].as_str().unwrap());
        let diff_ids = config["modelfs"]["diffIds"].as_array().unwrap();
        assert_eq!(diff_ids.len(), layers.len(), "{config}");
        let diff_ids: Vec<&Value> = diff_ids.iter().collect();
        assert_eq!(diff_ids[..base_layers.len()], base_diff_ids[..]);
        // The adapter's raw layer: its DiffID is its digest.
        assert_eq!(
            diff_ids[base_layers.len()],
            &layers[base_layers.len()]["digest"]
        );
        let adapter = &layers[base_layers.len()]["annotations"];
        assert_eq!(adapter["org.cncf.model.filepath"], "adapter.safetensors");
        assert!(
            adapter["org.cncf.model.file.metadata+json"].is_string(),
            "{adapter}"
        );
        assert_eq!(config["descriptor"], base_config["descriptor"]);
        assert_eq!(config["config"], base_config["config"]);
    }
}

/// A ModelPack model whose `LAYERS` take no ModelPack model has no config
/// to extend: refused at that line, never written with the empty config
/// (which no ModelPack client reads). Extending a model still works.
#[tokio::test]
async fn a_modelpack_artifact_over_a_plain_layout_is_refused_at_its_layers_line() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = two_tags(&tmp.path().join("plain")).await;
    let base = base_model(&tmp.path().join("base")).await;
    let body = |layout: &str| {
        format!(
            "ARTIFACT application/vnd.cncf.model.manifest.v1+json\n\
             LAYER application/vnd.cncf.model.weight.v1.raw adapter.safetensors\n\
             LAYERS {layout}\n"
        )
    };
    let files: &[(&str, &[u8])] = &[("adapter.safetensors", b"lora")];
    let layouts: &[(&str, &Path)] = &[("plain", &plain), ("base", &base)];
    let err = compose(files, &body("plain:a"), layouts, Own::FrontendBin)
        .await
        .unwrap_err();
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(
        &err,
        &[
            "Artifactfile:3: ARTIFACT application/vnd.cncf.model.manifest.v1+json: LAYERS plain \
             takes no ModelPack model",
            "write a Modelfile",
        ],
        &[],
    );
    let out = compose(files, &body("base"), layouts, Own::FrontendBin)
        .await
        .unwrap();
    let manifest = &support::fsck_layout(&out).unwrap().manifests[0].manifest;
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.cncf.model.config.v1+json"
    );
}

/// The adapter's step says what it does: the adapter is hashed, the
/// base's blobs are copied and checked (not "hashing and writing 3 files").
#[tokio::test]
async fn an_adapters_step_says_only_the_adapter_is_hashed() {
    let tmp = tempfile::tempdir().unwrap();
    let base = base_model(&tmp.path().join("base")).await;
    let ctx = context(&[("adapter.safetensors", b"lora")]);
    fs::write(
        ctx.path().join("Artifactfile"),
        "ARTIFACT application/vnd.cncf.model.manifest.v1+json\nLAYERS base\n\
         LAYER application/vnd.cncf.model.weight.v1.raw adapter.safetensors\n",
    )
    .unwrap();
    let solver = Solver::new()
        .local("context", ctx.path())
        .local("dockerfile", ctx.path())
        .local("base", &base);
    build(&solver, &[("context:base", "local:base")], Own::FrontendBin)
        .await
        .unwrap();
    let steps = solver.calls().steps;
    assert!(
        steps.iter().any(|s| s.starts_with(
            "[artifact] hashing and writing adapter.safetensors, copying and checking 2 blobs \
             of layout \"base\" ("
        )),
        "{steps:?}"
    );
}

#[tokio::test]
async fn a_referrer_by_id_and_an_index_are_listed_in_file_order() {
    let out = compose(
        &[("model.bin", b"weights"), ("card.md", b"# card"), ("sig", b"signed")],
        "ARTIFACT application/vnd.example.model.v1 AS model\nLAYER application/octet-stream model.bin\nTAG v1\n\
         ARTIFACT application/vnd.example.sig.v1 AS sig\nSUBJECT model\nLAYER text/plain sig\n\
         ARTIFACT application/vnd.example.card.v1 AS card\nSUBJECT model\nLAYER text/markdown card.md\n\
         INDEX application/vnd.example.bundle.v1 AS all\nMANIFEST model card\nTAG bundle\n",
        &[],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    support::fsck_layout(&out).unwrap();
    let listed = entries(&out);
    let types: Vec<&str> = listed
        .iter()
        .map(|e| e["artifactType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "application/vnd.example.model.v1",
            "application/vnd.example.sig.v1",
            "application/vnd.example.card.v1",
            "application/vnd.example.bundle.v1"
        ]
    );
    assert_eq!(tag(&listed[0]), Some("v1"));
    assert_eq!(tag(&listed[3]), Some("bundle"));
    for referrer in &listed[1..3] {
        let m = json(&out, referrer["digest"].as_str().unwrap());
        assert_eq!(m["subject"]["digest"], listed[0]["digest"]);
        assert_eq!(m["subject"]["size"], listed[0]["size"]);
        assert_eq!(m["subject"]["mediaType"], listed[0]["mediaType"]);
    }

    // The index is no manifest to take layers from, and is called so
    // ("an image index", not "a application/...").
    let err = compose(
        &[],
        "ARTIFACT application/vnd.example.v1\nLAYERS out:bundle\n",
        &[("out", &out)],
        Own::FrontendBin,
    )
    .await
    .unwrap_err();
    assert_says(
        &err,
        &["is an image index (application/vnd.oci.image.index.v1+json), not a manifest"],
        &[" a application/"],
    );
}

#[tokio::test]
async fn layout_mistakes_are_named_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let base = two_tags(&tmp.path().join("base")).await;
    let own = Own::FrontendBin;

    // Several entries and no tag: the tags to choose from.
    let err = compose(
        &[],
        "INCLUDE base AS x\nARTIFACT a/b AS y\nLAYERS base\n",
        &[("base", &base)],
        own,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code, CODE_INVALID_ARGUMENT);
    assert_says(&err, &["Artifactfile:3", "its tags: a, b"], &[]);

    // A tag it does not have.
    let err = compose(&[], "INCLUDE base:c\n", &[("base", &base)], own)
        .await
        .unwrap_err();
    assert_says(&err, &["Artifactfile:1", "no tag \"c\""], &[]);

    // One tag for two different manifests.
    let err = compose(
        &[("a.txt", b"a")],
        "ARTIFACT x/a AS a\nLAYER text/plain a.txt\nTAG v1\nARTIFACT x/b AS b\nLAYER text/plain a.txt\nTAG v1\n",
        &[],
        own,
    )
    .await
    .unwrap_err();
    assert_says(
        &err,
        &["Artifactfile:6: TAG \"v1\"", "first on line 3"],
        &[],
    );

    // A directory that is no layout.
    let plain = context(&[("a.txt", b"a")]);
    let err = compose(&[], "INCLUDE plain\n", &[("plain", plain.path())], own)
        .await
        .unwrap_err();
    assert_says(&err, &["Artifactfile:1", "oci-layout"], &[]);

    // A digest that would lead out of blobs/, and an index.json that is a
    // link out of the layout: refused, nothing read there.
    let bad = tempfile::tempdir().unwrap();
    support::copy_dir(&base, bad.path()).unwrap();
    let index = fs::read_to_string(bad.path().join("index.json")).unwrap();
    let first = entries(&base)[0]["digest"].as_str().unwrap().to_string();
    let escaping = index.replace(&first, "sha256:../../../../etc/passwd");
    fs::write(bad.path().join("index.json"), escaping).unwrap();
    let err = compose(&[], "INCLUDE base:a\n", &[("base", bad.path())], own)
        .await
        .unwrap_err();
    assert_says(
        &err,
        &["Artifactfile:1", "index.json is not an OCI image index"],
        &["root:"],
    );
    fs::remove_file(bad.path().join("index.json")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", bad.path().join("index.json")).unwrap();
    let err = compose(&[], "INCLUDE base:a\n", &[("base", bad.path())], own)
        .await
        .unwrap_err();
    assert_says(
        &err,
        &[
            "Artifactfile:1",
            "index.json is a link to /etc/passwd, outside",
        ],
        &["root:"],
    );

    // An `oci-layout://` context: a directory is what the frontend reads.
    let ctx = context(&[]);
    fs::write(ctx.path().join("Artifactfile"), "INCLUDE base\n").unwrap();
    let solver = Solver::new()
        .local("context", ctx.path())
        .local("dockerfile", ctx.path());
    let pairs = [(
        "context:base",
        "oci-layout://abc@sha256:0000000000000000000000000000000000000000000000000000000000000000",
    )];
    let err = build(&solver, &pairs, own).await.unwrap_err();
    assert_says(&err, &["--build-context base=<dir>"], &[]);
}

#[tokio::test]
async fn a_damaged_layout_is_refused_not_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let base = two_tags(&tmp.path().join("base")).await;
    let entry = entries(&base)[0].clone();
    let manifest = json(&base, entry["digest"].as_str().unwrap());
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let path = base
        .join("blobs/sha256")
        .join(layer.strip_prefix("sha256:").unwrap());
    for own in [Own::FrontendBin, Own::Unknown] {
        fs::write(&path, b"A").unwrap();
        let err = compose(
            &[],
            "ARTIFACT x/y\nLAYERS base:a\n",
            &[("base", &base)],
            own,
        )
        .await
        .unwrap_err();
        assert_says(&err, &["does not match its descriptor", "damaged"], &[]);

        fs::remove_file(&path).unwrap();
        let err = compose(&[], "INCLUDE base:a\n", &[("base", &base)], own)
            .await
            .unwrap_err();
        assert_says(
            &err,
            &["Artifactfile:1", &layer, "the layout is incomplete"],
            &[],
        );
        // A blob that is a link out of the layout is not followed there.
        std::os::unix::fs::symlink("/etc/passwd", &path).unwrap();
        let err = compose(&[], "INCLUDE base:a\n", &[("base", &base)], own)
            .await
            .unwrap_err();
        let outside = format!(
            "blobs/sha256/{} is a link to /etc/passwd, outside",
            &layer[7..]
        );
        assert_says(
            &err,
            &["Artifactfile:1", &layer, &outside],
            &["does not match"],
        );
        fs::remove_file(&path).unwrap();
        fs::write(&path, b"a").unwrap();
    }
}

/// `buildx --platform linux/amd64,linux/arm64 -o type=oci`: one entry,
/// tagged `latest`, an index of two platforms' manifests (given back).
fn multi_platform(layout: &HandLayout) -> (Value, Value) {
    let amd64 = for_platform(&layout.small_manifest("amd64"), "amd64");
    let arm64 = for_platform(&layout.small_manifest("arm64"), "arm64");
    let index = layout.index(&[amd64.clone(), arm64.clone()]);
    layout.index_json(&[tagged(&index, "latest")]);
    (amd64, arm64)
}

fn digest_of(d: &Value) -> &str {
    d["digest"].as_str().unwrap()
}

#[tokio::test]
async fn a_platform_of_a_multi_platform_layout_is_taken_by_the_digest_the_error_gives() {
    let base = HandLayout::new();
    let (amd64, arm64) = multi_platform(&base);
    let layouts = [("base", base.path())];
    let own = Own::FrontendBin;
    for pick in ["base", "base:latest"] {
        let body = format!("ARTIFACT x/y\nLAYERS {pick}\n");
        let err = compose(&[], &body, &layouts, own).await.unwrap_err();
        assert_says(
            &err,
            &[
                "Artifactfile:2",
                "not a manifest",
                &format!("base@{} (linux/amd64)", digest_of(&amd64)),
                &format!("base@{} (linux/arm64)", digest_of(&arm64)),
            ],
            &[],
        );
    }
    // The hint, followed: the platform's manifest, inside the index.
    let body = format!("ARTIFACT x/y\nLAYERS base@{}\n", digest_of(&amd64));
    let out = compose(&[], &body, &layouts, own).await.unwrap();
    let manifest = &support::fsck_layout(&out).unwrap().manifests[0].manifest;
    let taken = json(base.path(), digest_of(&amd64));
    assert_eq!(manifest["layers"], taken["layers"]);

    // INCLUDE takes it as well, as its index lists it (platform kept).
    let body = format!("INCLUDE base@{}\n", digest_of(&arm64));
    let out = compose(&[], &body, &layouts, own).await.unwrap();
    support::fsck_layout(&out).unwrap();
    assert_eq!(entries(&out), [arm64]);
}

#[tokio::test]
async fn our_own_output_with_two_tags_is_one_base() {
    let ctx = [("a.txt", b"a" as &[u8])];
    let body = "ARTIFACT x/a\nLAYER text/plain a.txt\nTAG v1\nTAG latest\n";
    let base = compose(&ctx, body, &[], Own::FrontendBin).await.unwrap();
    assert_eq!(entries(&base).len(), 2, "one entry per tag");
    let out = compose(
        &[],
        "ARTIFACT x/b\nLAYERS base\n",
        &[("base", &base)],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    let manifest = &support::fsck_layout(&out).unwrap().manifests[0].manifest;
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 1);
}

/// A layout of one artifact holding `text`, tagged `latest`.
async fn latest(text: &'static [u8]) -> PathBuf {
    let body = "ARTIFACT x/m\nLAYER text/plain m.txt\nTAG latest\n";
    compose(&[("m.txt", text)], body, &[], Own::FrontendBin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_tag_an_include_brings_yields_to_the_files_own() {
    let model = latest(b"model").await;
    let layouts = [("model", model.as_path())];
    let body = "INCLUDE model:latest AS m\n\
                INDEX x/bundle AS bundle\nMANIFEST m\nTAG latest\n";
    let (out, calls) = compose_calls(&[], body, &layouts, Own::FrontendBin).await;
    let out = out.unwrap();
    support::fsck_layout(&out).unwrap();
    let listed = entries(&out);
    assert_eq!(listed.len(), 2);
    assert_eq!(tag(&listed[0]), None, "the included entry lost latest");
    assert_eq!(tag(&listed[1]), Some("latest"), "the bundle is latest now");
    let warned: Vec<&str> = calls.warnings.iter().map(|w| w.short.as_str()).collect();
    assert!(
        warned.iter().any(
            |w| w.contains("INCLUDE model:latest brings the tag \"latest\"")
                && w.contains("line 4")
        ),
        "{warned:?}"
    );
}

#[tokio::test]
async fn tags_two_includes_bring_collide_until_one_is_renamed() {
    let model = latest(b"model").await;
    let other = latest(b"other").await;
    let layouts = [("model", model.as_path()), ("other", other.as_path())];
    let own = Own::FrontendBin;
    let err = compose(&[], "INCLUDE model\nINCLUDE other\n", &layouts, own)
        .await
        .unwrap_err();
    assert_says(
        &err,
        &[
            "Artifactfile:2",
            "tag \"latest\" comes with both INCLUDE model (line 1",
            "INCLUDE --tag=<tag> <ref>",
            "INCLUDE --tag= <ref>",
        ],
        &[],
    );

    // Renamed, and dropped.
    let body = "INCLUDE model\nINCLUDE --tag=other --tag=v2 other\n";
    let out = compose(&[], body, &layouts, own).await.unwrap();
    let listed = entries(&out);
    assert_eq!(
        listed.iter().map(|e| tag(e)).collect::<Vec<_>>(),
        [Some("latest"), Some("other"), Some("v2")],
    );
    let body = "INCLUDE model\nINCLUDE --tag= other\n";
    let out = compose(&[], body, &layouts, own).await.unwrap();
    let listed = entries(&out);
    assert_eq!(
        listed.iter().map(|e| tag(e)).collect::<Vec<_>>(),
        [Some("latest"), None]
    );
}

#[tokio::test]
async fn an_images_layers_extend_a_model_with_the_diff_ids_its_config_lists() {
    let tmp = tempfile::tempdir().unwrap();
    let base = base_model(&tmp.path().join("base")).await;
    let image = HandLayout::new();
    let diff_id = artifact_frontend::digest::Digest::of(b"the layer's tar");
    let config = serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id.to_string()]},
    });
    let config = image.blob(IMAGE_CONFIG, config.to_string().as_bytes());
    let layer = image.blob("application/vnd.oci.image.layer.v1.tar+gzip", b"gzipped");
    let manifest = image.manifest(&config, &[layer]);
    image.index_json(&[manifest]);
    let body = "ARTIFACT application/vnd.cncf.model.manifest.v1+json\n\
                LAYERS base\nLAYERS image\n";
    let layouts = [("base", base.as_path()), ("image", image.path())];
    for own in [Own::FrontendBin, Own::Unknown] {
        let out = compose(&[], body, &layouts, own).await.unwrap();
        let manifest = &support::fsck_layout(&out).unwrap().manifests[0].manifest;
        let config = json(&out, manifest["config"]["digest"].as_str().unwrap());
        let ids = config["modelfs"]["diffIds"].as_array().unwrap();
        assert_eq!(ids.last().unwrap(), &diff_id.to_string(), "{config}");
    }
}

#[tokio::test]
async fn an_encrypted_layer_has_no_diff_id_to_give_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let base = base_model(&tmp.path().join("base")).await;
    let sealed = HandLayout::new();
    let config = sealed.blob(EMPTY, b"{}");
    let media_type = "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    let layer = sealed.blob(media_type, b"sealed");
    let manifest = sealed.manifest(&config, &[layer]);
    sealed.index_json(&[manifest]);
    let body = "ARTIFACT application/vnd.cncf.model.manifest.v1+json\n\
                LAYERS base\nLAYERS sealed\n";
    let layouts = [("base", base.as_path()), ("sealed", sealed.path())];
    let err = compose(&[], body, &layouts, Own::FrontendBin)
        .await
        .unwrap_err();
    assert_says(&err, &["Artifactfile:3", "is compressed", "DiffID"], &[]);
}

#[tokio::test]
async fn a_podman_tag_is_picked_whole() {
    let base = HandLayout::new();
    let picked = base.small_manifest("podman");
    let other = base.small_manifest("other");
    base.index_json(&[
        tagged(&picked, "localhost/x:1"),
        tagged(&other, "localhost/x:2"),
    ]);
    let out = compose(
        &[],
        "INCLUDE base:localhost/x:1\n",
        &[("base", base.path())],
        Own::FrontendBin,
    )
    .await
    .unwrap();
    let listed = entries(&out);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["digest"], picked["digest"]);
    assert_eq!(tag(&listed[0]), Some("localhost/x:1"));
}

#[tokio::test]
async fn a_non_distributable_layer_the_layout_lacks_is_kept_as_a_descriptor() {
    let base = HandLayout::new();
    let config = base.blob(EMPTY, b"{}");
    let held = base.blob("text/plain", b"held");
    let foreign = serde_json::json!({
        "mediaType": "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "digest": artifact_frontend::digest::Digest::of(b"far away").to_string(),
        "size": 8,
        "urls": ["https://example.com/layer.tar.gz"],
    });
    let manifest = base.manifest(&config, &[held.clone(), foreign.clone()]);
    base.index_json(std::slice::from_ref(&manifest));
    let layouts = [("base", base.path())];
    let absent = |out: &Path| {
        !out.join("blobs/sha256")
            .join(&digest_of(&foreign)[7..])
            .exists()
    };
    for own in [Own::FrontendBin, Own::Unknown] {
        let out = compose(&[], "ARTIFACT x/y\nLAYERS base\n", &layouts, own)
            .await
            .unwrap();
        let index = entries(&out);
        let written = json(&out, digest_of(&index[0]));
        assert_eq!(written["layers"], serde_json::json!([held, foreign]));
        assert!(absent(&out));

        let out = compose(&[], "INCLUDE base\n", &layouts, own).await.unwrap();
        assert_eq!(entries(&out), std::slice::from_ref(&manifest));
        assert_eq!(blob(&out, digest_of(&held)), b"held");
        assert!(absent(&out));
    }
}
