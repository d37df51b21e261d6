//! The orchestrator: one lock run, from an [`Input`] to a [`Lockfile`].
//!
//! 1. Every repo's repomd.xml is revalidated (all repos concurrently).
//! 2. An arch whose inputs are unchanged since a previous run takes its lock section
//!    from the resolution cache ([`memo`]).
//! 3. The other arches need their repos: each is loaded once (concurrently) from its
//!    cached `.solv` file and package index, or, cold, by streaming primary.xml into
//!    both, and shared by every arch that uses it.
//! 4. Each arch is resolved on its own thread with its own libsolv pool; file lists are
//!    loaded only when a resolution needs them, once per repo.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::config::{Context, Input, ResolvedRepo};
use crate::context::Installed;
use crate::error::Error;
use crate::lock::{ArchLock, LockedPackage, Lockfile};
use crate::repo::{
    CachedFile, Comps, FetchOptions, FetchedRepo, Fetcher, IndexBuilder, IndexEntry, Modules,
    PackageBatch, PackageIndex, RepoError,
};
use crate::reporter::Reporter;
use crate::solve::{self, PackageRef, RepoSource, SolveRepo, SolveRequest};

mod memo;
mod modules;
mod request;

pub use request::{ArchRequest, Plan, RequestEntry, host_arch, plan};

/// Options of a lock run that do not come from the input file.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LockOptions {
    /// Target arches overriding the input's `arches` (empty: use the input's, else
    /// the host arch).
    pub arches: Vec<String>,
    /// Treat the context as bare whatever the input says (`--bare`).
    pub bare: bool,
    /// A context replacing the input's (`--local-system`, `--rootfs`, `--image`).
    pub context: Option<Context>,
    /// A previous lock whose packages stay at their NEVRA wherever that still
    /// resolves (libsolv favors them), except those named in [`Self::upgrade_names`]
    /// (`--upgrade-package`).
    pub keep_locked: Option<Lockfile>,
    /// Packages that may move when [`Self::keep_locked`] is set.
    pub upgrade_names: Vec<String>,
    /// `-f`: the Containerfile of image mode (relative to [`Self::work_dir`]).
    pub containerfile: Option<PathBuf>,
    /// `--rpm-ostree-treefile`: a bare context with this treefile's packages
    /// (relative to [`Self::work_dir`]).
    pub treefile: Option<PathBuf>,
    /// `--flatpak`: `container.yaml`'s `flatpak.packages` are requested too.
    pub flatpak: bool,
    /// `--allowerasing`: as the input's `allowerasing: true`.
    pub allow_erasing: bool,
    /// Environment entries defining dnf variables: `DNF_VAR_NAME=value` is `$NAME`,
    /// `DNF0`..`DNF9` are themselves (the CLI passes its process's environment; the
    /// library reads none).
    pub dnf_env: Vec<(String, String)>,
    /// The directory a Containerfile or `container.yaml` is looked for in, and
    /// command-line paths are relative to (default: the current directory).
    pub work_dir: Option<PathBuf>,
    /// Fetching and cache behaviour.
    pub fetch: FetchOptions,
    /// Resolve every arch (the resolution cache is not read) and keep each one's
    /// dependency graph ([`Locked::graphs`], for `rpmlock why`).
    pub explain: bool,
    /// Packages built from one source package at different versions on different
    /// arches ([`Lockfile::version_skew`]) are an error ([`Error::VersionSkew`]),
    /// not a warning (`--same-versions`).
    pub same_versions: bool,
}

impl LockOptions {
    /// Options with the given fetch settings and nothing overridden.
    pub fn new(fetch: FetchOptions) -> Self {
        LockOptions {
            arches: Vec::new(),
            bare: false,
            context: None,
            keep_locked: None,
            upgrade_names: Vec::new(),
            containerfile: None,
            treefile: None,
            flatpak: false,
            allow_erasing: false,
            dnf_env: Vec::new(),
            work_dir: None,
            fetch,
            explain: false,
            same_versions: false,
        }
    }
}

/// dnf's `$releasever` for the context: detected from its rpmdb, `unknown` when
/// there is none (bare) or nothing provides it.
fn releasever(installed: Option<&Installed>) -> String {
    installed
        .and_then(Installed::releasever)
        .unwrap_or_else(|| "unknown".to_string())
}

/// The installed system of every arch (`None`: bare), each distinct root read once.
fn read_contexts(
    context: &Context,
    arches: &[String],
    fetch: &crate::repo::FetchOptions,
) -> Result<Vec<Option<Arc<Installed>>>, Error> {
    let mut read: BTreeMap<PathBuf, Arc<Installed>> = BTreeMap::new();
    let mut out = Vec::new();
    for arch in arches {
        let Some(root) = crate::context::rootfs(context, arch, fetch)? else {
            out.push(None);
            continue;
        };
        let installed = match read.get(&root) {
            Some(i) => i.clone(),
            None => {
                let i = Arc::new(Installed::read(&root)?);
                read.insert(root, i.clone());
                i
            }
        };
        out.push(Some(installed));
    }
    Ok(out)
}

