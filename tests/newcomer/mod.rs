//! End-to-end cases for what a new user trips on: errors that must point
//! at the right line and say the right thing, and typos that must not pass
//! in silence.

use super::*;

/// A context with `a.txt` and an Artifactfile of `body` under our
/// `# syntax=` line (so `body`'s line 1 is the file's line 2).
fn spec_context(ctx: &Ctx, name: &str, body: &str) -> Result<PathBuf> {
    let d = ctx.dir(name);
    std::fs::write(d.join("a.txt"), b"a\n")?;
    std::fs::write(d.join("Artifactfile"), format!("# syntax={IMAGE}\n{body}"))?;
    Ok(d)
}

/// Builds `dir`'s Artifactfile with `args`; gives whether it worked and
/// its progress log.
fn build_spec(ctx: &Ctx, dir: &Path, args: &[(&str, &str)]) -> Result<(bool, String)> {
    let out = ctx.dir(&format!(
        "{}-out",
        dir.file_name().unwrap().to_string_lossy()
    ));
    let o = ctx.build_file(dir, "Artifactfile", args, &out)?;
    Ok((
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ))
}

/// An input that fails to build is reported at its FROM line (not at the
/// `# syntax=` line, where BuildKit's forwarder would put it).
fn a_failed_from_input_points_at_its_line(ctx: &Ctx) -> Result<()> {
    let d = spec_context(
        ctx,
        "fromline",
        "ARTIFACT application/x.t\nLAYER text/plain a.txt\nFROM dockerfile:Missing.Dockerfile\nLAYER text/plain b.bin\n",
    )?;
    let (ok, log) = build_spec(ctx, &d, &[])?;
    ensure!(!ok, "the build should fail:\n{log}");
    ensure!(
        log.contains("Artifactfile:4: FROM"),
        "not located at the FROM line:\n{log}"
    );
    Ok(())
}

/// A misspelled source prefix gets a "did you mean".
fn a_misspelled_from_prefix_gets_a_suggestion(ctx: &Ctx) -> Result<()> {
    let d = spec_context(
        ctx,
        "frontnd",
        "ARTIFACT application/x.t\nFROM frontnd:registry.example/x:1 target=y\nLAYER text/plain a.txt\n",
    )?;
    let (ok, log) = build_spec(ctx, &d, &[])?;
    ensure!(!ok, "{log}");
    ensure!(log.contains("did you mean \"frontend:\"?"), "{log}");
    ensure!(!log.contains("too many colons"), "{log}");
    Ok(())
}

/// `FROM weigths` beside `--build-context weights=...` is a typo, said at
/// its line, not a pull of `docker.io/library/weigths`.
fn a_misspelled_named_context_gets_a_suggestion(ctx: &Ctx) -> Result<()> {
    if ctx.daemon().buildx.is_none() {
        return skip("named contexts need buildx (Debian 12's Docker has none)");
    }
    let d = spec_context(
        ctx,
        "weigths",
        "ARTIFACT application/x.t\nFROM weigths\nLAYER text/plain model.bin\n",
    )?;
    let weights = ctx.dir("weigths-named");
    std::fs::write(weights.join("model.bin"), b"w")?;
    let out = ctx.dir("weigths-out");
    let named = format!("weights={}", weights.display());
    let o = ctx.build_file_with(&d, "Artifactfile", &[], &["--build-context", &named], &out)?;
    let log = String::from_utf8_lossy(&o.stderr);
    ensure!(!o.status.success(), "{log}");
    ensure!(
        log.contains("Artifactfile:3: FROM \"weigths\": no named context of that name (did you mean \"weights\"?)"),
        "{log}"
    );
    ensure!(!log.contains("docker.io/library/weigths"), "{log}");
    Ok(())
}

/// An undefined variable warns, with a "did you mean" when an ARG of a
/// close name exists, and the build goes on.
fn an_undefined_variable_warns(ctx: &Ctx) -> Result<()> {
    let d = spec_context(
        ctx,
        "undefined",
        "ARG VERSION=1.0\nARTIFACT application/x.t\nLAYER text/plain a.txt\nTAG v${VERSON}\n",
    )?;
    let (ok, log) = build_spec(ctx, &d, &[])?;
    ensure!(ok, "{log}");
    ensure!(
        log.contains(
            "UndefinedVar: Usage of undefined variable '$VERSON' (did you mean $VERSION?)"
        ),
        "no warning shown:\n{log}"
    );
    Ok(())
}

/// An option in our namespace that we don't know is refused, with a
/// suggestion, instead of being ignored.
fn an_unknown_option_of_ours_is_refused(ctx: &Ctx) -> Result<()> {
    let d = spec_context(
        ctx,
        "unknownopt",
        "ARTIFACT application/x.t\nLAYER text/plain a.txt\n",
    )?;
    let (ok, log) = build_spec(ctx, &d, &[("artifact.frontnd", "dockerfile.v0")])?;
    ensure!(!ok, "{log}");
    ensure!(
        log.contains("build-arg:artifact.frontnd is not an option of the artifact frontend (did you mean \"artifact.frontend\"?)"),
        "{log}"
    );
    Ok(())
}

