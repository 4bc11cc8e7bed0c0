use super::*;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn auth_username_password_and_identitytoken() {
    let json = format!(
        r#"{{"auths":{{
            "127.0.0.1:5001":{{"auth":"{}"}},
            "https://index.docker.io/v1/":{{"username":"hub","password":"pw2"}},
            "ghcr.io":{{"identitytoken":"refresh"}},
            "empty.example.com":{{}}
        }}}}"#,
        b64("alice:s3cr:et")
    );
    let c = AuthConfig::parse("secret", json.as_bytes()).unwrap();
    assert_eq!(
        c.for_registry("127.0.0.1:5001").unwrap(),
        Some(Credentials::Basic {
            username: "alice".into(),
            password: "s3cr:et".into()
        })
    );
    // Docker Hub under any of its names.
    for name in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
        assert!(
            matches!(c.for_registry(name).unwrap(), Some(Credentials::Basic { username, .. }) if username == "hub"),
            "{name}"
        );
    }
    assert_eq!(
        c.for_registry("ghcr.io").unwrap(),
        Some(Credentials::IdentityToken("refresh".into()))
    );
    assert_eq!(c.for_registry("empty.example.com").unwrap(), None);
    assert_eq!(c.for_registry("other.example.com").unwrap(), None);
}

#[test]
fn helpers_only_are_refused_with_what_to_pass() {
    let c = AuthConfig::parse(
        "secret",
        br#"{"auths":{"ghcr.io":{}},"credsStore":"desktop","credHelpers":{"123.dkr.ecr.us-east-1.amazonaws.com":"ecr-login"}}"#,
    )
    .unwrap();
    let e = c.for_registry("ghcr.io").unwrap_err();
    assert!(e.contains("docker-credential-desktop"), "{e}");
    assert!(e.contains("--secret id=registry"), "{e}");
    let e = c
        .for_registry("123.dkr.ecr.us-east-1.amazonaws.com")
        .unwrap_err();
    assert!(e.contains("docker-credential-ecr-login"), "{e}");
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let json = format!(
        r#"{{"auths":{{"r.example.com":{{"auth":"{}"}}}}}}"#,
        b64("bob:hunter2")
    );
    let c = AuthConfig::parse("secret", json.as_bytes()).unwrap();
    let shown = format!("{c:?} {:?}", c.for_registry("r.example.com").unwrap());
    assert!(!shown.contains("hunter2"), "{shown}");
    // A broken file: the message says where, not what.
    let e = AuthConfig::parse("secret", br#"{"auths":{"r":{"auth":"hunter2!!"}}}"#).unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
    let e = AuthConfig::parse("secret", b"{\"auths\": hunter2}").unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
}
