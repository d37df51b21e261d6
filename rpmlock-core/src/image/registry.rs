//! The registry API v2 client: manifests and blobs, anonymous, basic or bearer-token
//! authenticated, transient failures retried.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use sha2::{Digest, Sha256};

use super::auth::{Challenge, Credentials, parse_challenge};
use super::{ImageError, ImageRef};
use crate::reporter::Reporter;

/// A manifest larger than this is refused.
const MAX_MANIFEST: u64 = 4 << 20;
/// A token response larger than this is refused.
const MAX_TOKEN: u64 = 1 << 20;

/// How requests are authorized once the registry asked.
enum Auth {
    None,
    Basic,
    Bearer(String),
}

/// One repository of one registry.
pub(crate) struct Registry<'a> {
    client: &'a Client,
    reference: String,
    host: String,
    /// `http://host` or `https://host`.
    base: String,
    repository: String,
    credentials: Option<Credentials>,
    auth: Auth,
    retries: u32,
    retry_delay: Duration,
}

/// A fetched manifest: its bytes, its media type and its verified digest.
#[derive(Debug)]
pub(crate) struct RawManifest {
    pub(crate) bytes: Vec<u8>,
    pub(crate) media_type: Option<String>,
    pub(crate) digest: String,
}

pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl<'a> Registry<'a> {
    pub(crate) fn new(
        client: &'a Client,
        image: &ImageRef,
        reference: &str,
        plain_http: bool,
        credentials: Option<Credentials>,
        retries: u32,
        retry_delay: Duration,
    ) -> Registry<'a> {
        let scheme = if plain_http { "http" } else { "https" };
        Registry {
            client,
            reference: reference.to_string(),
            host: image.registry.clone(),
            base: format!("{scheme}://{}", image.api_host()),
            repository: image.repository.clone(),
            credentials,
            auth: Auth::None,
            retries,
            retry_delay,
        }
    }

    /// `GET /v2/<repo>/manifests/<reference>`, verified against `reference` when it is
    /// a digest and against the `Docker-Content-Digest` header when there is one.
    pub(crate) fn manifest(&mut self, reference: &str) -> Result<RawManifest, ImageError> {
        let url = format!("{}/v2/{}/manifests/{reference}", self.base, self.repository);
        let resp = self.get(&url, Some(super::manifest::ACCEPT))?;
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let media_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
        let mut bytes = Vec::new();
        resp.take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.bad_manifest(reference, format!("reading it failed: {e}")))?;
        if bytes.len() as u64 > MAX_MANIFEST {
            return Err(self.bad_manifest(reference, "larger than 4 MiB".to_string()));
        }
        let digest = sha256_digest(&bytes);
        let expected = if reference.starts_with("sha256:") {
            Some(reference.to_string())
        } else {
            header_digest.filter(|d| d.starts_with("sha256:"))
        };
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(ImageError::DigestMismatch {
                reference: self.reference.clone(),
                what: format!("manifest {reference}"),
                expected,
                actual: digest,
            });
        }
        Ok(RawManifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// A small blob (an image config) read whole and verified.
    pub(crate) fn small_blob(&mut self, digest: &str) -> Result<Vec<u8>, ImageError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        let resp = self.get(&url, None)?;
        let mut bytes = Vec::new();
        resp.take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.bad_manifest(digest, format!("reading the config failed: {e}")))?;
        let actual = sha256_digest(&bytes);
        if actual != digest {
            return Err(ImageError::DigestMismatch {
                reference: self.reference.clone(),
                what: format!("config {digest}"),
                expected: digest.to_string(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// Streams blob `digest` into `out`, returning the digest of what arrived (the
    /// caller compares). Retried as a whole on a transient failure.
    pub(crate) fn blob_to(
        &mut self,
        digest: &str,
        out: &mut std::fs::File,
        out_path: &Path,
        reporter: &dyn Reporter,
    ) -> Result<(String, u64), ImageError> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        let mut attempt = 0;
        loop {
            let resp = self.get(&url, None)?;
            reporter.download_started(&self.reference, &url, resp.content_length());
            let _finished = Finished(reporter, &url);
            out.set_len(0).map_err(ImageError::io(out_path))?;
            use std::io::Seek;
            out.seek(std::io::SeekFrom::Start(0))
                .map_err(ImageError::io(out_path))?;
            match copy_hashing(resp, out, |n| reporter.download_progress(&url, n)) {
                Ok(v) => return Ok(v),
                Err(CopyError::Write(e)) => return Err(ImageError::io(out_path)(e)),
                Err(CopyError::Read(e)) => {
                    if attempt >= self.retries {
                        return Err(ImageError::Download {
                            reference: self.reference.clone(),
                            url: url.clone(),
                            source: e,
                        });
                    }
                    attempt += 1;
                    tracing::info!(
                        "image '{}': download of {digest} broke off ({e}); retry {attempt} of {}",
                        self.reference,
                        self.retries
                    );
                    std::thread::sleep(self.delay(attempt));
                }
            }
        }
    }

    fn bad_manifest(&self, what: &str, reason: String) -> ImageError {
        ImageError::BadManifest {
            reference: self.reference.clone(),
            what: what.to_string(),
            reason,
        }
    }

    fn delay(&self, attempt: u32) -> Duration {
        self.retry_delay
            .saturating_mul(1 << (attempt - 1).min(6))
            .min(Duration::from_secs(30))
    }

    fn authorize(&self, req: RequestBuilder) -> RequestBuilder {
        match (&self.auth, &self.credentials) {
            (Auth::Bearer(token), _) => req.header(AUTHORIZATION, format!("Bearer {token}")),
            (Auth::Basic, Some(c)) => req.basic_auth(&c.username, Some(&c.password)),
            _ => req,
        }
    }

    /// Sends one GET, retrying transient failures; answers 401 once by authenticating
    /// as the challenge asks; maps error statuses to [`ImageError`]s.
    fn get(&mut self, url: &str, accept: Option<&str>) -> Result<Response, ImageError> {
        let mut authenticated = false;
        let mut attempt = 0;
        loop {
            let mut req = self.client.get(url);
            if let Some(a) = accept {
                req = req.header(ACCEPT, a);
            }
            tracing::debug!("image '{}': GET {url}", self.reference);
            let result = self.authorize(req).send();
            let resp = match result {
                Ok(r) => r,
                Err(e) => {
                    if attempt < self.retries
                        && (e.is_connect() || e.is_timeout() || e.is_request())
                    {
                        attempt += 1;
                        tracing::info!(
                            "image '{}': GET {url}: {e}; retry {attempt} of {}",
                            self.reference,
                            self.retries
                        );
                        std::thread::sleep(self.delay(attempt));
                        continue;
                    }
                    return Err(ImageError::Network {
                        reference: self.reference.clone(),
                        url: url.to_string(),
                        source: e.without_url(),
                    });
                }
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if status == StatusCode::UNAUTHORIZED && !authenticated {
                let challenge = resp
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_challenge);
                match challenge {
                    Some(Challenge::Bearer {
                        realm,
                        service,
                        scope,
                    }) => {
                        let scope =
                            scope.unwrap_or_else(|| format!("repository:{}:pull", self.repository));
                        let token = self.token(&realm, service.as_deref(), &scope)?;
                        self.auth = Auth::Bearer(token);
                    }
                    Some(Challenge::Basic) if self.credentials.is_some() => {
                        self.auth = Auth::Basic;
                    }
                    _ => return Err(self.unauthorized(status, resp)),
                }
                authenticated = true;
                continue;
            }
            if (status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS)
                && attempt < self.retries
            {
                attempt += 1;
                tracing::info!(
                    "image '{}': GET {url}: {status}; retry {attempt} of {}",
                    self.reference,
                    self.retries
                );
                std::thread::sleep(self.delay(attempt));
                continue;
            }
            return Err(self.status_error(url, resp));
        }
    }

    /// Asks the token endpoint for a bearer token, with the basic credentials when
    /// there are some.
    fn token(
        &mut self,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, ImageError> {
        let mut url = reqwest::Url::parse(realm).map_err(|e| ImageError::Unauthorized {
            reference: self.reference.clone(),
            registry: self.host.clone(),
            detail: format!("the registry's token realm '{realm}' is not a URL: {e}"),
        })?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", scope);
        }
        let mut req = self.client.get(url.clone());
        if let Some(c) = &self.credentials {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        tracing::debug!("image '{}': token from {realm} for {scope}", self.reference);
        let resp = req.send().map_err(|e| ImageError::Network {
            reference: self.reference.clone(),
            url: realm.to_string(),
            source: e.without_url(),
        })?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(self.unauthorized(status, resp));
        }
        if !status.is_success() {
            return Err(self.status_error(realm, resp));
        }
        let mut body = Vec::new();
        resp.take(MAX_TOKEN)
            .read_to_end(&mut body)
            .map_err(|e| ImageError::Unauthorized {
                reference: self.reference.clone(),
                registry: self.host.clone(),
                detail: format!("reading the token from {realm} failed: {e}"),
            })?;
        #[derive(serde::Deserialize)]
        struct TokenResponse {
            token: Option<String>,
            access_token: Option<String>,
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| ImageError::Unauthorized {
                reference: self.reference.clone(),
                registry: self.host.clone(),
                detail: format!("the token endpoint {realm} did not answer a token: {e}"),
            })?;
        parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ImageError::Unauthorized {
                reference: self.reference.clone(),
                registry: self.host.clone(),
                detail: format!("the token endpoint {realm} answered no token"),
            })
    }

    fn unauthorized(&self, status: StatusCode, resp: Response) -> ImageError {
        let detail = registry_error_text(resp);
        let what = match &self.credentials {
            None => format!(
                "{status}{detail}; the image is private or does not exist — log in (podman login / docker login) so that an auth file holds credentials for {}",
                self.host
            ),
            Some(c) => format!(
                "{status}{detail}; the credentials of user '{}' from {} were rejected or lack pull access",
                c.username,
                c.source.display()
            ),
        };
        ImageError::Unauthorized {
            reference: self.reference.clone(),
            registry: self.host.clone(),
            detail: what,
        }
    }

    fn status_error(&self, url: &str, resp: Response) -> ImageError {
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return self.unauthorized(status, resp);
        }
        let detail = registry_error_text(resp);
        if status == StatusCode::NOT_FOUND {
            return ImageError::NotFound {
                reference: self.reference.clone(),
                url: url.to_string(),
                status,
                detail,
            };
        }
        ImageError::HttpStatus {
            reference: self.reference.clone(),
            url: url.to_string(),
            status,
            detail,
        }
    }
}

