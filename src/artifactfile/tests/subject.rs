//! `SUBJECT` in both forms, and its errors.

use super::*;

#[test]
fn subject_descriptor() {
    let text = format!(
        "SUBJECT '{{\"mediaType\": \"application/vnd.oci.image.index.v1+json\", \
         \"digest\": \"sha256:{HEX}\", \"size\": 527, \"annotations\": {{}}}}'"
    );
    let a = one(&text);
    assert_eq!(
        a.subject,
        Some((
            Subject::Descriptor {
                media_type: "application/vnd.oci.image.index.v1+json".into(),
                digest: format!("sha256:{HEX}").parse().unwrap(),
                size: 527,
            },
            lines(1, 1)
        ))
    );
    let d = |body: &str| format!("SUBJECT '{{{body}}}'");
    let good_digest = format!("\"digest\":\"sha256:{HEX}\"");
    err(
        &d(&format!("\"mediatype\":\"m\",{good_digest},\"size\":1")),
        "needs \"mediaType\" (found \"mediatype\"",
        lines(1, 1),
    );
    err(
        &d(&format!("\"mediaType\":\"\",{good_digest},\"size\":1")),
        "\"mediaType\" must be a non-empty string",
        lines(1, 1),
    );
    err(
        &d("\"mediaType\":\"m\",\"digest\":\"sha256:ABC\",\"size\":1"),
        "is not sha256:<64 lowercase hex digits>",
        lines(1, 1),
    );
    err(
        &d(&format!("\"mediaType\":\"m\",{good_digest},\"size\":-1")),
        "\"size\" must be a non-negative integer",
        lines(1, 1),
    );
    err(
        &d(&format!("\"mediaType\":\"m\",{good_digest},\"size\":1.5")),
        "\"size\" must be a non-negative integer",
        lines(1, 1),
    );
    err(
        &d(&format!("\"mediaType\":\"m\",{good_digest}")),
        "needs \"size\"",
        lines(1, 1),
    );
    err("SUBJECT {\"mediaType\":", "not valid JSON", lines(1, 1));
    err("SUBJECT --size=1 '{}'", "is for a reference", lines(1, 1));
}

#[test]
fn subject_reference() {
    let a = one(&format!("SUBJECT --size=1234 reg.io/app:1@sha256:{HEX}"));
    assert_eq!(
        a.subject.unwrap().0,
        Subject::Reference {
            reference: format!("reg.io/app:1@sha256:{HEX}"),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            digest: format!("sha256:{HEX}").parse().unwrap(),
            size: 1234,
        }
    );
    let a = one(&format!("SUBJECT --media-type=m --size=0 app@sha256:{HEX}"));
    assert!(
        matches!(a.subject.unwrap().0, Subject::Reference { media_type, size: 0, .. } if media_type == "m")
    );
    err(
        &format!("SUBJECT app@sha256:{HEX}"),
        "needs --size=<bytes>: the frontend cannot look the manifest's size up",
        lines(1, 1),
    );
    err("SUBJECT --size=1 app:1", "has no digest", lines(1, 1));
    err(
        &format!("SUBJECT --size=1 @sha256:{HEX}"),
        "nothing before \"@\"",
        lines(1, 1),
    );
    err(
        "SUBJECT --size=1 app@sha512:abc",
        "is not sha256:<64 lowercase hex digits>",
        lines(1, 1),
    );
    err(
        &format!("SUBJECT --size=x app@sha256:{HEX}"),
        "--size=\"x\" is not a byte count",
        lines(1, 1),
    );
    err(
        &format!("SUBJECT --size=1 --size=2 app@sha256:{HEX}"),
        "--size is given twice",
        lines(1, 1),
    );
    err(
        &format!("SUBJECT --sise=1 app@sha256:{HEX}"),
        "(did you mean \"--size\"?)",
        lines(1, 1),
    );
    err(
        "SUBJECT",
        "SUBJECT takes one descriptor or reference, got 0",
        lines(1, 1),
    );
    let twice = format!("SUBJECT --size=1 a@sha256:{HEX}\nSUBJECT --size=1 a@sha256:{HEX}");
    err(
        &twice,
        "SUBJECT is given twice (first on line 1)",
        lines(2, 2),
    );
}
