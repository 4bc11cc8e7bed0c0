//! One registry repository, spoken to with credentials: oci-client for
//! what it does (the token dance, HEAD of a blob, tagging), and our own
//! requests, with the same authorization, for what it lacks (see `upload`
//! and `push`). Errors are sentences naming the registry, the repository
//! and what to do; none carries a secret.

use std::time::Duration;

use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, RegistryOperation};
use reqwest::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use reqwest::{RequestBuilder, Response, StatusCode};
use tokio::sync::Mutex;

use super::auth::{AuthConfig, Credentials, SECRET_HINT};
use super::transport;
use crate::oci::reference::Target;

/// Requests that fail for a reason that may pass (a 5xx, a reset, a
/// timeout) are tried this many times in all.
pub const ATTEMPTS: u32 = 5;

/// A repository of a registry, ready for requests.
pub struct Session {
    /// Where.
    pub target: Target,
    /// `https://host` or `http://host`.
    base: String,
    oci: Client,
    http: reqwest::Client,
    auth: RegistryAuth,
    /// Whether the build passed credentials for this registry.
    has_credentials: bool,
    /// Whether only reads are asked for (a pull): the token asked for is
    /// scoped to pulling, which read-only credentials get.
    read_only: bool,
    /// The `Authorization` our own requests carry, once known.
    header: Mutex<Option<HeaderValue>>,
    /// Whether the registry has answered: after that, a connection that
    /// fails is a registry gone away, not a network a build step can't
    /// leave.
    reached: bool,
}

/// What `Session::new` needs.
pub struct Options<'a> {
    /// `artifact.insecure-registries`.
    pub insecure: &'a [String],
    /// Credentials for this registry, if the secret has some.
    pub credentials: Option<Credentials>,
    /// A private CA (PEM), from the secret `registry-ca`.
    pub ca_pem: Option<&'a [u8]>,
    /// Only reading (a pull), not pushing.
    pub read_only: bool,
}

/// The secrets a worker step was given (both optional).
#[derive(Clone, Copy, Default)]
pub struct Secrets<'a> {
    /// The secret `registry`: a Docker `config.json`.
    pub config_json: Option<&'a [u8]>,
    /// The secret `registry-ca`: a PEM CA.
    pub ca_pem: Option<&'a [u8]>,
}

impl Session {
    /// Connects as a worker step does: with the credentials the secret
    /// holds for the target's registry, after a log line saying what it is
    /// `doing` and how (plain HTTP or TLS, as whom; never a secret).
    pub async fn open(
        target: Target,
        doing: &str,
        secrets: Secrets<'_>,
        insecure: &[String],
        read_only: bool,
    ) -> Result<Session, String> {
        let credentials = match secrets.config_json {
            None => None,
            Some(bytes) => AuthConfig::parse("the secret \"registry\"", bytes)?
                .for_registry(target.api_host())?,
        };
        eprintln!(
            "{doing} ({}, {})",
            match transport::plain_http(target.api_host(), insecure) {
                true => "plain HTTP",
                false => "TLS",
            },
            match &credentials {
                None => "no credentials".to_string(),
                Some(Credentials::Basic { username, .. }) => format!("as {username}"),
                Some(Credentials::IdentityToken(_)) => "with an identity token".to_string(),
            }
        );
        let opts = Options {
            insecure,
            credentials,
            ca_pem: secrets.ca_pem,
            read_only,
        };
        Session::new(target, opts).await
    }