/// The registry's `{"errors": [{"code", "message"}]}` as `: CODE message; ...`.
fn registry_error_text(resp: Response) -> String {
    let mut body = Vec::new();
    let _ = resp.take(64 * 1024).read_to_end(&mut body);
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorItem>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorItem {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    match serde_json::from_slice::<Errors>(&body) {
        Ok(e) if !e.errors.is_empty() => {
            let parts: Vec<String> = e
                .errors
                .iter()
                .map(|i| format!("{} ({})", i.code, i.message))
                .collect();
            format!(": {}", parts.join("; "))
        }
        _ => String::new(),
    }
}

enum CopyError {
    Read(std::io::Error),
    Write(std::io::Error),
}

/// Calls `download_finished` when dropped, so it is reported on every path.
struct Finished<'a>(&'a dyn Reporter, &'a str);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.download_finished(self.1);
    }
}

fn copy_hashing(
    mut from: impl Read,
    to: &mut std::fs::File,
    progress: impl Fn(u64),
) -> Result<(String, u64), CopyError> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
        progress(n as u64);
    }
    to.flush().map_err(CopyError::Write)?;
    Ok((format!("sha256:{}", hex::encode(hasher.finalize())), total))
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What the fake registry saw: `(path, authorization)` per request.
    type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

    /// An HTTP server on 127.0.0.1 answering each request with `answer(path, auth)`:
    /// status line, extra headers, body.
    fn serve(
        answer: impl Fn(&str, Option<&str>) -> (&'static str, Vec<String>, Vec<u8>)
        + Send
        + Sync
        + 'static,
    ) -> (u16, Log) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Log = Arc::default();
        let log2 = log.clone();
        let answer = Arc::new(answer);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (answer, log) = (answer.clone(), log2.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut auth = None;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap() == 0 || h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':')
                            && k.eq_ignore_ascii_case("authorization")
                        {
                            auth = Some(v.trim().to_string());
                        }
                    }
                    log.lock().unwrap().push((path.clone(), auth.clone()));
                    let (status, headers, body) = answer(&path, auth.as_deref());
                    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
                    if !headers.iter().any(|h| h.starts_with("Content-Length:")) {
                        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
                    }
                    for h in headers {
                        head.push_str(&h);
                        head.push_str("\r\n");
                    }
                    head.push_str("\r\n");
                    let _ = conn.write_all(head.as_bytes());
                    let _ = conn.write_all(&body);
                });
            }
        });
        (port, log)
    }

    fn registry<'a>(client: &'a Client, port: u16, creds: Option<(&str, &str)>) -> Registry<'a> {
        let image = ImageRef::parse(&format!("127.0.0.1:{port}/ns/img:1")).unwrap();
        Registry::new(
            client,
            &image,
            &image.to_string(),
            true,
            creds.map(|(u, p)| Credentials {
                username: u.into(),
                password: p.into(),
                source: "/run/auth.json".into(),
            }),
            2,
            Duration::ZERO,
        )
    }

    const MANIFEST: &[u8] = br#"{"schemaVersion":2,"layers":[]}"#;

    #[test]
    fn basic_challenge_is_answered_with_the_credentials() {
        let (port, log) = serve(|_, auth| match auth {
            Some("Basic dTpw") => ("200 OK", vec![], MANIFEST.to_vec()),
            _ => (
                "401 Unauthorized",
                vec![r#"WWW-Authenticate: Basic realm="registry""#.into()],
                vec![],
            ),
        });
        let client = Client::new();
        let m = registry(&client, port, Some(("u", "p")))
            .manifest("1")
            .unwrap();
        assert_eq!(m.digest, sha256_digest(MANIFEST));
        let seen: Vec<_> = log.lock().unwrap().iter().map(|(_, a)| a.clone()).collect();
        assert_eq!(seen, [None, Some("Basic dTpw".to_string())]);

        // Without credentials: unauthorized, saying to log in.
        let e = registry(&client, port, None).manifest("1").unwrap_err();
        assert!(matches!(e, ImageError::Unauthorized { .. }), "{e:?}");
        assert!(e.to_string().contains("log in"), "{e}");
    }

    #[test]
    fn bearer_flow_uses_the_challenge_scope_and_the_token() {
        // The realm names this server's own port, known once it listens.
        let port_cell = Arc::new(Mutex::new(0u16));
        let pc = port_cell.clone();
        let (port, log) = serve(move |path, auth| {
            let me = *pc.lock().unwrap();
            if path.starts_with("/token") {
                return match auth {
                    Some("Basic dTpw") => ("200 OK", vec![], br#"{"access_token":"T0K"}"#.to_vec()),
                    _ => ("401 Unauthorized", vec![], vec![]),
                };
            }
            match auth {
                Some("Bearer T0K") => (
                    "200 OK",
                    vec![format!(
                        "Docker-Content-Digest: {}",
                        sha256_digest(MANIFEST)
                    )],
                    MANIFEST.to_vec(),
                ),
                _ => (
                    "401 Unauthorized",
                    vec![format!(
                        r#"WWW-Authenticate: Bearer realm="http://127.0.0.1:{me}/token",service="reg",scope="repository:ns/img:pull""#
                    )],
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                        .to_vec(),
                ),
            }
        });
        *port_cell.lock().unwrap() = port;
        let client = Client::new();
        let mut reg = registry(&client, port, Some(("u", "p")));
        reg.manifest("1").unwrap();
        reg.manifest("1").unwrap();
        let seen = log.lock().unwrap().clone();
        assert_eq!(seen.len(), 4, "{seen:?}");
        assert_eq!(seen[0], ("/v2/ns/img/manifests/1".into(), None));
        assert_eq!(
            seen[1],
            (
                "/token?service=reg&scope=repository%3Ans%2Fimg%3Apull".into(),
                Some("Basic dTpw".into())
            )
        );
        // The token is kept for the next request.
        assert_eq!(seen[2].1.as_deref(), Some("Bearer T0K"));
        assert_eq!(seen[3].1.as_deref(), Some("Bearer T0K"));

        // Wrong credentials: the token endpoint refuses, and the message says whose.
        let e = registry(&client, port, Some(("u", "bad")))
            .manifest("1")
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("the credentials of user 'u' from /run/auth.json were rejected"),
            "{text}"
        );
        assert!(!text.contains("bad"), "{text}");
    }

    #[test]
    fn a_broken_off_blob_download_is_retried() {
        const BLOB: &[u8] = b"0123456789abcdef";
        let hits = Arc::new(Mutex::new(0));
        let h = hits.clone();
        let (port, _) = serve(move |_, _| {
            let mut n = h.lock().unwrap();
            *n += 1;
            if *n == 1 {
                // Promises more than it sends, then closes.
                return (
                    "200 OK",
                    vec!["Content-Length: 100".into()],
                    BLOB[..4].to_vec(),
                );
            }
            ("200 OK", vec![], BLOB.to_vec())
        });
        let client = Client::new();
        let mut reg = registry(&client, port, None);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("blob");
        let mut file = std::fs::File::create(&path).unwrap();
        let digest = sha256_digest(BLOB);
        let (got, size) = reg
            .blob_to(&digest, &mut file, &path, &crate::reporter::NoopReporter)
            .unwrap();
        assert_eq!((got, size), (digest, BLOB.len() as u64));
        assert_eq!(std::fs::read(&path).unwrap(), BLOB);
        assert_eq!(*hits.lock().unwrap(), 2);
    }

    #[test]
    fn server_errors_are_retried_and_digests_checked() {
        let hits = Arc::new(Mutex::new(0));
        let h = hits.clone();
        let (port, _) = serve(move |path, _| {
            let mut n = h.lock().unwrap();
            *n += 1;
            if path.ends_with("/manifests/flaky") && *n < 3 {
                return ("503 Service Unavailable", vec![], vec![]);
            }
            if path.ends_with("/manifests/lying") {
                return (
                    "200 OK",
                    vec![format!("Docker-Content-Digest: sha256:{}", "1".repeat(64))],
                    MANIFEST.to_vec(),
                );
            }
            if path.ends_with("/manifests/flaky") {
                return ("200 OK", vec![], MANIFEST.to_vec());
            }
            (
                "404 Not Found",
                vec![],
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
                    .to_vec(),
            )
        });
        let client = Client::new();
        let mut reg = registry(&client, port, None);
        reg.manifest("flaky").unwrap();
        assert_eq!(*hits.lock().unwrap(), 3);
        let e = reg.manifest("lying").unwrap_err();
        assert!(matches!(e, ImageError::DigestMismatch { .. }), "{e:?}");
        let e = reg.manifest("gone").unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "image '127.0.0.1:{port}/ns/img:1' not found: http://127.0.0.1:{port}/v2/ns/img/manifests/gone answered 404 Not Found: MANIFEST_UNKNOWN (manifest unknown)"
            )
        );
    }
}