/// The checksums of the packages libsolv should favor for `arch`: every package of the
/// previous lock's section for that arch, except those allowed to move. (Matched to
/// the repos' packages by checksum, so file names that are not N-V-R.A.rpm do not
/// matter; see [`favored_nevras`].)
fn favored(options: &LockOptions, arch: &str) -> Vec<String> {
    let Some(previous) = &options.keep_locked else {
        return Vec::new();
    };
    let mut out: Vec<String> = previous
        .arches
        .iter()
        .filter(|a| a.arch == arch)
        .flat_map(|a| &a.packages)
        .filter(|p| !options.upgrade_names.contains(&p.name))
        .map(|p| p.checksum.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The NEVRAs (as libsolv writes them) of the packages in `repos` whose checksums are
/// `checksums`.
fn favored_nevras(repos: &[ArchRepo<'_>], checksums: &[String]) -> Vec<String> {
    if checksums.is_empty() {
        return Vec::new();
    }
    let wanted: std::collections::HashSet<&str> = checksums.iter().map(String::as_str).collect();
    let mut out: Vec<String> = repos
        .iter()
        .flat_map(|r| r.data.index.iter())
        .filter(|p| !p.is_source() && wanted.contains(p.checksum))
        .map(|p| format!("{}-{}.{}", p.name, p.evr(), p.arch))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// One repository, fetched and indexed, shared by every arch that uses it.
///
/// Its packages live in two cache files keyed by primary's checksum: a libsolv
/// `.solv` file (what the solver loads) and a [`PackageIndex`] (what the lock
/// records); a warm run reads those instead of parsing primary.xml.
struct LoadedRepo {
    fetched: FetchedRepo,
    /// Shared between repos of one run whose primary is the same file, when they hold
    /// source packages only (see `load_repo`).
    index: Arc<PackageIndex>,
    /// Whether any package is not a source package.
    has_binaries: bool,
    solv: PathBuf,
    /// The content of `solv` when it was read (and its seal checked) on loading.
    solv_bytes: Option<Vec<u8>>,
    /// The `.solv` file with every file list merged in, built on first need.
    solv_with_filelists: Mutex<Option<PathBuf>>,
    /// The repo's comps, loaded when a `@` spec first needs them.
    comps: Mutex<Option<Arc<Option<Comps>>>>,
    /// The modules metadata file and its content, when the repo has one.
    modules: Option<(CachedFile, Modules)>,
    /// The pool the cold path built this repo in (kept when one arch is resolved):
    /// its resolution starts from it instead of reading `solv` back.
    built: Mutex<Option<solve::BuiltRepo>>,
    /// Whether the cold load left `solv` unwritten (see `load_repo`): `built` holds
    /// the repo, and [`LoadedRepo::ensure_solv`] writes the file from it.
    solv_deferred: std::sync::atomic::AtomicBool,
}

impl LoadedRepo {
    fn new(fetched: FetchedRepo, index: Arc<PackageIndex>, solv: PathBuf) -> LoadedRepo {
        let has_binaries = index.has_binaries();
        LoadedRepo {
            fetched,
            has_binaries,
            index,
            solv,
            solv_bytes: None,
            solv_with_filelists: Mutex::new(None),
            comps: Mutex::new(None),
            modules: None,
            built: Mutex::new(None),
            solv_deferred: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Writes the `.solv` file the cold load deferred, from the pool it kept, for a
    /// resolution that reads the file instead of starting from that pool.
    fn ensure_solv(&self) -> Result<(), Error> {
        if !self
            .solv_deferred
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return Ok(());
        }
        let mut built = self.built.lock().unwrap_or_else(|e| e.into_inner());
        let repo_data = |source| Error::RepoData {
            repoid: self.fetched.repoid.clone(),
            source,
        };
        let Some(built) = built.as_mut() else {
            return Err(repo_data(solve::SolveError::InvalidData {
                repoid: self.fetched.repoid.clone(),
                message: "its .solv file was deferred but its pool is gone".into(),
            }));
        };
        write_cache_file(&self.solv, |tmp| built.write(tmp).map_err(repo_data))?;
        seal_solv(&self.solv);
        tracing::debug!(
            "repo '{}': deferred .solv file written",
            self.fetched.repoid
        );
        Ok(())
    }

    /// The repo's comps (`group_gz`, else `group`), fetched and parsed once.
    fn comps(&self, fetcher: &Fetcher) -> Result<Arc<Option<Comps>>, Error> {
        let mut slot = self.comps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let c = Arc::new(fetcher.load_comps(&self.fetched)?);
        *slot = Some(c.clone());
        Ok(c)
    }

    fn solv_with_filelists(&self, fetcher: &Fetcher) -> Result<PathBuf, Error> {
        let mut slot = self
            .solv_with_filelists
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(path) = slot.as_ref() {
            return Ok(path.clone());
        }
        let Some(filelists) = self.fetched.repomd.get("filelists") else {
            // Nothing more to know: the primary-only data is all there is.
            *slot = Some(self.solv.clone());
            return Ok(self.solv.clone());
        };
        let path = self.solv.with_extension(format!(
            "fl-{}.solv",
            cache_key(&filelists.checksum.to_string())
        ));
        if fetcher.options().refresh || !solv_intact(&path) {
            let packages = fetcher.load_primary(&self.fetched)?;
            let mut by_pkgid = fetcher.load_filelists(&self.fetched)?;
            let aligned: Vec<Vec<String>> = packages
                .iter()
                .map(|p| {
                    p.checksum
                        .as_ref()
                        .and_then(|c| by_pkgid.remove(&c.hex))
                        .unwrap_or_default()
                })
                .collect();
            write_cache_file(&path, |tmp| {
                solve::write_solv(&self.fetched.repoid, &packages, Some(&aligned), tmp).map_err(
                    |source| Error::RepoData {
                        repoid: self.fetched.repoid.clone(),
                        source,
                    },
                )
            })?;
            seal_solv(&path);
        }
        *slot = Some(path.clone());
        Ok(path)
    }
}

/// Whether files can be created in the cache directory (created if missing).
fn cache_writable(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    tempfile::Builder::new()
        .prefix(".tmp-probe-")
        .tempfile_in(dir)
        .map(drop)
}

/// The seal of a cached `.solv` file: `PATH.crc`, its CRC-32 and length, written after
/// it (best effort: an unsealed file is rebuilt next time).
fn seal_solv(path: &Path) {
    let seal = |bytes: &[u8]| format!("{:08x} {}\n", crc32fast::hash(bytes), bytes.len());
    let written = std::fs::read(path).and_then(|bytes| {
        let sidecar = path.with_extension("solv.crc");
        let tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
        std::fs::write(tmp.path(), seal(&bytes))?;
        tmp.persist(sidecar).map_err(|e| e.error)?;
        Ok(())
    });
    if let Err(e) = written {
        tracing::debug!("cannot seal {}: {e}", path.display());
    }
}

/// Whether a cached `.solv` file exists and matches its seal; a damaged one is
/// reported (and then rebuilt by the caller), never loaded.
fn solv_intact(path: &Path) -> bool {
    solv_checked(path).is_some()
}

/// The content of a cached `.solv` file that exists and matches its seal: what was
/// checked is what libsolv reads (the file is not opened a second time).
fn solv_checked(path: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let sidecar = path.with_extension("solv.crc");
    let want = std::fs::read_to_string(&sidecar).unwrap_or_default();
    let got = format!("{:08x} {}\n", crc32fast::hash(&bytes), bytes.len());
    if want == got {
        return Some(bytes);
    }
    if want.is_empty() {
        tracing::debug!("{} has no seal: rebuilding it", path.display());
        return None;
    }
    tracing::warn!(
        "the cached {} does not match its seal {} (damaged cache): rebuilding it",
        path.display(),
        sidecar.display()
    );
    None
}

/// A file-name-safe form of a checksum such as `sha256:abcd`.
fn cache_key(checksum: &str) -> String {
    checksum.replace(':', "-")
}

/// Writes a cache file through a temp file in the same directory and an atomic
/// rename, so readers (and concurrent rpmlock processes) never see a partial file.
fn write_cache_file(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), Error>,
) -> Result<(), Error> {
    let dir = path.parent().expect("cache files live in a directory");
    let io = |context: String| move |source| Error::Io { context, source };
    fs_err::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(io(format!("creating a temp file in {}", dir.display())))?;
    let _tracked = crate::tempfiles::track(tmp.path());
    write(tmp.path())?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .map_err(io(format!("writing {}", path.display())))?;
    Ok(())
}

/// A repo as configured for one arch, pointing at its loaded data.
struct ArchRepo<'a> {
    config: ResolvedRepo,
    data: &'a LoadedRepo,
    priority: i32,
    cost: i32,
    excludes: Vec<String>,
    includes: Vec<String>,
}

/// Runs a whole lock: fetch, parse, resolve every arch, look up sources. Warnings
/// are logged through `tracing`; [`plan`] and [`lock_planned`] return them.
///
/// Locking the demo input of this repository (its repositories are local paths, so
/// this runs offline), into a private cache:
///
/// ```
/// use std::sync::Arc;
/// use rpmlock_core::config::Input;
/// use rpmlock_core::repo::FetchOptions;
/// use rpmlock_core::reporter::NoopReporter;
/// use rpmlock_core::resolve::{LockOptions, lock};
///
/// let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/../repos/demo/rpms.in.yaml");
/// let input = Input::from_path(demo)?;
/// let dir = tempfile::tempdir()?;
/// let fetch = FetchOptions {
///     cache_dir: dir.path().join("cache"),
///     ..FetchOptions::default()
/// };
/// let lockfile = lock(&input, &LockOptions::new(fetch), Arc::new(NoopReporter))?;
///
/// let x86 = lockfile.arches.iter().find(|a| a.arch == "x86_64").unwrap();
/// let chain_a = x86.packages.iter().find(|p| p.name == "chain-a").unwrap();
/// assert_eq!(chain_a.evr, "1.0-1");
/// assert!(chain_a.checksum.starts_with("sha256:"));
/// lockfile.write_atomic(dir.path().join("rpms.lock.yaml"))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lock(
    input: &Input,
    options: &LockOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<Lockfile, Error> {
    let plan = plan(input, options)?;
    lock_planned(&plan, options, reporter).map(|l| l.lockfile)
}

/// Runs a lock whose request was worked out by [`plan`]. When several arches fail,
/// the error names each ([`Error::Arches`]).
pub fn lock_planned(
    plan: &Plan,
    options: &LockOptions,
    reporter: Arc<dyn Reporter>,
) -> Result<Locked, Error> {
    let input = &plan.input;
    let arches = &plan.arches;
    let context = &plan.context;
    if !input.match_context_versions.is_empty()
        && !matches!(context, Context::Rootfs(_) | Context::Image(_))
    {
        return Err(crate::context::ContextError::MatchVersionsWithoutImage.into());
    }
    if *context == Context::LocalSystem
        && let Some(other) = arches.iter().find(|a| a.as_str() != host_arch())
    {
        return Err(crate::context::ContextError::LocalSystemArch {
            arch: other.clone(),
            host: host_arch().to_string(),
        }
        .into());
    }
    // A cache that cannot be written (read-only, full) is replaced by a temporary
    // one for this run: slower, never failing for it.
    let _scratch_cache;
    let mut fetch_options = options.fetch.clone();
    if !fetch_options.offline
        && let Err(e) = cache_writable(&fetch_options.cache_dir)
    {
        let scratch = tempfile::Builder::new()
            .prefix("rpmlock-cache-")
            .tempdir()
            .map_err(|source| Error::Io {
                context: "creating a temporary cache directory".into(),
                source,
            })?;
        tracing::warn!(
            "the cache {} cannot be written ({e}): working without it (in {})",
            fetch_options.cache_dir.display(),
            scratch.path().display()
        );
        fetch_options.cache_dir = scratch.path().to_path_buf();
        _scratch_cache = scratch;
    }
    let options = &LockOptions {
        fetch: fetch_options,
        ..options.clone()
    };
    let installed = read_contexts(context, arches, &options.fetch)?;

    let started = std::time::Instant::now();
    let fetcher = Fetcher::new(options.fetch.clone(), reporter.clone())?;
    tracing::debug!("HTTP client ready after {:?}", started.elapsed());
    // contentOrigin.repofiles become repos (remote ones through the fetcher's cache).
    let loaded_input;
    let input = if input.repofiles.is_empty() {
        input
    } else {
        let mut with_files = input.clone();
        with_files.load_repofiles(|url| fetcher.fetch_text("repofile", url))?;
        loaded_input = with_files;
        &loaded_input
    };

    // One run per target arch; a repo is fetched once per distinct (repoid, base
    // URLs) pair, whichever arches share it.
    let mut unique: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
    let mut to_fetch: Vec<ResolvedRepo> = Vec::new();
    let mut runs: Vec<ArchRun> = Vec::with_capacity(arches.len());
    for (arch, installed) in arches.iter().zip(installed) {
        let vars = crate::config::vars::Vars::from_env(
            arch,
            &releasever(installed.as_deref()),
            options.dnf_env.iter().cloned(),
        );
        let repos = input.repos_for_arch_with(&vars)?;
        let fetch_index = repos
            .iter()
            .map(|r| {
                *unique
                    .entry((r.repoid.clone(), r.baseurls.clone()))
                    .or_insert_with(|| {
                        to_fetch.push(r.clone());
                        to_fetch.len() - 1
                    })
            })
            .collect();
        runs.push(ArchRun {
            arch: arch.clone(),
            favor: favored(options, arch),
            installed,
            repos,
            fetch_index,
            key: String::new(),
            lock: None,
            warnings: Vec::new(),
            graph: None,
        });
    }

    let fetched = fetch_repomds(&fetcher, &to_fetch)?;
    tracing::debug!(
        "repository metadata revalidated after {:?}",
        started.elapsed()
    );

    // A resolution depends only on its inputs (request, repo settings, metadata
    // checksums): an unchanged one is read back instead of recomputed.
    let memo = memo::Memo::new(&options.fetch);
    for run in &mut runs {
        let repos: Vec<(&ResolvedRepo, &FetchedRepo)> = run
            .repos
            .iter()
            .zip(&run.fetch_index)
            .map(|(r, &i)| (r, &fetched[i]))
            .collect();
        let digest = run.installed.as_ref().map(|i| i.digest());
        run.key = memo::key(
            input,
            context,
            digest.as_deref(),
            &run.favor,
            &run.arch,
            &repos,
        );
        if !options.explain
            && let Some((lock, cached)) = memo.get(&run.key)
        {
            run.lock = Some(lock);
            run.warnings = cached;
        }
    }
    // The arches still to resolve, one after another: each loads the repos it needs
    // that are not loaded yet (concurrently), resolves, and lets go of the repos no
    // later arch uses; the next arch's repos load while this one is solved. Memory
    // stays that of one arch and the next one's load whatever the number of arches.
    // A repo only one arch uses keeps the pool its cold load built, and that arch's
    // resolution starts from it.
    let pending: Vec<usize> = (0..runs.len())
        .filter(|&i| runs[i].lock.is_none())
        .collect();
    let mut users = vec![0usize; to_fetch.len()];
    for &i in &pending {
        for &idx in &unique_indices(&runs[i].fetch_index) {
            users[idx] += 1;
        }
    }
    let mut fetched: Vec<Option<FetchedRepo>> = fetched.into_iter().map(Some).collect();
    let mut loaded: Vec<Option<LoadedRepo>> = (0..to_fetch.len()).map(|_| None).collect();
    let mut solved: Vec<(usize, Result<Resolved, Error>)> = Vec::with_capacity(pending.len());
    let sources = SourceIndexes::default();
    // The repos arch `i` needs that are not loaded yet, each with what its load keeps,
    // largest primary first: cold parses take the cores one repo at a time, and the
    // next repo's parse runs beside the previous one's pool builder finishing.
    let stage_jobs = |i: usize, fetched: &mut [Option<FetchedRepo>], users: &[usize]| {
        let run = &runs[i];
        let mut jobs: Vec<(usize, FetchedRepo, Keep)> = unique_indices(&run.fetch_index)
            .iter()
            .filter_map(|&idx| {
                let f = fetched[idx].take()?;
                let keep = match users[idx] {
                    1 if run.installed.is_none() && run.fetch_index.first() == Some(&idx) => {
                        Keep::PoolOnly
                    }
                    1 => Keep::PoolAndSolv,
                    _ => Keep::Solv,
                };
                Some((idx, f, keep))
            })
            .collect();
        jobs.sort_by_key(|(_, f, _)| {
            std::cmp::Reverse(f.repomd.get("primary").map_or(0, |p| p.size.unwrap_or(0)))
        });
        jobs
    };
    let run_stage = |jobs: Vec<(usize, FetchedRepo, Keep)>| {
        let turns = ParseTurns::new(jobs.len());
        parallel(jobs.into_iter().enumerate(), |(k, (idx, f, keep))| {
            let turn = turns.turn(k);
            let mut repo = load_repo(&fetcher, &to_fetch[idx], f, keep, turn, &sources)?;
            repo.modules = fetcher.load_modules(&repo.fetched)?;
            Ok((idx, repo))
        })
    };
    let (stage_jobs, run_stage) = (&stage_jobs, &run_stage);
    std::thread::scope(|scope| {
        // The primary files of arch `pending[pos]` download into the cache (its load
        // finds them there, or waits for the download to end) while an earlier arch
        // is loaded.
        let prefetch = |pos: usize, fetched: &[Option<FetchedRepo>]| {
            let Some(&i) = pending.get(pos) else {
                return;
            };
            let ahead: Vec<FetchedRepo> = unique_indices(&runs[i].fetch_index)
                .iter()
                .filter_map(|&idx| fetched[idx].clone())
                .collect();
            if !ahead.is_empty() {
                let fetcher = &fetcher;
                scope.spawn(move || {
                    for f in &ahead {
                        fetcher.prefetch_data(f, "primary");
                    }
                });
            }
        };
        // The next arch's load, started while this one is solved (a solve leaves a
        // core idle).
        let mut next_stage = None;
        for (pos, &i) in pending.iter().enumerate() {
            let run = &runs[i];
            let stage = match next_stage.take() {
                Some(handle) => join_scoped(handle),
                None => {
                    let jobs = stage_jobs(i, &mut fetched, &users);
                    prefetch(pos + 1, &fetched);
                    run_stage(jobs)
                }
            };
            let stage = match stage {
                Ok(stage) => stage,
                Err(e) => {
                    solved.push((i, Err(e)));
                    break;
                }
            };
            for (idx, repo) in stage {
                loaded[idx] = Some(repo);
            }
            tracing::debug!(
                "{}: repositories loaded after {:?}",
                run.arch,
                started.elapsed()
            );
            if let Some(&next) = pending.get(pos + 1) {
                let jobs = stage_jobs(next, &mut fetched, &users);
                prefetch(pos + 2, &fetched);
                next_stage = Some(scope.spawn(move || run_stage(jobs)));
            }
            let outcome = (|| -> Result<Resolved, Error> {
                let repos: Vec<ArchRepo<'_>> = run
                    .repos
                    .iter()
                    .zip(&run.fetch_index)
                    .map(|(r, &idx)| {
                        Ok(ArchRepo {
                            priority: r.priority()?,
                            cost: r.cost()?,
                            excludes: r.excludes(),
                            includes: r.includes(),
                            config: r.clone(),
                            data: loaded[idx]
                                .as_ref()
                                .expect("loaded for every unresolved arch"),
                        })
                    })
                    .collect::<Result<_, Error>>()?;
                reporter.solve_started(&run.arch);
                let resolved = lock_arch(
                    &fetcher,
                    input,
                    run.installed.as_deref(),
                    &run.favor,
                    &run.arch,
                    &repos,
                    options.explain,
                )?;
                reporter.solve_finished(&run.arch, resolved.0.packages.len());
                Ok(resolved)
            })();
            solved.push((i, outcome));
            for idx in unique_indices(&run.fetch_index) {
                users[idx] -= 1;
                if users[idx] == 0 {
                    loaded[idx] = None;
                }
            }
            if pending.last() != Some(&i) {
                solve::release_freed_memory();
            }
        }
    });
    // Every arch's outcome: all failures are reported, not only the first.
    let mut errors = Vec::new();
    for (i, outcome) in solved {
        let run = &mut runs[i];
        match outcome {
            Ok((lock, w, graph)) => {
                memo.put(&run.key, &lock, &w);
                run.lock = Some(lock);
                run.warnings = w;
                run.graph = graph;
            }
            Err(e) => errors.push(e),
        }
    }
    let warnings: Vec<Vec<String>> = runs
        .iter_mut()
        .map(|r| std::mem::take(&mut r.warnings))
        .collect();
    let graphs: Vec<(String, solve::graph::DependencyGraph)> = runs
        .iter_mut()
        .filter_map(|r| r.graph.take().map(|g| (r.arch.clone(), g)))
        .collect();
    let mut warnings = group_warnings(arches, warnings);
    for w in &warnings {
        tracing::warn!("{w}");
    }
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0)),
        _ => return Err(Error::Arches { errors }),
    }
    tracing::debug!("resolved after {:?}", started.elapsed());
    let mut lockfile = Lockfile::new(
        runs.into_iter()
            .map(|r| r.lock.expect("every arch resolved or memoized"))
            .collect(),
    );
    lockfile.normalize();
    let skew = lockfile.version_skew();
    if !skew.is_empty() {
        if options.same_versions {
            return Err(Error::VersionSkew { skew });
        }
        for s in &skew {
            let w = format!("{s}: {SKEW_HINT}");
            tracing::warn!("{w}");
            warnings.push(w);
        }
    }
    Ok(Locked {
        lockfile,
        warnings,
        graphs,
    })
}

