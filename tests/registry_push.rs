//! The registry client against a real registry: Debian's `docker-registry`
//! (distribution 2.8, no referrers API) started here on a free 127.0.0.1
//! port, open or with htpasswd auth, and stopped by PID. A layout pushed
//! reads back byte for byte (`skopeo inspect --raw`); a re-push after a
//! change sends only the new blobs, counted from the registry's own access
//! log; a referrer gets the OCI 1.1 fallback tag; a registry that wants
//! credentials says which and how to pass them.
//!
//! Needs `docker-registry`, `htpasswd` (apache2-utils) and `skopeo`; without
//! them the tests say so and pass, unless ARTIFACT_E2E=require (CI).

use std::io::Write as _;
use std::net::TcpListener;
use std::process::Command;

mod registry_fixture;

use artifact_frontend::digest::Digest;
use artifact_frontend::registry::{self, Job};
use base64::Engine as _;
use registry_fixture::{
    Options, Registry, blob, have_tools, make_ca_and_server_cert, outside_address,
};
use serde_json::json;

/// A layout: an artifact of `card` and a 3 MiB weights layer, tagged v1,
/// and a referrer (a signature) of it. Returns (the layout, the
/// artifact's manifest bytes, the referrer's digest).
fn layout(card: &str) -> (tempfile::TempDir, Vec<u8>, String) {
    layout_with(card, 3 << 20)
}

/// [`layout`] with weights of `weights` bytes.
fn layout_with(card: &str, weights: u32) -> (tempfile::TempDir, Vec<u8>, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let config = blob(
        root,
        "application/vnd.example.config.v1+json",
        b"{\"name\":\"tiny\"}",
    );
    let weights: Vec<u8> = (0..weights).map(|i: u32| (i * 7 % 251) as u8).collect();
    let layers = vec![
        blob(root, "application/octet-stream", &weights),
        blob(root, "text/markdown", card.as_bytes()),
    ];
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.model.v1",
        "config": config,
        "layers": layers,
    }))
    .unwrap();
    let m = blob(
        root,
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    let sig_layer = blob(root, "application/vnd.example.sig", b"signed");
    let empty = blob(root, "application/vnd.oci.empty.v1+json", b"{}");
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.signature.v1",
        "config": empty,
        "layers": [sig_layer],
        "subject": m,
    }))
    .unwrap();
    let r = blob(
        root,
        "application/vnd.oci.image.manifest.v1+json",
        &referrer,
    );
    let mut tagged = m.clone();
    tagged["annotations"] = json!({"org.opencontainers.image.ref.name": "v1"});
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [tagged, r]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    let r_digest = r["digest"].as_str().unwrap().to_string();
    (dir, manifest, r_digest)
}

fn job(target: String) -> Job {
    Job {
        target,
        ..Job::default()
    }
}

fn config_json(registry: &str, user: &str, password: &str) -> Vec<u8> {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    serde_json::to_vec(&json!({"auths": {registry: {"auth": auth}}})).unwrap()
}

