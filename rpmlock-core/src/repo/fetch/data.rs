//! Data files and small texts: downloaded once into the content-addressed cache,
//! verified while they stream; downloads to a destination (`rpmlock fetch`).

use std::io::{self, Read, Write};

use super::*;
use crate::model::Checksum;
use crate::repo::RepoError;
use crate::repo::cache::Cache;
use crate::repo::connection::{ConnSettings, RepoConn};
use crate::repo::error::{error_chain, redact_url};

impl Fetcher {
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
        if let Err(e) = crate::repo::cache::write_atomic(&path, &bytes) {
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
        Ok(self.fetch_data_tee(repo, kind, None)?.map(|(file, _)| file))
    }

    /// Downloads the data file of type `kind` into the cache for a load that will need
    /// it soon, unless a copy is there already (that load verifies it) or the run is
    /// offline. Errors are left to that load, which fetches the file again.
    pub fn prefetch_data(&self, repo: &FetchedRepo, kind: &str) {
        let Some(entry) = repo.repomd.get(kind) else {
            return;
        };
        if self.opts.offline || self.cache.data_path(&entry.checksum).exists() {
            return;
        }
        if let Err(e) = self.fetch_data(repo, kind) {
            tracing::debug!(
                "repo '{}': prefetching {kind}: {}",
                repo.repoid,
                error_chain(&e)
            );
        }
    }

    /// [`Fetcher::fetch_data`], sending a copy of what it downloads to `tee`; with
    /// whether that copy is the file's bytes, once (downloaded now, in one attempt).
    pub(super) fn fetch_data_tee(
        &self,
        repo: &FetchedRepo,
        kind: &str,
        tee: Option<&super::tee::Tee>,
    ) -> Result<Option<(CachedFile, bool)>, RepoError> {
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
                // A cached copy is used only if it still has repomd.xml's checksum: a
                // damaged one is dropped (with a warning) and downloaded again.
                Ok(m) if cached_copy_is_intact(&path, &entry.checksum) => {
                    tracing::debug!(
                        "repo '{repoid}': {kind} {shown}: cached at {}",
                        path.display()
                    );
                    return Ok(Some((cached_file(m.len()), false)));
                }
                Ok(_) => {
                    tracing::warn!(
                        "repo '{repoid}': the cached {kind} {} does not have repomd.xml's checksum (damaged cache): downloading it again",
                        path.display()
                    );
                    let _ = std::fs::remove_file(&path);
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
            return Ok(Some((cached_file(m.len()), false)));
        }
        let conn = &*repo.conn;
        let size = self.with_retries(repoid, &shown, || {
            if let Some(tee) = tee {
                tee.attempt();
            }
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
            self.download_verified(repoid, &shown, reader, &expect, conn, tee)
        })?;
        tracing::info!("repo '{repoid}': downloaded {kind} {shown} ({size} bytes)");
        Ok(Some((cached_file(size), tee.is_some_and(|t| t.whole()))))
    }

    /// Streams `reader` into a temporary file beside its cache path, hashing as bytes arrive
    /// (and copying them to `tee`, if given); renames it to `dest` only when the
    /// checksum matches.
    pub(super) fn download_verified(
        &self,
        repoid: &str,
        shown: &str,
        reader: Box<dyn Read + Send>,
        expect: &Expected<'_>,
        conn: &RepoConn,
        tee: Option<&super::tee::Tee>,
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
            if let Some(tee) = tee {
                tee.data(chunk);
            }
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
}

/// Whether the cached file at `path` has `checksum` (read and hashed in full).
fn cached_copy_is_intact(path: &std::path::Path, checksum: &Checksum) -> bool {
    use std::io::Read as _;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut h = hasher(checksum.algorithm);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    hex::encode(h.finalize()) == checksum.hex
}
