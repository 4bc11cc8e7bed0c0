//! The upload against a fake registry that loses part of a chunk: the
//! upload asks where it stands and sends the rest, and what the registry
//! ends up with is the blob.

use std::io::{BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::*;
use crate::oci::reference::Target;
use crate::registry::session::Options;
use crate::registry::session::redirect_tests::{header, read_head};

/// What the fake registry saw and holds.
#[derive(Default)]
struct Fake {
    stored: Vec<u8>,
    patches: u32,
    statuses: u32,
    committed: Option<String>,
}

/// Serves one request on `stream` (each answered with `Connection: close`).
fn serve(stream: std::net::TcpStream, fake: &Mutex<Fake>, lose_after: usize) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let (line, headers) = read_head(&mut r);
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or("").to_string(),
    );
    let len: usize = header(&headers, "content-length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).unwrap();
    let mut f = fake.lock().unwrap();
    let (status, headers) = match (method, path.as_str()) {
        ("GET", "/v2/") => ("200 OK", String::new()),
        ("POST", _) => (
            "202 Accepted",
            "Location: /v2/m/blobs/uploads/u1\r\n".to_string(),
        ),
        ("PATCH", _) => {
            f.patches += 1;
            if f.patches == 1 {
                // Keeps part of the first chunk, then fails.
                f.stored.extend_from_slice(&body[..lose_after]);
                ("500 Internal Server Error", String::new())
            } else {
                f.stored.extend_from_slice(&body);
                let range = format!(
                    "Range: 0-{}\r\nLocation: /v2/m/blobs/uploads/u1\r\n",
                    f.stored.len() - 1
                );
                ("202 Accepted", range)
            }
        }
        ("GET", _) => {
            f.statuses += 1;
            let range = format!(
                "Range: 0-{}\r\nLocation: /v2/m/blobs/uploads/u1\r\n",
                f.stored.len() - 1
            );
            ("204 No Content", range)
        }
        ("PUT", p) => {
            f.committed = p.split("digest=").nth(1).map(str::to_string);
            ("201 Created", String::new())
        }
        _ => ("404 Not Found", String::new()),
    };
    let mut w = stream;
    let _ = write!(
        w,
        "HTTP/1.1 {status}\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

#[tokio::test]
async fn a_failed_chunk_resumes_where_the_registry_stands() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let fake = Arc::new(Mutex::new(Fake::default()));
    let lose_after = 1000;
    {
        let fake = fake.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(s) = s else { break };
                serve(s, &fake, lose_after);
            }
        });
    }
    let dir = tempfile::tempdir().unwrap();
    let blob_bytes: Vec<u8> = (0..5000u32).map(|i| (i % 241) as u8).collect();
    let path = dir.path().join("blob");
    std::fs::write(&path, &blob_bytes).unwrap();
    let digest = crate::digest::Digest::of(&blob_bytes).to_string();
    let target = Target::parse("t", &format!("{addr}/m")).unwrap();
    let s = Session::new(
        target,
        Options {
            insecure: &[],
            credentials: None,
            ca_pem: None,
            read_only: false,
        },
    )
    .await
    .unwrap();
    let sent = blob(&s, &digest, &path, blob_bytes.len() as u64)
        .await
        .unwrap();
    let f = fake.lock().unwrap();
    assert!(
        f.stored == blob_bytes,
        "the registry holds {} bytes that are not the blob's {}",
        f.stored.len(),
        blob_bytes.len()
    );
    assert_eq!((f.patches, f.statuses, sent.resumed), (2, 1, 1));
    assert_eq!(f.committed.as_deref(), Some(digest.as_str()));
    // Only what the registry lacked was sent again.
    assert_eq!(sent.bytes, 5000 + 5000 - lose_after as u64);
}
