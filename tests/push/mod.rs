//! End-to-end pushes (`artifact.push`): the build pushes what it built
//! from the worker, over the host's network (the fixtures' dockerds run
//! with `--bridge=none`, so a build step reaches a registry on 127.0.0.1
//! through `artifact.network=host`, allowed by the client), to the
//! fixtures' open registry, to one with htpasswd auth started here
//! (credentials as the BuildKit secret `registry`), and to one serving TLS
//! with a certificate from a CA made here (trusted through the secret
//! `registry-ca`, refused without it). What the registry
//! holds is read back with skopeo and compared with the layout exported
//! by the same command, byte for byte; a rebuild after a card edit sends
//! the card and nothing else of the model.

use std::path::Path;
use std::process::{Command, Output};

use anyhow::{Context, Result, ensure};
use base64::Engine as _;
use serde_json::Value;

use crate::registry_fixture::server::{
    Options, TestRegistry, make_ca_and_server_cert, outside_address,
};
use crate::support::skopeo;
use crate::{Case, Ctx, IMAGE};

/// The cases of this file.
pub const CASES: &[(&str, Case)] = &[
    (
        "push_to_open_and_htpasswd_registries",
        push_to_open_and_htpasswd_registries,
    ),
    (
        "push_to_a_registry_with_a_private_ca",
        push_to_a_registry_with_a_private_ca,
    ),
];

/// `docker build` of `dir`'s Artifactfile into `out`, pushing to `push`,
/// with host networking allowed the way this daemon's client allows it,
/// and `secret` as the secret `registry`.
fn build_push(
    ctx: &Ctx,
    dir: &Path,
    out: &Path,
    push: &str,
    secret: Option<&Path>,
) -> Result<Output> {
    let secrets: Vec<(&str, &Path)> = secret.map(|s| ("registry", s)).into_iter().collect();
    build_push_allowed(ctx, dir, out, push, &secrets, true)
}

/// [`build_push`], with host networking allowed by the client or not.
fn build_push_allowed(
    ctx: &Ctx,
    dir: &Path,
    out: &Path,
    push: &str,
    secrets: &[(&str, &Path)],
    allow_host: bool,
) -> Result<Output> {
    let mut cmd = ctx.docker_build();
    cmd.args(["--progress=plain", "-f"])
        .arg(dir.join("Artifactfile"))
        .args(["--build-arg", &format!("artifact.push={push}")]);
    host_network(ctx, &mut cmd, allow_host);
    for (id, src) in secrets {
        cmd.arg("--secret")
            .arg(format!("id={id},src={}", src.display()));
    }
    cmd.arg("--output")
        .arg(format!("type=local,dest={}", out.display()))
        .arg(dir);
    cmd.output().context("running docker build")
}

/// The manifest `index.json` of `layout` tags `tag`, as bytes.
fn tagged_manifest(layout: &Path, tag: &str) -> Result<Vec<u8>> {
    let index: Value = serde_json::from_slice(&std::fs::read(layout.join("index.json"))?)?;
    let entry = index["manifests"]
        .as_array()
        .context("manifests")?
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .with_context(|| format!("no entry tagged {tag}"))?;
    let digest = entry["digest"].as_str().context("digest")?;
    let hex = digest.strip_prefix("sha256:").context("sha256")?;
    Ok(std::fs::read(layout.join("blobs/sha256").join(hex))?)
}

/// Asks for host networking (`artifact.network=host`), allowed by the
/// client the way this daemon's client allows it when `allow`.
pub fn host_network(ctx: &Ctx, cmd: &mut Command, allow: bool) {
    cmd.args(["--build-arg", "artifact.network=host"]);
    if allow && ctx.daemon().buildx.is_some() {
        cmd.args(["--allow", "network.host"]);
    } else if allow {
        // `docker build` 20.10 has no --allow: --network host grants it.
        cmd.args(["--network", "host"]);
    }
}

pub fn registry_manifest(reference: &str, creds: Option<&str>) -> Result<Vec<u8>> {
    let r = format!("docker://{reference}");
    let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
    if let Some(c) = creds {
        args.extend(["--creds", c]);
    }
    args.push(&r);
    Ok(skopeo(&args)?.stdout)
}

