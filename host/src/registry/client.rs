//! A blocking Distribution-API client for one registry host: every request goes through
//! [`Client::send`], which answers auth challenges and retries transient failures.

use super::RegistryError;
use super::auth::{self, Challenge};
use super::retry::{RetryPolicy, retryable_error, retryable_status};
use super::tls::tls_config;
use crate::cli::{Credentials, TlsOptions};
use crate::interrupt::Interruptible;
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use ureq::http::{Method, Request, Response};

/// How to reach a registry host.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    pub plain_http: bool,
    pub tls: TlsOptions,
    /// `None`: the Docker config's credentials for the host (a helper's or an `auths`
    /// entry), else anonymous.
    pub credentials: Option<Credentials>,
    pub retry: RetryPolicy,
}

/// Access a request needs; it names the token scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Pull,
    Push,
}

/// A request body that can be sent again on a retry.
#[derive(Debug, Clone, Copy)]
pub enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
    File(&'a Path),
    /// `len` bytes of a file from `offset` (one chunk of an upload).
    Range(&'a Path, u64, u64),
}

/// One request, before auth.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub method: Method,
    /// Absolute URL, or a path below the host (`/v2/...`).
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body<'a>,
    pub repository: &'a str,
    pub access: Access,
}

/// A registry host and its auth state; shared by the threads of a transfer.
pub struct Client {
    agent: ureq::Agent,
    host: String,
    base: String,
    /// `-u`, else the Docker config's, looked up (helpers run) at the first challenge.
    credentials: OnceLock<Result<Option<Credentials>, RegistryError>>,
    /// `Authorization` values by token scope (Basic uses one value for every scope).
    auth: Mutex<BTreeMap<String, String>>,
    retry: RetryPolicy,
}

