//! Tests of `config.rs`: every key read at the door, its build-arg form,
//! and its error message.

use super::*;

fn opts(pairs: &[(&str, &str)]) -> Options {
    Options {
        opts: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        session_id: "s0".into(),
        frontend_bin: None,
    }
}

fn err(pairs: &[(&str, &str)]) -> String {
    Config::from_options(&opts(pairs)).unwrap_err().message
}

#[test]
fn nothing_given_reads_the_artifactfile_with_defaults() {
    let c = Config::from_options(&opts(&[])).unwrap();
    assert_eq!(c.mode, Mode::SpecFile);
    assert_eq!(c.spec_file.filename, DEFAULT_FILENAME);
    assert_eq!((c.hash, c.no_cache, c.epoch), (HashMode::Auto, false, None));
    assert_eq!(c.spec_file.packing, Packing::Raw);
    assert!(c.contract.is_none() && c.subrequest.is_none() && c.own_image.is_none());
}

#[test]
fn each_key_and_its_build_arg_form() {
    let c = Config::from_options(&opts(&[
        ("filename", "Modelfile"),
        ("dockerfilekey", "defs"),
        ("build-arg:artifact.hash", "gateway"),
        ("build-arg:artifact.modelpack.layers", "tar+zstd"),
        ("artifact.dialect", "ModelFile"),
        ("build-arg:SOURCE_DATE_EPOCH", "17"),
        ("no-cache", ""),
        ("source", "example/us:1"),
        ("requestid", "frontend.subrequests.describe"),
        ("local-sessionid:context", "s1"),
        ("context:weights", "local:w"),
        ("build-arg:VERSION", "2"),
    ]))
    .unwrap();
    assert_eq!(c.spec_file.filename, "Modelfile");
    assert_eq!(c.spec_file.dockerfile_key.as_deref(), Some("defs"));
    assert_eq!(c.hash, HashMode::Gateway);
    assert_eq!(c.spec_file.packing, Packing::TarZstd);
    assert_eq!(c.spec_file.dialect, Some(Dialect::Modelfile));
    assert_eq!((c.epoch, c.no_cache), (Some(17), true));
    assert_eq!(c.own_image.as_deref(), Some("example/us:1"));
    assert_eq!(
        c.subrequest.as_deref(),
        Some("frontend.subrequests.describe")
    );
    assert_eq!(c.sessions.for_local("context"), "s1");
    assert_eq!(c.sessions.for_local("dockerfile"), "s0");
    assert_eq!(c.spec_file.named_contexts["weights"], "local:w");
    assert_eq!(c.spec_file.build_args["VERSION"], "2");
    // Stage names for a Dockerfile's --no-cache-filter are not ours.
    let c = Config::from_options(&opts(&[("no-cache", "train")])).unwrap();
    assert!(!c.no_cache);
}

#[test]
fn bad_values_name_the_key_and_the_choices() {
    assert!(
        err(&[("artifact.hash", "fast")])
            .contains("artifact.hash=\"fast\" is not a hash mode: use auto, exec or gateway")
    );
    assert!(err(&[("build-arg:artifact.modelpack.layers", "zip")]).contains("build-arg:artifact.modelpack.layers=\"zip\" is not a ModelPack layer packing: use one of raw, tar, tar+gzip, tar+zstd"));
    assert!(err(&[("artifact.dialect", "yaml")]).contains("use artifactfile or modelfile"));
    assert!(err(&[("SOURCE_DATE_EPOCH", "yesterday")]).contains("is not a Unix time in seconds"));
    assert!(err(&[("artifact.frontend", "gateway.v0")]).contains("needs artifact.frontend.source"));
    assert!(
        err(&[("containerimage.artifact.type", "a/b")])
            .contains("containerimage.artifact.config.mediatype is required")
    );
}

#[test]
fn mode_wrap_then_contract_then_spec_file() {
    let c = Config::from_options(&opts(&[
        ("build-arg:artifact.frontend", "gateway.v0"),
        ("build-arg:artifact.frontend.source", "example/packager:1"),
        ("containerimage.artifact.config.mediatype", "a/c"),
        ("containerimage.artifact.layers", "[]"),
    ]))
    .unwrap();
    assert_eq!(
        c.mode,
        Mode::Wrap(Frontend::Gateway {
            image: "example/packager:1".into()
        })
    );
    assert!(
        c.contract.is_some(),
        "wrap mode falls back to the contract's options"
    );
    let c = Config::from_options(&opts(&[
        ("containerimage.artifact.config.mediatype", "a/c"),
        ("containerimage.artifact.layers", "[]"),
    ]))
    .unwrap();
    assert_eq!(c.mode, Mode::Contract);
}

#[test]
fn inner_builds_get_the_users_options_but_not_ours() {
    let c = Config::from_options(&opts(&[
        ("source", "us"),
        ("cmdline", "us"),
        ("build-arg:BUILDKIT_SYNTAX", "us"),
        ("build-arg:artifact.frontend", "dockerfile.v0"),
        ("artifact.hash", "exec"),
        ("containerimage.artifact.layers", "[]"),
        ("containerimage.artifact.config.mediatype", "a/c"),
        ("build-arg:VERSION", "1"),
        ("target", "weights"),
        ("context:base", "docker-image://alpine"),
    ]))
    .unwrap();
    let keys: Vec<&str> = c.forwarded.keys().map(String::as_str).collect();
    assert_eq!(keys, ["build-arg:VERSION", "context:base", "target"]);
}

#[test]
fn unknown_keys_of_ours_are_refused_with_a_suggestion() {
    let m = err(&[("build-arg:artifact.frontnd", "dockerfile.v0")]);
    assert!(
        m.starts_with("build-arg:artifact.frontnd is not an option of the artifact frontend (did you mean \"artifact.frontend\"?)"),
        "{m}"
    );
    let m = err(&[("artifact.dialekt", "modelfile")]);
    assert!(m.contains("did you mean \"artifact.dialect\""), "{m}");
    let m = err(&[("artifact.modelpack.layer", "tar")]);
    assert!(
        m.contains("did you mean \"artifact.modelpack.layers\""),
        "{m}"
    );
    let m = err(&[("containerimage.artifact.layer", "[]")]);
    assert!(
        m.contains("did you mean \"containerimage.artifact.layers\""),
        "{m}"
    );
    // Other namespaces are BuildKit's and the user's.
    assert!(Config::from_options(&opts(&[("build-arg:artifactory", "x")])).is_ok());
}

#[test]
fn tags_are_comma_separated_checked_and_kept_once() {
    let c = Config::from_options(&opts(&[("build-arg:artifact.tag", "v1, latest,,v1")])).unwrap();
    assert_eq!(c.tags, vec!["v1".to_string(), "latest".to_string()]);
    assert!(Config::from_options(&opts(&[])).unwrap().tags.is_empty());
    let e = err(&[("artifact.tag", "v1,bad tag")]);
    assert!(e.contains("artifact.tag \"bad tag\" has ' '"), "{e}");
    let e = err(&[("artifact.tags", "v1")]);
    assert!(e.contains("did you mean \"artifact.tag\""), "{e}");
}
