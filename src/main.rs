//! Entry point: buildkitd runs this binary as a gateway frontend.
//!
//! stdout is the gRPC wire to buildkitd, so nothing here may print to it;
//! logs go to stderr (the daemon's log). The one rule this file enforces:
//! `Return` is sent exactly once, with a result or an error, and then the
//! process exits 0. buildkitd waits for the process to exit, so lingering
//! after `Return` would hang the build.

use artifact_frontend::gateway::{self, Bridge};
use artifact_frontend::{artifact, blobtool, registry};

fn main() {
    // The same binary also runs inside the worker as an ExecOp, to hash and
    // write layer blobs next to the data (see `blobtool`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == blobtool::SUBCOMMAND)
    {
        if let Err(e) = blobtool::run_in_worker() {
            eprintln!("artifact-frontend {}: {e}", blobtool::SUBCOMMAND);
            std::process::exit(1);
        }
        return;
    }
    // And as the registry push, where the layout is (see `registry`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == registry::SUBCOMMAND)
    {
        let job = std::env::args().nth(2).unwrap_or_default();
        if let Err(e) = registry::run_in_worker(&job) {
            eprintln!("artifact-frontend {}: {e}", registry::SUBCOMMAND);
            std::process::exit(1);
        }
        return;
    }
    // And as the registry pull of `FROM oci://` (see `registry::pull`).
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == registry::pull::SUBCOMMAND)
    {
        let job = std::env::args().nth(2).unwrap_or_default();
        if let Err(e) = registry::pull::run_in_worker(&job) {
            eprintln!("artifact-frontend {}: {e}", registry::pull::SUBCOMMAND);
            std::process::exit(1);
        }
        return;
    }
    // Asked by a person (or a smoke test), not by buildkitd: say what this
    // is, on stderr like everything else. buildkitd passes no arguments;
    // any other argument (UTF-8 or not) gets the usage and exit code 2.
    if let Some(arg) = std::env::args_os().nth(1) {
        eprintln!("{}", usage());
        let asked = ["--help", "-h", "--version", "-V"]
            .iter()
            .any(|f| arg == *f);
        std::process::exit(if asked { 0 } else { 2 });
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ARTIFACT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(serve());
    // Exit without waiting for the runtime: tokio's stdin reader sits on a
    // blocking thread that would keep shutdown waiting for input that never
    // comes.
    std::process::exit(code);
}

/// What `--help` and `--version` print (on stderr: stdout is the gRPC wire).
fn usage() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let arch = std::env::consts::ARCH;
    let (blobs, job) = (blobtool::SUBCOMMAND, blobtool::JOB_DIR);
    [
        format!("artifact-frontend {version} ({arch}): the artifact.v0 BuildKit gateway frontend"),
        String::new(),
        "buildkitd runs it from its image (`# syntax=<image>`, or `--frontend gateway.v0".into(),
        "--opt source=<image>`); it speaks the gateway API over stdin and stdout.".into(),
        String::new(),
        "usage: artifact-frontend                    serve one build for buildkitd".into(),
        format!(
            "       artifact-frontend {blobs}              the in-worker blob writer ({job}/...)"
        ),
        format!(
            "       artifact-frontend {} <job>         the in-worker registry push ({}/...)",
            registry::SUBCOMMAND,
            registry::LAYOUT_DIR
        ),
        format!(
            "       artifact-frontend {} <job>         the in-worker registry pull ({}/...)",
            registry::pull::SUBCOMMAND,
            registry::pull::OUT_DIR
        ),
        "       artifact-frontend --help | --version".into(),
    ]
    .join("\n")
}

async fn serve() -> i32 {
    // vars_os: a non-UTF-8 variable must not panic before we can Return.
    let mut opts = gateway::from_env(std::env::vars_os().map(|(k, v)| {
        (
            k.to_string_lossy().into_owned(),
            v.to_string_lossy().into_owned(),
        )
    }));
    opts.frontend_bin = std::fs::read(gateway::FRONTEND_BIN).ok();
    tracing::info!(options = opts.opts.len(), "frontend started");
    let bridge = match Bridge::connect_stdio().await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!("{e:#}");
            return 1;
        }
    };
    let sent = artifact::serve(bridge, &opts).await;
    // Peak memory, for the benchmark (it reads the daemon's log).
    if let Some(hwm) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
    {
        tracing::info!(peak_rss = %hwm.trim_start_matches("VmHWM:").trim(), "frontend finished");
    }
    match sent {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("{e}");
            1
        }
    }
}
