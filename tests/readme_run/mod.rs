//! The README's commands, run as written (see `tests/support/readme.rs`
//! for which and why): each scenario sets up what a reader has beside the
//! command (the README's own Artifactfile or Modelfile, with files for
//! what they name), then runs the commands through `bash`, with only the
//! placeholders a reader fills in filled in. `docker buildx build` runs as
//! `docker build` where the daemon comes without buildx (Docker 20.10),
//! and skopeo is told that the test registry speaks plain HTTP by its own
//! configuration file, not by a flag the README does not have.

use std::collections::BTreeMap;
use std::process::Command;

use super::readme::{Check, Scenario, check_of, commands, filled};
use super::*;

/// The README's ```Dockerfile block that follows `heading`.
fn block_after(heading: &str) -> Result<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("README.md"))?;
    let rest = text.split_once(heading).context("no such heading")?.1;
    let body = rest
        .split_once("```Dockerfile\n")
        .context("no Dockerfile block")?
        .1;
    Ok(body
        .split_once("```")
        .context("an open block")?
        .0
        .to_string())
}

/// A directory holding a `docker` that runs this daemon's client (its
/// `buildx build` a plain `build` where there is no buildx), and a `skopeo`
/// reading a registry configuration that marks the test registry insecure.
fn shell_env(ctx: &Ctx) -> Result<PathBuf> {
    let d = ctx.dir("readme-bin");
    let cli = ctx.daemon().cli.display().to_string();
    let buildx = ctx.daemon().buildx.is_some();
    let script = if buildx {
        format!("#!/bin/sh\nexec {cli} \"$@\"\n")
    } else {
        format!(
            "#!/bin/sh\nif [ \"$1\" = buildx ] && [ \"$2\" = build ]; then shift; fi\nexec {cli} \"$@\"\n"
        )
    };
    let conf = d.join("registries.conf");
    std::fs::write(
        &conf,
        format!(
            "[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
            ctx.fx.registry
        ),
    )?;
    // Debian 12's skopeo (1.9) reads no environment variable for its
    // registries.conf, only the flag.
    let skopeo = format!(
        "#!/bin/sh\nexec /usr/bin/skopeo --registries-conf {} \"$@\"\n",
        conf.display()
    );
    for (name, text) in [("docker", script), ("skopeo", skopeo)] {
        std::fs::write(d.join(name), text)?;
        std::fs::set_permissions(
            d.join(name),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )?;
    }
    Ok(d)
}

/// Runs README command `cmd` in `dir`, as written but for placeholders.
fn run(ctx: &Ctx, bin: &Path, dir: &Path, cmd: &str) -> Result<String> {
    let line = filled(cmd, &ctx.fx.registry, IMAGE, PRODUCER);
    let mut sh = Command::new("bash");
    sh.args(["-euo", "pipefail", "-c", &line]).current_dir(dir);
    // The environment of the daemon's own client, and ours in front.
    let docker = ctx.fx.docker();
    for (k, v) in docker.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    sh.env("PATH", std::env::join_paths(paths)?);
    let o = sh.output()?;
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    ensure!(o.status.success(), "README command failed: {line}\n{log}");
    Ok(log)
}