/// One target arch of a lock run: what it resolves with, and what came of it.
struct ArchRun {
    arch: String,
    /// The context's installed packages (`None`: bare).
    installed: Option<Arc<Installed>>,
    /// The arch's repos, after substitution.
    repos: Vec<ResolvedRepo>,
    /// For each repo, its index among the repos fetched (shared between arches).
    fetch_index: Vec<usize>,
    /// Checksums of the previous lock's packages to keep (`--upgrade-package`).
    favor: Vec<String>,
    /// The resolution cache key.
    key: String,
    /// The arch's lock section, from the cache or the resolution.
    lock: Option<ArchLock>,
    /// The warnings of its resolution.
    warnings: Vec<String>,
    /// With `explain`: its dependency graph.
    graph: Option<solve::graph::DependencyGraph>,
}

/// What the version-skew warning adds to each source package it names.
const SKEW_HINT: &str = "built from different source versions on different arches (a mirror half synced, or an arch lagging behind?)";

/// A finished lock run: the lockfile and the warnings of its resolution (already
/// logged; for callers that show them their own way).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Locked {
    /// The lockfile.
    pub lockfile: Lockfile,
    /// `ARCH[, ARCH...]: message`, one per distinct message (a warning every arch
    /// gives is one line naming them all), in arch order.
    pub warnings: Vec<String>,
    /// With [`LockOptions::explain`]: every arch's dependency graph, in arch order.
    pub graphs: Vec<(String, solve::graph::DependencyGraph)>,
}

