//! Credentials stay with the registry: a redirect to another host (blob
//! storage) is followed without them.

use std::io::{BufRead, BufReader, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::*;
use crate::registry::auth::Credentials;

/// The request line and headers a client sent on `r` (its body is left
/// to read).
pub(in crate::registry) fn read_head(r: &mut impl BufRead) -> (String, Vec<(String, String)>) {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).unwrap();
        if h.trim().is_empty() {
            return (line, headers);
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
}

/// The value of header `name` (lower case) among `headers`.
pub(in crate::registry) fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Serves every connection of `listener` with `answer(request line)`,
/// recording each request's `Authorization` header (or "").
pub(in crate::registry) fn serve(
    listener: TcpListener,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    answer: impl Fn(&str) -> String + Send + 'static,
) {
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { break };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let (line, headers) = read_head(&mut r);
            let auth = header(&headers, "authorization").unwrap_or_default();
            seen.lock().unwrap().push((line.trim().to_string(), auth));
            let mut w = s;
            let _ = w.write_all(answer(&line).as_bytes());
        }
    });
}

#[tokio::test]
async fn a_redirect_to_another_host_carries_no_credentials() {
    let registry = TcpListener::bind("127.0.0.1:0").unwrap();
    let storage = TcpListener::bind("127.0.0.2:0").unwrap();
    let (reg_addr, storage_addr) = (
        registry.local_addr().unwrap().to_string(),
        storage.local_addr().unwrap().to_string(),
    );
    let at_registry = Arc::new(Mutex::new(Vec::new()));
    let at_storage = Arc::new(Mutex::new(Vec::new()));
    serve(registry, at_registry.clone(), move |line| {
        if line.starts_with("GET /v2/ ") {
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
        } else {
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: http://{storage_addr}/blob\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
    });
    serve(storage, at_storage.clone(), |_| {
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".to_string()
    });
    let s = Session::new(
        Target::parse("t", &format!("{reg_addr}/m")).unwrap(),
        Options {
            insecure: &[],
            credentials: Some(Credentials::Basic {
                username: "u".into(),
                password: "secret-pw".into(),
            }),
            ca_pem: None,
            read_only: false,
        },
    )
    .await
    .unwrap();
    let url = s.url("blobs/sha256:00");
    let r = s.send("a blob", |c| c.get(&url)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let reg = at_registry.lock().unwrap();
    assert!(
        reg.iter()
            .any(|(l, a)| l.contains("/blobs/") && a.starts_with("Basic ")),
        "the registry got no credentials: {reg:?}"
    );
    let sto = at_storage.lock().unwrap();
    assert_eq!(sto.len(), 1, "{sto:?}");
    assert_eq!(sto[0].1, "", "credentials went to the storage host");
}