#[tokio::test]
async fn push_reads_back_byte_for_byte_and_a_repush_sends_only_new_blobs() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (dir, manifest, referrer) = layout("# card v1\n");
    let out = registry::push(
        &job(format!("{}/models/tiny", reg.addr)),
        dir.path(),
        None,
        None,
    )
    .await
    .unwrap();
    // config, weights, card; the signature's layer and the empty config.
    assert_eq!((out.sent, out.present), (5, 0), "{out:?}");
    assert_eq!(reg.skopeo_raw("models/tiny:v1", None), manifest);
    assert_eq!(reg.requests("POST", "/v2/models/tiny/blobs/uploads/"), 5);
    // The referrer is findable on a registry without the referrers API.
    let fallback = reg.skopeo_raw(
        &format!("models/tiny:sha256-{}", Digest::of(&manifest).hex()),
        None,
    );
    let fallback: serde_json::Value = serde_json::from_slice(&fallback).unwrap();
    assert_eq!(fallback["manifests"][0]["digest"], referrer.as_str());
    assert_eq!(
        fallback["manifests"][0]["artifactType"],
        "application/vnd.example.signature.v1"
    );

    // The card edited: the card's blob and the manifests are new; the
    // weights and the config are present and not sent.
    let (dir2, manifest2, _) = layout("# card v2\n");
    let out = registry::push(
        &job(format!("{}/models/tiny", reg.addr)),
        dir2.path(),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.sent, 1, "{out:?}");
    assert_eq!(reg.requests("POST", "/v2/models/tiny/blobs/uploads/"), 6);
    assert_eq!(reg.skopeo_raw("models/tiny:v1", None), manifest2);
    // Both signatures are listed under their own subjects' tags.
    let fallback2 = reg.skopeo_raw(
        &format!("models/tiny:sha256-{}", Digest::of(&manifest2).hex()),
        None,
    );
    assert!(!fallback2.is_empty());

    // The same push again sends nothing at all.
    let before = reg.requests("PATCH", "/v2/models/tiny/blobs/uploads/");
    let out = registry::push(
        &job(format!("{}/models/tiny:again", reg.addr)),
        dir2.path(),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(out.sent, 0, "{out:?}");
    assert_eq!(
        reg.requests("PATCH", "/v2/models/tiny/blobs/uploads/"),
        before
    );
    assert_eq!(reg.skopeo_raw("models/tiny:again", None), manifest2);
}

#[tokio::test]
async fn htpasswd_registry_wants_credentials_and_says_how_to_pass_them() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(Some(("alice", "s3cret-pw")));
    let (dir, manifest, _) = layout("# card\n");
    let target = format!("{}/models/tiny:v1", reg.addr);

    let e = registry::push(&job(target.clone()), dir.path(), None, None)
        .await
        .unwrap_err();
    assert!(e.contains(&reg.addr) && e.contains("401"), "{e}");
    assert!(
        e.contains("--secret id=registry,src=$HOME/.docker/config.json"),
        "{e}"
    );

    let wrong = config_json(&reg.addr, "alice", "wrong");
    let e = registry::push(&job(target.clone()), dir.path(), Some(&wrong), None)
        .await
        .unwrap_err();
    assert!(e.contains("401") && e.contains("credentials"), "{e}");
    assert!(!e.contains("wrong"), "the password is in the error: {e}");

    let right = config_json(&reg.addr, "alice", "s3cret-pw");
    let out = registry::push(&job(target), dir.path(), Some(&right), None)
        .await
        .unwrap();
    assert_eq!(out.sent, 5, "{out:?}");
    assert_eq!(
        reg.skopeo_raw("models/tiny:v1", Some("alice:s3cret-pw")),
        manifest
    );
}

#[tokio::test]
async fn a_tag_with_several_top_level_entries_is_refused_listing_them() {
    // No registry needed: the choice is made before anything is sent, but
    // a session is, so an open registry stands by.
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (dir, _, _) = layout("# card\n");
    // A second, untagged top-level entry.
    let root = dir.path();
    let extra = blob(root, "application/vnd.oci.image.manifest.v1+json", b"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},\"layers\":[]}");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("index.json")).unwrap()).unwrap();
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .push(extra.clone());
    let mut f = std::fs::File::create(root.join("index.json")).unwrap();
    f.write_all(&serde_json::to_vec(&index).unwrap()).unwrap();
    let e = registry::push(&job(format!("{}/models/x:v9", reg.addr)), root, None, None)
        .await
        .unwrap_err();
    assert!(e.contains("2 top-level entries"), "{e}");
    assert!(
        e.contains("tag v1") && e.contains(extra["digest"].as_str().unwrap()),
        "{e}"
    );
    assert_eq!(reg.requests("POST", "/blobs/uploads/"), 0);
}

