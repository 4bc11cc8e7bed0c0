//! A `docker-registry` a test starts for itself, beside the fixtures' open
//! one on 127.0.0.1:5000: on a free port, with htpasswd auth
//! (`apache2-utils`) or TLS when asked, its access log kept (one line per
//! request: what a push really sent), stopped by PID when dropped. Also a
//! CA made with openssl and a server certificate it signs, for a registry
//! that a client trusts only through the CA.
//!
//! Shared by the registry client's tests (`tests/registry_push.rs`) and
//! the end-to-end pushes (`tests/push/`).

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

/// How to start one.
#[derive(Default)]
pub struct Options<'a> {
    /// The address to listen on; 127.0.0.1 when `None`.
    pub host: Option<&'a str>,
    /// `(user, password)` for htpasswd auth.
    pub htpasswd: Option<(&'a str, &'a str)>,
    /// A certificate and its key (PEM files) to serve TLS with.
    pub tls: Option<(&'a Path, &'a Path)>,
}

/// A running registry of ours.
pub struct TestRegistry {
    child: Child,
    /// `host:port`.
    pub addr: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        // Ours, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestRegistry {
    /// Starts one as `opts` says and waits until it listens.
    pub fn start(opts: &Options) -> Result<TestRegistry> {
        let dir = tempfile::tempdir()?;
        let host = opts.host.unwrap_or("127.0.0.1");
        let port = TcpListener::bind(format!("{host}:0"))?.local_addr()?.port();
        let addr = format!("{host}:{port}");
        let auth = match opts.htpasswd {
            None => String::new(),
            Some((u, p)) => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", u, p])
                    .output()
                    .context("running htpasswd (apt-get install -y apache2-utils)")?;
                ensure!(out.status.success(), "htpasswd failed");
                std::fs::write(dir.path().join("htpasswd"), &out.stdout)?;
                format!(
                    "auth:\n  htpasswd:\n    realm: test\n    path: {}\n",
                    dir.path().join("htpasswd").display()
                )
            }
        };
        let tls = match opts.tls {
            None => String::new(),
            Some((cert, key)) => format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            ),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
             delete:\n    enabled: true\nhttp:\n  addr: {addr}\n{tls}{auth}",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config)?;
        let log = dir.path().join("access.log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(dir.path().join("registry.err"))?)
            .stdin(Stdio::null())
            .spawn()
            .context("starting docker-registry")?;
        let r = TestRegistry {
            child,
            addr,
            log,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&r.addr).is_err() {
            ensure!(
                Instant::now() < deadline,
                "docker-registry did not start on {}",
                r.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(r)
    }

    /// How many requests of `method` to a path containing `path_part` the
    /// access log holds.
    pub fn requests(&self, method: &str, path_part: &str) -> usize {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let m = format!("\"{method} ");
        log.lines()
            .filter(|l| l.contains(&m) && l.contains(path_part))
            .count()
    }
}

/// An IPv4 address of this machine that is not loopback (a registry on
/// loopback is spoken to over plain HTTP, as Docker does, so TLS needs
/// another), from `hostname -I`.
pub fn outside_address() -> Option<String> {
    let out = Command::new("hostname").arg("-I").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|a| {
            a.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| !ip.is_loopback())
        })
        .map(String::from)
}

/// Runs openssl with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .context("running openssl")?;
    ensure!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A CA made here (`ca.pem`) and a server certificate it signed for `ip`
/// (`server.pem`, `server.key`), written to `dir`.
pub fn make_ca_and_server_cert(dir: &Path, ip: &str) -> Result<()> {
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(key);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]);
    ca.extend(["-subj", "/CN=artifact test CA"]);
    openssl(dir, &ca)?;
    let mut csr = vec!["req"];
    csr.extend(key);
    csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
    csr.extend(["-subj", "/CN=registry"]);
    openssl(dir, &csr)?;
    std::fs::write(
        dir.join("ext.cnf"),
        format!("subjectAltName=IP:{ip}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"),
    )?;
    let mut sign = vec!["x509", "-req", "-in", "server.csr", "-CA", "ca.pem"];
    sign.extend(["-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem"]);
    sign.extend(["-days", "2", "-extfile", "ext.cnf"]);
    openssl(dir, &sign)
}