/// Each distinct warning once, prefixed with the arches that gave it.
fn group_warnings(arches: &[String], per_arch: Vec<Vec<String>>) -> Vec<String> {
    let mut order: Vec<String> = Vec::new();
    let mut by_text: HashMap<String, Vec<&str>> = HashMap::new();
    for (arch, list) in arches.iter().zip(per_arch) {
        for w in list {
            let entry = by_text.entry(w.clone()).or_default();
            if entry.is_empty() {
                order.push(w);
            }
            if !entry.contains(&arch.as_str()) {
                entry.push(arch);
            }
        }
    }
    order
        .into_iter()
        .map(|w| format!("{}: {w}", by_text[&w].join(", ")))
        .collect()
}

/// The most repomd.xml requests in flight at once. Many repos (several per arch) often
/// live on one host: a burst of connections beyond a small server's listen backlog
/// (Python's http.server takes 5) has the kernel drop SYNs, retried only after a
/// second.
const REPOMD_REQUESTS: usize = 4;

/// Fetches (revalidates) repomd.xml of every repo, [`REPOMD_REQUESTS`] at a time.
fn fetch_repomds(fetcher: &Fetcher, repos: &[ResolvedRepo]) -> Result<Vec<FetchedRepo>, Error> {
    parallel_bounded(repos.iter().collect(), REPOMD_REQUESTS, |r| {
        let settings = crate::repo::ConnSettings::from_repo(r)?;
        fetcher
            .fetch_repomd_with(&r.repoid, &r.baseurls, &settings)
            .map_err(Error::from)
    })
}

