//! Fetching repository metadata over `http(s)://` and `file://` with the cache of
//! [`super::cache`]: repomd.xml revalidated on every run, data files downloaded once,
//! verified against repomd.xml's checksum while they stream.

use std::collections::HashMap;
use std::io::{self, BufRead, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use sha2::digest::DynDigest;
use url::Url;

use super::cache::{Cache, Validators};
use super::connection::{ClientPool, ConnSettings, RepoConn, client_builder};
use super::decompress::Compression;
use super::error::{error_chain, redact_str, redact_url};
use super::mirrors::{Metalink, parse_metalink, parse_mirrorlist};
use super::{
    Comps, RepoError, RepoMd, parse_comps, parse_filelists_map, parse_primary, parse_primary_with,
    parse_repomd,
};
use crate::model::{Checksum, ChecksumAlgorithm, Package};
use crate::reporter::Reporter;

/// The longest back-off between two attempts, and the longest Retry-After honoured.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// A repomd.xml, mirror list or metalink larger than this is not one (real ones are a
/// few kilobytes; a metalink of every Fedora mirror is under a megabyte).
const MAX_SMALL_FILE: u64 = 16 << 20;
/// A data file whose repomd.xml declares no size may be at most this large (the
/// largest real ones, filelists of big distributions, are a few hundred megabytes).
const MAX_UNDECLARED_DATA: u64 = 8 << 30;
/// Copy buffer for downloads.
const CHUNK: usize = 64 * 1024;

/// How the fetcher uses the network and the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Cache directory, versioned (see [`default_cache_dir`]).
    pub cache_dir: PathBuf,
    /// Use only what the cache holds; never touch the network. `file://` repositories
    /// are still read, they are local.
    pub offline: bool,
    /// Download repomd.xml unconditionally and every data file again.
    pub refresh: bool,
    /// A subscription-manager entitlement directory (`NNN.pem` + `NNN-key.pem`): its
    /// newest valid pair is the client certificate of every https repo that names
    /// none of its own.
    pub entitlement_dir: Option<PathBuf>,
    /// How many times a transient failure (connect error, reset, timeout, 5xx, 429)
    /// is retried.
    pub retries: u32,
    /// The first back-off delay, doubled on each retry (capped at 30 s); zero
    /// removes every delay, Retry-After included (for tests).
    pub retry_delay: Duration,
    /// Whether a resolution whose inputs are all unchanged is read back from the
    /// cache (default true; `--refresh` turns it off too).
    pub resolution_cache: bool,
    /// Registries (`host[:port]`) spoken to over plain http besides localhost and
    /// loopback addresses, which always are.
    pub insecure_registries: Vec<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            cache_dir: default_cache_dir(),
            offline: false,
            refresh: false,
            entitlement_dir: None,
            retries: 4,
            retry_delay: Duration::from_millis(500),
            resolution_cache: true,
            insecure_registries: Vec::new(),
        }
    }
}

/// `$XDG_CACHE_HOME/rpmlock/v1`, else `~/.cache/rpmlock/v1` (else under the temporary
/// directory when there is no home).
pub fn default_cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| dirs::home_dir().map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("rpmlock").join("v1")
}

/// A repository whose repomd.xml has been fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedRepo {
    /// Repository id.
    pub repoid: String,
    /// The base URL that answered (always ends with `/`); package `location href`s
    /// without an `xml:base` are relative to it.
    pub base_url: Url,
    /// The parsed repomd.xml.
    pub repomd: RepoMd,
    /// How its files are fetched (client, credentials).
    pub(crate) conn: Arc<RepoConn>,
}

/// A metadata file in the cache, verified against repomd.xml's checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedFile {
    /// Where it is in the cache.
    pub path: PathBuf,
    /// Where it came from (user-info removed).
    pub url: String,
    /// Its size in bytes, as stored (compressed).
    pub size: u64,
    /// Its checksum, as repomd.xml gives it.
    pub checksum: Checksum,
}

/// Fetches repository metadata through one shared HTTP client and the cache.
/// `Send + Sync`: share one fetcher (e.g. in an `Arc`) between threads.
pub struct Fetcher {
    opts: FetchOptions,
    pool: ClientPool,
    cache: Cache,
    reporter: Arc<dyn Reporter>,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

/// Whether a response arrived.
enum Got {
    /// 304: the cached copy is current.
    NotModified,
    /// A body to read.
    Body {
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
        validators: Validators,
    },
}

/// Calls `download_finished` when dropped, so it is reported on every path.
struct Finished<'a>(&'a dyn Reporter, &'a str);

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        self.0.download_finished(self.1);
    }
}

impl Fetcher {
    /// A fetcher with its own client from [`Fetcher::default_client`].
    pub fn new(opts: FetchOptions, reporter: Arc<dyn Reporter>) -> Result<Fetcher, RepoError> {
        Ok(Fetcher::with_client(
            opts,
            Fetcher::default_client()?,
            reporter,
        ))
    }

    /// A fetcher using `client` (e.g. one configured with a proxy or client
    /// certificates). Clients share their connection pool when cloned.
    pub fn with_client(opts: FetchOptions, client: Client, reporter: Arc<dyn Reporter>) -> Fetcher {
        let cache = Cache::new(opts.cache_dir.clone());
        // Temporary files of runs that crashed (or were killed) hours ago.
        let swept = crate::tempfiles::sweep_cache(&opts.cache_dir, 4);
        if swept > 0 {
            tracing::debug!(
                "removed {swept} stale temporary files from {}",
                opts.cache_dir.display()
            );
        }
        Fetcher {
            pool: ClientPool::new(opts.entitlement_dir.clone(), client),
            opts,
            cache,
            reporter,
        }
    }

    /// The client rpmlock uses by default: user agent `rpmlock/VERSION`, 30 s connect
    /// timeout, 60 s read timeout (per read, not for the whole body), rustls verifying
    /// against the platform's trust store, no transparent decompression (files are
    /// verified as stored).
    pub fn default_client() -> Result<Client, RepoError> {
        client_builder(None).build().map_err(RepoError::Client)
    }

    /// The options this fetcher runs with.
    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// Fetches and parses `repodata/repomd.xml` from the first base URL that works.
    ///
    /// `baseurls` are tried in order; a failing one is logged and the next tried. With
    /// one base URL its error is returned as is, with several
    /// [`RepoError::AllMirrorsFailed`] lists each. An absolute path is accepted as a
    /// `file://` URL. Default connection settings; see [`Fetcher::fetch_repomd_with`].
    pub fn fetch_repomd(
        &self,
        repoid: &str,
        baseurls: &[String],
    ) -> Result<FetchedRepo, RepoError> {
        self.fetch_repomd_with(repoid, baseurls, &ConnSettings::default())
    }

