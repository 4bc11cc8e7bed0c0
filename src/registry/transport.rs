//! How we talk to a registry: TLS verified against the public roots the
//! binary carries (Mozilla's, as `webpki-root-certs` ships them: our image
//! has no CA store) plus a private CA from the secret `registry-ca`, and
//! plain HTTP only where Docker allows it without asking (`localhost`,
//! 127.0.0.0/8, `::1`) or where `artifact.insecure-registries` names the
//! registry.
//!
//! rustls runs on `ring`: the binary is cross-compiled statically for
//! arm64 with Debian's gcc, which aws-lc-rs (reqwest's default provider)
//! does not build with there.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Once;
use std::time::Duration;

use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};

/// How long a connection may take to open: an unreachable registry is
/// named within a minute, not waited on.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a response may stall before the request counts as failed.
pub const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether `registry` (`host[:port]`) is spoken to over plain HTTP.
pub fn plain_http(registry: &str, insecure: &[String]) -> bool {
    let registry = registry.to_ascii_lowercase();
    if insecure.iter().any(|i| i.eq_ignore_ascii_case(&registry)) {
        return true;
    }
    let host = host_of(&registry);
    if insecure.iter().any(|i| i.eq_ignore_ascii_case(host)) {
        return true;
    }
    if host == "localhost" {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.octets()[0] == 127,
        Ok(IpAddr::V6(v6)) => v6.is_loopback(),
        Err(_) => false,
    }
}

/// The host of `host[:port]` (`[::1]:5000` gives `::1`).
fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match registry.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => registry,
    }
}

/// `http` or `https` for `registry`.
pub fn scheme(registry: &str, insecure: &[String]) -> &'static str {
    if plain_http(registry, insecure) {
        "http"
    } else {
        "https"
    }
}

/// Makes `ring` rustls' provider for this process (reqwest would panic
/// looking for one: it is built without its own).
pub fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Deprecated since rustls 0.23.48 for lacking post-quantum key
        // exchange, which only aws-lc-rs has; ring is what builds here.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        // Err only when one is installed already, which is as good.
        let _ = provider.install_default();
    });
}

/// Standard places of a system CA bundle (Debian's, Red Hat's, Alpine's).
const SYSTEM_BUNDLES: [&str; 3] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

/// Gives reqwest's platform verifier a CA bundle where the system has none
/// (our image, a scratch exec): the public roots we carry, written to a
/// file that `SSL_CERT_FILE` names.
///
/// Why: oci-client builds every client with `..Default::default()`, which
/// makes (and throws away) a `reqwest::Client::default()`; that one loads
/// the system's roots and panics when there are none, before our own
/// configuration (`tls_certs_only`, which is what verifies) is used. Call
/// it before any thread starts: it sets an environment variable.
pub fn provide_system_roots() -> Result<(), String> {
    let given = ["SSL_CERT_FILE", "SSL_CERT_DIR"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    if given || SYSTEM_BUNDLES.iter().any(|p| Path::new(p).is_file()) {
        return Ok(());
    }
    use base64::Engine as _;
    let mut pem = String::new();
    for c in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let b64 = base64::engine::general_purpose::STANDARD.encode(c.as_ref());
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let dir = std::env::temp_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let path = dir.join("artifact-frontend-roots.pem");
    std::fs::write(&path, pem).map_err(|e| format!("writing {}: {e}", path.display()))?;
    // SAFETY: called from `run_in_worker` before the runtime (or any other
    // thread) starts, so nothing reads the environment concurrently.
    unsafe { std::env::set_var("SSL_CERT_FILE", &path) };
    Ok(())
}

/// The roots a connection trusts: the public ones and `extra` (a private
/// CA's certificates, DER).
fn roots(extra: &[Vec<u8>]) -> Vec<Certificate> {
    let mut roots: Vec<Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| Certificate {
            encoding: CertificateEncoding::Der,
            data: c.as_ref().to_vec(),
        })
        .collect();
    for der in extra {
        roots.push(Certificate {
            encoding: CertificateEncoding::Der,
            data: der.clone(),
        });
    }
    roots
}

/// The certificates of a PEM file (the secret `registry-ca`), as DER.
pub fn ca_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let bad = "the secret \"registry-ca\" is not a PEM certificate (-----BEGIN CERTIFICATE-----)";
    let certs = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad.to_string())?;
    if certs.is_empty() {
        return Err(bad.to_string());
    }
    Ok(certs)
}

/// oci-client's configuration for `registry`.
pub fn oci_config(registry: &str, insecure: &[String], ca: &[Vec<u8>]) -> ClientConfig {
    install_crypto();
    ClientConfig {
        protocol: if plain_http(registry, insecure) {
            ClientProtocol::HttpsExcept(vec![registry.to_string()])
        } else {
            ClientProtocol::Https
        },
        tls_certs_only: roots(ca),
        connect_timeout: Some(CONNECT_TIMEOUT),
        read_timeout: Some(READ_TIMEOUT),
        user_agent: concat!("artifact-frontend/", env!("CARGO_PKG_VERSION")),
        ..Default::default()
    }
}

/// A reqwest client with the same trust, for the requests oci-client does
/// not make (see `upload` and `push`). reqwest drops `Authorization` when
/// a redirect leads to another host, so a registry sending us to blob
/// storage never gets our credentials sent there.
pub fn http_client(ca: &[Vec<u8>]) -> Result<reqwest::Client, String> {
    install_crypto();
    let mut certs = Vec::new();
    let ders = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| c.as_ref())
        .chain(ca.iter().map(Vec::as_slice));
    for der in ders {
        certs.push(reqwest::Certificate::from_der(der).map_err(|e| e.to_string())?);
    }
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .user_agent(concat!("artifact-frontend/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_plain_http_like_docker() {
        for r in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "::1",
        ] {
            assert!(plain_http(r, &[]), "{r}");
        }
    }

    #[test]
    fn everything_else_is_tls_unless_listed() {
        for r in [
            "registry.example.com",
            "10.0.0.1:5000",
            "128.0.0.1",
            "localhost.example.com",
            "[::2]:5000",
            "ghcr.io",
        ] {
            assert!(!plain_http(r, &[]), "{r}");
        }
        let insecure = [
            "10.0.0.1:5000".to_string(),
            "Registry.Example.com".to_string(),
        ];
        assert!(plain_http("10.0.0.1:5000", &insecure));
        // host:port listed: that port only.
        assert!(!plain_http("10.0.0.1:5001", &insecure));
        // a host listed: any port.
        assert!(plain_http("registry.example.com:8443", &insecure));
        assert_eq!(scheme("ghcr.io", &insecure), "https");
    }

    #[test]
    fn public_roots_are_carried() {
        assert!(roots(&[]).len() > 100);
        assert!(http_client(&[]).is_ok());
        let e = ca_certificates(b"not a certificate").unwrap_err();
        assert!(e.contains("registry-ca"), "{e}");
        let e = ca_certificates(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n")
            .unwrap_err();
        assert!(e.contains("registry-ca"), "{e}");
    }
}
