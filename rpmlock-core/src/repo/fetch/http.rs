//! HTTP: one GET (or HEAD) with the repo's connection, bounded reads, stall detection,
//! retries with back-off.

use std::io::{self, Read};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use url::Url;

use super::*;
use crate::model::Checksum;
use crate::repo::RepoError;
use crate::repo::cache::Validators;
use crate::repo::connection::{ConnSettings, RepoConn};
use crate::repo::error::{error_chain, redact_url};

impl Fetcher {
    /// GET `url`; `validators` make it conditional.
    pub(super) fn get(
        &self,
        repoid: &str,
        url: &Url,
        validators: Option<&Validators>,
        conn: &RepoConn,
    ) -> Result<Got, RepoError> {
        match url.scheme() {
            "file" => {
                let path = file_path(repoid, url)?;
                let file = fs_err::File::open(&path).map_err(|source| RepoError::LocalRead {
                    repoid: repoid.to_string(),
                    url: redact_url(url),
                    source,
                })?;
                let len = file.metadata().ok().map(|m| m.len());
                Ok(Got::Body {
                    reader: Box::new(file),
                    len,
                    validators: Validators::default(),
                })
            }
            "http" | "https" => {
                let mut req = conn.client.get(url.clone());
                if let Some((user, password)) = &conn.basic_auth {
                    req = req.basic_auth(user, password.as_deref());
                }
                if let Some(v) = validators {
                    if let Some(etag) = &v.etag {
                        req = req.header(IF_NONE_MATCH, etag);
                    }
                    if let Some(lm) = &v.last_modified {
                        req = req.header(IF_MODIFIED_SINCE, lm);
                    }
                }
                tracing::debug!("repo '{repoid}': GET {}", redact_url(url));
                let resp = req
                    .send()
                    .map_err(|e| classify_network(repoid, url, conn, e))?;
                let status = resp.status();
                if status == StatusCode::NOT_MODIFIED && validators.is_some() {
                    return Ok(Got::NotModified);
                }
                if !status.is_success() {
                    return Err(classify_status(repoid, url, conn, resp));
                }
                let header = |name| {
                    resp.headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let validators = Validators {
                    etag: header(ETAG),
                    last_modified: header(LAST_MODIFIED),
                };
                let len = resp.content_length();
                Ok(Got::Body {
                    reader: Box::new(resp),
                    len,
                    validators,
                })
            }
            other => Err(RepoError::UnsupportedScheme {
                repoid: repoid.to_string(),
                url: redact_url(url),
                scheme: other.to_string(),
            }),
        }
    }

    /// A small file (repomd.xml) read whole, with progress reported.
    pub(super) fn read_small(
        &self,
        repoid: &str,
        url: &Url,
        conn: &RepoConn,
    ) -> Result<Vec<u8>, RepoError> {
        let Got::Body { reader, len, .. } = self.get(repoid, url, None, conn)? else {
            unreachable!("an unconditional request is never answered 304")
        };
        self.read_body(repoid, &redact_url(url), reader, len, conn)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up;
    /// transient failures are retried after a growing delay, each logged.
    pub(super) fn with_retries<T>(
        &self,
        repoid: &str,
        shown: &str,
        mut attempt: impl FnMut() -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        let mut done = 0u32;
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let Some(hint) = transient(&e) else {
                        return Err(e);
                    };
                    if done >= self.opts.retries {
                        return Err(e);
                    }
                    done += 1;
                    let delay = if self.opts.retry_delay.is_zero() {
                        Duration::ZERO
                    } else {
                        hint.unwrap_or_else(|| {
                            self.opts
                                .retry_delay
                                .saturating_mul(1 << (done - 1).min(16))
                        })
                        .min(MAX_RETRY_DELAY)
                    };
                    // The error names the repo already, as the line does.
                    let chain = error_chain(&e);
                    let prefix = format!("repo '{repoid}': ");
                    let reason = chain.strip_prefix(&prefix).unwrap_or(&chain);
                    tracing::info!(
                        "repo '{repoid}': {shown}: {reason}; retry {done} of {} in {:.1}s",
                        self.opts.retries,
                        delay.as_secs_f64()
                    );
                    self.reporter
                        .download_retrying(repoid, shown, done, self.opts.retries, reason);
                    std::thread::sleep(delay);
                }
            }
        }
    }

    pub(super) fn read_body(
        &self,
        repoid: &str,
        shown: &str,
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
        conn: &RepoConn,
    ) -> Result<Vec<u8>, RepoError> {
        self.reporter.download_started(repoid, shown, len);
        let _finished = Finished(&*self.reporter, shown);
        let too_large = || RepoError::TooLarge {
            repoid: repoid.to_string(),
            url: shown.to_string(),
            limit: MAX_SMALL_FILE,
            why: "the cap on repomd.xml, mirror lists, metalinks and .repo files",
        };
        if len.is_some_and(|n| n > MAX_SMALL_FILE) {
            return Err(too_large());
        }
        let mut bytes = Vec::with_capacity(len.unwrap_or(8192).min(MAX_SMALL_FILE) as usize);
        let mut reader = reader.take(MAX_SMALL_FILE + 1);
        self.pump(repoid, shown, &mut reader, conn, |chunk| {
            bytes.extend_from_slice(chunk);
            Ok(())
        })?;
        if bytes.len() as u64 > MAX_SMALL_FILE {
            return Err(too_large());
        }
        Ok(bytes)
    }

    /// Reads `reader` to its end in chunks handed to `sink`, reporting progress and
    /// failing a stalled download (`minrate`); returns the number of bytes read.
    pub(super) fn pump(
        &self,
        repoid: &str,
        shown: &str,
        reader: &mut dyn Read,
        conn: &RepoConn,
        mut sink: impl FnMut(&[u8]) -> Result<(), RepoError>,
    ) -> Result<u64, RepoError> {
        let mut stall = StallCheck::new(conn);
        let mut buf = vec![0u8; CHUNK];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => return Ok(size),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(download_error(repoid, shown, source)),
            };
            sink(&buf[..n])?;
            size += n as u64;
            stall.add(n as u64, repoid, shown)?;
            self.reporter.download_progress(shown, n as u64);
        }
    }
}

