//! Inputs from a registry: an image reference that names an OCI artifact
//! (a model, a chart) can't be unpacked by BuildKit's image source, and
//! the build says what to do instead of showing its Go struct dump.

use artifact_frontend::gateway::CODE_INVALID_ARGUMENT;

use super::{assert_says, context, gateway_error, serving};

#[tokio::test]
async fn an_artifact_named_as_an_image_is_named_as_an_artifact() {
    let ctx = context(&[(
        "Artifactfile",
        b"ARTIFACT application/vnd.example.v1\nFROM example.com/models/tiny:1\nLAYER text/plain a.txt\n",
    )]);
    for lazy in [false, true] {
        let mut solver = serving(ctx.path()).artifact(
            "example.com/models/tiny:1",
            b"application/vnd.cncf.model.config.v1+json",
        );
        if lazy {
            solver = solver.lazy();
        }
        let err = gateway_error(&solver).await;
        assert_eq!(err.code, CODE_INVALID_ARGUMENT, "{}", err.message);
        assert_says(
            &err,
            &[
                "Artifactfile:2",
                "image example.com/models/tiny:1 is not a container image but an OCI artifact \
                 (it holds application/vnd.cncf.model.config.v1+json, which no image holds)",
                "skopeo copy docker://example.com/models/tiny:1 oci:<dir>",
                "--build-context <name>=<dir>",
            ],
            &["children may not be fetched"],
        );
    }
}

#[tokio::test]
async fn an_image_that_fails_for_another_reason_keeps_buildkits_error() {
    let ctx = context(&[(
        "Artifactfile",
        b"ARTIFACT application/vnd.example.v1\nFROM example.com/nope:1\nLAYER text/plain a.txt\n",
    )]);
    let err = gateway_error(&serving(ctx.path())).await;
    assert_says(
        &err,
        &["could not be built", "example.com/nope:1: not found"],
        &["OCI artifact"],
    );
}
