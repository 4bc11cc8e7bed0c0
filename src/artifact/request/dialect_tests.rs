//! Tests of `dialect.rs` (a child module of it, so they see its private items).

use super::*;

#[test]
fn by_option_then_name_then_directives() {
    let model_text = "# syntax=x\nCONFIG config.json\nMODEL *.bin\n";
    let artifact_text = "CONFIG application/x+json c.json\nLAYER text/plain a\n";
    let of = |f, t| of(None, f, t).ok();
    assert_eq!(of("Modelfile", ""), Some(Dialect::Modelfile));
    assert_eq!(of("sub/llama.Modelfile", ""), Some(Dialect::Modelfile));
    assert_eq!(of("MODELFILE.prod", ""), Some(Dialect::Modelfile));
    // The name beats the directives.
    assert_eq!(of("Artifactfile", model_text), Some(Dialect::Artifactfile));
    assert_eq!(of("Dockerfile", model_text), Some(Dialect::Modelfile));
    assert_eq!(of("Dockerfile", artifact_text), Some(Dialect::Artifactfile));
    assert_eq!(
        of("Dockerfile", "CONFIG a.json\n"),
        Some(Dialect::Artifactfile)
    );
    assert_eq!(of("Dockerfile", ""), Some(Dialect::Artifactfile));
    // The option beats both.
    assert_eq!(
        super::of(Some(Dialect::Modelfile), "Artifactfile", artifact_text).ok(),
        Some(Dialect::Modelfile)
    );
}

#[test]
fn mixed_files_are_refused_with_the_fix() {
    let e = of(None, "spec", "MODEL a.bin\nLAYER text/plain b\n").unwrap_err();
    assert!(
        e.message.contains("mixes Modelfile directives (MODEL)"),
        "{}",
        e.message
    );
    assert!(
        e.message.contains("artifact.dialect=modelfile"),
        "{}",
        e.message
    );
}