#[tokio::test]
async fn blobs_of_another_repository_are_mounted_not_sent() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (dir, _, _) = layout("# base\n");
    registry::push(
        &job(format!("{}/models/base", reg.addr)),
        dir.path(),
        None,
        None,
    )
    .await
    .unwrap();
    let uploads = reg.requests("PATCH", "/blobs/uploads/");
    let (dir2, manifest2, _) = layout("# adapter card\n");
    let mut j = job(format!("{}/models/adapter", reg.addr));
    j.mount_from = vec!["models/nothing-here".into(), "models/base".into()];
    let out = registry::push(&j, dir2.path(), None, None).await.unwrap();
    // The config, the weights, the signature's two blobs: mounted; the
    // new card: sent.
    assert_eq!((out.mounted, out.sent, out.present), (4, 1, 0), "{out:?}");
    assert_eq!(reg.requests("PATCH", "/blobs/uploads/"), uploads + 1);
    assert!(reg.requests("POST", "/v2/models/adapter/blobs/uploads/?mount=") >= 4);
    assert_eq!(reg.skopeo_raw("models/adapter:v1", None), manifest2);
}

/// Our image has no CA store: the push must not need one (oci-client makes
/// a default reqwest client on the way, which loads the system's roots and
/// panicked without any). Run with the system's bundle hidden (a private
/// mount namespace, root only); the push then fails where it should (no
/// registry answers on port 9), not in the TLS setup.
#[test]
fn the_worker_binary_needs_no_system_ca_store() {
    let root = std::process::Command::new("id").arg("-u").output().unwrap();
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        assert!(
            std::env::var("ARTIFACT_E2E").as_deref() != Ok("require"),
            "hiding /etc/ssl needs root"
        );
        eprintln!("skipped: hiding /etc/ssl needs root (unshare -m)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_artifact-frontend");
    let script = format!(
        "mount -t tmpfs none /etc/ssl && exec {bin} {} '{{\"target\":\"127.0.0.1:9/x/y:v1\"}}'",
        registry::SUBCOMMAND
    );
    let out = Command::new("unshare")
        .args(["-m", "sh", "-c", &script])
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.contains("cannot reach registry 127.0.0.1:9"), "{err}");
}

/// No registry where the target says, or no such host: the error names the
/// registry and says it can't be reached, and comes back (no hang), before
/// anything else is tried.
#[tokio::test]
async fn an_unreachable_registry_or_an_unknown_host_is_named() {
    let (dir, _, _) = layout("# card\n");
    // A port nothing listens on: bound, then let go.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for registry in [format!("127.0.0.1:{port}"), "no-such-host.invalid".into()] {
        let e = registry::push(
            &job(format!("{registry}/models/tiny:v1")),
            dir.path(),
            None,
            None,
        )
        .await
        .unwrap_err();
        assert!(
            e.contains(&format!("cannot reach registry {registry}")),
            "{e}"
        );
    }
}

