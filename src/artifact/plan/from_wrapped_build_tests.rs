//! Tests of `from_wrapped_build.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn reads_artifact_metadata_per_platform() {
    let md: BTreeMap<String, Vec<u8>> = [
        ("containerimage.artifact", "true"),
        ("containerimage.artifact.config.mediatype", "a/c"),
        ("containerimage.artifact.layers", r#"[{"path":"x","mediaType":"a/b"}]"#),
        ("containerimage.artifact.layers/linux/arm64", r#"[{"path":"y","mediaType":"a/b"}]"#),
        ("refs.platforms", r#"{"Platforms":[{"ID":"linux/amd64","Platform":{"os":"linux","architecture":"amd64"}},{"ID":"linux/arm64","Platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#),
        ("source.date.epoch", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
    .collect();
    let (_, c, l) = from_metadata(&md, Some("linux/amd64")).unwrap().unwrap();
    assert_eq!((c.as_str(), l[0].path.as_str()), ("a/c", "x"));
    let (_, _, l) = from_metadata(&md, Some("linux/arm64")).unwrap().unwrap();
    assert_eq!(l[0].path, "y");
    let p = platforms(&md).unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(p[1].1.variant().as_deref(), Some("v8"));
    assert_eq!(
        kept_metadata(&md).keys().collect::<Vec<_>>(),
        ["source.date.epoch"]
    );
    assert!(from_metadata(&BTreeMap::new(), None).unwrap().is_none());
}
