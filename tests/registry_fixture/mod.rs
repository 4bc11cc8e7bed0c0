//! A real registry for the registry client's tests: Debian's
//! `docker-registry` (distribution 2.8) started on a free port, open, with
//! htpasswd auth or serving TLS, stopped by PID when dropped, with its
//! access log to count requests by (the process part is the e2e suite's
//! `support/registry.rs`); and the layouts the tests push. Each test
//! binary uses a part of it.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use artifact_frontend::digest::Digest;
use serde_json::json;

/// The registry process itself, shared with the end-to-end suite.
#[path = "../support/registry.rs"]
pub mod server;

#[allow(unused_imports)] // each test binary uses a part
pub use server::{Options, make_ca_and_server_cert, outside_address};

/// A registry this test started (stopped by PID when dropped).
pub struct Registry {
    server: server::TestRegistry,
    /// `host:port`.
    pub addr: String,
}

pub fn have_tools() -> bool {
    let found = |p: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(p).is_file()))
    };
    let ok = ["docker-registry", "htpasswd", "skopeo"]
        .iter()
        .all(|p| found(p));
    if !ok {
        assert!(
            std::env::var("ARTIFACT_E2E").as_deref() != Ok("require"),
            "docker-registry, htpasswd and skopeo are needed: apt-get install -y docker-registry apache2-utils skopeo"
        );
        eprintln!("skipped: docker-registry, htpasswd or skopeo not installed");
    }
    ok
}

impl Registry {
    /// Starts one on 127.0.0.1; `htpasswd` is `(user, password)` for an
    /// authenticated one.
    pub fn start(htpasswd: Option<(&str, &str)>) -> Registry {
        Registry::start_with(&Options {
            htpasswd,
            ..Options::default()
        })
    }

    /// Starts one as `opts` says (another address, TLS).
    pub fn start_with(opts: &Options) -> Registry {
        let server = server::TestRegistry::start(opts).unwrap();
        let addr = server.addr.clone();
        Registry { server, addr }
    }

    /// Lines of the access log (the registry writes one per request).
    pub fn requests(&self, method: &str, path_part: &str) -> usize {
        self.server.requests(method, path_part)
    }

    pub fn skopeo_raw(&self, reference: &str, creds: Option<&str>) -> Vec<u8> {
        let mut cmd = Command::new("skopeo");
        cmd.args(["inspect", "--raw", "--tls-verify=false"]);
        if let Some(c) = creds {
            cmd.args(["--creds", c]);
        }
        let out = cmd
            .arg(format!("docker://{}/{reference}", self.addr))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "skopeo inspect {reference}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// Writes `bytes` as a blob of `layout`; its descriptor.
pub fn blob(layout: &Path, media_type: &str, bytes: &[u8]) -> serde_json::Value {
    let d = Digest::of(bytes);
    std::fs::write(layout.join("blobs/sha256").join(d.hex()), bytes).unwrap();
    json!({"mediaType": media_type, "digest": d.to_string(), "size": bytes.len()})
}

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A layout holding an index (tagged v1) of two platforms' manifests that
/// share a layer; gives it and the index's digest.
pub fn index_layout() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let shared: Vec<u8> = (0..2 << 20).map(|i: u32| (i * 13 % 251) as u8).collect();
    let shared = blob(root, "application/vnd.oci.image.layer.v1.tar", &shared);
    let mut children = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = blob(
            root,
            "application/vnd.oci.image.config.v1+json",
            format!(r#"{{"architecture":"{arch}","os":"linux"}}"#).as_bytes(),
        );
        let own = blob(
            root,
            "application/vnd.oci.image.layer.v1.tar",
            format!("only {arch}").as_bytes(),
        );
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": config, "layers": [shared.clone(), own],
        }))
        .unwrap();
        let mut d = blob(root, MANIFEST, &m);
        d["platform"] = json!({"architecture": arch, "os": "linux"});
        children.push(d);
    }
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": INDEX, "manifests": children,
    }))
    .unwrap();
    let mut top = blob(root, INDEX, &index);
    let digest = top["digest"].as_str().unwrap().to_string();
    top["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    let layout_index = json!({"schemaVersion": 2, "mediaType": INDEX, "manifests": [top]});
    std::fs::write(
        root.join("index.json"),
        serde_json::to_vec(&layout_index).unwrap(),
    )
    .unwrap();
    (dir, digest)
}
