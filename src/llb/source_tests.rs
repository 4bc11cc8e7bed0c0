//! Tests of `source.rs`: image references against distribution/reference.

use super::*;

const HEX: &str = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

fn normal(reference: &str) -> String {
    match ImageRef::parse(reference) {
        Ok(r) => r.as_str().to_string(),
        Err(e) => panic!("{reference:?}: {e}"),
    }
}

/// The reason `reference` is refused, checked to contain `fragment`.
fn refused(reference: &str, fragment: &str) {
    match ImageRef::parse(reference) {
        Ok(r) => panic!("{reference:?} was taken as {r}"),
        Err(LlbError::InvalidImageRef { reason, .. }) => {
            assert!(reason.contains(fragment), "{reference:?}: {reason:?}")
        }
        Err(e) => panic!("{reference:?}: {e}"),
    }
}

#[test]
fn upper_case_repositories_are_refused_whatever_the_tag_or_digest() {
    let lowercase = "must be lowercase";
    refused("Alpine", lowercase);
    refused("Alpine:3", lowercase);
    refused(&format!("Alpine@sha256:{HEX}"), lowercase);
    refused(&format!("Alpine:3@sha256:{HEX}"), lowercase);
    refused("docker.io/Library/alpine:3", lowercase);
    refused("ghcr.io/Org/x:1", lowercase);
    refused("localhost:5000/x/Y:1", lowercase);
    let e = ImageRef::parse("Alpine:3").unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid image reference \"Alpine:3\": repository name (library/Alpine) must be lowercase"
    );
}

#[test]
fn upper_case_is_for_the_registry_and_the_tag() {
    assert_eq!(normal("alpine:V3_A"), "docker.io/library/alpine:V3_A");
    assert_eq!(
        normal("Registry.Example:5000/x:1"),
        "Registry.Example:5000/x:1"
    );
    // As in Go, an upper-case first component can only be a registry.
    assert_eq!(normal("Library/alpine:3"), "Library/alpine:3");
}

#[test]
fn registries_with_ports_and_names_with_tags() {
    for (i, o) in [
        ("alpine:3", "docker.io/library/alpine:3"),
        ("localhost:5000/x", "localhost:5000/x:latest"),
        ("registry:5000/x", "registry:5000/x:latest"),
        ("registry:5000/x:1", "registry:5000/x:1"),
        ("[::1]:5000/x", "[::1]:5000/x:latest"),
        ("[fe80::1]/x:1", "[fe80::1]/x:1"),
        (
            "a-b.example/c/d__e/f--g.h_i:1.0-rc_1",
            "a-b.example/c/d__e/f--g.h_i:1.0-rc_1",
        ),
        // splitDockerDomain's Docker Hub spellings.
        ("docker.io/alpine", "docker.io/library/alpine:latest"),
        (
            "index.docker.io/library/alpine:3",
            "docker.io/library/alpine:3",
        ),
        ("index.docker.io/u/app", "docker.io/u/app:latest"),
        // No valid host, yet the whole name is a valid path.
        ("my_registry.io/x", "my_registry.io/x:latest"),
        (
            &format!("ghcr.io/o/r:1@sha256:{HEX}"),
            &format!("ghcr.io/o/r:1@sha256:{HEX}"),
        ),
    ] {
        assert_eq!(normal(i), o, "{i:?}");
    }
}

#[test]
fn the_rest_of_the_grammar() {
    // The misspelled `frontend:` prefix that BuildKit reports as "too many
    // colons in address".
    refused(
        "frontnd:registry.example/x:1",
        "the registry \"frontnd:registry.example\"",
    );
    refused("host:/x", "the registry");
    refused("alpine:a/b", "the registry \"alpine:a\"");
    refused("[::1/x", "the registry");
    refused("[::g]:5000/x", "the registry");
    refused("-a.example/x", "the registry");
    refused("a..b/x", "the registry");
    for tag in ["alpine:", "alpine:-x", "alpine:.x", "alpine:a:b"] {
        refused(tag, "the tag");
    }
    refused(&format!("alpine:{}", "t".repeat(129)), "the tag");
    assert!(ImageRef::parse(&format!("alpine:{}", "t".repeat(128))).is_ok());
    for path in ["u/-x", "u/x_", "u/x___y", "u/x.-y", "u/x!", "u/é"] {
        refused(path, "the repository name");
    }
    refused("u//x", "is empty");
    refused("docker.io/", "is empty");
    refused(HEX, "image ID");
    refused(&format!("r.io/{}", "a".repeat(256)), "longer than 255");
    let huge = format!("r.io/{}!", "a".repeat(1 << 20));
    let e = ImageRef::parse(&huge).unwrap_err();
    assert!(matches!(e, LlbError::InvalidImageRef { reason, .. } if reason.len() < 200));
    assert!(ImageRef::parse(&format!("r.io/{}", "a".repeat(255))).is_ok());
}
