//! Tests of `modelpack/mod.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn media_types_are_the_spec_strings() {
    assert_eq!(
        layer_media_type(Kind::Model, Packing::Raw, false),
        "application/vnd.cncf.model.weight.v1.raw"
    );
    assert_eq!(
        layer_media_type(Kind::Config, Packing::Raw, true),
        "application/vnd.cncf.model.weight.config.v1.tar"
    );
    assert_eq!(
        layer_media_type(Kind::Dataset, Packing::TarZstd, false),
        "application/vnd.cncf.model.dataset.v1.tar+zstd"
    );
    assert_eq!(
        layer_media_type(Kind::Doc, Packing::TarGzip, true),
        "application/vnd.cncf.model.doc.v1.tar+gzip"
    );
}

#[test]
fn packing_names_round_trip() {
    for n in Packing::NAMES {
        assert_eq!(Packing::parse(n).map(|p| p.encoding(false)), Some(n), "{n}");
    }
    assert_eq!(Packing::parse("gzip"), None);
}
