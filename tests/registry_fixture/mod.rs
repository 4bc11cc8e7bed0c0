//! A real registry for the registry client's tests: Debian's
//! `docker-registry` (distribution 2.8) started on a free 127.0.0.1 port,
//! open or with htpasswd auth, stopped by PID when dropped, with its
//! access log to count requests by. Each test binary uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use artifact_frontend::digest::Digest;
use serde_json::json;

/// A registry this test started.
pub struct Registry {
    child: Child,
    pub addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Ours, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    /// Starts one; `htpasswd` is `(user, password)` for an authenticated one.
    pub fn start(htpasswd: Option<(&str, &str)>) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let auth = match htpasswd {
            None => String::new(),
            Some((u, p)) => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", u, p])
                    .output()
                    .unwrap();
                assert!(out.status.success());
                std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
                format!(
                    "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                    dir.path().join("htpasswd").display()
                )
            }
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{auth}",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let log = dir.path().join("access.log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("registry.err")).unwrap())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let r = Registry {
            child,
            addr,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&r.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not start on {}",
                r.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        r
    }

    /// Lines of the access log (the registry writes one per request).
    pub fn requests(&self, method: &str, path_part: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let m = format!("\"{method} ");
        log.lines()
            .filter(|l| l.contains(&m) && l.contains(path_part))
            .count()
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
