//! repomd.xml: from the base URLs, then the mirrors (mirrorlist, metalink), revalidated
//! against the cache.

use std::sync::Arc;

use url::Url;

use super::*;
use crate::repo::connection::{ConnSettings, RepoConn};
use crate::repo::error::{error_chain, redact_str, redact_url};
use crate::repo::mirrors::{Metalink, parse_metalink, parse_mirrorlist};
use crate::repo::{RepoError, RepoMd, parse_repomd};

impl Fetcher {
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
                            crate::repo::error::error_chain(&e)
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
    pub(super) fn fetch_mirror_list(
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
                crate::repo::cache::write_atomic(&cached, &bytes)?;
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

    pub(super) fn repomd_from(
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
}
