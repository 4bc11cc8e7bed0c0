//! Tests of `artifact.tag` on a plan: the one entry gets the tags; a
//! plan tagged already, or of several entries, is refused with the fix.

use std::collections::BTreeMap;

use super::*;
use crate::artifact::plan::types::{ConfigSource, ManifestPlan};
use crate::oci::IndexEntry;

fn manifest(id: Option<&str>, tags: &[&str]) -> ManifestPlan {
    ManifestPlan {
        id: id.map(str::to_string),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        platform: None,
        artifact_type: Some("application/vnd.example.v1".into()),
        config_media_type: crate::oci::EMPTY_JSON_MEDIA_TYPE.into(),
        config: ConfigSource::Inline(b"{}".to_vec()),
        layers: Vec::new(),
        empty_layer_if_none: true,
        annotations: BTreeMap::new(),
        subject: None,
        model: None,
    }
}

fn tags(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

#[test]
fn the_one_manifest_gets_the_tags() {
    let plan = Plan {
        manifests: vec![manifest(None, &[])],
        ..Default::default()
    };
    let plan = plan.tagged(&tags(&["v1", "latest"])).unwrap();
    assert_eq!(plan.manifests[0].tags, tags(&["v1", "latest"]));
}

#[test]
fn no_option_changes_nothing_even_with_several_entries() {
    let plan = Plan {
        manifests: vec![manifest(Some("a"), &["x"]), manifest(Some("b"), &[])],
        ..Default::default()
    };
    let plan = plan.tagged(&[]).unwrap();
    assert_eq!(plan.manifests[0].tags, tags(&["x"]));
    assert!(plan.manifests[1].tags.is_empty());
}

#[test]
fn a_file_that_tags_its_output_is_not_tagged_twice() {
    let plan = Plan {
        manifests: vec![manifest(None, &["v0"])],
        ..Default::default()
    };
    let e = plan.tagged(&tags(&["v1"])).unwrap_err().message;
    assert!(
        e.contains("artifact.tag=v1") && e.contains("tagged already (v0"),
        "{e}"
    );
    assert!(
        e.contains("drop artifact.tag, or the file's TAG lines"),
        "{e}"
    );
}

#[test]
fn several_entries_are_named_and_refused() {
    let plan = Plan {
        manifests: vec![manifest(Some("model"), &[]), manifest(Some("card"), &[])],
        ..Default::default()
    };
    let e = plan.tagged(&tags(&["v1"])).unwrap_err().message;
    assert!(e.contains("lists 2 (artifact model, artifact card)"), "{e}");
    assert!(e.contains("tag each in the file with TAG lines"), "{e}");
}

#[test]
fn an_include_of_one_untagged_entry_is_tagged() {
    let d = crate::oci::descriptor(
        "application/vnd.oci.image.manifest.v1+json",
        &crate::digest::Digest::of(b"m"),
        1,
        &BTreeMap::new(),
    )
    .unwrap();
    let plan = Plan {
        includes: vec![crate::artifact::plan::IncludePlan {
            id: Some("base".into()),
            entries: vec![IndexEntry {
                descriptor: d,
                tags: Vec::new(),
            }],
            blobs: Vec::new(),
            lines: crate::artifactfile::Lines { start: 2, end: 2 },
        }],
        listing: vec![Node::Include(0)],
        ..Default::default()
    };
    let plan = plan.tagged(&tags(&["v2"])).unwrap();
    assert_eq!(plan.includes[0].entries[0].tags, tags(&["v2"]));
}