    /// [`Fetcher::fetch_repomd`] with the repo's connection settings (client
    /// certificate, CA, proxy, credentials, timeouts); the returned repo's data files
    /// are fetched with the same settings.
    pub fn fetch_repomd_with(
        &self,
        repoid: &str,
        baseurls: &[String],
        settings: &ConnSettings,
    ) -> Result<FetchedRepo, RepoError> {
        let list_url = settings.metalink.as_ref().or(settings.mirrorlist.as_ref());
        let https = baseurls
            .iter()
            .chain(list_url)
            .any(|u| u.trim().starts_with("https:"));
        let conn = Arc::new(self.pool.connect(repoid, settings, https)?);
        let mut failures = Vec::new();
        // Base URLs first, then the mirrors of the metalink (or mirrorlist).
        let mut candidates: Vec<(String, Option<Arc<Metalink>>)> =
            baseurls.iter().map(|u| (u.clone(), None)).collect();
        if let Some(raw) = &settings.metalink {
            let shown = redact_str(raw);
            match self
                .fetch_mirror_list(repoid, raw, &conn)
                .and_then(|bytes| parse_metalink(&bytes, &shown))
            {
                Ok(m) => {
                    tracing::debug!(
                        "repo '{repoid}': metalink {shown}: {} mirrors",
                        m.bases.len()
                    );
                    let m = Arc::new(m);
                    candidates.extend(m.bases.iter().map(|b| (b.clone(), Some(m.clone()))));
                }
                Err(e) => failures.push((shown, e)),
            }
        } else if let Some(raw) = &settings.mirrorlist {
            match self.fetch_mirror_list(repoid, raw, &conn) {
                Ok(bytes) => {
                    candidates.extend(parse_mirrorlist(&bytes).into_iter().map(|u| (u, None)))
                }
                Err(e) => failures.push((redact_str(raw), e)),
            }
        }
        let total = candidates.len() + failures.len();
        let list_base = list_url.and_then(|u| parse_base(repoid, u).ok());
        for (i, (raw, metalink)) in candidates.iter().enumerate() {
            let result = parse_base(repoid, raw).and_then(|base| {
                // A mirror named by a remote mirror list or metalink is remote too.
                if i >= baseurls.len()
                    && let Some(list) = &list_base
                {
                    refuse_local_from_remote(repoid, list, &base, || {
                        format!("a mirror listed by {}", redact_url(list))
                    })?;
                }
                let repomd = self.repomd_from(repoid, &base, &conn, metalink.as_deref())?;
                Ok(FetchedRepo {
                    repoid: repoid.to_string(),
                    base_url: base,
                    repomd,
                    conn: conn.clone(),
                })
            });
            match result {
                Ok(repo) => {
                    if !failures.is_empty() {
                        tracing::info!("repo '{repoid}': using {}", redact_url(&repo.base_url));
                    }
                    return Ok(repo);
                }
                Err(e) => {
                    let shown = redact_str(raw);
                    if total > 1 {
                        tracing::warn!(
                            "repo '{repoid}': base URL {shown} failed, trying the next: {}",
                            super::error::error_chain(&e)
                        );
                    }
                    failures.push((shown, e));
                }
            }
        }
        match failures.len() {
            0 => Err(RepoError::NoBaseUrl {
                repoid: repoid.to_string(),
            }),
            1 => Err(failures.pop().expect("one failure").1),
            _ => Err(RepoError::AllMirrorsFailed {
                repoid: repoid.to_string(),
                failures,
            }),
        }
    }

    /// A mirrorlist or metalink: downloaded (and cached), from the cache when offline
    /// or when the download fails.
    fn fetch_mirror_list(
        &self,
        repoid: &str,
        raw: &str,
        conn: &RepoConn,
    ) -> Result<Vec<u8>, RepoError> {
        let url = parse_base(repoid, raw).map(|mut u| {
            // parse_base adds a trailing slash; a list is a file.
            let path = u.path().trim_end_matches('/').to_string();
            u.set_path(&path);
            u
        })?;
        let shown = redact_url(&url);
        let cached = self.cache.mirrors_path(&url);
        if url.scheme() == "file" {
            return self.read_small(repoid, &url, conn);
        }
        if self.opts.offline {
            return fs_err::read(&cached).map_err(|_| RepoError::NotCached {
                repoid: repoid.to_string(),
                url: shown,
            });
        }
        let fetched = self.with_retries(repoid, &shown, || self.read_small(repoid, &url, conn));
        match fetched {
            Ok(bytes) => {
                super::cache::write_atomic(&cached, &bytes)?;
                Ok(bytes)
            }
            Err(e) => match fs_err::read(&cached) {
                Ok(bytes) => {
                    tracing::warn!(
                        "repo '{repoid}': {}; using the cached copy of {shown}",
                        error_chain(&e)
                    );
                    Ok(bytes)
                }
                Err(_) => Err(e),
            },
        }
    }

    fn repomd_from(
        &self,
        repoid: &str,
        base: &Url,
        conn: &RepoConn,
        metalink: Option<&Metalink>,
    ) -> Result<RepoMd, RepoError> {
        let url = join(repoid, base, "repodata/repomd.xml")?;
        let shown = redact_url(&url);
        let check = |bytes: &[u8]| match metalink {
            Some(m) => m.check(repoid, &shown, bytes),
            None => Ok(()),
        };
        if url.scheme() == "file" {
            let bytes = self.read_small(repoid, &url, conn)?;
            check(&bytes)?;
            return parse_repomd(&bytes, &shown);
        }
        let cached = self.cache.read_repomd(base)?;
        if self.opts.offline {
            return match cached {
                Some((bytes, _)) => {
                    check(&bytes)?;
                    let path = self.cache.repomd_dir(base).join("repomd.xml");
                    parse_repomd(&bytes, &path.display().to_string())
                }
                None => Err(RepoError::NotCached {
                    repoid: repoid.to_string(),
                    url: shown,
                }),
            };
        }
        let validators = if self.opts.refresh {
            None
        } else {
            cached.as_ref().map(|(_, v)| v)
        };
        let got = self.with_retries(repoid, &shown, || {
            Ok(match self.get(repoid, &url, validators, conn)? {
                Got::NotModified => None,
                Got::Body {
                    reader,
                    len,
                    validators,
                } => Some((
                    self.read_body(repoid, &shown, reader, len, conn)?,
                    validators,
                )),
            })
        })?;
        match got {
            None => {
                tracing::debug!("repo '{repoid}': {shown} not modified, using the cached copy");
                let (bytes, _) = cached.expect("a conditional request needs a cached copy");
                check(&bytes)?;
                let path = self.cache.repomd_dir(base).join("repomd.xml");
                parse_repomd(&bytes, &path.display().to_string())
            }
            Some((bytes, validators)) => {
                // A mirror that is not at a revision the metalink lists is skipped.
                check(&bytes)?;
                // Parse before storing: an error page never replaces a good copy.
                let md = parse_repomd(&bytes, &shown)?;
                self.cache.store_repomd(base, &bytes, &validators)?;
                Ok(md)
            }
        }
    }

