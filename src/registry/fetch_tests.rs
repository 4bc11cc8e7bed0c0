//! Fake registries for what a real one won't do: send a blob whose bytes
//! are not the ones its descriptor names (the fetch refuses it, naming the
//! digest, and leaves no file under the digest's name), or forbid a pull
//! (the error names the registry, the repository and the secret to pass).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::super::session::redirect_tests::serve;
use super::super::session::{Options, Session};
use super::*;
use crate::digest::Digest;
use crate::oci::reference::Target;

fn ok(body: &[u8], content_type: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        String::from_utf8_lossy(body)
    )
}

#[tokio::test]
async fn a_blob_whose_bytes_do_not_match_its_digest_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let named = Digest::of(b"good").to_string();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": named, "size": 4},
        "layers": [],
    }))
    .unwrap();
    let manifest_digest = Digest::of(&manifest).to_string();
    let m = manifest.clone();
    serve(listener, Arc::new(Mutex::new(Vec::new())), move |line| {
        if line.contains("/manifests/") {
            ok(&m, "application/vnd.oci.image.manifest.v1+json")
        } else if line.contains("/blobs/") {
            // Four bytes, as named, but not those.
            ok(b"evil", "application/octet-stream")
        } else {
            ok(b"{}", "application/json")
        }
    });
    let s = Session::new(
        Target::parse("t", &format!("{addr}/m")).unwrap(),
        Options {
            insecure: &[],
            credentials: None,
            ca_pem: None,
            read_only: true,
        },
    )
    .await
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let e = layout(&s, &manifest_digest, None, out.path())
        .await
        .unwrap_err();
    assert!(
        e.contains(&format!("blob {named} from registry {addr}")) && e.contains("does not match"),
        "{e}"
    );
    assert!(e.contains(&Digest::of(b"evil").to_string()), "{e}");
    let hex = named.trim_start_matches("sha256:");
    assert!(!out.path().join("blobs/sha256").join(hex).exists());
    assert!(!out.path().join("index.json").exists());
}

#[tokio::test]
async fn a_forbidden_pull_names_the_registry_the_repository_and_the_secret() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    serve(listener, Arc::new(Mutex::new(Vec::new())), move |line| {
        if line.contains("/manifests/") {
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        } else {
            ok(b"{}", "application/json")
        }
    });
    let s = Session::new(
        Target::parse("t", &format!("{addr}/models/base")).unwrap(),
        Options {
            insecure: &[],
            credentials: None,
            ca_pem: None,
            read_only: true,
        },
    )
    .await
    .unwrap();
    let e = super::super::resolve::tag(&s, "v1").await.unwrap_err();
    assert!(
        e.contains(&format!("registry {addr} answered 403 Forbidden"))
            && e.contains("in repository models/base")
            && e.contains("may pull from it")
            && e.contains("--secret id=registry,src=$HOME/.docker/config.json"),
        "{e}"
    );
}