fn push_to_open_and_htpasswd_registries(ctx: &Ctx) -> Result<()> {
    let dir = ctx.dir("push");
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.model.v1\n\
             LAYER application/octet-stream model.bin\nLAYER text/markdown CARD.md\nTAG v1\n"
        ),
    )?;
    let weights: Vec<u8> = (0..(4u32 << 20)).map(|i| (i * 31 % 253) as u8).collect();
    std::fs::write(dir.join("model.bin"), &weights)?;
    std::fs::write(dir.join("CARD.md"), "# tiny\n")?;

    // The open registry, no tag given: the file's TAG is pushed.
    let repo = format!("{}/e2e/push-{}", ctx.fx.registry, ctx.daemon().name);
    let out = ctx.dir("push-out");
    let o = build_push(ctx, &dir, &out, &repo, None)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "build with push failed:\n{log}");
    ensure!(
        log.contains("[artifact] push to"),
        "no push step in the log:\n{log}"
    );
    let want = tagged_manifest(&out, "v1")?;
    ensure!(
        registry_manifest(&format!("{repo}:v1"), None)? == want,
        "the registry's manifest differs from the exported layout's"
    );

    // The card edited: the weights are present and not sent again.
    std::fs::write(dir.join("CARD.md"), "# tiny, edited\n")?;
    let out2 = ctx.dir("push-out2");
    let o = build_push(ctx, &dir, &out2, &repo, None)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "second build with push failed:\n{log}");
    ensure!(
        log.contains("(4.0 MiB): present, not sent") && log.contains("1 blob(s) sent"),
        "the second push did not send only the card:\n{log}"
    );
    ensure!(registry_manifest(&format!("{repo}:v1"), None)? == tagged_manifest(&out2, "v1")?);

    // Host networking the client did not allow: the error says what to add.
    let o = build_push_allowed(ctx, &dir, &ctx.dir("push-out-denied"), &repo, &[], false)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(
        !o.status.success(),
        "a push over a host network nobody allowed succeeded:\n{log}"
    );
    ensure!(
        log.contains("--allow network.host"),
        "the error does not say to allow network.host:\n{log}"
    );

    // A registry with htpasswd: without the secret, a 401 that says what
    // to pass; with it, the push.
    let reg = TestRegistry::start(&Options {
        htpasswd: Some(("e2e", "e2e-pw-9")),
        ..Options::default()
    })?;
    let target = format!("{}/e2e/model:v2", reg.addr);
    let out3 = ctx.dir("push-out3");
    let o = build_push(ctx, &dir, &out3, &target, None)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(
        !o.status.success(),
        "push without credentials succeeded:\n{log}"
    );
    ensure!(
        log.contains("401") && log.contains("--secret id=registry") && log.contains(&reg.addr),
        "the error does not say what to pass:\n{log}"
    );
    let secret = ctx.tmp.path().join("push-config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("e2e:e2e-pw-9");
    std::fs::write(
        &secret,
        serde_json::to_vec(&serde_json::json!({"auths": {reg.addr.clone(): {"auth": auth}}}))?,
    )?;
    let o = build_push(ctx, &dir, &out3, &target, Some(&secret))?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "push with credentials failed:\n{log}");
    ensure!(
        !log.contains("e2e-pw-9"),
        "the password is in the build log"
    );
    ensure!(
        registry_manifest(&target, Some("e2e:e2e-pw-9"))? == tagged_manifest(&out3, "v1")?,
        "the authenticated registry's manifest differs from the layout's"
    );
    Ok(())
}

/// A registry serving TLS (on an address of this machine that is not
/// loopback, which would be plain HTTP) with a certificate from a CA the
/// test makes: refused without the CA, the error naming the secret that
/// trusts it; pushed to with the CA passed as the secret `registry-ca`.
fn push_to_a_registry_with_a_private_ca(ctx: &Ctx) -> Result<()> {
    let Some(ip) = outside_address() else {
        anyhow::bail!("this machine has no address but loopback for a TLS registry");
    };
    let certs = ctx.dir("push-tls-certs");
    make_ca_and_server_cert(&certs, &ip)?;
    let (cert, key) = (certs.join("server.pem"), certs.join("server.key"));
    let reg = TestRegistry::start(&Options {
        host: Some(&ip),
        tls: Some((&cert, &key)),
        ..Options::default()
    })?;
    let dir = ctx.dir("push-tls");
    std::fs::write(
        dir.join("Artifactfile"),
        format!(
            "# syntax={IMAGE}\nARTIFACT application/vnd.example.model.v1\n\
             LAYER text/markdown CARD.md\nTAG v1\n"
        ),
    )?;
    std::fs::write(dir.join("CARD.md"), "# served over TLS\n")?;
    let target = format!("{}/e2e/tls", reg.addr);

    let o = build_push(ctx, &dir, &ctx.dir("push-tls-out0"), &target, None)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(
        !o.status.success(),
        "a push to an untrusted registry succeeded:\n{log}"
    );
    ensure!(
        log.contains("not trusted")
            && log.contains("--secret id=registry-ca")
            && log.contains(&reg.addr),
        "the error does not say the certificate is not trusted and how to trust it:\n{log}"
    );
    ensure!(
        reg.requests("POST", "/blobs/uploads/") == 0,
        "something was uploaded to the untrusted registry"
    );

    let out = ctx.dir("push-tls-out");
    let ca = certs.join("ca.pem");
    let o = build_push_allowed(ctx, &dir, &out, &target, &[("registry-ca", &ca)], true)?;
    let log = String::from_utf8_lossy(&o.stderr).into_owned();
    ensure!(o.status.success(), "push with registry-ca failed:\n{log}");
    let cert_dir = ctx.dir("push-tls-skopeo");
    std::fs::copy(&ca, cert_dir.join("ca.crt"))?;
    let read = Command::new("skopeo")
        .args(["inspect", "--raw", "--cert-dir"])
        .arg(&cert_dir)
        .arg(format!("docker://{target}:v1"))
        .output()
        .context("running skopeo")?;
    ensure!(
        read.status.success(),
        "skopeo, trusting the CA, can't read the pushed manifest: {}",
        String::from_utf8_lossy(&read.stderr)
    );
    ensure!(
        read.stdout == tagged_manifest(&out, "v1")?,
        "the registry's manifest differs from the layout's"
    );
    Ok(())
}
