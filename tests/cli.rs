//! The binary as a person meets it: `--help` and `--version` print the
//! usage on stderr (stdout is the gRPC wire, even here), and any other
//! argument, UTF-8 or not, is refused with the usage and exit code 2,
//! never a panic.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, Output};

fn run(arg: &OsStr) -> Output {
    Command::new(env!("CARGO_BIN_EXE_artifact-frontend"))
        .arg(arg)
        .output()
        .expect("running the frontend binary")
}

#[test]
fn help_and_version_go_to_stderr_and_exit_zero() {
    for flag in ["--help", "-h", "--version", "-V"] {
        let o = run(OsStr::new(flag));
        assert_eq!(o.status.code(), Some(0), "{flag}");
        assert!(o.stdout.is_empty(), "{flag} printed on stdout");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("artifact.v0 BuildKit gateway frontend"),
            "{err}"
        );
    }
}

#[test]
fn other_arguments_get_the_usage_and_code_two_even_when_not_utf8() {
    for arg in [
        OsStr::new("--frobnicate"),
        OsStr::new("serve"),
        OsStr::from_bytes(b"-\xff\xfe"),
    ] {
        let o = run(arg);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{arg:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains("usage: artifact-frontend"), "{err}");
        assert!(o.stdout.is_empty());
    }
}