    /// Connects: checks the registry answers and gets a token for pushing
    /// (or only pulling, with `read_only`).
    pub async fn new(target: Target, opts: Options<'_>) -> Result<Session, String> {
        let host = target.api_host().to_string();
        let ca = match opts.ca_pem {
            Some(pem) => transport::ca_certificates(pem)?,
            None => Vec::new(),
        };
        let config = transport::oci_config(&host, opts.insecure, &ca);
        let oci =
            Client::try_from(config).map_err(|e| format!("setting up the registry client: {e}"))?;
        let http = transport::http_client(&ca)?;
        let base = format!("{}://{host}", transport::scheme(&host, opts.insecure));
        let has_credentials = opts.credentials.is_some();
        let auth = match opts.credentials {
            None => RegistryAuth::Anonymous,
            Some(Credentials::Basic { username, password }) => {
                RegistryAuth::Basic(username, password)
            }
            Some(Credentials::IdentityToken(t)) => {
                let scope = if opts.read_only { "pull" } else { "pull,push" };
                RegistryAuth::Bearer(
                    exchange_identity_token(&http, &base, &target, &t, scope).await?,
                )
            }
        };
        let mut s = Session {
            target,
            base,
            oci,
            http,
            auth,
            has_credentials,
            read_only: opts.read_only,
            header: Mutex::new(None),
            reached: false,
        };
        s.authorize().await?;
        s.reached = true;
        Ok(s)
    }

    /// `<base>/v2/<repository>/<rest>`.
    pub fn url(&self, rest: &str) -> String {
        format!("{}/v2/{}/{rest}", self.base, self.target.repository)
    }

    /// An absolute URL for a `Location` header (registries may send a path).
    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// The oci-client and a reference in the repository, for its calls.
    pub fn oci(&self) -> &Client {
        &self.oci
    }

    /// What oci-client is given for this registry.
    pub fn registry_auth(&self) -> &RegistryAuth {
        &self.auth
    }

    /// Gets (again) the authorization our own requests carry: a Bearer
    /// token from the registry's token service through oci-client, or
    /// Basic where the registry asks for that.
    async fn authorize(&self) -> Result<(), String> {
        let probe = self.target.with_tag("latest");
        let operation = match self.read_only {
            true => RegistryOperation::Pull,
            false => RegistryOperation::Push,
        };
        let token = self
            .oci
            .auth(&probe, &self.auth, operation)
            .await
            .map_err(|e| self.explain_oci(&e, "signing in"))?;
        let header = match (token, &self.auth) {
            (Some(t), _) => Some(format!("Bearer {t}")),
            (None, RegistryAuth::Basic(u, p)) => {
                use base64::Engine as _;
                let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
                Some(format!("Basic {b}"))
            }
            (None, RegistryAuth::Bearer(t)) => Some(format!("Bearer {t}")),
            (None, RegistryAuth::Anonymous) => None,
        };
        let mut value = header
            .map(|h| HeaderValue::from_str(&h))
            .transpose()
            .map_err(|_| "the credentials hold characters an HTTP header cannot".to_string())?;
        if let Some(v) = &mut value {
            v.set_sensitive(true);
        }
        *self.header.lock().await = value;
        Ok(())
    }

