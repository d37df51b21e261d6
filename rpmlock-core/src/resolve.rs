//! The orchestrator: one lock run, from an [`Input`] to a [`Lockfile`].
//!
//! Repositories are fetched and parsed once each (concurrently), shared by every
//! target arch; each arch is then resolved on its own thread with its own libsolv
//! pool. File lists are loaded only when a resolution needs them, once per repo.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::config::{Context, Input, ResolvedRepo};
use crate::error::Error;
use crate::lock::{ArchLock, LockedPackage, Lockfile};
use crate::model::Package;
use crate::repo::{FetchOptions, FetchedRepo, Fetcher, RepoError};
use crate::reporter::Reporter;
use crate::solve::{self, PackageRef, SolveRepo, SolveRequest};

/// Options of a lock run that do not come from the input file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LockOptions {
    /// Target arches overriding the input's `arches` (empty: use the input's, else
    /// the host arch).
    pub arches: Vec<String>,
    /// Treat the context as bare whatever the input says (`--bare`).
    pub bare: bool,
    /// Fetching and cache behaviour.
    pub fetch: FetchOptions,
}

impl LockOptions {
    /// Options with the given fetch settings and nothing overridden.
    pub fn new(fetch: FetchOptions) -> Self {
        LockOptions {
            arches: Vec::new(),
            bare: false,
            fetch,
        }
    }
}

/// The rpm arch of the machine rpmlock runs on.
pub fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86" => "i686",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        other => other,
    }
}

/// dnf's `$releasever` for the context: bare contexts have none.
fn releasever(_context: &Context) -> &'static str {
    "unknown"
}

/// One repository, fetched and parsed, shared by every arch that uses it.
struct LoadedRepo {
    fetched: FetchedRepo,
    packages: Vec<Package>,
    /// File lists aligned with `packages`, loaded on first need.
    filelists: Mutex<Option<Arc<Vec<Vec<String>>>>>,
}

impl LoadedRepo {
    fn filelists(&self, fetcher: &Fetcher) -> Result<Arc<Vec<Vec<String>>>, RepoError> {
        let mut slot = self.filelists.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = slot.as_ref() {
            return Ok(f.clone());
        }
        let mut by_pkgid = fetcher.load_filelists(&self.fetched)?;
        let aligned: Vec<Vec<String>> = self
            .packages
            .iter()
            .map(|p| {
                p.checksum
                    .as_ref()
                    .and_then(|c| by_pkgid.remove(&c.hex))
                    .unwrap_or_default()
            })
            .collect();
        let aligned = Arc::new(aligned);
        *slot = Some(aligned.clone());
        Ok(aligned)
    }
}

/// A repo as configured for one arch, pointing at its loaded data.
struct ArchRepo<'a> {
    config: ResolvedRepo,
    data: &'a LoadedRepo,
    priority: i32,
    cost: i32,
}

