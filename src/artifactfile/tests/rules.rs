//! Artifacts the specs forbid, refused at the line that makes them so:
//! OCI 1.1's empty config without an artifactType, and ModelPack models
//! whose config could not list their layers' DiffIDs.

use super::*;

fn refused(text: &str) -> ParseError {
    match parse(text, &opts(&[], &[("base", "local:base")])) {
        Ok(f) => panic!("accepted: {f:?}"),
        Err(e) => e,
    }
}

fn accepted(text: &str) {
    parse(text, &opts(&[], &[("base", "local:base")])).unwrap();
}

const MODEL: &str = "ARTIFACT application/vnd.cncf.model.manifest.v1+json\n";

#[test]
fn the_empty_config_needs_an_artifact_type_at_its_line() {
    let e = refused("LAYER text/plain a.txt\nCONFIG application/vnd.oci.empty.v1+json\n");
    assert_eq!(e.lines, lines(2, 2));
    assert!(
        e.message
            .contains("OCI 1.1 requires an artifactType then: add `ARTIFACT <artifactType>`"),
        "{}",
        e.message
    );
    // With ARTIFACT anywhere in its section, it is the guidance's own shape.
    accepted("CONFIG application/vnd.oci.empty.v1+json\nARTIFACT application/x.t\n");
    accepted("ARTIFACT application/x.t\nCONFIG application/vnd.oci.empty.v1+json\n");
    // A config of its own needs no artifactType (OCI 1.0 artifacts).
    accepted("CONFIG application/vnd.example.config.v1+json\nLAYER text/plain a.txt\n");
}

#[test]
fn a_modelpack_model_of_plain_layers_is_refused_naming_the_modelfile() {
    let e = refused(&format!(
        "{MODEL}LAYER application/vnd.cncf.model.weight.v1.raw model.safetensors\n"
    ));
    assert_eq!(e.lines, lines(1, 1));
    assert!(e.message.contains("write a Modelfile"), "{}", e.message);
    assert!(
        e.message
            .contains("CONFIG application/vnd.cncf.model.config.v1+json <file>"),
        "{}",
        e.message
    );
    // No layer at all is no better; each artifact of a file is checked.
    assert_eq!(refused(MODEL).lines, lines(1, 1));
    let e = refused(
        "ARTIFACT application/x.t AS a\n\
         ARTIFACT application/vnd.cncf.model.manifest.v1+json AS m\n\
         INDEX application/x.i AS i\nMANIFEST a m\n",
    );
    assert_eq!(e.lines, lines(2, 2), "{}", e.message);
    // Extending a model derives the config (checked when the layout is
    // read), and a config file of one's own is taken as it is.
    accepted(&format!(
        "{MODEL}LAYERS base\nLAYER application/vnd.cncf.model.weight.v1.raw a.bin\n"
    ));
    accepted(&format!(
        "{MODEL}CONFIG application/vnd.cncf.model.config.v1+json config.json\n\
         LAYER application/vnd.cncf.model.weight.v1.raw a.bin\n"
    ));
}

#[test]
fn a_modelpack_config_must_be_a_modelpack_config_file() {
    let e = refused(&format!(
        "{MODEL}CONFIG application/vnd.oci.empty.v1+json\nLAYERS base\n"
    ));
    assert_eq!(e.lines, lines(2, 2));
    assert!(
        e.message
            .contains("config media type must be application/vnd.cncf.model.config.v1+json"),
        "{}",
        e.message
    );
    let e = refused(&format!(
        "{MODEL}LAYERS base\nCONFIG application/vnd.cncf.model.config.v1+json\n"
    ));
    assert_eq!(e.lines, lines(3, 3));
    assert!(
        e.message.contains("`{}`, which no ModelPack client reads"),
        "{}",
        e.message
    );
    assert!(e.message.contains("write a Modelfile"), "{}", e.message);
}