    /// Sends the request `make` builds, with our authorization; a 401 gets
    /// one new token and one more try (tokens expire during long pushes),
    /// and a failure that may pass is tried again, up to [`ATTEMPTS`].
    pub async fn send(
        &self,
        what: &str,
        make: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, String> {
        self.send_tries(what, ATTEMPTS, make).await
    }

    /// [`Session::send`] tried once (a 401 still gets a new token): for a
    /// chunk, whose retry must start where the registry says.
    pub async fn send_once(
        &self,
        what: &str,
        make: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, String> {
        self.send_tries(what, 1, make).await
    }

    async fn send_tries(
        &self,
        what: &str,
        tries: u32,
        make: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, String> {
        let mut renewed = false;
        let mut attempt = 1;
        loop {
            let mut rb = make(&self.http);
            if let Some(h) = self.header.lock().await.clone() {
                rb = rb.header(AUTHORIZATION, h);
            }
            match rb.send().await {
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    renewed = true;
                    self.authorize().await?;
                }
                Ok(r) if retryable(r.status()) && attempt < tries => {
                    tracing::debug!(status = %r.status(), "retrying {what}");
                    attempt += 1;
                    backoff(attempt).await;
                }
                Ok(r) => return Ok(r),
                Err(e) if attempt < tries && !e.is_builder() => {
                    tracing::debug!("retrying {what}: {e}");
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(e) => return Err(self.explain_http(&e, what)),
            }
        }
    }

    /// The error for an answer `status` to `what`.
    pub fn refused(&self, status: StatusCode, what: &str, body: &str) -> String {
        let (reg, repo) = (&self.target.registry, &self.target.repository);
        match status {
            StatusCode::UNAUTHORIZED if !self.has_credentials => format!(
                "registry {reg} answered 401 Unauthorized to {what} in repository {repo}: it \
                 wants credentials; pass a Docker config.json that holds them as the secret \
                 \"registry\": {SECRET_HINT}"
            ),
            StatusCode::UNAUTHORIZED => format!(
                "registry {reg} answered 401 Unauthorized to {what} in repository {repo} with \
                 the credentials of the secret \"registry\": check the user and password (or \
                 token) it holds for {reg}"
            ),
            StatusCode::FORBIDDEN if self.has_credentials => format!(
                "registry {reg} answered 403 Forbidden to {what} in repository {repo}: the \
                 credentials of the secret \"registry\" may not {} it; pass ones that may",
                self.verb()
            ),
            StatusCode::FORBIDDEN => format!(
                "registry {reg} answered 403 Forbidden to {what} in repository {repo} (no \
                 credentials were passed): pass credentials that may {} it as the secret \
                 \"registry\": {SECRET_HINT}",
                self.verb()
            ),
            _ => {
                let body: String = body.chars().take(300).collect();
                format!("registry {reg} answered {status} to {what} in repository {repo}: {body}")
            }
        }
    }

    /// What this session does to the repository, for messages.
    fn verb(&self) -> &'static str {
        match self.read_only {
            true => "pull from",
            false => "push to",
        }
    }

    /// The error for a request that got no answer.
    pub fn explain_http(&self, e: &reqwest::Error, what: &str) -> String {
        let reg = &self.target.registry;
        let cause = without_url(&chain(e));
        if self.reached {
            let next = match self.read_only {
                true => "the next build fetches it again",
                false => "what it has completed is kept: the next push sends only the rest",
            };
            return format!("registry {reg} stopped answering during {what}: {cause} ({next})");
        }
        if e.is_connect() || e.is_timeout() {
            let tls = cause.contains("certificate") || cause.contains("UnknownIssuer");
            let hint = if tls {
                " (the registry's certificate is not trusted: pass its CA as the secret \
                 \"registry-ca\", a PEM file: --secret id=registry-ca,src=ca.pem)"
            } else if transport::plain_http(self.target.api_host(), &[]) {
                " (a registry on the builder's loopback is reached from a build step only with \
                 host networking: --build-arg artifact.network=host and --allow network.host)"
            } else {
                ""
            };
            return format!("cannot reach registry {reg} ({what}): {cause}{hint}");
        }
        format!("registry {reg}: {what} failed: {cause}")
    }

    /// oci-client's error, as one of ours.
    pub fn explain_oci(&self, e: &OciDistributionError, what: &str) -> String {
        match e {
            OciDistributionError::RequestError(r) => match r.status() {
                Some(s) => self.refused(s, what, ""),
                None => self.explain_http(r, what),
            },
            OciDistributionError::ServerError { code, message, .. } => {
                let s = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                self.refused(s, what, message)
            }
            OciDistributionError::UnauthorizedError { .. } => {
                self.refused(StatusCode::UNAUTHORIZED, what, "")
            }
            OciDistributionError::AuthenticationFailure(_) => format!(
                "the token service of registry {} refused the credentials of the secret \
                 \"registry\" ({what} in repository {})",
                self.target.registry, self.target.repository
            ),
            other => format!("registry {}: {what}: {other}", self.target.registry),
        }
    }
}

/// Whether an answer may be different on another try.
fn retryable(s: StatusCode) -> bool {
    s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT
}

/// Waits before try `attempt` (2 and on): 0.5 s, 1 s, 2 s, 4 s.
pub async fn backoff(attempt: u32) {
    let ms = 250u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// An error with its causes (reqwest's top line alone says little).
/// `cause` without the URL reqwest names in it (`for url (…)`): an
/// upload's URL carries the registry's session state, long and of no use
/// to the reader, who has the registry and the blob named already.
fn without_url(cause: &str) -> String {
    let Some(at) = cause.find(" for url (") else {
        return cause.to_string();
    };
    let rest = &cause[at..];
    match rest.find("): ") {
        Some(end) => format!("{}{}", &cause[..at], &rest[end + 1..]),
        None if rest.ends_with(')') => cause[..at].to_string(),
        None => cause.to_string(),
    }
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Exchanges an `identitytoken` (an OAuth2 refresh token) for an access
/// token, at the token service the registry names. oci-client only sends
/// a user and password there, so this one step is ours.
async fn exchange_identity_token(
    http: &reqwest::Client,
    base: &str,
    target: &Target,
    refresh: &str,
    actions: &str,
) -> Result<String, String> {
    let reg = &target.registry;
    let v2 = http
        .get(format!("{base}/v2/"))
        .send()
        .await
        .map_err(|e| format!("cannot reach registry {reg}: {}", chain(&e)))?;
    let challenge = v2
        .headers()
        .get(WWW_AUTHENTICATE)
        .and_then(|h| h.to_str().ok())
        .and_then(bearer_challenge)
        .ok_or_else(|| {
            format!(
                "the secret \"registry\" holds an identitytoken for {reg}, but the registry \
                 names no token service to exchange it at; pass a user and password instead"
            )
        })?;
    let scope = format!("repository:{}:{actions}", target.repository);
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("client_id", "artifact-frontend"),
        ("refresh_token", refresh),
        ("scope", scope.as_str()),
    ];
    if let Some(s) = &challenge.1 {
        form.push(("service", s));
    }
    let r = http
        .post(&challenge.0)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("cannot reach the token service of {reg}: {}", chain(&e)))?;
    if !r.status().is_success() {
        return Err(format!(
            "the token service of registry {reg} refused the identitytoken of the secret \
             \"registry\" ({})",
            r.status()
        ));
    }
    #[derive(serde::Deserialize)]
    struct Token {
        #[serde(default)]
        access_token: Option<String>,
        #[serde(default)]
        token: Option<String>,
    }
    let t: Token = r
        .json()
        .await
        .map_err(|_| format!("the token service of registry {reg} sent no token"))?;
    t.access_token
        .or(t.token)
        .ok_or_else(|| format!("the token service of registry {reg} sent no token"))
}

/// `(realm, service)` of a `Bearer realm="…",service="…"` challenge.
pub fn bearer_challenge(h: &str) -> Option<(String, Option<String>)> {
    let rest = h
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| h.trim().strip_prefix("bearer "))?;
    let mut realm = None;
    let mut service = None;
    for part in rest.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').to_string();
        match k.trim() {
            "realm" => realm = Some(v),
            "service" => service = Some(v),
            _ => {}
        }
    }
    Some((realm?, service))
}

#[cfg(test)]
#[path = "session_tests.rs"]
pub(super) mod redirect_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_read() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a:pull""#
            ),
            Some((
                "https://auth.example.com/token".into(),
                Some("registry.example.com".into())
            ))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="Registry Realm""#), None);
    }

    #[test]
    fn the_url_an_error_names_is_left_out() {
        let long = "error sending request for url (http://r:5000/v2/m/blobs/uploads/u?_state=abc): \
                    client error (Connect): Connection refused";
        assert_eq!(
            without_url(long),
            "error sending request: client error (Connect): Connection refused"
        );
        assert_eq!(without_url("error for url (http://x/)"), "error");
        assert_eq!(without_url("no url here"), "no url here");
    }
}