/// Runs a whole lock: fetch, parse, resolve every arch, look up sources.
pub fn lock(
    input: &Input,
    options: &LockOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<Lockfile, Error> {
    let arches: Vec<String> = if !options.arches.is_empty() {
        options.arches.clone()
    } else if !input.arches.is_empty() {
        input.arches.clone()
    } else {
        vec![host_arch().to_string()]
    };
    let context = if options.bare {
        &Context::Bare
    } else {
        &input.context
    };
    if *context == Context::Unspecified {
        return Err(Error::NoContext {
            input: input.path.clone(),
        });
    }
    let releasever = releasever(context);

    // Repos per arch, after substitution; a repo is fetched once per distinct
    // (repoid, base URLs) pair, whichever arches share it.
    let mut per_arch: Vec<(String, Vec<ResolvedRepo>)> = Vec::new();
    let mut unique: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
    let mut to_fetch: Vec<ResolvedRepo> = Vec::new();
    for arch in &arches {
        let repos = input.repos_for_arch(arch, releasever)?;
        for r in &repos {
            unique
                .entry((r.repoid.clone(), r.baseurls.clone()))
                .or_insert_with(|| {
                    to_fetch.push(r.clone());
                    to_fetch.len() - 1
                });
        }
        per_arch.push((arch.clone(), repos));
    }

    let fetcher = Fetcher::new(options.fetch.clone(), reporter.clone())?;
    let loaded = fetch_all(&fetcher, &to_fetch)?;

    let results: Vec<Result<ArchLock, Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = per_arch
            .iter()
            .map(|(arch, repos)| {
                let fetcher = &fetcher;
                let loaded = &loaded;
                let unique = &unique;
                let reporter = reporter.clone();
                scope.spawn(move || -> Result<ArchLock, Error> {
                    let repos: Vec<ArchRepo<'_>> = repos
                        .iter()
                        .map(|r| {
                            let idx = unique[&(r.repoid.clone(), r.baseurls.clone())];
                            Ok(ArchRepo {
                                priority: int_option(r, "priority", 99)?,
                                cost: int_option(r, "cost", 1000)?,
                                config: r.clone(),
                                data: &loaded[idx],
                            })
                        })
                        .collect::<Result<_, Error>>()?;
                    reporter.solve_started(arch);
                    let lock = lock_arch(fetcher, input, arch, &repos)?;
                    reporter.solve_finished(arch, lock.packages.len());
                    Ok(lock)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut lockfile = Lockfile::default();
    for r in results {
        lockfile.arches.push(r?);
    }
    lockfile.normalize();
    Ok(lockfile)
}

fn int_option(repo: &ResolvedRepo, key: &str, default: i32) -> Result<i32, Error> {
    match repo.options.get(key) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| Error::InvalidOption {
            repoid: repo.repoid.clone(),
            option: key.to_string(),
            value: v.clone(),
        }),
    }
}

/// Fetches repomd and primary of every repo, all repos concurrently.
fn fetch_all(fetcher: &Fetcher, repos: &[ResolvedRepo]) -> Result<Vec<LoadedRepo>, Error> {
    let results: Vec<Result<LoadedRepo, RepoError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = repos
            .iter()
            .map(|r| {
                scope.spawn(move || {
                    let fetched = fetcher.fetch_repomd(&r.repoid, &r.baseurls)?;
                    let packages = fetcher.load_primary(&fetched)?;
                    tracing::info!("repo '{}': {} packages", r.repoid, packages.len());
                    Ok(LoadedRepo {
                        fetched,
                        packages,
                        filelists: Mutex::new(None),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    results
        .into_iter()
        .map(|r| r.map_err(Error::from))
        .collect()
}

/// Resolves one arch and builds its lock section.
fn lock_arch(
    fetcher: &Fetcher,
    input: &Input,
    arch: &str,
    repos: &[ArchRepo<'_>],
) -> Result<ArchLock, Error> {
    let specs: Vec<String> = input
        .packages_for_arch(arch)
        .into_iter()
        .map(str::to_string)
        .collect();
    let solve_with = |filelists: &[Option<Arc<Vec<Vec<String>>>>]| {
        let request = SolveRequest {
            arch,
            repos: repos
                .iter()
                .zip(filelists)
                .map(|(r, f)| SolveRepo {
                    repoid: &r.config.repoid,
                    packages: &r.data.packages,
                    filelists: f.as_deref().map(|v| v.as_slice()),
                    priority: r.priority,
                    cost: r.cost,
                })
                .collect(),
            specs: specs.clone(),
            install_weak_deps: input.install_weak_deps,
        };
        solve::solve(&request)
    };
    let no_filelists = vec![None; repos.len()];
    let refs = match solve_with(&no_filelists) {
        Ok(refs) => refs,
        Err(e) if e.may_need_filelists() => {
            // dnf resolves again with every repo's file lists.
            tracing::info!("{arch}: resolving again with file lists");
            let filelists = repos
                .iter()
                .map(|r| r.data.filelists(fetcher).map(Some))
                .collect::<Result<Vec<_>, _>>()?;
            solve_with(&filelists).map_err(|source| Error::Solve {
                arch: arch.to_string(),
                source,
            })?
        }
        Err(source) => {
            return Err(Error::Solve {
                arch: arch.to_string(),
                source,
            });
        }
    };

    let mut lock = ArchLock {
        arch: arch.to_string(),
        ..Default::default()
    };
    for r in &refs {
        let repo = &repos[r.repo];
        let p = &repo.data.packages[r.package];
        lock.packages.push(locked(repo, p, true));
    }
    if !input.no_sources {
        lock.source = find_sources(repos, &refs);
    }
    Ok(lock)
}

fn locked(repo: &ArchRepo<'_>, p: &Package, with_sourcerpm: bool) -> LockedPackage {
    LockedPackage {
        url: package_url(&repo.data.fetched, p),
        repoid: repo.config.repoid.clone(),
        size: p.download_size,
        checksum: p
            .checksum
            .as_ref()
            .map(|c| c.to_string())
            .unwrap_or_default(),
        name: p.name.clone(),
        evr: p.evr.to_string(),
        sourcerpm: (with_sourcerpm && !p.sourcerpm.is_empty()).then(|| p.sourcerpm.clone()),
    }
}

/// The absolute URL of a package: its `xml:base` (or the repo's base URL) joined with
/// its `location href`.
fn package_url(repo: &FetchedRepo, p: &Package) -> String {
    let base = match &p.location_base {
        Some(b) => url::Url::parse(&with_slash(b)).unwrap_or_else(|_| repo.base_url.clone()),
        None => repo.base_url.clone(),
    };
    match base.join(&p.location_href) {
        Ok(u) => crate::repo::redact_url(&u),
        Err(_) => format!("{}{}", base, p.location_href),
    }
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

/// For every locked binary package, the first (in repo load order) `src` package whose
/// name-version-release equals its `sourcerpm`; misses are warned about.
fn find_sources(repos: &[ArchRepo<'_>], refs: &[PackageRef]) -> Vec<LockedPackage> {
    let mut index: HashMap<(&str, &str, &str), (usize, usize)> = HashMap::new();
    for (ri, repo) in repos.iter().enumerate() {
        for (pi, p) in repo.data.packages.iter().enumerate() {
            if p.arch == "src" || p.arch == "nosrc" {
                index
                    .entry((
                        p.name.as_str(),
                        p.evr.version.as_str(),
                        p.evr.release.as_str(),
                    ))
                    .or_insert((ri, pi));
            }
        }
    }
    let mut out = Vec::new();
    for r in refs {
        let p = &repos[r.repo].data.packages[r.package];
        if p.sourcerpm.is_empty() {
            continue;
        }
        let nvr = p.sourcerpm.strip_suffix(".src.rpm").unwrap_or(&p.sourcerpm);
        let found = split_nvr(nvr).and_then(|(n, v, rel)| index.get(&(n, v, rel)));
        match found {
            Some(&(ri, pi)) => out.push(locked(&repos[ri], &repos[ri].data.packages[pi], false)),
            None => tracing::warn!(
                "No sources found for {} (source RPM {})",
                p.name,
                p.sourcerpm
            ),
        }
    }
    out
}

fn split_nvr(nvr: &str) -> Option<(&str, &str, &str)> {
    let (nv, r) = nvr.rsplit_once('-')?;
    let (n, v) = nv.rsplit_once('-')?;
    Some((n, v, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvr_splits_at_the_last_two_dashes() {
        assert_eq!(
            split_nvr("python-foo-1.0-3.el9"),
            Some(("python-foo", "1.0", "3.el9"))
        );
        assert_eq!(split_nvr("foo"), None);
    }
}
