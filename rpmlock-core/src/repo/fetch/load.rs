//! Opening cached data files (decompressed) and the parsing entry points: primary,
//! filelists, modules, comps.

use std::collections::HashMap;
use std::io::{BufRead, Read};

use super::*;
use crate::model::Package;
use crate::repo::decompress::Compression;
use crate::repo::{
    Comps, PackageBatch, RepoError, parse_comps, parse_filelists_map, parse_primary,
    parse_primary_batches, parse_primary_parallel, parse_primary_with,
};

/// The most a file held whole in memory (modules.yaml, comps) may decompress to.
pub(super) const MAX_WHOLE: u64 = 256 << 20;

impl Fetcher {
    /// Opens a cached file, decompressed by its magic bytes.
    pub fn open(&self, file: &CachedFile) -> Result<Box<dyn BufRead + Send>, RepoError> {
        Ok(self.open_with_compression(file)?.1)
    }

    pub(super) fn open_with_compression(
        &self,
        file: &CachedFile,
    ) -> Result<(Compression, Box<dyn BufRead + Send>), RepoError> {
        crate::repo::decompress::open_decompressed(&file.path).map_err(|source| RepoError::Io {
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

    /// Fetches primary.xml, calls `ready` once its bytes start to arrive (a caller may
    /// wait there for its turn to use the cores), then hands each batch of parsed
    /// packages to `take`, which gives back an empty batch to fill next. With
    /// `workers` > 1 the parse runs on that many threads, on the bytes as they download
    /// when the file is not in the cache yet, and may decline (`Ok(false)`, see
    /// [`parse_primary_parallel`]: the caller discards what `take` got and parses
    /// again with one worker, which always decides and reports any error in the file).
    /// A failed download is its own error, whatever the parse made of its bytes.
    pub fn stream_primary_batches(
        &self,
        repo: &FetchedRepo,
        workers: usize,
        ready: impl FnOnce(),
        take: impl FnMut(PackageBatch) -> PackageBatch,
    ) -> Result<bool, RepoError> {
        if workers > 1 && !self.opts.offline {
            return self.parse_primary_downloading(repo, workers, ready, take);
        }
        let file = self.require(repo, "primary")?;
        ready();
        self.parse_primary_file(&file, workers, take)
    }

    fn parse_primary_file(
        &self,
        file: &CachedFile,
        workers: usize,
        take: impl FnMut(PackageBatch) -> PackageBatch,
    ) -> Result<bool, RepoError> {
        self.parse_file(file, |reader, origin| {
            if workers > 1 {
                Ok(parse_primary_parallel(reader, workers, take))
            } else {
                parse_primary_batches(reader, origin, take).map(|()| true)
            }
        })
    }

    /// The parallel parse of primary.xml on a copy of the bytes its download receives
    /// (the download still verifies and stores the file): the parse starts with the
    /// first bytes instead of after the last. Its result counts only if the download
    /// then succeeds in one attempt; otherwise the download's error is returned, or
    /// the parse declines and the caller parses the stored file again.
    fn parse_primary_downloading(
        &self,
        repo: &FetchedRepo,
        workers: usize,
        ready: impl FnOnce(),
        take: impl FnMut(PackageBatch) -> PackageBatch,
    ) -> Result<bool, RepoError> {
        let missing = || RepoError::MissingData {
            repoid: repo.repoid.clone(),
            kind: "primary",
        };
        let (tee, mut copy) = super::tee::tee();
        std::thread::scope(|scope| {
            let download = std::thread::Builder::new()
                .name("download".into())
                .spawn_scoped(scope, move || {
                    // The copy ends (its reader sees the end of input) with the download.
                    let tee = tee;
                    self.fetch_data_tee(repo, "primary", Some(&tee))
                });
            let Ok(download) = download else {
                // No thread: download first, then parse.
                let file = self.require(repo, "primary")?;
                ready();
                return self.parse_primary_file(&file, workers, take);
            };
            let join = |h: std::thread::ScopedJoinHandle<'_, _>| {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            };
            if !copy.started() {
                // In the cache already (or the download failed before its body).
                let file = join(download)?.ok_or_else(missing)?.0;
                ready();
                return self.parse_primary_file(&file, workers, take);
            }
            tracing::debug!("repo '{}': parsing primary as it downloads", repo.repoid);
            ready();
            let parsed = match crate::repo::decompress::decompress(copy) {
                Ok((_, reader)) => parse_primary_parallel(
                    crate::repo::bounded::Bounded::xml(reader),
                    workers,
                    take,
                ),
                Err(_) => false,
            };
            let (_, whole) = join(download)?.ok_or_else(missing)?;
            Ok(parsed && whole)
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
    ) -> Result<Option<(CachedFile, crate::repo::Modules)>, RepoError> {
        let Some(file) = self.fetch_data(repo, "modules")? else {
            return Ok(None);
        };
        let modules = self.parse_file_whole(&file, |mut reader, origin| {
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
            crate::repo::parse_modules(&text).map_err(modules_error)
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
            Some(file) => self.parse_file_whole(&file, parse_comps).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn require(
        &self,
        repo: &FetchedRepo,
        kind: &'static str,
    ) -> Result<CachedFile, RepoError> {
        self.fetch_data(repo, kind)?
            .ok_or_else(|| RepoError::MissingData {
                repoid: repo.repoid.clone(),
                kind,
            })
    }

    /// Runs `parse` on the decompressed file, with runs without markup bounded
    /// ([`crate::repo::bounded`]); a read error from a decoder becomes
    /// [`RepoError::Decompress`] naming the URL.
    pub(super) fn parse_file<T>(
        &self,
        file: &CachedFile,
        parse: impl FnOnce(Box<dyn BufRead + Send>, &str) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        self.parse_bounded(file, None, parse)
    }

    /// [`Fetcher::parse_file`] for a file the parser holds whole (modules.yaml, comps):
    /// its decompressed size is bounded too ([`MAX_WHOLE`]).
    pub(super) fn parse_file_whole<T>(
        &self,
        file: &CachedFile,
        parse: impl FnOnce(Box<dyn BufRead + Send>, &str) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        self.parse_bounded(file, Some(MAX_WHOLE), parse)
    }

    fn parse_bounded<T>(
        &self,
        file: &CachedFile,
        whole: Option<u64>,
        parse: impl FnOnce(Box<dyn BufRead + Send>, &str) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        use crate::repo::bounded::{Bounded, exceeded_in};
        let (compression, reader) = self.open_with_compression(file)?;
        let reader: Box<dyn BufRead + Send> = match whole {
            Some(total) => Box::new(Bounded::total(reader, total)),
            None => Box::new(Bounded::xml(reader)),
        };
        let too_large = |source: &std::io::Error| {
            exceeded_in(source).map(|x| RepoError::Parse {
                file: file.url.clone(),
                offset: x.offset,
                source: crate::repo::ParseErrorKind::TooLarge {
                    what: x.what,
                    limit: x.limit,
                },
            })
        };
        parse(reader, &file.url).map_err(|e| match e {
            RepoError::Read { ref source, .. } if too_large(source).is_some() => {
                too_large(source).expect("checked")
            }
            RepoError::Parse {
                source: crate::repo::ParseErrorKind::Xml(ref x),
                ..
            } if matches!(&x.0, quick_xml::Error::Io(io) if too_large(io).is_some()) => {
                match &x.0 {
                    quick_xml::Error::Io(io) => too_large(io).expect("checked"),
                    _ => unreachable!("matched above"),
                }
            }
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
}
