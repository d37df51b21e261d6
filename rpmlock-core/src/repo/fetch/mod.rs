//! Fetching repository metadata over `http(s)://` and `file://` with the cache of
//! [`super::cache`]: repomd.xml revalidated on every run, data files downloaded once,
//! verified against repomd.xml's checksum while they stream.
//!
//! One job per file: [`Fetcher`] and its options here; `repomd` (repomd.xml and
//! mirrors), `data` (data files into the cache, downloads to a destination), `load`
//! (opening cached files, parsing entry points), `http` (requests, bounded reads,
//! retries), `classify` (failures in words), `urls` (base URLs and locations).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::Client;
use sha2::digest::DynDigest;
use url::Url;

use super::cache::{Cache, Validators};
use super::connection::{ClientPool, RepoConn, default_client};
use super::{RepoError, RepoMd};
use crate::model::{Checksum, ChecksumAlgorithm};
use crate::reporter::Reporter;

mod classify;
mod data;
mod http;
mod load;
mod repomd;
mod tee;
mod urls;

use classify::*;
use http::*;
use urls::*;

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
    /// The sweep of stale temporary files, run beside the fetcher's work and joined
    /// when it is dropped.
    sweep: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        if let Some(sweep) = self.sweep.take() {
            let _ = sweep.join();
        }
    }
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
    /// A fetcher whose clients are built as repos first need them, like
    /// [`Fetcher::default_client`] for repos with default connection settings.
    pub fn new(opts: FetchOptions, reporter: Arc<dyn Reporter>) -> Result<Fetcher, RepoError> {
        Ok(Fetcher::with_pool(opts, None, reporter))
    }

    /// A fetcher using `client` (e.g. one configured with a proxy or client
    /// certificates). Clients share their connection pool when cloned.
    pub fn with_client(opts: FetchOptions, client: Client, reporter: Arc<dyn Reporter>) -> Fetcher {
        Fetcher::with_pool(opts, Some(client), reporter)
    }

    fn with_pool(
        opts: FetchOptions,
        client: Option<Client>,
        reporter: Arc<dyn Reporter>,
    ) -> Fetcher {
        let cache = Cache::new(opts.cache_dir.clone());
        // Temporary files of runs that crashed (or were killed) hours ago, removed on
        // a thread of its own (a warm run need not wait for the directory walk).
        let dir = opts.cache_dir.clone();
        let sweep = move || {
            let swept = crate::tempfiles::sweep_cache(&dir, 4);
            if swept > 0 {
                tracing::debug!(
                    "removed {swept} stale temporary files from {}",
                    dir.display()
                );
            }
        };
        let sweep = match std::thread::Builder::new()
            .name("cache-sweep".into())
            .spawn(sweep.clone())
        {
            Ok(handle) => Some(handle),
            Err(_) => {
                sweep();
                None
            }
        };
        Fetcher {
            pool: ClientPool::new(opts.entitlement_dir.clone(), client),
            opts,
            cache,
            reporter,
            sweep,
        }
    }

    /// The client rpmlock uses by default: user agent `rpmlock/VERSION`, 30 s connect
    /// timeout, 60 s read timeout (per read, not for the whole body), rustls verifying
    /// against the platform's trust store, no transparent decompression (files are
    /// verified as stored). The trust store is read at the first https handshake.
    pub fn default_client() -> Result<Client, RepoError> {
        default_client().map_err(RepoError::Client)
    }

    /// The options this fetcher runs with.
    pub fn options(&self) -> &FetchOptions {
        &self.opts
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

// Compile-time check: the fetcher is shared between threads.
const _: fn() = || {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Fetcher>();
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::ConnSettings;
    use crate::repo::decompress::Compression;
    use crate::repo::error::error_chain;
    use reqwest::StatusCode;
    use sha2::Digest;
    use std::collections::HashMap;
    use std::io;
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
        let (srv, cache, f, repo) = serve_primary(declaring(b"something else"), primary.clone());
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

    /// A server with `repomd` and, at `repodata/p.xml.gz`, `primary`; a fetcher on a
    /// fresh cache, and the repo it fetched.
    fn serve_primary(
        repomd: Vec<u8>,
        primary: Vec<u8>,
    ) -> (Server, tempfile::TempDir, Fetcher, FetchedRepo) {
        let srv = Server::start(vec![
            ("/repodata/repomd.xml", Resp::Ok(repomd, None)),
            ("/repodata/p.xml.gz", Resp::Ok(primary, None)),
        ]);
        let cache = tempfile::tempdir().unwrap();
        let f = fetcher(cache.path(), false, false);
        let repo = f
            .fetch_repomd("base", std::slice::from_ref(&srv.base))
            .unwrap();
        (srv, cache, f, repo)
    }

    /// A repomd.xml whose primary has the checksum of `other`, and no declared size:
    /// the checksum is what catches a primary with other content.
    fn declaring(other: &[u8]) -> Vec<u8> {
        let md = repomd(&[("primary", "repodata/p.xml.gz", other, None)]);
        String::from_utf8(md)
            .unwrap()
            .replace(&format!("<size>{}</size>", other.len()), "")
            .into_bytes()
    }

    /// The packages `stream_primary_batches` hands on with two workers (the parse
    /// that reads the bytes as they download), and whether it vouched for them.
    fn streamed(f: &Fetcher, repo: &FetchedRepo) -> Result<(bool, Vec<String>), RepoError> {
        let mut names = Vec::new();
        let ok = f.stream_primary_batches(
            repo,
            2,
            || {},
            |mut batch| {
                names.extend(batch.iter().map(|p| p.name().to_string()));
                batch.clear();
                batch
            },
        )?;
        Ok((ok, names))
    }

    #[test]
    fn primary_is_parsed_as_it_downloads_and_the_download_decides() {
        let (md, primary, _) = good_repo();
        let (srv, cache, f, repo) = serve_primary(md, primary.clone());
        assert_eq!(streamed(&f, &repo).unwrap(), (true, vec!["hello".into()]));
        assert_eq!(srv.hits("/repodata/p.xml.gz"), 1);
        assert_eq!(data_files(cache.path()).len(), 1, "stored while parsed");
        // From the cache the second time.
        assert_eq!(streamed(&f, &repo).unwrap(), (true, vec!["hello".into()]));
        assert_eq!(srv.hits("/repodata/p.xml.gz"), 1);

        // Bytes that do not have repomd.xml's checksum: the download's error, whatever
        // the parse made of them, and nothing stored.
        let (_srv, cache, f, repo) = serve_primary(declaring(b"other"), primary);
        let e = streamed(&f, &repo).unwrap_err();
        assert!(matches!(e, RepoError::ChecksumMismatch { .. }), "{e}");
        assert!(data_files(cache.path()).is_empty());
    }

    #[test]
    fn prefetch_stores_a_missing_file_once_and_leaves_errors_to_the_load() {
        let (md, primary, _) = good_repo();
        let (srv, cache, f, repo) = serve_primary(md, primary.clone());
        // Offline: nothing is fetched.
        fetcher(cache.path(), true, false).prefetch_data(&repo, "primary");
        assert_eq!(srv.hits("/repodata/p.xml.gz"), 0);
        f.prefetch_data(&repo, "primary");
        f.prefetch_data(&repo, "primary");
        f.prefetch_data(&repo, "no-such-type");
        assert_eq!(srv.hits("/repodata/p.xml.gz"), 1);
        assert_eq!(data_files(cache.path()), [sha256(&primary)]);
        assert_eq!(f.load_primary(&repo).unwrap().len(), 1);
        assert_eq!(srv.hits("/repodata/p.xml.gz"), 1);

        // A failing prefetch stores nothing; the load reports the failure.
        let (_srv, cache, f, repo) = serve_primary(declaring(b"other"), primary);
        f.prefetch_data(&repo, "primary");
        assert!(data_files(cache.path()).is_empty());
        let e = f.load_primary(&repo).unwrap_err();
        assert!(matches!(e, RepoError::ChecksumMismatch { .. }), "{e}");
    }

    #[test]
    fn default_cache_dir_is_versioned() {
        assert!(default_cache_dir().ends_with("rpmlock/v1"));
    }
}