impl Client {
    pub fn new(host: &str, cfg: &ClientConfig) -> Result<Client, RegistryError> {
        let tls = tls_config(&cfg.tls)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .tls_config(tls)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_recv_response(Some(Duration::from_secs(300)))
            .max_idle_connections_per_host(32)
            .build()
            .into();
        let scheme = if cfg.plain_http { "http" } else { "https" };
        // Docker Hub's API host, as containerd maps it.
        let api_host = if host == "docker.io" {
            "registry-1.docker.io"
        } else {
            host
        };
        Ok(Client {
            agent,
            host: host.to_string(),
            base: format!("{scheme}://{api_host}"),
            credentials: match &cfg.credentials {
                Some(c) => OnceLock::from(Ok(Some(c.clone()))),
                None => OnceLock::new(),
            },
            auth: Mutex::new(BTreeMap::new()),
            retry: cfg.retry,
        })
    }

    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Resolves a `Location` header (absolute or host-relative) into a URL.
    pub fn url(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_string()
        } else {
            format!("{}{location}", self.base)
        }
    }

    /// Sends `call`, answering one auth challenge and retrying transient failures. Any
    /// status is returned except 401 after the challenge was answered.
    pub fn send(&self, call: &Call<'_>) -> Result<Response<ureq::Body>, RegistryError> {
        let scope = scope(call.repository, call.access);
        let mut answered = false;
        let mut attempt = 1;
        loop {
            // Cleanup (DELETE of an upload session) still goes out after a stop request.
            if call.method != Method::DELETE {
                crate::interrupt::check()?;
            }
            let cached = self.cached_auth(&scope);
            let result = self.send_once(call, cached.as_deref());
            match result {
                Ok(resp) if resp.status().as_u16() == 401 => {
                    if answered {
                        return Err(self.unauthorized());
                    }
                    answered = true;
                    let header = self.answer(&resp, &scope)?;
                    self.auth
                        .lock()
                        .map_err(|_| RegistryError::Poisoned)?
                        .insert(scope.clone(), header);
                }
                Ok(resp)
                    if retryable_status(resp.status().as_u16())
                        && attempt < self.retry.attempts =>
                {
                    std::thread::sleep(self.retry.delay(attempt));
                    attempt += 1;
                }
                Ok(resp) => return Ok(resp),
                Err(_)
                    if call.method != Method::DELETE && crate::interrupt::requested().is_some() =>
                {
                    crate::interrupt::check()?;
                }
                Err(e) if retryable_error(&e) && attempt < self.retry.attempts => {
                    std::thread::sleep(self.retry.delay(attempt));
                    attempt += 1;
                }
                Err(e) => return Err(self.transport(e)),
            }
        }
    }

    fn send_once(
        &self,
        call: &Call<'_>,
        authorization: Option<&str>,
    ) -> Result<Response<ureq::Body>, ureq::Error> {
        let mut req = Request::builder()
            .method(call.method.clone())
            .uri(self.url(&call.url));
        for (k, v) in &call.headers {
            req = req.header(*k, v);
        }
        if let Some(a) = authorization {
            req = req.header("Authorization", a);
        }
        match call.body {
            // An explicit empty body sends `Content-Length: 0` on POST rather than an empty
            // chunked body, which some proxies do not forward.
            Body::Empty if call.method == Method::POST => self.agent.run(req.body(&[][..])?),
            Body::Empty => self.agent.run(req.body(())?),
            Body::Bytes(b) => self.agent.run(req.body(b)?),
            Body::File(p) => {
                let f = std::fs::File::open(p)?;
                // A reader body is chunked unless its length is given.
                let len = f.metadata()?.len();
                let req = req.header("Content-Length", len.to_string());
                let body = ureq::SendBody::from_owned_reader(Interruptible(f));
                self.agent.run(req.body(body)?)
            }
            Body::Range(p, offset, len) => {
                let mut f = std::fs::File::open(p)?;
                f.seek(SeekFrom::Start(offset))?;
                let req = req.header("Content-Length", len.to_string());
                let body = ureq::SendBody::from_owned_reader(Interruptible(f.take(len)));
                self.agent.run(req.body(body)?)
            }
        }
    }

    fn cached_auth(&self, scope: &str) -> Option<String> {
        let map = self.auth.lock().ok()?;
        map.get(scope).or_else(|| map.get(BASIC_KEY)).cloned()
    }

    /// The `Authorization` value that answers the challenge of a 401 response.
    fn answer(&self, resp: &Response<ureq::Body>, scope: &str) -> Result<String, RegistryError> {
        let challenge = resp
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(Challenge::parse)
            .ok_or_else(|| self.unauthorized())?;
        match challenge {
            Challenge::Basic => {
                let c = self.credentials()?.ok_or_else(|| self.unauthorized())?;
                let header = auth::basic_header(c);
                if let Ok(mut m) = self.auth.lock() {
                    m.insert(BASIC_KEY.to_string(), header.clone());
                }
                Ok(header)
            }
            Challenge::Bearer { params } => self.fetch_token(&params, scope),
        }
    }

    /// GETs a token from the challenge's realm for `scope`.
    fn fetch_token(
        &self,
        params: &BTreeMap<String, String>,
        scope: &str,
    ) -> Result<String, RegistryError> {
        let realm = params
            .get("realm")
            .ok_or_else(|| RegistryError::Auth("bearer challenge without a realm".into()))?;
        let mut url = format!("{realm}?scope={}", query_escape(scope));
        if let Some(s) = params.get("service") {
            url.push_str(&format!("&service={}", query_escape(s)));
        }
        let mut req = Request::get(&url);
        if let Some(c) = self.credentials()? {
            req = req.header("Authorization", auth::basic_header(c));
        }
        let req = req
            .body(())
            .map_err(|e| RegistryError::Auth(e.to_string()))?;
        let mut resp = self.agent.run(req).map_err(|e| self.transport(e))?;
        match resp.status().as_u16() {
            200 => {}
            401 | 403 => return Err(self.unauthorized()),
            s => {
                return Err(RegistryError::Auth(format!(
                    "token endpoint {realm} answered HTTP {s}"
                )));
            }
        }
        let body = resp
            .body_mut()
            .read_to_vec()
            .map_err(|e| RegistryError::Auth(format!("bad token response: {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| RegistryError::Auth(format!("bad token response: {e}")))?;
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| RegistryError::Auth("token response without a token".into()))?;
        Ok(format!("Bearer {token}"))
    }

    fn credentials(&self) -> Result<Option<&Credentials>, RegistryError> {
        self.credentials
            .get_or_init(|| auth::config_credentials(&self.host))
            .as_ref()
            .map(Option::as_ref)
            .map_err(Clone::clone)
    }

    fn unauthorized(&self) -> RegistryError {
        match self
            .credentials
            .get()
            .and_then(|c| c.as_ref().ok())
            .and_then(Option::as_ref)
        {
            Some(c) => RegistryError::Unauthorized {
                host: self.host.clone(),
                user: c.user.clone(),
            },
            _ => RegistryError::NeedsCredentials {
                host: self.host.clone(),
            },
        }
    }

    fn transport(&self, e: ureq::Error) -> RegistryError {
        let detail = match &e {
            ureq::Error::Io(io) => io.to_string(),
            other => other.to_string(),
        };
        RegistryError::Unreachable {
            host: self.host.clone(),
            detail,
        }
    }
}

/// The auth cache key of Basic credentials (they answer every scope).
const BASIC_KEY: &str = "";

fn scope(repository: &str, access: Access) -> String {
    match access {
        Access::Pull => format!("repository:{repository}:pull"),
        Access::Push => format!("repository:{repository}:pull,push"),
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