/// What a data file download must be.
pub(super) struct Expected<'a> {
    /// Its checksum.
    pub(super) checksum: &'a Checksum,
    /// Its size, when known (for progress).
    pub(super) total: Option<u64>,
    /// The most bytes accepted, and where that limit comes from.
    pub(super) limit: (u64, &'static str),
}

/// `minrate`/`timeout` stall detection: fails a download that moved fewer than
/// `minrate × window` bytes during a whole window.
pub(super) struct StallCheck {
    pub(super) limit: Option<(u64, Duration)>,
    pub(super) window_start: std::time::Instant,
    pub(super) in_window: u64,
}

impl StallCheck {
    pub(super) fn new(conn: &RepoConn) -> StallCheck {
        StallCheck::with_limit(conn.minrate)
    }

    pub(super) fn with_limit(limit: Option<(u64, Duration)>) -> StallCheck {
        StallCheck {
            limit,
            window_start: std::time::Instant::now(),
            in_window: 0,
        }
    }

    pub(super) fn add(&mut self, n: u64, repoid: &str, shown: &str) -> Result<(), RepoError> {
        let Some((rate, window)) = self.limit else {
            return Ok(());
        };
        self.in_window += n;
        let elapsed = self.window_start.elapsed();
        if elapsed >= window {
            if (self.in_window as f64) < rate as f64 * elapsed.as_secs_f64() {
                return Err(RepoError::TooSlow {
                    repoid: repoid.to_string(),
                    url: shown.to_string(),
                    minrate: rate,
                    window,
                });
            }
            self.window_start = std::time::Instant::now();
            self.in_window = 0;
        }
        Ok(())
    }
}

/// `Some(delay hint)` when `e` is worth retrying (the hint from Retry-After).
pub(super) fn transient(e: &RepoError) -> Option<Option<Duration>> {
    match e {
        RepoError::Network { .. } | RepoError::Download { .. } | RepoError::TooSlow { .. } => {
            Some(None)
        }
        RepoError::HttpStatus {
            status,
            retry_after,
            ..
        } if status.is_server_error() || *status == StatusCode::TOO_MANY_REQUESTS => {
            Some(retry_after.map(Duration::from_secs))
        }
        _ => None,
    }
}

impl Fetcher {
    /// Checks that `url` (a package of repo `repoid`, reached with `settings`: TLS,
    /// client certificate, proxy, credentials) still downloads, without downloading
    /// it: a `HEAD` request, then a ranged `GET` (`Range: bytes=0-0`) where `HEAD` is
    /// refused (405, 501, or any other error status: its page may say why). Returns the size the server announces
    /// (`Content-Length`, or the total of `Content-Range`), `None` when it announces
    /// none. A `file://` URL (or absolute path) is checked on disk. Transient failures
    /// are retried as downloads are.
    pub fn probe(
        &self,
        repoid: &str,
        settings: &ConnSettings,
        url: &str,
    ) -> Result<Option<u64>, RepoError> {
        let url = parse_url(repoid, url, false)?;
        let shown = redact_url(&url);
        if url.scheme() == "file" {
            let path = file_path(repoid, &url)?;
            return fs_err::metadata(&path)
                .map(|m| Some(m.len()))
                .map_err(|source| RepoError::LocalRead {
                    repoid: repoid.to_string(),
                    url: shown,
                    source,
                });
        }
        let conn = self
            .pool
            .connect(repoid, settings, url.scheme() == "https")?;
        self.with_retries(repoid, &shown, || {
            let request = |method: reqwest::Method| {
                let mut req = conn.client.request(method, url.clone());
                if let Some((user, password)) = &conn.basic_auth {
                    req = req.basic_auth(user, password.as_deref());
                }
                req
            };
            tracing::debug!("repo '{repoid}': HEAD {shown}");
            let resp = request(reqwest::Method::HEAD)
                .send()
                .map_err(|e| classify_network(repoid, &url, &conn, e))?;
            // Any refusal is asked again as a ranged GET: some servers refuse HEAD
            // (405, 501), and an error page has a body that says why (nginx's
            // client-certificate pages).
            let resp = if !resp.status().is_success() {
                tracing::debug!("repo '{repoid}': GET {shown} (bytes 0-0)");
                request(reqwest::Method::GET)
                    .header(reqwest::header::RANGE, "bytes=0-0")
                    .send()
                    .map_err(|e| classify_network(repoid, &url, &conn, e))?
            } else {
                resp
            };
            if !resp.status().is_success() {
                return Err(classify_status(repoid, &url, &conn, resp));
            }
            let header = |name| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            Ok(if resp.status() == StatusCode::PARTIAL_CONTENT {
                // `bytes 0-0/TOTAL`
                header(reqwest::header::CONTENT_RANGE)
                    .and_then(|r| r.rsplit_once('/').and_then(|(_, t)| t.trim().parse().ok()))
            } else {
                header(reqwest::header::CONTENT_LENGTH).and_then(|l| l.trim().parse().ok())
            })
        })
    }
}
