//! Every shell command of the README is checked by the test suite: run as
//! written by the end-to-end suite, or listed as not run with a reason.
//! A command the README gains without either fails here, in a plain
//! `cargo test`.

#[path = "support/readme.rs"]
#[allow(dead_code)]
mod readme;

use std::path::Path;

use readme::{Check, Scenario, check_of, commands};

fn readme() -> Vec<String> {
    commands(&Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
}

#[test]
fn every_readme_command_is_run_or_says_why_not() {
    let cmds = readme();
    assert!(
        cmds.len() > 10,
        "the reader finds too few commands: {cmds:#?}"
    );
    let unclassified: Vec<&String> = cmds.iter().filter(|c| check_of(c).is_none()).collect();
    assert!(
        unclassified.is_empty(),
        "README commands the suite neither runs nor explains (add them to tests/support/readme.rs): {unclassified:#?}"
    );
}

#[test]
fn the_main_commands_are_run() {
    let cmds = readme();
    let run = |s: Scenario| cmds.iter().any(|c| check_of(c) == Some(Check::Run(s)));
    for s in [
        Scenario::Demo,
        Scenario::Artifactfile,
        Scenario::Modelfile,
        Scenario::Contract,
        Scenario::WrapFrontend,
        Scenario::WrapDockerfile,
    ] {
        assert!(run(s), "no README command runs in {s:?}");
    }
}

#[test]
fn continuations_join_and_comments_go() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("R.md");
    std::fs::write(
        &p,
        "x\n```sh\n# a comment\nscripts/demo    # the main job\ndocker build \\\n  -o out .\n```\n```Dockerfile\nFROM x\n```\n",
    )
    .unwrap();
    assert_eq!(commands(&p), ["scripts/demo", "docker build -o out ."]);
}

#[test]
fn the_air_gap_bundle_parses_with_its_registry_source() {
    use artifact_frontend::artifactfile::{ParseOptions, Source, parse};
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let rest = text.split_once("builds an air-gap bundle").unwrap().1;
    let block = rest.split_once("```Dockerfile\n").unwrap().1;
    let block = block.split_once("```").unwrap().0;
    let file = parse(
        &block.replace("<hex>", &"ab".repeat(32)),
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {block}", e.message));
    assert!(
        file.sources
            .iter()
            .any(|s| matches!(&s.source, Source::Registry(r) if r.starts_with("registry.example.com/library/busybox@sha256:"))),
        "{:?}",
        file.sources
    );
}