    /// A small text file such as a `.repo` file: `http(s)://` URLs are downloaded and
    /// the copy kept in the cache (`text-v1/`, keyed by the URL), which `--offline` uses
    /// instead of the network; `file://` URLs and absolute paths are read. Bytes that are
    /// not UTF-8 are replaced (the caller's parser then names the bad line). Errors
    /// name `label` as the repo (e.g. `repofile`).
    pub fn fetch_text(&self, label: &str, url: &str) -> Result<String, RepoError> {
        use sha2::Digest as _;
        let url = parse_url(label, url, false)?;
        let shown = redact_url(&url);
        // Default connection settings (an entitlement certificate for https).
        let conn = self
            .pool
            .connect(label, &ConnSettings::default(), url.scheme() == "https")?;
        if url.scheme() == "file" {
            let bytes = self.read_small(label, &url, &conn)?;
            return Ok(String::from_utf8_lossy(&bytes).into_owned());
        }
        let key = hex::encode(sha2::Sha256::digest(url.as_str().as_bytes()));
        let dir = self.opts.cache_dir.join("text-v1");
        let path = dir.join(key);
        if self.opts.offline {
            return match fs_err::read(&path) {
                Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Err(RepoError::NotCached {
                    repoid: label.to_string(),
                    url: shown,
                }),
                Err(source) => Err(RepoError::Io { path, source }),
            };
        }
        let bytes = self.read_small(label, &url, &conn)?;
        // Best effort: a copy that cannot be stored only costs `--offline` its answer.
        if let Err(e) = super::cache::write_atomic(&path, &bytes) {
            tracing::debug!(
                "cannot cache {shown} in {}: {}",
                dir.display(),
                error_chain(&e)
            );
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The data file of type `kind` (`primary`, `filelists`, `modules`, ...), from the
    /// cache or downloaded into it; `None` when repomd.xml lists no such type.
    pub fn fetch_data(
        &self,
        repo: &FetchedRepo,
        kind: &str,
    ) -> Result<Option<CachedFile>, RepoError> {
        let Some(entry) = repo.repomd.get(kind) else {
            return Ok(None);
        };
        let repoid = repo.repoid.as_str();
        let base = match &entry.location_base {
            Some(b) => parse_base(repoid, b)?,
            None => repo.base_url.clone(),
        };
        let url = join(repoid, &base, &entry.location_href)?;
        refuse_local_from_remote(repoid, &repo.base_url, &url, || {
            format!("repomd.xml's {kind} location")
        })?;
        let shown = redact_url(&url);
        let path = self.cache.data_path(&entry.checksum);
        let cached_file = |size| CachedFile {
            path: path.clone(),
            url: shown.clone(),
            size,
            checksum: entry.checksum.clone(),
        };
        if !self.opts.refresh {
            match fs_err::metadata(&path) {
                Ok(m) => {
                    tracing::debug!(
                        "repo '{repoid}': {kind} {shown}: cached at {}",
                        path.display()
                    );
                    return Ok(Some(cached_file(m.len())));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(RepoError::Io {
                        path: path.clone(),
                        source: e,
                    });
                }
            }
        }
        if self.opts.offline && url.scheme() != "file" {
            return Err(RepoError::NotCached {
                repoid: repoid.to_string(),
                url: shown,
            });
        }
        // One download per file at a time, across processes: the others wait and then
        // find it in the cache.
        let _lock = self.cache.lock_data(&path)?;
        if !self.opts.refresh
            && let Ok(m) = fs_err::metadata(&path)
        {
            tracing::debug!("repo '{repoid}': {kind} {shown}: downloaded by another process");
            return Ok(Some(cached_file(m.len())));
        }
        let conn = &*repo.conn;
        let size = self.with_retries(repoid, &shown, || {
            let Got::Body { reader, len, .. } = self.get(repoid, &url, None, conn)? else {
                unreachable!("an unconditional request is never answered 304")
            };
            let limit = match entry.size {
                Some(size) => (size, "the size repomd.xml declares"),
                None => (
                    MAX_UNDECLARED_DATA,
                    "the cap on data files of undeclared size",
                ),
            };
            if let Some(len) = len
                && len > limit.0
            {
                return Err(RepoError::TooLarge {
                    repoid: repoid.to_string(),
                    url: shown.clone(),
                    limit: limit.0,
                    why: limit.1,
                });
            }
            let expect = Expected {
                checksum: &entry.checksum,
                total: len.or(entry.size),
                limit,
            };
            self.download_verified(repoid, &shown, reader, &expect, conn)
        })?;
        tracing::info!("repo '{repoid}': downloaded {kind} {shown} ({size} bytes)");
        Ok(Some(cached_file(size)))
    }

    /// Streams `reader` into a temporary file beside its cache path, hashing as bytes arrive;
    /// renames it to `dest` only when the checksum matches.
    fn download_verified(
        &self,
        repoid: &str,
        shown: &str,
        reader: Box<dyn Read + Send>,
        expect: &Expected<'_>,
        conn: &RepoConn,
    ) -> Result<u64, RepoError> {
        let (expected, total, (limit, why)) = (expect.checksum, expect.total, expect.limit);
        let dest = &self.cache.data_path(expected);
        // One byte more than allowed tells a body that is too long from one that fits.
        let mut reader = reader.take(limit.saturating_add(1));
        self.reporter.download_started(repoid, shown, total);
        let _finished = Finished(&*self.reporter, shown);
        let mut tmp = Cache::temp_beside(dest)?;
        let tmp_path = tmp.path().to_path_buf();
        let _tracked = crate::tempfiles::track(&tmp_path);
        let mut hasher = hasher(expected.algorithm);
        let size = self.pump(repoid, shown, &mut reader, conn, |chunk| {
            hasher.update(chunk);
            tmp.write_all(chunk).map_err(|source| RepoError::Io {
                path: tmp_path.clone(),
                source,
            })
        })?;
        if size > limit {
            // `tmp` is deleted when dropped: nothing is stored.
            return Err(RepoError::TooLarge {
                repoid: repoid.to_string(),
                url: shown.to_string(),
                limit,
                why,
            });
        }
        let actual = Checksum {
            algorithm: expected.algorithm,
            hex: hex::encode(hasher.finalize()),
        };
        if actual != *expected {
            // `tmp` is deleted when dropped: nothing is stored.
            return Err(RepoError::ChecksumMismatch {
                url: shown.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
        Cache::persist(tmp, dest)?;
        Ok(size)
    }

    /// Downloads `url` (an `http(s)://` or `file://` URL, or an absolute path) of repo
    /// `repoid`, with the repo's connection `settings`, to `dest`: streamed into a
    /// temporary file beside `dest`, counted and hashed as it arrives, and renamed to
    /// `dest` only when its size (when `size` is given) and `expected` checksum match;
    /// nothing is left at `dest` otherwise. Transient failures are retried. Not
    /// cached: `dest` is the file's home. Returns the size.
    pub fn download_to(
        &self,
        repoid: &str,
        url: &str,
        settings: &ConnSettings,
        dest: &std::path::Path,
        size: Option<u64>,
        expected: &Checksum,
    ) -> Result<u64, RepoError> {
        let url = parse_url(repoid, url, false)?;
        let shown = redact_url(&url);
        if self.opts.offline && url.scheme() != "file" {
            return Err(RepoError::NotCached {
                repoid: repoid.to_string(),
                url: shown,
            });
        }
        let conn = self
            .pool
            .connect(repoid, settings, url.scheme() == "https")?;
        self.with_retries(repoid, &shown, || {
            let Got::Body {
                mut reader, len, ..
            } = self.get(repoid, &url, None, &conn)?
            else {
                unreachable!("an unconditional request is never answered 304")
            };
            self.reporter.download_started(repoid, &shown, size.or(len));
            let _finished = Finished(&*self.reporter, &shown);
            let mut tmp = Cache::temp_beside(dest)?;
            let tmp_path = tmp.path().to_path_buf();
            let mut hasher = hasher(expected.algorithm);
            let mut received = 0u64;
            let got = self.pump(repoid, &shown, &mut reader, &conn, |chunk| {
                received += chunk.len() as u64;
                if let Some(want) = size
                    && received > want
                {
                    return Err(RepoError::SizeMismatch {
                        url: shown.clone(),
                        expected: want,
                        actual: received,
                    });
                }
                hasher.update(chunk);
                tmp.write_all(chunk).map_err(|source| RepoError::Io {
                    path: tmp_path.clone(),
                    source,
                })
            })?;
            if let Some(want) = size
                && got != want
            {
                return Err(RepoError::SizeMismatch {
                    url: shown.clone(),
                    expected: want,
                    actual: got,
                });
            }
            let actual = Checksum {
                algorithm: expected.algorithm,
                hex: hex::encode(hasher.finalize()),
            };
            if actual != *expected {
                // `tmp` is deleted when dropped: nothing is left at `dest`.
                return Err(RepoError::ChecksumMismatch {
                    url: shown.clone(),
                    expected: expected.clone(),
                    actual,
                });
            }
            Cache::persist(tmp, dest)?;
            Ok(got)
        })
    }

    /// Opens a cached file, decompressed by its magic bytes.
    pub fn open(&self, file: &CachedFile) -> Result<Box<dyn BufRead + Send>, RepoError> {
        Ok(self.open_with_compression(file)?.1)
    }

    fn open_with_compression(
        &self,
        file: &CachedFile,
    ) -> Result<(Compression, Box<dyn BufRead + Send>), RepoError> {
        super::decompress::open_decompressed(&file.path).map_err(|source| RepoError::Io {
            path: file.path.clone(),
            source,
        })
    }

    /// Fetches and parses the repository's primary.xml. A repository without one is an
    /// error.
    pub fn load_primary(&self, repo: &FetchedRepo) -> Result<Vec<Package>, RepoError> {
        let file = self.require(repo, "primary")?;
        self.parse_file(&file, parse_primary)
    }

    /// Fetches primary.xml and hands each package to `visit` as soon as it is parsed
    /// (nothing is collected); returns the number of packages.
    pub fn stream_primary(
        &self,
        repo: &FetchedRepo,
        visit: impl FnMut(Package),
    ) -> Result<u64, RepoError> {
        let file = self.require(repo, "primary")?;
        self.parse_file(&file, |reader, origin| {
            parse_primary_with(reader, origin, visit)
        })
    }

    /// Fetches and parses the repository's filelists.xml: pkgid → every file of the
    /// package. A repository without one is an error.
    pub fn load_filelists(
        &self,
        repo: &FetchedRepo,
    ) -> Result<HashMap<String, Vec<String>>, RepoError> {
        let file = self.require(repo, "filelists")?;
        self.parse_file(&file, parse_filelists_map)
    }

    /// Fetches and parses the repository's modules metadata; `None` when repomd.xml
    /// lists none. Returns the file (for the lock's `module_metadata`) with its content.
    pub fn load_modules(
        &self,
        repo: &FetchedRepo,
    ) -> Result<Option<(CachedFile, super::Modules)>, RepoError> {
        let Some(file) = self.fetch_data(repo, "modules")? else {
            return Ok(None);
        };
        let modules = self.parse_file(&file, |mut reader, origin| {
            let mut bytes = Vec::new();
            reader
                .read_to_end(&mut bytes)
                .map_err(|source| RepoError::Read {
                    file: origin.to_string(),
                    offset: bytes.len() as u64,
                    source,
                })?;
            let modules_error = |message| RepoError::Modules {
                repoid: repo.repoid.clone(),
                url: origin.to_string(),
                message,
            };
            let text = String::from_utf8(bytes).map_err(|e| {
                modules_error(format!(
                    "not UTF-8 at byte {}",
                    e.utf8_error().valid_up_to()
                ))
            })?;
            super::parse_modules(&text).map_err(modules_error)
        })?;
        tracing::debug!(
            "repo '{}': {} module streams, {} defaults",
            repo.repoid,
            modules.streams.len(),
            modules.defaults.len()
        );
        Ok(Some((file, modules)))
    }

    /// Fetches and parses the repository's comps (`group_gz`, else `group`); `None`
    /// when repomd.xml lists neither.
    pub fn load_comps(&self, repo: &FetchedRepo) -> Result<Option<Comps>, RepoError> {
        let kind = if repo.repomd.get("group_gz").is_some() {
            "group_gz"
        } else {
            "group"
        };
        match self.fetch_data(repo, kind)? {
            Some(file) => self.parse_file(&file, parse_comps).map(Some),
            None => Ok(None),
        }
    }

    fn require(&self, repo: &FetchedRepo, kind: &'static str) -> Result<CachedFile, RepoError> {
        self.fetch_data(repo, kind)?
            .ok_or_else(|| RepoError::MissingData {
                repoid: repo.repoid.clone(),
                kind,
            })
    }

    /// Runs `parse` on the decompressed file; a read error from a decoder becomes
    /// [`RepoError::Decompress`] naming the URL.
    fn parse_file<T>(
        &self,
        file: &CachedFile,
        parse: impl FnOnce(Box<dyn BufRead + Send>, &str) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        let (compression, reader) = self.open_with_compression(file)?;
        parse(reader, &file.url).map_err(|e| match e {
            RepoError::Read { file, source, .. } if compression != Compression::None => {
                RepoError::Decompress {
                    file,
                    compression,
                    source,
                }
            }
            e => e,
        })
    }

    /// GET `url`; `validators` make it conditional.
    fn get(
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
    fn read_small(&self, repoid: &str, url: &Url, conn: &RepoConn) -> Result<Vec<u8>, RepoError> {
        let Got::Body { reader, len, .. } = self.get(repoid, url, None, conn)? else {
            unreachable!("an unconditional request is never answered 304")
        };
        self.read_body(repoid, &redact_url(url), reader, len, conn)
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up;
    /// transient failures are retried after a growing delay, each logged.
    fn with_retries<T>(
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

    fn read_body(
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
    fn pump(
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
struct Expected<'a> {
    /// Its checksum.
    checksum: &'a Checksum,
    /// Its size, when known (for progress).
    total: Option<u64>,
    /// The most bytes accepted, and where that limit comes from.
    limit: (u64, &'static str),
}

/// `minrate`/`timeout` stall detection: fails a download that moved fewer than
/// `minrate × window` bytes during a whole window.
struct StallCheck {
    limit: Option<(u64, Duration)>,
    window_start: std::time::Instant,
    in_window: u64,
}

impl StallCheck {
    fn new(conn: &RepoConn) -> StallCheck {
        StallCheck::with_limit(conn.minrate)
    }

    fn with_limit(limit: Option<(u64, Duration)>) -> StallCheck {
        StallCheck {
            limit,
            window_start: std::time::Instant::now(),
            in_window: 0,
        }
    }

    fn add(&mut self, n: u64, repoid: &str, shown: &str) -> Result<(), RepoError> {
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
fn transient(e: &RepoError) -> Option<Option<Duration>> {
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

/// The first rustls error in `e`'s chain (also inside `io::Error`s, whose `source`
/// skips the error they wrap).
fn find_rustls<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(r) = x.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        cur = match x.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => x.source(),
        };
    }
    None
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

/// A request error in words that say what to do: TLS trust, hostname, client
/// certificate, proxy; else [`RepoError::Network`].
fn classify_network(repoid: &str, url: &Url, conn: &RepoConn, e: reqwest::Error) -> RepoError {
    use rustls::{AlertDescription as A, CertificateError as C};
    let shown = redact_url(url);
    let repoid = repoid.to_string();
    let e = e.without_url();
    let client_cert_problem = |conn: &RepoConn, url: String| match &conn.client_cert {
        None => RepoError::ClientCertRequired {
            repoid: repoid.clone(),
            url,
        },
        Some(cert) => RepoError::ClientCertRejected {
            repoid: repoid.clone(),
            url,
            cert: cert.clone(),
        },
    };
    match find_rustls(&e) {
        Some(rustls::Error::InvalidCertificate(ce)) => {
            return match ce {
                C::UnknownIssuer | C::BadSignature => RepoError::ServerCertUntrusted {
                    repoid,
                    url: shown,
                    trust: conn.trust_store(),
                },
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    RepoError::ServerCertHostname {
                        repoid,
                        url: shown,
                        host: url.host_str().unwrap_or("").to_string(),
                    }
                }
                other => RepoError::ServerCertInvalid {
                    repoid,
                    url: shown,
                    reason: other.to_string(),
                },
            };
        }
        Some(rustls::Error::AlertReceived(
            A::CertificateRequired
            | A::BadCertificate
            | A::UnknownCA
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::CertificateUnknown
            | A::UnsupportedCertificate,
        )) => return client_cert_problem(conn, shown),
        Some(rustls::Error::AlertReceived(A::HandshakeFailure)) if conn.client_cert.is_none() => {
            return RepoError::ClientCertRequired { repoid, url: shown };
        }
        _ => {}
    }
    if let Some(proxy) = &conn.proxy
        && e.is_connect()
    {
        return RepoError::ProxyFailed {
            repoid,
            url: shown,
            proxy: proxy.clone(),
            reason: error_chain(&e),
        };
    }
    RepoError::Network {
        repoid,
        url: shown,
        source: e,
    }
}

/// An error status in words: nginx's 400 pages for client-certificate trouble, 407
/// from a proxy, 401 with or without credentials; else [`RepoError::HttpStatus`].
fn classify_status(
    repoid: &str,
    url: &Url,
    conn: &RepoConn,
    resp: reqwest::blocking::Response,
) -> RepoError {
    let status = resp.status();
    let shown = redact_url(url);
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // The client follows redirects between http(s) URLs only; one it did not follow
    // that leads to a local file is named as such.
    if status.is_redirection()
        && let Some(to) = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url.join(v).ok())
        && to.scheme() == "file"
    {
        return RepoError::LocalFromRemote {
            repoid: repoid.to_string(),
            what: format!("a redirect from {shown}"),
            url: redact_url(&to),
        };
    }
    if status == StatusCode::PROXY_AUTHENTICATION_REQUIRED
        && let Some(proxy) = &conn.proxy
    {
        return RepoError::ProxyFailed {
            repoid: repoid.to_string(),
            url: shown,
            proxy: proxy.clone(),
            reason: format!("HTTP {status}: set proxy_username and proxy_password (or check them)"),
        };
    }
    if status == StatusCode::BAD_REQUEST && url.scheme() == "https" {
        let mut body = Vec::new();
        let _ = resp.take(16 * 1024).read_to_end(&mut body);
        let body = String::from_utf8_lossy(&body);
        if body.contains("No required SSL certificate was sent") {
            return RepoError::ClientCertRequired {
                repoid: repoid.to_string(),
                url: shown,
            };
        }
        if body.contains("SSL certificate error")
            && let Some(cert) = &conn.client_cert
        {
            return RepoError::ClientCertRejected {
                repoid: repoid.to_string(),
                url: shown,
                cert: cert.clone(),
            };
        }
    }
    if status == StatusCode::UNAUTHORIZED {
        return RepoError::Unauthorized {
            repoid: repoid.to_string(),
            url: shown,
            hint: if conn.basic_auth.is_some() || !url.username().is_empty() {
                "the server rejected the credentials (username/password)"
            } else {
                "the server requires credentials (set username and password)"
            },
        };
    }
    RepoError::HttpStatus {
        repoid: repoid.to_string(),
        url: shown,
        status,
        retry_after,
    }
}

fn download_error(repoid: &str, shown: &str, source: io::Error) -> RepoError {
    RepoError::Download {
        repoid: repoid.to_string(),
        url: shown.to_string(),
        source,
    }
}

/// A streaming hasher for `alg`.
pub(crate) fn hasher(alg: ChecksumAlgorithm) -> Box<dyn DynDigest + Send> {
    match alg {
        ChecksumAlgorithm::Md5 => Box::new(md5::Md5::default()),
        ChecksumAlgorithm::Sha1 => Box::new(sha1::Sha1::default()),
        ChecksumAlgorithm::Sha224 => Box::new(sha2::Sha224::default()),
        ChecksumAlgorithm::Sha256 => Box::new(sha2::Sha256::default()),
        ChecksumAlgorithm::Sha384 => Box::new(sha2::Sha384::default()),
        ChecksumAlgorithm::Sha512 => Box::new(sha2::Sha512::default()),
    }
}

/// Parses a base URL (or an absolute path), checks its scheme and makes it end with
/// `/` so relative locations join below it.
fn parse_base(repoid: &str, raw: &str) -> Result<Url, RepoError> {
    parse_url(repoid, raw, true)
}

/// An `http(s)://` or `file://` URL, or an absolute path as a `file://` URL; with `dir`,
/// its path ends with `/` (a base URL other paths are joined to).
fn parse_url(repoid: &str, raw: &str, dir: bool) -> Result<Url, RepoError> {
    let raw = raw.trim();
    let invalid = |source| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: redact_str(raw),
        source,
    };
    let mut url = if raw.starts_with('/') {
        if dir {
            Url::from_directory_path(raw)
        } else {
            Url::from_file_path(raw)
        }
        .map_err(|()| invalid(url::ParseError::RelativeUrlWithoutBase))?
    } else {
        Url::parse(raw).map_err(invalid)?
    };
    match url.scheme() {
        "http" | "https" | "file" => {}
        other => {
            return Err(RepoError::UnsupportedScheme {
                repoid: repoid.to_string(),
                url: redact_url(&url),
                scheme: other.to_string(),
            });
        }
    }
    if dir && !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// A repository reached over the network may not name local files: metadata from a
/// server rpmlock does not control would otherwise make it read (and, for packages,
/// lock) whatever path it likes on the machine running it.
pub(crate) fn refuse_local_from_remote(
    repoid: &str,
    base: &Url,
    url: &Url,
    what: impl FnOnce() -> String,
) -> Result<(), RepoError> {
    if base.scheme() != "file" && url.scheme() == "file" {
        return Err(RepoError::LocalFromRemote {
            repoid: repoid.to_string(),
            what: what(),
            url: redact_url(url),
        });
    }
    Ok(())
}

fn join(repoid: &str, base: &Url, href: &str) -> Result<Url, RepoError> {
    base.join(href).map_err(|source| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: format!("{}{href}", redact_url(base)),
        source,
    })
}

fn file_path(repoid: &str, url: &Url) -> Result<PathBuf, RepoError> {
    url.to_file_path().map_err(|()| RepoError::InvalidUrl {
        repoid: repoid.to_string(),
        url: redact_url(url),
        source: url::ParseError::InvalidDomainCharacter,
    })
}

// Compile-time check: the fetcher is shared between threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Fetcher>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::error::error_chain;
    use sha2::Digest;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::path::Path;
    use std::sync::Mutex;

    /// A canned response.
    #[derive(Clone)]
    enum Resp {
        /// 200 with a body and an optional ETag (answered 304 when it matches).
        Ok(Vec<u8>, Option<&'static str>),
        /// An error status with its reason.
        Status(u16, &'static str),
    }

    /// A tiny HTTP/1.1 server on 127.0.0.1 serving canned responses by path and
    /// counting requests per path.
    struct Server {
        base: String,
        hits: Arc<Mutex<HashMap<String, usize>>>,
    }

    impl Server {
        fn start(routes: Vec<(&str, Resp)>) -> Server {
            let routes: HashMap<String, Resp> = routes
                .into_iter()
                .map(|(p, r)| (p.to_string(), r))
                .collect();
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let base = format!("http://{}/", listener.local_addr().unwrap());
            let hits = Arc::new(Mutex::new(HashMap::new()));
            let hits2 = hits.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        continue;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut if_none_match = None;
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':')
                            && k.eq_ignore_ascii_case("if-none-match")
                        {
                            if_none_match = Some(v.trim().to_string());
                        }
                    }
                    *hits2.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
                    let (head, body) = match routes.get(&path) {
                        Some(Resp::Ok(body, etag)) => {
                            if etag.is_some() && if_none_match.as_deref() == *etag {
                                ("HTTP/1.1 304 Not Modified\r\n".to_string(), Vec::new())
                            } else {
                                let mut h = "HTTP/1.1 200 OK\r\n".to_string();
                                if let Some(e) = etag {
                                    h.push_str(&format!("ETag: {e}\r\n"));
                                }
                                (h, body.clone())
                            }
                        }
                        Some(Resp::Status(code, reason)) => {
                            (format!("HTTP/1.1 {code} {reason}\r\n"), b"oops".to_vec())
                        }
                        None => ("HTTP/1.1 404 Not Found\r\n".to_string(), b"nope".to_vec()),
                    };
                    let _ = write!(
                        stream,
                        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(&body);
                }
            });
            Server { base, hits }
        }

        fn hits(&self, path: &str) -> usize {
            self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
        }
    }

    /// A base URL on which nothing listens.
    fn refused_base() -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", l.local_addr().unwrap());
        drop(l);
        base
    }

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);

    impl Reporter for Recorder {
        fn download_started(&self, repoid: &str, url: &str, _total: Option<u64>) {
            self.0.lock().unwrap().push(format!("start {repoid} {url}"));
        }
        fn download_finished(&self, url: &str) {
            self.0.lock().unwrap().push(format!("end {url}"));
        }
    }

    const PRIMARY: &str = r#"<?xml version="1.0"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm"><name>hello</name><arch>noarch</arch><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">abcd</checksum><size package="10" installed="20"/>
<location href="Packages/hello-1-1.noarch.rpm"/>
<format><rpm:sourcerpm>hello-1-1.src.rpm</rpm:sourcerpm><rpm:provides><rpm:entry name="hello"/></rpm:provides></format>
</package></metadata>"#;
    const FILELISTS: &str = r#"<filelists packages="1"><package pkgid="abcd" name="hello" arch="noarch"><version epoch="0" ver="1" rel="1"/><file>/usr/bin/hello</file></package></filelists>"#;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sha256(data: &[u8]) -> String {
        hex::encode(sha2::Sha256::digest(data))
    }

    /// repomd.xml listing `entries` of (type, href, file bytes, xml:base).
    fn repomd(entries: &[(&str, &str, &[u8], Option<&str>)]) -> Vec<u8> {
        let mut s = String::from("<repomd><revision>1</revision>");
        for (kind, href, bytes, base) in entries {
            let base = base
                .map(|b| format!(" xml:base=\"{b}\""))
                .unwrap_or_default();
            s.push_str(&format!(
                "<data type=\"{kind}\"><checksum type=\"sha256\">{}</checksum><location href=\"{href}\"{base}/><size>{}</size></data>",
                sha256(bytes),
                bytes.len()
            ));
        }
        s.push_str("</repomd>");
        s.into_bytes()
    }

    fn good_repo() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let primary = gz(PRIMARY.as_bytes());
        let filelists = zstd::encode_all(FILELISTS.as_bytes(), 3).unwrap();
        let md = repomd(&[
            ("primary", "repodata/p.xml.gz", &primary, None),
            ("filelists", "repodata/f.xml.zst", &filelists, None),
        ]);
        (md, primary, filelists)
    }

    fn fetcher(cache: &Path, offline: bool, refresh: bool) -> Fetcher {
        Fetcher::new(
            FetchOptions {
                cache_dir: cache.to_path_buf(),
                offline,
                refresh,
                retry_delay: Duration::ZERO,
                ..FetchOptions::default()
            },
            Arc::new(crate::reporter::NoopReporter),
        )
        .unwrap()
    }

    fn data_files(cache: &Path) -> Vec<String> {
        let dir = cache.join("data/sha256");
        let Ok(rd) = fs_err::read_dir(&dir) else {
            return Vec::new();
        };
        let mut v: Vec<_> = rd
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn http_repo_is_cached_and_revalidated() {
        let (md, primary, filelists) = good_repo();
        let srv = Server::start(vec![
            ("/repo/repodata/repomd.xml", Resp::Ok(md, Some("\"v1\""))),
            ("/repo/repodata/p.xml.gz", Resp::Ok(primary.clone(), None)),
            (
                "/repo/repodata/f.xml.zst",
                Resp::Ok(filelists.clone(), None),
            ),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let rec = Arc::new(Recorder::default());
        let f = Fetcher::new(
            FetchOptions {
                cache_dir: cache.path().to_path_buf(),
                offline: false,
                refresh: false,
                retry_delay: Duration::ZERO,
                ..FetchOptions::default()
            },
            rec.clone(),
        )
        .unwrap();
        // No trailing slash: normalised.
        let base = format!("{}repo", srv.base);
        let repo = f.fetch_repomd("base", std::slice::from_ref(&base)).unwrap();
        assert_eq!(repo.base_url.as_str(), format!("{base}/"));
        assert_eq!(repo.repomd.revision.as_deref(), Some("1"));
        let pkgs = f.load_primary(&repo).unwrap();
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].nevra(), "hello-1-1.noarch");
        let files = f.load_filelists(&repo).unwrap();
        assert_eq!(files["abcd"], ["/usr/bin/hello"]);
        let cached = f.fetch_data(&repo, "primary").unwrap().unwrap();
        assert_eq!(
            cached.path,
            cache.path().join("data/sha256").join(sha256(&primary))
        );
        assert_eq!(cached.url, format!("{base}/repodata/p.xml.gz"));
        assert_eq!(cached.size, primary.len() as u64);
        assert_eq!(fs_err::read(&cached.path).unwrap(), primary);
        assert!(f.fetch_data(&repo, "other").unwrap().is_none());
        assert_eq!(data_files(cache.path()), {
            let mut v = vec![sha256(&primary), sha256(&filelists)];
            v.sort();
            v
        });
        assert_eq!(srv.hits("/repo/repodata/repomd.xml"), 1);
        assert_eq!(srv.hits("/repo/repodata/p.xml.gz"), 1);
        let events = rec.0.lock().unwrap().clone();
        assert_eq!(
            events[..2],
            [
                format!("start base {base}/repodata/repomd.xml"),
                format!("end {base}/repodata/repomd.xml")
            ]
        );
        assert_eq!(events.len(), 6, "{events:?}");

        // A second run revalidates repomd.xml (304) and downloads nothing else.
        let f2 = fetcher(cache.path(), false, false);
        let repo2 = f2
            .fetch_repomd("base", std::slice::from_ref(&base))
            .unwrap();
        assert_eq!(repo2, repo);
        assert_eq!(f2.load_primary(&repo2).unwrap(), pkgs);
        assert_eq!(srv.hits("/repo/repodata/repomd.xml"), 2);
        assert_eq!(srv.hits("/repo/repodata/p.xml.gz"), 1);

        // Offline: the network is not touched.
        let f3 = fetcher(cache.path(), true, false);
        let repo3 = f3
            .fetch_repomd("base", std::slice::from_ref(&base))
            .unwrap();
        assert_eq!(repo3.repomd, repo.repomd);
        assert_eq!(f3.load_primary(&repo3).unwrap(), pkgs);
        assert_eq!(srv.hits("/repo/repodata/repomd.xml"), 2);

        // Refresh: everything again.
        let f4 = fetcher(cache.path(), false, true);
        let repo4 = f4.fetch_repomd("base", &[base]).unwrap();
        f4.load_primary(&repo4).unwrap();
        assert_eq!(srv.hits("/repo/repodata/repomd.xml"), 3);
        assert_eq!(srv.hits("/repo/repodata/p.xml.gz"), 2);
    }

    #[test]
    fn offline_without_cache_names_repo_and_url() {
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), true, false);
        let e = f
            .fetch_repomd("base", &["https://u:pw@repo.example/os/".into()])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "repo 'base': https://repo.example/os/repodata/repomd.xml is not in the cache (offline mode)"
        );
    }

