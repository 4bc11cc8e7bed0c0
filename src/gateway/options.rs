//! Frontend options from the environment (phase one of two: raw strings;
//! the artifact module turns them into a typed, validated config).

use std::collections::BTreeMap;

/// Where BuildKit 0.10+ puts the definition of the frontend's own image.
pub const FRONTEND_BIN: &str = "/run/config/buildkit/metadata/frontend.bin";

/// The raw options and session a frontend was started with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `BUILDKIT_FRONTEND_OPT_*`, keyed by option name.
    pub opts: BTreeMap<String, String>,
    /// `BUILDKIT_SESSION_ID`: the client session that owns local dirs.
    pub session_id: String,
    /// The bytes of [`FRONTEND_BIN`] (a `pb.Definition` of our image), on
    /// daemons that mount it.
    pub frontend_bin: Option<Vec<u8>>,
}

impl Options {
    /// The value of `key`, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }

    /// `key`, else `build-arg:key`: `docker build --build-arg` users can
    /// pass any option that way, since buildx has no generic `--opt`.
    pub fn get_or_build_arg(&self, key: &str) -> Option<(&str, String)> {
        if let Some(v) = self.get(key) {
            return Some((v, key.to_string()));
        }
        let arg = format!("build-arg:{key}");
        self.get(&arg).map(|v| (v, arg.clone()))
    }
}

/// Reads options from environment variables. buildkitd numbers
/// `BUILDKIT_FRONTEND_OPT_<i>` in random order, each `key=value`; values
/// may contain `=`, so split at the first one. Taking an iterator keeps
/// this testable without touching the process environment.
pub fn from_env<I, K, V>(vars: I) -> Options
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out = Options::default();
    for (k, v) in vars {
        let (k, v) = (k.as_ref(), v.as_ref());
        if k == "BUILDKIT_SESSION_ID" {
            out.session_id = v.to_string();
        } else if let Some(n) = k.strip_prefix("BUILDKIT_FRONTEND_OPT_") {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let (key, value) = v.split_once('=').unwrap_or((v, ""));
            out.opts.insert(key.to_string(), value.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_first_equals_and_keeps_colons() {
        let o = from_env([
            ("BUILDKIT_FRONTEND_OPT_1", "build-arg:A=x=y,z"),
            (
                "BUILDKIT_FRONTEND_OPT_0",
                "context:foo::linux/amd64=input:foo",
            ),
            ("BUILDKIT_FRONTEND_OPT_2", "no-cache"),
            ("BUILDKIT_FRONTEND_OPT_X", "ignored=1"),
            ("BUILDKIT_SESSION_ID", "sess"),
            ("PATH", "/bin"),
        ]);
        assert_eq!(o.get("build-arg:A"), Some("x=y,z"));
        assert_eq!(o.get("context:foo::linux/amd64"), Some("input:foo"));
        assert_eq!(o.get("no-cache"), Some(""));
        assert_eq!(o.get("ignored"), None);
        assert_eq!(o.opts.len(), 3);
        assert_eq!(o.session_id, "sess");
    }

    #[test]
    fn multiline_values_survive() {
        let o = from_env([("BUILDKIT_FRONTEND_OPT_0", "k=[\n{\"a\":1}\n]")]);
        assert_eq!(o.get("k"), Some("[\n{\"a\":1}\n]"));
    }

    #[test]
    fn build_arg_fallback() {
        let o = from_env([
            ("BUILDKIT_FRONTEND_OPT_0", "build-arg:x.y=1"),
            ("BUILDKIT_FRONTEND_OPT_1", "local-sessionid:context=other"),
            ("BUILDKIT_SESSION_ID", "mine"),
        ]);
        assert_eq!(
            o.get_or_build_arg("x.y"),
            Some(("1", "build-arg:x.y".into()))
        );
    }
}