/// Each index once, in first-seen order.
fn unique_indices(indices: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(indices.len());
    for &i in indices {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// Runs `f` on every item, each on a thread of its own; the first error wins.
fn parallel<T: Send, U: Send>(
    items: impl IntoIterator<Item = T>,
    f: impl Fn(T) -> Result<U, Error> + Sync,
) -> Result<Vec<U>, Error> {
    let items: Vec<T> = items.into_iter().collect();
    let threads = items.len();
    parallel_bounded(items, threads, f)
}

/// Runs `f` on every item on at most `threads` threads; results in item order, the
/// first error (in item order) wins.
fn parallel_bounded<T: Send, U: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> Result<U, Error> + Sync,
) -> Result<Vec<U>, Error> {
    let threads = threads.clamp(1, items.len().max(1));
    let queue = Mutex::new(items.into_iter().enumerate());
    let (f, queue) = (&f, &queue);
    let mut done: Vec<(usize, Result<U, Error>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                        let Some((i, item)) = next else {
                            return out;
                        };
                        out.push((i, f(item)));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(join_scoped).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The result of a scoped thread, its panic passed on.
fn join_scoped<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// The order in which the cold loads of one arch parse (see `lock_planned`): turn `k`
/// waits until every earlier turn has parsed, or needed no parse.
struct ParseTurns {
    done: Mutex<Vec<bool>>,
    changed: std::sync::Condvar,
}

impl ParseTurns {
    fn new(n: usize) -> ParseTurns {
        ParseTurns {
            done: Mutex::new(vec![false; n]),
            changed: std::sync::Condvar::new(),
        }
    }

    fn turn(&self, k: usize) -> Turn<'_> {
        Turn { turns: self, k }
    }
}

/// One load's turn; finished when dropped at the latest (an error, a warm load).
struct Turn<'a> {
    turns: &'a ParseTurns,
    k: usize,
}

impl Turn<'_> {
    /// Blocks until every earlier turn is finished.
    fn wait(&self) {
        let mut done = self.turns.done.lock().unwrap_or_else(|e| e.into_inner());
        while !done[..self.k].iter().all(|&d| d) {
            done = self
                .turns
                .changed
                .wait(done)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Lets later turns parse.
    fn finish(&self) {
        let mut done = self.turns.done.lock().unwrap_or_else(|e| e.into_inner());
        if !done[self.k] {
            done[self.k] = true;
            self.turns.changed.notify_all();
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.finish();
    }
}

/// What a cold load keeps of the pool it builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// The `.solv` file only: several arches read it.
    Solv,
    /// The pool, for the one arch that uses the repo, and the `.solv` file.
    PoolAndSolv,
    /// The pool, for the one arch whose resolution starts from it (its first repo,
    /// no installed system before it): this run needs no `.solv` file (see
    /// [`WriteCaches`]; [`LoadedRepo::ensure_solv`] writes it if a resolution needs it).
    PoolOnly,
}

/// Whether a cold pass writes the repo's cache files (its `.solv` file and package
/// index, which a later run reads together).
///
/// A run that parses a primary for the first time needs neither file unless another
/// repo's resolution reads its `.solv` file in this run: the index is in memory, a
/// repo of source packages never enters a pool, and the first repo's resolution starts
/// from the pool its parse built. Such a run (CI's, with an empty cache, is one)
/// leaves a marker (`KEY.seen`) instead, and the next run that has to resolve (the
/// resolution cache did not answer) parses the cached primary again and writes both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteCaches {
    /// This primary was parsed before: a later run may well need the files again.
    Always,
    /// Only if the repo has binary packages (a `.solv` file this run reads).
    IfBinaries,
    /// This run needs neither file.
    Never,
}

impl WriteCaches {
    fn holds(self, has_binaries: bool) -> bool {
        match self {
            WriteCaches::Always => true,
            WriteCaches::IfBinaries => has_binaries,
            WriteCaches::Never => false,
        }
    }
}

/// The package index of every repo of source packages only loaded in this run, by
/// its primary's cache key: repos at other URLs with the same primary (a source repo
/// under `$basearch`, one per arch, is one file) share it instead of parsing it again.
type SourceIndexes = Mutex<HashMap<String, Arc<PackageIndex>>>;

fn load_repo(
    fetcher: &Fetcher,
    r: &ResolvedRepo,
    fetched: FetchedRepo,
    keep: Keep,
    turn: Turn<'_>,
    sources: &SourceIndexes,
) -> Result<LoadedRepo, Error> {
    let primary = fetched
        .repomd
        .get("primary")
        .ok_or_else(|| RepoError::MissingData {
            repoid: r.repoid.clone(),
            kind: "primary",
        })?;
    let key = cache_key(&primary.checksum.to_string());
    let dir = fetcher.options().cache_dir.join("index-v1");
    let shared = sources
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    if let Some(index) = shared {
        tracing::info!(
            "repo '{}': {} source packages, the same primary as a repo loaded before",
            r.repoid,
            index.len()
        );
        turn.finish();
        let solv = dir.join(format!("{key}.solv"));
        return Ok(LoadedRepo::new(fetched, index, solv));
    }
    let loaded = load_repo_data(fetcher, r, fetched, keep, turn, (&dir, &key))?;
    if !loaded.has_binaries {
        sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key)
            .or_insert_with(|| loaded.index.clone());
    }
    Ok(loaded)
}

/// Loads a repo whose primary has the cache key `key` (its files in `dir`): from
/// its cache files, else by a cold pass over primary.xml.
fn load_repo_data(
    fetcher: &Fetcher,
    r: &ResolvedRepo,
    fetched: FetchedRepo,
    keep: Keep,
    turn: Turn<'_>,
    (dir, key): (&Path, &str),
) -> Result<LoadedRepo, Error> {
    let started = std::time::Instant::now();
    let index_path = dir.join(format!("{key}.idx"));
    let solv = dir.join(format!("{key}.solv"));
    if !fetcher.options().refresh
        && let Some(bytes) = solv_checked(&solv)
    {
        solve::heap_for_cached_pools();
        // The repo the resolution starts from (see `Keep::PoolOnly`) is read into its
        // pool on a thread of its own while the index is read.
        let (index, built) = std::thread::scope(|scope| {
            let built = (keep == Keep::PoolOnly)
                .then(|| scope.spawn(|| solve::BuiltRepo::read(&r.repoid, &bytes, &solv)));
            let index = PackageIndex::read(&index_path);
            let built = built.map(join_scoped);
            (index, built)
        });
        match (index, built) {
            (Ok(Some(_)), Some(Err(e))) => {
                tracing::warn!("repo '{}': {e}; rebuilding its cache files", r.repoid)
            }
            (Ok(Some(index)), built) => {
                tracing::info!(
                    "repo '{}': {} packages from the cache ({:?})",
                    r.repoid,
                    index.len(),
                    started.elapsed()
                );
                turn.finish();
                let mut loaded = LoadedRepo::new(fetched, Arc::new(index), solv);
                // Only a repo with binaries goes into a pool.
                if loaded.has_binaries {
                    match built {
                        Some(Ok(built)) => {
                            *loaded.built.lock().unwrap_or_else(|e| e.into_inner()) = Some(built)
                        }
                        // Not read beside the index (a failed read went to the rebuild).
                        _ => loaded.solv_bytes = Some(bytes),
                    }
                }
                return Ok(loaded);
            }
            (Ok(None), _) => {}
            (Err(e), _) => tracing::warn!("{e}; rebuilding it"),
        }
    }
    // Cold: primary streams through the parser into two consumers at once, the
    // package index and a libsolv pool that becomes the repo's .solv file; no package
    // list is ever held in memory. (Decompression runs on a thread of its own.)
    let seen = dir.join(format!("{key}.seen"));
    let write = if index_path.exists() || seen.exists() {
        WriteCaches::Always
    } else if keep == Keep::PoolOnly {
        WriteCaches::Never
    } else {
        WriteCaches::IfBinaries
    };
    let solv_tmp =
        tempfile::NamedTempFile::new_in(cache_dir_created(dir)?).map_err(|source| Error::Io {
            context: format!("creating a temp file in {}", dir.display()),
            source,
        })?;
    let _tracked = crate::tempfiles::track(solv_tmp.path());
    let files = CacheFiles {
        solv_tmp: solv_tmp.path(),
        index: &index_path,
        write,
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let mut pass = None;
    if workers > 1 {
        pass = cold_pass(fetcher, &fetched, &r.repoid, &files, workers, &turn)?;
        if pass.is_none() {
            tracing::debug!(
                "repo '{}': primary parsed again in one piece (the parallel parse could not vouch for it)",
                r.repoid
            );
        }
    }
    let (index, built, cached) = match pass {
        Some(pass) => pass,
        None => cold_pass(fetcher, &fetched, &r.repoid, &files, 1, &turn)?
            .expect("a sequential pass always decides"),
    };
    tracing::debug!(
        "repo '{}': pool built after {:?}",
        r.repoid,
        started.elapsed()
    );
    if cached {
        solv_tmp.persist(&solv).map_err(|e| Error::Io {
            context: format!("writing {}", solv.display()),
            source: e.error,
        })?;
        seal_solv(&solv);
        let _ = std::fs::remove_file(&seen);
        tracing::info!(
            "repo '{}': {} packages, cache written ({:?})",
            r.repoid,
            index.len(),
            started.elapsed()
        );
    } else {
        // Best effort: without the marker the next run defers the files again.
        if let Err(e) = std::fs::write(&seen, b"") {
            tracing::debug!("cannot write {}: {e}", seen.display());
        }
        tracing::info!(
            "repo '{}': {} packages ({:?}; cache files left to the next run that resolves)",
            r.repoid,
            index.len(),
            started.elapsed()
        );
    }
    let loaded = LoadedRepo::new(fetched, Arc::new(index), solv);
    if keep != Keep::Solv && loaded.has_binaries {
        *loaded.built.lock().unwrap_or_else(|e| e.into_inner()) = Some(built);
        loaded
            .solv_deferred
            .store(!cached, std::sync::atomic::Ordering::SeqCst);
    }
    Ok(loaded)
}

/// What a cold pass over primary.xml yields: the package index, the pool with the
/// repo, and whether both cache files were written (the `.solv` file to `solv_tmp`).
type ColdPass = (PackageIndex, solve::BuiltRepo, bool);

/// Where a cold pass writes the cache files, and whether.
struct CacheFiles<'a> {
    solv_tmp: &'a Path,
    index: &'a Path,
    write: WriteCaches,
}