    #[test]
    fn stall_check_fails_a_slow_download() {
        let window = Duration::from_millis(20);
        let mut fast = StallCheck::with_limit(Some((10, window)));
        fast.add(1000, "r", "u").unwrap();
        std::thread::sleep(window);
        fast.add(1000, "r", "u").unwrap();
        let mut slow = StallCheck::with_limit(Some((1_000_000, window)));
        slow.add(1, "r", "u").unwrap();
        std::thread::sleep(window);
        let e = slow.add(1, "r", "u").unwrap_err();
        assert!(matches!(e, RepoError::TooSlow { .. }), "{e}");
        assert!(transient(&e).is_some(), "a stall is retried");
        let mut off = StallCheck::with_limit(None);
        std::thread::sleep(window);
        off.add(0, "r", "u").unwrap();
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |code: u16, retry_after| RepoError::HttpStatus {
            repoid: "r".into(),
            url: "u".into(),
            status: StatusCode::from_u16(code).unwrap(),
            retry_after,
        };
        assert_eq!(transient(&status(503, None)), Some(None));
        assert_eq!(
            transient(&status(429, Some(3))),
            Some(Some(Duration::from_secs(3)))
        );
        assert_eq!(transient(&status(404, None)), None);
        assert_eq!(transient(&status(403, Some(3))), None);
        let reset = RepoError::Download {
            repoid: "r".into(),
            url: "u".into(),
            source: io::Error::from(io::ErrorKind::ConnectionReset),
        };
        assert_eq!(transient(&reset), Some(None));
        let tls = RepoError::ClientCertRequired {
            repoid: "r".into(),
            url: "u".into(),
        };
        assert_eq!(transient(&tls), None);
    }

