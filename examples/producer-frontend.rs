//! A frontend of the AIKit kind, for wrap mode: it builds a model's files
//! and asks for them to be packaged as an OCI artifact by setting the
//! `containerimage.artifact*` metadata of BuildKit's artifact proposal on
//! its result. A patched daemon would run `artifact.v0` on that result;
//! on stock BuildKit our frontend wraps it:
//!
//! ```sh
//! docker build --build-arg BUILDKIT_SYNTAX=<artifact frontend image> \
//!   --build-arg artifact.frontend=gateway.v0 \
//!   --build-arg artifact.frontend.source=<this image> -o type=local,dest=out .
//! ```
//!
//! Option `platforms=linux/amd64,linux/arm64` (or the build arg) returns
//! one result per platform, as a multi-platform build does. Build it into
//! an image and push it (the end-to-end tests do the same, then wrap it):
//!
//! ```sh
//! scripts/build-example-frontend
//! skopeo copy --all --dest-tls-verify=false oci:target/producer-image:dev \
//!   docker://127.0.0.1:5000/producer-frontend:dev
//! ```

use std::collections::BTreeMap;

use artifact_frontend::gateway::{self, Bridge, Gateway as _, ReturnError, RpcError, SolvedRef};
use artifact_frontend::llb::{FileActions, State};

/// The files this frontend "builds" for `platform`.
fn files(platform: Option<&str>) -> Vec<(&'static str, Vec<u8>)> {
    let suffix = platform.map(|p| format!(" for {p}")).unwrap_or_default();
    vec![
        (
            "model/weights.bin",
            format!("trained weights{suffix}\n").into_bytes(),
        ),
        ("model/config.json", br#"{"hidden_size":2}"#.to_vec()),
    ]
}

/// The artifact it asks for: the keys of BuildKit's proposal.
fn artifact_metadata() -> BTreeMap<String, Vec<u8>> {
    let layers = serde_json::json!([
        {"path": "model/weights.bin", "mediaType": "application/vnd.cncf.model.weight.v1.raw",
         "annotations": {"org.opencontainers.image.title": "weights.bin"}},
        {"path": "model/config.json", "mediaType": "application/vnd.cncf.model.weight.config.v1.raw",
         "annotations": {"org.opencontainers.image.title": "config.json"}},
    ]);
    [
        ("containerimage.artifact", "true".to_string()),
        (
            "containerimage.artifact.type",
            "application/vnd.cncf.model.manifest.v1+json".to_string(),
        ),
        (
            "containerimage.artifact.config.mediatype",
            "application/vnd.oci.empty.v1+json".to_string(),
        ),
        ("containerimage.artifact.layers", layers.to_string()),
        ("source.date.epoch", "0".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_bytes()))
    .collect()
}

async fn build_files(bridge: &Bridge, platform: Option<&str>) -> Result<SolvedRef, RpcError> {
    let mut actions = FileActions::new().mkdir("/model", 0o755, true, Some(0));
    for (path, data) in files(platform) {
        actions = actions.mkfile(&format!("/{path}"), 0o644, data, Some(0));
    }
    let state = State::scratch().file(actions, "[producer] building the model");
    bridge.solve(state.marshal().into_pb()).await
}

async fn run() -> i32 {
    let opts = gateway::from_env(std::env::vars());
    let Ok(bridge) = Bridge::connect_stdio().await else {
        return 1;
    };
    // `platforms` as a build arg, or the `platform` option `--platform` sets.
    let platforms: Vec<String> = opts
        .get_or_build_arg("platforms")
        .map(|(v, _)| v)
        .or_else(|| opts.get("platform"))
        .map(|v| {
            v.split(',')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut metadata = artifact_metadata();
    let sent = if platforms.is_empty() {
        match build_files(&bridge, None).await {
            Ok(r) => bridge.return_result(r, metadata).await,
            Err(e) => {
                bridge
                    .return_error(&ReturnError::daemon(e.to_string(), &e))
                    .await
            }
        }
    } else {
        let mut refs = BTreeMap::new();
        let mut described = Vec::new();
        for p in &platforms {
            match build_files(&bridge, Some(p)).await {
                Ok(r) => {
                    refs.insert(p.clone(), r);
                }
                Err(e) => {
                    let _ = bridge
                        .return_error(&ReturnError::daemon(e.to_string(), &e))
                        .await;
                    return 0;
                }
            }
            let (os, arch) = p.split_once('/').unwrap_or(("linux", p));
            described
                .push(serde_json::json!({"ID": p, "Platform": {"os": os, "architecture": arch}}));
        }
        let platforms = serde_json::json!({ "Platforms": described });
        metadata.insert(
            "refs.platforms".to_string(),
            platforms.to_string().into_bytes(),
        );
        bridge.return_refs(refs, metadata).await
    };
    i32::from(sent.is_err())
}

fn main() {
    let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        std::process::exit(1);
    };
    let code = rt.block_on(run());
    std::process::exit(code);
}
