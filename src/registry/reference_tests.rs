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