/// A registry serving TLS with a certificate from a CA the test made: the
/// push is refused without the CA, saying the certificate is not trusted
/// and naming the secret that trusts it; with the CA (the secret
/// `registry-ca`) it goes through, verified.
#[tokio::test]
async fn a_registry_with_a_private_ca_is_trusted_through_registry_ca_only() {
    if !have_tools() {
        return;
    }
    let Some(ip) = outside_address() else {
        assert!(
            std::env::var("ARTIFACT_E2E").as_deref() != Ok("require"),
            "this machine has no address but loopback for a TLS registry"
        );
        eprintln!("skipped: no address but loopback for a TLS registry");
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    make_ca_and_server_cert(certs.path(), &ip).unwrap();
    let (cert, key) = (
        certs.path().join("server.pem"),
        certs.path().join("server.key"),
    );
    let reg = Registry::start_with(&Options {
        host: Some(&ip),
        tls: Some((&cert, &key)),
        ..Options::default()
    });
    let (dir, manifest, _) = layout("# card\n");
    let target = format!("{}/models/tls:v1", reg.addr);
    let e = registry::push(&job(target.clone()), dir.path(), None, None)
        .await
        .unwrap_err();
    assert!(
        e.contains(&reg.addr) && e.contains("not trusted") && e.contains("--secret id=registry-ca"),
        "{e}"
    );
    assert_eq!(reg.requests("POST", "/blobs/uploads/"), 0);
    let ca = std::fs::read(certs.path().join("ca.pem")).unwrap();
    let out = registry::push(&job(target), dir.path(), None, Some(&ca))
        .await
        .unwrap();
    assert_eq!(out.sent, 5, "{out:?}");
    assert_eq!(reg.skopeo_raw("models/tls:v1", None), manifest);
}

/// A TCP proxy in front of a registry that "goes away" once it has passed
/// `budget` bytes from the client on: it cuts every connection and stops
/// listening (connections are then refused, as to a registry that is down).
struct Proxy {
    addr: String,
}

impl Proxy {
    fn start(addr: &str, upstream: &str, budget: Option<u64>) -> Proxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = TcpListener::bind(addr).unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let passed = Arc::new(AtomicU64::new(0));
        let cut = Arc::new(AtomicBool::new(false));
        let (upstream, me) = (upstream.to_string(), addr.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if cut.load(Ordering::SeqCst) {
                    // Dropping the listener: from now on, refused.
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                    continue;
                };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                // Answers flow back untouched.
                std::thread::spawn(move || {
                    let (mut from, mut to) = (s2, c2);
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
                let (passed, cut, me) = (passed.clone(), cut.clone(), me.clone());
                std::thread::spawn(move || {
                    use std::io::Read as _;
                    let (mut from, mut to) = (client, server);
                    let mut buf = vec![0u8; 64 << 10];
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let before = passed.fetch_add(n as u64, Ordering::SeqCst);
                        if budget.is_some_and(|b| before + n as u64 > b) {
                            cut.store(true, Ordering::SeqCst);
                            let _ = from.shutdown(std::net::Shutdown::Both);
                            let _ = to.shutdown(std::net::Shutdown::Both);
                            // Wakes the accept loop, which then stops.
                            let _ = std::net::TcpStream::connect(&me);
                            return;
                        }
                        if to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Proxy { addr }
    }
}

/// The registry goes away in the middle of a 80 MiB blob: the push fails
/// naming that blob (after its bounded retries, not a hang); once it is
/// back, the same push succeeds and sends only what did not get there.
#[tokio::test]
async fn a_registry_that_goes_away_mid_push_fails_naming_the_blob_and_the_next_push_finishes() {
    if !have_tools() {
        return;
    }
    let reg = Registry::start(None);
    let (dir, manifest, _) = layout_with("# card\n", 80 << 20);
    let cutting = Proxy::start("127.0.0.1:0", &reg.addr, Some(40 << 20));
    let target = format!("{}/models/flaky:v1", cutting.addr);
    let e = registry::push(&job(target.clone()), dir.path(), None, None)
        .await
        .unwrap_err();
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    let big = m["layers"][0]["digest"].as_str().unwrap();
    assert!(e.contains(big) && e.contains(&cutting.addr), "{e}");
    assert!(
        e.contains("stopped answering") && !e.contains("_state="),
        "{e}"
    );
    assert!(index["manifests"].is_array());
    let first_uploads = reg.requests("PUT", "/v2/models/flaky/blobs/uploads/");
    assert!(first_uploads >= 1, "nothing got through before the cut");

    let back = Proxy::start(&cutting.addr, &reg.addr, None);
    let out = registry::push(&job(target), dir.path(), None, None)
        .await
        .unwrap();
    // What was complete before the cut is present, not sent again.
    assert!(out.present >= first_uploads as u32, "{out:?}");
    assert_eq!(out.present + out.sent, 5, "{out:?}");
    assert_eq!(
        reg.skopeo_raw("models/flaky:v1", None),
        manifest,
        "via {}",
        back.addr
    );
}
