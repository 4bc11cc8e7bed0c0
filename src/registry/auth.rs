//! Credentials from a Docker `config.json`, passed to the build as the
//! BuildKit secret `registry` (`--secret id=registry,src=$HOME/.docker/config.json`).
//!
//! Only what the file holds itself can be used: `auths.<registry>.auth`
//! (base64 of `user:password`), `username`/`password`, or an
//! `identitytoken` (an OAuth2 refresh token). A file that only names a
//! credential helper (`credsStore`, `credHelpers`) holds no secret we can
//! read inside a build step, so it is refused with what to pass instead.
//!
//! Secret bytes never reach a message: [`Credentials`] prints as its kind
//! and user name only, and parse errors say where, never what.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::Deserialize;

/// What the secret gives for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and password (Basic, or exchanged for a Bearer token).
    Basic {
        /// The user.
        username: String,
        /// The password (or a personal access token).
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`), exchanged for an access
    /// token at the registry's token service.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <password>)"),
            Credentials::IdentityToken(_) => write!(f, "IdentityToken(<token>)"),
        }
    }
}

/// How to pass credentials, for messages.
pub const SECRET_HINT: &str =
    "--secret id=registry,src=$HOME/.docker/config.json (docker buildx build, buildctl)";

/// The part of `config.json` we read.
#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The secret, read: credentials by registry host.
#[derive(Debug, Default)]
pub struct AuthConfig {
    by_host: BTreeMap<String, Credentials>,
    /// Registries the file sends to a helper, with the helper's name.
    helpers: BTreeMap<String, String>,
    creds_store: Option<String>,
}

impl AuthConfig {
    /// Reads the bytes of a `config.json` (`what` names it in messages).
    pub fn parse(what: &str, bytes: &[u8]) -> Result<AuthConfig, String> {
        let file: ConfigFile = serde_json::from_slice(bytes).map_err(|e| {
            // serde_json's message gives the line and column, never the text.
            format!("{what} is not a Docker config.json: {e}")
        })?;
        let mut by_host = BTreeMap::new();
        for (key, entry) in file.auths {
            let host = normalize_host(&key);
            if let Some(c) = entry.credentials(what, &key)? {
                by_host.insert(host, c);
            }
        }
        Ok(AuthConfig {
            by_host,
            helpers: file
                .cred_helpers
                .into_iter()
                .map(|(k, v)| (normalize_host(&k), v))
                .collect(),
            creds_store: file.creds_store.filter(|s| !s.is_empty()),
        })
    }

    /// The credentials for `registry` (a host with its port), `None` when
    /// the file has none for it; an error when the file hands it to a
    /// credential helper and holds nothing itself.
    pub fn for_registry(&self, registry: &str) -> Result<Option<Credentials>, String> {
        let host = normalize_host(registry);
        if let Some(c) = self.by_host.get(&host) {
            return Ok(Some(c.clone()));
        }
        let helper = self
            .helpers
            .get(&host)
            .map(|h| format!("credHelpers names docker-credential-{h} for {registry}"))
            .or_else(|| {
                self.creds_store
                    .as_ref()
                    .map(|s| format!("it names the credential store docker-credential-{s}"))
            });
        match helper {
            None => Ok(None),
            Some(why) => Err(format!(
                "the secret \"registry\" holds no credentials for {registry}: {why}, which a \
                 build step cannot run. Pass a config.json that holds them itself: e.g. \
                 `docker login --password-stdin` with DOCKER_CONFIG set to an empty directory \
                 (no credsStore there), or write {{\"auths\":{{\"{registry}\":{{\"auth\":\"<base64 \
                 of user:token>\"}}}}}} to a file of mode 600, and pass it with {SECRET_HINT}"
            )),
        }
    }
}

impl AuthEntry {
    fn credentials(self, what: &str, key: &str) -> Result<Option<Credentials>, String> {
        if let Some(t) = self.identitytoken.filter(|t| !t.is_empty()) {
            return Ok(Some(Credentials::IdentityToken(t)));
        }
        if let Some(a) = self.auth.filter(|a| !a.is_empty()) {
            let bad = || format!("{what}: auths.{key:?}.auth is not base64 of <user>:<password>");
            let raw = base64::engine::general_purpose::STANDARD
                .decode(a.trim())
                .map_err(|_| bad())?;
            let text = String::from_utf8(raw).map_err(|_| bad())?;
            let (u, p) = text.split_once(':').ok_or_else(bad)?;
            return Ok(Some(Credentials::Basic {
                username: u.to_string(),
                password: p.to_string(),
            }));
        }
        match (self.username, self.password) {
            (Some(u), Some(p)) if !u.is_empty() => Ok(Some(Credentials::Basic {
                username: u,
                password: p,
            })),
            _ => Ok(None),
        }
    }
}

/// The registry host an `auths` key or a reference names: the scheme and
/// path dropped (`https://index.docker.io/v1/` is `index.docker.io`), and
/// Docker Hub's names made one.
pub fn normalize_host(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "registry-1.docker.io" | "index.docker.io" => "index.docker.io".to_string(),
        _ => host,
    }
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