/// Streams primary.xml through the parser into two consumers at once, the package
/// index and a libsolv pool that becomes the repo's `.solv` file; no package list is
/// ever held in memory. With `workers > 1` the parse runs on that many threads and
/// may decline (`None`: the caller runs a sequential pass, which always decides).
fn cold_pass(
    fetcher: &Fetcher,
    fetched: &FetchedRepo,
    repoid: &str,
    files: &CacheFiles<'_>,
    workers: usize,
    turn: &Turn<'_>,
) -> Result<Option<ColdPass>, Error> {
    let started = std::time::Instant::now();
    // The pool is built on a thread of its own; batches travel back to the parsing
    // thread to be refilled (their buffers are reused, and freed where they were
    // allocated: cross-thread frees contend on the allocator's locks).
    let (to_builder, builder_rx) = std::sync::mpsc::sync_channel::<PackageBatch>(8);
    let (to_parser, parser_rx) = std::sync::mpsc::channel::<PackageBatch>();
    let abandoned = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let abandon = abandoned.clone();
    let repoid_owned = repoid.to_string();
    let solv_tmp_path = files.solv_tmp.to_path_buf();
    let write = files.write;
    let builder = std::thread::Builder::new()
        .name("solv-writer".into())
        .spawn(
            move || -> Result<Option<solve::BuiltRepo>, solve::SolveError> {
                let mut writer = solve::SolvWriter::new(&repoid_owned)?;
                let mut result = Ok(());
                // A repo of source packages only never enters a resolution (see
                // `lock_arch`): its batches are held until a binary package shows up, and
                // without one its `.solv` file is an empty repo (nothing built or written).
                let mut held: Vec<PackageBatch> = Vec::new();
                let mut binary = false;
                let mut add = |batch: PackageBatch| {
                    if result.is_ok() {
                        result = writer.add_batch(&batch);
                    }
                    let _ = to_parser.send(batch);
                };
                for batch in builder_rx {
                    if !binary {
                        if batch.iter().all(|p| p.is_source()) {
                            held.push(batch);
                            continue;
                        }
                        binary = true;
                        held.drain(..).for_each(&mut add);
                    }
                    add(batch);
                }
                result?;
                if abandoned.load(std::sync::atomic::Ordering::SeqCst) {
                    return Ok(None);
                }
                let mut built = writer.finish();
                if write.holds(binary) {
                    built.write(&solv_tmp_path)?;
                }
                Ok(Some(built))
            },
        );
    let builder = builder.map_err(|source| Error::Io {
        context: "starting a thread".into(),
        source,
    })?;
    let mut index = IndexBuilder::default();
    let take = |batch: PackageBatch| {
        batch.iter().for_each(|p| index.push_view(&p));
        // Fails only when the builder stopped early; its error is reported below.
        let _ = to_builder.send(batch);
        let mut next = parser_rx.try_recv().unwrap_or_default();
        next.clear();
        next
    };
    let parsed = fetcher.stream_primary_batches(fetched, workers, || turn.wait(), take);
    turn.finish();
    if let Ok(false) = parsed {
        abandon.store(true, std::sync::atomic::Ordering::SeqCst);
        drop(to_builder);
        let _ = builder.join();
        return Ok(None);
    }
    drop(to_builder);
    tracing::debug!(
        "repo '{}': primary parsed after {:?}",
        repoid,
        started.elapsed()
    );
    // The index is written while the pool builder finishes its last batches.
    let index = index.finish();
    let index_path = files.index;
    let cached = write.holds(index.has_binaries());
    let index_written = match &parsed {
        Ok(_) if cached => write_cache_file(index_path, |tmp| {
            fs_err::File::create(tmp)
                .and_then(|f| index.write_to(std::io::BufWriter::with_capacity(1 << 16, f)))
                .map_err(|source| Error::Io {
                    context: format!("writing {}", index_path.display()),
                    source,
                })
        }),
        _ => Ok(()),
    };
    let built = builder
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
    drop(parser_rx);
    parsed?;
    index_written?;
    let built = built
        .map_err(|source| Error::RepoData {
            repoid: repoid.to_string(),
            source,
        })?
        .expect("not abandoned");
    Ok(Some((index, built, cached)))
}

fn cache_dir_created(dir: &Path) -> Result<&Path, Error> {
    fs_err::create_dir_all(dir).map_err(|source| Error::Io {
        context: format!("creating {}", dir.display()),
        source,
    })?;
    Ok(dir)
}

/// Resolves one arch and builds its lock section.
/// One arch's lock section and the warnings its resolution produced.
type Resolved = (ArchLock, Vec<String>, Option<solve::graph::DependencyGraph>);