    #[test]
    fn http_errors_read_clearly() {
        let srv = Server::start(vec![(
            "/err/repodata/repomd.xml",
            Resp::Status(500, "Internal Server Error"),
        )]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let e = f
            .fetch_repomd("base", &[format!("{}missing/", srv.base)])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "repo 'base': GET {}missing/repodata/repomd.xml: HTTP 404 Not Found",
                srv.base
            )
        );
        let e = f
            .fetch_repomd("base", &[format!("{}err/", srv.base)])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "repo 'base': GET {}err/repodata/repomd.xml: HTTP 500 Internal Server Error",
                srv.base
            )
        );
        // 5xx is transient: retried (without delay in tests) until the retries are
        // used up; 404 fails at once.
        assert_eq!(srv.hits("/err/repodata/repomd.xml"), 5);
        assert_eq!(srv.hits("/missing/repodata/repomd.xml"), 1);
        // Credentials never appear in messages.
        let with_creds = srv.base.replace("http://", "http://user:secret@");
        let e = f.fetch_repomd("base", &[with_creds]).unwrap_err();
        assert!(!error_chain(&e).contains("secret"), "{}", error_chain(&e));
        assert!(error_chain(&e).contains("HTTP 404"));
    }

    #[test]
    fn connection_refused_reads_clearly() {
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let base = refused_base();
        let e = f
            .fetch_repomd("base", std::slice::from_ref(&base))
            .unwrap_err();
        assert!(matches!(e, RepoError::Network { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!("repo 'base': GET {base}repodata/repomd.xml: cannot connect")
        );
        let chain = error_chain(&e);
        assert!(
            chain.to_lowercase().contains("connection refused"),
            "{chain}"
        );
        // The cause is not repeated: the URL appears once.
        assert_eq!(chain.matches("repodata/repomd.xml").count(), 1, "{chain}");
    }

    #[test]
    fn mirrors_are_tried_in_order() {
        let (md, primary, _) = good_repo();
        let srv = Server::start(vec![
            ("/repodata/repomd.xml", Resp::Ok(md, None)),
            ("/repodata/p.xml.gz", Resp::Ok(primary, None)),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let dead = refused_base();
        let repo = f
            .fetch_repomd("base", &[dead.clone(), srv.base.clone()])
            .unwrap();
        assert_eq!(repo.base_url.as_str(), srv.base);
        assert_eq!(f.load_primary(&repo).unwrap().len(), 1);

        let e = f
            .fetch_repomd("base", &[dead.clone(), format!("{}nothing/", srv.base)])
            .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("repo 'base': all 2 base URLs failed:\n  "),
            "{msg}"
        );
        assert!(
            msg.contains(&format!(
                "\n  {dead}: repo 'base': GET {dead}repodata/repomd.xml: cannot connect"
            )),
            "{msg}"
        );
        assert!(msg.contains("HTTP 404 Not Found"), "{msg}");
    }

    #[test]
    fn bodies_longer_than_allowed_are_cut() {
        let primary = gz(PRIMARY.as_bytes());
        let mut md = repomd(&[("primary", "repodata/p.xml.gz", &primary, None)]);
        let declared = format!("<size>{}</size>", primary.len());
        let short = format!("<size>{}</size>", primary.len() - 1);
        md = String::from_utf8(md)
            .unwrap()
            .replace(&declared, &short)
            .into_bytes();
        let srv = Server::start(vec![
            ("/repodata/repomd.xml", Resp::Ok(md, None)),
            ("/repodata/p.xml.gz", Resp::Ok(primary.clone(), None)),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let repo = f
            .fetch_repomd("base", std::slice::from_ref(&srv.base))
            .unwrap();
        let e = f.load_primary(&repo).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "repo 'base': GET {}repodata/p.xml.gz: larger than {} bytes (the size repomd.xml declares)",
                srv.base,
                primary.len() - 1
            )
        );
        assert!(data_files(cache.path()).is_empty());
        // A repomd.xml over the cap.
        let mut big = b"<repomd>".to_vec();
        big.resize(MAX_SMALL_FILE as usize + 1, b' ');
        let srv = Server::start(vec![("/repodata/repomd.xml", Resp::Ok(big, None))]);
        let e = f
            .fetch_repomd("base", std::slice::from_ref(&srv.base))
            .unwrap_err();
        assert!(
            e.to_string().ends_with("larger than 16777216 bytes (the cap on repomd.xml, mirror lists, metalinks and .repo files)"),
            "{e}"
        );
    }

    #[test]
    fn checksum_mismatch_stores_nothing() {
        let primary = gz(PRIMARY.as_bytes());
        let md = repomd(&[("primary", "repodata/p.xml.gz", b"something else", None)]);
        // No declared size: the checksum is what catches the other content.
        let md = String::from_utf8(md)
            .unwrap()
            .replace("<size>14</size>", "")
            .into_bytes();
        let srv = Server::start(vec![
            ("/repodata/repomd.xml", Resp::Ok(md, None)),
            ("/repodata/p.xml.gz", Resp::Ok(primary.clone(), None)),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let repo = f
            .fetch_repomd("base", std::slice::from_ref(&srv.base))
            .unwrap();
        let e = f.load_primary(&repo).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "checksum mismatch for {}repodata/p.xml.gz: expected sha256:{}, got sha256:{}",
                srv.base,
                sha256(b"something else"),
                sha256(&primary)
            )
        );
        assert!(matches!(e, RepoError::ChecksumMismatch { .. }));
        // Neither the file nor a temporary file is left in the cache.
        assert!(
            fs_err::read_dir(cache.path().join("data/sha256"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn bad_data_names_the_url() {
        // Corrupt gzip: a wrong CRC in the trailer, found only after the whole
        // document parsed (the repository checksum matches the corrupt bytes: the
        // server is faithful, the repository is broken).
        let mut primary = gz(PRIMARY.as_bytes());
        let n = primary.len();
        primary[n - 8] ^= 0xff;
        let malformed = gz(b"<metadata><package><name>x</nam></package></metadata>");
        let truncated = zstd::encode_all(PRIMARY.as_bytes(), 3).unwrap();
        let truncated = truncated[..truncated.len() - 5].to_vec();
        let srv = Server::start(vec![
            (
                "/a/repodata/repomd.xml",
                Resp::Ok(
                    repomd(&[("primary", "repodata/p.xml.gz", &primary, None)]),
                    None,
                ),
            ),
            ("/a/repodata/p.xml.gz", Resp::Ok(primary, None)),
            (
                "/b/repodata/repomd.xml",
                Resp::Ok(
                    repomd(&[("primary", "repodata/p.xml.gz", &malformed, None)]),
                    None,
                ),
            ),
            ("/b/repodata/p.xml.gz", Resp::Ok(malformed, None)),
            (
                "/c/repodata/repomd.xml",
                Resp::Ok(
                    repomd(&[("primary", "repodata/p.xml.zst", &truncated, None)]),
                    None,
                ),
            ),
            ("/c/repodata/p.xml.zst", Resp::Ok(truncated, None)),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let load = |dir: &str| {
            let repo = f
                .fetch_repomd("r", &[format!("{}{dir}/", srv.base)])
                .unwrap();
            f.load_primary(&repo).unwrap_err()
        };
        let e = load("a");
        assert!(
            matches!(
                e,
                RepoError::Decompress {
                    compression: Compression::Gzip,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "{}a/repodata/p.xml.gz: cannot decompress gzip data",
                srv.base
            )
        );
        let e = load("b");
        assert!(
            e.to_string()
                == format!(
                    "{}b/repodata/p.xml.gz: invalid metadata at byte 26",
                    srv.base
                ),
            "{e}"
        );
        let e = load("c");
        assert_eq!(
            e.to_string(),
            format!(
                "{}c/repodata/p.xml.zst: cannot decompress zstd data",
                srv.base
            )
        );
    }

    #[test]
    fn file_urls_paths_and_xml_base() {
        let root = tempfile::tempdir().unwrap();
        let repo_dir = root.path().join("repo");
        let other = root.path().join("elsewhere");
        let primary = gz(PRIMARY.as_bytes());
        let filelists = zstd::encode_all(FILELISTS.as_bytes(), 3).unwrap();
        let other_url = Url::from_directory_path(&other).unwrap();
        fs_err::create_dir_all(repo_dir.join("repodata")).unwrap();
        fs_err::create_dir_all(other.join("repodata")).unwrap();
        fs_err::write(repo_dir.join("repodata/p.xml.gz"), &primary).unwrap();
        fs_err::write(other.join("repodata/f.xml.zst"), &filelists).unwrap();
        fs_err::write(
            repo_dir.join("repodata/repomd.xml"),
            repomd(&[
                ("primary", "repodata/p.xml.gz", &primary, None),
                (
                    "filelists",
                    "repodata/f.xml.zst",
                    &filelists,
                    Some(other_url.as_str()),
                ),
            ]),
        )
        .unwrap();
        let cache = tempfile::tempdir().unwrap();
        for offline in [false, true] {
            let f = fetcher(cache.path(), offline, false);
            for base in [
                repo_dir.display().to_string(),
                Url::from_directory_path(&repo_dir).unwrap().to_string(),
            ] {
                let repo = f.fetch_repomd("local", &[base]).unwrap();
                assert_eq!(repo.base_url.scheme(), "file");
                assert!(repo.base_url.as_str().ends_with("/repo/"));
                assert_eq!(f.load_primary(&repo).unwrap().len(), 1);
                let fl = f.fetch_data(&repo, "filelists").unwrap().unwrap();
                assert_eq!(fl.url, format!("{other_url}repodata/f.xml.zst"));
                assert_eq!(f.load_filelists(&repo).unwrap()["abcd"], ["/usr/bin/hello"]);
            }
        }
        let f = fetcher(cache.path(), false, false);
        let e = f
            .fetch_repomd("local", &[root.path().display().to_string()])
            .unwrap_err();
        let chain = error_chain(&e);
        assert!(
            chain.starts_with(&format!(
                "repo 'local': cannot read {}repodata/repomd.xml: ",
                Url::from_directory_path(root.path()).unwrap()
            )),
            "{chain}"
        );
    }

    #[test]
    fn unsupported_and_invalid_urls() {
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let e = f
            .fetch_repomd("r", &["ftp://u:p@h.example/x/".into()])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "repo 'r': unsupported URL scheme 'ftp' in ftp://h.example/x/ (expected http, https or file)"
        );
        let e = f.fetch_repomd("r", &["relative/dir".into()]).unwrap_err();
        assert_eq!(
            error_chain(&e),
            "repo 'r': invalid URL 'relative/dir': relative URL without a base"
        );
        let e = f.fetch_repomd("r", &[]).unwrap_err();
        assert_eq!(e.to_string(), "repo 'r': no base URL");
    }

    /// A file downloaded to a destination of the caller's: the wrong size or checksum
    /// is an error naming the URL and leaves nothing there; a 500 is retried.
    #[test]
    fn download_to_verifies_before_renaming() {
        let body = b"package bytes".to_vec();
        let server = Server::start(vec![
            ("/good.rpm", Resp::Ok(body.clone(), None)),
            ("/broken.rpm", Resp::Status(500, "Internal Server Error")),
        ]);
        let tmp = tempfile::tempdir().unwrap();
        let f = fetcher(&tmp.path().join("cache"), false, false);
        let good = Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            hex: sha256(&body),
        };
        let settings = ConnSettings::default();
        let url = format!("{}good.rpm", server.base);
        let dest = tmp.path().join("out/good.rpm");
        let n = f
            .download_to("r", &url, &settings, &dest, Some(body.len() as u64), &good)
            .unwrap();
        assert_eq!(
            (n, fs_err::read(&dest).unwrap()),
            (body.len() as u64, body.clone())
        );

        let other = tmp.path().join("out/other.rpm");
        let e = f
            .download_to("r", &url, &settings, &other, Some(3), &good)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("size mismatch for {url}: expected 3 bytes, got 13")
        );
        let wrong = Checksum {
            algorithm: ChecksumAlgorithm::Sha256,
            hex: "00".repeat(32),
        };
        let e = f
            .download_to("r", &url, &settings, &other, None, &wrong)
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("checksum mismatch for {url}")),
            "{e}"
        );
        let left: Vec<_> = fs_err::read_dir(tmp.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("good.rpm")]);

        let broken = format!("{}broken.rpm", server.base);
        assert!(
            f.download_to("r", &broken, &settings, &other, None, &good)
                .is_err()
        );
        assert_eq!(server.hits("/broken.rpm"), 5, "4 retries");
    }

    #[test]
    fn default_cache_dir_is_versioned() {
        assert!(default_cache_dir().ends_with("rpmlock/v1"));
    }
}