/// What each scenario has beside its commands.
fn set_up(ctx: &Ctx, s: Scenario) -> Result<PathBuf> {
    let d = ctx.dir(&format!("readme-{s:?}"));
    let write = |p: &str, data: &[u8]| -> Result<()> {
        let path = d.join(p);
        std::fs::create_dir_all(path.parent().context("parent")?)?;
        Ok(std::fs::write(path, data)?)
    };
    match s {
        Scenario::Demo => {}
        Scenario::Artifactfile => {
            write(
                "Artifactfile",
                block_after("## The Artifactfile")?.as_bytes(),
            )?;
            write("model-config.json", b"{\"hidden_size\": 2}")?;
            write("model.safetensors", &[7u8; 4096])?;
            write("docs/index.md", b"# docs\n")?;
            write("notes/release.md", b"notes\n")?;
        }
        Scenario::Modelfile => {
            write("Modelfile", block_after("## ModelPack models")?.as_bytes())?;
            write("config.json", br#"{"model_type":"qwen3"}"#)?;
            write("tokenizer files/tokenizer.json", b"{}")?;
            write("model-00001-of-00001.safetensors", &[9u8; 4096])?;
            write("scripts/run.py", b"print(1)\n")?;
            write("README.md", b"# card\n")?;
            write("eval/part-0.jsonl", b"{}\n")?;
        }
        Scenario::Contract => {
            write(
                "Dockerfile",
                b"# syntax=registry.example.com/artifact-frontend:dev\n",
            )?;
            let filled = filled(
                &String::from_utf8(std::fs::read(d.join("Dockerfile"))?)?,
                &ctx.fx.registry,
                IMAGE,
                PRODUCER,
            );
            write("Dockerfile", filled.as_bytes())?;
            write("model.bin", b"weights\n")?;
        }
        Scenario::WrapFrontend => {
            write("Dockerfile", b"# built by the wrapped frontend\n")?;
        }
        Scenario::WrapDockerfile => {
            let df = format!(
                "FROM {BUSYBOX} AS train\nRUN mkdir /out && echo weights > /out/model.bin\n\
                 FROM scratch AS weights\nCOPY --from=train /out/ /\n"
            );
            write("Dockerfile", df.as_bytes())?;
        }
    }
    Ok(d)
}

/// The README's ORAS pull reads what the demo pushes
/// (`models/tiny:v1`): push the Artifactfile's layout there first (the
/// demo's step, not a README command).
fn push_for_the_pull(ctx: &Ctx, dir: &Path) -> Result<()> {
    let tiny = format!("{}/models/tiny:v1", ctx.fx.registry);
    let o = Command::new("skopeo")
        .args(["copy", "--dest-tls-verify=false", "oci:out:v1.0"])
        .arg(format!("docker://{tiny}"))
        .current_dir(dir)
        .output()?;
    ensure!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    Ok(())
}

/// After a scenario's commands: what the reader would look at.
fn judge(s: Scenario, dir: &Path) -> Result<()> {
    match s {
        Scenario::Demo => Ok(()),
        _ => {
            let summary = fsck_layout(&dir.join("out"))?;
            ensure!(summary.blob_count >= 2, "{s:?}: an empty layout");
            if s == Scenario::Artifactfile {
                let pulled = std::fs::read(dir.join("pulled/model.safetensors"))?;
                ensure!(pulled == [7u8; 4096], "ORAS pulled other bytes");
            }
            Ok(())
        }
    }
}

/// Every README command the suite runs, in its scenario, as written.
fn readme_commands_run_as_written(ctx: &Ctx) -> Result<()> {
    let bin = shell_env(ctx)?;
    let cmds = commands(&Path::new(ROOT).join("README.md"));
    let mut by_scenario: BTreeMap<Scenario, Vec<&String>> = BTreeMap::new();
    for c in &cmds {
        match check_of(c) {
            Some(Check::Run(s)) => by_scenario.entry(s).or_default().push(c),
            Some(Check::NotRun(why)) => eprintln!("    not run: {c}: {why}"),
            None => anyhow::bail!("unclassified README command: {c}"),
        }
    }
    for (s, cmds) in by_scenario {
        if s == Scenario::Demo && ctx.daemon().name != "docker-20.10" {
            // The demo starts or uses one daemon; it runs on the default one.
            eprintln!(
                "    not run on {}: scripts/demo (run on docker-20.10)",
                ctx.daemon().name
            );
            continue;
        }
        let dir = set_up(ctx, s)?;
        for c in cmds {
            if c.starts_with("python3 -c 'import oras.client") {
                push_for_the_pull(ctx, &dir)?;
            }
            let cwd = if s == Scenario::Demo {
                Path::new(ROOT)
            } else {
                &dir
            };
            let c = if s == Scenario::Demo {
                // Into this case's directory, not the repository's out/.
                format!("{c} {}", dir.join("work").display())
            } else {
                c.clone()
            };
            run(ctx, &bin, cwd, &c)?;
        }
        judge(s, &dir)?;
    }
    Ok(())
}

pub const CASES: &[(&str, Case)] = &[(
    "readme_commands_run_as_written",
    readme_commands_run_as_written,
)];
