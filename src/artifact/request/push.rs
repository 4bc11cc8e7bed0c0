//! The push options: `artifact.push=<registry>/<repository>[:<tag>]`
//! (`oci://` in front accepted), and how build steps reach registries, for
//! the push and for `FROM oci://` pulls alike: `artifact.network=host` for
//! a registry on the builder's loopback, and
//! `artifact.insecure-registries=host:port,...` for registries spoken to
//! over plain HTTP beyond loopback. Each also comes as `build-arg:<key>`.

use crate::gateway::{Options, UserError};
use crate::registry::Target;

/// Where to push the layout.
pub const PUSH_KEY: &str = "artifact.push";
/// The push step's network: `default` or `host`.
pub const NETWORK_KEY: &str = "artifact.network";
/// Registries spoken to over plain HTTP, comma-separated `host[:port]`.
pub const INSECURE_KEY: &str = "artifact.insecure-registries";
/// Repositories of the target registry to mount blobs from (a base
/// model's, when pushing an adapter), comma-separated.
pub const MOUNT_FROM_KEY: &str = "artifact.push.mount-from";

/// A push the build asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushRequest {
    /// Where.
    pub target: Target,
    /// The option's value, as given (the worker parses it again).
    pub raw: String,
    /// Run the push in the host's network namespace.
    pub network_host: bool,
    /// `artifact.insecure-registries`.
    pub insecure: Vec<String>,
    /// `artifact.push.mount-from`.
    pub mount_from: Vec<String>,
}

/// How the steps that speak to a registry (the push, the pulls) reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryAccess {
    /// Run them in the host's network namespace.
    pub network_host: bool,
    /// `artifact.insecure-registries`.
    pub insecure: Vec<String>,
}

/// `artifact.network` and `artifact.insecure-registries`.
pub fn access(opts: &Options) -> Result<RegistryAccess, UserError> {
    let get = |k: &str| {
        opts.get_or_build_arg(k)
            .filter(|(v, _)| !v.trim().is_empty())
    };
    let network = match get(NETWORK_KEY) {
        None => None,
        Some((v, key)) => Some(match v.trim() {
            "default" => false,
            "host" => true,
            other => {
                return Err(UserError::new(format!(
                    "{key}={other:?} is not a network for the push and pulls: use default, or \
                     host (for a registry on the builder's loopback; it needs --allow \
                     network.host)"
                )));
            }
        }),
    };
    let insecure: Vec<String> = match get(INSECURE_KEY) {
        None => Vec::new(),
        Some((v, key)) => {
            let mut list = Vec::new();
            for h in v.split(',').map(str::trim).filter(|h| !h.is_empty()) {
                let h = h.strip_prefix("http://").unwrap_or(h);
                if h.contains('/') || h.contains(char::is_whitespace) {
                    return Err(UserError::new(format!(
                        "{key}: {h:?} is not a registry host: write host or host:port, \
                         comma-separated"
                    )));
                }
                list.push(h.to_ascii_lowercase());
            }
            list
        }
    };
    Ok(RegistryAccess {
        network_host: network.unwrap_or(false),
        insecure,
    })
}

/// The push options, when `artifact.push` is given (`mount-from` alone is
/// refused: it would do nothing).
pub fn from_options(opts: &Options) -> Result<Option<PushRequest>, UserError> {
    let get = |k: &str| {
        opts.get_or_build_arg(k)
            .filter(|(v, _)| !v.trim().is_empty())
    };
    let access = access(opts)?;
    let mount_from = match get(MOUNT_FROM_KEY) {
        None => Vec::new(),
        Some((v, key)) => {
            let mut list = Vec::new();
            for r in v.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                let ok = !r.contains(':')
                    && !r.starts_with('/')
                    && !r.ends_with('/')
                    && r.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || "._-/".contains(c)
                    });
                if !ok {
                    return Err(UserError::new(format!(
                        "{key}: {r:?} is not a repository of the registry pushed to: write its \
                         path without the registry or a tag (models/base), comma-separated"
                    )));
                }
                list.push(r.to_string());
            }
            list
        }
    };
    let Some((raw, key)) = get(PUSH_KEY) else {
        if let Some((_, key)) = get(MOUNT_FROM_KEY) {
            return Err(UserError::new(format!(
                "{key} is an option of the push, and no {PUSH_KEY}=<registry>/<repository>[:<tag>] \
                 is given"
            )));
        }
        return Ok(None);
    };
    let target = Target::parse(&key, raw).map_err(UserError::new)?;
    Ok(Some(PushRequest {
        target,
        raw: raw.trim().to_string(),
        network_host: access.network_host,
        insecure: access.insecure,
        mount_from,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Options {
        let mut o = Options::default();
        for (k, v) in pairs {
            o.opts.insert(k.to_string(), v.to_string());
        }
        o
    }

    #[test]
    fn push_with_network_and_insecure_hosts() {
        let p = from_options(&opts(&[
            (
                "build-arg:artifact.push",
                "oci://10.0.0.5:5000/models/tiny:v1",
            ),
            ("artifact.network", "host"),
            (
                "build-arg:artifact.insecure-registries",
                "10.0.0.5:5000, Reg.Example.com",
            ),
            ("artifact.push.mount-from", "models/base, models/other"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(p.target.to_string(), "10.0.0.5:5000/models/tiny:v1");
        assert!(p.network_host);
        assert_eq!(p.insecure, ["10.0.0.5:5000", "reg.example.com"]);
        assert_eq!(p.mount_from, ["models/base", "models/other"]);
        assert_eq!(from_options(&opts(&[])).unwrap(), None);
    }

    #[test]
    fn bad_push_options_are_named() {
        let e = from_options(&opts(&[
            ("artifact.push", "r.example.com/a"),
            ("artifact.network", "bridge"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("artifact.network=\"bridge\""), "{e}");
        let e = from_options(&opts(&[("artifact.push.mount-from", "a/b")])).unwrap_err();
        assert!(e.to_string().contains("no artifact.push"), "{e}");
        // The network and insecure registries alone are for pulls.
        let pulls = opts(&[("artifact.network", "host")]);
        assert_eq!(from_options(&pulls).unwrap(), None);
        assert!(access(&pulls).unwrap().network_host);
        let e = from_options(&opts(&[("artifact.push", "r.example.com/a@sha256:0000000000000000000000000000000000000000000000000000000000000000")])).unwrap_err();
        assert!(e.to_string().contains("names a digest"), "{e}");
        let e = from_options(&opts(&[
            ("artifact.push", "r.example.com/a"),
            ("artifact.insecure-registries", "http://x/y"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("not a registry host"), "{e}");
        let e = from_options(&opts(&[
            ("artifact.push", "r.example.com/a"),
            ("artifact.push.mount-from", "r.example.com:5000/base"),
        ]))
        .unwrap_err();
        assert!(e.to_string().contains("without the registry"), "{e}");
    }
}
