//! The README's shell commands, and how the test suite checks each one:
//! run as written (with the placeholders a reader fills in filled in), in
//! one of a few scenarios the end-to-end suite sets up, or not run, for a
//! stated reason. `tests/readme.rs` fails when the README gains a command
//! nobody classified; `e2e::readme_commands_run_as_written` runs them.

use std::path::Path;

/// How a README command is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Run as written in this scenario.
    Run(Scenario),
    /// Not run, for this reason.
    NotRun(&'static str),
}

/// What a command needs around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// The README's first command, the demo.
    Demo,
    /// The README's Artifactfile, with its files.
    Artifactfile,
    /// The README's Modelfile, with its files.
    Modelfile,
    /// The contract's options, a `Dockerfile` with only the syntax line.
    Contract,
    /// Wrap mode over a frontend image that sets the artifact keys.
    WrapFrontend,
    /// Wrap mode over a Dockerfile stage.
    WrapDockerfile,
}

/// Why `buildctl` lines are not run.
const NO_BUILDCTL: &str = "buildctl is no Debian 12 package; the same options reach the frontend \
                           through docker build in the other commands";

/// Why the `artifact.push` lines are not run as written.
const PUSH_E2E: &str = "e2e::push_to_open_and_htpasswd_registries runs the same flags on every \
                        daemon, against local registries (a registry.example.com is out of reach)";

/// Why the `FROM oci://` bundle line is not run as written.
const PULL_E2E: &str = "e2e::pull_a_base_by_digest_and_an_image_by_tag_into_a_bundle pulls by \
                        digest and by tag into such a bundle on every daemon, from the fixtures' \
                        registry (a registry.example.com is out of reach)";

/// Why the bundle's one command is not run as written.
const BUNDLE_E2E: &str = "e2e::compose_examples_adapter_and_bundle runs it on every buildx daemon, \
                          the runtime pulled from and the release pushed to the fixtures' \
                          registry over host networking (Docker Hub and a registry.example.com \
                          are out of reach)";

/// Which check each command gets, by how it starts (or what it holds).
const CHECKS: &[(&str, Check)] = &[
    ("scripts/demo", Check::Run(Scenario::Demo)),
    (
        "docker buildx build --secret id=registry",
        Check::NotRun(PUSH_E2E),
    ),
    (
        "docker build --network host --secret id=registry",
        Check::NotRun(PUSH_E2E),
    ),
    (
        "scripts/test",
        Check::NotRun("the suite this check is part of (CI runs it)"),
    ),
    (
        "docker buildx build -f Artifactfile --build-context model=../modelpack/out",
        Check::NotRun(BUNDLE_E2E),
    ),
    (
        "docker buildx build -f Artifactfile.airgap",
        Check::NotRun(PULL_E2E),
    ),
    (
        "docker buildx build -f Artifactfile",
        Check::Run(Scenario::Artifactfile),
    ),
    (
        "skopeo copy oci:out:v1.0",
        Check::Run(Scenario::Artifactfile),
    ),
    (
        "python3 -c 'import oras.client",
        Check::Run(Scenario::Artifactfile),
    ),
    (
        "docker buildx build -f Modelfile",
        Check::Run(Scenario::Modelfile),
    ),
    (
        "skopeo copy oci:out docker://",
        Check::Run(Scenario::Modelfile),
    ),
    (
        "docker buildx build --build-arg containerimage.artifact.type",
        Check::Run(Scenario::Contract),
    ),
    (
        "docker build --build-arg BUILDKIT_SYNTAX=<artifact frontend image> --build-arg artifact.frontend=gateway.v0",
        Check::Run(Scenario::WrapFrontend),
    ),
    (
        "docker build --network=none --build-arg BUILDKIT_SYNTAX=<artifact frontend image> --build-arg artifact.frontend=dockerfile.v0",
        Check::Run(Scenario::WrapDockerfile),
    ),
    ("buildctl build", Check::NotRun(NO_BUILDCTL)),
    (
        "docker buildx imagetools create",
        Check::NotRun(
            "buildx 0.29, the one CI has, refuses oci-layout:// sources (seen working with 0.36)",
        ),
    ),
    (
        "oras cp",
        Check::NotRun("the oras CLI is no Debian package nor on PyPI (the Python client is run)"),
    ),
];

/// The shell commands of the README at `path`: every line of its ```sh
/// blocks, `\` continuations joined, comment lines and blank lines left
/// out, a trailing `# comment` cut.
pub fn commands(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut current = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            current.push_str(head.trim_end());
            current.push(' ');
            continue;
        }
        current.push_str(line);
        // `scripts/demo    # the main job`: the comment is the reader's.
        let cmd = match current.split_once("  #") {
            Some((cmd, _)) => cmd.trim().to_string(),
            None => current.trim().to_string(),
        };
        out.push(cmd);
        current.clear();
    }
    out
}

/// How `command` is checked, if it is classified.
pub fn check_of(command: &str) -> Option<Check> {
    CHECKS
        .iter()
        .find(|(start, _)| command.starts_with(start))
        .map(|(_, check)| *check)
}

/// `command` with a reader's placeholders filled in: the registry, our
/// image, the wrapped frontend's image.
pub fn filled(command: &str, registry: &str, image: &str, producer: &str) -> String {
    command
        .replace("registry.example.com", registry)
        .replace("<artifact frontend image>", image)
        .replace("<image>", image)
        .replace("ghcr.io/example/packager:1", producer)
}
