//! Tests of `config.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn config_has_go_field_order_and_omits_empty_fields() {
    let c = ModelConfig {
        name: "tiny<chat>".into(),
        family: "qwen3".into(),
        architecture: "transformer".into(),
        param_size: "1.1b".into(),
        ..Default::default()
    };
    let json = c.to_json(
        Some("2023-11-14T22:13:20Z"),
        &["sha256:aa".into(), "sha256:bb".into()],
    );
    assert_eq!(
        String::from_utf8(json).unwrap(),
        r#"{"descriptor":{"createdAt":"2023-11-14T22:13:20Z","family":"qwen3","name":"tiny\u003cchat\u003e"},"modelfs":{"type":"layers","diffIds":["sha256:aa","sha256:bb"]},"config":{"architecture":"transformer","paramSize":"1.1b"}}"#
    );
    let bare = ModelConfig::default().to_json(None, &["sha256:aa".into()]);
    assert_eq!(
        String::from_utf8(bare).unwrap(),
        r#"{"descriptor":{},"modelfs":{"type":"layers","diffIds":["sha256:aa"]},"config":{}}"#
    );
}

#[test]
fn metadata_is_constant_but_for_the_file() {
    let m = FileMetadata {
        name: "model.safetensors",
        mode: 0o100644,
        size: 12,
        mtime: "1970-01-01T00:00:00Z",
        dir: false,
    };
    assert_eq!(
        file_metadata_json(&m),
        r#"{"name":"model.safetensors","mode":420,"uid":0,"gid":0,"size":12,"mtime":"1970-01-01T00:00:00Z","typeflag":0}"#
    );
    let d = FileMetadata {
        name: "docs",
        mode: 0o755,
        size: 0,
        dir: true,
        ..m
    };
    assert!(
        file_metadata_json(&d)
            .ends_with(r#""size":0,"mtime":"1970-01-01T00:00:00Z","typeflag":5}"#)
    );
}

#[test]
fn an_extended_config_lists_every_layer_and_takes_no_time_from_the_base() {
    let base = serde_json::json!({
        "descriptor": {"name": "tiny", "createdAt": "2020-01-01T00:00:00Z"},
        "modelfs": {"type": "layers", "diffIds": ["sha256:aa"]},
        "config": {"format": "safetensors"}
    });
    let ids = [
        crate::digest::Digest::of(b"base"),
        crate::digest::Digest::of(b"adapter"),
    ];
    let stamped = extended(&base, &ids, Some("2023-11-14T22:13:20Z")).unwrap();
    assert_eq!(stamped["descriptor"]["createdAt"], "2023-11-14T22:13:20Z");
    assert_eq!(
        stamped["modelfs"]["diffIds"],
        serde_json::json!([ids[0].to_string(), ids[1].to_string()])
    );
    assert_eq!(stamped["config"], base["config"]);
    let unstamped = extended(&base, &ids, None).unwrap();
    assert!(
        unstamped["descriptor"].get("createdAt").is_none(),
        "{unstamped}"
    );
    assert_eq!(unstamped["descriptor"]["name"], "tiny");
    assert!(extended(&serde_json::json!([1]), &ids, None).is_err());
}
