//! Tests of `from_modelfile.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn the_whole_context_skips_what_modctl_skips_and_this_file() {
    let r = whole_context("sub/llama.def", Packing::TarGzip);
    assert!(r.glob && r.pack.files_only && r.pack.tar_files && r.pack.path_names);
    assert_eq!(r.compression, Compression::Gzip);
    let last_two = |r: &BlobRequest| r.pack.skip[r.pack.skip.len() - 2..].to_vec();
    assert_eq!(last_two(&r), ["llama.def", "llama.def.dockerignore"]);
    let r = whole_context("odd[1]", Packing::Raw);
    assert_eq!(last_two(&r), ["odd[[]1[]]", "odd[[]1[]].dockerignore"]);
    // Named Modelfile: already skipped, not listed twice; its own ignore
    // file is no part of the model either.
    let r = whole_context("Modelfile", Packing::Raw);
    assert_eq!(r.pack.skip[..classify::SKIP.len()], *classify::SKIP);
    assert_eq!(
        r.pack.skip[classify::SKIP.len()..],
        ["Modelfile.dockerignore"]
    );
    assert!(!r.pack.tar_files);
    assert_eq!(any_case(".*"), ".*");
    let spec = |text: &str| SpecFile {
        filename: "Modelfile".into(),
        data: text.as_bytes().to_vec(),
        ignore: None,
        vertex: None,
    };
    let skips = |text: &str| -> Vec<Vec<String>> {
        let f = spec(text);
        let parsed = modelfile::parse(text).unwrap();
        let (layers, _) = named_layers(&parsed, Packing::Raw, &f).unwrap();
        layers.into_iter().map(|l| l.blob.pack.skip).collect()
    };
    assert_eq!(
        skips("MODEL *.bin\nDOC README.md\n"),
        [
            vec![
                "Modelfile".to_string(),
                "Modelfile.dockerignore".to_string()
            ],
            vec![]
        ]
    );
    assert_eq!(
        skips("MODEL *.bin\nDOC modelfile\n"),
        [Vec::<String>::new(), vec![]]
    );
    assert_eq!(any_case("*.pyc"), "*.[pP][yY][cC]");
}

#[test]
fn a_modelfile_naming_files_but_no_weights_warns_at_its_first_file_line() {
    let parse = |text: &str| modelfile::parse(text).unwrap();
    let n = weightless(
        &parse("NAME x\nCONFIG config.json\nDOC README.md\n"),
        "Modelfile",
    )
    .unwrap();
    assert_eq!(n.lines.map(|l| l.start), Some(2));
    assert!(
        n.short
            .contains("Modelfile has no MODEL line, so the model has no weights"),
        "{}",
        n.short
    );
    assert_eq!(
        weightless(&parse("DOC README.md\nmodel *.gguf\n"), "Modelfile"),
        None
    );
    // Naming no files packages the context, classified: no warning.
    assert_eq!(weightless(&parse("NAME x\n"), "Modelfile"), None);
}