fn lock_arch(
    fetcher: &Fetcher,
    input: &Input,
    installed: Option<&Installed>,
    favor: &[String],
    arch: &str,
    repos: &[ArchRepo<'_>],
    explain: bool,
) -> Result<Resolved, Error> {
    // Repos holding only source packages cannot contribute to a resolution: they stay
    // out of the pool (the relative order, and so every tie-break, of the binary
    // packages is unchanged) and serve the source lookup only.
    let in_pool: Vec<usize> = (0..repos.len())
        .filter(|&i| repos[i].data.has_binaries)
        .collect();
    let favor_nevras = favored_nevras(repos, favor);
    let mut module_warnings = Vec::new();
    // Modules: `@module` specs become their profiles' packages (other `@` specs stay
    // for the group lookup), the active streams decide what the package pool hides.
    let modular = modules::prepare(input, arch, repos, &in_pool, &mut module_warnings)?;
    // matchContextVersions pins matching package specs to the context's EVRs.
    let mut pin_warnings = Vec::new();
    let specs = match (installed, input.match_context_versions.is_empty()) {
        (_, true) => modular.specs.clone(),
        (Some(installed), false) => installed.pin_versions(
            modular.specs.clone(),
            &input.match_context_versions,
            &mut pin_warnings,
        )?,
        (None, false) => {
            return Err(crate::context::ContextError::MatchVersionsWithoutImage.into());
        }
    };
    let specs = &specs;
    let to_strings = |v: Vec<&str>| v.into_iter().map(str::to_string).collect::<Vec<_>>();
    let comps = if specs.iter().any(|s| s.starts_with('@')) {
        merged_comps(fetcher, repos)?
    } else {
        None
    };
    // The repo files to load: the .solv content read on loading, else the file.
    let solve_with = |solv: &[RepoSource<'_>], prebuilt: Option<solve::BuiltRepo>| {
        let mut request = SolveRequest::new(
            arch,
            in_pool
                .iter()
                .map(|&i| SolveRepo {
                    priority: repos[i].priority,
                    cost: repos[i].cost,
                    excludes: &repos[i].excludes,
                    includes: &repos[i].includes,
                    ..SolveRepo::new(&repos[i].config.repoid, solv[i])
                })
                .collect(),
            specs.clone(),
        );
        request.install_weak_deps = input.install_weak_deps;
        request.excludes = input.exclude_packages.clone();
        request.assume_provides = input.assume_provides.clone();
        request.upgrade = to_strings(input.upgrade_for_arch(arch));
        request.reinstall = to_strings(input.reinstall_for_arch(arch));
        request.allow_erasing = input.allow_erasing;
        request.comps = comps.as_ref();
        request.modules = modular.filter.as_ref();
        request.installed = installed.map(Installed::solv_path);
        request.favor = favor_nevras.clone();
        request.explain = explain;
        solve::solve_on(&request, prebuilt).map(|solution| {
            let refs = solution
                .packages
                .into_iter()
                .map(|r| PackageRef {
                    repo: in_pool[r.repo],
                    ..r
                })
                .collect::<Vec<_>>();
            (refs, solution.warnings, solution.graph)
        })
    };
    let primary_only: Vec<RepoSource<'_>> = repos
        .iter()
        .map(|r| match &r.data.solv_bytes {
            Some(bytes) => RepoSource::SolvBytes {
                bytes,
                origin: &r.data.solv,
            },
            None => RepoSource::Solv(&r.data.solv),
        })
        .collect();
    // The first repo's pool from the cold path, if it was kept (see `lock_planned`)
    // and no installed system goes before it; every other repo is read from its
    // `.solv` file, written now if its cold load deferred it.
    let prebuilt = in_pool
        .first()
        .filter(|_| installed.is_none())
        .and_then(|&i| {
            repos[i]
                .data
                .built
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
        });
    for (k, &i) in in_pool.iter().enumerate() {
        if k > 0 || prebuilt.is_none() {
            repos[i].data.ensure_solv()?;
        }
    }
    let (refs, solve_warnings, graph) = match solve_with(&primary_only, prebuilt) {
        Ok(solved) => solved,
        Err(e) if e.may_need_filelists() => {
            // dnf resolves again with every repo's file lists.
            tracing::info!("{arch}: resolving again with file lists");
            let with_filelists = repos
                .iter()
                .map(|r| {
                    if r.data.has_binaries {
                        r.data.solv_with_filelists(fetcher)
                    } else {
                        Ok(r.data.solv.clone())
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let with_filelists: Vec<RepoSource<'_>> =
                with_filelists.iter().map(|p| RepoSource::Solv(p)).collect();
            solve_with(&with_filelists, None).map_err(|source| Error::Solve {
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
        lock.packages
            .push(locked(repo, &repo.data.index.get(r.package), true)?);
    }
    lock.module_metadata = modules::metadata(repos, &refs, modular.filter.as_ref())?;
    let mut warnings = module_warnings;
    warnings.extend(pin_warnings);
    warnings.extend(solve_warnings);
    if !input.no_sources {
        lock.source = find_sources(repos, &input.exclude_packages, &refs, &mut warnings)?;
    }
    Ok((lock, warnings, graph))
}

/// The comps of every repo of an arch (binary or not, as dnf reads them all), merged
/// in repo order; `None` when no repo has any.
fn merged_comps(fetcher: &Fetcher, repos: &[ArchRepo<'_>]) -> Result<Option<Comps>, Error> {
    let mut merged: Option<Comps> = None;
    for r in repos {
        let comps = r.data.comps(fetcher)?;
        if let Some(c) = comps.as_ref() {
            match merged.as_mut() {
                Some(m) => m.merge(c.clone()),
                None => merged = Some(c.clone()),
            }
        }
    }
    Ok(merged)
}

fn locked(
    repo: &ArchRepo<'_>,
    p: &IndexEntry<'_>,
    with_sourcerpm: bool,
) -> Result<LockedPackage, Error> {
    let fetched = &repo.data.fetched;
    let package = || format!("{}-{}.{}", p.name, p.evr(), p.arch);
    let bad = |reason: String| Error::PackageLocation {
        repoid: fetched.repoid.clone(),
        package: package(),
        reason,
    };
    // Hermeto verifies every download against this checksum: without one it would
    // fetch the package unverified.
    if p.checksum.is_empty() {
        return Err(bad("primary.xml gives it no checksum".into()));
    }
    let url = package_url(fetched, p).map_err(|e| match e {
        UrlError::Local(url) => Error::Repo(RepoError::LocalFromRemote {
            repoid: fetched.repoid.clone(),
            what: format!("package {}", package()),
            url,
        }),
        UrlError::Bad(reason) => bad(reason),
    })?;
    Ok(LockedPackage {
        url,
        repoid: repo.config.repoid.clone(),
        size: p.download_size,
        checksum: p.checksum.to_string(),
        name: p.name.to_string(),
        evr: p.evr(),
        sourcerpm: (with_sourcerpm && !p.sourcerpm.is_empty()).then(|| p.sourcerpm.to_string()),
    })
}

/// Why a package has no acceptable URL.
#[derive(Debug, PartialEq, Eq)]
enum UrlError {
    /// A local file named by a remote repository (the URL).
    Local(String),
    /// Anything else (the reason).
    Bad(String),
}

/// The absolute URL of a package, as dnf's `remote_location()` builds it: the base
/// (the package's `xml:base`, else the repo's base URL) and the `location href`
/// without its leading slashes, the href always *under* the base.
///
/// dnf joins the two as paths (`os.path.join(base, href.lstrip('/'))`), never as URLs,
/// so an href is never absolute there: `http://other/x.rpm` would become
/// `BASE/http://other/x.rpm`, which no server serves, while librepo (dnf's downloader)
/// would fetch `http://other/x.rpm` itself. Rather than lock either guess, an href
/// with a scheme is an error. `.` and `..` segments are resolved as an HTTP client
/// resolves them (RFC 3986); an href that climbs out of its base (`../x.rpm`) is an
/// error, as is a `file://` location (href or `xml:base`) in a repository served
/// over http(s).
fn package_url(repo: &FetchedRepo, p: &IndexEntry<'_>) -> Result<String, UrlError> {
    let base = if p.location_base.is_empty() {
        repo.base_url.clone()
    } else {
        url::Url::parse(&with_slash(p.location_base))
            .map_err(|e| UrlError::Bad(format!("invalid xml:base {:?}: {e}", p.location_base)))?
    };
    if base.scheme() == "file" && repo.base_url.scheme() != "file" {
        return Err(UrlError::Local(crate::repo::redact_url(&base)));
    }
    let href = p.location_href.trim_start_matches('/');
    if href.contains("://") {
        return Err(UrlError::Bad(format!(
            "location href {href:?} is an absolute URL (dnf would put it under the base URL, librepo would not)"
        )));
    }
    // `./` keeps a first segment with a colon (`a:b.rpm`) from reading as a scheme.
    let url = base
        .join(&format!("./{href}"))
        .map_err(|e| UrlError::Bad(format!("invalid location href {href:?}: {e}")))?;
    if !url.as_str().starts_with(base.as_str()) {
        return Err(UrlError::Bad(format!(
            "location href {href:?} leads out of its base URL {}",
            crate::repo::redact_url(&base)
        )));
    }
    Ok(crate::repo::redact_url(&url))
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
fn find_sources(
    repos: &[ArchRepo<'_>],
    global_excludes: &[String],
    refs: &[PackageRef],
    warnings: &mut Vec<String>,
) -> Result<Vec<LockedPackage>, Error> {
    // The wanted N-V-Rs, then one pass over every repo's index to find them.
    let mut wanted: HashMap<(&str, &str, &str), Option<PackageRef>> = HashMap::new();
    for r in refs {
        let p = repos[r.repo].data.index.get(r.package);
        let nvr = p.sourcerpm.strip_suffix(".src.rpm").unwrap_or(p.sourcerpm);
        if let Some(key) = split_nvr(nvr) {
            wanted.insert(key, None);
        }
    }
    // Most source packages are not wanted: their name alone (one string to hash, not
    // three) tells.
    let names: std::collections::HashSet<&str> = wanted.keys().map(|k| k.0).collect();
    for (ri, repo) in repos.iter().enumerate() {
        let index = &repo.data.index;
        // Binary packages are skipped on their arch alone (a binary repo holds tens of
        // thousands).
        for pi in (0..index.len()).filter(|&pi| index.is_source(pi)) {
            let p = index.get(pi);
            if names.contains(p.name)
                && let Some(slot @ None) = wanted.get_mut(&(p.name, p.version, p.release))
                && !source_excluded(repo, global_excludes, &p)
            {
                *slot = Some(PackageRef {
                    repo: ri,
                    package: pi,
                });
            }
        }
    }
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for r in refs {
        let p = repos[r.repo].data.index.get(r.package);
        if p.sourcerpm.is_empty() {
            continue;
        }
        let nvr = p.sourcerpm.strip_suffix(".src.rpm").unwrap_or(p.sourcerpm);
        match split_nvr(nvr).and_then(|key| wanted.get(&key).copied().flatten()) {
            Some(at) => out.push(locked(
                &repos[at.repo],
                &repos[at.repo].data.index.get(at.package),
                false,
            )?),
            None => missing.push(format!("{} ({})", p.name, p.sourcerpm)),
        }
    }
    // One line for all of them (the prototype writes one per package).
    match missing.len() {
        0 => {}
        1 => warnings.push(format!(
            "No sources found for {}; add the source repository, or `noSources: true` to lock without sources",
            missing[0]
        )),
        n => warnings.push(format!(
            "No sources found for {n} packages: {}; add the source repository, or `noSources: true` to lock without sources",
            missing.join(", ")
        )),
    }
    Ok(out)
}

/// Whether dnf's excludes hide a source package (dnf's source query honours them as
/// every query does): the repo's `excludepkgs`, its `includepkgs` and the global
/// `excludePackages`.
fn source_excluded(repo: &ArchRepo<'_>, global_excludes: &[String], p: &IndexEntry<'_>) -> bool {
    let evr = crate::model::Evr {
        epoch: p.epoch,
        version: p.version.to_string(),
        release: p.release.to_string(),
    };
    let hit = |pattern: &String| solve::exclude_pattern_matches(pattern, p.name, &evr, p.arch);
    repo.excludes.iter().chain(global_excludes).any(hit)
        || (!repo.includes.is_empty() && !repo.includes.iter().any(hit))
}

fn split_nvr(nvr: &str) -> Option<(&str, &str, &str)> {
    let (nv, r) = nvr.rsplit_once('-')?;
    let (n, v) = nv.rsplit_once('-')?;
    Some((n, v, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A turn waits for every earlier one, finished by `finish` or by dropping it
    /// (an error or a warm load never blocks the others).
    #[test]
    fn parse_turns_run_in_order() {
        let turns = ParseTurns::new(3);
        let order = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for k in [2, 1, 0] {
                let (turns, order) = (&turns, &order);
                scope.spawn(move || {
                    let turn = turns.turn(k);
                    if k == 1 {
                        // Dropped without parsing (as an error would).
                        turn.wait();
                        order.lock().unwrap().push(k);
                        return;
                    }
                    turn.wait();
                    order.lock().unwrap().push(k);
                    turn.finish();
                });
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        });
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    }

    /// A deferred `.solv` file is written once, from the pool the cold load kept, and
    /// sealed; without that pool it is an error, never a silent missing file.
    #[test]
    fn a_deferred_solv_file_is_written_once_from_the_kept_pool() {
        let dir = tempfile::tempdir().unwrap();
        let solv = dir.path().join("r.solv");
        let repo = |deferred: bool, pool: bool| {
            let fetched = FetchedRepo {
                repoid: "r".into(),
                base_url: url::Url::parse("http://127.0.0.1/").unwrap(),
                repomd: crate::repo::RepoMd::default(),
                conn: Arc::new(crate::repo::RepoConn::plain()),
            };
            let loaded = LoadedRepo::new(
                fetched,
                Arc::new(IndexBuilder::default().finish()),
                solv.clone(),
            );
            if pool {
                let built = solve::SolvWriter::new("r").unwrap().finish();
                *loaded.built.lock().unwrap() = Some(built);
            }
            loaded
                .solv_deferred
                .store(deferred, std::sync::atomic::Ordering::SeqCst);
            loaded
        };
        // Not deferred: nothing to write.
        repo(false, true).ensure_solv().unwrap();
        assert!(!solv.exists());
        let deferred = repo(true, true);
        deferred.ensure_solv().unwrap();
        assert!(solv_intact(&solv), "written and sealed");
        std::fs::remove_file(&solv).unwrap();
        deferred.ensure_solv().unwrap();
        assert!(!solv.exists(), "written once");
        let err = format!("{:?}", repo(true, false).ensure_solv().unwrap_err());
        assert!(err.contains("pool is gone"), "{err}");
    }

    #[test]
    fn nvr_splits_at_the_last_two_dashes() {
        assert_eq!(
            split_nvr("python-foo-1.0-3.el9"),
            Some(("python-foo", "1.0", "3.el9"))
        );
        assert_eq!(split_nvr("foo"), None);
    }

    fn url_of(base: &str, xml_base: &str, href: &str) -> Result<String, UrlError> {
        let repo = FetchedRepo {
            repoid: "r".into(),
            base_url: url::Url::parse(base).unwrap(),
            repomd: crate::repo::RepoMd::default(),
            conn: Arc::new(crate::repo::RepoConn::plain()),
        };
        let p = IndexEntry {
            name: "a",
            arch: "noarch",
            epoch: 0,
            version: "1",
            release: "1",
            location_href: href,
            location_base: xml_base,
            checksum: "sha256:00",
            download_size: 1,
            sourcerpm: "",
        };
        package_url(&repo, &p)
    }

    #[test]
    fn package_urls_stay_under_their_base() {
        let ok = |b, x, h| url_of(b, x, h).unwrap();
        let bad = |b, x, h| match url_of(b, x, h) {
            Err(UrlError::Bad(reason)) => reason,
            other => panic!("{other:?}"),
        };
        let b = "http://h.example/repo/";
        assert_eq!(
            ok(b, "", "Packages/a.rpm"),
            "http://h.example/repo/Packages/a.rpm"
        );
        // dnf strips leading slashes: still under the base.
        assert_eq!(
            ok(b, "", "/Packages/a.rpm"),
            "http://h.example/repo/Packages/a.rpm"
        );
        assert_eq!(ok(b, "", "a:1.rpm"), "http://h.example/repo/a:1.rpm");
        assert_eq!(ok(b, "", "x/../a.rpm"), "http://h.example/repo/a.rpm");
        // xml:base is honoured (with or without its slash).
        assert_eq!(
            ok(b, "http://mirror.example/os", "P/a.rpm"),
            "http://mirror.example/os/P/a.rpm"
        );
        assert!(bad(b, "", "../a.rpm").contains("leads out of its base URL"));
        assert!(bad(b, "", "x/../../../etc/a.rpm").contains("leads out"));
        assert!(bad(b, "", "http://other.example/a.rpm").contains("absolute URL"));
        assert!(bad(b, "", "file:///etc/passwd").contains("absolute URL"));
        assert!(bad(b, "not a url", "a.rpm").contains("invalid xml:base"));
        // A remote repo never names a local file; a local one may.
        assert_eq!(
            url_of(b, "file:///srv/repo/", "a.rpm"),
            Err(UrlError::Local("file:///srv/repo/".into()))
        );
        assert_eq!(
            ok("file:///srv/r/", "file:///srv/other/", "a.rpm"),
            "file:///srv/other/a.rpm"
        );
    }
}
