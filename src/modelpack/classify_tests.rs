use super::*;

#[test]
fn every_pattern_compiles() {
    for list in [CONFIG, MODEL, CODE, DOC, SKIP] {
        assert!(name_set(list).is_ok());
    }
}

#[test]
fn a_hub_model_directory_is_classified_as_modctl_does() {
    let cases = [
        ("config.json", Kind::Config),
        ("generation_config.json", Kind::Config),
        ("tokenizer.json", Kind::Config),
        ("tokenizer.model", Kind::Config),
        ("vocab.txt", Kind::Config),
        ("merges.txt", Kind::Config),
        ("chat_template.jinja", Kind::Config),
        ("model-00001-of-00002.safetensors", Kind::Model),
        ("sub/dir/pytorch_model.bin", Kind::Model),
        ("model.gguf", Kind::Model),
        ("TENSOR01_02", Kind::Model),
        ("modeling_qwen.py", Kind::Code),
        ("requirements.txt", Kind::Code),
        ("Dockerfile", Kind::Code),
        ("README.md", Kind::Doc),
        ("LICENSE", Kind::Doc),
        ("notes.TXT", Kind::Doc),
        ("figure.png", Kind::Doc),
        // In two lists: the earlier one wins.
        ("checkpoint.meta", Kind::Config),
        ("layout.xml", Kind::Config),
    ];
    for (name, want) in cases {
        assert_eq!(classify(name, 10), want, "{name}");
    }
}

#[test]
fn unknown_files_go_by_size() {
    assert_eq!(classify("blob.unknownext", 10), Kind::Code);
    assert_eq!(classify("blob.unknownext", 128_000_000), Kind::Code);
    assert_eq!(classify("blob.unknownext", 128_000_001), Kind::Model);
}

#[test]
fn hidden_files_modelfiles_and_caches_are_skipped() {
    for name in [
        ".git",
        ".cache",
        ".gitattributes",
        "Modelfile",
        "MODELFILE",
        "__pycache__",
        "a.pyc",
        "b.PYO",
        "c.pyd",
    ] {
        assert!(is_skipped(name), "{name}");
    }
    for name in ["model.safetensors", "Modelfile.txt", "pycache", ".", ".."] {
        assert!(!is_skipped(name), "{name}");
    }
}
