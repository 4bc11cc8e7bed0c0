use super::*;

fn ok(s: &str) -> Target {
    Target::parse("artifact.push", s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> String {
    Target::parse("artifact.push", s).expect_err(s)
}

#[test]
fn registry_repository_and_tag() {
    let t = ok("127.0.0.1:5000/models/tiny:v1");
    assert_eq!(t.registry, "127.0.0.1:5000");
    assert_eq!(t.repository, "models/tiny");
    assert_eq!(t.tag.as_deref(), Some("v1"));
    assert_eq!(t.to_string(), "127.0.0.1:5000/models/tiny:v1");
}

#[test]
fn no_tag_is_none_not_latest() {
    let t = ok("registry.example.com/models/tiny");
    assert_eq!(t.tag, None);
    // A port is not a tag.
    let t = ok("localhost:5000/tiny");
    assert_eq!((t.registry.as_str(), t.tag), ("localhost:5000", None));
}

#[test]
fn oci_scheme_is_accepted() {
    assert_eq!(
        ok("oci://ghcr.io/org/chart:1.0"),
        ok("ghcr.io/org/chart:1.0")
    );
}

#[test]
fn bare_names_are_docker_hub() {
    let t = ok("user/model:v2");
    assert_eq!(t.registry, "docker.io");
    assert_eq!(t.repository, "user/model");
    assert_eq!(t.api_host(), "index.docker.io");
    assert_eq!(ok("model").repository, "library/model");
}

#[test]
fn digests_schemes_and_garbage_are_refused() {
    assert!(err("r.example.com/a@sha256:0000000000000000000000000000000000000000000000000000000000000000").contains("names a digest"));
    assert!(err("https://r.example.com/a").contains("only oci://"));
    assert!(err("").contains("is empty"));
    assert!(err("R.example.com/UPPER:v1").contains("not a registry reference"));
    assert!(err("r.example.com/a:bad tag").contains("not a registry reference"));
}

#[test]
fn a_pull_names_a_registry_and_a_tag_or_a_digest() {
    let hex = "ab".repeat(32);
    let o = Origin::parse("oci://127.0.0.1:5000/e2e/busybox:1.36").unwrap();
    assert_eq!(o.target.registry, "127.0.0.1:5000");
    assert_eq!(o.target.repository, "e2e/busybox");
    assert_eq!(o.target.tag.as_deref(), Some("1.36"));
    assert_eq!(o.digest, None);
    let o = Origin::parse(&format!("localhost:5000/m@sha256:{hex}")).unwrap();
    assert_eq!(o.target.tag, None);
    assert_eq!(o.digest, Some(format!("sha256:{hex}")));
    assert_eq!(o.to_string(), format!("localhost:5000/m@sha256:{hex}"));
    let o = Origin::parse(&format!("r.example.com/m:v1@sha256:{hex}")).unwrap();
    assert_eq!(o.target.tag.as_deref(), Some("v1"));
    assert_eq!(o.to_string(), format!("r.example.com/m:v1@sha256:{hex}"));
}

#[test]
fn a_bad_pull_reference_says_what_is_wrong() {
    let e = Origin::parse("oci://busybox:1").unwrap_err();
    assert!(e.contains("names no registry"), "{e}");
    let e = Origin::parse("oci://r.example.com/m").unwrap_err();
    assert!(e.contains("neither a tag nor a digest"), "{e}");
    let e = Origin::parse("oci://r.example.com/m@sha256:abc").unwrap_err();
    assert!(e.contains("is not a digest"), "{e}");
    let e = Origin::parse("oci://r.example.com/M:v1").unwrap_err();
    assert!(e.contains("not a registry reference"), "{e}");
    let e = Origin::parse("oci://").unwrap_err();
    assert!(e.contains("names no registry reference"), "{e}");
}