/// A zero-config Modelfile leaves its own ignore file out of the model, as
/// it leaves out the Modelfile.
fn a_modelfiles_own_ignore_file_is_no_layer(ctx: &Ctx) -> Result<()> {
    let d = ctx.dir("ownignore");
    std::fs::write(d.join("model.safetensors"), [7u8; 4096])?;
    std::fs::write(d.join("notes.txt"), b"left out\n")?;
    std::fs::write(
        d.join("Modelfile"),
        format!("# syntax={IMAGE}\nNAME tiny\n"),
    )?;
    std::fs::write(d.join("Modelfile.dockerignore"), b"notes.txt\n")?;
    let out = ctx.dir("ownignore-out");
    let o = ctx.build_file(&d, "Modelfile", &[], &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (m, _) = manifest_of(&out)?;
    let paths: Vec<&str> = m["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .filter_map(|l| l["annotations"]["org.cncf.model.filepath"].as_str())
        .collect();
    ensure!(paths == ["model.safetensors"], "{paths:?}");
    Ok(())
}

/// An image reference that names an artifact in a registry (the model a
/// colleague pushed) is said to be an artifact, with what to do instead,
/// not BuildKit's dump of Go structs.
fn an_artifact_named_as_an_image_says_so(ctx: &Ctx) -> Result<()> {
    let d = spec_context(
        ctx,
        "artifact-src",
        "ARTIFACT application/x.t\nLAYER text/plain a.txt\nTAG v1\n",
    )?;
    let out = ctx.dir("artifact-src-out");
    let o = ctx.build_file(&d, "Artifactfile", &[], &out)?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let remote = format!("{}/e2e/artifact-as-image:v1", ctx.fx.registry);
    support::skopeo(&[
        "copy",
        "--dest-tls-verify=false",
        &format!("oci:{}:v1", out.display()),
        &format!("docker://{remote}"),
    ])?;
    let d = spec_context(
        ctx,
        "artifact-as-image",
        &format!("ARTIFACT application/x.t\nFROM {remote}\nLAYER text/plain a.txt\n"),
    )?;
    let (ok, log) = build_spec(ctx, &d, &[])?;
    ensure!(!ok, "the build should fail:\n{log}");
    ensure!(
        log.contains("is not a container image but an OCI artifact")
            && log.contains(&format!("skopeo copy docker://{remote} oci:<dir>")),
        "not said to be an artifact:\n{log}"
    );
    // BuildKit's own words stay on the step that pulled (its progress),
    // not in the error the build ends with.
    let last = log
        .lines()
        .rev()
        .find(|l| l.contains("ERROR") || l.contains("failed to solve"));
    ensure!(
        last.is_some_and(|l| !l.contains("children may not be fetched")),
        "{log}"
    );
    Ok(())
}

/// A Modelfile glob that matches nothing warns at its line, and the build
/// goes on (modctl adds nothing for it either); a path that differs from
/// a file only in case gets a "did you mean", although only the named
/// paths of the context were sent.
fn a_glob_that_matches_nothing_warns_and_case_gets_a_suggestion(ctx: &Ctx) -> Result<()> {
    let d = ctx.dir("nomatch");
    std::fs::write(d.join("model.safetensors"), [7u8; 4096])?;
    std::fs::write(d.join("README.md"), b"# tiny\n")?;
    let modelfile = |body: &str| -> Result<(bool, String)> {
        std::fs::write(d.join("Modelfile"), format!("# syntax={IMAGE}\n{body}"))?;
        let out = ctx.dir("nomatch-out");
        let o = ctx.build_file(&d, "Modelfile", &[], &out)?;
        Ok((
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ))
    };
    let (ok, log) = modelfile("NAME tiny\nMODEL model.safetensors\nDOC *.nomatch\n")?;
    ensure!(ok, "{log}");
    ensure!(
        log.contains("DOC \"*.nomatch\" matches no files in the build context"),
        "no warning shown:\n{log}"
    );
    let (ok, log) = modelfile("NAME tiny\nMODEL model.safetensors\nDOC READMe.md\n")?;
    ensure!(!ok, "{log}");
    ensure!(
        log.contains("DOC \"READMe.md\" does not exist in the build context (local \"context\") (did you mean \"README.md\"?)"),
        "no suggestion:\n{log}"
    );
    Ok(())
}

pub const CASES: &[(&str, Case)] = &[
    (
        "a_failed_from_input_points_at_its_line",
        a_failed_from_input_points_at_its_line,
    ),
    (
        "a_misspelled_from_prefix_gets_a_suggestion",
        a_misspelled_from_prefix_gets_a_suggestion,
    ),
    (
        "a_misspelled_named_context_gets_a_suggestion",
        a_misspelled_named_context_gets_a_suggestion,
    ),
    ("an_undefined_variable_warns", an_undefined_variable_warns),
    (
        "an_unknown_option_of_ours_is_refused",
        an_unknown_option_of_ours_is_refused,
    ),
    (
        "a_modelfiles_own_ignore_file_is_no_layer",
        a_modelfiles_own_ignore_file_is_no_layer,
    ),
    (
        "an_artifact_named_as_an_image_says_so",
        an_artifact_named_as_an_image_says_so,
    ),
    (
        "a_glob_that_matches_nothing_warns_and_case_gets_a_suggestion",
        a_glob_that_matches_nothing_warns_and_case_gets_a_suggestion,
    ),
];
