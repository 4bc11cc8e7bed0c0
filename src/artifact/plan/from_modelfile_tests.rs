//! Tests of `from_modelfile.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn the_whole_context_skips_what_modctl_skips_and_this_file() {
    let r = whole_context("sub/llama.def", Packing::TarGzip);
    assert!(r.glob && r.pack.files_only && r.pack.tar_files && r.pack.path_names);
    assert_eq!(r.compression, Compression::Gzip);
    assert_eq!(r.pack.skip.last().map(String::as_str), Some("llama.def"));
    let r = whole_context("odd[1]", Packing::Raw);
    assert_eq!(r.pack.skip.last().map(String::as_str), Some("odd[[]1[]]"));
    // Named Modelfile: already skipped, not listed twice.
    let r = whole_context("Modelfile", Packing::Raw);
    assert_eq!(r.pack.skip, classify::SKIP);
    assert!(!r.pack.tar_files);
    assert_eq!(any_case(".*"), ".*");
    let spec = |text: &str| SpecFile {
        filename: "Modelfile".into(),
        data: text.as_bytes().to_vec(),
        ignore: None,
    };
    let skips = |text: &str| -> Vec<Vec<String>> {
        let f = spec(text);
        let parsed = modelfile::parse(text).unwrap();
        let (layers, _) = named_layers(&parsed, Packing::Raw, &f).unwrap();
        layers.into_iter().map(|l| l.blob.pack.skip).collect()
    };
    assert_eq!(
        skips("MODEL *.bin\nDOC README.md\n"),
        [vec!["Modelfile".to_string()], vec![]]
    );
    assert_eq!(
        skips("MODEL *.bin\nDOC modelfile\n"),
        [Vec::<String>::new(), vec![]]
    );
    assert_eq!(any_case("*.pyc"), "*.[pP][yY][cC]");
}
